"""MLPerf RetinaNet (Inference v2.1 and later): ResNeXt50-32x4d + FPN, 800x800, 264 classes.

Architecture (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017) as MLPerf configures
it (mlcommons/training single_stage_detector/ssd/model/retinanet.py, used by the inference
reference): ResNeXt50-32x4d trunk; FPN on C3-C5 (1x1 lateral + 3x3 output convolutions, 256
channels, nearest-neighbour top-down upsampling); P6 and P7 by stride-2 3x3 convolutions from P5
(``LastLevelP6P7(256, 256)``); a classification and a box-regression head, each 4 x (3x3 conv 256 +
ReLU) then a 3x3 conv to 9*264 class logits or 9*4 box deltas, the same weights applied to every
level; 9 anchors per location (3 scales x 3 aspect ratios).

Not in the graph: anchor generation, box decoding, per-level top-k and NMS (post-processing whose
work is data-dependent and small next to the convolutions).
"""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder
from .resnet import trunk

IMAGE = 800
CLASSES = 264
ANCHORS = 9
FPN_CHANNELS = 256
HEAD_CONVS = 4


def _head(b: GraphBuilder, levels: list[str], out_per_anchor: int, batch: int) -> str:
    shared: list[tuple[str, ...]] = []
    outs = []
    for li, p in enumerate(levels):
        y = p
        for i in range(HEAD_CONVS):
            y = b.relu(b.conv(y, FPN_CHANNELS, 3, shared=shared[i] if li else None, hint="head"))
            if li == 0:
                shared.append(tuple(b.nodes[-2].input[1:]))
        y = b.conv(y, ANCHORS * out_per_anchor, 3, shared=shared[HEAD_CONVS] if li else None, hint="head_out")
        if li == 0:
            shared.append(tuple(b.nodes[-1].input[1:]))
        _, _, h, w = b.shape[y]
        # (N, A*K, H, W) -> (N, A, K, H, W) -> (N, H, W, A, K) -> (N, H*W*A, K)
        y = b.reshape(y, (batch, ANCHORS, out_per_anchor, h, w))
        y = b.transpose(y, (0, 3, 4, 1, 2))
        outs.append(b.reshape(y, (batch, h * w * ANCHORS, out_per_anchor)))
    return b.concat(outs, axis=1)


def build_retinanet(batch: int = 1) -> onnx.ModelProto:
    b = GraphBuilder("retinanet_resnext50_32x4d_fpn")
    x = b.input("image", (batch, 3, IMAGE, IMAGE))
    _, c3, c4, c5 = trunk(b, x, groups=32, width_per_group=4)
    # FPN, top-down
    last = b.conv(c5, FPN_CHANNELS, 1, pad=0, hint="fpn_inner")
    outs = [b.conv(last, FPN_CHANNELS, 3, hint="fpn_layer")]
    for c in (c4, c3):
        lateral = b.conv(c, FPN_CHANNELS, 1, pad=0, hint="fpn_inner")
        last = b.add(lateral, b.upsample_nearest(last, b.shape[lateral][2:]))
        outs.insert(0, b.conv(last, FPN_CHANNELS, 3, hint="fpn_layer"))
    p6 = b.conv(outs[-1], FPN_CHANNELS, 3, stride=2, hint="fpn_p6")
    p7 = b.conv(b.relu(p6), FPN_CHANNELS, 3, stride=2, hint="fpn_p7")
    levels = outs + [p6, p7]
    cls = _head(b, levels, CLASSES, batch)
    box = _head(b, levels, 4, batch)
    b.output(cls)
    b.output(box)
    return b.model("MLPerf RetinaNet ResNeXt50-32x4d FPN, 800x800, 264 classes (shapes only, no weights)")

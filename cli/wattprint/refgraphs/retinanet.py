"""MLPerf RetinaNet (Inference v2.1 and later): ResNeXt50-32x4d + FPN, 800x800, 264 classes.

Architecture (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017) as MLPerf configures
it (mlcommons/training single_stage_detector/ssd/model/retinanet.py, used by the inference
reference): ResNeXt50-32x4d trunk; FPN on C3-C5 (1x1 lateral + 3x3 output convolutions, 256
channels, nearest-neighbour top-down upsampling); P6 and P7 by stride-2 3x3 convolutions from P5
(``LastLevelP6P7(256, 256)``); a classification and a box-regression head, each 4 x (3x3 conv 256 +
ReLU) then a 3x3 conv to 9*264 class logits or 9*4 box deltas, the same weights applied to every
level; 9 anchors per location (3 scales x 3 aspect ratios).

Post-processing as the reference runs it (``RetinaNet.postprocess_detections``, with the defaults of
``RetinaNet.__init__``: score_thresh 0.05, topk_candidates 1000, nms_thresh 0.5, detections_per_img 300):
per level, the sigmoid of every class logit, the top 1000 (anchor, class) scores, the box deltas and
anchors of those 1000 gathered and decoded (``BoxCoder.decode_single``, clamped to the image); then the
5 x 1000 candidates of all levels go through class-aware NMS (``batched_nms``: boxes offset by class) and
the best 300 detections are kept. The data-dependent sizes are taken at their caps: every level yields
its 1000 candidates (the score threshold only ever lowers that) and NMS keeps 300. Anchor generation is
input-independent (the anchors of an 800x800 image are a constant, one dims-only initializer per level).
"""

from __future__ import annotations

import math

import onnx
from onnx import TensorProto

from ._builder import GraphBuilder
from .resnet import trunk

IMAGE = 800
CLASSES = 264
ANCHORS = 9
FPN_CHANNELS = 256
HEAD_CONVS = 4
#: post-processing of the reference (mlcommons/training single_stage_detector/ssd/model/retinanet.py,
#: RetinaNet.__init__ defaults): per-level candidates, NMS IoU threshold, detections kept per image
TOPK_CANDIDATES = 1000
NMS_IOU = 0.5
DETECTIONS = 300
#: BoxCoder's clamp on the width/height deltas: log(1000 / 16)
BBOX_CLIP = math.log(1000.0 / 16)


def _head(b: GraphBuilder, levels: list[str], out_per_anchor: int, batch: int) -> list[str]:
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
    return outs


def _decode(b: GraphBuilder, deltas: str, anchors: str) -> str:
    """BoxCoder.decode_single (weights 1, 1, 1, 1) on (N, k, 4) deltas and anchors, clipped to the image."""
    n, k, _ = b.shape[deltas]

    def half(x: str, start: int) -> str:
        return b.node("Slice", [x, b.const_i64("starts", [start]), b.const_i64("ends", [start + 2]),
                               b.const_i64("axes", [2])], (n, k, 2))

    lo, hi = half(anchors, 0), half(anchors, 2)
    size = b.binary("Sub", hi, lo)
    ctr = b.add(lo, b.binary("Mul", size, b.const_f32("half", 0.5)))
    d_xy, d_wh = half(deltas, 0), half(deltas, 2)
    d_wh = b.binary("Min", d_wh, b.const_f32("bbox_clip", BBOX_CLIP))
    pred_ctr = b.add(b.binary("Mul", d_xy, size), ctr)
    pred_half = b.binary("Mul", b.binary("Mul", b.unary("Exp", d_wh), size), b.const_f32("half", 0.5))
    boxes = b.concat([b.binary("Sub", pred_ctr, pred_half), b.add(pred_ctr, pred_half)], axis=2)
    return b.node("Clip", [boxes, b.const_f32("lo", 0.0), b.const_f32("hi", float(IMAGE))], (n, k, 4))


def _postprocess(b: GraphBuilder, cls: list[str], box: list[str], batch: int) -> tuple[str, str, str, str]:
    """Per-level sigmoid + top-k + decode, then class-aware NMS over all levels.

    Returns the detections (boxes, scores, labels) and the NMS output, whose size is data-dependent in
    ONNX: the caller declares it at its cap (``DETECTIONS`` per image)."""
    scores, labels, boxes = [], [], []
    k = TOPK_CANDIDATES
    for logits, deltas in zip(cls, box):
        _, a, _ = b.shape[logits]
        flat = b.unary("Sigmoid", b.reshape(logits, (batch, a * CLASSES)))
        out_v, out_i = b._name("topk_scores"), b._name("topk_idx")
        b.nodes.append(onnx.helper.make_node("TopK", [flat, b.const_i64("k", [k])], [out_v, out_i], name=out_v,
                                             axis=-1))
        b.shape[out_v] = b.shape[out_i] = (batch, k)
        anchor_idx = b.binary("Div", out_i, b.const_i64("classes", CLASSES))
        labels.append(b.binary("Mod", out_i, b.const_i64("classes", CLASSES)))
        scores.append(out_v)
        picked = b.node("GatherElements", [deltas, b.node("Expand", [b.reshape(anchor_idx, (batch, k, 1)),
                                                                     b.const_i64("shape", [batch, k, 4])],
                                                         (batch, k, 4))], (batch, k, 4), axis=1)
        anchors = b.weight("anchors", (a, 4))
        boxes.append(_decode(b, picked, b.node("Gather", [anchors, anchor_idx], (batch, k, 4), axis=0)))
    n = len(cls) * k
    boxes_all, scores_all = b.concat(boxes, axis=1), b.concat(scores, axis=1)
    labels_all = b.concat(labels, axis=1)
    # batched_nms: offset each box by its class so that boxes of different classes never overlap
    offset = b.binary("Mul", b.node("Cast", [labels_all], (batch, n), to=TensorProto.FLOAT),
                      b.const_f32("class_offset", float(IMAGE + 1)))
    shifted = b.add(boxes_all, b.reshape(offset, (batch, n, 1)))
    keep = b.node("NonMaxSuppression", [shifted, b.reshape(scores_all, (batch, 1, n)),
                                        b.const_i64("max_out", [DETECTIONS]), b.const_f32("iou", NMS_IOU)],
                  (batch * DETECTIONS, 3))
    # selected (batch, class 0, box) triples -> (batch, box) pairs
    pairs = b.node("Gather", [keep, b.const_i64("cols", [0, 2])], (batch * DETECTIONS, 2), axis=1)
    det_boxes = b.node("GatherND", [boxes_all, pairs], (batch * DETECTIONS, 4), hint="det_boxes")
    det_scores = b.node("GatherND", [scores_all, pairs], (batch * DETECTIONS,), hint="det_scores")
    det_labels = b.node("GatherND", [labels_all, pairs], (batch * DETECTIONS,), hint="det_labels")
    return det_boxes, det_scores, det_labels, keep


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
    det_boxes, det_scores, det_labels, keep = _postprocess(b, cls, box, batch)
    b.output(det_boxes)
    b.output(det_scores)
    b.output(det_labels, TensorProto.INT64)
    m = b.model("MLPerf RetinaNet ResNeXt50-32x4d FPN, 800x800, 264 classes, with the reference's "
                "post-processing (shapes only, no weights)")
    m.graph.value_info.append(onnx.helper.make_tensor_value_info(keep, TensorProto.INT64, list(b.shape[keep])))
    return m

"""MLPerf 3D-UNet for KiTS19: one 128x128x128 sub-volume (patch) of the sliding window.

Architecture as MLPerf defines it (mlcommons/training image_segmentation/pytorch/model/unet3d.py
and layers.py, used by the inference reference vision/medical_imaging/3d-unet-kits19): a U-Net
(Cicek et al., MICCAI 2016) in the nnU-Net variant (Isensee et al.): filters 32, 64, 128, 256,
320; every convolution block is 3x3x3 conv (no bias) + InstanceNorm (affine) + LeakyReLU(0.01);
an input block of two such blocks; four down-sampling stages and a bottleneck, each a stride-2
block then a stride-1 block; five up-sampling stages, each a 2x2x2 stride-2 transposed
convolution (with bias), concatenation with the skip tensor and two blocks; a 1x1x1 output
convolution to 3 classes (background, kidney, tumour).

Not in the graph: the Gaussian weighting of each patch, the stitching of overlapping patches
and the final ArgMax over the whole volume (done once per case, outside the network).
"""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder

PATCH = 128
FILTERS = (32, 64, 128, 256, 320)
IN_CHANNELS = 1
CLASSES = 3


def _block(b: GraphBuilder, x: str, cout: int, stride: int = 1) -> str:
    y = b.instancenorm(b.conv(x, cout, 3, stride=stride, pad=1, bias=False))
    return b.unary("LeakyRelu", y, alpha=0.01)


def build_unet3d(batch: int = 1) -> onnx.ModelProto:
    b = GraphBuilder("unet3d_kits19")
    x = b.input("patch", (batch, IN_CHANNELS, PATCH, PATCH, PATCH))
    y = _block(b, _block(b, x, FILTERS[0]), FILTERS[0])
    skips = [y]
    for cout in FILTERS[1:]:
        y = _block(b, _block(b, y, cout, stride=2), cout)
        skips.append(y)
    y = _block(b, _block(b, y, FILTERS[-1], stride=2), FILTERS[-1])  # bottleneck, 4^3
    for skip in reversed(skips):
        cout = b.shape[skip][1]
        y = b.conv_transpose(y, cout, 2, 2)
        y = b.concat([y, skip], axis=1)
        y = _block(b, _block(b, y, cout), cout)
    b.output(b.conv(y, CLASSES, 1, pad=0, hint="out"))
    return b.model("MLPerf 3D-UNet KiTS19, one 128^3 patch (shapes only, no weights)")

"""ResNet-50 v1.5 (MLPerf image classification) and the ResNet/ResNeXt trunk RetinaNet reuses.

Architecture: He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), with the
"v1.5" change that puts the stride-2 of each down-sampling bottleneck on the 3x3 convolution
(as torchvision and the MLPerf reference models do). ResNeXt (Xie et al., CVPR 2017) is the same
trunk with grouped 3x3 convolutions. Batch normalisation is kept as BatchNormalization nodes
(eval mode: its scale and bias are parameters, running mean and variance are not), so the
parameter count is that of the PyTorch model.
"""

from __future__ import annotations

import onnx

from ._builder import GraphBuilder

#: bottleneck blocks per stage of ResNet-50 / ResNeXt-50
RESNET50_BLOCKS = (3, 4, 6, 3)
STAGE_PLANES = (64, 128, 256, 512)
EXPANSION = 4
IMAGE = 224
CLASSES = 1000


def _bottleneck(b: GraphBuilder, x: str, planes: int, stride: int, groups: int, width_per_group: int) -> str:
    cin = b.shape[x][1]
    width = planes * width_per_group // 64 * groups
    cout = planes * EXPANSION
    y = b.relu(b.batchnorm(b.conv(x, width, 1, bias=False)))
    y = b.relu(b.batchnorm(b.conv(y, width, 3, stride=stride, groups=groups, bias=False)))
    y = b.batchnorm(b.conv(y, cout, 1, bias=False))
    if stride != 1 or cin != cout:
        x = b.batchnorm(b.conv(x, cout, 1, stride=stride, pad=0, bias=False))
    return b.relu(b.add(y, x))


def trunk(b: GraphBuilder, x: str, groups: int = 1, width_per_group: int = 64) -> list[str]:
    """Stem + the four stages; returns the outputs of stages 1..4 (C2..C5)."""
    y = b.relu(b.batchnorm(b.conv(x, 64, 7, stride=2, pad=3, bias=False)))
    y = b.maxpool(y, 3, 2, 1)
    feats = []
    for i, (n, planes) in enumerate(zip(RESNET50_BLOCKS, STAGE_PLANES)):
        for j in range(n):
            y = _bottleneck(b, y, planes, 2 if (j == 0 and i > 0) else 1, groups, width_per_group)
        feats.append(y)
    return feats


def build_resnet50(batch: int = 1) -> onnx.ModelProto:
    b = GraphBuilder("resnet50_v1.5")
    x = b.input("image", (batch, 3, IMAGE, IMAGE))
    c5 = trunk(b, x)[-1]
    y = b.reshape(b.global_avgpool(c5), (batch, 2048))
    y = b.linear(y, CLASSES, hint="fc")
    b.output(b.unary("Softmax", y, axis=-1))
    return b.model("MLPerf ResNet-50 v1.5, 224x224, 1000 classes (shapes only, no weights)")

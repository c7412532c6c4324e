"""MLPerf 3D-UNet for KiTS19: one 128x128x128 sub-volume (patch) of the sliding window.

Architecture as MLPerf defines it (mlcommons/training image_segmentation/pytorch/model/unet3d.py
and layers.py, used by the inference reference vision/medical_imaging/3d-unet-kits19): a U-Net
(Cicek et al., MICCAI 2016) in the nnU-Net variant (Isensee et al.): filters 32, 64, 128, 256,
320; every convolution block is 3x3x3 conv (no bias) + InstanceNorm (affine) + LeakyReLU(0.01);
an input block of two such blocks; four down-sampling stages and a bottleneck, each a stride-2
block then a stride-1 block; five up-sampling stages, each a 2x2x2 stride-2 transposed
convolution (with bias), concatenation with the skip tensor and two blocks; a 1x1x1 output
convolution to 3 classes (background, kidney, tumour).

One MLPerf sample is one case: the graph runs once per sub-volume, ``SUBVOLUMES_PER_CASE`` times
on average over MLPerf's 43 cases (derived below from the cases' dims and voxel spacings).

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

# --- sub-volumes per case ------------------------------------------------------------------------
#: MLPerf preprocessing (mlcommons/inference vision/medical_imaging/3d-unet-kits19/preprocess.py,
#: global_vars.py): resample to this voxel spacing [z, y, x] mm ...
TARGET_SPACING = (1.6, 1.2, 1.2)
#: ... and the sliding window: 128^3 ROI, overlap 0.5 -> stride 64 (inference_utils.py)
STRIDE = PATCH // 2

#: The 43 cases of MLPerf's inference set (meta/inference_cases.json): original volume dims
#: (slices, rows, columns) and voxel spacing (slice, in-plane) mm, read from the NIfTI headers of
#: neheller/kits19@456b293435b25303bbc7995f094f83a0afdff0eb data/<case>/segmentation.nii.gz (the
#: same grid as imaging.nii.gz; the spacings equal kits.json ``voxel_spacing``) by
#: scripts/kits19_subvolumes.py.
KITS19_INFERENCE_CASES: tuple[tuple[str, tuple[int, int, int], tuple[float, float]], ...] = (
    ("case_00000", (611, 512, 512), (0.5, 0.919921875)),
    ("case_00003", (270, 512, 512), (1.0, 0.85546875)),
    ("case_00005", (834, 512, 512), (0.5, 0.9765625)),
    ("case_00006", (157, 512, 512), (3.0, 0.7421875)),
    ("case_00012", (89, 512, 512), (5.0, 0.751953125)),
    ("case_00024", (85, 512, 512), (5.0, 0.6640625)),
    ("case_00034", (110, 512, 512), (5.0, 0.8359375)),
    ("case_00041", (52, 512, 512), (3.0, 0.677734375)),
    ("case_00044", (101, 512, 512), (5.0, 0.966796875)),
    ("case_00049", (670, 512, 512), (0.5, 0.861328125)),
    ("case_00052", (673, 512, 512), (0.5, 0.95703125)),
    ("case_00056", (90, 512, 512), (5.0, 0.78125)),
    ("case_00061", (29, 512, 512), (5.0, 0.9765620231628418)),
    ("case_00065", (103, 512, 512), (2.5, 0.8203120231628418)),
    ("case_00066", (445, 512, 512), (1.25, 0.8632810115814209)),
    ("case_00070", (57, 512, 512), (5.0, 0.732421875)),
    ("case_00076", (66, 512, 512), (5.0, 0.677734375)),
    ("case_00078", (326, 512, 512), (1.0, 0.962890625)),
    ("case_00080", (88, 512, 512), (5.0, 0.72265625)),
    ("case_00084", (274, 512, 512), (2.0, 0.9765625)),
    ("case_00086", (199, 512, 512), (2.5, 0.7890620231628418)),
    ("case_00087", (49, 512, 512), (5.0, 0.69140625)),
    ("case_00092", (98, 512, 512), (5.0, 0.703125)),
    ("case_00111", (186, 512, 512), (2.5, 0.7421879768371582)),
    ("case_00112", (113, 512, 512), (2.0, 0.7421875)),
    ("case_00125", (171, 512, 512), (3.0, 0.9765625)),
    ("case_00128", (206, 512, 512), (2.5, 0.8789060115814209)),
    ("case_00138", (76, 512, 512), (3.0, 0.68359375)),
    ("case_00157", (548, 512, 512), (0.5, 0.8515625)),
    ("case_00160", (252, 512, 796), (1.0, 0.451171875)),
    ("case_00161", (59, 512, 512), (5.0, 0.87109375)),
    ("case_00162", (94, 512, 512), (5.0, 0.55078125)),
    ("case_00169", (101, 512, 512), (5.0, 0.7549999952316284)),
    ("case_00171", (131, 512, 512), (5.0, 0.759765625)),
    ("case_00176", (102, 512, 512), (5.0, 0.9765625)),
    ("case_00185", (235, 512, 512), (2.5, 0.9121090173721313)),
    ("case_00187", (82, 512, 512), (5.0, 0.625)),
    ("case_00189", (146, 512, 512), (5.0, 0.7421875)),
    ("case_00198", (269, 512, 512), (2.5, 0.732421875)),
    ("case_00203", (620, 512, 512), (1.0, 0.63671875)),
    ("case_00206", (60, 512, 512), (5.0, 0.970703125)),
    ("case_00207", (140, 512, 512), (5.0, 0.75390625)),
    ("case_00400", (235, 512, 512), (2.5, 0.9121090173721313)),  # copy of case_00185 (the reference Makefile)
)


def preprocessed_shape(dims: tuple[int, int, int], spacing: tuple[float, float]) -> tuple[int, ...]:
    """A case's shape after MLPerf's preprocessing (every step changes the shape as preprocess.py does).

    1. resample to TARGET_SPACING: round(dim x spacing / target) (scipy.ndimage.zoom's output shape);
    2. pad each side to at least 128 (``pad_to_min_shape``);
    3. crop a side whose length mod 64 is below 32, else pad it up to a multiple of 64, and to at
       least 128 (``adjust_shape_for_sliding_window``, ``constant_pad_volume``).
    """
    out = []
    for d, s, t in zip(dims, (spacing[0], spacing[1], spacing[1]), TARGET_SPACING):
        n = max(int(round(d * s / t)), PATCH)
        r = n % STRIDE
        if r < STRIDE // 2:
            n -= r
        n += (STRIDE - n % STRIDE) % STRIDE
        out.append(n if n >= PATCH else n + STRIDE)
    return tuple(out)


def subvolumes(dims: tuple[int, int, int], spacing: tuple[float, float]) -> int:
    """128^3 sub-volumes the sliding window visits in one case (``get_slice_for_sliding_window``)."""
    n = 1
    for side in preprocessed_shape(dims, spacing):
        n *= (side - PATCH) // STRIDE + 1
    return n


#: mean sub-volumes per case over MLPerf's 43 cases: one MLPerf sample runs the graph this many times
SUBVOLUMES_PER_CASE = sum(subvolumes(d, s) for _, d, s in KITS19_INFERENCE_CASES) / len(KITS19_INFERENCE_CASES)


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

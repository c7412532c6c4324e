"""Resize, grid sampling, RoI pooling."""

from __future__ import annotations

import math

import numpy as np

from .base import Counts, NotCountable, OpView, ShapeResult, _axis, _Ctx, _s
from .registry import ONNX_INFERENCE, Fusion, op


def _sh_resize(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    r = len(s)
    axes = c.attr("axes")
    axes = [_axis(int(a), r) for a in axes] if axes else list(range(r))
    sizes = scales = None
    if c.node.op_type == "Upsample" or (c.opset == 10 and not c.has(2)):
        scales = None
        if c.has(1):
            v = c.value(1)
            scales = None if v is None else [float(x) for x in np.asarray(v).reshape(-1)]
        elif c.attr("scales") is not None:
            scales = [float(x) for x in c.attr("scales")]
    else:
        if c.has(3):
            v = c.value(3)
            sizes = None if v is None else [int(x) for x in np.asarray(v).reshape(-1)]
        if sizes is None and c.has(2):
            v = c.value(2)
            if v is not None and np.size(v) > 0:
                scales = [float(x) for x in np.asarray(v).reshape(-1)]
    out = list(s)
    if sizes is not None and len(sizes) == len(axes):
        policy = c.attr("keep_aspect_ratio_policy", b"stretch")
        policy = policy.decode() if isinstance(policy, bytes) else str(policy)
        if policy != "stretch" and all(s[a] is not None for a in axes):
            ratios = [sizes[j] / s[a] for j, a in enumerate(axes)]
            k = min(ratios) if policy == "not_larger" else max(ratios)
            for a in axes:
                out[a] = int(s[a] * k + 0.5)
        else:
            for j, a in enumerate(axes):
                out[a] = sizes[j]
    elif scales is not None and len(scales) == len(axes):
        for j, a in enumerate(axes):
            out[a] = None if s[a] is None else int(math.floor(s[a] * scales[j] + 1e-9))
    else:
        out = [None] * r
    return [(tuple(out), c.dtype(0), None)]


@op("RoiAlign", shape=ONNX_INFERENCE, fusion=Fusion.BARRIER)
def _roi_align(v: OpView) -> Counts:
    n = v.out_numel()
    s = int(v.attr("sampling_ratio", 0)) or 2
    return Counts(elementwise=8 * s * s * n, reduction=s * s * n, note=f"RoiAlign ~{s}x{s} samples per bin")


@op("MaxRoiPool", shape=ONNX_INFERENCE, fusion=Fusion.BARRIER)
def _max_roi_pool(v: OpView) -> Counts:
    x, y = v.ishape(0), v.oshape(0)
    bin_area = max(math.prod(x[2:]) // max(math.prod(y[2:]), 1), 1)
    return Counts(reduction=v.out_numel() * bin_area, note="MaxRoiPool: whole-image bins (upper bound)")


@op("Resize", "Upsample", shape=_sh_resize, weights=(), fusion=Fusion.BARRIER)
def _resize(v: OpView) -> Counts:
    n = v.out_numel()
    mode = _s(v.attr("mode", b"nearest"))
    xi, yo = v.ishape(0), v.oshape(0)
    k = sum(1 for a, b in zip(xi, yo) if a != b)
    if mode == "nearest" or k == 0:
        return Counts(note=f"Resize {mode} (data movement)")
    if mode in ("linear", "bilinear", "trilinear"):
        return Counts(elementwise=3 * (2**k - 1) * n, note=f"Resize {mode}: {2**k} taps")
    if mode in ("cubic", "bicubic"):
        return Counts(elementwise=2 * 4**k * n, note=f"Resize cubic: {4**k} taps")
    raise NotCountable(f"Resize mode '{mode}'")


@op("GridSample", "AffineGrid", shape=ONNX_INFERENCE, weights=())
def _grid_sample(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=12 * n)  # bilinear: 4 taps + coordinate arithmetic

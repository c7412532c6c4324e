"""Quantization helpers and quantized data movement."""

from __future__ import annotations

import math

from onnx import TensorProto

from ..costs import MS
from .base import Counts, OpView, ShapeResult, _axis, _bcast, _Ctx
from .elementwise import _sh_same
from .registry import op


def _sh_gather_block_quantized(c: _Ctx) -> ShapeResult:
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None:
        return [(None, c.dtype(2), None)]
    ax = _axis(int(c.attr("gather_axis", 0)), len(s))
    q = _axis(int(c.attr("quantize_axis", len(s) - 1)), len(s))
    bits = int(c.attr("bits", 4))
    data = list(s)
    dq = data[q]
    if c.dtype(0) in (TensorProto.UINT8, TensorProto.INT8) and bits < 8 and dq is not None:
        data[q] = dq * (8 // bits)
    return [(tuple(data[:ax]) + tuple(si) + tuple(data[ax + 1:]), c.dtype(2), None)]


def _sh_dyn_quant(c: _Ctx) -> ShapeResult:
    return [(c.shape(0), TensorProto.UINT8, None), ((), TensorProto.FLOAT, None), ((), TensorProto.UINT8, None)]


def _sh_qlinear_where(c: _Ctx) -> ShapeResult:
    """QLinearWhere(condition, X, x_scale, x_zp, Y, y_scale, y_zp, z_scale, z_zp) -> Z: broadcast of condition, X, Y."""
    return [(_bcast(c.shape(0), c.shape(1), c.shape(4)), c.dtype(1), None)]


def _sh_qlinear_reduce_mean(c: _Ctx) -> ShapeResult:
    """QLinearReduceMean(data, data_scale, data_zp, reduced_scale, reduced_zp): ``axes`` and ``keepdims`` attributes."""
    s = c.shape(0)
    axes = c.attr("axes")
    if s is None:
        return [(None, c.dtype(0), None)]
    keep = int(c.attr("keepdims", 1))
    axes = sorted({_axis(int(a), len(s)) for a in axes}) if axes else list(range(len(s)))
    out = tuple((1 if i in axes else d) for i, d in enumerate(s)) if keep else tuple(
        d for i, d in enumerate(s) if i not in axes
    )
    return [(out, c.dtype(0), None)]


def _sh_qlinear_concat(c: _Ctx) -> ShapeResult:
    given = [c.shape(i) for i in range(2, len(c.ins), 3) if c.has(i)]
    shapes = [s for s in given if s is not None]
    if not shapes or len(shapes) < len(given):
        return [(None, c.dtype(2), None)]
    ax = _axis(int(c.attr("axis", 0)), len(shapes[0]))
    out = list(shapes[0])
    ds = [s[ax] for s in shapes]
    kds = [d for d in ds if d is not None]
    out[ax] = sum(kds) if len(kds) == len(ds) else None
    return [(tuple(out), c.dtype(2), None)]


@op("GatherBlockQuantized", domains=(MS,), shape=_sh_gather_block_quantized, weights=(0,))
def _gather_block_quantized(v: OpView) -> Counts:
    n = v.out_numel()
    data = v.ishape(0)
    bits = int(v.attr("bits", 4))
    t = v.inp(0)  # (given: ishape(0) raised otherwise)
    per_byte = 8 // bits if t is not None and t.dtype in (2, 3) and bits < 8 else 1
    return Counts(elementwise=2 * n, read={0: n // per_byte}, weight_elems={0: math.prod(data) * per_byte},
                  note=f"int{bits} block-quantized embedding")


@op("MulInteger", domains=(MS,), shape=_sh_same, values=1)
def _mul_integer(v: OpView) -> Counts:
    return Counts(elementwise=3 * v.out_numel(), precision="int8")


@op("QLinearConcat", domains=(MS,), shape=_sh_qlinear_concat)
@op("QLinearWhere", domains=(MS,), shape=_sh_qlinear_where)
@op("QLinearReduceMean", domains=(MS,), shape=_sh_qlinear_reduce_mean)
def _qlinear_movement(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, precision="int8")  # requantize each element


@op("DynamicQuantizeLinear", shape=_sh_dyn_quant)
def _dyn_quant(v: OpView) -> Counts:
    n = v.in_numel(0)
    # min + max reductions, scale/zero-point (scalar), then quantize each element
    return Counts(reduction=2 * n, elementwise=3 * n, transcendental=n, precision="int8")

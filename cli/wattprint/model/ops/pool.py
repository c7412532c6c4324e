"""Pooling."""

from __future__ import annotations

import math

from onnx import TensorProto

from ..costs import MS
from .base import Counts, NotCountable, OpView, ShapeOut, ShapeResult, _Ctx
from .conv import _spatial_out
from .registry import op


def _sh_pool(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if c.node.op_type == "NhwcMaxPool" and s is not None and len(s) >= 3:  # compute in NCHW, then back
        ncs = (s[0], s[-1]) + tuple(s[1:-1])
        ks = c.attr("kernel_shape")
        if ks is None:
            return [(None, c.dtype(0), None)]
        o = _spatial_out(c, ncs, [int(k) for k in ks], bool(int(c.attr("ceil_mode", 0))))
        return [((s[0],) + tuple(o) + (s[-1],), c.dtype(0), None)]
    ks = c.attr("kernel_shape")
    if s is None or ks is None:
        return [(None, c.dtype(0), None)] * c.nout
    out = (s[0], s[1]) + tuple(_spatial_out(c, s, [int(k) for k in ks], bool(int(c.attr("ceil_mode", 0)))))
    res: list[ShapeOut] = [(out, c.dtype(0), None)]
    if c.nout > 1:
        res.append((out, TensorProto.INT64, None))
    return res


def _sh_global_pool(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    if int(c.attr("channels_last", 0)):
        return [((s[0],) + (1,) * (len(s) - 2) + (s[-1],), c.dtype(0), None)]
    return [((s[0], s[1]) + (1,) * (len(s) - 2), c.dtype(0), None)]


@op("NhwcMaxPool", domains=(MS,), shape=_sh_pool)
@op("MaxpoolWithMask", domains=(MS,), shape=_sh_pool)
@op("MaxPool", "AveragePool", "LpPool", shape=_sh_pool)
def _pool(v: OpView) -> Counts:
    n = v.out_numel()
    ks = v.attr("kernel_shape")
    if not ks:
        raise NotCountable("pooling without kernel_shape")
    window = math.prod(int(k) for k in ks)
    if v.op_type in ("MaxPool", "NhwcMaxPool", "MaxpoolWithMask"):
        return Counts(reduction=n * window)
    if v.op_type == "AveragePool":
        return Counts(reduction=n * window, elementwise=n)
    return Counts(reduction=n * window, elementwise=n * window, transcendental=2 * n)  # |x|^p, sum, ^(1/p)


@op("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool", shape=_sh_global_pool)
def _global_pool(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    if v.op_type == "GlobalMaxPool":
        return Counts(reduction=n_in)
    if v.op_type == "GlobalAveragePool":
        return Counts(reduction=n_in, elementwise=n_out)
    return Counts(reduction=n_in, elementwise=n_in, transcendental=2 * n_out)


@op("QLinearGlobalAveragePool", domains=(MS,), shape=_sh_global_pool)
@op("QLinearAveragePool", domains=(MS,), shape=_sh_pool)
def _qlinear_pool(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    ks = v.attr("kernel_shape")
    red = n_out * math.prod(int(k) for k in ks) if ks else n_in
    return Counts(reduction=red, elementwise=3 * n_out, precision="int8")

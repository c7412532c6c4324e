"""Normalisation: BatchNorm, LayerNorm, RMSNorm, Instance/GroupNorm, the fused com.microsoft norms, LRN."""

from __future__ import annotations

import math

from onnx import TensorProto

from ..costs import MS
from .base import Counts, OpView, ShapeOut, ShapeResult, _Ctx, _norm_axis
from .elementwise import _sh_same
from .registry import op


def _sh_embed_ln(c: _Ctx) -> ShapeResult:
    ids, we = c.shape(0), c.shape(2)
    dt = c.dtype(2) if c.node.op_type == "EmbedLayerNormalization" else (c.dtype(8) or TensorProto.FLOAT)
    if ids is None or we is None:
        return [(None, dt, None)] * c.nout
    h = we[-1]
    result: list[ShapeOut] = [((ids[0], ids[1], h), dt, None), ((ids[0],), TensorProto.INT32, None),
            ((ids[0], ids[1], h), dt, None)]
    return result[: c.nout]


@op("BatchNormalization", shape=_sh_same, values=1, weights=(1, 2))
def _batchnorm(v: OpView) -> Counts:
    # inference: y = x * (scale / sqrt(var + eps)) + (bias - mean * ...) -> one mul + one add per element
    shape = v.ishape(0)
    c = shape[1] if len(shape) > 1 else 1
    return Counts(elementwise=2 * v.out_numel(), transcendental=c)


def _norm_counts(n: int, rows: int, per_elem: int, reductions: int) -> Counts:
    return Counts(elementwise=per_elem * n, reduction=reductions * n, transcendental=rows)


@op("InstanceNormalization", "GroupNormalization", shape=_sh_same, values=1, weights=(1, 2))
def _instnorm(v: OpView) -> Counts:
    shape = v.ishape(0)
    n = math.prod(shape)
    if v.op_type == "GroupNormalization":
        rows = shape[0] * int(v.attr("num_groups", 1))
    else:
        rows = shape[0] * (shape[1] if len(shape) > 1 else 1)
    # mean, var (2 reductions); x-mean, square, *invstd, *scale, +bias
    return _norm_counts(n, rows, 5, 2)


@op("GroupNorm", "SkipGroupNorm", domains=(MS,), shape=_sh_same, values=1, weights=(1, 2))
def _ms_groupnorm(v: OpView) -> Counts:
    shape = v.ishape(0)
    n = math.prod(shape)
    extra = 1 if v.op_type == "SkipGroupNorm" else 0
    act = 2 if int(v.attr("activation", 0)) else 0
    c = _norm_counts(n, shape[0] * int(v.attr("groups", 1)), 5 + extra + act, 2)
    c.transcendental += n if act else 0
    return c


def _ln_rows(v: OpView, default_axis: int = -1) -> tuple[int, int]:
    shape = v.ishape(0)
    n = math.prod(shape)
    if not shape:
        return n, 1
    axis = _norm_axis(int(v.attr("axis", default_axis)), len(shape))
    return n, math.prod(shape[:axis])


@op("QEmbedLayerNormalization", domains=(MS,), shape=_sh_embed_ln, weights=(2, 3, 4, 5, 6))
def _qembed_layernorm(v: OpView) -> Counts:
    c = _embed_layernorm(v)
    c.elementwise += 2 * 3 * v.out_numel()  # dequantize the three gathered rows
    return c


@op("LayerNormalization", domains=("", MS), shape=_sh_same, values=1, weights=(1, 2))
def _layernorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 5 if v.has(2) else 4, 2)


@op("SimplifiedLayerNormalization", domains=("", MS), shape=_sh_same, values=1, weights=(1,))
def _rmsnorm_simplified(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3, 1)  # square, *invrms, *scale ; sum of squares


@op("RMSNormalization", shape=_sh_same, values=1, weights=(1,))
def _rmsnorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3, 1)


@op("SkipLayerNormalization", domains=(MS,), shape=_sh_same, values=1, weights=(2, 3, 4))
def _skip_layernorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 5 + 1 + (1 if v.has(4) else 0), 2)


@op("SkipSimplifiedLayerNormalization", domains=(MS,), shape=_sh_same, values=1, weights=(2, 3))
def _skip_rmsnorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3 + 1 + (1 if v.has(3) else 0), 1)


@op("EmbedLayerNormalization", domains=(MS,), shape=_sh_embed_ln, weights=(2, 3, 4, 5, 6))
def _embed_layernorm(v: OpView) -> Counts:
    shape = v.oshape(0)
    n = math.prod(shape)
    rows = n // shape[-1] if shape and shape[-1] else 0
    c = _norm_counts(n, rows, 5 + 2, 2)
    # each embedding table is gathered: only the looked-up rows are read
    c.read = {i: n for i in (2, 3, 4) if v.has(i)}
    return c


@op("LRN", shape=_sh_same, values=1)
def _lrn(v: OpView) -> Counts:
    n = v.out_numel()
    size = int(v.attr("size", 1))
    # sum of squares over `size` channels, then (bias + alpha/size * sum) ** beta and a division
    return Counts(elementwise=(2 * size + 2) * n, transcendental=2 * n)


@op("MeanVarianceNormalization", shape=_sh_same, values=1)
def _mvn(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, reduction=2 * n, transcendental=n)


@op("LpNormalization", shape=_sh_same, values=1)
def _lp_norm(v: OpView) -> Counts:
    shape = v.ishape(0)
    n = math.prod(shape)
    ax = _norm_axis(int(v.attr("axis", -1)), len(shape)) if shape else 0
    rows = n // shape[ax] if shape and shape[ax] else 0
    return Counts(elementwise=n, reduction=n, transcendental=n + rows)

"""Reductions, ArgMax/ArgMin, CumSum, TopK."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import TensorProto

from .base import Counts, OpView, ShapeResult, _axis, _Ctx, _norm_axis
from .elementwise import _sh_same
from .registry import Fusion, op


def _sh_topk(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    k = c.ints(1, "k")
    if s is None:
        return [(None, c.dtype(0), None), (None, TensorProto.INT64, None)]
    ax = _axis(int(c.attr("axis", -1)), len(s))
    out = list(s)
    out[ax] = k[0] if k else None
    return [(tuple(out), c.dtype(0), None), (tuple(out), TensorProto.INT64, None)]


def _sh_reduce(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    keep = int(c.attr("keepdims", 1))
    axes = c.ints(1, "axes")
    if axes is None and c.has(1):
        return [((None,) * len(s) if keep else None, c.dtype(0), None)]
    if not axes:
        if int(c.attr("noop_with_empty_axes", 0)):
            return [(s, c.dtype(0), c.value(0))]
        axes = list(range(len(s)))
    axes = sorted({_axis(a, len(s)) for a in axes})
    out = tuple((1 if i in axes else d) for i, d in enumerate(s)) if keep else tuple(
        d for i, d in enumerate(s) if i not in axes
    )
    x = c.value(0)
    f = _REDUCE_VALUE.get(c.node.op_type)
    val = f(x, axis=tuple(axes), keepdims=bool(keep)) if x is not None and f is not None else None
    return [(out, c.dtype(0), val)]


def _sh_argmax(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, TensorProto.INT64, None)]
    ax = _axis(int(c.attr("axis", 0)), len(s))
    keep = int(c.attr("keepdims", 1))
    out = tuple((1 if i == ax else d) for i, d in enumerate(s)) if keep else tuple(
        d for i, d in enumerate(s) if i != ax
    )
    return [(out, TensorProto.INT64, None)]


#: reduce op -> its numpy reduction (called with ``axis=`` and ``keepdims=``)
_REDUCE_VALUE: dict[str, Callable[..., Any]] = {"ReduceSum": np.sum, "ReduceProd": np.prod, "ReduceMax": np.max, "ReduceMin": np.min}


#: reduce op -> (elementwise per input element, elementwise per output, transcendental per input, per output)
REDUCE: dict[str, tuple[int, int, int, int]] = {
    "ReduceSum": (0, 0, 0, 0), "ReduceMax": (0, 0, 0, 0), "ReduceMin": (0, 0, 0, 0),
    "ReduceProd": (0, 0, 0, 0), "ReduceMean": (0, 1, 0, 0), "ReduceSumSquare": (1, 0, 0, 0),
    "ReduceL1": (1, 0, 0, 0), "ReduceL2": (1, 0, 0, 1), "ReduceLogSum": (0, 0, 0, 1),
    "ReduceLogSumExp": (0, 0, 1, 1), "ArgMax": (0, 0, 0, 0), "ArgMin": (0, 0, 0, 0),
}


@op(
    "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceMean", "ReduceSumSquare", "ReduceL1", "ReduceL2",
    "ReduceLogSum", "ReduceLogSumExp", shape=_sh_reduce, values=1,
)
@op("ArgMax", "ArgMin", shape=_sh_argmax, fusion=Fusion.BARRIER)
def _reduce(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    ei, eo, ti, to = REDUCE[v.op_type]
    return Counts(reduction=n_in, elementwise=ei * n_in + eo * n_out, transcendental=ti * n_in + to * n_out)


@op("CumSum", shape=_sh_same, values=1, fusion=Fusion.BARRIER)
@op("CumProd", shape=_sh_same, values=1)
def _cumsum(v: OpView) -> Counts:
    return Counts(reduction=v.in_numel(0))


@op("TopK", shape=_sh_topk, fusion=Fusion.BARRIER)
def _topk(v: OpView) -> Counts:
    n = v.in_numel(0)
    k = max(v.out_numel(0), 1)
    shape = v.ishape(0)
    axis = _norm_axis(int(v.attr("axis", -1)), len(shape)) if shape else 0
    kk = max(k // max(n // max(shape[axis], 1), 1), 1) if shape else 1
    return Counts(reduction=n * max(1, math.ceil(math.log2(kk + 1))), note="TopK ~ n*log2(k) comparisons")

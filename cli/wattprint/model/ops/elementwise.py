"""Elementwise ops and activations, variadic Sum/Max/Min/Mean, Softmax."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import TensorProto

from ..costs import MS
from .base import Counts, OpView, ShapeResult, Value, _axis, _bcast, _Ctx, _full, _norm_axis, _small
from .registry import op


def _sh_same(c: _Ctx) -> ShapeResult:
    op = c.node.op_type
    s, dt = c.shape(0), c.dtype(0)
    if op in _BOOL_OUT:
        dt = TensorProto.BOOL
    elif op == "QuantizeLinear":
        dt = c.dtype(2) or int(c.attr("output_dtype", 0)) or TensorProto.UINT8
    elif op == "DequantizeLinear":
        dt = int(c.attr("output_dtype", 0)) or c.dtype(1) or TensorProto.FLOAT
    elif op in ("QLinearSigmoid", "QLinearLeakyRelu") and c.has(4):
        dt = c.dtype(4) or dt
    val = None
    x = c.value(0)
    if x is not None and op in _UNARY_VALUE:
        with np.errstate(all="ignore"):
            val = np.asarray(_UNARY_VALUE[op](x))
    out = [(s, dt, val)]
    for k in range(1, c.nout):
        if op == "Dropout":
            out.append((s, TensorProto.BOOL, None))
        elif op == "BitmaskDropout":  # the mask packs one bit per element into uint32 words
            out.append(((math.ceil(math.prod(s) / 32),) if _full(s) else None, TensorProto.UINT32, None))
        elif op in ("SkipLayerNormalization", "SkipSimplifiedLayerNormalization") and k == 3:
            out.append((s, dt, None))
        elif op in ("LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization",
                    "SkipSimplifiedLayerNormalization") and s is not None:
            ax = _axis(int(c.attr("axis", -1)), len(s)) if s else 0
            stash = int(c.attr("stash_type", 1)) or TensorProto.FLOAT
            out.append((tuple(s[:ax]) + (1,) * (len(s) - ax), stash, None))
        elif op == "BatchNormalization" and s is not None and len(s) > 1:
            out.append(((s[1],), dt, None))
        else:
            out.append((None, 0, None))
    return out


def _sh_binary(c: _Ctx) -> ShapeResult:
    op = c.node.op_type
    idx = [i for i in range(len(c.ins)) if c.has(i)]
    s = _bcast(*[c.shape(i) for i in idx])
    dt = TensorProto.BOOL if op in _COMPARE else c.dtype(idx[0] if idx else 0)
    val = None
    f = _BINARY_VALUE.get(op)
    vals = [v for v in (c.value(i) for i in idx) if v is not None]
    if f is not None and vals and len(vals) == len(idx) and _small(s):
        with np.errstate(all="ignore"):
            acc = vals[0]
            for v in vals[1:]:
                acc = f(acc, v)
        val = np.asarray(acc)
        if op not in _COMPARE and op != "Div":
            val = val.astype(vals[0].dtype, copy=False)
    return [(s, dt, val)]


def _sh_qlinear_binary(c: _Ctx) -> ShapeResult:
    return [(_bcast(c.shape(0), c.shape(3)), c.dtype(0), None)]


def _sh_bias_split_gelu(c: _Ctx) -> ShapeResult:
    """BiasSplitGelu(X[N, S, D], bias[D]) -> Y[N, S, D/2]: (X + bias) split in halves, left * Gelu(right)."""
    s = c.shape(0)
    if s is None or not s:
        return [(None, c.dtype(0), None)]
    return [(tuple(s[:-1]) + ((s[-1] // 2) if s[-1] is not None else None,), c.dtype(0), None)]


def _sh_where(c: _Ctx) -> ShapeResult:
    s = _bcast(c.shape(0), c.shape(1), c.shape(2))
    vals = [v for v in (c.value(i) for i in range(3)) if v is not None]
    val = np.where(vals[0], vals[1], vals[2]) if len(vals) == 3 and _small(s) else None
    return [(s, c.dtype(1), val)]


#: op -> its value function (numpy ufuncs and lambdas over arrays)
_UNARY_VALUE: dict[str, Callable[[Value], Any]] = {
    "Identity": lambda x: x, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil,
    "Sqrt": np.sqrt, "Not": np.logical_not, "Sign": np.sign, "Relu": lambda x: np.maximum(x, 0),
    "Round": np.round, "Reciprocal": lambda x: 1 / x, "Exp": np.exp, "Log": np.log,
}



_BOOL_OUT = {"Not", "IsNaN", "IsInf"}


def _int_div(a: Value, b: Value) -> Value:
    if np.issubdtype(np.asarray(a).dtype, np.integer) and np.issubdtype(np.asarray(b).dtype, np.integer):
        return np.trunc(np.asarray(a, dtype=np.float64) / b).astype(np.result_type(a, b))
    return np.divide(a, b)


_BINARY_VALUE: dict[str, Callable[[Any, Any], Any] | None] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _int_div, "Pow": np.power,
    "Mod": np.mod, "Equal": np.equal, "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
    "GreaterOrEqual": np.greater_equal, "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
    "Max": np.maximum, "Min": np.minimum, "Sum": np.add, "BitShift": None,
}


_COMPARE = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"}


#: op -> (elementwise ops, transcendental ops) per output element
ELEMENTWISE: dict[str, tuple[int, int]] = {
    # one arithmetic/compare/select op per element
    "Add": (1, 0), "Sub": (1, 0), "Mul": (1, 0), "Neg": (1, 0), "Abs": (1, 0),
    "Relu": (1, 0), "Sign": (1, 0), "Ceil": (1, 0), "Floor": (1, 0), "Round": (1, 0),
    "Mod": (1, 0), "BitShift": (1, 0), "Not": (1, 0), "And": (1, 0), "Or": (1, 0), "Xor": (1, 0),
    "BitwiseNot": (1, 0), "BitwiseAnd": (1, 0), "BitwiseOr": (1, 0), "BitwiseXor": (1, 0),
    "Equal": (1, 0), "Less": (1, 0), "Greater": (1, 0), "LessOrEqual": (1, 0), "GreaterOrEqual": (1, 0),
    "IsNaN": (1, 0), "IsInf": (1, 0), "Where": (1, 0), "ThresholdedRelu": (1, 0),
    # piecewise-linear activations
    "LeakyRelu": (2, 0), "PRelu": (2, 0), "Clip": (2, 0), "Shrink": (2, 0),
    "HardSigmoid": (3, 0), "HardSwish": (4, 0),
    # transcendental: exp, log, tanh, erf, sqrt, sigmoid, div, pow, trig
    "Div": (0, 1), "Pow": (0, 1), "Reciprocal": (0, 1), "Sqrt": (0, 1), "Exp": (0, 1), "Log": (0, 1),
    "Tanh": (0, 1), "Erf": (0, 1), "Sigmoid": (0, 1),
    "Sin": (0, 1), "Cos": (0, 1), "Tan": (0, 1), "Asin": (0, 1), "Acos": (0, 1), "Atan": (0, 1),
    "Sinh": (0, 1), "Cosh": (0, 1), "Asinh": (0, 1), "Acosh": (0, 1), "Atanh": (0, 1),
    "Elu": (2, 1), "Celu": (3, 1), "Selu": (3, 1),
    "Softplus": (1, 2), "Softsign": (2, 1), "Mish": (2, 3), "Swish": (1, 1),
    # x * 0.5 * (1 + erf(x / sqrt 2)); tanh approximation: ~6 arithmetic + tanh
    "Gelu": (4, 1),
    # quantization: x / scale -> round -> + zero point -> saturate ; (x - zp) * scale
    "QuantizeLinear": (3, 1), "DequantizeLinear": (2, 0),
}


MS_ELEMENTWISE: dict[str, tuple[int, int]] = {
    "FastGelu": (7, 1), "BiasGelu": (5, 1), "QuickGelu": (2, 1), "Gelu": (4, 1),
    "BiasAdd": (2, 0), "QuantizeLinear": (3, 1), "DequantizeLinear": (2, 0),
    "QLinearAdd": (5, 0), "QLinearMul": (5, 0), "QLinearSigmoid": (4, 1), "QLinearLeakyRelu": (5, 0),
    "QLinearSoftmax": (4, 2), "BiasSplitGelu": (5, 1), "BiasDropout": (2, 0),
}


@op(
    "Add", "Sub", "Mul", "Mod", "BitShift", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Equal",
    "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Div", "Pow", shape=_sh_binary, values=2,
)
@op(
    "Neg", "Abs", "Relu", "Sign", "Ceil", "Floor", "Round", "Not", "BitwiseNot", "IsNaN", "IsInf",
    "ThresholdedRelu", "LeakyRelu", "PRelu", "Clip", "Shrink", "HardSigmoid", "HardSwish", "Reciprocal", "Sqrt",
    "Exp", "Log", "Tanh", "Erf", "Sigmoid", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Elu", "Celu", "Selu", "Softplus", "Softsign", "Mish", "Swish", shape=_sh_same, values=1,
)
@op("Where", shape=_sh_where, values=3)
@op("Gelu", domains=("", MS), shape=_sh_same, values=1)
@op("QuantizeLinear", "DequantizeLinear", domains=("", MS), shape=_sh_same, values=1, weights=())
@op(
    "FastGelu", "BiasGelu", "QuickGelu", "BiasAdd", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax",
    "BiasDropout", domains=(MS,), shape=_sh_same, values=1,
)
@op("QLinearAdd", "QLinearMul", domains=(MS,), shape=_sh_qlinear_binary)
@op("BiasSplitGelu", domains=(MS,), shape=_sh_bias_split_gelu)
def _elementwise(v: OpView) -> Counts:
    table = MS_ELEMENTWISE if v.domain == MS else ELEMENTWISE
    e, t = table[v.op_type]
    n = v.out_numel()
    if v.op_type == "Gelu" and v.attr("approximate", b"none") in (b"tanh", "tanh"):
        e = 6
    if v.op_type == "FastGelu" and v.has(1):
        e += 1
    c = Counts(elementwise=e * n, transcendental=t * n)
    if v.op_type.startswith("QLinear"):
        c.precision = "int8"
    return c


@op("Sum", "Max", "Min", "Mean", shape=_sh_binary, values=2)
def _variadic(v: OpView) -> Counts:
    n = v.out_numel()
    k = sum(1 for t in v.inputs if t is not None)
    ops = max(k - 1, 0) * n + (n if v.op_type == "Mean" else 0)
    return Counts(elementwise=ops)


def _softmax_rows(v: OpView) -> tuple[int, int]:
    shape = v.ishape(0)
    n = math.prod(shape)
    if not shape:
        return n, 1
    axis = _norm_axis(int(v.attr("axis", 1 if v.opset < 13 else -1)), len(shape))
    width = math.prod(shape[axis:]) if v.opset < 13 else shape[axis]
    return n, (n // width if width else 0)


@op("Softmax", "LogSoftmax", "Hardmax", shape=_sh_same, values=1)
def _softmax(v: OpView) -> Counts:
    n, rows = _softmax_rows(v)
    if v.op_type == "Softmax":  # max, x-max, exp, sum, /sum
        return Counts(elementwise=n, reduction=2 * n, transcendental=2 * n)
    if v.op_type == "LogSoftmax":  # max, x-max, exp, sum, log(sum) per row, -log
        return Counts(elementwise=2 * n, reduction=2 * n, transcendental=n + rows)
    return Counts(elementwise=n, reduction=n)  # Hardmax: argmax + write one-hot


@op("BiasSoftmax", domains=(MS,), shape=_sh_same, values=1)
def _bias_softmax(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=2 * n, reduction=2 * n, transcendental=2 * n)


@op("SwiGLU", shape=_sh_same, values=1)
def _swiglu(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, transcendental=n)

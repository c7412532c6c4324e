"""Per-node work counting for ONNX operators.

Pure core: no printing, no exiting. This module holds

* the result dataclasses :class:`NodeCost` and :class:`ModelCost`;
* the view objects a counting rule receives (:class:`TensorView`, :class:`OpView`);
* the one registry of counting rules, ``RULES``: ``(domain, op_type) -> Rule``.

Adding an operator is a one-place, few-line addition::

    @rule("MyOp", domains=("", MS), weights=(1,))
    def _my_op(v: OpView) -> Counts:
        return Counts(macs=v.out_numel() * v.ishape(1)[-1])

A rule returns :class:`Counts` (MACs, elementwise, reduction and transcendental
ops, optionally a note, a precision override or the number of elements it
really reads from an input) or raises :class:`NotCountable` with a short
generic reason. Bytes, parameters and precision are derived uniformly by
:func:`cost_node`; the conventions are documented in ``docs/op-counting.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Mapping, Sequence

import numpy as np

MS = "com.microsoft"

# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------

#: ONNX TensorProto.DataType -> (short name, bits per element)
DTYPES: dict[int, tuple[str, int]] = {
    1: ("fp32", 32),
    2: ("uint8", 8),
    3: ("int8", 8),
    4: ("uint16", 16),
    5: ("int16", 16),
    6: ("int32", 32),
    7: ("int64", 64),
    8: ("string", 64),  # variable length; costed as one 8-byte reference
    9: ("bool", 8),
    10: ("fp16", 16),
    11: ("fp64", 64),
    12: ("uint32", 32),
    13: ("uint64", 64),
    14: ("complex64", 64),
    15: ("complex128", 128),
    16: ("bf16", 16),
    17: ("fp8", 8),
    18: ("fp8", 8),
    19: ("fp8", 8),
    20: ("fp8", 8),
    21: ("uint4", 4),
    22: ("int4", 4),
    23: ("fp4", 4),
    24: ("fp8", 8),
    25: ("uint2", 2),
    26: ("int2", 2),
    27: ("fp6", 6),
    28: ("fp6", 6),
}
FLOAT_NAMES = frozenset({"fp64", "fp32", "fp16", "bf16", "fp8", "fp6", "fp4"})
FLOAT_TYPES = frozenset(k for k, (n, _) in DTYPES.items() if n in FLOAT_NAMES)
#: the precisions ``analyze_model(precision=...)`` accepts, with their element size
PRECISION_BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8}
#: integer types that a quantized (int8-class) kernel computes in
INT8_CLASS = frozenset({2, 3})
LOWBIT_INT = frozenset({2, 3, 21, 22, 25, 26})


_NAMES = {k: n for k, (n, _) in DTYPES.items()}
_BITS = {k: b for k, (_, b) in DTYPES.items()}


def dtype_name(dt: int) -> str:
    return _NAMES.get(dt, "unknown")


def dtype_bits(dt: int) -> int:
    """Bits per element (unknown dtypes are costed as 32-bit)."""
    return _BITS.get(dt, 32)


def nbytes(numel: int, bits: int) -> int:
    return (numel * bits + 7) // 8


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeCost:
    name: str  # node name, or f"{op_type}_{index}" when empty
    op_type: str
    domain: str  # "" for ai.onnx, "com.microsoft", ...
    output_shape: tuple[int, ...] | None  # first output
    precision: str  # compute dtype: "fp32", "fp16", "int8", "int64", "bool", ...
    macs: int  # multiply-accumulates
    elementwise_ops: int
    reduction_ops: int
    transcendental_ops: int
    params: int  # weight elements attributed to this node
    bytes_read: int  # inputs incl. weights
    bytes_written: int  # outputs
    weight_bytes: int  # part of bytes_read that is parameters
    counted: bool
    note: str | None = None  # why not counted, or how it was counted
    #: graph edges, for the energy model's fusion of elementwise epilogues (tensor names)
    activation_inputs: tuple[str, ...] = ()  # non-constant inputs
    outputs: tuple[str, ...] = ()
    #: bytes read from each of ``activation_inputs`` and written to each of ``outputs`` (same order)
    activation_bytes: tuple[int, ...] = ()
    output_bytes: tuple[int, ...] = ()

    @property
    def flops(self) -> int:
        return 2 * self.macs + self.elementwise_ops + self.reduction_ops + self.transcendental_ops


@dataclass(frozen=True)
class ModelCost:
    path: str
    producer: str  # producer_name + version
    opset: int  # default-domain opset
    graph_name: str
    inputs: tuple[tuple[str, tuple[int, ...], str], ...]  # bound shapes (-1: unbound, unused), dtypes
    dims: tuple[tuple[str, int], ...]  # symbolic dims bound
    nodes: tuple[NodeCost, ...]  # graph (topological) order
    not_counted: tuple[tuple[str, int, str], ...]  # (op_type, count, reason)
    warnings: tuple[str, ...]

    def _total(self, attr: str) -> int:
        return sum(getattr(n, attr) for n in self.nodes)

    @cached_property
    def macs(self) -> int:
        return self._total("macs")

    @cached_property
    def elementwise_ops(self) -> int:
        return self._total("elementwise_ops")

    @cached_property
    def reduction_ops(self) -> int:
        return self._total("reduction_ops")

    @cached_property
    def transcendental_ops(self) -> int:
        return self._total("transcendental_ops")

    @cached_property
    def flops(self) -> int:
        return 2 * self.macs + self.elementwise_ops + self.reduction_ops + self.transcendental_ops

    @cached_property
    def params(self) -> int:
        return self._total("params")

    @cached_property
    def bytes_read(self) -> int:
        return self._total("bytes_read")

    @cached_property
    def bytes_written(self) -> int:
        return self._total("bytes_written")

    @cached_property
    def weight_bytes(self) -> int:
        return self._total("weight_bytes")

    @property
    def counted_nodes(self) -> int:
        return sum(1 for n in self.nodes if n.counted)

    @property
    def not_counted_nodes(self) -> int:
        return sum(c for _, c, _ in self.not_counted)


# --------------------------------------------------------------------------
# what a rule sees
# --------------------------------------------------------------------------


class NotCountable(Exception):
    """Raised by a rule: the node cannot be counted. ``reason`` is short and generic."""

    def __init__(self, reason: str, *, shape_unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.shape_unknown = shape_unknown


class TensorView:
    """One input or output of a node, as resolved by the graph walk."""

    __slots__ = ("name", "shape", "dtype", "const", "value", "dq_dtype")

    def __init__(self, name, shape, dtype, const=False, value=None, dq_dtype=0):
        self.name: str = name
        self.shape: tuple[int, ...] | None = shape  # None unless every dim is known
        self.dtype: int = dtype  # TensorProto enum, 0 = unknown
        self.const: bool = const  # initializer, Constant or computed from constants only
        self.value: np.ndarray | None = value  # small tensors only
        self.dq_dtype: int = dq_dtype  # produced by DequantizeLinear from this dtype

    @property
    def numel(self) -> int:
        if self.shape is None:
            raise NotCountable("shape unknown", shape_unknown=True)
        return math.prod(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_TYPES

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"TensorView({self.name!r}, {self.shape}, {dtype_name(self.dtype)})"


class OpView:
    """What a counting rule receives: the node, its resolved inputs/outputs and attributes."""

    __slots__ = ("op_type", "domain", "name", "inputs", "outputs", "opset", "_attrs")

    def __init__(self, op_type, domain, name, inputs, outputs, attrs, opset):
        self.op_type: str = op_type
        self.domain: str = domain
        self.name: str = name
        self.inputs: tuple[TensorView | None, ...] = inputs  # None for an omitted optional input
        self.outputs: tuple[TensorView | None, ...] = outputs
        self.opset: int = opset
        self._attrs: Mapping[str, object] | Callable[[], Mapping[str, object]] = attrs

    @property
    def attrs(self) -> Mapping[str, object]:
        if callable(self._attrs):
            self._attrs = self._attrs()
        return self._attrs

    def attr(self, name: str, default=None):
        return self.attrs.get(name, default)

    def has(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] is not None

    def inp(self, i: int) -> TensorView | None:
        return self.inputs[i] if i < len(self.inputs) else None

    def ishape(self, i: int) -> tuple[int, ...]:
        t = self.inp(i)
        if t is None:
            raise NotCountable(f"input {i} missing")
        if t.shape is None:
            raise NotCountable("input shape unknown", shape_unknown=True)
        return t.shape

    def oshape(self, i: int = 0) -> tuple[int, ...]:
        t = self.outputs[i] if i < len(self.outputs) else None
        if t is None:
            raise NotCountable(f"output {i} missing")
        if t.shape is None:
            raise NotCountable("output shape unknown", shape_unknown=True)
        return t.shape

    def in_numel(self, i: int = 0) -> int:
        return math.prod(self.ishape(i))

    def out_numel(self, i: int = 0) -> int:
        return math.prod(self.oshape(i))

    def ivalue(self, i: int):
        t = self.inp(i)
        return None if t is None else t.value


class Counts:
    """What a rule returns."""

    __slots__ = ("macs", "elementwise", "reduction", "transcendental", "note", "precision", "read", "weight_elems")

    def __init__(
        self,
        macs: int = 0,
        elementwise: int = 0,
        reduction: int = 0,
        transcendental: int = 0,
        note: str | None = None,
        precision: str | None = None,
        read: Mapping[int, int] | None = None,
        weight_elems: Mapping[int, int] | None = None,
    ):
        self.macs = int(macs)
        self.elementwise = int(elementwise)
        self.reduction = int(reduction)
        self.transcendental = int(transcendental)
        self.note = note
        self.precision = precision  # compute-precision override ("int8" for quantized kernels)
        self.read = read  # input index -> elements actually read (Gather, Slice, Shape)
        self.weight_elems = weight_elems  # input index -> parameter elements (packed weights)


@dataclass(frozen=True)
class Rule:
    fn: Callable[[OpView], Counts]
    #: input positions that are parameters when constant; None = automatic (every constant
    #: floating-point or 8/4/2-bit integer input with more than one element)
    weights: tuple[int, ...] | None = None


RULES: dict[tuple[str, str], Rule] = {}


def rule(*op_types: str, domains: Sequence[str] = ("",), weights: tuple[int, ...] | None = None):
    """Register ``fn`` as the counting rule of ``op_types`` in ``domains``."""

    def deco(fn: Callable[[OpView], Counts]):
        for op in op_types:
            for d in domains:
                RULES[(d, op)] = Rule(fn, weights)
        return fn

    return deco


def normalize_domain(domain: str) -> str:
    return "" if domain in ("", "ai.onnx") else domain


def lookup_rule(domain: str, op_type: str) -> Rule | None:
    return RULES.get((normalize_domain(domain), op_type))


def _norm_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


# --------------------------------------------------------------------------
# rules: elementwise and activations
# --------------------------------------------------------------------------

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


@rule("CastLike")
def _cast_like(v: OpView) -> Counts:
    return Counts(read={1: 0})  # only the dtype of `target_type` is used


rule(*ELEMENTWISE)(_elementwise)
rule(*MS_ELEMENTWISE, domains=(MS,))(_elementwise)
# scales and zero points are quantization constants, not parameters
rule("QuantizeLinear", "DequantizeLinear", domains=("", MS), weights=())(_elementwise)


@rule("Sum", "Max", "Min", "Mean")
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


@rule("Softmax", "LogSoftmax", "Hardmax")
def _softmax(v: OpView) -> Counts:
    n, rows = _softmax_rows(v)
    if v.op_type == "Softmax":  # max, x-max, exp, sum, /sum
        return Counts(elementwise=n, reduction=2 * n, transcendental=2 * n)
    if v.op_type == "LogSoftmax":  # max, x-max, exp, sum, log(sum) per row, -log
        return Counts(elementwise=2 * n, reduction=2 * n, transcendental=n + rows)
    return Counts(elementwise=n, reduction=n)  # Hardmax: argmax + write one-hot


@rule("BiasSoftmax", domains=(MS,))
def _bias_softmax(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=2 * n, reduction=2 * n, transcendental=2 * n)


# --------------------------------------------------------------------------
# normalization
# --------------------------------------------------------------------------


@rule("BatchNormalization", weights=(1, 2))
def _batchnorm(v: OpView) -> Counts:
    # inference: y = x * (scale / sqrt(var + eps)) + (bias - mean * ...) -> one mul + one add per element
    shape = v.ishape(0)
    c = shape[1] if len(shape) > 1 else 1
    return Counts(elementwise=2 * v.out_numel(), transcendental=c)


def _norm_counts(n: int, rows: int, per_elem: int, reductions: int) -> Counts:
    return Counts(elementwise=per_elem * n, reduction=reductions * n, transcendental=rows)


@rule("InstanceNormalization", "GroupNormalization", weights=(1, 2))
def _instnorm(v: OpView) -> Counts:
    shape = v.ishape(0)
    n = math.prod(shape)
    if v.op_type == "GroupNormalization":
        rows = shape[0] * int(v.attr("num_groups", 1))
    else:
        rows = shape[0] * (shape[1] if len(shape) > 1 else 1)
    # mean, var (2 reductions); x-mean, square, *invstd, *scale, +bias
    return _norm_counts(n, rows, 5, 2)


@rule("GroupNorm", "SkipGroupNorm", domains=(MS,), weights=(1, 2))
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


@rule("QEmbedLayerNormalization", domains=(MS,), weights=(2, 3, 4, 5, 6))
def _qembed_layernorm(v: OpView) -> Counts:
    c = _embed_layernorm(v)
    c.elementwise += 2 * 3 * v.out_numel()  # dequantize the three gathered rows
    return c


@rule("GatherBlockQuantized", domains=(MS,), weights=(0,))
def _gather_block_quantized(v: OpView) -> Counts:
    n = v.out_numel()
    data = v.ishape(0)
    bits = int(v.attr("bits", 4))
    per_byte = 8 // bits if v.inp(0).dtype in (2, 3) and bits < 8 else 1
    return Counts(elementwise=2 * n, read={0: n // per_byte}, weight_elems={0: math.prod(data) * per_byte},
                  note=f"int{bits} block-quantized embedding")


@rule("LayerNormalization", domains=("", MS), weights=(1, 2))
def _layernorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 5 if v.has(2) else 4, 2)


@rule("SimplifiedLayerNormalization", domains=("", MS), weights=(1,))
def _rmsnorm_simplified(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3, 1)  # square, *invrms, *scale ; sum of squares


@rule("RMSNormalization", weights=(1,))
def _rmsnorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3, 1)


@rule("SkipLayerNormalization", domains=(MS,), weights=(2, 3, 4))
def _skip_layernorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 5 + 1 + (1 if v.has(4) else 0), 2)


@rule("SkipSimplifiedLayerNormalization", domains=(MS,), weights=(2, 3))
def _skip_rmsnorm(v: OpView) -> Counts:
    n, rows = _ln_rows(v)
    return _norm_counts(n, rows, 3 + 1 + (1 if v.has(3) else 0), 1)


@rule("EmbedLayerNormalization", domains=(MS,), weights=(2, 3, 4, 5, 6))
def _embed_layernorm(v: OpView) -> Counts:
    shape = v.oshape(0)
    n = math.prod(shape)
    rows = n // shape[-1] if shape and shape[-1] else 0
    c = _norm_counts(n, rows, 5 + 2, 2)
    # each embedding table is gathered: only the looked-up rows are read
    c.read = {i: n for i in (2, 3, 4) if v.has(i)}
    return c


@rule("LRN")
def _lrn(v: OpView) -> Counts:
    n = v.out_numel()
    size = int(v.attr("size", 1))
    # sum of squares over `size` channels, then (bias + alpha/size * sum) ** beta and a division
    return Counts(elementwise=(2 * size + 2) * n, transcendental=2 * n)


@rule("MeanVarianceNormalization")
def _mvn(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, reduction=2 * n, transcendental=n)


# --------------------------------------------------------------------------
# convolution, matmul
# --------------------------------------------------------------------------


def _conv_macs(v: OpView, x: int, w: int) -> int:
    # N * Cout * prod(out spatial) * (Cin/group) * prod(kernel) == numel(Y) * prod(W.shape[1:])
    wshape = v.ishape(w)
    v.ishape(x)
    return v.out_numel() * math.prod(wshape[1:])


@rule("Conv", weights=(1, 2))
def _conv(v: OpView) -> Counts:
    return Counts(macs=_conv_macs(v, 0, 1), elementwise=v.out_numel() if v.has(2) else 0)


@rule("FusedConv", "NhwcConv", domains=(MS,), weights=(1, 2))
def _fused_conv(v: OpView) -> Counts:
    n = v.out_numel()
    act = v.attr("activation", b"")
    ew = (n if v.has(2) else 0) + (n if v.has(3) else 0) + (n if act else 0)
    tr = n if act in (b"Sigmoid", b"Tanh", "Sigmoid", "Tanh") else 0
    return Counts(macs=_conv_macs(v, 0, 1), elementwise=ew, transcendental=tr)


@rule("ConvInteger", weights=(1,))
def _conv_integer(v: OpView) -> Counts:
    return Counts(macs=_conv_macs(v, 0, 1), precision="int8")


@rule("QLinearConv", domains=("", MS), weights=(3, 8))
def _qlinear_conv(v: OpView) -> Counts:
    n = v.out_numel()
    # requantize: * (x_scale*w_scale/y_scale), + y_zero_point, saturate ; + int32 bias
    return Counts(macs=_conv_macs(v, 0, 3), elementwise=3 * n + (n if v.has(8) else 0), precision="int8")


@rule("ConvTranspose", weights=(1, 2))
def _conv_transpose(v: OpView) -> Counts:
    # N * Cin * prod(in spatial) * (Cout/group) * prod(kernel) == numel(X) * prod(W.shape[1:])
    return Counts(
        macs=v.in_numel(0) * math.prod(v.ishape(1)[1:]),
        elementwise=v.out_numel() if v.has(2) else 0,
    )


def _gemm_dims(v: OpView, a: int = 0, b: int = 1) -> tuple[int, int, int]:
    """(M, N, K) of a Gemm-like node with operands at inputs ``a`` and ``b``."""
    sa, sb = v.ishape(a), v.ishape(b)
    if len(sa) != 2 or len(sb) != 2:
        raise NotCountable("Gemm operands are not 2-D")
    m, k = (sa[1], sa[0]) if int(v.attr("transA", 0)) else sa
    n = sb[0] if int(v.attr("transB", 0)) else sb[1]
    return m, n, k


@rule("Gemm")
def _gemm(v: OpView) -> Counts:
    m, n, k = _gemm_dims(v)
    ew = 0
    if float(v.attr("alpha", 1.0)) != 1.0:
        ew += m * n
    if v.has(2):
        beta = float(v.attr("beta", 1.0))
        ew += m * n * (0 if beta == 0 else (1 if beta == 1 else 2))
    return Counts(macs=m * n * k, elementwise=ew)


@rule("FusedGemm", domains=(MS,))
def _fused_gemm(v: OpView) -> Counts:
    c = _gemm(v)
    m, n, _ = _gemm_dims(v)
    c.elementwise += m * n if v.attr("activation") else 0
    return c


def _matmul_k(v: OpView, a: int, b: int, trans_a: bool = False) -> int:
    sa = v.ishape(a)
    v.ishape(b)
    if not sa:
        raise NotCountable("MatMul operand is a scalar")
    if trans_a and len(sa) >= 2:
        return sa[-2]
    return sa[-1]


@rule("MatMul", weights=(0, 1))
def _matmul(v: OpView) -> Counts:
    # broadcast batch * M * N * K == numel(Y) * K
    return Counts(macs=v.out_numel() * _matmul_k(v, 0, 1))


@rule("MatMulInteger", weights=(0, 1))
def _matmul_integer(v: OpView) -> Counts:
    return Counts(macs=v.out_numel() * _matmul_k(v, 0, 1), precision="int8")


@rule("QLinearMatMul", domains=("", MS), weights=(0, 3))
def _qlinear_matmul(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 3), elementwise=3 * n, precision="int8")


@rule("MatMulIntegerToFloat", domains=(MS,), weights=(0, 1))
def _matmul_int_to_float(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 1), elementwise=2 * n, precision="int8")


@rule("QGemm", domains=(MS,), weights=(3, 6))
def _qgemm(v: OpView) -> Counts:
    m, n, k = _gemm_dims(v, 0, 3)
    return Counts(macs=m * n * k, elementwise=3 * m * n, precision="int8")


@rule("FusedMatMul", "TransposeMatMul", domains=(MS,), weights=(0, 1))
def _fused_matmul(v: OpView) -> Counts:
    n = v.out_numel()
    k = _matmul_k(v, 0, 1, trans_a=bool(int(v.attr("transA", 0))))
    return Counts(macs=n * k, elementwise=n if float(v.attr("alpha", 1.0)) != 1.0 else 0)


@rule("MatMulNBits", domains=(MS,), weights=(1, 5))
def _matmul_nbits(v: OpView) -> Counts:
    k, n_out = int(v.attr("K", 0)), int(v.attr("N", 0))
    if not k or not n_out:
        raise NotCountable("MatMulNBits without K/N attributes")
    out = v.out_numel()
    bits = int(v.attr("bits", 4))
    # dequantize each weight once per call: (w - zp) * scale
    return Counts(
        macs=out * k,
        elementwise=2 * n_out * k + (out if v.has(5) else 0),
        weight_elems={1: n_out * k},
        note=f"int{bits} block-quantized weights",
    )


@rule("GemmFastGelu", domains=(MS,), weights=(1, 2))
def _gemm_fast_gelu(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 1), elementwise=8 * n, transcendental=n)


def parse_einsum(equation: str, shapes: Sequence[tuple[int, ...]]) -> tuple[dict[str, int], list[str], str]:
    """Return ({index: size}, [operand indices...], output indices); ellipsis dims become digits."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise NotCountable("Einsum equation does not match its inputs")
    sizes: dict[str, int] = {}
    ell_rank = 0
    expanded: list[str] = []
    for term, shape in zip(terms, shapes):
        letters = term.replace("...", "")
        if "..." in term:
            r = len(shape) - len(letters)
            if r < 0:
                raise NotCountable("Einsum operand rank mismatch")
            ell_rank = max(ell_rank, r)
            ell = "".join(str(9 - j) for j in range(r - 1, -1, -1))  # right-aligned pseudo indices
            term = term.replace("...", ell)
        if len(term) != len(shape):
            raise NotCountable("Einsum operand rank mismatch")
        for ch, d in zip(term, shape):
            if sizes.get(ch, 1) == 1 or d != 1:
                sizes[ch] = d if sizes.get(ch, 1) == 1 else sizes[ch]
        expanded.append(term)
    ell = "".join(str(9 - j) for j in range(ell_rank - 1, -1, -1))
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts: dict[str, int] = {}
        for t in expanded:
            for ch in t:
                if not ch.isdigit():
                    counts[ch] = counts.get(ch, 0) + 1
        out = ell + "".join(sorted(ch for ch, c in counts.items() if c == 1))
    return sizes, expanded, out


@rule("Einsum", weights=None)
def _einsum(v: OpView) -> Counts:
    shapes = [v.ishape(i) for i in range(len(v.inputs))]
    sizes, terms, out = parse_einsum(str(_s(v.attr("equation", ""))), shapes)
    total = math.prod(sizes.values())
    if len(terms) >= 2:
        return Counts(macs=total)
    if set(out) == set(terms[0]):
        return Counts(note="Einsum permutation (data movement)")
    return Counts(reduction=total)


def _s(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


# --------------------------------------------------------------------------
# attention
# --------------------------------------------------------------------------


def _attention_core(b: int, heads: int, s: int, kv: int, hq: int, hv: int) -> Counts:
    scores = b * heads * s * kv
    # QK^T and AV ; scale + mask/bias add + softmax (max, sub, exp, sum, div)
    return Counts(
        macs=scores * (hq + hv),
        elementwise=3 * scores,
        reduction=2 * scores,
        transcendental=2 * scores,
        note=f"fused attention: {heads} heads, q_len {s}, kv_len {kv}",
    )


@rule("Attention", domains=(MS,), weights=(1, 2))
def _ms_attention(v: OpView) -> Counts:
    b, s, din = v.ishape(0)
    dqkv = v.ishape(1)[-1]
    heads = int(v.attr("num_heads", 1))
    sizes = v.attr("qkv_hidden_sizes")
    dq, dk, dv = [int(x) for x in sizes] if sizes else (dqkv // 3,) * 3
    past = v.ishape(4)[3] if v.has(4) else 0
    c = _attention_core(b, heads, s, s + past, dq // heads, dv // heads)
    c.macs += b * s * din * dqkv
    c.elementwise += b * s * dqkv if v.has(2) else 0
    return c


def _heads_hd(shape: tuple[int, ...], heads: int) -> tuple[int, int]:
    """(sequence length, head size) of a [B, L, heads*H] or [B, heads, L, H] tensor."""
    if len(shape) == 4:
        return shape[2], shape[3]
    if len(shape) == 3:
        return shape[1], shape[2] // max(heads, 1)
    raise NotCountable("unsupported attention input layout")


@rule("MultiHeadAttention", domains=(MS,), weights=(3,))
def _ms_mha(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    b, s = q[0], q[1]
    if len(q) == 5:  # packed QKV [B, S, N, 3, H]
        kv, hq, hv = s, q[4], q[4]
    else:
        hq = q[2] // heads
        if not v.has(1):
            raise NotCountable("unsupported attention input layout")
        k = v.ishape(1)
        if len(k) == 5:  # packed KV [B, L, N, 2, H]
            kv, hv = k[1], k[4]
        else:
            kv, _ = _heads_hd(k, heads)
            hv = _heads_hd(v.ishape(2), heads)[1] if v.has(2) else hq
        if v.has(6) and len(k) == 3:
            kv += v.ishape(6)[2]
    c = _attention_core(b, heads, s, kv, hq, hv)
    c.elementwise += b * s * v.in_numel(3) if v.has(3) else 0  # bias add (upper bound)
    return c


@rule("GroupQueryAttention", domains=(MS,))
def _ms_gqa(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    kv_heads = int(v.attr("kv_num_heads", heads))
    b, s, d = q
    hd = v.ishape(1)[2] // kv_heads if v.has(1) else d // (heads + 2 * kv_heads)
    total = None
    tv = v.ivalue(6)
    if tv is not None and np.size(tv) == 1:
        total = int(np.asarray(tv).reshape(-1)[0])
    if total is None:
        total = s + (v.ishape(3)[2] if v.has(3) else 0)
    c = _attention_core(b, heads, s, total, hd, hd)
    if int(v.attr("do_rotary", 0)):
        c.elementwise += 3 * b * s * (heads + 2 * kv_heads) * hd
    return c


@rule("Attention", domains=("",))
def _onnx_attention(v: OpView) -> Counts:
    q, k = v.ishape(0), v.ishape(1)
    vs = v.ishape(2)
    qh = int(v.attr("q_num_heads", 0)) or (q[1] if len(q) == 4 else 1)
    kvh = int(v.attr("kv_num_heads", 0)) or (k[1] if len(k) == 4 else qh)
    s, hq = _heads_hd(q, qh)
    kv, _ = _heads_hd(k, kvh)
    _, hv = _heads_hd(vs, kvh)
    if v.has(4):
        kv += v.ishape(4)[2]
    return _attention_core(q[0], qh, s, kv, hq, hv)


@rule("QAttention", domains=(MS,), weights=(1, 2))
def _ms_qattention(v: OpView) -> Counts:
    c = _ms_attention(v.__class__(v.op_type, v.domain, v.name, v.inputs[:3] + (None, None), v.outputs,
                                  v._attrs, v.opset))
    c.precision = "int8"
    return c


@rule("DecoderMaskedMultiHeadAttention", "DecoderMaskedSelfAttention", domains=(MS,))
def _ms_dmmha(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    b, s, d = q[0], q[1], q[2]
    hd = d // heads
    pidx = 5 if v.op_type == "DecoderMaskedMultiHeadAttention" else 4
    plen = v.ivalue(pidx + 2)
    if plen is not None and np.size(plen) == 1:
        total = int(np.asarray(plen).reshape(-1)[0]) + s
    elif v.has(pidx):
        total = v.ishape(pidx)[2]  # shared KV buffer: upper bound
    else:
        total = s
    return _attention_core(b, heads, s, total, hd, hd)


@rule("RotaryEmbedding", domains=("", MS), weights=())
def _rotary(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n)  # x*cos + rotate(x)*sin


# --------------------------------------------------------------------------
# recurrent
# --------------------------------------------------------------------------

_RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _rnn(v: OpView) -> Counts:
    x, w = v.ishape(0), v.ishape(1)
    if len(x) != 3 or len(w) != 3:
        raise NotCountable("recurrent op with unexpected input rank")
    seq, batch = (x[1], x[0]) if int(v.attr("layout", 0)) else (x[0], x[1])
    inp = x[2]
    gates = _RNN_GATES[v.op_type]
    dirs = w[0]
    hidden = int(v.attr("hidden_size", 0)) or w[1] // gates
    steps = seq * dirs * batch * hidden
    macs = steps * gates * (inp + hidden)
    bias = v.has(3)
    if v.op_type == "LSTM":  # Wx+Rh per gate, biases, c = f*c + i*g, h = o*tanh(c) ; 3 sigmoid + 2 tanh
        ew, tr = gates + (2 * gates if bias else 0) + 4 + (6 if v.has(7) else 0), 5
    elif v.op_type == "GRU":  # Wx+Rh, biases, r*(Rh), h = (1-z)*h~ + z*h ; 2 sigmoid + 1 tanh
        ew, tr = gates + (2 * gates if bias else 0) + 4, 3
    else:
        ew, tr = 1 + (2 if bias else 0), 1
    note = f"{v.op_type} x seq {seq}" + (f" x {dirs} directions" if dirs > 1 else "")
    return Counts(macs=macs, elementwise=ew * steps, transcendental=tr * steps, note=note)


rule("LSTM", weights=(1, 2, 3, 7))(_rnn)
rule("GRU", "RNN", weights=(1, 2, 3))(_rnn)


@rule("LinearAttention")
def _linear_attention(v: OpView) -> Counts:
    q, k, val = v.ishape(0), v.ishape(1), v.ishape(2)
    qh = int(v.attr("q_num_heads", 1))
    kvh = int(v.attr("kv_num_heads", qh))
    b, t = q[0], q[1]
    dk, dv = k[2] // kvh, val[2] // kvh
    state = dk * dv
    # recurrent form: per token, state update (k^T v, decay) per kv head, readout q.S per query head
    return Counts(macs=b * t * (kvh + qh) * state, elementwise=b * t * kvh * state,
                  note="linear attention (recurrent form)")


@rule("CausalConvWithState", weights=(1, 2))
def _causal_conv(v: OpView) -> Counts:
    x, w = v.ishape(0), v.ishape(1)
    n = math.prod(x)
    return Counts(macs=n * w[-1], elementwise=n if v.has(2) else 0)


@rule("DeformConv", weights=(1, 3))
def _deform_conv(v: OpView) -> Counts:
    macs = _conv_macs(v, 0, 1)
    # bilinear sampling of every (output position, input channel, kernel tap): 4 taps, ~8 ops
    return Counts(macs=macs, elementwise=8 * macs // max(v.ishape(1)[0] // int(v.attr("group", 1)), 1)
                  + (v.out_numel() if v.has(3) else 0))


@rule("RoiAlign")
def _roi_align(v: OpView) -> Counts:
    n = v.out_numel()
    s = int(v.attr("sampling_ratio", 0)) or 2
    return Counts(elementwise=8 * s * s * n, reduction=s * s * n, note=f"RoiAlign ~{s}x{s} samples per bin")


@rule("MaxRoiPool")
def _max_roi_pool(v: OpView) -> Counts:
    x, y = v.ishape(0), v.oshape(0)
    bin_area = max(math.prod(x[2:]) // max(math.prod(y[2:]), 1), 1)
    return Counts(reduction=v.out_numel() * bin_area, note="MaxRoiPool: whole-image bins (upper bound)")


@rule("LpNormalization")
def _lp_norm(v: OpView) -> Counts:
    shape = v.ishape(0)
    n = math.prod(shape)
    ax = _norm_axis(int(v.attr("axis", -1)), len(shape)) if shape else 0
    rows = n // shape[ax] if shape and shape[ax] else 0
    return Counts(elementwise=n, reduction=n, transcendental=n + rows)


@rule("SwiGLU")
def _swiglu(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, transcendental=n)


@rule("Det")
def _det(v: OpView) -> Counts:
    s = v.ishape(0)
    m = s[-1]
    return Counts(macs=math.prod(s[:-2]) * m**3 // 3, note="LU decomposition ~ m^3/3")


@rule("DFT", "STFT", weights=())
def _dft(v: OpView) -> Counts:
    n = v.out_numel()
    if v.op_type == "STFT":  # signal, frame_step, window, frame_length
        fl = v.ivalue(3)
        length = v.ishape(2)[0] if v.has(2) else (int(np.asarray(fl).reshape(-1)[0]) if fl is not None else 0)
    else:  # input, dft_length, axis
        dl = v.ivalue(1)
        if dl is not None and np.size(dl) == 1:
            length = int(np.asarray(dl).reshape(-1)[0])
        else:
            x = v.ishape(0)
            length = x[_norm_axis(int(v.attr("axis", 1)), len(x))] if len(x) > 1 else 2
    length = max(int(length), 2)
    return Counts(elementwise=5 * n * max(1, math.ceil(math.log2(length))) // 2,
                  note="FFT ~ 2.5 n log2(N) real ops per output value")


@rule("HannWindow", "HammingWindow", "BlackmanWindow")
def _window(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=2 * n, transcendental=n)


@rule("SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss", weights=())
def _loss(v: OpView) -> Counts:
    n = v.in_numel(0)
    if v.op_type == "SoftmaxCrossEntropyLoss":
        return Counts(elementwise=2 * n, reduction=3 * n, transcendental=n)
    return Counts(reduction=n)


@rule("BitCast", "TensorScatter", "MelWeightMatrix")
def _movement2(v: OpView) -> Counts:
    return Counts()


@rule("ExpandDims", "Crop", "Pad", "Range", "Trilu", "Unique", "Tokenizer", "RemovePadding", "RestorePadding",
      domains=(MS,))
def _ms_movement(v: OpView) -> Counts:
    return Counts()


@rule("MulInteger", domains=(MS,))
def _mul_integer(v: OpView) -> Counts:
    return Counts(elementwise=3 * v.out_numel(), precision="int8")


@rule("QLinearConcat", "QLinearWhere", "QLinearReduceMean", domains=(MS,))
def _qlinear_movement(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n, precision="int8")  # requantize each element


# --------------------------------------------------------------------------
# pooling, reductions
# --------------------------------------------------------------------------


@rule("MaxPool", "AveragePool", "LpPool")
@rule("NhwcMaxPool", "MaxpoolWithMask", domains=(MS,))
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


@rule("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool")
def _global_pool(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    if v.op_type == "GlobalMaxPool":
        return Counts(reduction=n_in)
    if v.op_type == "GlobalAveragePool":
        return Counts(reduction=n_in, elementwise=n_out)
    return Counts(reduction=n_in, elementwise=n_in, transcendental=2 * n_out)


@rule("QLinearGlobalAveragePool", "QLinearAveragePool", domains=(MS,))
def _qlinear_pool(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    ks = v.attr("kernel_shape")
    red = n_out * math.prod(int(k) for k in ks) if ks else n_in
    return Counts(reduction=red, elementwise=3 * n_out, precision="int8")


#: reduce op -> (elementwise per input element, elementwise per output, transcendental per input, per output)
REDUCE: dict[str, tuple[int, int, int, int]] = {
    "ReduceSum": (0, 0, 0, 0), "ReduceMax": (0, 0, 0, 0), "ReduceMin": (0, 0, 0, 0),
    "ReduceProd": (0, 0, 0, 0), "ReduceMean": (0, 1, 0, 0), "ReduceSumSquare": (1, 0, 0, 0),
    "ReduceL1": (1, 0, 0, 0), "ReduceL2": (1, 0, 0, 1), "ReduceLogSum": (0, 0, 0, 1),
    "ReduceLogSumExp": (0, 0, 1, 1), "ArgMax": (0, 0, 0, 0), "ArgMin": (0, 0, 0, 0),
}


@rule(*REDUCE)
def _reduce(v: OpView) -> Counts:
    n_in, n_out = v.in_numel(0), v.out_numel()
    ei, eo, ti, to = REDUCE[v.op_type]
    return Counts(reduction=n_in, elementwise=ei * n_in + eo * n_out, transcendental=ti * n_in + to * n_out)


@rule("CumSum", "CumProd")
def _cumsum(v: OpView) -> Counts:
    return Counts(reduction=v.in_numel(0))


@rule("TopK")
def _topk(v: OpView) -> Counts:
    n = v.in_numel(0)
    k = max(v.out_numel(0), 1)
    shape = v.ishape(0)
    axis = _norm_axis(int(v.attr("axis", -1)), len(shape)) if shape else 0
    kk = max(k // max(n // max(shape[axis], 1), 1), 1) if shape else 1
    return Counts(reduction=n * max(1, math.ceil(math.log2(kk + 1))), note="TopK ~ n*log2(k) comparisons")


# --------------------------------------------------------------------------
# resize, data movement, constants
# --------------------------------------------------------------------------


@rule("Resize", "Upsample", weights=())  # roi / scales / sizes are not parameters
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


@rule("GridSample", "AffineGrid", weights=())
def _grid_sample(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=12 * n)  # bilinear: 4 taps + coordinate arithmetic


#: zero arithmetic; only bytes are counted
DATA_MOVEMENT = (
    "Reshape", "Transpose", "Concat", "Split", "Squeeze", "Unsqueeze", "Flatten", "Expand", "Tile",
    "Pad", "Identity", "Cast", "Dropout", "DepthToSpace", "SpaceToDepth", "ReverseSequence",
    "ScatterND", "ScatterElements", "Scatter", "OneHot", "EyeLike", "Trilu", "Range", "ConstantOfShape",
    "MaxUnpool", "Compress", "CenterCropPad", "Col2Im", "ImageDecoder", "Optional", "OptionalGetElement",
    "OptionalHasElement", "Bernoulli", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
    "Multinomial", "DynamicSlice",
)


@rule(*DATA_MOVEMENT)
def _movement(v: OpView) -> Counts:
    return Counts()


@rule("Constant", weights=())
def _constant(v: OpView) -> Counts:
    return Counts()


@rule("Shape", "Size")
def _shape(v: OpView) -> Counts:
    return Counts(read={0: 0}, precision="int64")  # reads metadata, not data


@rule("Slice", "Gather", "GatherElements", "GatherND")
def _gather(v: OpView) -> Counts:
    # only the selected elements of the data input are read
    return Counts(read={0: v.out_numel()})


@rule("NonZero", "Unique", "NonMaxSuppression", "StringNormalizer", "RegexFullMatch", "StringSplit",
      "StringConcat")
def _data_dependent(v: OpView) -> Counts:
    n = v.in_numel(0)
    if v.outputs and v.outputs[0] is not None and v.outputs[0].shape is None:
        raise NotCountable("output size is data-dependent")
    return Counts(reduction=n)


SEQUENCE_OPS = (
    "SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceErase", "SequenceAt", "SequenceLength",
    "SplitToSequence", "ConcatFromSequence", "SequenceMap",
)


@rule(*SEQUENCE_OPS)
def _sequence(v: OpView) -> Counts:
    raise NotCountable("sequence-typed values are not costed")


@rule("DynamicQuantizeLinear")
def _dyn_quant(v: OpView) -> Counts:
    n = v.in_numel(0)
    # min + max reductions, scale/zero-point (scalar), then quantize each element
    return Counts(reduction=2 * n, elementwise=3 * n, transcendental=n, precision="int8")


@rule("DynamicQuantizeMatMul", domains=(MS,), weights=(1,))
def _dyn_quant_matmul(v: OpView) -> Counts:
    n_in = v.in_numel(0)
    return Counts(
        macs=v.out_numel() * _matmul_k(v, 0, 1), reduction=2 * n_in, elementwise=3 * n_in + v.out_numel(),
        precision="int8",
    )


# --------------------------------------------------------------------------
# costing one node
# --------------------------------------------------------------------------

#: float compute ops that a QDQ runtime fuses into an integer kernel
QDQ_COMPUTE = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm"})


def _no_rule_reason(domain: str, op_type: str) -> str:
    d = normalize_domain(domain)
    if d == "":
        return "no counting rule for this op"
    if d in (MS, "ai.onnx.ml", "ai.onnx.preview.training"):
        return f"no counting rule for {d} op"
    return f"unsupported domain '{d}'"


def not_counted(name: str, op_type: str, domain: str, oshape, precision: str, reason: str) -> NodeCost:
    return NodeCost(name, op_type, normalize_domain(domain), oshape, precision, 0, 0, 0, 0, 0, 0, 0, 0, False, reason)


def folded(name: str, op_type: str, domain: str, oshape, precision: str) -> NodeCost:
    return NodeCost(
        name, op_type, normalize_domain(domain), oshape, precision, 0, 0, 0, 0, 0, 0, 0, 0, True,
        "constant: folded at load time",
    )


def default_precision(v: OpView) -> str:
    first = 0
    for t in v.inputs:
        if t is not None and t.dtype:
            if t.dtype in FLOAT_TYPES:
                return dtype_name(t.dtype)
            first = first or t.dtype
    if first:
        return dtype_name(first)
    for t in v.outputs:
        if t is not None and t.dtype:
            return dtype_name(t.dtype)
    return "unknown"


def cost_node(v: OpView, precision: str | None, seen_params: set[str]) -> NodeCost:
    """Count one node. ``seen_params`` holds the weight tensors already attributed (model-wide).

    Raises nothing: an uncountable node comes back with ``counted=False`` and the reason in
    ``note``; ``NotCountable.shape_unknown`` is reported through :attr:`NodeCost.note` starting
    with ``"shape unknown"`` so that the caller can tell the user which dim to bind.
    """
    out0 = v.outputs[0] if v.outputs else None
    oshape = out0.shape if out0 is not None else None
    domain = normalize_domain(v.domain)
    r = RULES.get((domain, v.op_type))
    if r is None:
        return not_counted(v.name, v.op_type, v.domain, oshape, default_precision(v), _no_rule_reason(v.domain, v.op_type))
    try:
        c = r.fn(v)
        for i, t in enumerate(v.inputs):
            if t is not None and t.shape is None and not (c.read and c.read.get(i) == 0):
                raise NotCountable("input shape unknown", shape_unknown=True)
        for t in v.outputs:
            if t is not None and t.shape is None:
                raise NotCountable("output shape unknown", shape_unknown=True)
    except NotCountable as e:
        reason = e.reason
        if e.shape_unknown and not reason.startswith("shape unknown"):
            reason = "shape unknown: " + reason
        return not_counted(v.name, v.op_type, v.domain, oshape, default_precision(v), reason)
    except Exception as e:  # malformed node: never let one node abort the analysis
        return not_counted(v.name, v.op_type, v.domain, oshape, default_precision(v), f"malformed node ({type(e).__name__})")

    prec = c.precision or default_precision(v)
    note = c.note
    qdq = v.op_type in QDQ_COMPUTE and domain == ""
    if qdq and v.has(0) and v.has(1) and v.inputs[0].dq_dtype in INT8_CLASS and v.inputs[1].dq_dtype in INT8_CLASS:
        prec = "int8"
        note = (note + "; " if note else "") + "QDQ: inputs from DequantizeLinear(int8), counted at int8"
    if precision is not None and prec in FLOAT_NAMES:
        prec = precision
    override_bits = PRECISION_BITS[precision] if precision is not None else 0

    def bits(t: TensorView) -> int:  # (inlined rather than dtype_bits(): this runs for every tensor)
        if qdq and t.dq_dtype:
            return _BITS.get(t.dq_dtype, 32)
        if override_bits and t.dtype in FLOAT_TYPES:
            return override_bits
        return _BITS.get(t.dtype, 32)

    weights = r.weights
    read = c.read or {}
    wel = c.weight_elems or {}
    bytes_read = weight_bytes = params = 0
    activations = []
    activation_bytes = []
    for i, t in enumerate(v.inputs):
        if t is None:
            continue
        if t.shape is None:  # (an input that is not read needs no shape)
            if not t.const:
                activations.append(t.name)
                activation_bytes.append(0)
            continue
        n = math.prod(t.shape)
        b = (read.get(i, n) * bits(t) + 7) // 8
        bytes_read += b
        if not t.const:
            activations.append(t.name)
            activation_bytes.append(b)
        if t.const and (i in weights if weights is not None else (n > 1 and (t.dtype in FLOAT_TYPES or t.dtype in LOWBIT_INT))):
            weight_bytes += b
            if t.name not in seen_params:
                seen_params.add(t.name)
                params += wel.get(i, n)
    bytes_written = 0
    outputs = []
    output_bytes = []
    for t in v.outputs:
        if t is not None:
            outputs.append(t.name)
            b = (math.prod(t.shape) * bits(t) + 7) // 8
            output_bytes.append(b)
            bytes_written += b
    return NodeCost(
        v.name, v.op_type, domain, oshape, prec, c.macs, c.elementwise, c.reduction,
        c.transcendental, params, bytes_read, bytes_written, weight_bytes, True, note,
        tuple(activations), tuple(outputs), tuple(activation_bytes), tuple(output_bytes),
    )

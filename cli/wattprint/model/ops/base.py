"""What the rules see: the views a counting rule receives (:class:`OpView`, :class:`TensorView`), what it
returns (:class:`Counts`, :class:`NotCountable`), and the context and helpers of shape rules (:class:`_Ctx`)."""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from ..common import SMALL_VALUE, _EXTERNAL, _numel
from ..costs import FLOAT_TYPES, dtype_name

class _Ctx:
    __slots__ = ("node", "ins", "sc", "_attrs", "opset", "nout", "novals")

    def __init__(self, node, ins, sc, attrs, opset, nout):
        self.node = node
        self.ins = ins
        self.sc = sc
        self._attrs = attrs
        self.opset = opset
        self.nout = nout
        self.novals = False

    def has(self, i):
        return i < len(self.ins) and bool(self.ins[i])

    def shape(self, i):
        return self.sc.shape.get(self.ins[i]) if self.has(i) else None

    def dtype(self, i):
        return self.sc.dtype.get(self.ins[i], 0) if self.has(i) else 0

    def value(self, i):
        return self.sc.value.get(self.ins[i]) if self.has(i) and not self.novals else None

    def attr(self, name, default=None):
        return self._attrs.get_all().get(name, default)

    def ints(self, i, attr_name=None):
        """Int list from input ``i`` (value) or attribute ``attr_name``; None if unknown."""
        if self.has(i):
            v = self.value(i)
            return None if v is None else [int(x) for x in np.asarray(v).reshape(-1)]
        if attr_name is not None:
            a = self.attr(attr_name)
            return None if a is None else [int(x) for x in a]
        return None


def _full(s) -> bool:
    return s is not None and None not in s


def _prod(s):
    return math.prod(s) if _full(s) else None


def _small(s) -> bool:
    """Whether a tensor of shape ``s`` is small enough to have its value tracked."""
    return _full(s) and math.prod(s) <= SMALL_VALUE


def _bcast(*shapes):
    shapes = [s for s in shapes]
    if any(s is None for s in shapes):
        return None
    r = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(r):
        dims = [s[i - r + len(s)] for s in shapes if i - r + len(s) >= 0]
        non1 = [d for d in dims if d is not None and d != 1]
        if non1:
            out.append(max(non1))
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def _np_dtype(dt: int):
    try:
        return helper.tensor_dtype_to_np_dtype(dt)
    except Exception:
        return None


def _axis(a: int, r: int) -> int:
    return a + r if a < 0 else a


def _tensor_value(t: TensorProto):
    if t.data_location == _EXTERNAL or t.data_type == TensorProto.STRING or _numel(t.dims) > SMALL_VALUE:
        return None
    try:
        return numpy_helper.to_array(t)
    except Exception:
        return None


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

    __slots__ = ("op_type", "domain", "name", "inputs", "outputs", "opset", "_attrs", "values_read")

    def __init__(self, op_type, domain, name, inputs, outputs, attrs, opset):
        self.op_type: str = op_type
        self.domain: str = domain
        self.name: str = name
        self.inputs: tuple[TensorView | None, ...] = inputs  # None for an omitted optional input
        self.outputs: tuple[TensorView | None, ...] = outputs
        self.opset: int = opset
        self._attrs: Mapping[str, object] | Callable[[], Mapping[str, object]] = attrs
        self.values_read: bool = False  # a rule read a tensor value (through ivalue)

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
        """The value of input ``i`` (small tensors only), or None. Rules read values only through here:
        the walker reuses a rule's result for nodes with equal shapes when no value was read."""
        t = self.inp(i)
        if t is None or t.value is None:
            return None
        self.values_read = True
        return t.value


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


def _norm_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def _s(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)

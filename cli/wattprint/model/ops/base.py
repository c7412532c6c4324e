"""What the rules see: the views a counting rule receives (:class:`OpView`, :class:`TensorView`), what it
returns (:class:`Counts`, :class:`NotCountable`), and the context and helpers of shape rules (:class:`_Ctx`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from ..common import _EXTERNAL, SMALL_VALUE, _numel
from ..costs import FLOAT_TYPES, dtype_name

if TYPE_CHECKING:
    from ..common import NodeRec

#: a partial shape: None for an unknown dim (a whole shape that is unknown is None)
Shape = tuple[int | None, ...]
#: a tracked tensor value (small tensors only; any dtype)
Value = NDArray[Any]
#: one output of a shape rule: (shape, dtype, value), each None / 0 where unknown
ShapeOut = tuple[Shape | None, int, Value | None]
#: what a shape rule returns: one ShapeOut per output (fewer: the rest unknown), or None
ShapeResult = list[ShapeOut] | None

class _Facts(Protocol):
    """The tensor facts a shape rule reads (the walker's scope)."""

    @property
    def shape(self) -> Mapping[str, Shape | None]: ...
    @property
    def dtype(self) -> Mapping[str, int]: ...
    @property
    def value(self) -> Mapping[str, Value]: ...


class _Attrs(Protocol):
    """A node's attributes, parsed on first use (the walker's ``_Lazy``)."""

    def get_all(self) -> Mapping[str, Any]: ...


class _Ctx:
    __slots__ = ("node", "ins", "sc", "_attrs", "opset", "nout", "novals", "values_read")

    def __init__(self, node: NodeRec, ins: tuple[str, ...], sc: _Facts, attrs: _Attrs, opset: int, nout: int):
        self.node = node
        self.ins = ins
        self.sc = sc
        self._attrs = attrs
        self.opset = opset
        self.nout = nout
        self.novals = False
        self.values_read = False  # a rule read a tensor value (through value)

    def has(self, i: int) -> bool:
        return i < len(self.ins) and bool(self.ins[i])

    def shape(self, i: int) -> Shape | None:
        return self.sc.shape.get(self.ins[i]) if self.has(i) else None

    def dtype(self, i: int) -> int:
        return self.sc.dtype.get(self.ins[i], 0) if self.has(i) else 0

    def value(self, i: int) -> Value | None:
        """The value of input ``i`` (small tensors only), or None. Rules read values only through here."""
        v = self.sc.value.get(self.ins[i]) if self.has(i) and not self.novals else None
        if v is not None:
            self.values_read = True
        return v

    def attr(self, name: str, default: Any = None) -> Any:  # (attribute values: ints, floats, tensors, ...)
        return self._attrs.get_all().get(name, default)

    def ints(self, i: int, attr_name: str | None = None) -> list[int] | None:
        """Int list from input ``i`` (value) or attribute ``attr_name``; None if unknown."""
        if self.has(i):
            v = self.value(i)
            return None if v is None else [int(x) for x in np.asarray(v).reshape(-1)]
        if attr_name is not None:
            a = self.attr(attr_name)
            return None if a is None else [int(x) for x in a]
        return None


def _full(s: Shape | None) -> TypeGuard[tuple[int, ...]]:
    return s is not None and None not in s


def _prod(s: Shape | None) -> int | None:
    return math.prod(s) if _full(s) else None


def _small(s: Shape | None) -> bool:
    """Whether a tensor of shape ``s`` is small enough to have its value tracked."""
    return _full(s) and math.prod(s) <= SMALL_VALUE


def _bcast(*shapes: Shape | None) -> Shape | None:
    known = [s for s in shapes if s is not None]
    if len(known) < len(shapes):
        return None
    r = max((len(s) for s in known), default=0)
    out: list[int | None] = []
    for i in range(r):
        dims = [s[i - r + len(s)] for s in known if i - r + len(s) >= 0]
        non1 = [d for d in dims if d is not None and d != 1]
        if non1:
            out.append(max(non1))
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def _np_dtype(dt: int) -> np.dtype[Any] | None:
    try:
        return helper.tensor_dtype_to_np_dtype(dt)
    except Exception:
        return None


def _axis(a: int, r: int) -> int:
    return a + r if a < 0 else a


def _tensor_value(t: TensorProto) -> Value | None:
    if t.data_location == _EXTERNAL or t.data_type == TensorProto.STRING or _numel(t.dims) > SMALL_VALUE:
        return None
    try:
        return numpy_helper.to_array(t)
    except Exception:
        return None


#: a shape rule (see :mod:`.registry`)
ShapeRule = Callable[[_Ctx], ShapeResult]


class NotCountable(Exception):
    """Raised by a rule: the node cannot be counted. ``reason`` is short and generic."""

    def __init__(self, reason: str, *, shape_unknown: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shape_unknown = shape_unknown


class TensorView:
    """One input or output of a node, as resolved by the graph walk."""

    __slots__ = ("name", "shape", "dtype", "const", "value", "dq_dtype")

    def __init__(
        self, name: str, shape: tuple[int, ...] | None, dtype: int, const: bool = False, value: Value | None = None,
        dq_dtype: int = 0,
    ) -> None:
        self.name: str = name
        self.shape: tuple[int, ...] | None = shape  # None unless every dim is known
        self.dtype: int = dtype  # TensorProto enum, 0 = unknown
        self.const: bool = const  # initializer, Constant or computed from constants only
        self.value: Value | None = value  # small tensors only
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

    def __init__(
        self, op_type: str, domain: str, name: str, inputs: tuple[TensorView | None, ...],
        outputs: tuple[TensorView | None, ...], attrs: Mapping[str, Any] | Callable[[], Mapping[str, Any]], opset: int,
    ) -> None:
        self.op_type: str = op_type
        self.domain: str = domain
        self.name: str = name
        self.inputs: tuple[TensorView | None, ...] = inputs  # None for an omitted optional input
        self.outputs: tuple[TensorView | None, ...] = outputs
        self.opset: int = opset
        self._attrs: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = attrs  # (values: ints, floats, tensors, ...)
        self.values_read: bool = False  # a rule read a tensor value (through ivalue)

    @property
    def attrs(self) -> Mapping[str, Any]:
        if callable(self._attrs):
            self._attrs = self._attrs()
        return self._attrs

    def attr(self, name: str, default: Any = None) -> Any:
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

    def ivalue(self, i: int) -> Value | None:
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
    ) -> None:
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


def _s(x: object) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)

"""Limits and small helpers shared by the model layer."""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterable, Iterator, Sequence

import onnx
from onnx import TensorProto

from .costs import dtype_bits

MAX_DIM = 2**31


#: tensors up to this many elements get their values tracked (shape arithmetic)
SMALL_VALUE = 4096


#: initializers up to this many bytes keep their data in the model handed to onnx shape inference
INLINE_KEEP_BYTES = 4096


#: nesting limit for subgraphs / model-local functions
MAX_DEPTH = 32


_EXTERNAL = TensorProto.EXTERNAL


_EMPTY: frozenset[str] = frozenset()



def _numel(dims: Iterable[int]) -> int:
    return math.prod(int(d) for d in dims)


def _bits(dt: int) -> int:
    return dtype_bits(dt)



def _merge(a: tuple[int | None, ...] | None, b: tuple[int | None, ...] | None) -> tuple[int | None, ...] | None:
    """Merge two partial shapes (None = unknown rank / dim)."""
    if a is None:
        return b
    if b is None or len(a) != len(b):
        return a
    return tuple(x if x is not None else y for x, y in zip(a, b))



class NodeRec:
    """A node's fields, read once from its ``onnx.NodeProto``: protobuf field access costs about a
    microsecond, and the checks, the walk and the tied-weight pass each read every node's fields.
    Same attribute names as ``NodeProto`` (``input`` / ``output`` are tuples); ``n_attrs``: how many
    attributes it has."""

    __slots__ = ("op_type", "domain", "name", "input", "output", "n_attrs", "proto")

    def __init__(self, n: onnx.NodeProto, strings: dict[str, str]) -> None:
        op = n.op_type
        self.op_type: str = strings.setdefault(op, op)  # one str object per op name, not per node
        dom = n.domain
        self.domain: str = strings.setdefault(dom, dom)
        self.name: str = n.name
        self.input: tuple[str, ...] = tuple(n.input)
        self.output: tuple[str, ...] = tuple(n.output)
        self.n_attrs: int = len(n.attribute)
        self.proto: onnx.NodeProto = n

    @property
    def attribute(self) -> Sequence[onnx.AttributeProto]:
        attrs: Sequence[onnx.AttributeProto] = self.proto.attribute  # (protobuf containers: untyped in onnx's stubs)
        return attrs


def node_records(nodes: Iterable[onnx.NodeProto]) -> list[NodeRec]:
    strings: dict[str, str] = {}
    return [NodeRec(n, strings) for n in nodes]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: an analysis (or an estimate) allocates an object or more per node
    and keeps nearly all of them, so the collections its allocations trigger (each scanning the
    growing heap) find nothing to free and cost a quarter of the time on 200,000-node graphs. The
    collector's previous state is restored; reference counting frees everything as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

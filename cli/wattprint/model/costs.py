"""dtype and precision tables, and the result dataclasses :class:`NodeCost` and :class:`ModelCost`.

Pure and light: no numpy, no onnx (renderers and the energy model import it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

MS = "com.microsoft"


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


@dataclass(frozen=True, slots=True)  # slots: a 200,000-node graph holds 200,000 of them
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


def normalize_domain(domain: str) -> str:
    return "" if domain in ("", "ai.onnx") else domain

"""The op registry, assembled: importing this package imports every family module, which declares its ops.

Where a new op goes: a counting rule decorated with ``@op("Name", domains=..., shape=..., weights=...,
fusion=...)`` in the family module of ``wattprint/model/ops/`` it belongs to (``registry.py`` explains the
fields); ``python -m wattprint.model.ops`` prints the table of docs/op-counting.md.

The lookup tables below are derived once from :data:`~wattprint.model.ops.registry.REGISTRY`.
"""

from __future__ import annotations

from . import (  # noqa: F401  (each module registers its ops)
    attention,
    control,
    conv,
    elementwise,
    image,
    matmul,
    misc,
    ms,
    norm,
    pool,
    quant,
    recurrent,
    reduce,
    tensor,
)
from .base import ShapeRule
from .registry import CONTROL, ONNX_INFERENCE, REGISTRY, Fusion, OpDef, op

__all__ = ["CONTROL", "ONNX_INFERENCE", "REGISTRY", "Fusion", "OpDef", "op", "lookup", "fusion_ops", "SHAPE_FNS",
           "OWN_SHAPE", "VALUE_OPS", "CONTROL_OPS"]


def _shape_fns() -> dict[str, ShapeRule]:
    out: dict[str, ShapeRule] = {}
    for d in REGISTRY.values():
        if callable(d.shape):
            out.setdefault(d.op_type, d.shape)
    return out


#: op name -> shape rule (shape rules apply by name, in every domain: a com.microsoft Gelu is shaped as Gelu)
SHAPE_FNS: dict[str, ShapeRule] = _shape_fns()
#: (domain, op) of every op declared with an own shape rule (not ``ONNX_INFERENCE`` / ``CONTROL``)
OWN_SHAPE = frozenset((d.domain, d.op_type) for d in REGISTRY.values() if callable(d.shape))
#: op name -> number of leading inputs whose known values make the output value computable
VALUE_OPS: dict[str, int] = {d.op_type: d.values for d in REGISTRY.values() if d.values is not None}
#: ai.onnx ops the walker analyses through their subgraphs
CONTROL_OPS = frozenset(d.op_type for d in REGISTRY.values() if d.cost is CONTROL)


def lookup(domain: str, op_type: str) -> OpDef | None:
    return REGISTRY.get(("" if domain in ("", "ai.onnx") else domain, op_type))


def fusion_ops(fusion: Fusion) -> frozenset[str]:
    """Names of the ops of a fusion class (the traffic model matches by name, in every domain)."""
    return frozenset(d.op_type for d in REGISTRY.values() if d.fusion is fusion)

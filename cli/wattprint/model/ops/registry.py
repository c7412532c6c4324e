"""The one operator registry: each (domain, op) is declared once, with everything known about it.

An :class:`OpDef` holds

* ``cost``: the counting rule (``OpView -> Counts``, see :mod:`wattprint.model.ops.base`);
* ``shape``: wattprint's own shape (and small-value) rule (``Ctx -> [(shape, dtype, value)]``), or
  :data:`ONNX_INFERENCE` for an ai.onnx op whose output shapes onnx's own inference always gives;
* ``values``: infer the output *value* too when the first ``values`` inputs have known values
  (shape arithmetic: Shape -> Gather -> Concat -> Reshape);
* ``weights``: the input positions that are parameters when constant (``None``: automatic, every
  constant floating-point or 8/4/2-bit integer input with more than one element);
* ``fusion``: how the energy traffic model (:mod:`wattprint.energy.traffic`) groups the op into kernels.

Declare an op with the :func:`op` decorator on its counting rule, in the family module under
``wattprint/model/ops/``::

    @op("MyOp", domains=("", MS), shape=_sh_same, weights=(1,))
    def _my_op(v: OpView) -> Counts:
        return Counts(macs=v.out_numel() * v.ishape(1)[-1])

Pure: no numpy, no onnx here; the family modules fill :data:`REGISTRY` when imported
(:mod:`wattprint.model.ops` imports them all).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, overload

if TYPE_CHECKING:  # (base imports numpy and onnx; this module stays free of them at runtime)
    from .base import Counts, OpView, ShapeRule

    #: a counting rule
    CostRule = Callable[[OpView], Counts]

_F = TypeVar("_F", bound="CostRule")

class Fusion(enum.Enum):
    """How an op joins the kernels an inference engine runs (docs/methodology.md, "Kernels and DRAM traffic")."""

    #: a re-indexing of its input (Reshape, Transpose, Slice, ...): moves no bytes of its own
    VIEW = "view"
    #: without MACs it joins an elementwise chain or the epilogue of its producer's kernel (MAC ops: take epilogues)
    ELEMENTWISE = "elementwise"
    #: never joins an elementwise kernel (scatters, sorting, data-dependent sizes, control flow)
    BARRIER = "barrier"


#: ``shape=`` of an ai.onnx op without an own rule: onnx.shape_inference gives its output shapes
ONNX_INFERENCE = "onnx shape inference"
#: ``cost=`` and ``shape=`` of If / Loop / Scan: the graph walker analyses their subgraphs
CONTROL = "subgraphs (walker)"


@dataclass(frozen=True)
class OpDef:
    op_type: str
    domain: str  # "" for ai.onnx
    cost: CostRule | str  # counting rule, or CONTROL
    shape: ShapeRule | str | None  # shape rule, ONNX_INFERENCE or CONTROL; None = missing (a test fails)
    values: int | None  # value propagation when the first ``values`` inputs are known
    weights: tuple[int, ...] | None
    fusion: Fusion
    family: str  # the module under wattprint/model/ops/ that declares it


REGISTRY: dict[tuple[str, str], OpDef] = {}


@overload
def op(
    *op_types: str,
    domains: Sequence[str] = ...,
    shape: ShapeRule | str | None = ...,
    values: int | None = ...,
    weights: tuple[int, ...] | None = ...,
    fusion: Fusion = ...,
    cost: None = ...,
    family: str | None = ...,
) -> Callable[[_F], _F]: ...


@overload
def op(
    *op_types: str,
    domains: Sequence[str] = ...,
    shape: ShapeRule | str | None = ...,
    values: int | None = ...,
    weights: tuple[int, ...] | None = ...,
    fusion: Fusion = ...,
    cost: CostRule | str,
    family: str | None = ...,
) -> CostRule | str: ...


def op(
    *op_types: str,
    domains: Sequence[str] = ("",),
    shape: ShapeRule | str | None = None,
    values: int | None = None,
    weights: tuple[int, ...] | None = None,
    fusion: Fusion = Fusion.ELEMENTWISE,
    cost: CostRule | str | None = None,
    family: str | None = None,
) -> Callable[[_F], _F] | CostRule | str:
    """Declare ``op_types`` in ``domains``; used as a decorator on the counting rule (or with ``cost=``)."""

    def register(fn: CostRule | str) -> None:
        fam = family or fn.__module__.rsplit(".", 1)[-1]  # (a str cost comes with its family)
        for name in op_types:
            for d in domains:
                if (d, name) in REGISTRY:
                    raise ValueError(f"op {d or 'ai.onnx'}::{name} declared twice")
                REGISTRY[(d, name)] = OpDef(name, d, fn, shape, values, weights, fusion, fam)

    def deco(fn: _F) -> _F:
        register(fn)
        return fn

    if cost is not None:
        register(cost)
        return cost
    return deco

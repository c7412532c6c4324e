"""Cost one node: apply its counting rule, then derive bytes, parameters and precision uniformly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .costs import (
    _BITS,
    FLOAT_NAMES,
    FLOAT_TYPES,
    INT8_CLASS,
    LOWBIT_INT,
    MS,
    PRECISION_BITS,
    NodeCost,
    dtype_name,
    normalize_domain,
)
from .ops import REGISTRY
from .ops.base import NotCountable, OpView, TensorView

#: a node's costing template (:func:`cost_template`, :func:`folded_template`): a flat tuple of mixed fields,
#: unpacked by :func:`node_cost`
Template = tuple[Any, ...]

#: float compute ops that a QDQ runtime fuses into an integer kernel
QDQ_COMPUTE = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm"})


def _no_rule_reason(domain: str, op_type: str) -> str:
    d = normalize_domain(domain)
    if d == "":
        return "no counting rule for this op"
    if d in (MS, "ai.onnx.ml", "ai.onnx.preview.training"):
        return f"no counting rule for {d} op"
    return f"unsupported domain '{d}'"


def not_counted(
    name: str, op_type: str, domain: str, oshape: tuple[int, ...] | None, precision: str, reason: str
) -> NodeCost:
    return NodeCost(name, op_type, normalize_domain(domain), oshape, precision, 0, 0, 0, 0, 0, 0, 0, 0, False, reason)


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
    return node_cost(
        cost_template(v, precision), v.name, v.op_type,
        [t.name if t is not None else None for t in v.inputs],
        [t.name if t is not None else None for t in v.outputs],
        seen_params,
    )


def folded_template(domain: str, oshape: tuple[int, ...] | None, precision: str) -> Template:
    """The template of a node whose outputs are all constants (see :func:`node_cost`)."""
    return (None, oshape, normalize_domain(domain), precision, "constant: folded at load time")


def node_cost(
    t: Template, name: str, op_type: str, in_keys: Sequence[str | None], out_keys: Sequence[str | None],
    seen_params: set[str],
) -> NodeCost:
    """The :class:`NodeCost` of one node from its template (:func:`cost_template`, :func:`folded_template`).

    ``in_keys`` / ``out_keys``: the tensor identities of the node's inputs and outputs (None where
    omitted), the only per-node part: they name the graph edges and attribute each weight once.
    """
    counted = t[0]
    if counted is None:  # folded
        return NodeCost(name, op_type, t[2], t[1], t[3], 0, 0, 0, 0, 0, 0, 0, 0, True, t[4])
    if not counted:
        return NodeCost(name, op_type, t[2], t[1], t[3], 0, 0, 0, 0, 0, 0, 0, 0, False, t[4])
    (_, oshape, domain, prec, note, macs, ew, red, trans, bytes_read, bytes_written, weight_bytes,
     act_idx, act_bytes, out_idx, out_bytes, weight_items) = t
    params = 0
    for i, n in weight_items:
        k = in_keys[i]
        if k not in seen_params:
            seen_params.add(k)
            params += n
    return NodeCost(
        name, op_type, domain, oshape, prec, macs, ew, red, trans, params, bytes_read, bytes_written,
        weight_bytes, True, note,
        tuple([in_keys[i] for i in act_idx]), tuple([out_keys[i] for i in out_idx]), act_bytes, out_bytes,
    )


def cost_template(v: OpView, precision: str | None) -> Template:
    """Everything about costing ``v`` that does not depend on tensor names: a pure function of the
    op, its attributes and opset, and the shapes, dtypes, constness and values of its tensors (the
    walker reuses it for every node with the same ones). :func:`node_cost` finishes it."""
    out0 = v.outputs[0] if v.outputs else None
    oshape = out0.shape if out0 is not None else None
    domain = normalize_domain(v.domain)
    r = REGISTRY.get((domain, v.op_type))
    if r is None:
        return (False, oshape, domain, default_precision(v), _no_rule_reason(v.domain, v.op_type))
    try:
        c = r.cost(v)  # type: ignore[operator]  # (CONTROL (a str) raises, reported as malformed: the walker never asks)
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
        return (False, oshape, domain, default_precision(v), reason)
    except Exception as e:  # malformed node: never let one node abort the analysis
        return (False, oshape, domain, default_precision(v), f"malformed node ({type(e).__name__})")

    prec = c.precision or default_precision(v)
    note = c.note
    qdq = v.op_type in QDQ_COMPUTE and domain == ""
    if qdq:
        i0, i1 = v.inp(0), v.inp(1)
        if i0 is not None and i1 is not None and i0.dq_dtype in INT8_CLASS and i1.dq_dtype in INT8_CLASS:
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
    bytes_read = weight_bytes = 0
    act_idx = []
    act_bytes = []
    weight_items = []  # (input index, parameter elements): attributed to the first node that reads the tensor
    for i, t in enumerate(v.inputs):
        if t is None:
            continue
        if t.shape is None:  # (an input that is not read needs no shape)
            if not t.const:
                act_idx.append(i)
                act_bytes.append(0)
            continue
        n = math.prod(t.shape)
        b = (read.get(i, n) * bits(t) + 7) // 8
        bytes_read += b
        if not t.const:
            act_idx.append(i)
            act_bytes.append(b)
        if t.const and (i in weights if weights is not None else (n > 1 and (t.dtype in FLOAT_TYPES or t.dtype in LOWBIT_INT))):
            weight_bytes += b
            weight_items.append((i, wel.get(i, n)))
    bytes_written = 0
    out_idx = []
    out_bytes = []
    for i, t in enumerate(v.outputs):
        if t is not None:
            out_idx.append(i)
            b = (math.prod(t.shape) * bits(t) + 7) // 8  # type: ignore[arg-type]  # (None raised NotCountable above)
            out_bytes.append(b)
            bytes_written += b
    return (
        True, oshape, domain, prec, note, c.macs, c.elementwise, c.reduction, c.transcendental,
        bytes_read, bytes_written, weight_bytes, tuple(act_idx), tuple(act_bytes), tuple(out_idx), tuple(out_bytes),
        tuple(weight_items),
    )

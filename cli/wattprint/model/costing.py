"""Cost one node: apply its counting rule, then derive bytes, parameters and precision uniformly."""

from __future__ import annotations

import math

from .costs import (
    FLOAT_NAMES, FLOAT_TYPES, INT8_CLASS, LOWBIT_INT, MS, NodeCost, PRECISION_BITS, _BITS, dtype_name,
    normalize_domain,
)
from .ops import REGISTRY
from .ops.base import NotCountable, OpView, TensorView

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
    r = REGISTRY.get((domain, v.op_type))
    if r is None:
        return not_counted(v.name, v.op_type, v.domain, oshape, default_precision(v), _no_rule_reason(v.domain, v.op_type))
    try:
        c = r.cost(v)
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

"""Validation of an ONNX graph as it is costed: an invalid graph is an error, never a number.

Two passes, both raising :class:`~wattprint.errors.WattprintError` naming the model, the node
and the value:

* :func:`check_structure` before the walk: opset range, defined dtypes, initializer dims
  (negative or above the documented bounds of :mod:`wattprint.limits`), inputs no node,
  graph input or initializer produces (dangling), a tensor produced twice, graph outputs
  nothing produces, and cycles.
* :func:`check_node` after each node's shapes are known: incompatible MatMul / Gemm / binary
  broadcast shapes, Conv with group 0, channel mismatches or a kernel larger than its padded
  input, and output tensors with a negative dim or more elements than the bound. Only fully
  known shapes are checked; what cannot be checked is left to the costing, which lists an op it
  cannot follow as not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from wattprint.errors import WattprintError
from wattprint.limits import MAX_DIM, MAX_OPSET, MAX_TENSOR_ELEMENTS, MIN_OPSET

if TYPE_CHECKING:
    from wattprint.model.ops.base import Shape

_BINARY = frozenset({"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
                     "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "PRelu", "Mod", "BitShift"})
_MATMUL = frozenset({"MatMul", "MatMulInteger"})
_DEFAULT_DOMAINS = ("", "ai.onnx")


def _defined_dtypes() -> frozenset[int]:
    from onnx import TensorProto

    return frozenset(v for v in TensorProto.DataType.values() if v != TensorProto.UNDEFINED)


def _node_label(node: Any, index: int) -> str:
    return f"node {node.name!r} ({node.op_type})" if node.name else f"node #{index} ({node.op_type})"


def check_structure(model: Any, label: str, nodes: Sequence[Any] | None = None) -> None:
    """Graph-level checks on the top graph (subgraphs may read outer-scope names). ``nodes``: the
    graph's nodes already read into objects with the same fields (op_type, name, input, output)."""
    dtypes = _defined_dtypes()
    for o in model.opset_import:
        dom = o.domain or ""
        if dom in _DEFAULT_DOMAINS and not MIN_OPSET <= o.version <= MAX_OPSET:
            raise WattprintError(
                f"{label}: opset {o.version} of the default domain is out of range",
                hint=f"ONNX defines opsets {MIN_OPSET}..{MAX_OPSET} at most (see docs/limits.md); re-export the model",
            )
        if o.version < 1:
            raise WattprintError(f"{label}: opset {o.version} of domain {dom!r} is not a version (must be >= 1)")
    g = model.graph
    produced: dict[str, str] = {}
    for t in g.initializer:
        where = f"{label}: initializer {t.name!r}"
        if t.data_type not in dtypes:
            raise WattprintError(f"{where}: data_type {t.data_type} is {'undefined' if t.data_type == 0 else 'unknown'}")
        _check_dims(where, list(t.dims))
        produced[t.name] = "an initializer"
    for st in g.sparse_initializer:
        produced[st.values.name] = "an initializer"
    for vi in list(g.input) + list(g.output):
        if vi.type.HasField("tensor_type"):
            tt = vi.type.tensor_type
            if tt.elem_type not in dtypes:
                kind = "input" if any(vi is x for x in g.input) else "output"
                raise WattprintError(
                    f"{label}: graph {kind} {vi.name!r}: elem_type {tt.elem_type} is "
                    f"{'undefined' if tt.elem_type == 0 else 'unknown'}"
                )
            if tt.HasField("shape"):
                for d in tt.shape.dim:
                    if d.WhichOneof("value") == "dim_value" and (d.dim_value < 0 or d.dim_value > MAX_DIM):
                        raise WattprintError(
                            f"{label}: graph input/output {vi.name!r} has dim {d.dim_value}",
                            hint=f"dims must be 0..{MAX_DIM} (docs/limits.md)",
                        )
    for vi in g.input:
        produced.setdefault(vi.name, "a graph input")
    nodes = list(g.node) if nodes is None else nodes
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.output:
            if not o:
                continue
            if o in producer:
                raise WattprintError(
                    f"{label}: {_node_label(n, i)} writes {o!r}, already written by {_node_label(nodes[producer[o]], producer[o])}",
                    hint="every tensor has exactly one producer in ONNX (SSA)",
                )
            if o in produced:
                raise WattprintError(f"{label}: {_node_label(n, i)} writes {o!r}, which is already {produced[o]}")
            producer[o] = i
    for i, n in enumerate(nodes):
        for x in n.input:
            if x and x not in producer and x not in produced:
                raise WattprintError(
                    f"{label}: {_node_label(n, i)} reads {x!r}, which no node, graph input or initializer produces",
                    hint="the graph is incomplete (a dangling input); re-export the model",
                )
    for vi in g.output:
        if vi.name not in producer and vi.name not in produced:
            raise WattprintError(f"{label}: graph output {vi.name!r} is produced by no node, input or initializer")
    _check_acyclic(nodes, producer, label)


def _check_acyclic(nodes: Sequence[Any], producer: dict[str, int], label: str) -> None:
    deps = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        seen = set()
        for x in n.input:
            j = producer.get(x)
            if j is not None and j not in seen:
                if j == i:
                    raise WattprintError(f"{label}: {_node_label(n, i)} reads its own output {x!r} (a cycle)")
                seen.add(j)
                deps[i] += 1
                users[j].append(i)
    ready = [i for i, d in enumerate(deps) if d == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for u in users[i]:
            deps[u] -= 1
            if deps[u] == 0:
                ready.append(u)
    if done < len(nodes):
        i = next(k for k, d in enumerate(deps) if d > 0)
        raise WattprintError(
            f"{label}: the graph has a cycle through {_node_label(nodes[i], i)}",
            hint="ONNX graphs are acyclic (loops are Loop/Scan nodes); re-export the model",
        )


def _check_dims(where: str, dims: Sequence[int]) -> None:
    for d in dims:
        if d < 0 or d > MAX_DIM:
            raise WattprintError(f"{where}: dim {d} in shape {list(dims)} is out of range",
                                 hint=f"dims must be 0..{MAX_DIM} (docs/limits.md)")
    if math.prod(dims) > MAX_TENSOR_ELEMENTS:
        raise WattprintError(
            f"{where}: shape {list(dims)} has {math.prod(dims):.3g} elements, above the {MAX_TENSOR_ELEMENTS:.3g} bound",
            hint="no device holds such a tensor (docs/limits.md)",
        )


def _known(s: Shape | None) -> TypeGuard[tuple[int, ...]]:
    return s is not None and all(d is not None for d in s)


def check_node(label: str, name: str, op: str, dom: str, in_shapes: Sequence[Shape | None],
               out_shapes: Sequence[Shape | None], out_names: Sequence[str], attrs: Callable[..., Any]) -> None:
    """Shape checks of one costed node (default domain); shapes are tuples, None where unknown."""
    where = f"{label}: node {name!r} ({op})"
    for oname, s in zip(out_names, out_shapes):
        if s is not None:
            known = [d for d in s if d is not None]
            if any(d < 0 for d in known):
                raise WattprintError(f"{where}: output {oname!r} has a negative dim {list(s)}",
                                     hint=_negative_hint(op))
            if any(d > MAX_DIM for d in known) or math.prod(known) > MAX_TENSOR_ELEMENTS:
                raise WattprintError(
                    f"{where}: output {oname!r} of shape {list(s)} is beyond the bounds "
                    f"(dims <= {MAX_DIM}, <= {MAX_TENSOR_ELEMENTS:.3g} elements; docs/limits.md)"
                )
    if dom not in ("",):
        return
    if op in _MATMUL and len(in_shapes) >= 2:
        a, b = in_shapes[0], in_shapes[1]
        if _known(a) and _known(b) and len(a) >= 1 and len(b) >= 1:
            ka = a[-1]
            kb = b[-2] if len(b) >= 2 else b[0]
            if ka != kb:
                raise WattprintError(f"{where}: shapes {list(a)} and {list(b)} do not multiply ({ka} != {kb})")
            _broadcast(where, [tuple(a[:-2]), tuple(b[:-2])])
    elif op == "Gemm" and len(in_shapes) >= 2:
        a, b = in_shapes[0], in_shapes[1]
        if _known(a) and _known(b) and len(a) == 2 and len(b) == 2:
            ka = a[0] if int(attrs("transA", 0)) else a[1]
            kb = b[1] if int(attrs("transB", 0)) else b[0]
            if ka != kb:
                raise WattprintError(f"{where}: shapes {list(a)} and {list(b)} do not multiply ({ka} != {kb})")
    elif op in _BINARY:
        given = [s for s in in_shapes if s is not None]
        shapes = [s for s in given if _known(s)]
        if len(shapes) >= 2 and len(shapes) == len(given):
            _broadcast(where, shapes)
    elif op == "Concat":
        parts = [s for s in in_shapes if s is not None]
        if parts:
            rank = len(parts[0])
            if any(len(s) != rank for s in parts):
                raise WattprintError(f"{where}: inputs of ranks {', '.join(str(len(s)) for s in parts)} "
                                     f"cannot be concatenated ({' and '.join(str(list(s)) for s in parts)})")
            axis = int(attrs("axis", 0))
            if not -rank <= axis < rank:
                raise WattprintError(f"{where}: axis {axis} is outside the inputs' rank {rank}")
            axis %= rank
            for i in range(rank):
                dims = {d for s in parts if (d := s[i]) is not None}
                if i != axis and len(dims) > 1:
                    raise WattprintError(
                        f"{where}: inputs {' and '.join(str(list(s)) for s in parts)} differ on axis {i} "
                        f"({' vs '.join(str(d) for d in sorted(dims))}); only axis {axis} may differ"
                    )
    elif op == "Conv":
        group = int(attrs("group", 1))
        if group < 1:
            raise WattprintError(f"{where}: group {group} must be >= 1")
        x = in_shapes[0] if in_shapes else None
        w = in_shapes[1] if len(in_shapes) > 1 else None
        if _known(x) and _known(w) and len(x) >= 3 and len(w) == len(x):
            if x[1] != w[1] * group:
                raise WattprintError(
                    f"{where}: input has {x[1]} channels, weight {list(w)} with group {group} expects {w[1] * group}"
                )
            if w[0] % group:
                raise WattprintError(f"{where}: {w[0]} output channels are not divisible by group {group}")


def _negative_hint(op: str) -> str:
    if op in ("Conv", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool"):
        return "the kernel is larger than the padded input"
    return "check the shapes feeding this node"


def _broadcast(where: str, shapes: Sequence[Sequence[int]]) -> None:
    r = max(len(s) for s in shapes)
    for i in range(1, r + 1):
        dims = {s[-i] for s in shapes if len(s) >= i}
        dims.discard(1)
        if len(dims) > 1:
            raise WattprintError(
                f"{where}: shapes {' and '.join(str(list(s)) for s in shapes)} do not broadcast "
                f"({' vs '.join(str(d) for d in sorted(dims))} at axis -{i})"
            )

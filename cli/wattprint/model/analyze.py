"""Public entry points: :func:`analyze_model` (a file) and :func:`analyze_proto` (an in-memory model)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping

import onnx

from ..errors import WattprintError
from ..graph_checks import check_structure
from .common import _EMPTY, NodeRec, no_gc, node_records
from .costs import PRECISION_BITS, ModelCost, NodeCost, dtype_name, normalize_domain
from .dims import _bind_dims, _Binding, _unbound_message
from .infer import TypeFacts, _collect_types, _inference_needed, _run_shape_inference
from .load import load_proto
from .tied import _shared_weights
from .walk import Inferred, Issue, _Analyzer, _Scope


def analyze_model(
    path: str | os.PathLike[str],
    dims: Mapping[str, int] | None = None,
    batch: int | None = None,
    precision: str | None = None,
) -> ModelCost:
    """Count the work of every node of the ONNX model at ``path``.

    ``dims`` binds symbolic input dims by name (``{"sequence_length": 512}``; an
    unnamed dim can be bound as ``"input_name[axis]"``). ``batch`` binds the first
    dim of every input whose first dim is symbolic or unset; inputs with a fixed
    first dim (Caffe2-era models fixed at batch 1) are left as they are.
    ``precision`` (``fp32``/``fp16``/``bf16``/``fp8``/``int8``) costs every
    floating-point tensor at that size; ``None`` keeps the model's own dtypes.
    """
    p = os.fspath(path)
    label = p  # errors name the model as the user gave it
    if precision is not None and precision not in PRECISION_BITS:
        raise WattprintError(
            f"unknown precision {precision!r}", hint=f"use one of {', '.join(PRECISION_BITS)}"
        )
    model, warnings = load_proto(p, label)
    return analyze_proto(model, label, dims=dims, batch=batch, precision=precision, warnings=warnings)


def analyze_proto(
    model: onnx.ModelProto,
    label: str,
    dims: Mapping[str, int] | None = None,
    batch: int | None = None,
    precision: str | None = None,
    warnings: list[str] | None = None,
    empty_dims: Iterable[str] = (),
) -> ModelCost:
    """Count an in-memory model (a graph built by wattprint itself, or one already loaded).

    ``label`` names the model in messages and in ``ModelCost.path``. Initializers may carry
    dims only (no data): only shapes are read. Dims named in ``empty_dims`` may be bound to 0
    (an empty KV cache at prefill).
    """
    if precision is not None and precision not in PRECISION_BITS:
        raise WattprintError(
            f"unknown precision {precision!r}", hint=f"use one of {', '.join(PRECISION_BITS)}"
        )
    with no_gc():
        return _analyze(model, label, dims, batch, precision, [] if warnings is None else warnings, empty_dims)


def _analyze(
    model: onnx.ModelProto, label: str, dims: Mapping[str, int] | None, batch: int | None, precision: str | None,
    warnings: list[str], empty_dims: Iterable[str],
) -> ModelCost:
    p = label
    graph = model.graph
    nodes = node_records(graph.node)
    check_structure(model, label, nodes)  # opsets, dtypes, dims, dangling/duplicated names, cycles
    opsets = {normalize_domain(o.domain): int(o.version) for o in model.opset_import}
    if "" not in opsets:
        warnings.append("model declares no default-domain opset; assuming opset 1")
    opset = opsets.get("", 1)

    init_names = {t.name for t in graph.initializer} | {t.values.name for t in graph.sparse_initializer}
    real_inputs = [vi for vi in graph.input if vi.name not in init_names]
    binding = _bind_dims(real_inputs, dims, batch, label, warnings, frozenset(empty_dims))

    walked = None
    if _inference_needed(model, nodes, binding) is None:
        # own shape rules only: no onnx inference, unless the walk finds a fact it could have changed
        declared: dict[str, TypeFacts] = {}
        _collect_types(graph, declared, bound=binding.bound, nodes=nodes)
        n_warnings = len(warnings)
        try:
            walked = _walk(model, label, opsets, precision, warnings, binding, real_inputs, nodes, None, declared)
        except Exception:  # NeedsInference, or an error the walk with onnx's inference gives (or not) itself
            walked = None
            del warnings[n_warnings:]
    if walked is None:
        inferred = _run_shape_inference(model, init_names, binding, warnings, nodes)
        walked = _walk(model, label, opsets, precision, warnings, binding, real_inputs, nodes, inferred, {})
    costs, issues = walked

    unbound: dict[str, str] = {}
    for op, reason, taint in issues:
        if reason.startswith("shape unknown"):
            for sym in taint:
                unbound.setdefault(sym, op)
    if unbound:
        raise WattprintError(_unbound_message(label, unbound, binding))

    costs = _shared_weights(model, costs, warnings, nodes)
    nc = Counter((op, reason) for op, reason, _ in issues)
    not_counted_t = tuple(
        (op, n, reason) for (op, reason), n in sorted(nc.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    )
    inputs = []
    for vi in real_inputs:
        dt, shp = binding.input_types[vi.name]
        inputs.append((vi.name, tuple(-1 if d is None else d for d in shp) if shp is not None else (), dtype_name(dt)))
    producer = " ".join(x for x in (model.producer_name, model.producer_version) if x)
    return ModelCost(
        path=p,
        producer=producer,
        opset=opset,
        graph_name=graph.name,
        inputs=tuple(inputs),
        dims=tuple(binding.bound.items()),
        nodes=tuple(costs),
        not_counted=not_counted_t,
        warnings=tuple(warnings),
    )


def _walk(
    model: onnx.ModelProto, label: str, opsets: Mapping[str, int], precision: str | None, warnings: list[str],
    binding: _Binding, real_inputs: list[onnx.ValueInfoProto], nodes: list[NodeRec], inferred: Inferred | None,
    declared: Inferred,
) -> tuple[list[NodeCost], list[Issue]]:
    """The graph walk, from the initializers and bound inputs (``inferred``: onnx's shape inference, or None:
    own rules only, checked against the ``declared`` types; may raise :class:`~.walk.NeedsInference`)."""
    graph = model.graph
    an = _Analyzer(label, opsets, precision, model.functions, warnings)
    an.declared = declared
    scope = _Scope()
    for t in graph.initializer:
        an.add_initializer(scope, t)
    for st in graph.sparse_initializer:
        scope.set(st.values.name, tuple(st.dims), st.values.data_type, const=True)
    for vi in real_inputs:
        dt, shp = binding.input_types[vi.name]
        scope.set(vi.name, shp, dt, taint=binding.taints.get(vi.name, _EMPTY))
    return an.walk(nodes, scope, inferred, depth=0, top=True)

"""Read an ONNX model and count, node by node, the work it does.

Pure core: no printing, no exiting; every user-facing failure is a
:class:`~wattprint.errors.WattprintError` with a one-line message.

Pipeline of :func:`analyze_model`:

1. ``onnx.load(path, load_external_data=False)``: weights stored in external
   files are never read (their location is validated, their shape comes from
   the TensorProto metadata), so a model whose ``.data`` file is absent works.
2. Bind symbolic input dims from ``dims`` / ``batch``.
3. ``onnx.shape_inference.infer_shapes(..., data_prop=True)`` on a *stripped*
   copy of the model (big initializers and big Constant nodes replaced by typed
   graph inputs, so no weight bytes are copied).
4. One forward walk in topological order that fills every tensor onnx left
   unknown with wattprint's own light shape/value propagation (shape
   subgraphs such as Shape->Gather->Unsqueeze->Concat->Reshape included),
   tracks which tensors are constants (initializers, Constant, ConstantOfShape
   of constants, ...), walks If/Loop/Scan bodies and model-local functions,
   and costs each node with the rule registry in :mod:`wattprint.opcost`.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
from collections import ChainMap, Counter
from typing import Callable, Iterable, Mapping

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

from .errors import WattprintError
from .graph_checks import check_node, check_structure
from .opcost import (
    MS,
    PRECISION_BITS,
    ModelCost,
    NodeCost,
    OpView,
    TensorView,
    cost_node,
    dtype_bits,
    dtype_name,
    folded,
    normalize_domain,
    not_counted,
    parse_einsum,
)

__all__ = ["analyze_model", "ModelCost", "NodeCost"]

MAX_DIM = 2**31
#: tensors up to this many elements get their values tracked (shape arithmetic)
SMALL_VALUE = 4096
#: initializers up to this many bytes keep their data in the model handed to onnx shape inference
INLINE_KEEP_BYTES = 4096
#: nesting limit for subgraphs / model-local functions
MAX_DEPTH = 32

_EXTERNAL = TensorProto.EXTERNAL
_NONDETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
_CONTROL = frozenset({"If", "Loop", "Scan"})
#: ops whose (constant) output holds exactly the elements of input 0: a weight seen through them is
#: still the same parameter (tied embeddings exported as Transpose(wte), DequantizeLinear(int8 W), ...)
_SAME_ELEMENTS = frozenset(
    {"Transpose", "Reshape", "Identity", "Cast", "CastLike", "Squeeze", "Unsqueeze", "Flatten", "DequantizeLinear"}
)


# ==========================================================================
# public entry point
# ==========================================================================


def analyze_model(
    path: str | os.PathLike,
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


def load_proto(path: str | os.PathLike, label: str | None = None) -> tuple[onnx.ModelProto, list[str]]:
    """Load and validate a model once (for callers that cost it at several bindings)."""
    p = os.fspath(path)
    model = _load(p, label or p)
    warnings: list[str] = []
    _check_external_data(model, p, label or p, warnings)
    return model, warnings


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
    warnings = [] if warnings is None else warnings
    p = label
    graph = model.graph
    check_structure(model, label)  # opsets, dtypes, dims, dangling/duplicated names, cycles
    opsets = {normalize_domain(o.domain): int(o.version) for o in model.opset_import}
    if "" not in opsets:
        warnings.append("model declares no default-domain opset; assuming opset 1")
    opset = opsets.get("", 1)

    init_names = {t.name for t in graph.initializer} | {t.values.name for t in graph.sparse_initializer}
    real_inputs = [vi for vi in graph.input if vi.name not in init_names]
    binding = _bind_dims(real_inputs, dims, batch, label, warnings, frozenset(empty_dims))

    inferred = _run_shape_inference(model, init_names, binding, warnings)

    an = _Analyzer(label, opsets, precision, model.functions, warnings)
    scope = _Scope()
    for t in graph.initializer:
        an.add_initializer(scope, t)
    for st in graph.sparse_initializer:
        scope.set(st.values.name, tuple(st.dims), st.values.data_type, const=True)
    for vi in real_inputs:
        dt, shp = binding.input_types[vi.name]
        scope.set(vi.name, shp, dt, taint=binding.taints.get(vi.name, _EMPTY))
    costs, issues = an.walk(list(graph.node), scope, inferred, depth=0, top=True)

    unbound = {}
    for op, reason, taint in issues:
        if reason.startswith("shape unknown"):
            for sym in taint:
                unbound.setdefault(sym, op)
    if unbound:
        raise WattprintError(_unbound_message(label, unbound, binding))

    costs = _shared_weights(model, costs, warnings)
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


# ==========================================================================
# parameters that are not distinct learned weights
# ==========================================================================

#: ops through which attention scores flow from the bias/mask Add to the Softmax
_SCORE_PATH = frozenset({"Add", "Reshape", "Mul", "Where", "Cast", "Unsqueeze", "Squeeze", "View"})


#: ops between rotary frequencies and the Cos/Sin that make the tables
_ROTARY_PATH = frozenset({"MatMul", "Mul", "Transpose", "Concat", "Reshape", "Unsqueeze", "Expand", "Cast", "Gather",
                          "Einsum"})


def _tie_flag(model: onnx.ModelProto) -> bool | None:
    for kv in model.metadata_props:
        if kv.key in ("tie_word_embeddings", "tied_word_embeddings"):
            return kv.value.strip().lower() in ("1", "true", "yes")
    return None


def _same_transposed(a: TensorProto, b: TensorProto) -> bool | None:
    """Compare a few entries of ``a`` and ``b`` (``b`` = ``a`` transposed) when both hold inline data."""
    if a.data_location == _EXTERNAL or b.data_location == _EXTERNAL or not a.raw_data or not b.raw_data:
        return None
    try:
        dt = np.dtype(helper.tensor_dtype_to_np_dtype(a.data_type))
        x = np.frombuffer(a.raw_data, dtype=dt).reshape(tuple(a.dims))
        y = np.frombuffer(b.raw_data, dtype=dt).reshape(tuple(b.dims))
    except (TypeError, ValueError):
        return None
    m, n = x.shape
    rows = [(i * 7919) % m for i in range(32)]
    cols = [(i * 104729) % n for i in range(32)]
    return bool(np.array_equal(x[rows, cols], y[cols, rows]))


def _shared_weights(model: onnx.ModelProto, costs: list, warnings: list[str]) -> list:
    """Params that are not distinct learned weights are taken out of the count (bytes are still read):

    * a tied LM head stored by the exporter as a second, pre-transposed initializer: found by shape
      and use alone (a 2-D float initializer feeding the MatMul that makes the logits, shaped as the
      transpose of one feeding a Gather, the embedding), confirmed by the model's
      ``tie_word_embeddings`` metadata or by sampled inline values; a graph without either gets a
      warning (an untied model, such as a Llama export, has the same shapes).
    * folded constants added to attention scores (masks, position biases expanded from a smaller
      table): a constant float input of an Add on the way to a Softmax.
    """
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    for n in g.node:  # constants held in Constant nodes (legacy exports keep inv_freq there)
        if n.op_type == "Constant" and n.output and len(n.attribute) == 1 and n.attribute[0].name == "value":
            inits.setdefault(n.output[0], n.attribute[0].t)
    if not inits:
        return costs
    consumers: dict[str, list] = {}
    for n in g.node:
        for t in n.input:
            consumers.setdefault(t, []).append(n)
    names = {}
    for i, n in enumerate(g.node):
        names[id(n)] = n.name or f"{n.op_type}_{i}"
    drop: dict[str, list[tuple[str, str]]] = {}  # cost node name -> [(initializer, why)]
    tie = _tie_flag(model)
    outputs = {o.name for o in g.output}
    embeds = {n.input[0] for n in g.node if n.op_type == "Gather" and n.input and n.input[0] in inits}
    if tie is not False:
        for n in g.node:
            if n.op_type not in ("MatMul", "Gemm") or len(n.input) < 2 or n.input[1] not in inits:
                continue
            if n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute):
                continue
            w = inits[n.input[1]]
            if len(w.dims) != 2 or w.dims[0] >= w.dims[1] or w.data_type not in (1, 10, 11, 16):
                continue  # an LM head maps the hidden size to a (larger) vocabulary
            if n.output[0] not in outputs and not any(c.output and c.output[0] in outputs and c.op_type in _SCORE_PATH
                                                      for c in consumers.get(n.output[0], ())):
                continue  # only the LM head (its output is the logits)
            for e in embeds:
                t = inits[e]
                if e != w.name and list(t.dims) == [w.dims[1], w.dims[0]] and t.data_type == w.data_type:
                    same = True if tie else _same_transposed(t, w)
                    if same is None:
                        warnings.append(
                            f"'{w.name}' [{w.dims[0]}x{w.dims[1]}] has the shape of the embedding '{e}' transposed: "
                            f"if the model ties its embeddings, its {_numel(w.dims):,} params are counted twice "
                            f"(no inline data or tie_word_embeddings metadata to tell)")
                    if not same:
                        continue
                    why = "tie_word_embeddings metadata" if tie else "same shape transposed, same values"
                    drop.setdefault(names[id(n)], []).append((w.name, f"tied LM head: '{w.name}' [{w.dims[0]}x{w.dims[1]}] is a transposed "
                                                  f"copy of the embedding '{e}' ({why})"))
                    break
    for n in g.node:
        if n.op_type != "Add" or len(n.input) != 2:
            continue
        const = [t for t in n.input if t in inits and inits[t].data_type in (1, 10, 11, 16) and _numel(inits[t].dims) > 1]
        if len(const) != 1 or len(inits[const[0]].dims) < 3:
            continue
        frontier, hops, hit = [n.output[0]], 0, False
        while frontier and hops < 4 and not hit:
            nxt = []
            for t in frontier:
                for c in consumers.get(t, ()):
                    if c.op_type == "Softmax":
                        hit = True
                    elif c.op_type in _SCORE_PATH:
                        nxt.extend(c.output)
            frontier, hops = nxt, hops + 1
        if hit:
            t = inits[const[0]]
            shape = "x".join(str(d) for d in t.dims)
            drop.setdefault(names[id(n)], []).append((t.name, f"folded constant added to attention scores: '{t.name}' [{shape}]"))
    # rotary position tables and frequencies (inv_freq, cos/sin caches): computed, not learned
    for name, t in list(inits.items()):
        if t.data_type not in (1, 10, 11, 16) or _numel(t.dims) <= 1:
            continue
        for n in consumers.get(name, ()):
            frontier, hops, hit = [o for o in n.output], 0, n.op_type in ("Cos", "Sin")
            if n.op_type == "GroupQueryAttention" and name in list(n.input)[7:9]:
                hit = True
            if n.op_type == "RotaryEmbedding" and name in list(n.input)[1:4]:
                hit = True
            while frontier and hops < 4 and not hit:
                nxt = []
                for o in frontier:
                    for c in consumers.get(o, ()):
                        if c.op_type in ("Cos", "Sin"):
                            hit = True
                        elif c.op_type in _ROTARY_PATH:
                            nxt.extend(c.output)
                frontier, hops = nxt, hops + 1
            if hit:
                shape = "x".join(str(d) for d in t.dims)
                drop.setdefault(names[id(n)], []).append((name, f"rotary table '{name}' [{shape}] (computed, not learned)"))
    if not drop:
        return costs
    out = []
    excluded = []
    for c in costs:
        hits = drop.get(c.name)
        if hits and c.params:
            numel = sum(_numel(inits[init].dims) for init, _ in hits)
            why = "; ".join(w for _, w in hits)
            out.append(dataclasses.replace(c, params=max(0, c.params - numel),
                                           note=(c.note + "; " if c.note else "") + why + ": not counted as params"))
            excluded.extend((w, _numel(inits[init].dims)) for init, w in hits)
        else:
            out.append(c)
    folded = [(why, numel) for why, numel in excluded if why.startswith("folded")]
    rotary = [(why, numel) for why, numel in excluded if why.startswith("rotary")]
    if rotary:
        warnings.append(f"{len(rotary)} rotary table(s), {sum(n for _, n in rotary):,} elements, not counted as "
                        f"parameters (computed from positions, still read)")
    for why, numel in excluded:
        if not why.startswith(("folded", "rotary")):
            warnings.append(f"{why}: its {numel:,} elements are not counted as parameters (still read)")
    if folded:
        shown = "; ".join(why.split(": ", 1)[1] for why, _ in folded[:3]) + (f" (+{len(folded) - 3} more)" if len(folded) > 3 else "")
        warnings.append(f"{len(folded)} folded constant(s) added to attention scores (masks, expanded position biases), "
                        f"{sum(n for _, n in folded):,} elements, not counted as parameters (still read): {shown}")
    return out


# ==========================================================================
# loading and validation
# ==========================================================================


def _load(path: str, label: str) -> onnx.ModelProto:
    if not os.path.exists(path):
        raise WattprintError(f"{label}: no such file", hint="check the model path")
    if os.path.isdir(path):
        raise WattprintError(f"{label}: is a directory", hint="pass the .onnx file inside it")
    from .limits import check_file

    check_file(path, "model")  # devices, FIFOs and sockets refused by kind, before reading; size limit
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise WattprintError(f"{label}: cannot read the file ({e.strerror or e})") from None
    if size == 0:
        raise WattprintError(f"{label}: the file is empty, not an ONNX model", hint="re-export or re-download it")
    try:
        model = _parse(path)
    except OSError as e:
        raise WattprintError(f"{label}: cannot read the file ({e.strerror or e})") from None
    except Exception:  # protobuf DecodeError, RuntimeError from the C++ parser, ...
        raise WattprintError(
            f"{label}: not a readable ONNX model (truncated or corrupt protobuf)",
            hint="re-export or re-download it",
        ) from None
    g = model.graph if model.HasField("graph") else None
    if g is None or model.ir_version <= 0 or (len(g.node) == 0 and len(g.output) == 0):
        raise WattprintError(
            f"{label}: not an ONNX model (no graph or IR version)", hint="pass an .onnx model file"
        )
    return model


def _parse(path: str) -> onnx.ModelProto:
    """Parse a binary .onnx file straight from a memory map.

    Same result as ``onnx.load(path, load_external_data=False)`` without first copying the whole
    file into a bytes object: on a model with hundreds of MB of inline weights this halves the
    load time. Other serialisations (.onnxtxt, .json, ...) go through ``onnx.load``.
    """
    if not path.lower().endswith(".onnx"):
        return onnx.load(path, load_external_data=False)
    import mmap

    model = onnx.ModelProto()
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        with memoryview(mapped) as view:
            model.ParseFromString(view)  # copies what it keeps: nothing refers to the map afterwards
    return model


def _iter_graph_tensors(graph: onnx.GraphProto) -> Iterable[TensorProto]:
    yield from graph.initializer
    for st in graph.sparse_initializer:
        yield st.values
        yield st.indices
    yield from _iter_node_tensors(graph.node)


def _iter_node_tensors(nodes) -> Iterable[TensorProto]:
    for n in nodes:
        for a in n.attribute:
            t = a.type
            if t == AttributeProto.TENSOR:
                yield a.t
            elif t == AttributeProto.TENSORS:
                yield from a.tensors
            elif t == AttributeProto.GRAPH:
                yield from _iter_graph_tensors(a.g)
            elif t == AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield from _iter_graph_tensors(g)


def _check_external_data(model: onnx.ModelProto, path: str, label: str, warnings: list[str]) -> None:
    """Validate every external-data location (inside the model's folder); never read it."""
    base = os.path.dirname(os.path.abspath(path))
    real_base = os.path.realpath(base)
    checked: dict[str, bool] = {}
    tensors = _iter_graph_tensors(model.graph)
    for f in model.functions:
        tensors = _chain(tensors, _iter_node_tensors(f.node))
    for t in tensors:
        if t.data_location != _EXTERNAL:
            continue
        loc = None
        for kv in t.external_data:
            if kv.key == "location":
                loc = kv.value
        if loc is None:
            raise WattprintError(
                f"{label}: tensor '{t.name}' uses external data but has no location",
                hint="re-save the model with onnx.save_model(..., save_as_external_data=True)",
            )
        if loc in checked:
            continue
        checked[loc] = _check_location(loc, base, real_base, label, t.name)
    missing = sorted(loc for loc, exists in checked.items() if not exists)
    if missing:
        shown = ", ".join(missing[:3]) + (f" (+{len(missing) - 3} more)" if len(missing) > 3 else "")
        warnings.append(f"external data file(s) not present: {shown} (not needed for counting)")


def _check_location(loc: str, base: str, real_base: str, label: str, tname: str) -> bool:
    norm_loc = loc.replace("\\", "/")
    bad = (
        os.path.isabs(loc)
        or norm_loc.startswith("/")
        or (len(norm_loc) > 1 and norm_loc[1] == ":")  # Windows drive
        or "\x00" in loc
    )
    full = os.path.normpath(os.path.join(base, norm_loc))
    if not bad:
        bad = os.path.commonpath([full, base]) != base or full == base
    if not bad and os.path.lexists(full):
        real = os.path.realpath(full)
        bad = os.path.commonpath([real, real_base]) != real_base
    if bad:
        raise WattprintError(
            f"{label}: external data of tensor '{tname}' points outside the model's folder ({loc!r})",
            hint="keep the .data file next to the model and use a relative location",
        )
    return os.path.exists(full)


def _chain(*its):
    for it in its:
        yield from it


# ==========================================================================
# symbolic dims
# ==========================================================================

_EMPTY: frozenset = frozenset()


class _Binding:
    def __init__(self):
        self.bound: dict[str, int] = {}  # dim name -> value (model order)
        self.input_types: dict[str, tuple[int, tuple | None]] = {}  # input -> (dtype, bound partial shape)
        self.taints: dict[str, frozenset] = {}  # input -> unbound dim names
        self.where: dict[str, tuple[str, int]] = {}  # dim name -> (first input, axis)


def _check_dim_value(label: str, name: str, v, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise WattprintError(f"{label}: dim {name!r} must be an integer, got {v!r}")
    v = int(v)
    if v < low or v > MAX_DIM:
        raise WattprintError(f"{label}: dim {name!r}={v} is out of range", hint=f"use {low}..{MAX_DIM}")
    return v


_DIM_EXPR_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                 "//": lambda a, b: a // b if b else None, "/": lambda a, b: a // b if b and a % b == 0 else None,
                 "%": lambda a, b: a % b if b else None}


def _eval_dim_expr(expr: str, bound: Mapping[str, int]) -> int | None:
    """Value of a derived dim such as ``past_sequence_length + 1`` from the bound dims, or None.

    Only names, whole numbers, + - * // / % and parentheses; anything else (or an unbound name) is
    not an expression of bound dims.
    """
    import ast

    if not any(c in expr for c in "+-*/%"):
        return None
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%"}

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
            return n.value
        if isinstance(n, ast.Name):
            return bound.get(n.id)
        if isinstance(n, ast.BinOp) and type(n.op) in ops:
            a, b = ev(n.left), ev(n.right)
            return None if a is None or b is None else _DIM_EXPR_OPS[ops[type(n.op)]](a, b)
        return None

    try:
        return ev(tree)
    except RecursionError:
        return None


def _bind_dims(real_inputs, dims, batch, label, warnings, empty: frozenset = frozenset()) -> _Binding:
    b = _Binding()
    raw: list[tuple[str, int, list]] = []  # (input, dtype, [(kind, value)])
    names: dict[str, None] = {}
    for vi in real_inputs:
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None:
            b.input_types[vi.name] = (0, None)
            continue
        if not tt.HasField("shape"):
            b.input_types[vi.name] = (tt.elem_type, None)
            b.taints[vi.name] = frozenset({f"?{vi.name}"})
            b.where[f"?{vi.name}"] = (vi.name, -1)
            continue
        ds = []
        for axis, d in enumerate(tt.shape.dim):
            which = d.WhichOneof("value")
            if which == "dim_value" and d.dim_value > 0:
                ds.append(("v", int(d.dim_value)))
                continue
            key = d.dim_param if which == "dim_param" and d.dim_param else f"{vi.name}[{axis}]"
            ds.append(("s", key))
            names.setdefault(key)
            b.where.setdefault(key, (vi.name, axis))
        raw.append((vi.name, tt.elem_type, ds))

    if batch is not None:
        batch = _check_dim_value(label, "batch", batch)
        hit = False
        for _, _, ds in raw:
            if ds and ds[0][0] == "s":
                b.bound[ds[0][1]] = batch
                hit = True
        if not hit:
            warnings.append(
                f"batch {batch} ignored: every input has a fixed first dim (the model's own batch is used)"
            )
    for k, v in (dims or {}).items():
        # a KV-cache length may be 0 (prefill with an empty cache, as ONNX Runtime runs decoders)
        v = _check_dim_value(label, k, v, 0 if k in empty or "past" in k.lower() else 1)
        if k not in names:
            have = ", ".join(repr(n) for n in names) if names else "none"
            raise WattprintError(f"{label}: the model has no symbolic dim {k!r}; its symbolic dims are: {have}")
        if k in b.bound and b.bound[k] != v:
            raise WattprintError(
                f"{label}: conflicting values for dim {k!r}: --batch {b.bound[k]} and --dim {k}={v}"
            )
        b.bound[k] = v
    # derived dims ('past_sequence_length + 1') follow from the bound ones; a binding that disagrees is an error
    for n in names:
        value = _eval_dim_expr(n, b.bound)
        if value is None:
            continue
        if n in b.bound and b.bound[n] != value:
            raise WattprintError(
                f"{label}: dim {n!r} is bound to {b.bound[n]} but evaluates to {value} from the other dims",
                hint=f"drop --dim for {n!r} (it is derived)",
            )
        b.bound[n] = _check_dim_value(label, n, value, 0)
    # keep model order
    b.bound = {n: b.bound[n] for n in names if n in b.bound}
    for name, dt, ds in raw:
        shp = []
        taint = set()
        for kind, val in ds:
            if kind == "v":
                shp.append(val)
            elif val in b.bound:
                shp.append(b.bound[val])
            else:
                shp.append(None)
                taint.add(val)
        b.input_types[name] = (dt, tuple(shp))
        if taint:
            b.taints[name] = frozenset(taint)
    return b


def _unbound_message(label: str, unbound: Mapping[str, str], binding: _Binding) -> str:
    named: list[tuple[str, str]] = []
    parts, fixes = [], []
    for sym in unbound:
        inp, axis = binding.where.get(sym, ("?", -1))
        if sym.startswith("?"):
            parts.append(f"input '{inp}' has no declared shape")
            fixes.append("re-export the model with input shapes")
        elif sym == f"{inp}[{axis}]":
            parts.append(f"dim {axis} of input '{inp}' has no name or size")
            fixes.append("--batch N" if axis == 0 else f"--dim '{sym}=N'")
        else:
            named.append((sym, inp))
    if named:
        inputs = ", ".join(f"'{i}'" for i in dict.fromkeys(i for _, i in named))
        if len(named) == 1:
            parts.insert(0, f"symbolic dim '{named[0][0]}' of input {inputs} is unbound")
        else:
            syms = ", ".join(f"'{s}'" for s, _ in named)
            parts.insert(0, f"symbolic dims {syms} of input{'s' if ',' in inputs else ''} {inputs} are unbound")
        fixes[:0] = [f"--dim {s}=N" for s, _ in named]
    return f"{label}: {'; '.join(parts)}; pass {' '.join(dict.fromkeys(fixes))}"


# ==========================================================================
# onnx shape inference on a stripped copy
# ==========================================================================


def _numel(dims) -> int:
    return math.prod(int(d) for d in dims)


def _bits(dt: int) -> int:
    return dtype_bits(dt)


def _stripped_model(model: onnx.ModelProto, init_names: set[str], binding: _Binding) -> onnx.ModelProto:
    src = model.graph
    m = onnx.ModelProto()
    m.ir_version = model.ir_version
    m.opset_import.extend(model.opset_import)
    if len(model.functions):
        m.functions.extend(model.functions)
    g = m.graph
    g.name = src.name
    declared = {vi.name for vi in src.input}
    extra = []
    for t in src.initializer:
        if t.data_location != _EXTERNAL and _numel(t.dims) * _bits(t.data_type) <= 8 * INLINE_KEEP_BYTES:
            g.initializer.append(t)
        elif t.name not in declared:
            extra.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    if len(src.sparse_initializer):
        g.sparse_initializer.extend(src.sparse_initializer)
    for vi in src.input:
        if vi.name in init_names:
            g.input.append(vi)
            continue
        dt, shp = binding.input_types.get(vi.name, (0, None))
        if shp is not None and vi.type.HasField("tensor_type"):
            nvi = onnx.ValueInfoProto()
            nvi.CopyFrom(vi)
            dd = nvi.type.tensor_type.shape.dim
            for d, val in zip(dd, shp):
                if val is not None:
                    d.dim_value = val
            g.input.append(nvi)
        else:
            g.input.append(vi)
    for n in src.node:
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx") and len(n.attribute) == 1:
            a = n.attribute[0]
            if a.name == "value" and (
                a.t.data_location == _EXTERNAL or _numel(a.t.dims) * _bits(a.t.data_type) > 8 * INLINE_KEEP_BYTES
            ):
                if n.output and n.output[0]:
                    extra.append(helper.make_tensor_value_info(n.output[0], a.t.data_type, list(a.t.dims)))
                continue
        g.node.append(n)
    g.input.extend(extra)
    # Declared output/value_info shapes are left out: onnx would keep a stale declared shape over the
    # one it infers. They are used afterwards, only where inference left a tensor unknown.
    for vi in src.output:
        o = g.output.add()
        o.name = vi.name
        if vi.type.HasField("tensor_type"):
            o.type.tensor_type.elem_type = vi.type.tensor_type.elem_type
        else:
            o.type.CopyFrom(vi.type)
    return m


def _parse_type(tp, bound: Mapping[str, int] | None = None) -> tuple[int, tuple | None] | None:
    if not tp.HasField("tensor_type"):
        return None
    tt = tp.tensor_type
    if not tt.HasField("shape"):
        return tt.elem_type, None
    shp = []
    for d in tt.shape.dim:
        which = d.WhichOneof("value")
        if which == "dim_value" and d.dim_value >= 0:
            shp.append(int(d.dim_value))
        elif bound and which == "dim_param" and d.dim_param in bound:
            shp.append(bound[d.dim_param])
        else:
            shp.append(None)
    return tt.elem_type, tuple(shp)


def _collect_types(graph: onnx.GraphProto, out: dict, depth: int = 0, bound: Mapping | None = None) -> None:
    for vi in _chain(graph.value_info, graph.output):
        r = _parse_type(vi.type, bound)
        if r is not None:
            out[vi.name] = r
    if depth > MAX_DEPTH:
        return
    for n in graph.node:
        if n.op_type in _CONTROL or n.domain not in ("", "ai.onnx"):
            for a in n.attribute:
                if a.type == AttributeProto.GRAPH:
                    _collect_types(a.g, out, depth + 1, bound)
                elif a.type == AttributeProto.GRAPHS:
                    for sg in a.graphs:
                        _collect_types(sg, out, depth + 1, bound)


def _run_shape_inference(model, init_names, binding, warnings) -> dict:
    inferred: dict = {}
    try:
        stripped = _stripped_model(model, init_names, binding)
        result = onnx.shape_inference.infer_shapes(stripped, check_type=False, strict_mode=False, data_prop=True)
    except Exception as e:  # unsupported opset, malformed node, ...
        msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        warnings.append(f"onnx shape inference failed ({msg}); using wattprint's own shape propagation")
        _collect_types(model.graph, inferred, bound=binding.bound)  # the model's own value_info
        return inferred
    _collect_types(result.graph, inferred)
    declared: dict = {}
    _collect_types(model.graph, declared, bound=binding.bound)
    for name, (dt, shp) in declared.items():
        have = inferred.get(name)
        if have is None:
            inferred[name] = (dt, shp)
        elif have[1] is None or None in have[1]:
            inferred[name] = (have[0] or dt, _merge(have[1], shp) if have[1] is not None else shp)
    return inferred


# ==========================================================================
# the walk
# ==========================================================================


class _Scope:
    """Tensor facts by name; a child scope (subgraph) sees its parent's tensors."""

    __slots__ = ("shape", "dtype", "value", "const", "taint", "dq", "alias")

    def __init__(self, parent: "_Scope | None" = None, alias: dict | None = None):
        if parent is None:
            self.shape: dict = {}
            self.dtype: dict = {}
            self.value: dict = {}
            self.const: dict = {}
            self.taint: dict = {}
            self.dq: dict = {}
        else:
            self.shape = ChainMap({}, parent.shape)
            self.dtype = ChainMap({}, parent.dtype)
            self.value = ChainMap({}, parent.value)
            self.const = ChainMap({}, parent.const)
            self.taint = ChainMap({}, parent.taint)
            self.dq = ChainMap({}, parent.dq)
        # function bodies: local name -> model-wide name (subgraphs inherit their parent's)
        self.alias = alias if alias is not None or parent is None else parent.alias

    def set(self, name, shape, dtype, value=None, const=False, taint=_EMPTY, dq=0):
        self.shape[name] = shape
        self.dtype[name] = dtype
        if value is not None:
            self.value[name] = value
        if const:
            self.const[name] = True
        if taint:
            self.taint[name] = taint
        if dq:
            self.dq[name] = dq


def _attrs_of(node: onnx.NodeProto, caller: Mapping | None = None) -> dict:
    d = {}
    for a in node.attribute:
        if a.ref_attr_name:
            if caller is not None and a.ref_attr_name in caller:
                d[a.name] = caller[a.ref_attr_name]
            continue
        d[a.name] = helper.get_attribute_value(a)
    return d


def _topo_order(nodes: list) -> list:
    produced: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.output:
            if o:
                produced[o] = i
    for i, n in enumerate(nodes):
        for x in n.input:
            j = produced.get(x)
            if j is not None and j >= i:
                break
        else:
            continue
        break
    else:
        return nodes
    # Kahn's algorithm, stable (lowest original index first)
    deps = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        seen = set()
        for x in n.input:
            j = produced.get(x)
            if j is not None and j != i and j not in seen:
                seen.add(j)
                deps[i] += 1
                users[j].append(i)
    heap = [i for i, d in enumerate(deps) if d == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        i = heapq.heappop(heap)
        order.append(i)
        for u in users[i]:
            deps[u] -= 1
            if deps[u] == 0:
                heapq.heappush(heap, u)
    done = set(order)
    order.extend(i for i in range(len(nodes)) if i not in done)  # cycles: keep as they are
    return [nodes[i] for i in order]


class _Analyzer:
    def __init__(self, label, opsets, precision, functions, warnings):
        self.label = label
        self.opsets = opsets
        self.precision = precision
        self.functions = {(normalize_domain(f.domain), f.name): f for f in functions}
        self.warnings = warnings
        self.seen_params: set[str] = set()
        # tensor -> the tensor whose elements it is (shared external storage, folded Transpose/Reshape/...)
        self.canon: dict[str, str] = {}
        self.storage: dict[tuple, str] = {}

    # ---------------------------------------------------------------- tensors
    def add_initializer(self, sc: _Scope, t: TensorProto) -> None:
        shape = tuple(int(d) for d in t.dims)
        if t.data_location == _EXTERNAL:
            ext = {kv.key: kv.value for kv in t.external_data}
            key = (ext.get("location"), ext.get("offset", "0"), ext.get("length"), t.data_type)
            first = self.storage.setdefault(key, self._global(sc, t.name))
            if first != t.name:
                self.canon[self._global(sc, t.name)] = first
        value = None
        if t.data_location != _EXTERNAL and t.data_type != TensorProto.STRING and math.prod(shape) <= SMALL_VALUE:
            try:
                value = numpy_helper.to_array(t)
            except Exception:
                value = None
        sc.set(t.name, shape, t.data_type, value=value, const=True)

    @staticmethod
    def _global(sc: _Scope, name: str) -> str:
        return sc.alias.get(name, name) if sc.alias is not None else name

    def _key(self, sc: _Scope, name: str) -> str:
        """Identity used to count a weight once: same storage / same elements => same key."""
        k = sc.alias.get(name, name) if sc.alias is not None else name
        return self.canon.get(k, k)

    def _tv(self, sc: _Scope, name: str) -> TensorView:
        shp = sc.shape.get(name)
        if shp is not None and None in shp:
            shp = None
        key = sc.alias.get(name, name) if sc.alias is not None else name  # (self._key, inlined: hot path)
        key = self.canon.get(key, key)
        return TensorView(
            key, shp, sc.dtype.get(name, 0), bool(sc.const.get(name)), sc.value.get(name), sc.dq.get(name, 0)
        )

    # ------------------------------------------------------------------ walk
    def walk(self, nodes, sc: _Scope, inferred: Mapping, depth: int, top: bool = False,
             caller_attrs: Mapping | None = None, opsets: Mapping | None = None, prefix: str = ""):
        """Walk ``nodes`` (a graph's or function's body); return (NodeCosts, issues)."""
        opsets = opsets or self.opsets
        costs: list[NodeCost] = []
        issues: list[tuple[str, str, frozenset]] = []
        order = _topo_order(nodes)
        if top and order is not nodes:
            self.warnings.append("graph nodes were not in topological order; sorted them")
        for idx, node in enumerate(order):
            op = node.op_type
            dom = normalize_domain(node.domain)
            ins = list(node.input)
            outs = list(node.output)
            name = prefix + (node.name or f"{op}_{idx}")
            attrs = _Lazy(node, caller_attrs)
            opset = opsets.get(dom, 1)
            taint = _EMPTY
            for i in ins:
                t = sc.taint.get(i) if i else None
                if t:
                    taint = t if not taint else taint | t
            if (dom == "" and op in _CONTROL) or (dom, op) in self.functions:
                try:
                    if dom == "" and op in _CONTROL:
                        nc, sub_issues = self._control(node, name, ins, outs, sc, inferred, attrs, depth, opsets)
                    else:
                        nc, sub_issues = self._function(node, name, ins, outs, sc, attrs, depth)
                except WattprintError:
                    raise
                except Exception as e:  # malformed subgraph / function body
                    nc = not_counted(name, op, dom, None, "unknown", f"malformed {op} node ({type(e).__name__})")
                    sub_issues = []
                for o in outs:
                    if o and taint:
                        sc.taint[o] = taint
                issues.extend(sub_issues)
            else:
                self._propagate(node, op, dom, ins, outs, sc, inferred, attrs, opset, taint)
                check_node(
                    self.label, name, op, dom, [sc.shape.get(i) if i else None for i in ins],
                    [sc.shape.get(o) if o else None for o in outs], outs,
                    lambda key, default=None: attrs.get_all().get(key, default),
                )
                nc = self._cost(op, dom, name, ins, outs, sc, attrs, opset)
            if not nc.counted and nc.note:
                note = nc.note
                if not taint and note.startswith("shape unknown: "):
                    # nothing unbound upstream: the shape depends on input values or on an op we cannot follow
                    note = note.replace("shape unknown: ", "shape unresolved: ", 1)
                    nc = dataclasses.replace(nc, note=note)
                issues.append((op, note, taint))
            costs.append(nc)
        return costs, issues

    def _cost(self, op, dom, name, ins, outs, sc, attrs, opset) -> NodeCost:
        live_outs = [o for o in outs if o]
        if op not in _NONDETERMINISTIC and _all_const(live_outs, sc.const):
            shp = sc.shape.get(live_outs[0])
            prec = dtype_name(sc.dtype.get(live_outs[0], 0))
            return folded(name, op, dom, shp if shp is not None and None not in shp else None, prec)
        tv = self._tv
        view = OpView(
            op, dom, name,
            tuple([tv(sc, i) if i else None for i in ins]),
            tuple([tv(sc, o) if o else None for o in outs]),
            attrs.get_all, opset,
        )
        return cost_node(view, self.precision, self.seen_params)

    # ------------------------------------------------------------- propagate
    def _propagate(self, node, op, dom, ins, outs, sc, inferred, attrs, opset, taint) -> None:
        is_const = (
            (op == "Constant" or _all_const(ins, sc.const))
            and op not in _NONDETERMINISTIC
            and dom in ("", MS)
        )
        need_own = False
        for o in outs:
            if not o:
                continue
            r = inferred.get(o)
            if r is None:
                need_own = True
                continue
            dt, shp = r
            sc.shape[o] = shp
            sc.dtype[o] = dt
            if shp is None or None in shp:
                need_own = True
            if is_const:
                sc.const[o] = True
            if taint:
                sc.taint[o] = taint
        if op in ("DequantizeLinear",) and ins and ins[0]:
            for o in outs[:1]:
                if o:
                    sc.dq[o] = sc.dtype.get(ins[0], 0)
        if is_const and op in _SAME_ELEMENTS and ins and ins[0] and outs and outs[0]:
            self.canon[self._global(sc, outs[0])] = self._key(sc, ins[0])
        fn = _SHAPE_FNS.get(op)
        if fn is None:
            if need_own:
                for o in outs:
                    if o and o not in inferred:
                        sc.set(o, None, 0, const=is_const, taint=taint)
            return
        want_value = op in _VALUE_OPS and dom == "" and all(
            (not i) or (sc.value.get(i) is not None) for i in ins[: _VALUE_OPS[op]]
        )
        if not need_own and not want_value:
            return
        c = _Ctx(node, ins, sc, attrs, opset, len(outs))
        try:
            res = fn(c)
        except Exception:
            try:  # a value computation failed (bad index, overflow, ...): shapes only
                c.novals = True
                res = fn(c)
            except Exception:
                res = None
        for k, o in enumerate(outs):
            if not o:
                continue
            shp, dt, val = (res[k] if res is not None and k < len(res) else (None, 0, None))
            known = inferred.get(o)
            if known is not None:
                kd, ks = known
                if ks is None or None in ks:
                    sc.shape[o] = _merge(ks, shp)
                if not kd and dt:
                    sc.dtype[o] = dt
            else:
                sc.shape[o] = shp
                sc.dtype[o] = dt or (sc.dtype.get(ins[0], 0) if ins and ins[0] else 0)
                if is_const:
                    sc.const[o] = True
                if taint:
                    sc.taint[o] = taint
            if val is not None and np.size(val) <= SMALL_VALUE:
                s_now = sc.shape.get(o)
                if s_now is None or None in s_now or tuple(s_now) == tuple(np.shape(val)):
                    sc.value[o] = val
                    if s_now is None or None in s_now:
                        sc.shape[o] = tuple(np.shape(val))

    # --------------------------------------------------------- control flow
    def _subgraph(self, g: onnx.GraphProto, sc: _Scope, inferred, depth, opsets, bind: list):
        sub = _Scope(sc)
        for t in g.initializer:
            self.add_initializer(sub, t)
        for vi, (shp, dt) in zip(g.input, bind):
            declared = _parse_type(vi.type)
            if (shp is None or None in shp) and declared is not None and declared[1] is not None:
                shp = _merge(shp, declared[1]) if shp is not None else declared[1]
            if not dt and declared is not None:
                dt = declared[0]
            sub.set(vi.name, shp, dt)
        costs, issues = self.walk(list(g.node), sub, inferred, depth + 1, opsets=opsets)
        outs = [(sub.shape.get(o.name), sub.dtype.get(o.name, 0)) for o in g.output]
        for k, o in enumerate(g.output):
            if outs[k][0] is None:
                declared = _parse_type(o.type)
                if declared is not None:
                    outs[k] = (declared[1], outs[k][1] or declared[0])
        return costs, issues, outs

    def _control(self, node, name, ins, outs, sc, inferred, attrs, depth, opsets):
        op = node.op_type
        a = attrs.get_all()
        if depth >= MAX_DEPTH:
            return not_counted(name, op, "", None, "unknown", "subgraphs nested too deep"), []
        prec = "unknown"
        if op == "If":
            cond = sc.value.get(ins[0]) if ins and ins[0] else None
            branches = [("then", a.get("then_branch")), ("else", a.get("else_branch"))]
            if cond is not None and np.size(cond) == 1:
                branches = [branches[0] if bool(np.asarray(cond).reshape(-1)[0]) else branches[1]]
            results = []
            params = 0
            for bname, g in branches:
                if g is None:
                    continue
                costs, issues, bouts = self._subgraph(g, sc, inferred, depth, opsets, [])
                params += sum(c.params for c in costs)
                results.append((sum(c.flops for c in costs if c.counted), bname, costs, issues, bouts))
            if not results:
                return not_counted(name, op, "", None, prec, "If without branches"), []
            results.sort(key=lambda r: (-r[0], r[1] != "then"))
            _, bname, costs, issues, bouts = results[0]
            self._set_outputs(outs, bouts, sc, inferred)
            if len(results) == 1 and len(branches) == 1:
                note = f"If: condition is constant, '{bname}' branch counted"
            else:
                note = f"If: larger branch ('{bname}') counted"
            return self._aggregate(name, op, outs, sc, costs, 1, note, params=params), self._inner(issues, op)
        if op == "Loop":
            body = a.get("body")
            m = sc.value.get(ins[0]) if ins and ins[0] else None
            trip = int(np.asarray(m).reshape(-1)[0]) if m is not None and np.size(m) == 1 else None
            carried = ins[2:]
            bind = [((), TensorProto.INT64), ((), TensorProto.BOOL)]
            bind += [(sc.shape.get(x), sc.dtype.get(x, 0)) if x else (None, 0) for x in carried]
            costs, issues, bouts = self._subgraph(body, sc, inferred, depth, opsets, bind)
            n_car = len(carried)
            louts = []
            for k in range(len(outs)):
                if k < n_car:
                    shp, dt = bouts[1 + k] if 1 + k < len(bouts) else (None, 0)
                    if shp is None or None in shp:
                        shp, dt = sc.shape.get(carried[k]), dt or sc.dtype.get(carried[k], 0)
                    louts.append((shp, dt))
                else:
                    shp, dt = bouts[1 + k] if 1 + k < len(bouts) else (None, 0)
                    louts.append(((trip,) + tuple(shp) if shp is not None else None, dt))
            self._set_outputs(outs, louts, sc, inferred)
            if trip is None:
                nc = self._aggregate(name, op, outs, sc, costs, 0, "Loop trip count unknown", counted=False)
                return nc, []
            early = len(ins) > 1 and ins[1] and not (sc.value.get(ins[1]) is not None and bool(np.all(sc.value[ins[1]])))
            note = f"Loop body x {trip} iterations" + (" (upper bound: the loop may exit early)" if early else "")
            return self._aggregate(name, op, outs, sc, costs, trip, note), self._inner(issues, op)
        # Scan
        body = a.get("body")
        if self.opsets.get("", 1) < 9 or "num_scan_inputs" not in a:
            return not_counted(name, op, "", None, prec, "Scan-8 (batched) form not supported"), []
        n_scan = int(a["num_scan_inputs"])
        n_state = len(ins) - n_scan
        axes = [int(x) for x in a.get("scan_input_axes", [0] * n_scan)]
        bind = [(sc.shape.get(x), sc.dtype.get(x, 0)) if x else (None, 0) for x in ins[:n_state]]
        seq = None
        for k, x in enumerate(ins[n_state:]):
            shp = sc.shape.get(x)
            if shp is not None:
                ax = axes[k] + len(shp) if axes[k] < 0 else axes[k]
                if seq is None and ax < len(shp):
                    seq = shp[ax]
                bind.append((tuple(d for j, d in enumerate(shp) if j != ax), sc.dtype.get(x, 0)))
            else:
                bind.append((None, sc.dtype.get(x, 0)))
        costs, issues, bouts = self._subgraph(body, sc, inferred, depth, opsets, bind)
        out_axes = [int(x) for x in a.get("scan_output_axes", [0] * max(len(outs) - n_state, 0))]
        souts = []
        for k in range(len(outs)):
            shp, dt = bouts[k] if k < len(bouts) else (None, 0)
            if k >= n_state and shp is not None:
                ax = out_axes[k - n_state] if k - n_state < len(out_axes) else 0
                ax = ax + len(shp) + 1 if ax < 0 else ax
                shp = tuple(shp[:ax]) + (seq,) + tuple(shp[ax:])
            souts.append((shp, dt))
        self._set_outputs(outs, souts, sc, inferred)
        if seq is None:
            return self._aggregate(name, op, outs, sc, costs, 0, "Scan sequence length unknown", counted=False), []
        return self._aggregate(name, op, outs, sc, costs, seq, f"Scan body x seq {seq}"), self._inner(issues, op)

    @staticmethod
    def _inner(issues, op):
        return [(o, f"{r} (inside {op})" if "(inside" not in r else r, t) for o, r, t in issues]

    def _set_outputs(self, outs, shapes, sc, inferred):
        for k, o in enumerate(outs):
            if not o:
                continue
            shp, dt = shapes[k] if k < len(shapes) else (None, 0)
            known = inferred.get(o)
            if known is not None and known[1] is not None and None not in known[1]:
                shp = known[1]
            elif known is not None:
                shp = _merge(known[1], shp)
            if known is not None and known[0]:
                dt = known[0]
            sc.shape[o] = shp
            sc.dtype[o] = dt

    def _aggregate(self, name, op, outs, sc, costs, mult, note, counted=True, params=None, domain=""):
        o0 = outs[0] if outs else ""
        shp = sc.shape.get(o0) if o0 else None
        shp = shp if shp is not None and None not in shp else None
        live = [c for c in costs if c.counted]
        n_un = len(costs) - len(live)
        prec = max(live, key=lambda c: c.flops).precision if live else "unknown"
        if n_un and counted:
            note += f"; {n_un} inner node(s) not counted"
        if not counted:
            return not_counted(name, op, domain, shp, prec, note)
        return NodeCost(
            name, op, domain, shp, prec,
            sum(c.macs for c in live) * mult,
            sum(c.elementwise_ops for c in live) * mult,
            sum(c.reduction_ops for c in live) * mult,
            sum(c.transcendental_ops for c in live) * mult,
            sum(c.params for c in live) if params is None else params,
            sum(c.bytes_read for c in live) * mult,
            sum(c.bytes_written for c in live) * mult,
            sum(c.weight_bytes for c in live) * mult,
            True,
            note,
        )

    # ------------------------------------------------------------ functions
    def _function(self, node, name, ins, outs, sc, attrs, depth):
        op = node.op_type
        dom = normalize_domain(node.domain)
        f = self.functions[(dom, op)]
        if depth >= MAX_DEPTH:
            return not_counted(name, op, dom, None, "unknown", "functions nested too deep"), []
        caller = {}
        for ap in f.attribute_proto:
            caller[ap.name] = helper.get_attribute_value(ap)
        caller.update(attrs.get_all())
        alias = {}
        sub = _Scope(alias=alias)
        for formal, actual in zip(f.input, ins):
            if not actual:
                continue
            alias[formal] = sc.alias.get(actual, actual) if sc.alias is not None else actual
            sub.set(
                formal, sc.shape.get(actual), sc.dtype.get(actual, 0), value=sc.value.get(actual),
                const=bool(sc.const.get(actual)), taint=sc.taint.get(actual, _EMPTY), dq=sc.dq.get(actual, 0),
            )
        prefix = name + "/"
        for n in f.node:
            for o in n.output:
                if o and o not in alias:
                    alias[o] = prefix + o
        f_opsets = dict(self.opsets)
        f_opsets.update({normalize_domain(o.domain): int(o.version) for o in f.opset_import})
        costs, issues = self.walk(list(f.node), sub, {}, depth + 1, caller_attrs=caller, opsets=f_opsets,
                                  prefix=prefix)
        for formal, actual in zip(f.output, outs):
            if actual:
                sc.shape[actual] = sub.shape.get(formal)
                sc.dtype[actual] = sub.dtype.get(formal, 0)
                if sub.value.get(formal) is not None:
                    sc.value[actual] = sub.value[formal]
                if sub.const.get(formal):
                    sc.const[actual] = True
        note = f"function {dom + '.' if dom else ''}{op}: {len(costs)} nodes"
        return self._aggregate(name, op, outs, sc, costs, 1, note, domain=dom), self._inner(issues, op)


def _all_const(names, const) -> bool:
    """Some name is given and every given name is a constant (a loop: this runs for every node)."""
    found = False
    for name in names:
        if name:
            if not const.get(name):
                return False
            found = True
    return found


class _Lazy:
    """Parses a node's attributes on first use."""

    __slots__ = ("node", "caller", "_d")

    def __init__(self, node, caller):
        self.node = node
        self.caller = caller
        self._d = None

    def get_all(self) -> dict:
        if self._d is None:
            self._d = _attrs_of(self.node, self.caller)
        return self._d


def _merge(a, b):
    """Merge two partial shapes (None = unknown rank / dim)."""
    if a is None:
        return b
    if b is None or len(a) != len(b):
        return a
    return tuple(x if x is not None else y for x, y in zip(a, b))


# ==========================================================================
# own shape / value propagation
# ==========================================================================


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


_SHAPE_FNS: dict[str, Callable[[_Ctx], list]] = {}
#: ops whose value we compute when the first N inputs have known values
_VALUE_OPS: dict[str, int] = {}


def _shape(*ops, value_inputs: int | None = None):
    def deco(fn):
        for op in ops:
            _SHAPE_FNS[op] = fn
            if value_inputs is not None:
                _VALUE_OPS[op] = value_inputs
        return fn

    return deco


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


# ----------------------------------------------------------------- constants


def _tensor_value(t: TensorProto):
    if t.data_location == _EXTERNAL or t.data_type == TensorProto.STRING or _numel(t.dims) > SMALL_VALUE:
        return None
    try:
        return numpy_helper.to_array(t)
    except Exception:
        return None


@_shape("Constant", value_inputs=0)
def _sh_constant(c: _Ctx):
    a = c._attrs.get_all()
    if "value" in a:
        t = a["value"]
        return [(tuple(int(d) for d in t.dims), t.data_type, _tensor_value(t))]
    if "sparse_value" in a:
        t = a["sparse_value"]
        return [(tuple(int(d) for d in t.dims), t.values.data_type, None)]
    for k, dt in (
        ("value_float", TensorProto.FLOAT), ("value_floats", TensorProto.FLOAT),
        ("value_int", TensorProto.INT64), ("value_ints", TensorProto.INT64),
    ):
        if k in a:
            v = np.array(a[k], dtype=np.float32 if dt == TensorProto.FLOAT else np.int64)
            return [(v.shape, dt, v)]
    if "value_string" in a:
        return [((), TensorProto.STRING, None)]
    if "value_strings" in a:
        return [((len(a["value_strings"]),), TensorProto.STRING, None)]
    return None


@_shape("ConstantOfShape", value_inputs=1)
def _sh_constant_of_shape(c: _Ctx):
    t = c.attr("value")
    dt = t.data_type if t is not None else TensorProto.FLOAT
    dims = c.ints(0)
    if dims is None:
        s = c.shape(0)
        return [((None,) * s[0] if _full(s) and len(s) == 1 else None, dt, None)]
    val = None
    if math.prod(dims) <= SMALL_VALUE:
        fill = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
        val = np.full(dims, fill)
    return [(tuple(dims), dt, val)]


@_shape("Range", value_inputs=3)
def _sh_range(c: _Ctx):
    s, l, d = c.value(0), c.value(1), c.value(2)
    dt = c.dtype(0)
    if s is None or l is None or d is None:
        return [((None,), dt, None)]
    s, l, d = (np.asarray(x).reshape(-1)[0] for x in (s, l, d))
    n = max(int(math.ceil((l - s) / d)), 0) if d != 0 else 0
    val = np.arange(s, l, d).astype(np.asarray(s).dtype) if n <= SMALL_VALUE else None
    return [((n,), dt, val)]


# ---------------------------------------------------------------- shape ops


@_shape("Shape", value_inputs=0)
def _sh_shape(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [((None,), TensorProto.INT64, None)]
    r = len(s)
    start = _axis(int(c.attr("start", 0)), r)
    end = c.attr("end")
    end = r if end is None else _axis(int(end), r)
    start, end = max(0, min(start, r)), max(0, min(end, r))
    sub = s[start:end]
    val = np.array(sub, dtype=np.int64) if _full(sub) else None
    return [((len(sub),), TensorProto.INT64, val)]


@_shape("Size", value_inputs=0)
def _sh_size(c: _Ctx):
    n = _prod(c.shape(0))
    return [((), TensorProto.INT64, None if n is None else np.array(n, dtype=np.int64))]


# -------------------------------------------------------------- elementwise

_UNARY_VALUE = {
    "Identity": lambda x: x, "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil,
    "Sqrt": np.sqrt, "Not": np.logical_not, "Sign": np.sign, "Relu": lambda x: np.maximum(x, 0),
    "Round": np.round, "Reciprocal": lambda x: 1 / x, "Exp": np.exp, "Log": np.log,
}
_SAME_SHAPE = (
    "Identity", "Neg", "Abs", "Floor", "Ceil", "Sqrt", "Not", "Sign", "Relu", "Round", "Reciprocal", "Exp", "Log",
    "Sigmoid", "Tanh", "Erf", "Softplus", "Softsign", "Elu", "Selu", "Celu", "LeakyRelu", "ThresholdedRelu",
    "HardSigmoid", "HardSwish", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "Mish", "Swish", "Sin", "Cos",
    "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf", "Shrink",
    "Softmax", "LogSoftmax", "Hardmax", "LRN", "InstanceNormalization", "MeanVarianceNormalization",
    "CumSum", "CumProd", "Trilu", "BitwiseNot", "Clip", "Dropout", "BatchNormalization", "LayerNormalization",
    "SimplifiedLayerNormalization", "RMSNormalization", "GroupNormalization", "SkipLayerNormalization",
    "SkipSimplifiedLayerNormalization", "RotaryEmbedding", "BiasSoftmax", "GroupNorm", "SkipGroupNorm",
    "BiasDropout", "ReverseSequence", "Scatter", "ScatterND", "ScatterElements", "DequantizeLinear",
    "QuantizeLinear", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "BiasAdd", "PRelu",
    "SwiGLU", "LpNormalization", "TensorScatter", "MulInteger",
)
_BOOL_OUT = {"Not", "IsNaN", "IsInf"}


@_shape(*_SAME_SHAPE, value_inputs=1)
def _sh_same(c: _Ctx):
    op = c.node.op_type
    s, dt = c.shape(0), c.dtype(0)
    if op in _BOOL_OUT:
        dt = TensorProto.BOOL
    elif op == "QuantizeLinear":
        dt = c.dtype(2) or int(c.attr("output_dtype", 0)) or TensorProto.UINT8
    elif op == "DequantizeLinear":
        dt = int(c.attr("output_dtype", 0)) or c.dtype(1) or TensorProto.FLOAT
    elif op in ("QLinearSigmoid", "QLinearLeakyRelu") and c.has(4):
        dt = c.dtype(4) or dt
    val = None
    x = c.value(0)
    if x is not None and op in _UNARY_VALUE:
        with np.errstate(all="ignore"):
            val = np.asarray(_UNARY_VALUE[op](x))
    out = [(s, dt, val)]
    for k in range(1, c.nout):
        if op == "Dropout":
            out.append((s, TensorProto.BOOL, None))
        elif op in ("SkipLayerNormalization", "SkipSimplifiedLayerNormalization") and k == 3:
            out.append((s, dt, None))
        elif op in ("LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization",
                    "SkipSimplifiedLayerNormalization") and s is not None:
            ax = _axis(int(c.attr("axis", -1)), len(s)) if s else 0
            stash = int(c.attr("stash_type", 1)) or TensorProto.FLOAT
            out.append((tuple(s[:ax]) + (1,) * (len(s) - ax), stash, None))
        elif op == "BatchNormalization" and s is not None and len(s) > 1:
            out.append(((s[1],), dt, None))
        else:
            out.append((None, 0, None))
    return out


def _int_div(a, b):
    if np.issubdtype(np.asarray(a).dtype, np.integer) and np.issubdtype(np.asarray(b).dtype, np.integer):
        return np.trunc(np.asarray(a, dtype=np.float64) / b).astype(np.result_type(a, b))
    return np.divide(a, b)


_BINARY_VALUE = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": _int_div, "Pow": np.power,
    "Mod": np.mod, "Equal": np.equal, "Less": np.less, "Greater": np.greater, "LessOrEqual": np.less_equal,
    "GreaterOrEqual": np.greater_equal, "And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor,
    "Max": np.maximum, "Min": np.minimum, "Sum": np.add, "BitShift": None,
}
_COMPARE = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"}


@_shape(
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
    "And", "Or", "Xor", "Max", "Min", "Sum", "Mean", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
    value_inputs=2,
)
def _sh_binary(c: _Ctx):
    op = c.node.op_type
    idx = [i for i in range(len(c.ins)) if c.has(i)]
    s = _bcast(*[c.shape(i) for i in idx])
    dt = TensorProto.BOOL if op in _COMPARE else c.dtype(idx[0] if idx else 0)
    val = None
    f = _BINARY_VALUE.get(op)
    vals = [c.value(i) for i in idx]
    if f is not None and vals and all(v is not None for v in vals) and _small(s):
        with np.errstate(all="ignore"):
            acc = vals[0]
            for v in vals[1:]:
                acc = f(acc, v)
        val = np.asarray(acc)
        if op not in _COMPARE and op != "Div":
            val = val.astype(vals[0].dtype, copy=False)
    return [(s, dt, val)]


@_shape("Where", value_inputs=3)
def _sh_where(c: _Ctx):
    s = _bcast(c.shape(0), c.shape(1), c.shape(2))
    vals = [c.value(i) for i in range(3)]
    val = np.where(*vals) if all(v is not None for v in vals) and _small(s) else None
    return [(s, c.dtype(1), val)]


@_shape("Cast", value_inputs=1)
def _sh_cast(c: _Ctx):
    to = int(c.attr("to", 0))
    x = c.value(0)
    val = None
    npd = _np_dtype(to)
    if x is not None and npd is not None and to != TensorProto.STRING:
        with np.errstate(all="ignore"):
            val = np.asarray(x).astype(npd)
    return [(c.shape(0), to, val)]


@_shape("CastLike", value_inputs=1)
def _sh_castlike(c: _Ctx):
    return [(c.shape(0), c.dtype(1), None)]


# ------------------------------------------------------------ data movement


@_shape("Reshape", value_inputs=1)
def _sh_reshape(c: _Ctx):
    s = c.shape(0)
    target = c.ints(1, "shape")
    if target is None:
        ts = c.shape(1)
        return [((None,) * ts[0] if _full(ts) else None, c.dtype(0), None)]
    allow0 = int(c.attr("allowzero", 0))
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allow0:
            out.append(s[i] if s is not None and i < len(s) else None)
        else:
            out.append(d)
    if -1 in out:
        n = _prod(s)
        rest = [d for d in out if d != -1]
        if n is not None and None not in rest:
            k = math.prod(rest)
            out[out.index(-1)] = n // k if k else 0
        else:
            out[out.index(-1)] = None
    x = c.value(0)
    val = x.reshape(out) if x is not None and None not in out else None
    return [(tuple(out), c.dtype(0), val)]


@_shape("Flatten", value_inputs=1)
def _sh_flatten(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [((None, None), c.dtype(0), None)]
    ax = _axis(int(c.attr("axis", 1)), len(s))
    a, b = s[:ax], s[ax:]
    out = (_prod(a) if a else 1, _prod(b) if b else 1)
    x = c.value(0)
    return [(out, c.dtype(0), x.reshape(out) if x is not None else None)]


@_shape("Transpose", value_inputs=1)
def _sh_transpose(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    perm = c.attr("perm")
    perm = list(range(len(s)))[::-1] if perm is None else [int(p) for p in perm]
    x = c.value(0)
    return [(tuple(s[p] for p in perm), c.dtype(0), np.transpose(x, perm) if x is not None else None)]


@_shape("Squeeze", value_inputs=1)
def _sh_squeeze(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    axes = c.ints(1, "axes")
    if axes is None:
        if c.has(1) or not _full(s):
            return [(None, c.dtype(0), None)]
        axes = [i for i, d in enumerate(s) if d == 1]
    axes = {_axis(a, len(s)) for a in axes}
    out = tuple(d for i, d in enumerate(s) if i not in axes)
    x = c.value(0)
    return [(out, c.dtype(0), x.reshape(out) if x is not None else None)]


@_shape("Unsqueeze", value_inputs=1)
def _sh_unsqueeze(c: _Ctx):
    s = c.shape(0)
    axes = c.ints(1, "axes")
    if s is None or axes is None:
        return [(None, c.dtype(0), None)]
    r = len(s) + len(axes)
    axes = sorted(_axis(a, r) for a in axes)
    out = list(s)
    for a in axes:
        out.insert(a, 1)
    x = c.value(0)
    return [(tuple(out), c.dtype(0), x.reshape(out) if x is not None else None)]


@_shape("Concat", value_inputs=99)
def _sh_concat(c: _Ctx):
    shapes = [c.shape(i) for i in range(len(c.ins)) if c.has(i)]
    if not shapes or any(s is None for s in shapes):
        return [(None, c.dtype(0), None)]
    r = len(shapes[0])
    ax = _axis(int(c.attr("axis", 0)), r)
    out = []
    for i in range(r):
        if i == ax:
            ds = [s[i] for s in shapes]
            out.append(None if None in ds else sum(ds))
        else:
            ds = [s[i] for s in shapes if s[i] is not None]
            out.append(ds[0] if ds else None)
    vals = [c.value(i) for i in range(len(c.ins)) if c.has(i)]
    val = None
    if all(v is not None for v in vals):
        val = np.concatenate([np.asarray(v) for v in vals], axis=ax)
    return [(tuple(out), c.dtype(0), val)]


@_shape("Split", value_inputs=1)
def _sh_split(c: _Ctx):
    s = c.shape(0)
    n = c.nout
    if s is None:
        return [(None, c.dtype(0), None)] * n
    ax = _axis(int(c.attr("axis", 0)), len(s))
    sizes = c.ints(1, "split")
    d = s[ax]
    if sizes is None:
        if d is None:
            sizes = [None] * n
        else:
            k = -(-d // n)
            sizes = [k] * (n - 1) + [d - k * (n - 1)]
    out = []
    for sz in sizes[:n]:
        t = list(s)
        t[ax] = sz
        out.append((tuple(t), c.dtype(0), None))
    x = c.value(0)
    if x is not None and None not in sizes:
        parts = np.split(x, np.cumsum(sizes)[:-1], axis=ax)
        out = [(tuple(p.shape), c.dtype(0), p) for p in parts]
    return out


@_shape("Slice", value_inputs=1)
def _sh_slice(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    if c.has(1) or c.attr("starts") is None:
        starts, ends = c.ints(1), c.ints(2)
        axes = c.ints(3) if c.has(3) else None
        steps = c.ints(4) if c.has(4) else None
    else:
        starts, ends = c.ints(9, "starts"), c.ints(9, "ends")
        axes = c.ints(9, "axes")
        steps = None
    if starts is None or ends is None or (c.has(3) and axes is None) or (c.has(4) and steps is None):
        # rank is kept; the sliced axes are unknown
        if axes is not None:
            out = list(s)
            for a in axes:
                out[_axis(a, len(s))] = None
            return [(tuple(out), c.dtype(0), None)]
        return [((None,) * len(s), c.dtype(0), None)]
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    out = list(s)
    slc = [slice(None)] * len(s)
    for st, en, a, sp in zip(starts, ends, axes, steps):
        a = _axis(a, len(s))
        slc[a] = slice(st, en, sp)
        d = s[a]
        out[a] = None if d is None else len(range(*slice(st, en, sp).indices(d)))
    x = c.value(0)
    return [(tuple(out), c.dtype(0), x[tuple(slc)] if x is not None else None)]


@_shape("Gather", value_inputs=2)
def _sh_gather(c: _Ctx):
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None:
        return [(None, c.dtype(0), None)]
    ax = _axis(int(c.attr("axis", 0)), len(s))
    out = tuple(s[:ax]) + tuple(si) + tuple(s[ax + 1:])
    x, i = c.value(0), c.value(1)
    val = np.take(x, i.astype(np.int64), axis=ax) if x is not None and i is not None and _small(out) else None
    return [(out, c.dtype(0), val)]


@_shape("GatherBlockQuantized")
def _sh_gather_block_quantized(c: _Ctx):
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None:
        return [(None, c.dtype(2), None)]
    ax = _axis(int(c.attr("gather_axis", 0)), len(s))
    q = _axis(int(c.attr("quantize_axis", len(s) - 1)), len(s))
    bits = int(c.attr("bits", 4))
    data = list(s)
    if c.dtype(0) in (TensorProto.UINT8, TensorProto.INT8) and bits < 8 and data[q] is not None:
        data[q] *= 8 // bits
    return [(tuple(data[:ax]) + tuple(si) + tuple(data[ax + 1:]), c.dtype(2), None)]


@_shape("GatherElements")
def _sh_gather_elements(c: _Ctx):
    return [(c.shape(1), c.dtype(0), None)]


@_shape("GatherND")
def _sh_gather_nd(c: _Ctx):
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None or si[-1] is None:
        return [(None, c.dtype(0), None)]
    b = int(c.attr("batch_dims", 0))
    return [(tuple(si[:-1]) + tuple(s[b + si[-1]:]), c.dtype(0), None)]


@_shape("Expand", value_inputs=1)
def _sh_expand(c: _Ctx):
    s = c.shape(0)
    target = c.ints(1)
    if target is None:
        ts = c.shape(1)
        return [((None,) * ts[0] if _full(ts) and s is not None else None, c.dtype(0), None)]
    out = _bcast(s, tuple(target))
    x = c.value(0)
    val = None
    if x is not None and _full(out) and math.prod(out) <= SMALL_VALUE:
        val = np.broadcast_to(x, out).copy()
    return [(out, c.dtype(0), val)]


@_shape("Tile", value_inputs=1)
def _sh_tile(c: _Ctx):
    s, reps = c.shape(0), c.ints(1)
    if s is None or reps is None:
        return [((None,) * len(s) if s is not None else None, c.dtype(0), None)]
    out = tuple(None if d is None else d * r for d, r in zip(s, reps))
    x = c.value(0)
    val = np.tile(x, reps) if x is not None and _full(out) and math.prod(out) <= SMALL_VALUE else None
    return [(out, c.dtype(0), val)]


@_shape("Pad")
def _sh_pad(c: _Ctx):
    s = c.shape(0)
    pads = c.ints(1, "pads") if c.has(1) else [int(x) for x in (c.attr("pads") or c.attr("paddings") or [])]
    if s is None or pads is None:
        return [((None,) * len(s) if s is not None else None, c.dtype(0), None)]
    axes = c.ints(3) if c.has(3) else list(range(len(s)))
    if axes is None:
        return [((None,) * len(s), c.dtype(0), None)]
    out = list(s)
    k = len(axes)
    for j, a in enumerate(axes):
        a = _axis(a, len(s))
        if out[a] is not None:
            out[a] += pads[j] + pads[j + k]
    return [(tuple(out), c.dtype(0), None)]


@_shape("DepthToSpace", "SpaceToDepth")
def _sh_depth_space(c: _Ctx):
    s = c.shape(0)
    b = int(c.attr("blocksize", 1))
    if s is None or len(s) != 4:
        return [(None, c.dtype(0), None)]
    n, ch, h, w = s
    if c.node.op_type == "DepthToSpace":
        out = (n, None if ch is None else ch // (b * b), None if h is None else h * b, None if w is None else w * b)
    else:
        out = (n, None if ch is None else ch * b * b, None if h is None else h // b, None if w is None else w // b)
    return [(out, c.dtype(0), None)]


@_shape("OneHot")
def _sh_onehot(c: _Ctx):
    s, depth = c.shape(0), c.ints(1)
    if s is None:
        return [(None, c.dtype(2), None)]
    d = depth[0] if depth else None
    r = len(s) + 1
    ax = _axis(int(c.attr("axis", -1)), r)
    out = list(s)
    out.insert(ax, d)
    return [(tuple(out), c.dtype(2), None)]


@_shape("EyeLike")
def _sh_eyelike(c: _Ctx):
    return [(c.shape(0), int(c.attr("dtype", 0)) or c.dtype(0), None)]


@_shape("TopK")
def _sh_topk(c: _Ctx):
    s = c.shape(0)
    k = c.ints(1, "k")
    if s is None:
        return [(None, c.dtype(0), None), (None, TensorProto.INT64, None)]
    ax = _axis(int(c.attr("axis", -1)), len(s))
    out = list(s)
    out[ax] = k[0] if k else None
    return [(tuple(out), c.dtype(0), None), (tuple(out), TensorProto.INT64, None)]


# ------------------------------------------------------------- reductions


_REDUCE_VALUE = {"ReduceSum": np.sum, "ReduceProd": np.prod, "ReduceMax": np.max, "ReduceMin": np.min}


@_shape(
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2",
    "ReduceLogSum", "ReduceLogSumExp", value_inputs=1,
)
def _sh_reduce(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    keep = int(c.attr("keepdims", 1))
    axes = c.ints(1, "axes")
    if axes is None and c.has(1):
        return [((None,) * len(s) if keep else None, c.dtype(0), None)]
    if not axes:
        if int(c.attr("noop_with_empty_axes", 0)):
            return [(s, c.dtype(0), c.value(0))]
        axes = list(range(len(s)))
    axes = sorted({_axis(a, len(s)) for a in axes})
    out = tuple((1 if i in axes else d) for i, d in enumerate(s)) if keep else tuple(
        d for i, d in enumerate(s) if i not in axes
    )
    x = c.value(0)
    f = _REDUCE_VALUE.get(c.node.op_type)
    val = f(x, axis=tuple(axes), keepdims=bool(keep)) if x is not None and f is not None else None
    return [(out, c.dtype(0), val)]


@_shape("ArgMax", "ArgMin")
def _sh_argmax(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, TensorProto.INT64, None)]
    ax = _axis(int(c.attr("axis", 0)), len(s))
    keep = int(c.attr("keepdims", 1))
    out = tuple((1 if i == ax else d) for i, d in enumerate(s)) if keep else tuple(
        d for i, d in enumerate(s) if i != ax
    )
    return [(out, TensorProto.INT64, None)]


# ----------------------------------------------------------- conv / matmul


def _spatial_out(c: _Ctx, s, kernel, ceil_mode=False):
    n = len(kernel)
    strides = [int(x) for x in (c.attr("strides") or [1] * n)]
    dil = [int(x) for x in (c.attr("dilations") or [1] * n)]
    pads = [int(x) for x in (c.attr("pads") or [0] * (2 * n))]
    auto = c.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    out = []
    for i in range(n):
        d = s[2 + i]
        k = kernel[i]
        if d is None or k is None:
            out.append(None)
            continue
        ke = (k - 1) * dil[i] + 1
        st = strides[i]
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out.append(-(-d // st))
        elif auto == "VALID":
            out.append(-(-(d - ke + 1) // st))
        else:
            num = d + pads[i] + pads[i + n] - ke
            if ceil_mode:
                o = -(-num // st) + 1
                if (o - 1) * st >= d + pads[i]:
                    o -= 1
            else:
                o = num // st + 1
            out.append(o)
    return out


@_shape("Conv", "ConvInteger", "QLinearConv", "FusedConv")
def _sh_conv(c: _Ctx):
    op = c.node.op_type
    wi = 3 if op == "QLinearConv" else 1
    s, w = c.shape(0), c.shape(wi)
    if s is None or len(s) < 3:
        return [(None, 0, None)]
    n_sp = len(s) - 2
    ks = c.attr("kernel_shape")
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else [None] * n_sp)
    cout = w[0] if w is not None else None
    dt = {"ConvInteger": TensorProto.INT32, "QLinearConv": c.dtype(7) or c.dtype(0)}.get(op, c.dtype(0))
    return [((s[0], cout) + tuple(_spatial_out(c, s, kernel)), dt, None)]


@_shape("ConvTranspose")
def _sh_conv_transpose(c: _Ctx):
    s, w = c.shape(0), c.shape(1)
    if s is None or len(s) < 3:
        return [(None, c.dtype(0), None)]
    n = len(s) - 2
    group = int(c.attr("group", 1))
    cout = w[1] * group if w is not None and w[1] is not None else None
    ks = c.attr("kernel_shape")
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else [None] * n)
    osh = c.attr("output_shape")
    if osh:
        sp = [int(x) for x in osh][-n:]
        return [((s[0], cout) + tuple(sp), c.dtype(0), None)]
    strides = [int(x) for x in (c.attr("strides") or [1] * n)]
    dil = [int(x) for x in (c.attr("dilations") or [1] * n)]
    pads = [int(x) for x in (c.attr("pads") or [0] * (2 * n))]
    opad = [int(x) for x in (c.attr("output_padding") or [0] * n)]
    auto = c.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    sp = []
    for i in range(n):
        d, k = s[2 + i], kernel[i]
        if d is None or k is None:
            sp.append(None)
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            sp.append(d * strides[i])
        else:
            sp.append(strides[i] * (d - 1) + opad[i] + (k - 1) * dil[i] + 1 - pads[i] - pads[i + n])
    return [((s[0], cout) + tuple(sp), c.dtype(0), None)]


@_shape("MaxPool", "AveragePool", "LpPool", "QLinearAveragePool", "NhwcMaxPool")
def _sh_pool(c: _Ctx):
    s = c.shape(0)
    if c.node.op_type == "NhwcMaxPool" and s is not None and len(s) >= 3:  # compute in NCHW, then back
        ncs = (s[0], s[-1]) + tuple(s[1:-1])
        ks = c.attr("kernel_shape")
        if ks is None:
            return [(None, c.dtype(0), None)]
        o = _spatial_out(c, ncs, [int(k) for k in ks], bool(int(c.attr("ceil_mode", 0))))
        return [((s[0],) + tuple(o) + (s[-1],), c.dtype(0), None)]
    ks = c.attr("kernel_shape")
    if s is None or ks is None:
        return [(None, c.dtype(0), None)] * c.nout
    out = (s[0], s[1]) + tuple(_spatial_out(c, s, [int(k) for k in ks], bool(int(c.attr("ceil_mode", 0)))))
    res = [(out, c.dtype(0), None)]
    if c.nout > 1:
        res.append((out, TensorProto.INT64, None))
    return res


@_shape("GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool", "QLinearGlobalAveragePool")
def _sh_global_pool(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    if int(c.attr("channels_last", 0)):
        return [((s[0],) + (1,) * (len(s) - 2) + (s[-1],), c.dtype(0), None)]
    return [((s[0], s[1]) + (1,) * (len(s) - 2), c.dtype(0), None)]


def _matmul_shape(a, b, trans_a=False, trans_b=False):
    if a is None or b is None:
        return None
    a, b = list(a), list(b)
    if trans_a and len(a) >= 2:
        a[-1], a[-2] = a[-2], a[-1]
    if trans_b and len(b) >= 2:
        b[-1], b[-2] = b[-2], b[-1]
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return tuple(b[:-2]) + (b[-1],)
    if len(b) == 1:
        return tuple(a[:-1])
    batch = _bcast(tuple(a[:-2]), tuple(b[:-2]))
    return tuple(batch) + (a[-2], b[-1])


@_shape("MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
        "TransposeMatMul")
def _sh_matmul(c: _Ctx):
    op = c.node.op_type
    bi = 3 if op == "QLinearMatMul" else 1
    out = _matmul_shape(c.shape(0), c.shape(bi), bool(int(c.attr("transA", 0))), bool(int(c.attr("transB", 0))))
    dt = {"MatMulInteger": TensorProto.INT32, "QLinearMatMul": c.dtype(7) or c.dtype(0),
          "DynamicQuantizeMatMul": c.dtype(2) or TensorProto.FLOAT,
          "MatMulIntegerToFloat": c.dtype(2) or TensorProto.FLOAT}.get(op, c.dtype(0))
    return [(out, dt, None)]


@_shape("MatMulNBits")
def _sh_matmul_nbits(c: _Ctx):
    s = c.shape(0)
    n = int(c.attr("N", 0)) or None
    return [(tuple(s[:-1]) + (n,) if s is not None else None, c.dtype(0), None)]


@_shape("Gemm", "FusedGemm", "GemmFastGelu", "QGemm")
def _sh_gemm(c: _Ctx):
    a, b = c.shape(0), c.shape(3 if c.node.op_type == "QGemm" else 1)
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        if c.node.op_type == "GemmFastGelu":
            return [(_matmul_shape(a, b), c.dtype(0), None)]
        return [(None, c.dtype(0), None)]
    m = a[1] if int(c.attr("transA", 0)) else a[0]
    n = b[0] if int(c.attr("transB", 0)) else b[1]
    return [((m, n), c.dtype(0), None)]


@_shape("Einsum")
def _sh_einsum(c: _Ctx):
    shapes = [c.shape(i) for i in range(len(c.ins))]
    if any(not _full(s) for s in shapes):
        return [(None, c.dtype(0), None)]
    eq = c.attr("equation", b"")
    eq = eq.decode() if isinstance(eq, bytes) else str(eq)
    sizes, _, out = parse_einsum(eq, shapes)
    return [(tuple(sizes[ch] for ch in out), c.dtype(0), None)]


@_shape("LSTM", "GRU", "RNN")
def _sh_rnn(c: _Ctx):
    x, w = c.shape(0), c.shape(1)
    dt = c.dtype(0)
    if x is None or w is None or len(x) != 3:
        return [(None, dt, None)] * c.nout
    layout = int(c.attr("layout", 0))
    seq, b = (x[1], x[0]) if layout else (x[0], x[1])
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[c.node.op_type]
    h = int(c.attr("hidden_size", 0)) or (w[1] // gates if w[1] is not None else None)
    dirs = w[0]
    if layout:
        y, yh = (b, seq, dirs, h), (b, dirs, h)
    else:
        y, yh = (seq, dirs, b, h), (dirs, b, h)
    return [(y, dt, None), (yh, dt, None), (yh, dt, None)][: c.nout]


@_shape("Resize", "Upsample")
def _sh_resize(c: _Ctx):
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    r = len(s)
    axes = c.attr("axes")
    axes = [_axis(int(a), r) for a in axes] if axes else list(range(r))
    sizes = scales = None
    if c.node.op_type == "Upsample" or (c.opset == 10 and not c.has(2)):
        scales = None
        if c.has(1):
            v = c.value(1)
            scales = None if v is None else [float(x) for x in np.asarray(v).reshape(-1)]
        elif c.attr("scales") is not None:
            scales = [float(x) for x in c.attr("scales")]
    else:
        if c.has(3):
            v = c.value(3)
            sizes = None if v is None else [int(x) for x in np.asarray(v).reshape(-1)]
        if sizes is None and c.has(2):
            v = c.value(2)
            if v is not None and np.size(v) > 0:
                scales = [float(x) for x in np.asarray(v).reshape(-1)]
    out = list(s)
    if sizes is not None and len(sizes) == len(axes):
        policy = c.attr("keep_aspect_ratio_policy", b"stretch")
        policy = policy.decode() if isinstance(policy, bytes) else str(policy)
        if policy != "stretch" and all(s[a] is not None for a in axes):
            ratios = [sizes[j] / s[a] for j, a in enumerate(axes)]
            k = min(ratios) if policy == "not_larger" else max(ratios)
            for a in axes:
                out[a] = int(s[a] * k + 0.5)
        else:
            for j, a in enumerate(axes):
                out[a] = sizes[j]
    elif scales is not None and len(scales) == len(axes):
        for j, a in enumerate(axes):
            out[a] = None if s[a] is None else int(math.floor(s[a] * scales[j] + 1e-9))
    else:
        out = [None] * r
    return [(tuple(out), c.dtype(0), None)]


@_shape("DynamicQuantizeLinear")
def _sh_dyn_quant(c: _Ctx):
    return [(c.shape(0), TensorProto.UINT8, None), ((), TensorProto.FLOAT, None), ((), TensorProto.UINT8, None)]


@_shape("QLinearAdd", "QLinearMul")
def _sh_qlinear_binary(c: _Ctx):
    return [(_bcast(c.shape(0), c.shape(3)), c.dtype(0), None)]


@_shape("NonZero")
def _sh_nonzero(c: _Ctx):
    s = c.shape(0)
    return [((len(s), None) if s is not None else (None, None), TensorProto.INT64, None)]


# --------------------------------------------------------- attention (contrib / ONNX-24)


@_shape("Attention", "QAttention")
def _sh_attention(c: _Ctx):
    dt = c.dtype(0)
    if c.node.op_type == "QAttention":
        dt = c.dtype(3) or TensorProto.FLOAT
    if c.node.domain == MS:
        x, w = c.shape(0), c.shape(1)
        if x is None or w is None:
            return [(None, dt, None)] * c.nout
        b, s = x[0], x[1]
        heads = int(c.attr("num_heads", 1))
        sizes = c.attr("qkv_hidden_sizes")
        dq, dk, dv = [int(v) for v in sizes] if sizes else ((w[-1] // 3),) * 3 if w[-1] is not None else (None,) * 3
        past = c.shape(4)
        p = past[3] if past is not None and len(past) == 5 else 0
        total = None if s is None or p is None else s + p
        hd = None if dk is None else dk // heads
        return [((b, s, dv), dt, None), ((2, b, heads, total, hd), dt, None)][: c.nout]
    q, k, v = c.shape(0), c.shape(1), c.shape(2)
    if q is None or k is None or v is None:
        return [(None, dt, None)] * c.nout
    qh = int(c.attr("q_num_heads", 0))
    kvh = int(c.attr("kv_num_heads", 0))
    p = c.shape(4)
    plen = p[2] if p is not None and len(p) == 4 else 0
    if len(q) == 4:
        b, qh, s, _ = q
        _, kvh, l, hk = k
        hv = v[3]
        y = (b, qh, s, hv)
    else:
        b, s = q[0], q[1]
        l = k[1]
        hk = k[2] // kvh if kvh and k[2] is not None else None
        hv = v[2] // kvh if kvh and v[2] is not None else None
        y = (b, s, qh * hv if qh and hv is not None else None)
    total = None if l is None or plen is None else l + plen
    outs = [(y, dt, None), ((b, kvh, total, hk), dt, None), ((b, kvh, total, hv), dt, None),
            ((b, qh, s, total), dt, None)]
    return outs[: c.nout]


@_shape("MultiHeadAttention", "GroupQueryAttention")
def _sh_mha(c: _Ctx):
    dt = c.dtype(0)
    q = c.shape(0)
    if q is None:
        return [(None, dt, None)] * c.nout
    heads = int(c.attr("num_heads", 1))
    b, s = q[0], q[1]
    if c.node.op_type == "GroupQueryAttention":
        kvh = int(c.attr("kv_num_heads", heads))
        k = c.shape(1)
        d = q[2]
        hd = (k[2] // kvh if k is not None and k[2] is not None else
              (d // (heads + 2 * kvh) if d is not None else None))
        past = c.shape(3)
        plen = past[2] if past is not None and len(past) == 4 else 0
        tv = c.value(6)
        total = int(np.asarray(tv).reshape(-1)[0]) if tv is not None and np.size(tv) == 1 else None
        if total is None:
            total = None if s is None or plen is None else s + plen
        plen_out = None if total is None or plen is None else max(total, plen)
        pres = (b, kvh, plen_out, hd)
        return [((b, s, None if hd is None else heads * hd), dt, None), (pres, dt, None), (pres, dt, None)][: c.nout]
    k, v = c.shape(1), c.shape(2)
    if len(q) == 5:
        hd = hv = q[4]
        l = s
    elif k is not None and len(k) == 5:
        hd = q[2] // heads if q[2] is not None else None
        hv, l = k[4], k[1]
    elif k is not None:
        hd = q[2] // heads if q[2] is not None else None
        l = k[1] if len(k) == 3 else k[2]
        hv = (v[2] // heads if len(v) == 3 and v[2] is not None else v[3]) if v is not None else hd
    else:
        return [(None, dt, None)] * c.nout
    past = c.shape(6)
    plen = past[2] if past is not None and len(past) == 4 and (k is None or len(k) == 3) else 0
    total = None if l is None or plen is None else l + plen
    y = (b, s, None if hv is None else heads * hv)
    return [(y, dt, None), ((b, heads, total, hd), dt, None), ((b, heads, total, hv), dt, None)][: c.nout]


@_shape("DecoderMaskedMultiHeadAttention", "DecoderMaskedSelfAttention")
def _sh_dmmha(c: _Ctx):
    q = c.shape(0)
    pidx = 5 if c.node.op_type == "DecoderMaskedMultiHeadAttention" else 4
    return [(q, c.dtype(0), None), (c.shape(pidx), c.dtype(0), None), (c.shape(pidx + 1), c.dtype(0), None)][
        : c.nout
    ]


@_shape("QLinearConcat")
def _sh_qlinear_concat(c: _Ctx):
    shapes = [c.shape(i) for i in range(2, len(c.ins), 3) if c.has(i)]
    if not shapes or any(s is None for s in shapes):
        return [(None, c.dtype(2), None)]
    ax = _axis(int(c.attr("axis", 0)), len(shapes[0]))
    out = list(shapes[0])
    ds = [s[ax] for s in shapes]
    out[ax] = None if None in ds else sum(ds)
    return [(tuple(out), c.dtype(2), None)]


@_shape("EmbedLayerNormalization", "QEmbedLayerNormalization")
def _sh_embed_ln(c: _Ctx):
    ids, we = c.shape(0), c.shape(2)
    dt = c.dtype(2) if c.node.op_type == "EmbedLayerNormalization" else (c.dtype(8) or TensorProto.FLOAT)
    if ids is None or we is None:
        return [(None, dt, None)] * c.nout
    h = we[-1]
    return [((ids[0], ids[1], h), dt, None), ((ids[0],), TensorProto.INT32, None),
            ((ids[0], ids[1], h), dt, None)][: c.nout]

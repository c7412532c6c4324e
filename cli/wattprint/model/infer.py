"""onnx's own shape inference on a stripped copy of the model (no weight bytes copied), declared types, and
whether onnx's inference is needed at all (:func:`_inference_needed`)."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence

import onnx
from onnx import AttributeProto, helper

from .common import _EXTERNAL, INLINE_KEEP_BYTES, MAX_DEPTH, NodeRec, _bits, _merge, _numel
from .costs import normalize_domain
from .dims import _Binding
from .ops import CONTROL_OPS, OWN_SHAPE
from .ops.base import Shape, _Ctx


def _kept_inline(t: onnx.TensorProto) -> bool:
    """Whether an initializer keeps its data in the stripped model (small and inline)."""
    return t.data_location != _EXTERNAL and _numel(t.dims) * _bits(t.data_type) <= 8 * INLINE_KEEP_BYTES


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
        if _kept_inline(t):
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


#: a tensor's (dtype, partial shape)
TypeFacts = tuple[int, Shape | None]

#: _collect_types: a type not parsed yet (compared by identity)
_UNPARSED: TypeFacts = (-1, None)


def _parse_type(tp: onnx.TypeProto, bound: Mapping[str, int] | None = None) -> TypeFacts | None:
    if not tp.HasField("tensor_type"):
        return None
    tt = tp.tensor_type
    if not tt.HasField("shape"):
        return tt.elem_type, None
    shp: list[int | None] = []
    for d in tt.shape.dim:
        which = d.WhichOneof("value")
        if which == "dim_value" and d.dim_value >= 0:
            shp.append(int(d.dim_value))
        elif bound and which == "dim_param" and d.dim_param in bound:
            shp.append(bound[d.dim_param])
        else:
            shp.append(None)
    return tt.elem_type, tuple(shp)


def _collect_types(graph: onnx.GraphProto, out: dict[str, TypeFacts], depth: int = 0,
                   bound: Mapping[str, int] | None = None, parsed: dict[bytes, TypeFacts | None] | None = None,
                   nodes: Sequence[NodeRec] | None = None) -> None:
    """The declared types of ``graph`` (value_info, outputs) and of its subgraphs (``nodes``: its nodes, read)."""
    # a graph has few distinct types: each is parsed once, keyed by its serialized bytes (reading a
    # TypeProto's dims field by field costs several microseconds per tensor)
    parsed = {} if parsed is None else parsed
    for vi in itertools.chain(graph.value_info, graph.output):
        tp = vi.type
        raw = tp.SerializeToString()
        r = parsed.get(raw, _UNPARSED)
        if r is _UNPARSED:
            r = parsed[raw] = _parse_type(tp, bound)
        if r is not None:
            out[vi.name] = r
    if depth > MAX_DEPTH:
        return
    scan: Iterable[NodeRec | onnx.NodeProto] = graph.node if nodes is None else nodes
    for n in scan:
        if n.op_type in CONTROL_OPS or n.domain not in ("", "ai.onnx"):
            for a in n.attribute:
                if a.type == AttributeProto.GRAPH:
                    _collect_types(a.g, out, depth + 1, bound, parsed)
                elif a.type == AttributeProto.GRAPHS:
                    for sg in a.graphs:
                        _collect_types(sg, out, depth + 1, bound, parsed)


def _run_shape_inference(
    model: onnx.ModelProto, init_names: set[str], binding: _Binding, warnings: list[str],
    nodes: Sequence[NodeRec] | None = None,
) -> dict[str, TypeFacts]:
    inferred: dict[str, TypeFacts] = {}
    try:
        # as bytes, the stripped copy dropped before onnx returns its result (on a 200,000-node graph
        # each copy of the graph is ~70 MB: keep at most two alive)
        data = _stripped_model(model, init_names, binding).SerializeToString()
        result = onnx.shape_inference.infer_shapes(data, check_type=False, strict_mode=False, data_prop=True)
        del data
    except Exception as e:  # unsupported opset, malformed node, ...
        msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        warnings.append(f"onnx shape inference failed ({msg}); using wattprint's own shape propagation")
        _collect_types(model.graph, inferred, bound=binding.bound, nodes=nodes)  # the model's own value_info
        return inferred
    _collect_types(result.graph, inferred)
    declared: dict[str, TypeFacts] = {}
    _collect_types(model.graph, declared, bound=binding.bound, nodes=nodes)
    for name, (dt, shp) in declared.items():
        have = inferred.get(name)
        if have is None:
            inferred[name] = (dt, shp)
        elif have[1] is None or None in have[1]:
            inferred[name] = (have[0] or dt, _merge(have[1], shp) if have[1] is not None else shp)
    return inferred


#: a model-local function's key: (normalized domain, name)
_FnKey = tuple[str, str]

_DOMAIN_OP = operator.attrgetter("domain", "op_type")


def _inference_needed(model: onnx.ModelProto, nodes: Sequence[NodeRec], binding: _Binding) -> str | None:
    """Why onnx's shape inference must run before the walk; None where wattprint's own shape rules may settle
    every tensor: the walk then runs without it and falls back to it where they do not (``walk.NeedsInference``).

    It must run where an op has no own shape rule (``ONNX_INFERENCE``, a domain wattprint does not know) in the
    graph, its subgraphs or a model-local function;
    where an input dim is unbound; below opset 11 (``_LEAST_OPSET``); where an initializer contradicts its graph
    input; and where onnx's inference would fail (reported in a warning): a node of the graph in a domain the
    model does not import, or with fewer inputs or outputs than its onnx schema (or function) has, initializers of
    one name, model-local functions that call each other in a cycle. Nodes that onnx's checker rejects are found
    by the walk (:func:`_reads_alike`).
    """
    for name, (dt, shp) in binding.input_types.items():
        if not dt or shp is None or None in shp:
            return f"input {name!r} is not fully known"
    why = _initializer_conflict(model.graph)
    if why:
        return why
    imported = {o.domain: int(o.version) for o in model.opset_import}
    if "" in imported and "ai.onnx" in imported:
        return "the default domain is imported as '' and as 'ai.onnx'"  # (the walk reads both as one)
    opset = imported.get("", imported.get("ai.onnx", 1))
    if opset < _LEAST_OPSET:
        return f"opset {opset}: older schemas read some attributes otherwise than the own rules"
    functions = {(normalize_domain(f.domain), f.name): f for f in model.functions}
    special = set()  # ops whose nodes are checked one by one: control flow, function calls
    for raw, op in set(map(_DOMAIN_OP, nodes)):
        version = imported.get(raw, imported.get("ai.onnx") if raw == "" else None)
        if version is None:
            return f"{op}: domain {raw!r} is not imported"
        if raw == "ai.onnx":  # (onnx knows no op by that domain name; the walk reads it as the default domain)
            return f"{op}: a node names the default domain 'ai.onnx'"
        dom = normalize_domain(raw)
        why = _not_own(dom, op, functions)
        if why:
            return why
        if (dom == "" and op in CONTROL_OPS) or (dom, op) in functions:
            special.add(op)
    # fewer inputs or outputs than the schema (onnx's inference fails): the walk finds it (_reads_alike) but in these
    for n in (n for n in nodes if n.op_type in special):
        schema = _schema(n.op_type, imported.get(n.domain, imported.get("ai.onnx", 1)), n.domain)
        f = functions.get((normalize_domain(n.domain), n.op_type))
        least = schema[:2] if schema is not None else (0, len(f.output)) if f is not None else (0, 0)
        if len(n.input) < least[0] or len(n.output) < least[1]:
            return f"{n.op_type}: fewer inputs or outputs than its schema"
        why = _nodes_need([n.proto], functions, 0, None)
        if why:
            return why
    calls: dict[_FnKey, set[_FnKey]] = {}
    for key, f in functions.items():
        calls[key] = set()
        why = _nodes_need(f.node, functions, 1, calls[key])
        if why:
            return why
    return "model-local functions call each other in a cycle" if _cyclic(calls) else None


#: the own shape rules read attributes as the schemas of this opset on do (multidirectional broadcasting from 7 on,
#: negative axes from 11 on); older schemas read some otherwise (an Add with `broadcast` and `axis`, a negative or
#: out-of-range Unsqueeze axis)
_LEAST_OPSET = 11

def _not_own(dom: str, op: str, functions: Mapping[_FnKey, onnx.FunctionProto]) -> str | None:
    """Why the walk cannot set the outputs of an op without onnx's inference; None where it can (an own shape rule,
    subgraphs, a model-local function), in the walk's order."""
    if (dom == "" and op in CONTROL_OPS) or (dom, op) in functions or (dom, op) in OWN_SHAPE:
        return None
    return f"{op}: no own shape rule"


def _nodes_need(nodes: Iterable[onnx.NodeProto], functions: Mapping[_FnKey, onnx.FunctionProto], depth: int,
                calls: set[_FnKey] | None) -> str | None:
    """:func:`_inference_needed` for the ops of ``nodes`` and their subgraphs (``calls``: the functions they call)."""
    if depth > MAX_DEPTH:
        return "subgraphs nested too deep"
    for n in nodes:
        dom, op = normalize_domain(n.domain), n.op_type
        if n.domain == "ai.onnx":
            return f"{op}: a node names the default domain 'ai.onnx'"
        why = _not_own(dom, op, functions)
        if why:
            return why
        if dom == "" and op in CONTROL_OPS:
            for a in n.attribute:
                for g in ([a.g] if a.type == AttributeProto.GRAPH else a.graphs):
                    why = _nodes_need(g.node, functions, depth + 1, calls)
                    if why:
                        return why
        elif calls is not None and (dom, op) in functions:
            calls.add((dom, op))
    return None


def _cyclic(calls: Mapping[_FnKey, set[_FnKey]]) -> bool:
    done: set[_FnKey] = set()
    for start in calls:
        path, stack = {start}, [(start, iter(calls[start]))]
        while stack:
            key, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.discard(key)
                done.add(key)
            elif nxt in path:
                return True
            elif nxt not in done:
                path.add(nxt)
                stack.append((nxt, iter(calls.get(nxt, ()))))
    return False


#: int attributes that onnx's shape inference reads as 0/1 flags (``keepdims == 1``), wattprint's rules as truth values
_FLAGS = frozenset({"keepdims", "noop_with_empty_axes", "allowzero", "ceil_mode", "transA", "transB"})

#: pooling ops whose onnx schema drops a last window that starts in the right padding (ceil_mode) only from opset 22
#: on; wattprint's rule drops it at every opset
_POOLS = frozenset({"MaxPool", "AveragePool", "LpPool"})


def _reads_alike(c: _Ctx, version: int) -> bool:
    """Whether onnx's inference reads a node (its shape rule's context) as the rule does, at ``version`` of its
    domain: onnx has no schema for it (its inference skips the node), or onnx's checker accepts it (attribute names
    and types, input and output counts, not deprecated), its flags are 0 or 1, Split's ``num_outputs`` is its
    number of outputs, a pooling op in ceil mode is of opset 22 or later, the inputs of an Attention or Einsum agree
    with each other (:func:`_attention_alike`, :func:`_einsum_alike`), a window fits its input
    (:func:`_window_alike`), Unsqueeze/Squeeze axes are distinct and in range, and broadcast inputs do not conflict.
    A malformed node may still get a shape from onnx, read otherwise (an attribute of another opset ignored, a float
    attribute read as 0, repeated axes, a window larger than its input)."""
    node = c.node
    schema = _schema(node.op_type, version, node.domain)
    if schema is None:
        return True
    try:
        onnx.checker.check_node(node.proto, _checker_context(node.domain, version))
    except onnx.checker.ValidationError:
        return False
    for a in node.attribute:
        if a.type != AttributeProto.INT:
            continue
        if a.name in _FLAGS and a.i not in (0, 1):
            return False
        if a.name == "ceil_mode" and a.i and node.op_type in _POOLS and schema[2] < 22:
            return False
        if a.name == "num_outputs" and node.op_type == "Split" and a.i != len(node.output):
            return False
    op = node.op_type
    if op == "Attention":
        return _attention_alike(c)
    if op == "Einsum":
        return _einsum_alike(c)
    if op in _WINDOWS:
        return _window_alike(c, _WINDOWS[op])
    if op in ("Unsqueeze", "Squeeze"):
        axes, s = c.ints(1, "axes"), c.shape(0)
        if axes is None or s is None:
            return True  # (no axes: Squeeze drops every 1; unknown: the rule leaves the output open)
        rank = len(s) + (len(axes) if op == "Unsqueeze" else 0)
        return len({a + rank if a < 0 else a for a in axes} & set(range(rank))) == len(axes)
    if op == "Expand":
        target = c.ints(1)
        return target is None or _broadcasts([c.shape(0), tuple(target)])
    if op in _BROADCAST_INPUTS:
        return _broadcasts([c.shape(i) for i in _BROADCAST_INPUTS[op] if c.has(i)])
    return True


#: convolution and pooling ops: the input holding the kernel's dims (None: the kernel_shape attribute)
_WINDOWS: dict[str, int | None] = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3, "MaxPool": None,
                                   "AveragePool": None, "LpPool": None}

#: ops whose inputs broadcast and whose rule takes no conflict (two sizes other than 1) out (graph_checks raises on
#: the arithmetic ones'): onnx reads a conflict otherwise
_BROADCAST_INPUTS = {"Where": (0, 1, 2), "BitwiseAnd": (0, 1), "BitwiseOr": (0, 1), "BitwiseXor": (0, 1)}


def _broadcasts(shapes: Sequence[Shape | None]) -> bool:
    """Whether known shapes broadcast without a conflict (None: unknown, left to the rule)."""
    known = [s for s in shapes if s is not None]
    for i in range(1, max((len(s) for s in known), default=0) + 1):
        if len({s[-i] for s in known if len(s) >= i} - {1}) > 1:
            return False
    return True


def _window_alike(c: _Ctx, weight: int | None) -> bool:
    """A convolution or pooling: onnx divides a negative span (a window larger than the padded input) rounding
    towards zero, the rule towards minus infinity; onnx applies explicit pads, and a pooling's ceil mode, with an
    ``auto_pad``, the rule does not. Alike where every window fits the (padded) input and neither pads nor ceil
    mode come with ``auto_pad``."""
    s = c.shape(0)
    auto = c.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto != "NOTSET" and (c.attr("pads") is not None or (weight is None and int(c.attr("ceil_mode", 0)))):
        return False  # (pads with auto_pad: onnx adds them, the rule ignores them)
    if s is None or len(s) < 3 or auto in ("SAME_UPPER", "SAME_LOWER"):
        return True
    n = len(s) - 2
    ks = c.attr("kernel_shape")
    w = c.shape(weight) if weight is not None else None
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else None)
    dil = [int(x) for x in (c.attr("dilations") or [1] * n)]
    pads = [int(x) for x in (c.attr("pads") or [0] * (2 * n))] if auto == "NOTSET" else [0] * (2 * n)
    if kernel is None or len(kernel) != n or len(dil) != n or len(pads) != 2 * n:
        return True  # (the rule leaves the output open or fails: no shape to compare)
    return all(d is None or k is None or d + pads[i] + pads[i + n] >= (k - 1) * dil[i] + 1
               for i, (d, k) in enumerate(zip(s[2:], kernel)))


def _attention_alike(c: _Ctx) -> bool:
    """ai.onnx Attention: onnx counts a past only where ``past_key``, ``past_value`` and both present outputs are
    given, takes the key/value sequence length from ``value`` and copies the present dims and dtypes from the past
    inputs; the rule counts ``past_key`` wherever given and takes the rest from ``key`` and ``query``. Alike where
    the outputs that onnx gives a shape agree (the output itself, from ``query`` and ``value``, always does)."""
    q, k, v = c.shape(0), c.shape(1), c.shape(2)
    if q is None or k is None or v is None or len(q) != len(k) or len(k) != len(v) or len(q) not in (3, 4):
        return False
    outs = c.node.output
    present = len(outs) > 2 and bool(outs[1]) and bool(outs[2])
    seq = 2 if len(q) == 4 else 1
    onnx_past = present and c.has(4) and c.has(5) and bool(v[seq])
    if len(outs) > 3 and outs[3] and (k[seq] != v[seq] or onnx_past != c.has(4)):  # qk_matmul_output
        return False
    if not onnx_past:
        return True
    if len(q) == 4:
        kvh, hk, hv = k[1], k[3], v[3]
    else:
        kvh = int(c.attr("kv_num_heads", 0))
        hk, hv = (k[2] // kvh, v[2] // kvh) if kvh and k[2] is not None and v[2] is not None else (None, None)
    pk, pv = c.shape(4), c.shape(5)
    return (k[seq] == v[seq] and pk is not None and pv is not None and len(pk) == len(pv) == 4
            and pk[:2] == pv[:2] == (q[0], kvh) and pk[3] == hk and pv[3] == hv
            and c.dtype(4) == c.dtype(5) == c.dtype(0))


def _einsum_alike(c: _Ctx) -> bool:
    """Einsum: onnx takes a label's size from its first operand, the rule its first size other than 1. Alike where
    every label has one size (and no ellipsis broadcasts)."""
    eq = c.attr("equation", b"")
    lhs = (eq.decode() if isinstance(eq, bytes) else str(eq)).replace(" ", "").split("->")[0]
    terms = lhs.split(",")
    if "..." in lhs or len(terms) != len(c.ins):
        return False
    sizes: dict[str, int | None] = {}
    for i, term in enumerate(terms):
        s = c.shape(i)
        if s is None or len(s) != len(term) or any(sizes.setdefault(ch, d) != d for ch, d in zip(term, s)):
            return False
    return True


@functools.cache
def _checker_context(domain: str, version: int) -> onnx.checker.C.CheckerContext:
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = onnx.IR_VERSION
    ctx.opset_imports = {domain: version}
    return ctx


@functools.cache
def _schema(op: str, version: int, domain: str) -> tuple[int, int, int] | None:
    """An op's onnx schema at ``version``: its fewest inputs and outputs and the opset it dates from (None: onnx
    does not know the op, and its inference skips it)."""
    try:
        s = onnx.defs.get_schema(op, version, domain)
    except onnx.defs.SchemaError:
        return None
    return s.min_input, s.min_output, s.since_version


def _initializer_conflict(g: onnx.GraphProto) -> str | None:
    """An initializer that contradicts its graph input (onnx's inference fails where it keeps the initializer in the
    stripped model, and reads the input's declared type where it does not) or another initializer of its name."""
    inputs = {vi.name: vi.type for vi in g.input}
    seen: set[str] = set()
    for st in g.sparse_initializer:
        name = st.values.name
        if name in inputs or name in seen:
            return f"sparse initializer {name!r} is also a graph input or another initializer"
        seen.add(name)
    for t in g.initializer:
        if t.name in seen:
            return f"initializer {t.name!r} is given twice"
        seen.add(t.name)
        tp = inputs.get(t.name)  # (not kept in the stripped model: onnx reads the input's declared type instead)
        if tp is not None and not _declares(tp, t.data_type, t.dims):
            return f"initializer {t.name!r} contradicts its graph input"
    return None


def _declares(tp: onnx.TypeProto, dtype: int, dims: Sequence[int]) -> bool:
    """Whether a declared type admits a tensor of ``dtype`` and ``dims`` (onnx's check of an initializer)."""
    which = tp.WhichOneof("value")
    if which is None:
        return True
    if which != "tensor_type":
        return False
    tt = tp.tensor_type
    if tt.elem_type and tt.elem_type != dtype:
        return False
    if not tt.HasField("shape"):
        return True
    dd = tt.shape.dim
    return len(dd) == len(dims) and all(
        d.WhichOneof("value") != "dim_value" or d.dim_value == v for d, v in zip(dd, dims)
    )

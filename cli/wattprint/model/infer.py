"""onnx's own shape inference on a stripped copy of the model (no weight bytes copied), and declared types."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import onnx
from onnx import AttributeProto, helper

from .common import _EXTERNAL, INLINE_KEEP_BYTES, MAX_DEPTH, _bits, _merge, _numel
from .dims import _Binding
from .ops import CONTROL_OPS
from .ops.base import Shape


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
                   bound: Mapping[str, int] | None = None, parsed: dict[bytes, TypeFacts | None] | None = None) -> None:
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
    for n in graph.node:
        if n.op_type in CONTROL_OPS or n.domain not in ("", "ai.onnx"):
            for a in n.attribute:
                if a.type == AttributeProto.GRAPH:
                    _collect_types(a.g, out, depth + 1, bound, parsed)
                elif a.type == AttributeProto.GRAPHS:
                    for sg in a.graphs:
                        _collect_types(sg, out, depth + 1, bound, parsed)


def _run_shape_inference(
    model: onnx.ModelProto, init_names: set[str], binding: _Binding, warnings: list[str]
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
        _collect_types(model.graph, inferred, bound=binding.bound)  # the model's own value_info
        return inferred
    _collect_types(result.graph, inferred)
    declared: dict[str, TypeFacts] = {}
    _collect_types(model.graph, declared, bound=binding.bound)
    for name, (dt, shp) in declared.items():
        have = inferred.get(name)
        if have is None:
            inferred[name] = (dt, shp)
        elif have[1] is None or None in have[1]:
            inferred[name] = (have[0] or dt, _merge(have[1], shp) if have[1] is not None else shp)
    return inferred

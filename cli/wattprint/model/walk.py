"""The graph walk: tensor facts by scope, own shape/value propagation, subgraphs (If/Loop/Scan), model-local
functions, and costing each node with the op registry."""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections import ChainMap
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..errors import WattprintError
from ..graph_checks import check_node
from .common import _EMPTY, _EXTERNAL, MAX_DEPTH, SMALL_VALUE, NodeRec, _merge, node_records
from .costing import Template, cost_template, folded_template, node_cost, not_counted
from .costs import MS, NodeCost, dtype_name, normalize_domain
from .infer import _parse_type, _reads_alike
from .ops import CONTROL_OPS, SHAPE_FNS, VALUE_OPS
from .ops.base import OpView, Shape, ShapeResult, ShapeRule, TensorView, Value, _Ctx, _full

_NONDETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)




_MISSING: Any = object()  # (Any: compared by identity with results of any type)

#: the unbound input dims a tensor depends on
Taint = frozenset[str]
#: a node that was not counted: (op, reason, taint)
Issue = tuple[str, str, Taint]
#: tensor name -> (dtype, shape) from onnx shape inference (see :func:`.infer._run_shape_inference`)
Inferred = Mapping[str, tuple[int, "Shape | None"]]
#: a subgraph's input / output facts: (shape, dtype)
Facts = list[tuple["Shape | None", int]]


#: the part of a node's signature before its outputs (see :meth:`_Analyzer._head`): [op, domain, opset, each input's
#: part, the number of inputs], whether a tracked input value was left out of it, the serialized attributes
Head = tuple[list[object], bool, tuple[bytes, ...] | None]

#: tracked values up to this many elements take part in a node's signature (larger: the node is costed afresh)
_SIGNATURE_VALUE = 64


#: ops whose (constant) output holds exactly the elements of input 0: a weight seen through them is
#: still the same parameter (tied embeddings exported as Transpose(wte), DequantizeLinear(int8 W), ...)
_SAME_ELEMENTS = frozenset(
    {"Transpose", "Reshape", "Identity", "Cast", "CastLike", "Squeeze", "Unsqueeze", "Flatten", "DequantizeLinear"}
)


class NeedsInference(Exception):
    """Raised by a walk without onnx's shape inference (``inferred=None``) where onnx's inference could have
    changed a fact the walk sets: wattprint's own rules left a tensor's shape or dtype open, a declared type
    disagrees with them, or a value came from a rule that onnx's result would have skipped. The caller runs
    onnx's inference and walks again."""


class _Scope:
    """Tensor facts by name; a child scope (subgraph) sees its parent's tensors."""

    __slots__ = ("shape", "dtype", "value", "const", "taint", "dq", "alias")

    def __init__(self, parent: _Scope | None = None, alias: dict[str, str] | None = None) -> None:
        if parent is None:
            self.shape: MutableMapping[str, Shape | None] = {}
            self.dtype: MutableMapping[str, int] = {}
            self.value: MutableMapping[str, Value] = {}
            self.const: MutableMapping[str, bool] = {}
            self.taint: MutableMapping[str, Taint] = {}
            self.dq: MutableMapping[str, int] = {}
        else:
            self.shape = ChainMap({}, parent.shape)
            self.dtype = ChainMap({}, parent.dtype)
            self.value = ChainMap({}, parent.value)
            self.const = ChainMap({}, parent.const)
            self.taint = ChainMap({}, parent.taint)
            self.dq = ChainMap({}, parent.dq)
        # function bodies: local name -> model-wide name (subgraphs inherit their parent's)
        self.alias: dict[str, str] | None = alias if alias is not None or parent is None else parent.alias

    def set(
        self, name: str, shape: Shape | None, dtype: int, value: Value | None = None, const: bool = False,
        taint: Taint = _EMPTY, dq: int = 0,
    ) -> None:
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


def _attrs_of(node: NodeRec, caller: Mapping[str, Any] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}  # (attribute values: ints, floats, strings, tensors, graphs, ...)
    for a in node.attribute:
        if a.ref_attr_name:
            if caller is not None and a.ref_attr_name in caller:
                d[a.name] = caller[a.ref_attr_name]
            continue
        d[a.name] = helper.get_attribute_value(a)
    return d


def _topo_order(nodes: list[NodeRec]) -> list[NodeRec]:
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
    def __init__(
        self, label: str, opsets: Mapping[str, int], precision: str | None, functions: Sequence[onnx.FunctionProto],
        warnings: list[str],
    ) -> None:
        self.label = label
        self.opsets = opsets
        self.precision = precision
        self.functions = {(normalize_domain(f.domain), f.name): f for f in functions}
        self.warnings = warnings
        self.seen_params: set[str] = set()
        # tensor -> the tensor whose elements it is (shared external storage, folded Transpose/Reshape/...)
        self.canon: dict[str, str] = {}
        self.storage: dict[tuple[str | None, str, str | None, int], str] = {}
        # node signature -> costing template (see _cost); a top-graph tensor's part of signatures
        self._templates: dict[tuple[object, ...], Template] = {}
        self._tensor_sigs: dict[str, tuple[object, ...]] = {}
        self._shapes: dict[tuple[object, ...], ShapeResult] = {}  # shape-rule signature -> its result (see _shape_rule)
        self.top: _Scope | None = None  # the top graph's scope (set by walk(top=True))
        # declared types (value_info, graph outputs; see .infer._collect_types), checked by a walk without onnx's
        # inference: where onnx's inference leaves a tensor open, the walk with it takes its declared type first
        self.declared: Inferred = {}

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
        # (shp: mypy does not narrow on `None in shp`, excluded just above)
        return TensorView(
            key, shp, sc.dtype.get(name, 0), bool(sc.const.get(name)), sc.value.get(name), sc.dq.get(name, 0)  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ walk
    def walk(self, nodes: list[NodeRec], sc: _Scope, inferred: Inferred | None, depth: int, top: bool = False,
             caller_attrs: Mapping[str, Any] | None = None, opsets: Mapping[str, int] | None = None,
             prefix: str = "") -> tuple[list[NodeCost], list[Issue]]:
        """Walk ``nodes`` (a graph's or function's body, as :class:`~.common.NodeRec`); return (NodeCosts, issues).

        ``inferred``: onnx's shape inference, or None: own rules only, raising :class:`NeedsInference` where
        onnx's result could have changed a fact (model-local function bodies never read it: ``{}``)."""
        opsets = opsets or self.opsets
        costs: list[NodeCost] = []
        issues: list[Issue] = []
        order = _topo_order(nodes)
        if top:
            self.top = sc
        if top and order is not nodes:
            self.warnings.append("graph nodes were not in topological order; sorted them")
        staint = sc.taint
        functions = self.functions
        for idx, node in enumerate(order):
            op = node.op_type
            dom = normalize_domain(node.domain)
            ins = node.input
            outs = node.output
            name = prefix + (node.name or f"{op}_{idx}")
            attrs = _Lazy(node, caller_attrs)
            opset = opsets.get(dom, 1)
            taint = _EMPTY
            if staint:  # (unbound dims upstream of some tensor)
                for i in ins:
                    t = staint.get(i) if i else None
                    if t:
                        taint = t if not taint else taint | t
            if (dom == "" and op in CONTROL_OPS) or (functions and (dom, op) in functions):
                try:
                    if dom == "" and op in CONTROL_OPS:
                        nc, sub_issues = self._control(node, name, ins, outs, sc, inferred, attrs, depth, opsets)
                    else:
                        nc, sub_issues = self._function(node, name, ins, outs, sc, attrs, depth)
                except (WattprintError, NeedsInference):
                    raise
                except Exception as e:  # malformed subgraph / function body
                    nc = not_counted(name, op, dom, None, "unknown", f"malformed {op} node ({type(e).__name__})")
                    sub_issues = []
                for o in outs:
                    if o and taint:
                        sc.taint[o] = taint
                issues.extend(sub_issues)
            else:
                head: Head | None
                if inferred is None:
                    head = self._propagate_own(node, op, dom, ins, outs, sc, attrs, opset, taint)
                else:
                    head = self._propagate(node, op, dom, ins, outs, sc, inferred, attrs, opset, taint)
                nc = self._cost(node, op, dom, name, ins, outs, sc, attrs, opset, caller_attrs, head)
            if not nc.counted and nc.note:
                note = nc.note
                if not taint and note.startswith("shape unknown: "):
                    # nothing unbound upstream: the shape depends on input values or on an op we cannot follow
                    note = note.replace("shape unknown: ", "shape unresolved: ", 1)
                    nc = dataclasses.replace(nc, note=note)
                issues.append((op, note, taint))
            costs.append(nc)
        return costs, issues

    def _cost(
        self, node: NodeRec, op: str, dom: str, name: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope,
        attrs: _Lazy, opset: int, caller_attrs: Mapping[str, Any] | None, head: Head | None = None,
    ) -> NodeCost:
        """Check and cost one node (its shapes known). The name-independent part, checks included, is
        computed once per distinct signature (:meth:`_signature`): repeated layers cost a lookup."""
        key, partial = self._signature(node, op, dom, ins, outs, sc, opset, caller_attrs, head)
        tpl = self._templates.get(key) if key is not None else None
        if tpl is None:
            check_node(
                self.label, name, op, dom, [sc.shape.get(i) if i else None for i in ins],
                [sc.shape.get(o) if o else None for o in outs], outs,
                lambda k, default=None: attrs.get_all().get(k, default),
            )
            tpl, values_read = self._template(op, dom, name, ins, outs, sc, attrs, opset)
            if key is not None and not (partial and values_read):
                self._templates[key] = tpl
        canon = self.canon  # (self._key, inlined: this runs for every tensor)
        if sc.alias is None:
            in_keys = [canon.get(i, i) if i else None for i in ins]
            out_keys = [canon.get(o, o) if o else None for o in outs]
        else:
            ckey = self._key
            in_keys = [ckey(sc, i) if i else None for i in ins]
            out_keys = [ckey(sc, o) if o else None for o in outs]
        return node_cost(tpl, name, op, in_keys, out_keys, self.seen_params)

    def _template(
        self, op: str, dom: str, name: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope, attrs: _Lazy,
        opset: int,
    ) -> tuple[Template, bool]:
        """The costing template of a node, and whether its rule read a tensor value."""
        live_outs = [o for o in outs if o]
        if op not in _NONDETERMINISTIC and _all_const(live_outs, sc.const):
            shp = sc.shape.get(live_outs[0])
            prec = dtype_name(sc.dtype.get(live_outs[0], 0))
            return folded_template(dom, shp if _full(shp) else None, prec), False
        tv = self._tv
        view = OpView(
            op, dom, name,
            tuple([tv(sc, i) if i else None for i in ins]),
            tuple([tv(sc, o) if o else None for o in outs]),
            attrs.get_all, opset,
        )
        return cost_template(view, self.precision), view.values_read

    def _signature(
        self, node: NodeRec, op: str, dom: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope, opset: int,
        caller_attrs: Mapping[str, Any] | None, head: Head | None = None,
    ) -> tuple[tuple[object, ...] | None, bool]:
        """What the checks and the counting rule of a node see, as a hashable key, and whether a
        tracked value was left out of it (larger than _SIGNATURE_VALUE elements: reused only if the
        rule reads no value). None: not reused (attributes taken from a calling function). ``head``: the
        node's :meth:`_head`, where its shape rule made it."""
        if caller_attrs is not None:
            return None, False
        k, partial, attr_key = head if head is not None else self._head(node, op, dom, ins, sc, opset)
        key = list(k)
        partial = self._tensor_parts(sc, outs, key) or partial
        if attr_key is not None:
            key.append(attr_key)
        return tuple(key), partial

    def _head(self, node: NodeRec, op: str, dom: str, ins: tuple[str, ...], sc: _Scope, opset: int) -> Head:
        """The part of a node's signature before its outputs: shared by its shape rule's key and its signature."""
        k: list[object] = [op, dom, opset]
        partial = self._tensor_parts(sc, ins, k)
        return k, partial, tuple([a.SerializeToString() for a in node.attribute]) if node.n_attrs else None

    def _tensor_parts(self, sc: _Scope, names: Sequence[str], key: list[object]) -> bool:
        """Append each tensor's part of a node signature to ``key``: shape, dtype, constness, the dtype
        DequantizeLinear read it from, and its value (by content up to _SIGNATURE_VALUE elements, else
        True). Return whether a value was left out."""
        # a tensor's part is kept for the top graph, where each tensor is written once, by its producer,
        # before any reader (check_structure: one producer per tensor, no cycles)
        tsigs = self._tensor_sigs if sc is self.top else None
        partial = False
        for i in names:
            if not i:
                key.append(None)
                continue
            t = tsigs.get(i) if tsigs is not None else None
            if t is None:
                v: object = sc.value.get(i)
                if v is not None:
                    if type(v) is np.ndarray and v.size <= _SIGNATURE_VALUE:
                        v = (v.dtype.str, v.shape, v.tobytes())
                    else:
                        v = True
                t = (sc.shape.get(i), sc.dtype.get(i, 0), bool(sc.const.get(i)), sc.dq.get(i, 0), v)
                if tsigs is not None:
                    tsigs[i] = t
            if t[4] is True:
                partial = True
            key.append(t)
        key.append(len(names))
        return partial

    def _shape_rule(
        self, fn: ShapeRule, node: NodeRec, op: str, dom: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope,
        attrs: _Lazy, opset: int, head: Head | None, own: bool = False,
    ) -> ShapeResult:
        """The result of a node's shape rule; computed once per distinct op, attributes and input facts
        (shape rules are functions of these alone: repeated layers repeat the same shape arithmetic). A tracked
        value left out of the key (see :meth:`_tensor_parts`): the result is kept only if the rule read no value.
        ``own``: no onnx inference (:meth:`_propagate_own`); a node onnx may read otherwise (see
        :func:`.infer._reads_alike`) raises :class:`NeedsInference` (checked once per distinct node)."""
        key = None
        partial = False
        if head is not None:
            k, partial, attr_key = head
            key = (*k, len(outs), attr_key)
            res: ShapeResult = self._shapes.get(key, _MISSING)
            if res is not _MISSING:
                return res
        c = _Ctx(node, ins, sc, attrs, opset, len(outs))
        if own and not _reads_alike(c, opset):
            raise NeedsInference(f"{op}: onnx's inference may read it otherwise at opset {opset}")
        try:
            res = fn(c)
        except Exception:
            try:  # a value computation failed (bad index, overflow, ...): shapes only
                c.novals = True
                res = fn(c)
            except Exception:
                res = None
        if key is not None and not (partial and c.values_read):
            self._shapes[key] = res
        return res

    # ------------------------------------------------------------- propagate
    def _propagate(
        self, node: NodeRec, op: str, dom: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope,
        inferred: Inferred, attrs: _Lazy, opset: int, taint: Taint,
    ) -> Head | None:
        """Set the facts of a node's outputs: onnx's inference first, the node's own shape rule where it leaves a
        shape open or the output's value is computable. Returns the node's :meth:`_head` where the rule ran."""
        is_const = _const_out(op, dom, ins, sc.const)
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
        self._storage_facts(op, ins, outs, sc, is_const)
        fn = SHAPE_FNS.get(op)
        if fn is None:
            if need_own:
                for o in outs:
                    if o and o not in inferred:
                        sc.set(o, None, 0, const=is_const, taint=taint)
            return None
        want_value = dom == "" and _wants_value(op, ins, sc.value)
        if not need_own and not want_value:
            return None
        head = self._head(node, op, dom, ins, sc, opset) if attrs.caller is None else None
        res = self._shape_rule(fn, node, op, dom, ins, outs, sc, attrs, opset, head)
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
        return head

    def _propagate_own(
        self, node: NodeRec, op: str, dom: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope,
        attrs: _Lazy, opset: int, taint: Taint,
    ) -> Head:
        """:meth:`_propagate` without onnx's inference: the node's own shape rule sets its outputs' facts.

        Raises :class:`NeedsInference` where :meth:`_propagate` with onnx's result could set other facts: an
        output's shape or dtype left open by the rule (onnx's may be known), a declared type that disagrees with
        the rule (taken first where onnx's result is open), a value from the rule of an ai.onnx op without its
        input values (a shape known from onnx keeps that rule from running)."""
        fn = SHAPE_FNS.get(op)
        if fn is None:
            raise NeedsInference(f"{op}: no own shape rule")
        is_const = _const_out(op, dom, ins, sc.const)
        want_value = dom == "" and _wants_value(op, ins, sc.value)
        head = self._head(node, op, dom, ins, sc, opset)  # (no calling function's attributes: see walk)
        res = self._shape_rule(fn, node, op, dom, ins, outs, sc, attrs, opset, head, own=True)
        declared = self.declared
        for k, o in enumerate(outs):
            if not o:
                continue
            shp, dt, val = (res[k] if res is not None and k < len(res) else (None, 0, None))
            if shp is None or None in shp or not dt:
                raise NeedsInference(f"{op} output {o!r}: shape or dtype left open by its rule")
            if val is not None and dom == "" and not want_value:
                raise NeedsInference(f"{op} output {o!r}: a value without the input values")
            if declared and o in declared and not _agrees(declared[o], shp, dt):
                raise NeedsInference(f"{op} output {o!r}: the declared type disagrees with the rule")
            sc.shape[o] = shp
            sc.dtype[o] = dt
            if is_const:
                sc.const[o] = True
            if taint:
                sc.taint[o] = taint
            if val is not None and np.size(val) <= SMALL_VALUE and tuple(shp) == tuple(np.shape(val)):
                sc.value[o] = val
        self._storage_facts(op, ins, outs, sc, is_const)
        return head

    def _storage_facts(self, op: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope, is_const: bool) -> None:
        """The dtype DequantizeLinear read, and the storage identity of a constant seen through a re-indexing."""
        if op == "DequantizeLinear" and ins and ins[0]:
            for o in outs[:1]:
                if o:
                    sc.dq[o] = sc.dtype.get(ins[0], 0)
        if is_const and op in _SAME_ELEMENTS and ins and ins[0] and outs and outs[0]:
            self.canon[self._global(sc, outs[0])] = self._key(sc, ins[0])

    # --------------------------------------------------------- control flow
    def _subgraph(
        self, g: onnx.GraphProto, sc: _Scope, inferred: Inferred | None, depth: int, opsets: Mapping[str, int],
        bind: Facts,
    ) -> tuple[list[NodeCost], list[Issue], Facts]:
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
        costs, issues = self.walk(node_records(g.node), sub, inferred, depth + 1, opsets=opsets)
        outs = [(sub.shape.get(o.name), sub.dtype.get(o.name, 0)) for o in g.output]
        for k, o in enumerate(g.output):
            if outs[k][0] is None:
                declared = _parse_type(o.type)
                if declared is not None:
                    outs[k] = (declared[1], outs[k][1] or declared[0])
        return costs, issues, outs

    def _control(
        self, node: NodeRec, name: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope,
        inferred: Inferred | None, attrs: _Lazy, depth: int, opsets: Mapping[str, int],
    ) -> tuple[NodeCost, list[Issue]]:
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
            bind: Facts = [((), TensorProto.INT64), ((), TensorProto.BOOL)]
            bind += [(sc.shape.get(x), sc.dtype.get(x, 0)) if x else (None, 0) for x in carried]
            # (a missing body raises inside: the walk reports the node as malformed)
            costs, issues, bouts = self._subgraph(body, sc, inferred, depth, opsets, bind)  # type: ignore[arg-type]
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
        # (a missing body raises inside: the walk reports the node as malformed)
        costs, issues, bouts = self._subgraph(body, sc, inferred, depth, opsets, bind)  # type: ignore[arg-type]
        out_axes = [int(x) for x in a.get("scan_output_axes", [0] * max(len(outs) - n_state, 0))]
        souts = []
        for k in range(len(outs)):
            shp, dt = bouts[k] if k < len(bouts) else (None, 0)
            if k >= n_state and shp is not None:
                ax = out_axes[k - n_state] if k - n_state < len(out_axes) else 0
                ax = ax + len(shp) + 1 if ax < 0 else ax
                shp = tuple(shp[:ax]) + (seq,) + tuple(shp[ax:])
            souts.append((shp, dt))
        if inferred is None and any(souts[k][0] != bind[k][0] for k in range(min(n_state, len(souts)))):
            # onnx gives a state output its input's shape (merged with the body's): a state that changes shape
            # across iterations (malformed) is read otherwise
            raise NeedsInference(f"Scan {name!r}: a state output's shape differs from its input's")
        self._set_outputs(outs, souts, sc, inferred)
        if seq is None:
            return self._aggregate(name, op, outs, sc, costs, 0, "Scan sequence length unknown", counted=False), []
        return self._aggregate(name, op, outs, sc, costs, seq, f"Scan body x seq {seq}"), self._inner(issues, op)

    @staticmethod
    def _inner(issues: list[Issue], op: str) -> list[Issue]:
        return [(o, f"{r} (inside {op})" if "(inside" not in r else r, t) for o, r, t in issues]

    def _set_outputs(self, outs: tuple[str, ...], shapes: Facts, sc: _Scope, inferred: Inferred | None) -> None:
        """Facts of a control node's outputs from its subgraphs; onnx's inference first where known (None: not
        run, see :meth:`_propagate_own`)."""
        for k, o in enumerate(outs):
            if not o:
                continue
            shp, dt = shapes[k] if k < len(shapes) else (None, 0)
            if inferred is None:
                if shp is None or None in shp or not dt:
                    raise NeedsInference(f"output {o!r}: shape or dtype left open by its subgraph")
                d = self.declared.get(o)
                if d is not None and not _agrees(d, shp, dt):
                    raise NeedsInference(f"output {o!r}: the declared type disagrees with its subgraph")
                sc.shape[o] = shp
                sc.dtype[o] = dt
                continue
            known = inferred.get(o)
            if known is not None and known[1] is not None and None not in known[1]:
                shp = known[1]
            elif known is not None:
                shp = _merge(known[1], shp)
            if known is not None and known[0]:
                dt = known[0]
            sc.shape[o] = shp
            sc.dtype[o] = dt

    def _aggregate(
        self, name: str, op: str, outs: tuple[str, ...], sc: _Scope, costs: list[NodeCost], mult: int, note: str,
        counted: bool = True, params: int | None = None, domain: str = "",
    ) -> NodeCost:
        o0 = outs[0] if outs else ""
        shp = sc.shape.get(o0) if o0 else None
        shp = shp if _full(shp) else None
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
    def _function(
        self, node: NodeRec, name: str, ins: tuple[str, ...], outs: tuple[str, ...], sc: _Scope, attrs: _Lazy,
        depth: int,
    ) -> tuple[NodeCost, list[Issue]]:
        op = node.op_type
        dom = normalize_domain(node.domain)
        f = self.functions[(dom, op)]
        if depth >= MAX_DEPTH:
            return not_counted(name, op, dom, None, "unknown", "functions nested too deep"), []
        caller: dict[str, Any] = {}
        for ap in f.attribute_proto:
            caller[ap.name] = helper.get_attribute_value(ap)
        caller.update(attrs.get_all())
        alias: dict[str, str] = {}
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
        costs, issues = self.walk(node_records(f.node), sub, {}, depth + 1, caller_attrs=caller, opsets=f_opsets,
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


def _const_out(op: str, dom: str, ins: Sequence[str], const: Mapping[str, bool]) -> bool:
    """Whether a node's outputs are constants (computed from constants only, deterministically)."""
    return (op == "Constant" or _all_const(ins, const)) and op not in _NONDETERMINISTIC and dom in ("", MS)


def _wants_value(op: str, ins: Sequence[str], value: Mapping[str, Value]) -> bool:
    """Whether an ai.onnx op's output value is computable: the inputs it needs have known values."""
    n = VALUE_OPS.get(op)
    if n is None:
        return False
    for i in ins[:n]:
        if i and value.get(i) is None:
            return False
    return True


def _agrees(declared: tuple[int, Shape | None], shape: Shape, dtype: int) -> bool:
    """Whether a declared type leaves a (known) shape and dtype as they are (merged, declared first)."""
    ddt, ds = declared
    if ddt and ddt != dtype:
        return False
    return ds is None or (len(ds) == len(shape) and all(a is None or a == b for a, b in zip(ds, shape)))


def _all_const(names: Sequence[str], const: Mapping[str, bool]) -> bool:
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

    def __init__(self, node: NodeRec, caller: Mapping[str, Any] | None) -> None:
        self.node = node
        self.caller = caller
        self._d: dict[str, Any] | None = None

    def get_all(self) -> dict[str, Any]:
        if self._d is None:
            self._d = _attrs_of(self.node, self.caller)
        return self._d

"""DRAM traffic of a costed graph as an inference compiler would run it: fused kernels, not exporter nodes.

The same model exported by torch's legacy exporter, its dynamo exporter or ONNX Runtime's fusion tool has
very different nodes (a LayerNorm is one op or nine; attention is one op or MatMul-Softmax-MatMul with
reshapes around it). What the hardware moves through DRAM does not depend on that. This module groups the
nodes into *kernels* with four rules (docs/methodology.md, "Kernels and DRAM traffic"):

1. **Views move no bytes.** Reshape, Squeeze, Unsqueeze, Flatten, Identity, Dropout, Transpose, Slice,
   Split, Concat, Expand and Tile only re-index their input: a consumer reads the underlying tensor, and a
   broadcast (Expand, Tile: e.g. GQA's repeat of K/V) is read at the size of its source.
2. **Elementwise chains fuse.** An op without MACs joins the kernel of the producer of one of its inputs when
   that producer is itself such an op, or a MAC op whose output has no other consumer (an epilogue).
3. **Attention is one kernel.** A MatMul of two activations (Q x K^T) whose result, after scaling, masking
   and softmax, feeds only a second MatMul (x V) is fused with it: the score matrix never reaches DRAM
   (as in FlashAttention and every fused attention op).
4. A kernel reads each tensor that comes from outside it once, its weights once, and writes each tensor
   that is used outside it (or is a graph output) once.
5. GEMMs with weights that read the same activation (the Q, K and V projections) run as one GEMM; ONNX
   Runtime's fused ``Attention`` op, which does the same inside, writes and reads back Q, K and V.
6. Shape arithmetic (Shape, and ops computing only on shapes) runs on the host: no kernel, no traffic.
7. A recurrent op (LSTM, GRU, RNN) runs one dependent step per time step: as many launches as steps.
8. On-chip memory (the profile's ``on_chip_memory_mb``: L2 cache or SRAM): an activation passed between
   kernels that fits in half of it is not written to nor read from DRAM, and weights that fit in half of it
   all together stay resident between passes.
9. A kernel without MACs whose results feed a single other kernel (an attention mask's Cast, a pooler's
   token select) runs as that kernel's prologue; one computed from graph inputs alone (rotary angles, a mask
   from positions) runs in the prologue of the first kernel that reads it.
10. A KV cache is appended in place: an attention op's present key/value output writes only the new positions
   (as a Concat of past and new, a view, does).

Pure: takes and returns numbers and names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.model.costs import NodeCost

from wattprint.model.ops import Fusion, fusion_ops

#: ops whose output is a re-indexing of their (first / every) data input (``fusion=Fusion.VIEW`` in the op registry)
VIEW_OPS = fusion_ops(Fusion.VIEW)
#: ops without MACs that cannot join an elementwise kernel (scatters, sorting, control flow): ``Fusion.BARRIER``;
#: a Gather of rows (an embedding lookup) fuses with the elementwise ops that consume it
BARRIER_OPS = fusion_ops(Fusion.BARRIER)
#: what a kernel is, for the efficiency of its compute
KIND_CONV = "conv"
KIND_GEMM = "gemm"
KIND_RECURRENT = "recurrent"
KIND_VECTOR = "vector"
KINDS = (KIND_CONV, KIND_GEMM, KIND_RECURRENT, KIND_VECTOR)
_CONV_OPS = frozenset({"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "NhwcConv", "FusedConv",
                       "ConvTransposeWithDynamicPads", "DeformConv"})
_RECURRENT_OPS = frozenset({"LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"})


def kernel_kind(node: NodeCost) -> str:
    if not node.macs:
        return KIND_VECTOR
    if node.op_type in _CONV_OPS:
        return KIND_CONV
    if node.op_type in _RECURRENT_OPS:
        return KIND_RECURRENT
    return KIND_GEMM


@dataclass(frozen=True)
class Kernel:
    """One fused kernel: the nodes it runs (indices into the graph's node list) and its DRAM traffic."""

    head: int  # the node that names it: its MAC op, else its first node
    members: tuple[int, ...]
    dram_bytes: int
    kind: str
    launches: int = 1  # kernel launches it stands for (ONNX Runtime's Attention op: projection + attention)


#: attention ops that take a KV cache and return it extended (present = past + the new positions)
KV_CACHE_OPS = frozenset({"GroupQueryAttention", "Attention", "MultiHeadAttention", "DecoderMaskedMultiHeadAttention",
                          "DecoderMaskedSelfAttention"})


def _cache_appends(n: NodeCost) -> dict[str, int]:
    """Present-cache outputs of an attention op -> bytes of the past cache they extend (written in place)."""
    past = sorted(n.activation_bytes, reverse=True)
    out: dict[str, int] = {}
    for t, b in sorted(zip(n.outputs[1:3], n.output_bytes[1:3]), key=lambda x: -x[1]):
        fit = next((p for p in past if 0 < p <= b), None)
        if fit is not None and fit * 2 > b:  # the cache, not an unrelated smaller input
            out[t] = fit
            past.remove(fit)
    return out


#: domains whose view and elementwise ops the rules know
_FUSING_DOMAINS = ("", "com.microsoft")


@dataclass(frozen=True)
class _Structure:
    """What the grouping depends on: the graph's edges and op kinds, not its byte counts."""

    groups: tuple[tuple[int, ...], ...]
    views: tuple[int, ...]  # the nodes that are views (rule 1)
    roots: dict[str, tuple[str, ...]]
    producer: dict[str, int]
    consumers: dict[str, list[int]]
    has_edges: list[bool]
    via_view: list[bool]  # per running node: whether it reads a view's output
    heads: tuple[int, ...]  # per group: the node that names its kernel
    kinds: tuple[str, ...]  # per group: its kernel kind
    kernel_of: tuple[int | None, ...]  # per node: its group's index
    single_writer: bool  # no tensor is written twice (the rule in ONNX)


#: groupings of recently seen graph structures (a decode step at another cache length, the same layer
#: stack at another batch, reuse the grouping and only recount the bytes)
_STRUCTURES: dict[tuple[object, ...], _Structure] = {}
_MAX_STRUCTURES = 32
_EDGES = attrgetter("op_type", "domain", "counted", "activation_inputs", "outputs")


def _works(nodes: Sequence[NodeCost]) -> list[bool]:
    """Per node: whether it does any work (FLOPs or bytes)."""
    return [bool(n.flops or n.bytes_read or n.bytes_written) for n in nodes]


def _signature(nodes: Sequence[NodeCost], works: list[bool]) -> tuple[object, ...]:
    """Everything :func:`_group` reads, per node (as columns: a tuple per field is cheaper to build and hash
    than a tuple per node, and holds the same facts)."""
    return (
        tuple(map(_EDGES, nodes)),
        tuple(bool(n.macs) for n in nodes),
        tuple(bool(n.weight_bytes) for n in nodes),
        tuple(works),
        tuple(len(n.activation_bytes) for n in nodes),
        tuple(len(n.output_bytes) for n in nodes),
    )


def kernels(nodes: Sequence[NodeCost], on_chip_bytes: int = 0) -> tuple[list[Kernel], list[int | None]]:
    """Group the counted nodes into kernels. Returns the kernels and, per node, its kernel index
    (``None`` for views, nodes not counted and folded constants, which run no kernel).

    ``on_chip_bytes``: the device's last-level on-chip memory (L2 cache or SRAM). An activation passed
    between kernels that fits in half of it stays on chip (rule 8), and weights that fit in half of it
    all together stay resident between passes (steady-state serving)."""
    works = _works(nodes)
    key = _signature(nodes, works)
    st = _STRUCTURES.get(key)
    if st is None:
        st = _group(nodes, works)
        if len(_STRUCTURES) >= _MAX_STRUCTURES:
            _STRUCTURES.pop(next(iter(_STRUCTURES)))
        _STRUCTURES[key] = st
    return _traffic(nodes, st, on_chip_bytes)


def _group(nodes: Sequence[NodeCost], works: list[bool]) -> _Structure:
    # the per-node fields the rules read, as local lists (read once, not once per rule)
    n_nodes = len(nodes)
    ops = [n.op_type for n in nodes]
    counted = [n.counted for n in nodes]
    macs = [n.macs for n in nodes]
    ins = [n.activation_inputs for n in nodes]
    outs = [n.outputs for n in nodes]
    # the node's edges are known: its outputs, and the bytes of each output and activation input
    has_edges = [
        bool(o) and len(n.output_bytes) == len(o) and len(n.activation_bytes) == len(a)
        for n, o, a in zip(nodes, outs, ins)
    ]
    producer: dict[str, int] = {}
    for i, o in enumerate(outs):
        for t in o:
            producer[t] = i

    # rule 1: resolve views to the tensors they re-index (a root tuple holds each tensor once, so a view of
    # one source re-indexes that source's roots as they are)
    roots: dict[str, tuple[str, ...]] = {}
    views: list[int] = []
    for i in [i for i, op in enumerate(ops) if op in VIEW_OPS]:
        a = ins[i]
        if counted[i] and has_edges[i] and a and not macs[i] and nodes[i].domain in _FUSING_DOMAINS:
            views.append(i)
            if ops[i] == "Concat":
                src = tuple(dict.fromkeys([r for s in a for r in roots.get(s, (s,))]))
            else:
                src = roots.get(a[0], (a[0],))
            for t in outs[i]:
                roots[t] = src
    view = [False] * n_nodes
    for i in views:
        view[i] = True

    # shape arithmetic (Shape -> Gather -> Concat -> Range ...) runs on the host while the graph is
    # prepared: it launches no kernel and moves nothing through device memory
    shape_derived: set[str] = set()
    host = [False] * n_nodes
    for i, op in enumerate(ops):
        # (with nothing shape-derived yet, a node with inputs cannot read only shape-derived tensors)
        if op in ("Shape", "Size") or (
            shape_derived and ins[i] and not macs[i] and all(t in shape_derived for t in ins[i])
        ):
            host[i] = True
            shape_derived.update(outs[i])

    # per node: the tensors it reads, views resolved to their roots (in input order, repeats kept);
    # runs: a node that runs in a kernel (counted, not a view, not on the host)
    # (the rules read the tensors of running nodes only)
    runs = [c and not v and not h for c, v, h in zip(counted, view, host)]
    reads = list(ins)
    via_view = [False] * n_nodes  # the node reads a view's output
    consumers: dict[str, list[int]] = {}
    for i in compress(range(n_nodes), runs):
        a = ins[i]
        for t in a:
            if t in roots:
                a = reads[i] = tuple([r for t in a for r in roots.get(t, (t,))])
                via_view[i] = True
                break
        for r in a:
            consumers.setdefault(r, []).append(i)  # (most tensors have one reader: one lookup, and its list)

    group = list(range(n_nodes))  # union-find over node indices

    def find(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    has_mac: dict[int, int] = {}  # group root -> its MAC node
    # groups without MACs or parameters computed from graph inputs (and constants) alone: rotary angles from
    # position_ids, a mask from attention_mask. Per-layer work that reads them does not join them (rule 9 runs
    # them in the prologue of their first reader instead)
    prep: set[int] = set()
    siblings: dict[tuple[str, ...], int] = {}  # (input tensor, op) -> first weight GEMM reading it
    softmax_in: set[int] = set()  # group roots that contain a Softmax
    fusable = [
        c and not m and op not in BARRIER_OPS and e and n.domain in _FUSING_DOMAINS and bool(a)
        for c, m, op, e, a, n in zip(counted, macs, ops, has_edges, ins, nodes)
    ]

    # the nodes the rules below look at: running nodes with MACs, and running fusable ones that do work
    for i in compress(range(n_nodes), [r and (m or (w and f)) for r, m, w, f in zip(runs, macs, works, fusable)]):
        op = ops[i]
        a = ins[i]
        if macs[i]:
            weight_bytes = nodes[i].weight_bytes
            # rule 5: GEMMs with weights that read the same activation (Q, K and V projections) run as one
            if weight_bytes and len(a) == 1 and op in ("MatMul", "Gemm", "MatMulNBits"):
                key = roots.get(a[0], (a[0],)) + (op,)
                sib = siblings.get(key)
                if sib is not None:
                    group[i] = find(sib)
                    continue
                siblings[key] = i
            has_mac[i] = i
            # rule 3: (softmax of Q x K^T) x V
            if weight_bytes == 0 and op in ("MatMul", "MatMulInteger", "QLinearMatMul") and a:
                for r in roots.get(a[0], (a[0],)):
                    j = producer.get(r)
                    if j is None or view[j]:
                        continue
                    g = find(j)
                    m = has_mac.get(g)
                    if (m is not None and g in softmax_in and nodes[m].weight_bytes == 0
                            and consumers.get(r, []) == [i]):
                        group[i] = g
                        break
            continue
        # rule 2: join the kernel of an input's producer; kernels without MACs that meet here merge
        made: list[tuple[str, int, int]] = []  # (tensor, its producer, its group) of the inputs another kernel computes
        reads_work = False  # reads a tensor computed from something other than graph inputs
        for r in reads[i]:
            j = producer.get(r)
            if j is not None and runs[j]:
                g = group[j]  # (find(j), without the call when j's parent is the root)
                if group[g] != g:
                    g = find(g)
                made.append((r, j, g))
                if g not in prep:
                    reads_work = True
        candidates: list[int] = []
        for r, j, g in made:
            if reads_work and g in prep:
                continue  # input-derived prep stays apart (rule 9)
            if macs[j]:
                users = consumers.get(r)
                if users is None or len(users) != 1 or users[0] != i or len(outs[j]) != 1:
                    continue
                if g in softmax_in and has_mac.get(g) != j:
                    continue  # an attention kernel ends at its second MatMul
            elif not fusable[j] or _read_before(consumers.get(r, ()), i, g, find):
                continue  # (a tensor already read by another kernel stays in DRAM)
            if g not in candidates:
                candidates.append(g)
        mac_group = None
        chosen = []
        for g in candidates:
            if g not in has_mac:
                chosen.append(g)
            elif mac_group is None:
                mac_group = g
        if mac_group is not None:
            chosen.insert(0, mac_group)
        elif not chosen and candidates:
            chosen = candidates[:1]
        if chosen:
            root = chosen[0]
            group[i] = root
            for g in chosen[1:]:
                group[g] = root
                if g in softmax_in:
                    softmax_in.add(root)
        if not reads_work and not nodes[i].params:
            prep.add(find(i))
        if op == "Softmax":
            softmax_in.add(find(i))

    # the kernels: the running nodes that do work, by group (each list in node order); the first MAC node of
    # each group names its kernel
    members: dict[int, list[int]] = {}
    first_mac: dict[int, int] = {}
    for i in compress(range(n_nodes), [r and w for r, w in zip(runs, works)]):
        g = group[i]  # (find(i), without the call when i's parent is the root)
        if group[g] != g:
            g = find(g)
        idx = members.get(g)
        if idx is None:
            members[g] = [i]
        else:
            idx.append(i)
        if macs[i] and g not in first_mac:
            first_mac[g] = i

    # rule 9: a kernel without MACs whose results feed a single other kernel (an attention mask's Cast, a
    # pooler's token select) runs as that kernel's prologue; one computed from graph inputs alone (rotary
    # angles, a mask from positions) is recomputed in the prologue of the first kernel that reads it. Repeated
    # until nothing moves: a prologue merged into a kernel without MACs may make that one a prologue in turn
    # (single-reader prologues first, so that input-derived prep lands in the kernel its first reader ends up in).
    # A merge moves a kernel without MACs into another: which kernels have MACs, and their first MAC node, never
    # change
    if len(first_mac) < len(members):
        owner = {i: g for g, idx in members.items() for i in idx}
        with_macs = set(first_mac)
        moved = True
        while moved:
            moved = _prologues(outs, reads, members, owner, with_macs, consumers, producer, host, shared=False) or (
                _prologues(outs, reads, members, owner, with_macs, consumers, producer, host, shared=True))
    groups = tuple(tuple(v) for v in members.values())
    heads = tuple(first_mac.get(g, idx[0]) for g, idx in members.items())
    kernel_of: list[int | None] = [None] * n_nodes
    for k, members_ in enumerate(groups):
        for i in members_:
            kernel_of[i] = k
    return _Structure(groups, tuple(views), roots, producer, consumers, has_edges, via_view, heads,
                      tuple(kernel_kind(nodes[h]) for h in heads), tuple(kernel_of),
                      len(producer) == sum(map(len, outs)))


def _read_before(users: Sequence[int], i: int, g: int, find: Callable[[int], int]) -> bool:
    """Whether a node before ``i`` outside group ``g`` reads the tensor (its ``users``)."""
    for u in users:
        if u < i and find(u) != g:
            return True
    return False


def _prologues(outs: list[tuple[str, ...]], reads: list[tuple[str, ...]], members: dict[int, list[int]],
               owner: dict[int, int], with_macs: set[int], consumers: dict[str, list[int]], producer: dict[str, int],
               host: list[bool], shared: bool) -> bool:
    """One sweep of rule 9: merge kernels without MACs into their reader (``shared``: also those computed from
    graph inputs alone that several kernels read, into the first). True when something moved."""
    moved = False
    for g in list(members):
        if g in with_macs:
            continue
        idx = members.get(g)
        if idx is None:
            continue
        inside = set(idx)
        targets = sorted({owner[u] for i in idx for t in outs[i] for u in consumers.get(t, ())
                          if u not in inside and u in owner}, key=lambda r: min(members[r]))
        escapes = any(t not in consumers for i in idx for t in outs[i])
        from_inputs = all(
            producer.get(r) is None or producer[r] in inside or host[producer[r]]
            for i in idx for r in reads[i]
        )
        if targets and not escapes and (len(targets) == 1 or (shared and from_inputs)):
            target = targets[0]
            members[target] = sorted(members[target] + members.pop(g))
            for i in idx:
                owner[i] = target
            moved = True
    return moved


def _traffic(nodes: Sequence[NodeCost], st: _Structure, on_chip_bytes: int) -> tuple[list[Kernel], list[int | None]]:
    half = on_chip_bytes // 2
    weights_resident = 0 < sum(n.weight_bytes for n in nodes if n.counted) <= half
    roots, producer, consumers, kernel_of = st.roots, st.producer, st.consumers, st.kernel_of
    has_edges, via_view = st.has_edges, st.via_view
    # the size of a tensor that a view re-indexes: as written by its producer; a tensor without one (a graph
    # input): as the largest view of it reads it (Shape reads none of it); else as the reader reads it
    written: dict[str, int] = {}
    if not st.single_writer:  # (a tensor written twice: the last byte count given for it)
        for n in nodes:
            written.update(zip(n.outputs, n.output_bytes))
    for i in st.views:
        n = nodes[i]
        for t, b in zip(n.activation_inputs, n.activation_bytes):
            if t not in producer and b > written.get(t, 0):
                written[t] = b

    def size(t: str, b: int) -> int:
        j = producer.get(t)
        if j is None or not st.single_writer:
            return written.get(t, b)
        n = nodes[j]  # (its only writer: looked up when a read needs it, not tabled for every tensor)
        p = n.outputs.index(t)
        return n.output_bytes[p] if p < len(n.output_bytes) else b

    out: list[Kernel] = []
    # (a node is inside kernel k when kernel_of says so: the same as being one of its members)
    for k, (idx, head, kind) in enumerate(zip(st.groups, st.heads, st.kinds)):
        traffic = 0
        launches = 1
        # what the kernel has read: a tensor by its name, the tensors a view re-indexes by their tuple
        seen_in: set[object] = set()
        for i in idx:
            n = nodes[i]
            op = n.op_type
            if op == "Attention" and n.domain == "com.microsoft" and n.output_bytes:
                # the contrib op projects Q, K and V into a scratch buffer that its attention kernel reads back
                # (from DRAM unless they fit on chip, as separate Q, K and V tensors would)
                if n.output_bytes[0] > half:
                    traffic += 2 * 3 * n.output_bytes[0]
                launches += 1
            if not has_edges[i]:
                traffic += n.bytes_read + n.bytes_written
                continue
            activation_bytes = n.activation_bytes
            constants = max(0, n.bytes_read - sum(activation_bytes))  # weights and constants
            weight_bytes = n.weight_bytes
            traffic += constants - weight_bytes if weights_resident and weight_bytes else constants
            reads_view = via_view[i]
            for t, b in zip(n.activation_inputs, activation_bytes):
                rs = roots.get(t) if reads_view else None
                if rs is None or len(rs) == 1:
                    # one tensor: read directly, or through a view (a broadcast reads its source)
                    r = t if rs is None else rs[0]
                    j = producer.get(r)
                    if (j is not None and kernel_of[j] == k) or r in seen_in:
                        continue
                    seen_in.add(r)
                    rb = b if rs is None else min(b, size(r, b))
                    if rb <= half and j is not None:
                        continue  # produced by an earlier kernel and still on chip
                    traffic += rb
                    continue
                # a view of several tensors (a Concat): read the tensors it re-indexes
                if rs in seen_in or all(producer.get(r) is not None and kernel_of[producer[r]] == k for r in rs):
                    continue
                seen_in.add(rs)
                rb = min(b, sum([size(x, b) for x in rs]))
                if rb <= half and all(r in producer for r in rs):
                    continue  # produced by earlier kernels and still on chip
                traffic += rb
            appended = _cache_appends(n) if op in KV_CACHE_OPS else None
            for t, b in zip(n.outputs, n.output_bytes):
                users = consumers.get(t)
                if users is None:
                    # a graph output (a KV cache: only what is appended)
                    traffic += b - appended.get(t, 0) if appended else b
                elif b > half:
                    for u in users:
                        if kernel_of[u] != k:
                            traffic += b  # read by another kernel, too large to stay on chip
                            break
        if kind == KIND_RECURRENT:
            steps = nodes[head].output_shape
            if steps:
                launches += max(0, int(steps[0]) - 1)  # one dependent step per time step
        out.append(Kernel(head, idx, traffic, kind, launches))
    return out, list(kernel_of)

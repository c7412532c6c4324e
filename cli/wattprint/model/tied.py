"""Parameters that are not distinct learned weights: tied LM heads, folded score masks."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
from onnx import TensorProto, helper

from .common import _EXTERNAL, NodeRec, _numel, node_records
from .costs import NodeCost

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


def _shared_weights(
    model: onnx.ModelProto, costs: list[NodeCost], warnings: list[str], nodes: list[NodeRec] | None = None
) -> list[NodeCost]:
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
    nodes = node_records(g.node) if nodes is None else nodes  # (the graph's nodes, as NodeRecs)
    inits = {t.name: t for t in g.initializer}
    for n in nodes:  # constants held in Constant nodes (legacy exports keep inv_freq there)
        if n.op_type == "Constant" and n.output and len(n.attribute) == 1 and n.attribute[0].name == "value":
            inits.setdefault(n.output[0], n.attribute[0].t)
    if not inits:
        return costs
    consumers: dict[str, list[NodeRec]] = {}
    for n in nodes:
        for t in n.input:
            consumers.setdefault(t, []).append(n)
    names: dict[int, str] = {}  # id(node) -> its name in the costs (built when a weight is dropped)

    def name_of(n: NodeRec) -> str:
        if not names:
            for i, m in enumerate(nodes):
                names[id(m)] = m.name or f"{m.op_type}_{i}"
        return names[id(n)]

    drop: dict[str, list[tuple[str, str]]] = {}  # cost node name -> [(initializer, why)]
    tie = _tie_flag(model)
    outputs = {o.name for o in g.output}
    embeds = {n.input[0] for n in nodes if n.op_type == "Gather" and n.input and n.input[0] in inits}
    if tie is not False:
        for n in nodes:
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
                    drop.setdefault(name_of(n), []).append((w.name, f"tied LM head: '{w.name}' [{w.dims[0]}x{w.dims[1]}] is a transposed "
                                                  f"copy of the embedding '{e}' ({why})"))
                    break
    float_consts: dict[str, int] = {}  # float constants of more than one element -> rank (read once, not per use)
    for name, t in inits.items():
        if t.data_type in (1, 10, 11, 16) and _numel(t.dims) > 1:
            float_consts[name] = len(t.dims)
    for n in nodes:
        if n.op_type != "Add" or len(n.input) != 2:
            continue
        const = [t for t in n.input if t in float_consts]
        if len(const) != 1 or float_consts[const[0]] < 3:
            continue
        frontier, hops, hit = [n.output[0]], 0, False
        while frontier and hops < 4 and not hit:
            nxt: list[str] = []
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
            drop.setdefault(name_of(n), []).append((t.name, f"folded constant added to attention scores: '{t.name}' [{shape}]"))
    # rotary position tables and frequencies (inv_freq, cos/sin caches): computed, not learned
    for name, t in list(inits.items()):
        if name not in float_consts:
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
                drop.setdefault(name_of(n), []).append((name, f"rotary table '{name}' [{shape}] (computed, not learned)"))
    if not drop:
        return costs
    out: list[NodeCost] = []
    excluded: list[tuple[str, int]] = []
    for nc in costs:
        hits = drop.get(nc.name)
        if hits and nc.params:
            numel = sum(_numel(inits[init].dims) for init, _ in hits)
            why = "; ".join(w for _, w in hits)
            out.append(dataclasses.replace(nc, params=max(0, nc.params - numel),
                                           note=(nc.note + "; " if nc.note else "") + why + ": not counted as params"))
            excluded.extend((w, _numel(inits[init].dims)) for init, w in hits)
        else:
            out.append(nc)
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

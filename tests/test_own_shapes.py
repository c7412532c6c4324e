"""The analysis without onnx's shape inference: taken where wattprint's own shape rules settle every tensor, with
exactly the result of the analysis that runs onnx's inference first; onnx's inference runs where an op has no own
rule, where the rules leave a tensor open or disagree with a declared type, and where onnx's inference would fail
(its warning is kept)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import wattprint.model.analyze as A
from onnx_builders import MS, bert, bert_fused, chain_graph, gpt2_decode
from wattprint.model import ModelCost, analyze_proto
from wattprint.model.common import node_records
from wattprint.model.dims import _bind_dims
from wattprint.model.infer import _inference_needed

F = T.FLOAT
I64 = T.INT64


@pytest.fixture
def runs(monkeypatch):
    """How many times onnx's shape inference ran."""
    n: list[int] = []
    real = onnx.shape_inference.infer_shapes

    def counting(*a, **k):
        n.append(1)
        return real(*a, **k)

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", counting)
    return n


def with_onnx(model: onnx.ModelProto, **kw) -> ModelCost:
    """The analysis as it was before: onnx's shape inference first, own rules for what it leaves open."""
    real = A._inference_needed
    A._inference_needed = lambda *a: "forced"
    try:
        return analyze_proto(model, "m", **kw)
    finally:
        A._inference_needed = real


def check(model: onnx.ModelProto, runs: list[int], onnx_runs: int, **kw) -> ModelCost:
    """Analyse ``model`` (onnx's inference run ``onnx_runs`` times) and compare with the analysis that runs it first."""
    r = analyze_proto(model, "m", **kw)
    assert len(runs) == onnx_runs
    ref = with_onnx(model, **kw)
    assert r == ref and repr(r) == repr(ref)
    return r


def needed(model: onnx.ModelProto, **kw) -> str | None:
    g = model.graph
    inits = {t.name for t in g.initializer}
    binding = _bind_dims([vi for vi in g.input if vi.name not in inits], kw.get("dims"), kw.get("batch"), "m", [])
    return _inference_needed(model, node_records(g.node), binding)


def _model(nodes, inputs, outputs, inits=(), opset=17, **kw) -> onnx.ModelProto:
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits))
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)] + kw.pop("extra", []), **kw)


def _w(name, shape):
    return h.make_tensor(name, F, list(shape), np.zeros(shape, np.float32).tobytes(), raw=True)


# ------------------------------------------------------------------------------------------------ taken


_COMMON = [
    ("chain", chain_graph(50), {"batch": 1}),
    ("bert", bert(layers=2, hidden=64, heads=2, ffn=128, vocab=100, max_pos=64, weights="inline").model(),
     {"dims": {"batch": 2, "sequence_length": 16}}),
    ("gpt2 decode", gpt2_decode(layers=2, hidden=64, heads=2, vocab=100, n_ctx=64).model(),
     {"dims": {"batch": 1, "seq": 1, "past_sequence_length": 15}}),
    ("bert fused (com.microsoft)", bert_fused(layers=2, hidden=64, heads=2, ffn=128, vocab=100, max_pos=64).model(
        extra_opsets={MS: 1}), {"dims": {"batch": 1, "sequence_length": 16}}),
]


@pytest.mark.parametrize("name, model, kw", _COMMON, ids=[c[0] for c in _COMMON])
def test_own_rules_settle_common_graphs(runs, name, model, kw):
    assert needed(model, **kw) is None
    check(model, runs, 0, **kw)


def test_subgraphs_and_functions_without_onnx(runs):
    body = h.make_graph(
        [h.make_node("Identity", ["cond_in"], ["cond_out"]), h.make_node("MatMul", ["h_in", "W"], ["h_out"])], "body",
        [h.make_tensor_value_info("i", I64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("h_in", F, None)],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("h_out", F, None)],
    )
    sbody = h.make_graph([h.make_node("MatMul", ["s_in", "W"], ["s_out"])], "sbody",
                         [h.make_tensor_value_info("s_in", F, None)], [h.make_tensor_value_info("s_out", F, None)])
    then_g = h.make_graph([h.make_node("MatMul", ["y", "W"], ["t"])], "then", [], [h.make_tensor_value_info("t", F, None)])
    else_g = h.make_graph([h.make_node("Relu", ["y"], ["e"])], "else", [], [h.make_tensor_value_info("e", F, None)])
    fn = h.make_function("local", "Linear", ["x", "w"], ["y"], [h.make_node("MatMul", ["x", "w"], ["y"])],
                         opset_imports=[h.make_opsetid("", 17)])
    model = _model(
        [h.make_node("Loop", ["M", "", "x"], ["y"], body=body), h.make_node("Scan", ["seq"], ["z"], body=sbody,
                                                                          num_scan_inputs=1),
         h.make_node("If", ["cond"], ["u"], then_branch=then_g, else_branch=else_g),
         h.make_node("Linear", ["u", "W"], ["v"], domain="local")],
        [h.make_tensor_value_info("x", F, [1, 64]), h.make_tensor_value_info("seq", F, [7, 2, 64]),
         h.make_tensor_value_info("cond", T.BOOL, [])],
        [h.make_tensor_value_info(n, F, None) for n in ("z", "v")],
        [_w("W", [64, 64]), h.make_tensor("M", I64, [], [5])], extra=[h.make_opsetid("local", 1)], functions=[fn],
    )
    r = check(model, runs, 0)
    assert [n.op_type for n in r.nodes] == ["Loop", "Scan", "If", "Linear"] and r.macs == (5 + 14 + 1 + 1) * 64 * 64


# --------------------------------------------------------------------------------------------- not taken


def test_op_without_own_rule_runs_onnx_inference(runs):
    # Det's shape comes from onnx's inference (ONNX_INFERENCE in the registry)
    model = _model([h.make_node("Det", ["x"], ["d"]), h.make_node("Relu", ["d"], ["y"])],
                   [h.make_tensor_value_info("x", F, [4, 3, 3])], [h.make_tensor_value_info("y", F, None)])
    assert needed(model) == "Det: no own shape rule"
    r = check(model, runs, 1)
    assert r.nodes[1].output_shape == (4,)


def test_op_without_own_rule_in_a_subgraph_or_function():
    then_g = h.make_graph([h.make_node("Det", ["x"], ["t"])], "then", [], [h.make_tensor_value_info("t", F, None)])
    model = _model([h.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=then_g)],
                   [h.make_tensor_value_info("x", F, [4, 3, 3]), h.make_tensor_value_info("c", T.BOOL, [])],
                   [h.make_tensor_value_info("y", F, None)])
    assert needed(model) == "Det: no own shape rule"
    fn = h.make_function("local", "D", ["a"], ["b"], [h.make_node("Det", ["a"], ["b"])],
                         opset_imports=[h.make_opsetid("", 17)])
    model = _model([h.make_node("Relu", ["x"], ["y"])], [h.make_tensor_value_info("x", F, [4, 3, 3])],
                   [h.make_tensor_value_info("y", F, None)], extra=[h.make_opsetid("local", 1)], functions=[fn])
    assert needed(model) == "Det: no own shape rule"


def test_shape_left_open_falls_back_to_onnx(runs):
    # the Reshape target is a graph input: no value, so the own rule leaves the output's dims open; onnx takes
    # the declared output shape (the walk with onnx's inference first: exactly its result)
    model = _model([h.make_node("Reshape", ["x", "s"], ["r"]), h.make_node("MatMul", ["r", "W"], ["y"])],
                   [h.make_tensor_value_info("x", F, [2, 3, 4]), h.make_tensor_value_info("s", I64, [2])],
                   [h.make_tensor_value_info("y", F, [6, 8])], [_w("W", [4, 8])])
    model.graph.value_info.append(h.make_tensor_value_info("r", F, [6, 4]))
    assert needed(model) is None
    r = check(model, runs, 1)
    assert r.nodes[1].macs == 6 * 8 * 4


def test_declared_type_disagreeing_falls_back(runs):
    # a stale declared shape of an intermediate tensor: taken where onnx's inference leaves it open
    model = chain_graph(3)
    model.graph.value_info.append(h.make_tensor_value_info(model.graph.node[2].output[0], F, ["b", 128, 32]))
    check(model, runs, 1, batch=1)


def test_malformed_node_falls_back(runs):
    # ReduceSum takes its axes as an input from opset 13: onnx ignores an `axes` attribute (and reduces every
    # axis), the own rule would read it; a keepdims flag of 2 is false for onnx (keepdims == 1), true for the rule
    for node in (h.make_node("ReduceSum", ["x"], ["y"], axes=[1]),
                 h.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=2)):
        runs.clear()
        model = _model([node], [h.make_tensor_value_info("x", F, [2, 3, 4])], [h.make_tensor_value_info("y", F, None)],
                       [h.make_tensor("a", I64, [1], [1])])
        assert needed(model) is None
        check(model, runs, 1)


def test_pool_ceil_mode_before_opset_22_falls_back(runs):
    # a last window that would start in the right padding: onnx's inference drops it from opset 22 on only, the
    # own rule always; the walk with onnx's inference first keeps onnx's 2x2 before opset 22
    x, y = h.make_tensor_value_info("x", F, [1, 1, 2, 2]), h.make_tensor_value_info("y", F, None)
    for opset, shape in ((17, (1, 1, 2, 2)), (22, (1, 1, 1, 1))):
        runs.clear()
        model = _model([h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1], strides=[2, 2], ceil_mode=1)], [x], [y],
                       opset=opset)
        r = check(model, runs, 1 if opset < 22 else 0)
        assert r.nodes[0].output_shape == shape


@pytest.mark.parametrize("node, x", [
    # a window larger than the input: onnx rounds the negative span towards zero, the rule towards -inf
    (h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[5, 5], dilations=[2, 2], strides=[2, 2]), [1, 2, 7, 8]),
    # ceil mode with auto_pad: onnx applies it, the rule does not
    (h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, auto_pad="VALID"),
     [1, 2, 7, 8]),
    # explicit pads with auto_pad: onnx adds them, the rule does not
    (h.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], auto_pad="SAME_LOWER", pads=[0, 1, 2, 2]), [1, 3, 8, 8]),
    # repeated axes once normalized; a broadcast conflict
    (h.make_node("Unsqueeze", ["x"], ["y"], axes=[1, -2]), [5]),
    (h.make_node("Where", ["c", "x", "x2"], ["y"]), [2, 3]),
], ids=["window", "ceil+auto_pad", "pads+auto_pad", "axes", "broadcast"])
def test_malformed_windows_axes_broadcasts_fall_back(runs, node, x):
    inputs = [h.make_tensor_value_info("x", F, x), h.make_tensor_value_info("x2", F, [4, 3]),
              h.make_tensor_value_info("c", T.BOOL, [3])]
    model = _model([node], [i for i in inputs if i.name in node.input], [h.make_tensor_value_info("y", F, None)],
                   opset=11 if node.op_type == "Unsqueeze" else 17)
    check(model, runs, 1)


def test_split_num_outputs_not_its_outputs_falls_back(runs):
    model = _model([h.make_node("Split", ["x"], ["a", "b"], axis=0, num_outputs=3)],
                   [h.make_tensor_value_info("x", F, [7])], [h.make_tensor_value_info(n, F, None) for n in "ab"], opset=18)
    check(model, runs, 1)


def test_scan_state_changing_shape_falls_back(runs):
    body = h.make_graph([h.make_node("Concat", ["st", "s_in"], ["st_out"], axis=0),
                         h.make_node("Identity", ["s_in"], ["s_out"])], "body",
                        [h.make_tensor_value_info("st", F, None), h.make_tensor_value_info("s_in", F, None)],
                        [h.make_tensor_value_info("st_out", F, None), h.make_tensor_value_info("s_out", F, None)])
    model = _model([h.make_node("Scan", ["init", "seq"], ["final", "z"], body=body, num_scan_inputs=1)],
                   [h.make_tensor_value_info("init", F, [1, 4]), h.make_tensor_value_info("seq", F, [3, 1, 4])],
                   [h.make_tensor_value_info("final", F, None), h.make_tensor_value_info("z", F, None)])
    check(model, runs, 1)


def test_onnx_attention_and_einsum_with_inputs_that_agree(runs):
    # ai.onnx Attention with a KV cache (as wattprint's own LLM decoders build it), Einsum: own rules only
    t = [h.make_tensor_value_info(n, F, s) for n, s in (("q", [1, 2, 4, 8]), ("k", [1, 2, 4, 8]), ("v", [1, 2, 4, 8]),
                                                       ("pk", [1, 2, 6, 8]), ("pv", [1, 2, 6, 8]))]
    model = _model([h.make_node("Attention", ["q", "k", "v", "", "pk", "pv"], ["y", "kk", "vv"], is_causal=1),
                    h.make_node("Einsum", ["y", "kk"], ["s"], equation="bhqd,bhkd->bhqk")], t,
                   [h.make_tensor_value_info(n, F, None) for n in ("s", "vv")], opset=23)
    r = check(model, runs, 0)
    assert r.nodes[0].output_shape == (1, 2, 4, 8) and r.nodes[1].output_shape == (1, 2, 4, 10)


@pytest.mark.parametrize("case", ["past_key alone", "key and value lengths differ", "einsum label sizes differ"])
def test_onnx_attention_and_einsum_with_inputs_that_disagree(runs, case):
    # onnx reads these otherwise than the own rules: a past only with both past inputs and both present outputs,
    # the sequence length from `value`; an Einsum label's size from its first operand
    shapes = {"q": [1, 2, 4, 8], "k": [1, 2, 4, 8], "v": [1, 2, 5 if case.startswith("key") else 4, 8],
              "pk": [1, 2, 6, 8], "e": [1, 8]}
    t = [h.make_tensor_value_info(n, F, s) for n, s in shapes.items()]
    if case.startswith("einsum"):
        nodes = [h.make_node("Einsum", ["e", "q"], ["y"], equation="ij,abcj->abci")]
        t[-1] = h.make_tensor_value_info("e", F, [1, 1])
    else:
        nodes = [h.make_node("Attention", ["q", "k", "v", "", "pk"] if case.startswith("past") else ["q", "k", "v"],
                             ["y", "kk", "vv", "qk"] if case.startswith("past") else ["y", "", "", "qk"])]
    model = _model(nodes, t, [h.make_tensor_value_info("y", F, None)], opset=23)
    assert needed(model) is None
    check(model, runs, 1)


def test_old_opset_runs_onnx_inference(runs):
    # before opset 11 some schemas read attributes otherwise (legacy broadcasting, negative axes)
    model = chain_graph(3)
    model.opset_import[0].version = 10
    assert needed(model, batch=1).startswith("opset 10")
    check(model, runs, 1, batch=1)


def test_initializer_contradicting_its_input_runs_onnx_inference(runs):
    # a large initializer is left out of the model onnx's inference sees: it reads the input's declared shape
    model = _model([h.make_node("MatMul", ["x", "w"], ["y"])], [h.make_tensor_value_info("x", F, [2, 64]),
                   h.make_tensor_value_info("w", F, [64, 32])], [h.make_tensor_value_info("y", F, None)],
                   [_w("w", [64, 64])])
    assert "contradicts its graph input" in needed(model)
    check(model, runs, 1)


def test_unbound_dim_runs_onnx_inference(runs):
    model = chain_graph(3)
    assert needed(model) == "input 'x' is not fully known"
    with pytest.raises(Exception, match="batch"):
        analyze_proto(model, "m")


# ------------------------------------------------------------------- where onnx's inference would fail


def _failing_cases():
    x, y = h.make_tensor_value_info("x", F, [2, 3]), h.make_tensor_value_info("y", F, None)
    yield "domain not imported", bert_fused(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16).model(), \
        {"dims": {"batch": 1, "sequence_length": 8}}, "domain 'com.microsoft' is not imported"
    yield "too few inputs", _model([h.make_node("Add", ["x"], ["y"])], [x], [y]), {}, None  # (found by the walk)
    body = h.make_graph([h.make_node("Identity", ["c"], ["c_out"])], "body", [h.make_tensor_value_info("i", I64, [])],
                        [h.make_tensor_value_info("c_out", T.BOOL, [])])
    yield "Loop with one input", _model([h.make_node("Loop", ["m"], [], body=body)], [h.make_tensor_value_info(
        "m", I64, [])], [], [h.make_tensor("c", T.BOOL, [], [True])]), {}, "fewer inputs"
    yield "initializer contradicts its input", _model(
        [h.make_node("Add", ["x", "w"], ["y"])], [x, h.make_tensor_value_info("w", F, [4])], [y], [_w("w", [3])]
    ), {}, "contradicts its graph input"
    fa = h.make_function("local", "A", ["a"], ["b"], [h.make_node("B", ["a"], ["b"], domain="local")],
                         opset_imports=[h.make_opsetid("", 17), h.make_opsetid("local", 1)])
    fb = h.make_function("local", "B", ["a"], ["b"], [h.make_node("A", ["a"], ["b"], domain="local")],
                         opset_imports=[h.make_opsetid("", 17), h.make_opsetid("local", 1)])
    yield "function cycle", _model([h.make_node("A", ["x"], ["y"], domain="local")], [x], [y],
                                   extra=[h.make_opsetid("local", 1)], functions=[fa, fb]), {}, "cycle"


@pytest.mark.parametrize("name, model, kw, why", list(_failing_cases()), ids=[c[0] for c in _failing_cases()])
def test_onnx_inference_failure_kept(runs, name, model, kw, why):
    assert needed(model, **kw) is None if why is None else why in needed(model, **kw)
    r = check(model, runs, 1, **kw)
    assert any("onnx shape inference failed" in w for w in r.warnings)


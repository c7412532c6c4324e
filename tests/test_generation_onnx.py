"""LLM generation from an ONNX decoder: KV inputs, derived dims, prefill-only graphs, ONNX vs config."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

from wattprint.carbon import choose_grid, choose_pue
from wattprint.generation import GenerationWorkload, estimate_generation
from wattprint.hardware import load_hardware
from wattprint.llm_config import spec_from_dict

CFG = dict(model_type="llama", hidden_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
           head_dim=64, intermediate_size=512, vocab_size=512, torch_dtype="float32", max_position_embeddings=2048)
TOTAL = "past_sequence_length + sequence_length"


def legacy_decoder(cfg=CFG, with_cache: bool = True, kv_name: str = "past_key_values.{i}.{kind}") -> onnx.ModelProto:
    """A llama decoder laid out as the transformers/optimum legacy exporter writes it: decomposed RMSNorm,
    MatMul/Softmax attention over Concat(past, new), logits for every position, weights shape-only."""
    H, nh, hd, inter, V = (cfg[k] for k in ("hidden_size", "num_attention_heads", "head_dim", "intermediate_size",
                                            "vocab_size"))
    nodes, inits = [], []
    inputs = [h.make_tensor_value_info("input_ids", T.INT64, ["batch_size", "sequence_length"]),
              h.make_tensor_value_info("attention_mask", T.INT64, ["batch_size", TOTAL if with_cache else "sequence_length"]),
              h.make_tensor_value_info("position_ids", T.INT64, ["batch_size", "sequence_length"])]
    outputs = []

    def w(name, shape):
        t = onnx.TensorProto()
        t.name, t.data_type = name, T.FLOAT
        t.dims.extend(shape)
        inits.append(t)
        return name

    def c(name, values, dtype=np.int64):
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def n(op, ins, out, **attrs):
        nodes.append(h.make_node(op, ins, [out], name=out, **attrs))
        return out

    c("two", 2.0, np.float32)
    c("eps", 1e-5, np.float32)
    c("scale", 1.0 / 8, np.float32)
    c("neg", -1e9, np.float32)
    c("one", 1.0, np.float32)
    c("ax_last", [-1])
    c("ax_12", [1, 2])
    c("shape_heads", [0, 0, nh, hd])
    c("shape_merge", [0, 0, H])

    def rms(x, name):
        p = n("Pow", [x, "two"], f"{name}.pow")
        m = n("ReduceMean", [p, "ax_last"], f"{name}.mean")
        r = n("Reciprocal", [n("Sqrt", [n("Add", [m, "eps"], f"{name}.add")], f"{name}.sqrt")], f"{name}.rcp")
        return n("Mul", [n("Mul", [x, r], f"{name}.norm"), w(f"{name}.weight", [H])], f"{name}.scale")

    x = n("Gather", [w("embed", [V, H]), "input_ids"], "embed_tokens")
    cos = n("Unsqueeze", [n("Gather", [w("cos_table", [cfg["max_position_embeddings"], hd]), "position_ids"], "cos"),
                          c("ax1", [1])], "cos4")
    sin = n("Unsqueeze", [n("Gather", [w("sin_table", [cfg["max_position_embeddings"], hd]), "position_ids"], "sin"),
                          "ax1"], "sin4")
    mask = n("Mul", [n("Sub", ["one", n("Cast", ["attention_mask"], "mask_f", to=T.FLOAT)], "mask_inv"), "neg"], "mask_add")
    mask = n("Unsqueeze", [mask, "ax_12"], "mask4")
    for i in range(cfg["num_hidden_layers"]):
        p = f"l{i}"
        hh = rms(x, f"{p}.ln1")
        heads = {}
        for proj in ("q", "k", "v"):
            y = n("MatMul", [hh, w(f"{p}.{proj}_proj", [H, nh * hd])], f"{p}.{proj}")
            y = n("Transpose", [n("Reshape", [y, "shape_heads"], f"{p}.{proj}.r")], f"{p}.{proj}.t", perm=[0, 2, 1, 3])
            if proj in ("q", "k"):
                y = n("Add", [n("Mul", [y, cos], f"{p}.{proj}.cos"), n("Mul", [y, sin], f"{p}.{proj}.sin")],
                      f"{p}.{proj}.rope")
            heads[proj] = y
        k, v = heads["k"], heads["v"]
        if with_cache:
            for kind in ("key", "value"):
                inputs.append(h.make_tensor_value_info(kv_name.format(i=i, kind=kind), T.FLOAT,
                                                       ["batch_size", nh, "past_sequence_length", hd]))
            k = n("Concat", [kv_name.format(i=i, kind="key"), k], f"present.{i}.key", axis=2)
            v = n("Concat", [kv_name.format(i=i, kind="value"), v], f"present.{i}.value", axis=2)
            for t in (k, v):
                outputs.append(h.make_tensor_value_info(t, T.FLOAT, ["batch_size", nh, TOTAL, hd]))
        s = n("MatMul", [heads["q"], n("Transpose", [k], f"{p}.kt", perm=[0, 1, 3, 2])], f"{p}.scores")
        s = n("Add", [n("Mul", [s, "scale"], f"{p}.scaled"), mask], f"{p}.masked")
        a = n("MatMul", [n("Softmax", [s], f"{p}.probs", axis=-1), v], f"{p}.ctx")
        a = n("Reshape", [n("Transpose", [a], f"{p}.ctx.t", perm=[0, 2, 1, 3]), "shape_merge"], f"{p}.ctx.r")
        x = n("Add", [x, n("MatMul", [a, w(f"{p}.o_proj", [nh * hd, H])], f"{p}.o")], f"{p}.res1")
        hh = rms(x, f"{p}.ln2")
        g = n("MatMul", [hh, w(f"{p}.gate", [H, inter])], f"{p}.gate_mm")
        u = n("MatMul", [hh, w(f"{p}.up", [H, inter])], f"{p}.up_mm")
        act = n("Mul", [n("Mul", [g, n("Sigmoid", [g], f"{p}.sig")], f"{p}.silu"), u], f"{p}.glu")
        x = n("Add", [x, n("MatMul", [act, w(f"{p}.down", [inter, H])], f"{p}.down_mm")], f"{p}.res2")
    logits = n("MatMul", [rms(x, "norm"), w("lm_head", [H, V])], "logits")
    outputs.insert(0, h.make_tensor_value_info(logits, T.FLOAT, ["batch_size", "sequence_length", V]))
    graph = h.make_graph(nodes, "legacy-llama", inputs, outputs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], producer_name="pytorch")
    model.ir_version = 8
    return model


def dynamo_decoder(cfg=CFG) -> onnx.ModelProto:
    """A llama decoder as the torch dynamo exporter writes it at opset 23: RMSNormalization, RotaryEmbedding and
    Attention with past_key/past_value inputs and present_key/present_value outputs, logits for every position."""
    H, nh, hd, inter, V = (cfg[k] for k in ("hidden_size", "num_attention_heads", "head_dim", "intermediate_size",
                                            "vocab_size"))
    nodes, inits, outputs = [], [], []
    inputs = [h.make_tensor_value_info("input_ids", T.INT64, ["batch_size", "sequence_length"]),
              h.make_tensor_value_info("attention_mask", T.INT64, ["batch_size", TOTAL])]

    def w(name, shape):
        t = onnx.TensorProto()
        t.name, t.data_type = name, T.FLOAT
        t.dims.extend(shape)
        inits.append(t)
        return name

    def n(op, ins, outs, **attrs):
        outs = [outs] if isinstance(outs, str) else outs
        nodes.append(h.make_node(op, ins, outs, name=outs[0], **attrs))
        return outs[0]

    inputs.append(h.make_tensor_value_info("position_ids", T.INT64, ["batch_size", "sequence_length"]))
    inits.append(numpy_helper.from_array(np.asarray([2], np.int64), "ax2"))
    pos = n("Unsqueeze", [n("Cast", ["position_ids"], "pos_f", to=T.FLOAT), "ax2"], "pos_col")
    freqs = n("Mul", [pos, w("inv_freq", [hd // 2])], "freqs")
    n("Cos", [freqs], "cos")
    n("Sin", [freqs], "sin")
    x = n("Gather", [w("embed", [V, H]), "input_ids"], "embed_tokens")
    for i in range(cfg["num_hidden_layers"]):
        p = f"l{i}"
        hh = n("RMSNormalization", [x, w(f"{p}.ln1", [H])], f"{p}.ln1.out", axis=-1)
        q, k, v = (n("MatMul", [hh, w(f"{p}.{j}_proj", [H, nh * hd])], f"{p}.{j}") for j in "qkv")
        q = n("RotaryEmbedding", [q, "cos", "sin"], f"{p}.q_rope", num_heads=nh)
        k = n("RotaryEmbedding", [k, "cos", "sin"], f"{p}.k_rope", num_heads=nh)
        pk, pv = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        for name in (pk, pv):
            inputs.append(h.make_tensor_value_info(name, T.FLOAT, ["batch_size", nh, "past_sequence_length", hd]))
        a = n("Attention", [q, k, v, "", pk, pv], [f"{p}.attn", f"present.{i}.key", f"present.{i}.value"],
              q_num_heads=nh, kv_num_heads=nh, is_causal=1)
        for name in (f"present.{i}.key", f"present.{i}.value"):
            outputs.append(h.make_tensor_value_info(name, T.FLOAT, ["batch_size", nh, TOTAL, hd]))
        x = n("Add", [x, n("MatMul", [a, w(f"{p}.o_proj", [nh * hd, H])], f"{p}.o")], f"{p}.res1")
        hh = n("RMSNormalization", [x, w(f"{p}.ln2", [H])], f"{p}.ln2.out", axis=-1)
        g = n("MatMul", [hh, w(f"{p}.gate", [H, inter])], f"{p}.gate_mm")
        u = n("MatMul", [hh, w(f"{p}.up", [H, inter])], f"{p}.up_mm")
        act = n("Mul", [n("Mul", [g, n("Sigmoid", [g], f"{p}.sig")], f"{p}.silu"), u], f"{p}.glu")
        x = n("Add", [x, n("MatMul", [act, w(f"{p}.down", [inter, H])], f"{p}.down_mm")], f"{p}.res2")
    x = n("RMSNormalization", [x, w("norm", [H])], "norm.out", axis=-1)
    logits = n("MatMul", [x, w("lm_head", [H, V])], "logits")
    outputs.insert(0, h.make_tensor_value_info(logits, T.FLOAT, ["batch_size", "sequence_length", V]))
    graph = h.make_graph(nodes, "dynamo-llama", inputs, outputs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 23)], producer_name="pytorch")
    model.ir_version = 10
    return model


@pytest.fixture
def env():
    return load_hardware().get("h100"), choose_pue(None, None), choose_grid(region=None, intensity=None, grid_file=None)


def save(model, tmp_path, name="decoder.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def test_onnx_decoder_binds_kv_and_derived_dims(tmp_path, env):
    profile, pue, grid = env
    path = save(legacy_decoder(), tmp_path)
    w = GenerationWorkload(prompt_tokens=32, output_tokens=20, concurrency=4)
    r = estimate_generation(path, profile, w, pue=pue, grid=grid)
    assert r.source_kind == "onnx" and r.decode is not None and r.decode.passes == 19
    # logits for every prompt position: said so, and the LM head is costed for the last position only
    assert any("logits at all 32 prompt positions" in x and "last position" in x for x in r.notes)
    head = next(n for n in r.prefill_detail.model.nodes if n.name == "logits")
    assert head.macs == 4 * 256 * 512 and head.output_shape == (4, 1, 512)  # 4 sequences x H x V, not x 32
    # decode step MACs at a cache of L: q,k,v,o 4 x 256^2 + MLP 3 x 256 x 512 + attention 4 heads x (L+1) x 128,
    # two layers, + lm_head 256 x 512; per sequence, x 4 sequences
    def step(L):
        return 4 * (2 * (4 * 256 * 256 + 3 * 256 * 512 + 4 * (L + 1) * 128) + 256 * 512)
    assert r.decode.macs == sum(step(L) for L in range(32, 51))


def test_onnx_and_config_paths_agree_within_5pct(tmp_path, env):
    profile, pue, grid = env
    path = save(dynamo_decoder(), tmp_path)
    spec = spec_from_dict(CFG, "cfg")
    w = GenerationWorkload(prompt_tokens=64, output_tokens=128, concurrency=8)
    a = estimate_generation(path, profile, w, pue=pue, grid=grid)
    b = estimate_generation(spec, profile, w, pue=pue, grid=grid)
    assert a.params_total == b.params_total
    for attr in ("accelerator_energy_per_output_token_j", "energy_per_output_token_j", "time_per_output_token_s"):
        assert getattr(a, attr) == pytest.approx(getattr(b, attr), rel=0.05), attr
    # the export computes logits for all 64 prompt positions; both paths cost the last only
    assert a.prefill.macs == b.prefill.macs
    assert a.time_to_first_token_s == pytest.approx(b.time_to_first_token_s, rel=0.05)
    assert a.decode.macs == pytest.approx(b.decode.macs, rel=0.05)
    assert a.decode.bytes_read == pytest.approx(b.decode.bytes_read, rel=0.05)


def test_prefill_lm_head_costed_for_the_last_position(tmp_path, env):
    """A 2-layer decoder whose graph computes logits at every position: prefill of B=2 sequences of P=16 tokens.
    The LM head (H=256 -> V=512) is costed for one position per sequence: 2 x 256 x 512 MACs, it reads 2 x 256
    activations and the whole 256 x 512 weight, and writes 2 x 512 logits (fp32); the layers are untouched."""
    from wattprint.generation import last_position_logits
    from wattprint.model import analyze_proto

    model = legacy_decoder()
    dims = {"batch_size": 2, "sequence_length": 16, "past_sequence_length": 0, TOTAL: 16}
    full = analyze_proto(model, "d", dims=dims, empty_dims=("past_sequence_length",))
    cost, head = last_position_logits(full, "logits", 2, 16)
    assert head == "logits"
    lm = next(n for n in cost.nodes if n.name == "logits")
    assert (lm.macs, lm.activation_bytes, lm.output_bytes) == (2 * 256 * 512, (4 * 2 * 256,), (4 * 2 * 512,))
    assert lm.bytes_read == 4 * (2 * 256 + 256 * 512) and lm.output_shape == (2, 1, 512)
    assert full.macs - cost.macs == 2 * 15 * 256 * 512
    assert [n for n in cost.nodes if n.name != "logits"] == [n for n in full.nodes if n.name != "logits"]
    # a decode step (one position) and a graph without a per-position LM head are left alone
    one = analyze_proto(model, "d", dims={**dims, "sequence_length": 1, TOTAL: 1}, empty_dims=("past_sequence_length",))
    assert last_position_logits(one, "logits", 2, 1) == (one, None)
    assert last_position_logits(full, "present.0.key", 2, 16) == (full, None)


def test_prefill_tied_head_gemm_on_flattened_positions(tmp_path):
    """A tied LM head as Reshape [-1, H] -> Gemm(transB) over B x P rows (H=8, V=32, B=3, P=5): costed for 3 rows."""
    from wattprint.generation import last_position_logits
    from wattprint.model import analyze_proto

    nodes = [h.make_node("Reshape", ["hidden", "flat_shape"], ["flat"], name="flatten"),
             h.make_node("Gemm", ["flat", "wte"], ["logits"], name="lm_head", transB=1)]
    inits = [numpy_helper.from_array(np.zeros((32, 8), np.float32), "wte"),
             numpy_helper.from_array(np.asarray([-1, 8], np.int64), "flat_shape")]
    graph = h.make_graph(nodes, "head", [h.make_tensor_value_info("hidden", T.FLOAT, [3, 5, 8])],
                         [h.make_tensor_value_info("logits", T.FLOAT, None)], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    cost, head = last_position_logits(analyze_proto(model, "head"), "logits", 3, 5)
    lm = next(n for n in cost.nodes if n.name == "lm_head")
    assert head == "lm_head" and lm.macs == 3 * 8 * 32 and lm.output_shape == (3, 32)
    assert lm.output_bytes == (4 * 3 * 32,)


def test_legacy_export_same_work_as_config(tmp_path, env):
    profile, pue, grid = env
    path = save(legacy_decoder(), tmp_path)
    w = GenerationWorkload(prompt_tokens=64, output_tokens=128, concurrency=8)
    a = estimate_generation(path, profile, w, pue=pue, grid=grid)
    b = estimate_generation(spec_from_dict(CFG, "cfg"), profile, w, pue=pue, grid=grid)
    # the exported graph also holds the rotary tables (2 x 2048 x 64), which the config path does not count
    assert a.params_total - 2 * 2048 * 64 == b.params_total
    assert a.decode.macs == pytest.approx(b.decode.macs, rel=0.01)
    # the past cache is not re-copied into the present outputs at every step (appended in place)
    concat = [n for n in a.decode_detail.model.nodes if n.op_type == "Concat" and n.name.startswith("present")]
    assert concat and all(n.bytes_written == 8 * 4 * 64 * 4 for n in concat)  # 8 sequences x 4 heads x 64 x fp32


def test_graph_without_kv_inputs_is_prefill_only(tmp_path, env, cli, cli_json):
    profile, pue, grid = env
    path = save(legacy_decoder(with_cache=False), tmp_path)
    r = estimate_generation(path, profile, GenerationWorkload(16, 1, 2), pue=pue, grid=grid)
    assert r.decode is None and r.notes[0].startswith("prefill only")
    assert r.output_tokens_total == 2 and r.energy_per_request_j == pytest.approx(r.prefill.energy_j / 2)
    doc = cli_json("infer", path, "--prompt-tokens", "16", "--output-tokens", "1")
    assert doc["generation"]["decode"] is None
    assert any("prefill only" in n for n in doc["notes"])
    # more output tokens than the prefill's one: no per-request figure that leaves the decode steps out
    code, out, err = cli("infer", path, "--prompt-tokens", "16", "--output-tokens", "8")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "no KV-cache inputs" in err and "--output-tokens 1" in err


def test_unmatched_kv_inputs_name_what_was_looked_for(tmp_path, cli):
    path = save(legacy_decoder(kv_name="cache_{kind}_layer{i}"), tmp_path)
    code, out, err = cli("infer", path, "--prompt-tokens", "16", "--output-tokens", "8")
    assert code == 2 and out == ""
    assert "cache_key_layer0" in err and "past_key_values.{i}.key" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["past_key_values.{i}.{kind}", "past_{kind}.{i}", "past_key_values_{i}_{kind}"])
def test_kv_naming_conventions(tmp_path, env, name):
    profile, pue, grid = env
    path = save(legacy_decoder(kv_name=name), tmp_path)
    r = estimate_generation(path, profile, GenerationWorkload(8, 4, 1), pue=pue, grid=grid)
    assert r.decode is not None and r.decode.passes == 3


def test_derived_dim_is_evaluated_and_a_disagreeing_binding_is_an_error(tmp_path):
    from wattprint.errors import WattprintError
    from wattprint.model import analyze_model

    path = save(legacy_decoder(), tmp_path)
    dims = {"batch_size": 2, "sequence_length": 1, "past_sequence_length": 9}
    cost = analyze_model(path, dims=dims)
    assert dict(cost.dims)[TOTAL] == 10
    assert cost.macs == 2 * (2 * (4 * 256 * 256 + 3 * 256 * 512 + 4 * 10 * 128) + 256 * 512)
    with pytest.raises(WattprintError, match="bound to 12 but evaluates to 10"):
        analyze_model(path, dims={**dims, TOTAL: 12})
    assert analyze_model(path, dims={**dims, TOTAL: 10}).macs == cost.macs


def test_onnx_devices_and_kv_precision_need_a_config(tmp_path, cli):
    path = save(legacy_decoder(), tmp_path)
    code, _, err = cli("infer", path, "--prompt-tokens", "8", "--output-tokens", "4", "--devices", "2")
    assert code == 2 and "needs a config.json" in err
    code, _, err = cli("infer", path, "--prompt-tokens", "8", "--output-tokens", "4", "--kv-precision", "fp8")
    assert code == 2 and "needs a config.json" in err


def test_config_file_on_disk(tmp_path, cli_json):
    p = tmp_path / "config.json"
    p.write_text(json.dumps(CFG))
    doc = cli_json("infer", p, "--prompt-tokens", "16", "--output-tokens", "8", "--concurrency", "2")
    assert doc["source"] == "config" and doc["generation"]["decode"]["passes"] == 7


# ----------------------------------------------------------------------------- counting fixes


def _lm_graph(head: np.ndarray | None, vocab=50, hidden=8, tie_meta: str | None = None, score_bias=False):
    rng = np.random.default_rng(1)
    wte = rng.standard_normal((vocab, hidden)).astype(np.float32)
    inits = [numpy_helper.from_array(wte, "wte"),
             numpy_helper.from_array(wte.T.copy() if head is None else head, "onnx::MatMul_99")]
    nodes = [h.make_node("Gather", ["wte", "ids"], ["x"], name="embed")]
    last = "x"
    if score_bias:  # a Swin-style folded constant (window mask / expanded relative position bias) on the scores
        inits.append(numpy_helper.from_array(rng.standard_normal((1, 2, 4, 4)).astype(np.float32), "attn_bias"))
        nodes += [h.make_node("Add", ["scores_in", "attn_bias"], ["s"], name="bias_add"),
                  h.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1)]
    nodes.append(h.make_node("MatMul", [last, "onnx::MatMul_99"], ["logits"], name="lm_head"))
    outs = [h.make_tensor_value_info("logits", T.FLOAT, None)]
    if score_bias:
        outs.append(h.make_tensor_value_info("p", T.FLOAT, None))
    ins = [h.make_tensor_value_info("ids", T.INT64, [1, 4])]
    if score_bias:
        ins.append(h.make_tensor_value_info("scores_in", T.FLOAT, [1, 2, 4, 4]))
    graph = h.make_graph(nodes, "lm", ins, outs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    if tie_meta is not None:
        onnx.helper.set_model_props(model, {"tie_word_embeddings": tie_meta})
    return model


def test_tied_lm_head_copy_counted_once(tmp_path):
    from wattprint.model import analyze_model

    tied = analyze_model(save(_lm_graph(None), tmp_path, "tied.onnx"))
    assert tied.params == 50 * 8  # the pre-transposed copy of wte is the same parameter
    assert any("tied LM head" in w and "onnx::MatMul_99" in w for w in tied.warnings)
    assert tied.nodes[-1].bytes_read == 4 * 8 * 4 + 8 * 50 * 4  # still read at run time
    other = np.random.default_rng(2).standard_normal((8, 50)).astype(np.float32)
    untied = analyze_model(save(_lm_graph(other), tmp_path, "untied.onnx"))
    assert untied.params == 2 * 50 * 8  # inline data differs: two parameters
    said_untied = analyze_model(save(_lm_graph(None, tie_meta="false"), tmp_path, "meta.onnx"))
    assert said_untied.params == 2 * 50 * 8


def test_folded_attention_constants_are_not_params(tmp_path):
    from wattprint.model import analyze_model

    cost = analyze_model(save(_lm_graph(None, score_bias=True), tmp_path, "swin.onnx"))
    assert cost.params == 50 * 8  # neither the tied copy nor the 1x2x4x4 bias
    assert any("folded constant" in w and "attn_bias" in w for w in cost.warnings)


def test_rotary_frequencies_are_not_params(tmp_path):
    """inv_freq (as torch exports it: MatMul with positions, then Cos/Sin) is computed, not learned."""
    from wattprint.model import analyze_model

    inits = [numpy_helper.from_array(np.ones((1, 8, 1), np.float32), "inv_freq"),
             numpy_helper.from_array(np.ones((16, 16), np.float32), "w")]
    nodes = [h.make_node("Cast", ["position_ids"], ["pf"], name="cast", to=T.FLOAT),
             h.make_node("Unsqueeze", ["pf", "ax"], ["p3"], name="unsq"),
             h.make_node("MatMul", ["inv_freq", "p3"], ["freqs"], name="freqs_mm"),
             h.make_node("Cos", ["freqs"], ["cos"], name="cos"),
             h.make_node("Sin", ["freqs"], ["sin"], name="sin"),
             h.make_node("MatMul", ["x", "w"], ["y"], name="proj")]
    inits.append(numpy_helper.from_array(np.asarray([1], np.int64), "ax"))
    graph = h.make_graph(nodes, "rope", [h.make_tensor_value_info("position_ids", T.INT64, [1, 4]),
                                         h.make_tensor_value_info("x", T.FLOAT, [1, 4, 16])],
                         [h.make_tensor_value_info(n, T.FLOAT, None) for n in ("cos", "sin", "y")], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    cost = analyze_model(save(model, tmp_path, "rope.onnx"))
    assert cost.params == 16 * 16
    assert any("rotary table" in w for w in cost.warnings)


def test_cli_cache_dim_may_be_zero(tmp_path, cli_json):
    path = save(legacy_decoder(), tmp_path)
    doc = cli_json("infer", path, "--dim", "batch_size=1", "--dim", "sequence_length=16",
                   "--dim", "past_sequence_length=0")
    # prefill of 16 tokens with an empty cache: projections + attention over 16 keys + logits at every position
    per_layer = 16 * (4 * 256 * 256 + 3 * 256 * 512) + 4 * 16 * 16 * 128
    assert doc["macs"] == 2 * per_layer + 16 * 256 * 512


def _rename_input(model, old, new):
    for vi in model.graph.input:
        if vi.name == old:
            vi.name = new
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
    return model


def test_an_unknown_cache_name_beside_known_ones_is_an_error(tmp_path, cli):
    path = save(_rename_input(legacy_decoder(), "past_key_values.1.value", "past_v1_custom"), tmp_path)
    code, out, err = cli("infer", path, "--prompt-tokens", "16", "--output-tokens", "8")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "past_v1_custom" in err and "past_key_values.{i}.key" in err


def test_fixed_input_ids_cannot_take_the_workload(tmp_path, cli):
    model = legacy_decoder()
    dims = next(vi for vi in model.graph.input if vi.name == "input_ids").type.tensor_type.shape.dim
    dims[0].dim_value, dims[1].dim_value = 1, 16
    path = save(model, tmp_path)
    code, out, err = cli("infer", path, "--prompt-tokens", "512", "--output-tokens", "8", "--dim", "batch_size=1")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "'input_ids' has a fixed size" in err and "dynamic" in err


def test_a_dim_bound_twice_must_agree(tmp_path, cli):
    path = save(legacy_decoder(), tmp_path)
    code, out, err = cli("infer", path, "--prompt-tokens", "16", "--output-tokens", "8", "--concurrency", "4",
                         "--dim", "batch_size=7")
    assert code == 2 and out == "" and "--dim batch_size=7 conflicts" in err and "--concurrency" in err
    code, _, err = cli("infer", path, "--prompt-tokens", "16", "--output-tokens", "8", "--dim", "past_sequence_length=3")
    assert code == 2 and "--dim past_sequence_length=3 conflicts" in err


def test_memory_counts_the_stored_weights_not_the_rows_a_prefill_gathers(tmp_path, env):
    profile, pue, grid = env
    path = save(legacy_decoder(), tmp_path)
    short = estimate_generation(path, profile, GenerationWorkload(16, 4, 1), pue=pue, grid=grid)
    long = estimate_generation(path, profile, GenerationWorkload(1000, 4, 1), pue=pue, grid=grid)
    assert short.memory.weights_bytes == long.memory.weights_bytes == short.params_total * 4  # fp32

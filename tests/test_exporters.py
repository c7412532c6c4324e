"""`wattprint infer` on real exporter graphs (tests/exporters.py): torch legacy, torch dynamo, ONNX Runtime fusion,
onnxruntime-genai. Skipped without the `export` extra; CI installs it.

Work (MACs, params) must not depend on the exporter: each count below is the architecture's own arithmetic.
Energy agreement across exporters (issue 10), decoder-dim handling and the ONNX-vs-config generation estimate
(issue 11) are asserted with the issues' tolerances.
"""

from __future__ import annotations

import pytest

from exporters import BERT, EXPORTS, LLAMA, strip_weights

# --------------------------------------------------------------------------------------------------
# analytic counts (batch 1 unless b is given)


def bert_macs(seq: int, b: int = 1) -> int:
    """Per layer: Q, K, V, O projections 4*S*H*H; scores S*S*H and context S*S*H (all heads together);
    FFN up and down 2*S*H*I. Pooler: one H*H Gemm on the first token."""
    h, i, n = BERT["hidden_size"], BERT["intermediate_size"], BERT["num_hidden_layers"]
    return b * (n * (4 * seq * h * h + 2 * seq * seq * h + 2 * seq * h * i) + h * h)


def bert_params() -> int:
    """Embeddings (word, position, type, LayerNorm), per layer 4 projections with bias, FFN with bias and two
    LayerNorms, then the pooler."""
    h, i, n = BERT["hidden_size"], BERT["intermediate_size"], BERT["num_hidden_layers"]
    emb = (BERT["vocab_size"] + BERT["max_position_embeddings"] + BERT["type_vocab_size"]) * h + 2 * h
    layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * 2 * h
    return emb + n * layer + h * h + h


def llama_macs(seq: int, total: int, b: int = 1) -> int:
    """Per layer: q and o projections S*H*H each, k and v S*H*(kv_heads*head_dim) each, gate/up/down 3*S*H*I,
    attention scores and context heads*S*T*head_dim each (T = past + new positions). LM head S*H*V."""
    h, i, n, v = LLAMA["hidden_size"], LLAMA["intermediate_size"], LLAMA["num_hidden_layers"], LLAMA["vocab_size"]
    heads, kv = LLAMA["num_attention_heads"], LLAMA["num_key_value_heads"]
    hd = h // heads
    per_layer = seq * h * (2 * h + 2 * kv * hd) + 3 * seq * h * i + 2 * heads * seq * total * hd
    return b * (n * per_layer + seq * h * v)


def llama_params() -> int:
    """Embedding V*H; per layer q, o H*H, k, v H*kv*hd, MLP 3*H*I, two RMSNorm weights; final norm; untied head."""
    h, i, n, v = LLAMA["hidden_size"], LLAMA["intermediate_size"], LLAMA["num_hidden_layers"], LLAMA["vocab_size"]
    kv_width = LLAMA["num_key_value_heads"] * (h // LLAMA["num_attention_heads"])
    return v * h + n * (2 * h * h + 2 * h * kv_width + 3 * h * i + 2 * h) + h + h * v


def test_hand_arithmetic():
    # the formulas above at the fixture sizes, by hand:
    # BERT S=128: 2*(4*128*128*128 + 2*128*128*128 + 2*128*128*512) + 128*128 = 58,736,640
    assert bert_macs(128) == 58_736_640
    # 1024*128 + 256*128 + 2*128 + 256 + 2*(66,048 + 131,712 + 512) + 16,512 = 577,408
    assert bert_params() == 577_408
    # Llama decode step S=1, T=128: 2*(1*128*384 + 3*128*256 + 2*4*128*32) + 128*1024 = 491,520
    assert llama_macs(1, 128) == 491_520
    # 131,072 + 2*(32,768 + 16,384 + 98,304 + 256) + 128 + 131,072 = 557,696
    assert llama_params() == 557_696


def test_strip_weights_keeps_the_shapes(cli_json, tiny_model, tmp_path):
    """No torch needed: the 64-128-10 MLP loses its two weight matrices (>= 1 KiB) and counts the same."""
    import shutil

    import onnx

    path = tmp_path / "mlp.onnx"
    shutil.copy(tiny_model, path)
    before = cli_json("infer", str(path))
    assert strip_weights(path) == 4 * (64 * 128 + 128 * 10)  # w1, w2 in fp32; the biases (512 B, 40 B) stay inline
    model = onnx.load(str(path), load_external_data=False)
    external = {t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
    assert external == {"w1", "w2"} and not any(t.raw_data for t in model.graph.initializer if t.name in external)
    after = cli_json("infer", str(path))
    assert (after["macs"], after["params"]) == (before["macs"], before["params"])


# --------------------------------------------------------------------------------------------------
# BERT: legacy, dynamo, ORT-fused

BERTS = [n for n, e in EXPORTS.items() if e.family == "bert"]
LLAMAS = [n for n, e in EXPORTS.items() if e.family == "llama"]


def infer(cli_json, path, dims: dict[str, int], *extra: str) -> dict:
    args = [a for k, v in dims.items() for a in ("--dim", f"{k}={v}")]
    return cli_json("infer", str(path), "--hardware", "a100", *args, *extra)


def bert_dims(seq: int, b: int = 1) -> dict[str, int]:
    return {"batch_size": b, "sequence_length": seq}


@pytest.mark.parametrize("name", BERTS)
def test_bert_export_counts_the_architecture(cli_json, exported, name):
    doc = infer(cli_json, exported(name), bert_dims(128))
    assert doc["macs"] == bert_macs(128)
    assert doc["params"] == bert_params()
    assert doc["not_counted"] == []
    # weights were stripped: the graph points at a data file that does not exist, and that is fine
    assert any("not present" in w for w in doc["warnings"])


def test_bert_exports_agree_on_work(cli_json, exported):
    docs = {n: infer(cli_json, exported(n), bert_dims(64, b=2)) for n in BERTS}
    assert {d["macs"] for d in docs.values()} == {bert_macs(64, b=2)}
    assert {d["params"] for d in docs.values()} == {bert_params()}
    ort_ops = {layer["op_type"] for layer in docs["bert-ort"]["layers"]}
    assert {"Attention", "SkipLayerNormalization"} <= ort_ops  # the fusion really happened


@pytest.mark.parametrize("seq,b", [(128, 1), (256, 8)])
def test_bert_energy_agrees_across_exporters(cli_json, exported, seq, b):
    """Issue 10: the same model from any exporter within 10%."""
    e = [infer(cli_json, exported(n), bert_dims(seq, b))["accelerator_energy_per_inference_j"] for n in BERTS]
    assert max(e) / min(e) <= 1.10, dict(zip(BERTS, e))


# --------------------------------------------------------------------------------------------------
# Llama-style decoder with KV cache: legacy (optimum names), dynamo opset 23, onnxruntime-genai GQA


def llama_dims(name: str, seq: int, past: int, b: int = 1, derived: bool = True) -> dict[str, int]:
    """Every symbolic dim each export has. The legacy export's attention mask and present KV use the derived
    name 'past_sequence_length + sequence_length' (bound by hand when `derived`); dynamo and genai give the mask
    its own 'total_sequence_length'; genai also makes the head size a dim 'kv_cache_dim'."""
    dims = {"batch_size": b, "sequence_length": seq, "past_sequence_length": past}
    if name == "llama-legacy":
        if derived:
            dims["past_sequence_length + sequence_length"] = past + seq
    else:
        dims["total_sequence_length"] = past + seq
    if name == "llama-genai":
        dims["kv_cache_dim"] = LLAMA["hidden_size"] // LLAMA["num_attention_heads"]
    return dims


@pytest.mark.parametrize("name", LLAMAS)
def test_decoder_decode_step(cli_json, exported, name):
    doc = infer(cli_json, exported(name), llama_dims(name, seq=1, past=127))
    assert doc["macs"] == llama_macs(1, 128)
    assert doc["not_counted"] == []
    assert doc["inputs"]["dims"]["past_sequence_length"] == 127


@pytest.mark.parametrize("name", LLAMAS)
def test_decoder_decode_step_batched(cli_json, exported, name):
    doc = infer(cli_json, exported(name), llama_dims(name, seq=1, past=511, b=8))
    assert doc["macs"] == llama_macs(1, 512, b=8)


@pytest.mark.parametrize("name", LLAMAS)
def test_decoder_prefill_after_one_cached_position(cli_json, exported, name):
    # past_sequence_length=1: what wattprint accepts today (see the empty-cache test below)
    doc = infer(cli_json, exported(name), llama_dims(name, seq=128, past=1))
    assert doc["macs"] == llama_macs(128, 129)


def test_decoder_exports_agree_on_params(cli_json, exported):
    params = {n: infer(cli_json, exported(n), llama_dims(n, 1, 127))["params"] for n in ("llama-legacy", "llama-dynamo")}
    assert len(set(params.values())) == 1, params


@pytest.mark.parametrize("name", LLAMAS)
def test_decoder_params(cli_json, exported, name):
    assert infer(cli_json, exported(name), llama_dims(name, seq=1, past=127))["params"] == llama_params()


@pytest.mark.parametrize("name", LLAMAS)
def test_decoder_prefill_empty_cache(cli, exported, name):
    args = [a for k, v in llama_dims(name, seq=128, past=0).items() for a in ("--dim", f"{k}={v}")]
    code, out, err = cli("infer", str(exported(name)), *args, "--format", "json")
    assert code == 0, err
    import json

    assert json.loads(out)["macs"] == llama_macs(128, 128)


def test_legacy_decoder_derived_dim_is_evaluated(cli, exported):
    """Issue 11: 'past_sequence_length + sequence_length' follows from the two bound dims."""
    args = [a for k, v in llama_dims("llama-legacy", 1, 127, derived=False).items() for a in ("--dim", f"{k}={v}")]
    code, out, err = cli("infer", str(exported("llama-legacy")), *args, "--format", "json")
    assert code == 0, err
    import json

    assert json.loads(out)["macs"] == llama_macs(1, 128)


def test_legacy_decoder_disagreeing_derived_dim_is_refused(cli, exported):
    """Issue 11: a derived dim bound by hand to a value that disagrees with its parts (127 + 1 != 100)."""
    dims = llama_dims("llama-legacy", 1, 127)
    dims["past_sequence_length + sequence_length"] = 100
    args = [a for k, v in dims.items() for a in ("--dim", f"{k}={v}")]
    code, out, err = cli("infer", str(exported("llama-legacy")), *args)
    assert code == 2 and len(err.strip().splitlines()) == 1, (code, err)


def test_decoder_exports_agree_on_work(cli_json, exported):
    for seq, past in ((1, 127), (128, 1)):
        macs = {n: infer(cli_json, exported(n), llama_dims(n, seq, past))["macs"] for n in LLAMAS}
        assert set(macs.values()) == {llama_macs(seq, past + seq)}, macs


def test_decoder_energy_agrees_across_exporters(cli_json, exported):
    for b, seq, past in ((1, 1, 127), (64, 1, 1023), (1, 128, 1), (8, 512, 1)):
        e = {n: infer(cli_json, exported(n), llama_dims(n, seq, past, b))["accelerator_energy_per_inference_j"]
             for n in LLAMAS}
        assert max(e.values()) / min(e.values()) <= 1.10, (b, seq, past, e)


def test_hf_config_describes_the_exported_decoder(exported):
    """The config.json beside the exports is the same architecture (for the config-vs-ONNX comparison)."""
    import json

    cfg = json.loads(exported.hf_config("llama").read_text())
    assert cfg["model_type"] == "llama" and cfg["architectures"] == ["LlamaForCausalLM"]
    for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
              "vocab_size", "tie_word_embeddings"):
        assert cfg[k] == LLAMA[k], k


@pytest.mark.parametrize("name", LLAMAS)
def test_generation_onnx_and_config_agree(cli_json, exported, name):
    """Issue 11: the ONNX path and the config path within 5% on the same 2-layer architecture."""
    work = ("--hardware", "a100", "--prompt-tokens", "128", "--output-tokens", "64", "--concurrency", "8")
    # genai makes the head size a symbolic dim; bind it (the other dims follow from the workload)
    extra = ("--dim", f"kv_cache_dim={LLAMA['hidden_size'] // LLAMA['num_attention_heads']}") if name == "llama-genai" else ()
    onnx_doc = cli_json("infer", str(exported(name)), *work, *extra)
    onnx_gen = onnx_doc["generation"]
    cfg_gen = cli_json("infer", str(exported.hf_config("llama")), *work)["generation"]
    assert onnx_gen["decode"]["macs"] == cfg_gen["decode"]["macs"]
    # every export computes prefill logits at all 128 positions; costed (and said to be) for the last only
    assert onnx_gen["prefill"]["macs"] == cfg_gen["prefill"]["macs"]
    assert any("logits at all 128 prompt positions" in n for n in onnx_doc["notes"])
    key = "accelerator_energy_per_output_token_j"
    assert onnx_gen[key] == pytest.approx(cfg_gen[key], rel=0.05), (onnx_gen[key], cfg_gen[key])

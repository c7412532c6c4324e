"""LLM generation: config -> decoder graph counts, prefill/decode integration, MoE, TP, memory, errors."""

from __future__ import annotations

import json

import pytest

from wattprint.carbon import choose_grid, choose_pue
from wattprint.errors import WattprintError
from wattprint.generation import GenerationWorkload, estimate_generation, integrate_steps
from wattprint.hardware import load_hardware
from wattprint.llm_config import (
    PAST,
    build_decoder,
    expected_experts,
    load_config,
    spec_from_dict,
)
from wattprint.model import analyze_proto

#: a tiny llama: hidden 16, 4 heads of 4 (2 KV heads), MLP 32, vocab 64, 2 layers, fp32
TINY = dict(model_type="llama", hidden_size=16, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=4, intermediate_size=32, vocab_size=64, torch_dtype="float32")


def tiny_cost(batch: int, seq: int, past: int):
    spec = spec_from_dict(TINY, "tiny")
    model = build_decoder(spec)
    return analyze_proto(model, "tiny", dims={"batch_size": batch, "sequence_length": seq, PAST: past},
                         empty_dims=(PAST,))


def hand_macs(batch: int, seq: int, past: int) -> int:
    t = batch * seq
    # per layer: q 16x16, k 16x8, v 16x8, o 16x16, gate/up/down 16x32 each -> 2,304 MACs per token
    proj = t * (16 * 16 + 16 * 8 + 16 * 8 + 16 * 16 + 3 * 16 * 32)
    # attention: 4 heads x q_len x kv_len x (4 for QK^T + 4 for AV), kv_len = past + seq
    attn = 4 * batch * seq * (past + seq) * (4 + 4)
    lm_head = batch * 16 * 64  # last position only
    return 2 * (proj + attn) + lm_head  # (the rotary angles, positions x inv_freq, are elementwise)


def hand_bytes(batch: int, seq: int, past: int) -> tuple[int, int]:
    """(read, written) in bytes, fp32; T tokens; [T,16] tensors are 64T bytes, [T,8] 32T, [T,32] 128T."""
    t = batch * seq
    layer_read = (
        (64 * t + 64)  # input norm: x + weight
        + (64 * t + 1024) + (64 * t + 512) + (64 * t + 512)  # q, k, v projections
        + (64 * t + 16 * t)  # q rotary: q + cos/sin [B,S,2] (8 bytes per token each)
        + (32 * t + 16 * t)  # k rotary
        + (64 * t + 32 * t + 32 * t + 2 * (batch * 2 * past * 4 * 4))  # attention: q, k, v + past key/value
        + (64 * t + 1024)  # o_proj
        + 128 * t  # residual add
        + (64 * t + 64)  # post-attention norm
        + 2 * (64 * t + 2048)  # gate, up
        + 128 * t + 256 * t + 256 * t  # sigmoid, x*sigmoid, *up
        + (128 * t + 2048)  # down
        + 128 * t  # residual add
    )
    layer_written = 64 * t + 64 * t + 32 * t + 32 * t + 64 * t + 32 * t + 64 * t + 64 * t + 64 * t + 64 * t \
        + 5 * 128 * t + 64 * t + 64 * t
    read = 2 * layer_read + (64 * t + 8 * t)  # embedding gather: the rows it reads + int64 ids
    read += 64 * t + 64  # final norm
    read += 64 * batch + 3 * 8  # slice of the last position (+ starts/ends/axes int64)
    read += 64 * batch + 16 * 64 * 4  # lm_head
    written = 2 * layer_written + 64 * t + 64 * t + 64 * batch + 64 * 4 * batch
    # rotary tables, once per pass: Cast int64 ids -> fp32, Unsqueeze (+ int64 axes), Mul by inv_freq [2],
    # Cos, Sin ([T, 2] fp32 = 8 bytes per token)
    read += 8 * t + (4 * t + 8) + (4 * t + 8) + 8 * t + 8 * t
    written += 4 * t + 4 * t + 8 * t + 8 * t + 8 * t
    return read, written


@pytest.mark.parametrize("batch,seq,past", [(1, 8, 0), (3, 5, 0), (2, 1, 10), (4, 1, 37)])
def test_tiny_decoder_macs_and_bytes_by_hand(batch, seq, past):
    cost = tiny_cost(batch, seq, past)
    assert cost.macs == hand_macs(batch, seq, past)
    assert (cost.bytes_read, cost.bytes_written) == hand_bytes(batch, seq, past)
    # 2 x (768 attention + 32 norms + 1,536 MLP) + 1,024 embedding + 16 final norm + 1,024 lm_head (inv_freq: not)
    assert cost.params == 2 * (768 + 32 + 1536) + 1024 + 16 + 1024
    assert cost.params == spec_from_dict(TINY, "tiny").params()[0]


def test_hand_values_pinned():
    # prefill of 8 tokens: 2 x (2,304 x 8 + 4 x 8 x 8 x 8) + 1,024 = 41,984 MACs
    assert hand_macs(1, 8, 0) == 41_984
    # decode at a cache of 10, batch 2: 2 x (2,304 x 2 + 4 x 2 x 11 x 8) + 2,048 = 12,672 MACs
    assert hand_macs(2, 1, 10) == 12_672
    assert hand_bytes(1, 8, 0) == (52_760 + 32 * 8 + 16, 22_336 + 32 * 8)


def _env():
    db = load_hardware()
    return db, choose_pue(None, None), choose_grid(region=None, intensity=None, grid_file=None)


def test_phases_add_up_and_tokens_divide():
    db, pue, grid = _env()
    spec = spec_from_dict(TINY, "tiny")
    w = GenerationWorkload(prompt_tokens=8, output_tokens=5, concurrency=3)
    r = estimate_generation(spec, db.get("h100"), w, pue=pue, grid=grid)
    # MACs: one prefill of 3 x 8 tokens + decode steps at caches 8, 9, 10, 11 (batch 3)
    assert r.prefill.macs == hand_macs(3, 8, 0)
    assert r.decode.passes == 4
    assert r.decode.macs == sum(hand_macs(3, 1, p) for p in range(8, 12))
    assert r.decode.bytes_read == sum(hand_bytes(3, 1, p)[0] for p in range(8, 12))
    total = r.prefill.accelerator_energy_j + r.decode.accelerator_energy_j
    assert r.accelerator_energy_per_output_token_j == pytest.approx(total / (3 * 5))
    assert r.accelerator_energy_per_request_j == pytest.approx(total / 3)
    assert r.time_to_first_token_s == r.prefill.time_s
    assert r.time_per_output_token_s == pytest.approx(r.decode.time_s / 4)
    assert r.output_tokens_per_s == pytest.approx(15 / (r.prefill.time_s + r.decode.time_s))
    assert r.energy_per_output_token_j > r.system_energy_per_output_token_j >= r.accelerator_energy_per_output_token_j


def test_integrate_steps_is_exact_for_piecewise_linear():
    f = lambda n: (3.0 * n + 1.0, max(2.0 * n, 5.0 * n - 300.0))  # noqa: E731 - kink at n = 100
    total, xs = integrate_steps(10, 400, f, points=5, kinks=(100,))
    exact = [sum(f(n)[c] for n in range(10, 401)) for c in (0, 1)]
    assert total == pytest.approx(exact, rel=1e-12)
    assert len(xs) <= 6


@pytest.mark.parametrize("name,prompt,output,batch", [("llama-3.1-8b", 512, 256, 64), ("gpt-oss-20b", 100, 300, 16)])
def test_decode_integration_within_1pct_of_step_by_step(name, prompt, output, batch):
    db, pue, grid = _env()
    w = GenerationWorkload(prompt, output, batch)
    fast = estimate_generation(name, db.get("h100"), w, pue=pue, grid=grid)
    every = estimate_generation(name, db.get("h100"), w, pue=pue, grid=grid, decode_points=output)
    assert len(every.decode.points) == output - 1
    for attr in ("time_s", "accelerator_energy_j", "energy_j", "bytes_read", "macs"):
        assert getattr(fast.decode, attr) == pytest.approx(getattr(every.decode, attr), rel=0.01), attr


def test_moe_expected_experts_and_weight_reads():
    # E (1 - (1 - k/E)^T): one token touches exactly k experts; many tokens approach E
    assert expected_experts(128, 8, 1) == pytest.approx(8)
    assert expected_experts(128, 8, 64) == pytest.approx(128 * (1 - (120 / 128) ** 64))
    assert expected_experts(32, 4, 10_000) == pytest.approx(32)
    spec = load_config("qwen3-30b-a3b")
    total, active = spec.params()
    assert 30.0e9 < total < 31.0e9 and 3.2e9 < active < 3.4e9  # published: 30.5 B total, 3.3 B active
    one = spec.mlp_params(spec.expert_intermediate)  # 3 x 2048 x 768
    assert one == 3 * 2048 * 768
    model = build_decoder(spec, moe_tokens=4, experts_touched=20)
    cost = analyze_proto(model, "moe", dims={"batch_size": 4, "sequence_length": 1, PAST: 100}, empty_dims=(PAST,))
    per_layer_weights = sum(n.weight_bytes for n in cost.nodes if ".experts." in n.name and n.op_type == "MatMul") / 48
    assert per_layer_weights == 20 * one * 2  # 20 experts read, bf16
    expert_macs = sum(n.macs for n in cost.nodes if ".experts." in n.name and n.op_type == "MatMul") / 48
    assert expert_macs == 4 * 8 * one  # 4 tokens x top-8 experts


def test_shipped_configs_published_sizes():
    expect = {"llama-3.1-8b": (8.0e9, 8.1e9), "qwen3-8b": (8.1e9, 8.3e9), "qwen3-32b": (32.5e9, 33.0e9),
              "gpt-oss-20b": (20.8e9, 21.0e9), "gpt-oss-120b": (116.5e9, 117.5e9)}
    for name, (lo, hi) in expect.items():
        assert lo < load_config(name).params()[0] < hi, name
    oss = load_config("gpt-oss-20b")
    assert oss.expert_dtype == "fp4" and oss.sliding_window == 128
    assert [a for a, _ in oss.layer_kinds[:4]] == ["sliding", "full", "sliding", "full"]


def test_tensor_parallel_splits_weights_and_adds_devices():
    db, pue, grid = _env()
    one = estimate_generation("qwen3-32b", db.get("h100"), GenerationWorkload(256, 64, 8, 1), pue=pue, grid=grid)
    two = estimate_generation("qwen3-32b", db.get("h100"), GenerationWorkload(256, 64, 8, 2), pue=pue, grid=grid)
    assert two.memory.weights_bytes == pytest.approx(one.memory.weights_bytes / 2, rel=1e-6)
    assert two.time_per_output_token_s < one.time_per_output_token_s
    # the same total work, spread over two devices (plus the replicated norms)
    assert two.prefill.macs == pytest.approx(one.prefill.macs, rel=0.01)


def test_memory_check_names_the_fix():
    db, pue, grid = _env()
    with pytest.raises(WattprintError, match=r"does not fit.*--devices 2"):
        estimate_generation("qwen3-32b", db.get("h100"), GenerationWorkload(1000, 1000, 64), pue=pue, grid=grid)
    with pytest.raises(WattprintError, match=r"--concurrency \d+ or less"):
        estimate_generation("llama-3.1-8b", db.get("h100"), GenerationWorkload(8000, 8000, 512), pue=pue, grid=grid)


def test_unsupported_family_names_the_supported():
    with pytest.raises(WattprintError, match="model_type 'bert' is not supported.*llama"):
        spec_from_dict({"model_type": "bert", "hidden_size": 8}, "bert.json")


# ----------------------------------------------------------------------------- CLI


def test_cli_done_when_llama_table_and_json(cli, cli_json):
    args = ("infer", "llama-3.1-8b", "--prompt-tokens", "512", "--output-tokens", "256", "--concurrency", "64",
            "--hardware", "h100", "--rate", "1e6/day")
    code, out, err = cli(*args)
    assert code == 0, err
    for text in ("prefill", "decode", "per 1,000 output tokens", "time to first token", "time per output token",
                 "output tokens/s per device", "CO2e at volume", "is about"):
        assert text in out
    doc = cli_json(*args)
    g = doc["generation"]
    for key in ("accelerator_energy_per_output_token_j", "system_energy_per_output_token_j", "energy_per_output_token_j",
                "energy_per_request_j", "time_to_first_token_s", "time_per_output_token_s", "output_tokens_per_s"):
        assert g[key] > 0, key
    assert (g["prompt_tokens"], g["output_tokens"], g["concurrency"], g["devices"]) == (512, 256, 64, 1)
    assert g["decode"]["passes"] == 255 and g["prefill"]["passes"] == 1
    assert g["prefill"]["bytes_read"] > 0 and g["decode"]["time_s"] > 0
    assert g["energy_per_output_token_j"] == pytest.approx(g["energy_per_request_j"] / 256, rel=1e-4)
    assert doc["requests"] == pytest.approx(365e6)
    assert doc["co2e_kg"] == pytest.approx(g["co2e_per_request_g"] * 365e6 / 1000, rel=1e-3)  # (JSON rounds to 6 dp)


def test_generation_json_validates_against_schema(cli_json):
    jsonschema = pytest.importorskip("jsonschema")
    from conftest import ROOT

    schema = json.loads((ROOT / "docs" / "schemas" / "generation-result.schema.json").read_text())
    doc = cli_json("infer", "gpt-oss-20b", "--prompt-tokens", "300", "--output-tokens", "50", "--concurrency", "8")
    jsonschema.validate(doc, schema)
    bad = dict(doc)
    del bad["generation"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("args,message", [
    (("--concurrency", "0"), "concurrency 0 must be"),
    (("--output-tokens", "0"), "output tokens 0 must be"),
    (("--concurrency", "4096"), "does not fit"),
    (("--devices", "3"), "cannot be split over 3 devices"),
])
def test_cli_bad_generation_input_one_line_exit_2(cli, args, message):
    base = {"--prompt-tokens": "512", "--output-tokens": "256"}
    flags = list(args)
    for k, v in base.items():
        if k not in flags:
            flags += [k, v]
    code, out, err = cli("infer", "llama-3.1-8b", *flags)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""


def test_cli_unsupported_config_family(cli, tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "t5", "d_model": 512}))
    code, _, err = cli("infer", p, "--prompt-tokens", "10", "--output-tokens", "10")
    assert code == 2 and "model_type 't5' is not supported" in err and "qwen3_moe" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_config_needs_the_workload(cli):
    code, _, err = cli("infer", "qwen3-8b")
    assert code == 2 and "--prompt-tokens and --output-tokens" in err


def test_cli_llm_configs_lists_the_shipped(cli_json):
    doc = cli_json("llm-configs")
    names = {c["name"] for c in doc["configs"]}
    assert {"llama-3.1-8b", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b-instruct-2507", "gpt-oss-20b",
            "gpt-oss-120b"} <= names
    assert all(c["source"] and c["url"].startswith("https://huggingface.co/") for c in doc["configs"])


def test_lenient_memory_and_prompt_sensitivity():
    from wattprint.generation import prompt_sensitivity

    db, pue, grid = _env()
    w = GenerationWorkload(1000, 1000, 64)
    r = estimate_generation("qwen3-32b", db.get("h100"), w, pue=pue, grid=grid, strict_memory=False)
    assert any("does not fit" in x for x in r.warnings) and r.memory.needed_bytes > r.memory.capacity_bytes
    sweep = prompt_sensitivity("qwen3-8b", db.get("h100"), GenerationWorkload(1, 200, 8), (100, 1000, 4000),
                               pue=pue, grid=grid)
    per_token = [r.accelerator_energy_per_output_token_j for _, r in sweep]
    assert [p for p, _ in sweep] == [100, 1000, 4000]
    assert per_token[0] < per_token[1] < per_token[2]  # longer prompts: more prefill and a longer cache per step


def test_allreduce_time_from_the_interconnect():
    db, pue, grid = _env()
    h100 = db.get("h100")
    r = estimate_generation("qwen3-8b", h100, GenerationWorkload(100, 3, 4, 2), pue=pue, grid=grid)
    # per decode step: 2 all-reduces x 36 layers of 4 tokens x 4096 x bf16 (2 B), ring 2 (D-1)/D = 1,
    # over one direction of NVLink (900 / 2 GB/s)
    step = 2 * 36 * 4 * 4096 * 2 * 1.0 / (h100.interconnect_bandwidth_gbps / 2 * 1e9)
    assert r.decode.allreduce_time_s == pytest.approx(2 * step)
    assert r.prefill.allreduce_time_s == pytest.approx(100 * step)


@pytest.mark.parametrize("name", ["llama-3.1-8b", "gpt-oss-20b"])
def test_replicated_layers_equal_the_full_graph(name):
    from wattprint.generation import expand_layers, representative_layers
    from wattprint.llm_config import PAST_LOCAL

    spec = load_config(name)
    reps = representative_layers(spec)
    assert len(reps) == (1 if name.startswith("llama") else 2)
    kw = dict(moe_tokens=8, experts_touched=20) if spec.is_moe else {}
    dims = {"batch_size": 8, "sequence_length": 1, PAST: 300, PAST_LOCAL: 127}
    if not spec.sliding_window:
        del dims[PAST_LOCAL]
    full = analyze_proto(build_decoder(spec, **kw), name, dims=dims)
    small = expand_layers(analyze_proto(build_decoder(spec, layers=reps, **kw), name, dims=dims), spec, reps)
    key = lambda n: (n.name, n.op_type, n.macs, n.bytes_read, n.bytes_written, n.params, n.activation_inputs,  # noqa: E731
                     n.outputs)
    assert [key(n) for n in small.nodes] == [key(n) for n in full.nodes]


FAMILIES = {
    "llama": {}, "mistral": {"sliding_window": 64}, "qwen2": {}, "qwen3": {"head_dim": 8},
    "phi3": {}, "gemma": {"head_dim": 8}, "gemma2": {"sliding_window": 64}, "gemma3_text": {"sliding_window": 64},
    "gpt_neox": {}, "mixtral": {"num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen3_moe": {"num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 16},
    "gpt_oss": {"num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": 64,
                "layer_types": ["sliding_attention", "full_attention"],
                "quantization_config": {"quant_method": "mxfp4"}},
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_builds_and_counts_its_params(family):
    cfg = dict(model_type=family, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=64, vocab_size=100, torch_dtype="bfloat16", **FAMILIES[family])
    spec = spec_from_dict(cfg, family)
    kw = dict(moe_tokens=4, experts_touched=spec.experts) if spec.is_moe else {}  # 4 tokens x top-2 >= 8 experts
    from wattprint.llm_config import PAST_LOCAL

    kinds = {a for a, _ in spec.layer_kinds}
    dims = {"batch_size": 4, "sequence_length": 1}
    if "full" in kinds:
        dims[PAST] = 20
    if "sliding" in kinds:
        dims[PAST_LOCAL] = 20
    cost = analyze_proto(build_decoder(spec, **kw), family, dims=dims, empty_dims=(PAST, PAST_LOCAL))
    assert not cost.not_counted, cost.not_counted
    # every expert is touched here, so the graph holds every parameter the config describes
    assert cost.params == spec.params()[0]


def test_gpt2_config():
    spec = spec_from_dict({"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257,
                           "n_positions": 1024}, "gpt2")
    assert spec.params()[0] == 124_439_808  # GPT-2 small, tied LM head counted once
    cost = analyze_proto(build_decoder(spec), "gpt2", dims={"batch_size": 1, "sequence_length": 1, PAST: 10},
                         empty_dims=(PAST,))
    assert cost.params == 124_439_808


def test_kv_precision_halves_the_cache():
    db, pue, grid = _env()
    a = estimate_generation("llama-3.1-8b", db.get("h100"), GenerationWorkload(2000, 100, 32), pue=pue, grid=grid)
    b = estimate_generation("llama-3.1-8b", db.get("h100"), GenerationWorkload(2000, 100, 32, kv_precision="fp8"),
                            pue=pue, grid=grid)
    assert b.memory.kv_bytes * 2 == a.memory.kv_bytes
    assert b.memory.weights_bytes == a.memory.weights_bytes
    # the cache read per decode step halves: 32 layers x 2 x 8 heads x 128 x (1 byte less) per cached token
    cached = sum(range(2000, 2099)) * 32
    assert a.decode.bytes_read - b.decode.bytes_read == pytest.approx(cached * 32 * 2 * 8 * 128, rel=1e-9)


def test_cli_system_and_power_limit_reach_the_energy_model(cli_json):
    base = ("infer", "qwen3-8b", "--prompt-tokens", "256", "--output-tokens", "64", "--concurrency", "8")
    plain = cli_json(*base)
    capped = cli_json(*base, "--power-limit", "400")
    assert capped["generation"]["accelerator_energy_per_output_token_j"] != plain["generation"]["accelerator_energy_per_output_token_j"]


def test_all_sliding_model_estimates():
    db, pue, grid = _env()
    cfg = dict(model_type="mistral", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=100, sliding_window=32)
    r = estimate_generation(spec_from_dict(cfg, "m"), db.get("h100"), GenerationWorkload(100, 50, 2), pue=pue, grid=grid)
    # window-capped cache: 2 sequences x 2 layers x 32 tokens x (key + value) x 2 KV heads x 16 x fp32 (no torch_dtype)
    assert r.decode.passes == 49 and r.memory.kv_bytes == 2 * 2 * 32 * (2 * 2 * 16 * 4)
    assert any("no torch_dtype: fp32 assumed" in n for n in r.notes)


def test_passes_and_weights_reproduce_the_totals():
    db, pue, grid = _env()
    r = estimate_generation("qwen3-8b", db.get("h100"), GenerationWorkload(300, 120, 16), pue=pue, grid=grid)
    assert sum(w for _, w in r.passes) == pytest.approx(1 + 119)  # one prefill + 119 decode steps
    total = sum(p.accelerator_energy_per_batch_j * w for p, w in r.passes)
    assert total == pytest.approx(r.prefill.accelerator_energy_j + r.decode.accelerator_energy_j, rel=1e-9)


def test_prefill_of_sliding_layers_sees_at_most_the_window():
    db, pue, grid = _env()
    cfg = dict(model_type="mistral", hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
               intermediate_size=128, vocab_size=100, sliding_window=32, torch_dtype="float32")
    windowed = estimate_generation(spec_from_dict(cfg, "m"), db.get("h100"), GenerationWorkload(100, 1, 2),
                                   pue=pue, grid=grid)
    full = estimate_generation(spec_from_dict({**cfg, "sliding_window": None}, "m"), db.get("h100"),
                               GenerationWorkload(100, 1, 2), pue=pue, grid=grid)
    attn = lambda r: [n for n in r.prefill_detail.model.nodes if n.op_type == "Attention"]  # noqa: E731
    # 2 sequences x 4 heads x 100 queries x keys x (16 for QK^T + 16 for AV): 100 keys in full, 32 in the window
    assert [n.macs for n in attn(full)] == [2 * 4 * 100 * 100 * 32] * 2
    assert [n.macs for n in attn(windowed)] == [2 * 4 * 100 * 32 * 32] * 2
    assert all(n.bytes_read == m.bytes_read for n, m in zip(attn(windowed), attn(full)))  # K and V still read once
    assert full.prefill.macs - windowed.prefill.macs == 2 * 2 * 4 * 100 * (100 - 32) * 32
    assert any("attend to at most 32 positions" in n for n in windowed.notes)
    # a prompt inside the window is unchanged
    short = estimate_generation(spec_from_dict(cfg, "m"), db.get("h100"), GenerationWorkload(20, 1, 2), pue=pue, grid=grid)
    assert [n.macs for n in attn(short)] == [2 * 4 * 20 * 20 * 32] * 2


def test_a_profile_without_memory_says_the_check_was_skipped(tmp_path, cli_json):
    spec = tmp_path / "acc.yaml"
    spec.write_text("id: nomem\nname: No memory figure\nvendor: Me\nkind: gpu\ntdp_w: 300\n"
                    "peak_tflops: {fp32: 20, bf16: 100}\nmemory_bandwidth_gbps: 1000\nsources:\n"
                    "  - {id: s, title: sheet, publisher: me, year: 2025, "
                    "fields: [tdp_w, peak_tflops, memory_bandwidth_gbps]}\n")
    doc = cli_json("infer", "qwen3-8b", "--prompt-tokens", "8000", "--output-tokens", "8", "--concurrency", "500",
                   "--hardware", "nomem", "--hw-file", str(spec))
    assert any("nomem has no memory_gb figure" in w and "not checked" in w for w in doc["warnings"])


def test_a_sequence_whose_cache_alone_does_not_fit_says_so(cli, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(TINY))  # no max_position_embeddings: no context limit to stop it first
    # 128 bytes of KV cache per token (2 layers x key/value x 2 heads x 4 x fp32): 2e9 tokens are 256 GB, 128 GB
    # on each of the 2 devices the 2 KV heads allow, more than an H100 holds
    code, out, err = cli("infer", cfg, "--prompt-tokens", "8", "--output-tokens", "2000000000", "--hardware", "h100")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "one sequence of 2000000008 tokens needs 256.0 GB of KV cache" in err and "weights alone" not in err


@pytest.mark.parametrize("extra, named", [(("--top", "1"), "--top"), (("--by", "op"), "--by"),
                                          (("--task", "nonsense"), "--task"), (("--dim", "zzz=4"), "--dim zzz")])
def test_flags_without_effect_on_a_generation_workload_are_errors(cli, extra, named):
    code, out, err = cli("infer", "qwen3-8b", "--prompt-tokens", "16", "--output-tokens", "8", *extra)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and named in err

"""Robustness of the inputs read from files: Hugging Face config.json fields (typed, range-checked, bounded),
integers too long to read in any YAML or JSON input, budget count exponents, special files given as an LLM
config, and an empty model path. Each bad input is exit 2 with one line naming the file, field or value:
never a traceback (exit 3), a hang or a silently different number."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

GEN = ("--prompt-tokens", "16", "--output-tokens", "8")
BASE: dict[str, Any] = {
    "model_type": "llama", "hidden_size": 256, "num_attention_heads": 8, "num_key_value_heads": 4,
    "num_hidden_layers": 2, "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 4096,
    "torch_dtype": "bfloat16",
}
GPT2: dict[str, Any] = {"model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_layer": 2, "vocab_size": 100,
                        "n_positions": 1024}
QWEN2_SW = {"model_type": "qwen2", "use_sliding_window": True, "sliding_window": 8}
GEMMA3_SW = {"model_type": "gemma3_text", "sliding_window": 8}
QWEN3_MOE = {"model_type": "qwen3_moe", "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 64}
BIG = "9" * 5000  # past Python's 4,300-digit limit on reading an int


class Overran(BaseException):
    """A block ran past its deadline (a BaseException: no ``except Exception`` or ``except OSError`` in the
    code under test turns it into an ordinary error message)."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) when the block runs longer than ``seconds``."""

    def expired(signum: int, frame: Any) -> None:
        raise Overran(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def write_config(folder: Path, update: dict[str, Any] | None = None, base: dict[str, Any] = BASE,
                 name: str = "config.json") -> Path:
    cfg = dict(base)
    cfg.update(update or {})
    path = folder / name
    path.write_text(json.dumps(cfg))
    return path


def one_line_error(code: int, out: str, err: str) -> str:
    """The single stderr line of a usage/input error (exit 2, no traceback, nothing on stdout)."""
    assert code == 2, f"exit {code}: {err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("wattprint: warning")]
    assert len(lines) == 1, err
    assert lines[0].startswith("wattprint: error: "), lines[0]
    assert out == ""
    return lines[0]


def infer_error(cli, model: Path | str, *extra: str, seconds: int = 60) -> str:
    with deadline(seconds):
        return one_line_error(*cli("infer", str(model), *GEN, *extra))


# ----------------------------------------------------------------------------- 1. config.json fields typed


@pytest.mark.parametrize("update, field", [
    ({"max_position_embeddings": "4096"}, "max_position_embeddings"),
    ({"max_position_embeddings": [4096]}, "max_position_embeddings"),
    ({**QWEN2_SW, "max_window_layers": "x"}, "max_window_layers"),
    ({**QWEN2_SW, "max_window_layers": [1]}, "max_window_layers"),
    ({**QWEN2_SW, "max_window_layers": True}, "max_window_layers"),  # a boolean is not a number
    ({**GEMMA3_SW, "sliding_window_pattern": 0}, "sliding_window_pattern"),  # was a modulo by zero
    ({**GEMMA3_SW, "sliding_window_pattern": "x"}, "sliding_window_pattern"),
    ({**GEMMA3_SW, "sliding_window_pattern": True}, "sliding_window_pattern"),
    ({**QWEN3_MOE, "mlp_only_layers": 5}, "mlp_only_layers"),
    ({**QWEN3_MOE, "mlp_only_layers": [[0]]}, "mlp_only_layers[0]"),
    ({"layer_types": [1, None]}, "layer_types[0]"),
    ({"attention_bias": "yes"}, "attention_bias"),
    ({"quantization_config": ["mxfp4"]}, "quantization_config"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v)
def test_config_field_of_the_wrong_type_is_named(cli, tmp_path, update, field):
    line = infer_error(cli, write_config(tmp_path, update))
    assert f"'{field}'" in line and "config.json" in line


@pytest.mark.parametrize("n_inner", ["abc", [1]])
def test_gpt2_n_inner_of_the_wrong_type_is_named(cli, tmp_path, n_inner):
    line = infer_error(cli, write_config(tmp_path, {"n_inner": n_inner}, base=GPT2))
    assert "'n_inner'" in line


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_config_nested_too_deeply(cli, tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    line = infer_error(cli, path)
    assert "nested too deeply" in line and "config.json" in line


def test_every_config_field_goes_through_a_typed_accessor():
    """spec_from_dict reads no field by hand: no cfg.get/cfg[...] but in the accessors."""
    import inspect
    import re

    from wattprint import llm_config

    source = inspect.getsource(llm_config.spec_from_dict)
    assert not re.search(r"(?<![\w])(int|bool|str|float)\(cfg", source)
    reads = [line.strip() for line in source.splitlines() if "cfg.get(" in line or "cfg[" in line]
    allowed = ('cfg.get("model_type")', 'cfg.get("text_config")', 'cfg.get("head_dim") is None')
    assert all(any(a in r for a in allowed) for r in reads), reads


# ----------------------------------------------------------------------------- 2. loose types, silent results


@pytest.mark.parametrize("update, base, field", [
    ({"tie_word_embeddings": "false"}, BASE, "tie_word_embeddings"),  # was read as tied
    ({"model_type": "mistral", "sliding_window": True}, BASE, "sliding_window"),  # was a 1-token window
    ({"torch_dtype": "int4"}, BASE, "torch_dtype"),  # was bf16
    ({"torch_dtype": ["bfloat16"]}, BASE, "torch_dtype"),
    ({"torch_dtype": "float64"}, BASE, "torch_dtype"),
    ({"n_inner": 1.5}, GPT2, "n_inner"),  # was 1
    ({"n_inner": True}, GPT2, "n_inner"),
    ({"max_position_embeddings": -1}, BASE, "max_position_embeddings"),  # was "exceeds its context of -1"
    ({"max_position_embeddings": True}, BASE, "max_position_embeddings"),  # was "... context of True"
    ({"n_positions": "1024"}, GPT2, "n_positions"),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) and len(v) < 4 else None)
def test_loose_types_are_errors_not_other_numbers(cli, tmp_path, update, base, field):
    line = infer_error(cli, write_config(tmp_path, update, base=base))
    assert f"'{field}'" in line


def test_unknown_dtype_names_the_supported_ones(cli, tmp_path):
    line = infer_error(cli, write_config(tmp_path, {"torch_dtype": "int4"}))
    assert "bfloat16" in line and "float16" in line and "float32" in line


def test_nan_context_is_not_skipped(cli, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(BASE)[:-1] + ', "max_position_embeddings": NaN}')
    assert "'max_position_embeddings'" in infer_error(cli, path)


def test_accepted_values_still_load(tmp_path):
    from wattprint.llm_config import load_config

    spec = load_config(write_config(tmp_path, {"tie_word_embeddings": True, "torch_dtype": "torch.float16",
                                               "model_type": "mistral", "sliding_window": 4}))
    assert spec.tied and spec.dtype == "fp16" and spec.sliding_window == 4
    assert load_config(write_config(tmp_path, {"n_inner": None}, base=GPT2)).intermediate == 256
    spec = load_config(write_config(tmp_path, {**QWEN3_MOE, "mlp_only_layers": [0]}))
    assert [m for _, m in spec.layer_kinds] == ["dense", "moe"]


# ----------------------------------------------------------------------------- 3. integers too long to read


def _repo(root: Path) -> Path:
    """A repository with models/m.onnx (a 4x4 MatMul)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    (root / ".git").mkdir()
    (root / "models").mkdir()
    w = numpy_helper.from_array(np.zeros((4, 4), dtype=np.float32), "W")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(root / "models" / "m.onnx"))
    return root


TARGET = "targets:\n  - name: m\n    model: models/m.onnx\n    inferences: {inferences}\n    assertions:\n" \
         "      - {{metric: macs, max: {limit}}}\n"


def test_big_int_in_a_training_spec(cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"hardware: a100\nhours: {BIG}\n")
    line = one_line_error(*cli("train", spec))
    assert "s.yaml:2" in line and "too large to read" in line


@pytest.mark.parametrize("name, text", [
    ("g.yaml", f"intensity_gco2e_per_kwh: {BIG}\n"),
    ("g.json", '{"data": [{"from": "2022-01-01T00:00Z", "intensity": {"actual": ' + BIG + "}}]}"),
])
def test_big_int_in_a_grid_file(cli, tmp_path, name, text):
    grid = tmp_path / name
    grid.write_text(text)
    line = one_line_error(*cli("train", "--hardware", "a100", "--hours", "1", "--grid-file", grid))
    assert name in line and "too large to read" in line


def test_big_int_in_a_baseline(cli, tmp_path, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.chdir(root)
    budget = root / "wattprint.yaml"
    budget.write_text(TARGET.format(inferences=1000, limit="1G"))
    baseline = root / "b.json"
    baseline.write_text('{"kind": "check", "targets": [{"name": "m", "metrics": {"macs": ' + BIG + "}}]}")
    line = one_line_error(*cli("check", "--config", budget, "--baseline", baseline))
    assert "b.json" in line and "too large to read" in line


def test_big_int_in_a_budget(cli, tmp_path, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.chdir(root)
    budget = root / "wattprint.yaml"
    budget.write_text(TARGET.format(inferences=BIG, limit="1G"))
    line = one_line_error(*cli("check", "--config", budget))
    assert "wattprint.yaml:4" in line and "too large to read" in line


def test_big_int_in_a_hardware_profile(cli, tmp_path):
    hw = tmp_path / "hw.yaml"
    hw.write_text(f"id: my-gpu\nname: My GPU\nvendor: Me\nkind: gpu\ntdp_w: {BIG}\n")
    line = one_line_error(*cli("hardware", "list", "--hw-file", hw))
    assert "hw.yaml:5" in line and "too large to read" in line


def test_big_int_in_a_config_json(cli, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(BASE)[:-1] + ', "hidden_size": ' + BIG + "}")
    line = infer_error(cli, path)
    assert "config.json" in line and "too large to read" in line


def test_long_but_readable_ints_still_load(tmp_path):
    from wattprint.yamlio import load_json, load_yaml

    (tmp_path / "a.yaml").write_text("a: " + "9" * 300 + "\nb: 0x1F\nc: 1_000\n")
    assert load_yaml(tmp_path / "a.yaml") == {"a": int("9" * 300), "b": 31, "c": 1000}
    (tmp_path / "a.json").write_text('{"a": [1, -2, ' + "9" * 300 + "]}")
    assert load_json(tmp_path / "a.json") == {"a": [1, -2, int("9" * 300)]}


# ----------------------------------------------------------------------------- 4. budget count exponents


@pytest.mark.parametrize("text", ["1e400", "1e99999999", "1e-99999999", "9" * 400])
def test_count_exponent_is_bounded(text):
    from wattprint.check.metrics import parse_count
    from wattprint.errors import WattprintError

    with deadline(10), pytest.raises(WattprintError, match="max"):
        parse_count(text, "max")


def test_count_parsing_is_unchanged_within_bounds():
    from wattprint.check.metrics import parse_count

    assert parse_count("4.1G", "m") == 4.1 * 1e9
    assert parse_count("1.5e3k", "m") == 1.5e6
    assert parse_count("1e30", "m") == 1e30
    assert parse_count("25e-1", "m") == 2.5


@pytest.mark.parametrize("limit", ["'1e400'", "'1e99999999'"])
def test_budget_with_a_huge_count(cli, tmp_path, monkeypatch, limit):
    root = _repo(tmp_path)
    monkeypatch.chdir(root)
    budget = root / "wattprint.yaml"
    budget.write_text(TARGET.format(inferences=1000, limit=limit))
    with deadline(30):
        line = one_line_error(*cli("check", "--config", budget))
    assert "max" in line and "exponent" in line


# ----------------------------------------------------------------------------- 5. config sizes bounded, cheap hints


@pytest.mark.parametrize("update, extra, field", [
    ({"num_attention_heads": 2**40, "num_key_value_heads": 2**40, "head_dim": 1}, ("--devices", "3"),
     "num_attention_heads"),
    ({"num_attention_heads": 2**70, "num_key_value_heads": 2**70, "head_dim": 1}, (), "num_attention_heads"),
    ({"num_hidden_layers": 10**9}, (), "num_hidden_layers"),
    ({"num_hidden_layers": 10**4}, (), "num_hidden_layers"),
    ({"hidden_size": 2**63}, (), "hidden_size"),
    ({"vocab_size": 10**15}, (), "vocab_size"),
    ({"model_type": "mixtral", "num_local_experts": 10**9, "num_experts_per_tok": 2}, (), "num_local_experts"),
])
def test_config_sizes_are_bounded(cli, tmp_path, update, extra, field):
    start = time.monotonic()
    line = infer_error(cli, write_config(tmp_path, update), *extra, seconds=30)
    assert f"'{field}'" in line and "limit" in line
    assert time.monotonic() - start < 10


def test_tp_hint_is_computed_from_divisors():
    from wattprint.llm_config import tp_choices

    def scan(heads: int, kv: int) -> list[int]:  # the definition, by brute force
        return [d for d in range(1, heads + 1) if heads % d == 0 and
                ((kv >= d and kv % d == 0) or (kv < d and d % kv == 0))][:8]

    for heads in range(1, 130):
        for kv in range(1, heads + 1):
            assert tp_choices(heads, kv) == scan(heads, kv), (heads, kv)


def test_tp_hint_is_cheap_on_a_hand_built_spec():
    from dataclasses import replace

    from wattprint.errors import WattprintError
    from wattprint.llm_config import check_tp, load_config

    spec = replace(load_config("llama-3.1-8b"), heads=2**70, kv_heads=2**70)
    with deadline(10), pytest.raises(WattprintError, match="use one of 1, 2, 4"):
        check_tp(spec, 3)


def test_a_config_at_the_limits_loads(tmp_path):
    from wattprint.llm_config import load_config

    spec = load_config(write_config(tmp_path, {"num_hidden_layers": 1024, "num_attention_heads": 4096,
                                               "num_key_value_heads": 4096, "head_dim": 1}))
    assert spec.layers == 1024


def test_limits_page_lists_every_config_bound():
    from wattprint.limits import CONFIG_LIMITS

    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    assert [k for k in CONFIG_LIMITS if f"`{k}`" not in text] == []


# ----------------------------------------------------------------------------- 6. special files as an LLM config


def test_device_as_llm_config(cli):
    line = infer_error(cli, "/dev/zero", seconds=30)
    assert "/dev/zero" in line and "character device" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_as_llm_config(cli, tmp_path):
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    line = infer_error(cli, fifo, seconds=30)
    assert "f.json" in line and "FIFO" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_config_json_in_a_folder(cli, tmp_path):
    os.mkfifo(tmp_path / "config.json")
    line = infer_error(cli, tmp_path, seconds=30)
    assert "config.json" in line and "FIFO" in line


def test_oversized_config_json(cli, tmp_path):
    path = tmp_path / "config.json"
    with path.open("w") as f:
        f.write('{"model_type": "llama", "pad": "')
        f.write("a" * (5 << 20))
        f.write('"}')
    line = infer_error(cli, path)
    assert "too big for a config.json" in line


# ----------------------------------------------------------------------------- 7. / 8. messages that name the right field


def test_sliding_window_layers_without_a_window_name_the_field(cli, tmp_path):
    cfg = write_config(tmp_path, {"model_type": "qwen2", "use_sliding_window": True, "max_window_layers": 0})
    line = infer_error(cli, cfg)
    assert "'sliding_window'" in line and "past_local_length" not in line
    # the advice the old message gave did not help: the same error with --dim past_local_length=N
    assert infer_error(cli, cfg, "--dim", "past_local_length=8") == line


def test_zero_head_size_names_hidden_size_and_heads(cli, tmp_path):
    line = infer_error(cli, write_config(tmp_path, {"hidden_size": 4}))
    assert "hidden_size" in line and "num_attention_heads" in line and "head size of 0" in line
    assert "'head_dim' = 0" not in line


@pytest.mark.parametrize("n_embd", [2, 66])
def test_gpt2_width_not_divisible_by_heads(cli, tmp_path, n_embd):
    line = infer_error(cli, write_config(tmp_path, {"n_embd": n_embd, "n_head": 4}, base=GPT2))
    assert f"n_embd {n_embd}" in line and "n_head 4" in line and "past_value" not in line


# ----------------------------------------------------------------------------- 9. an empty model path


def test_empty_model_argument_is_an_error(cli, tmp_path, monkeypatch):
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    line = infer_error(cli, "")
    assert "empty" in line and "MODEL" in line
    code, _, _ = cli("infer", ".", *GEN)  # the folder, named, is still a model
    assert code == 0


@pytest.mark.parametrize("command", [("train", "--hardware", "a100", "--samples", "10", "--model", ""),
                                     ("lifecycle", "--hardware", "a100", "--hours", "1", "--model", "")])
def test_empty_model_option_is_an_error(cli, tmp_path, monkeypatch, command):
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    line = one_line_error(*cli(*command))
    assert "empty" in line and "--model" in line


def test_load_config_refuses_an_empty_path(tmp_path, monkeypatch):
    from wattprint.errors import WattprintError
    from wattprint.llm_config import load_config

    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WattprintError, match="empty"):
        load_config("")

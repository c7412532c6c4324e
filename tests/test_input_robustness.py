"""Robustness of the inputs read from files: Hugging Face config.json fields (typed, range-checked, bounded),
integers too long to read in any YAML or JSON input, budget count exponents, special files given as an LLM
config, and an empty model path. Each bad input is exit 2 with one line naming the file, field or value:
never a traceback (exit 3), a hang or a silently different number."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_config_nested_too_deeply(cli, tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    line = infer_error(cli, path)
    assert "nested too deeply" in line and "config.json" in line


# ----------------------------------------------------------------------------- 2. loose types, silent results


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


# ----------------------------------------------------------------------------- 9. an empty model path


def test_load_config_refuses_an_empty_path(tmp_path, monkeypatch):
    from wattprint.errors import WattprintError
    from wattprint.llm_config import load_config

    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WattprintError, match="empty"):
        load_config("")

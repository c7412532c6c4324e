"""Test environment: no colour, fixed width, no user profile folder leaking in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
os.environ["NO_COLOR"] = "1"
os.environ["COLUMNS"] = "200"
os.environ["TERM"] = "dumb"

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    empty = tmp_path_factory.mktemp("no-user-profiles")
    monkeypatch.setenv("WATTPRINT_HWPROFILES", str(empty))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(empty))  # no user config.toml leaking in
    monkeypatch.delenv("WATTPRINT_DEBUG", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def cli():
    """Invoke the CLI in-process; returns (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from wattprint.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def cli_json(cli):
    def run(*args: str):
        code, out, err = cli(*args, "--format", "json")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """A 64-128-10 MLP (Gemm, Relu, Gemm): 64*128 + 128*10 = 9,472 MACs, 9,610 params at batch 1."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((64, 128)).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(128, np.float32), "b1"),
        numpy_helper.from_array(rng.standard_normal((128, 10)).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(10, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
        helper.make_node("Relu", ["h"], ["a"], name="relu"),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="wattprint-tests")
    path = tmp_path_factory.mktemp("models") / "tiny.onnx"
    onnx.save(model, path)
    return str(path)


# Real torch / ONNX Runtime exports (tests/exporters.py): the session fixture `exported`; skips without the
# `export` extra.
from exporters import exported  # noqa: E402,F401

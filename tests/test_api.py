"""The public Python API (docs/api.md): the example runs, names resolve, results match the CLI's."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import pytest

import wattprint
from conftest import ROOT

API_DOC = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def test_docs_example_runs_and_prints_what_it_says():
    code = re.search(r"```python\n(.*?)```", API_DOC, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/api.md", "exec"), {"__name__": "api_example"})
    lines = out.getvalue().splitlines()
    # the comments in the example state the exact outputs: MACs and params of the 256-512-10 MLP at batch 1
    assert lines[0] == "136,192 MACs, 136,192 params"
    assert lines[0] == f"{256 * 512 + 512 * 10:,} MACs, {256 * 512 + 512 * 10:,} params"
    assert re.fullmatch(r"\d+\.\d{3} mJ per inference at the wall, \d+\.\d\d kg CO2e a year", lines[1])
    assert re.fullmatch(r"\d+ kWh, \d+\.\d kg CO2e", lines[2])
    assert lines[3] == "pass"
    assert lines[4] == "error: unknown hardware 'no-such-gpu'"


def test_all_names_resolve():
    for name in wattprint.__all__:
        assert getattr(wattprint, name) is not None, name
    assert set(dir(wattprint)) >= set(wattprint.__all__)
    with pytest.raises(AttributeError):
        wattprint.no_such_name  # noqa: B018


def test_import_is_light():
    """`import wattprint` loads neither onnx nor numpy (they come with the first estimate)."""
    probe = "import sys, wattprint; print(sorted(m for m in ('onnx', 'numpy', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_inference_matches_the_cli(tiny_model, cli_json):
    result = wattprint.estimate_inference(tiny_model, hardware="l4", region="de", rate="1e6/day", days=30)
    doc = cli_json("infer", tiny_model, "--hardware", "l4", "--region", "de", "--rate", "1e6/day", "--days", "30")
    assert isinstance(result, wattprint.InferenceResult)
    assert result.energy_per_inference_j == pytest.approx(doc["energy_per_inference_j"], abs=1e-6, rel=1e-5)  # JSON keeps 6 decimals
    assert result.model.macs == doc["macs"] == 9472


def test_training_matches_the_cli(cli_json):
    result = wattprint.estimate_training(hardware="v100", count=64, hours=79, region="us-va")
    doc = cli_json("train", "--hardware", "v100", "--count", "64", "--hours", "79", "--region", "us-va")
    assert isinstance(result, wattprint.TrainingResult)
    assert result.energy_kwh == pytest.approx(doc["energy_kwh"], abs=1e-6, rel=1e-5)  # JSON keeps 6 decimals
    assert result.co2e_kg == pytest.approx(doc["co2e_kg"], abs=1e-6, rel=1e-5)  # JSON keeps 6 decimals


def test_generation_matches_the_cli(cli_json):
    result = wattprint.estimate_generation("llama-3.1-8b", prompt_tokens=512, output_tokens=256, concurrency=64,
                                           hardware="h100")
    doc = cli_json("infer", "llama-3.1-8b", "--prompt-tokens", "512", "--output-tokens", "256",
                   "--concurrency", "64", "--hardware", "h100")
    assert result.energy_per_output_token_j == pytest.approx(doc["generation"]["energy_per_output_token_j"], abs=1e-6, rel=1e-5)  # JSON keeps 6 decimals


def test_bad_input_raises_the_cli_error():
    with pytest.raises(wattprint.WattprintError, match="concurrency"):
        wattprint.estimate_generation("llama-3.1-8b", prompt_tokens=512, output_tokens=256, concurrency=0)
    with pytest.raises(wattprint.WattprintError, match="no-such-file.yaml"):
        wattprint.run_check("no-such-file.yaml")


def test_help_is_light():
    """`wattprint --help` imports none of the heavy packages (the commands import them when they run)."""
    probe = ("import sys\nfrom wattprint.cli import main\nsys.argv = ['wattprint', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('HEAVY', sorted(m for m in ('onnx', 'numpy', 'pydantic', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY []"

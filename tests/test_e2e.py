"""End-to-end: the installed `wattprint` command and `python -m wattprint`, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

ENV = {**os.environ, "_TYPER_FORCE_DISABLE_TERMINAL": "1", "NO_COLOR": "1", "COLUMNS": "200"}


def wattprint_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "wattprint"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("wattprint")
    return [found] if found else [sys.executable, "-m", "wattprint"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*wattprint_cmd(), *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=120)


def test_help_and_version():
    out = run("--help")
    assert out.returncode == 0 and "train" in out.stdout and "infer" in out.stdout
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("wattprint ")


def test_demo_from_another_directory(tmp_path):
    out = run("demo", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["train"]["energy_kwh"] > 0 and doc["infer"]["energy_per_inference_j"] > 0


def test_demo_table_is_plain_text(tmp_path):
    out = run("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Transformer" in out.stdout and "ResNet" in out.stdout and "\x1b[" not in out.stdout


def test_python_dash_m_and_bad_input_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "wattprint", "train", "--hardware", "nope", "--hours", "1"],
                         capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("wattprint: error: unknown hardware 'nope'") and "Traceback" not in out.stderr


def test_usage_error_exit_2():
    out = run("train", "--count", "many")
    assert out.returncode == 2


def test_readme_commands_are_the_ci_commands():
    readme = (ROOT / "README.md").read_text().splitlines()
    fence = readme.index("```sh")
    install_run, install_test = readme[fence + 1], readme[fence + 2]
    assert "wattprint demo" in install_run and "pytest" in install_test
    assert install_test in (ROOT / ".ci" / "run").read_text()

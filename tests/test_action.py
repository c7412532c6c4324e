"""The composite action (action.yml) run step by step as GitHub Actions would (scripts/run_action.py),
the install instructions in docs/ci.md, and the pre-commit hook."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

spec = importlib.util.spec_from_file_location("run_action", ROOT / "scripts" / "run_action.py")
run_action_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_action_module)


@pytest.fixture
def workspace(tmp_path):
    """A checked-out repository holding the example budget (examples/ci)."""
    shutil.copytree(ROOT / "examples" / "ci", tmp_path / "repo")
    return tmp_path / "repo"


def _run(workspace: Path, **inputs: str) -> dict:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GITHUB_ACTIONS", None)
    return run_action_module.run_action(ROOT, workspace, inputs, skip_install=True, env=env)


def test_passing_budget_sets_outputs_and_summary(workspace):
    result = _run(workspace, config="wattprint.yaml")
    assert result["exit_code"] == 0
    assert result["outputs"] == {"status": "pass", "failed": "0", "warnings": "0"}
    assert result["step_summary"].startswith("## ✅ wattprint check: pass")
    install = next(s for s in result["steps"] if s.get("skipped") == "--skip-install")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # installs from the action's own checkout


def test_failing_budget_fails_the_step_with_annotations(workspace):
    budget = workspace / "wattprint.yaml"
    budget.write_text(budget.read_text().replace("max: 200k", "max: 100k"))
    result = _run(workspace, config="wattprint.yaml", args="--fail-on error")
    assert result["exit_code"] == 1
    assert result["outputs"]["status"] == "fail" and result["outputs"]["failed"] == "1"
    assert "## ❌ wattprint check: fail" in result["step_summary"]
    assert any(a.startswith("::error file=wattprint.yaml,line=") and "macs" in a for a in result["annotations"])


def test_broken_budget_reports_error_status(workspace):
    (workspace / "wattprint.yaml").write_text("targets:\n  - name: x\n    modle: m.onnx\n")
    result = _run(workspace)  # discovery from working-directory
    assert result["exit_code"] == 2 and result["outputs"]["status"] == "error"
    assert any(a.startswith("::error file=wattprint.yaml") for a in result["annotations"])


def test_working_directory_and_baseline_inputs(workspace, tmp_path):
    sub = workspace / "sub"
    sub.mkdir()
    result = _run(workspace, **{"working-directory": "sub", "config": "../wattprint.yaml",
                                "baseline": str(tmp_path / "missing.json")})
    assert result["exit_code"] == 0 and result["outputs"]["status"] == "pass"
    assert any("missing.json not found" in a for a in result["annotations"])


def test_action_installs_from_its_checkout_and_pins_no_tag():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    runs = [s["run"] for s in action["runs"]["steps"] if "run" in s]
    assert any('pip install' in r and '"$GITHUB_ACTION_PATH"' in r for r in runs)
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "rev: v0.1.0" not in hooks
    docs = (ROOT / "docs" / "ci.md").read_text()
    assert "pip install wattprint " not in docs and "install --quiet wattprint" not in docs
    assert "git+https://github.com/" in docs and "@v0.1.0" not in docs

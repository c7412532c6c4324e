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

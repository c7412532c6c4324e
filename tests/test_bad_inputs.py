"""Invalid input never produces a number: the generated corpus (tests/bad_inputs.py) through the CLI.

Every case must exit 2 with exactly one line on stderr naming the file, field or flag at fault,
nothing on stdout, no traceback, in under 10 s. Most run in-process (CliRunner); special files
(devices, FIFOs) run in subprocesses with a wall-clock limit and a peak-memory check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bad_inputs import cases

_FOLDER = Path(tempfile.mkdtemp(prefix="wattprint-bad-inputs-"))
CASES = cases(_FOLDER)
MAX_SECONDS = 10
MAX_RSS_MB = 500


def test_corpus_is_large_enough():
    assert len(CASES) >= 400


def _check_message(case, code, out, err):
    lines = err.splitlines()
    assert code == 2, f"{case.id}: exit {code}\nstdout: {out[:500]}\nstderr: {err[:2000]}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(lines) == 1, f"{case.id}: {len(lines)} lines on stderr:\n{err}"
    assert lines[0].startswith("wattprint: error: "), lines[0]
    assert case.needle.lower() in lines[0].lower(), f"{case.id}: {case.needle!r} not in {lines[0]!r}"
    assert out == "", f"{case.id}: stdout not empty: {out[:300]}"


@pytest.mark.parametrize("case", [c for c in CASES if not c.special], ids=lambda c: c.id)
def test_bad_input_in_process(case, monkeypatch):
    from typer.testing import CliRunner

    from wattprint.cli import app

    for key, value in case.env:
        monkeypatch.setenv(key, value)
    t = time.perf_counter()
    result = CliRunner().invoke(app, list(case.args), catch_exceptions=False)
    elapsed = time.perf_counter() - t
    _check_message(case, result.exit_code, result.stdout, result.stderr)
    assert elapsed < MAX_SECONDS, f"{case.id}: {elapsed:.1f} s"


def _run_limited(args: list[str], env: dict) -> tuple[int, str, str, float, float]:
    """Run the CLI in a child; (exit code, stdout, stderr, wall s, peak RSS MB). Killed past the limit."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "wattprint", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, stdin=subprocess.DEVNULL)
    try:
        out, err = proc.communicate(timeout=MAX_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{args}: still running after {MAX_SECONDS} s")
    wall = time.perf_counter() - t
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), wall, 0.0


HEAVY = ("model-infer-huge_reshape", "spec-deep", "spec-too_big", "grid-train-json_nested", "baseline-nested",
         "baseline-too_big", "model-infer-cycle", "train--hours=1e308")


@pytest.mark.parametrize("case", [c for c in CASES if c.special or c.id in HEAVY], ids=lambda c: c.id)
def test_bad_input_in_subprocess(case):
    import resource

    env = {**os.environ, **dict(case.env)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code, out, err, wall, _ = _run_limited(list(case.args), env)
    _check_message(case, code, out, err)
    assert wall < MAX_SECONDS
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB, the largest child so far
    assert peak < MAX_RSS_MB or before / 1024 >= MAX_RSS_MB, f"{case.id}: {peak:.0f} MB"

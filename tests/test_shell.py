"""Shell habits: completion (install, show, real completions), metavars that read as values, choices."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint.cli import HardwareKind, RegionKind

EXE = str(Path(sys.executable).parent / "wattprint")
COMMANDS = [("train",), ("infer",), ("lifecycle",), ("demo",), ("check",), ("hardware", "list"), ("hardware", "show"),
            ("regions", "list"), ("regions", "show")]


def _complete(words: str, tmp_path: Path) -> list[str]:
    env = {**os.environ, "_WATTPRINT_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    run = subprocess.run([EXE], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    return run.stdout.split()


def test_completion_of_options_choices_and_ids(tmp_path):
    assert "--format" in _complete("wattprint infer m.onnx --for", tmp_path)
    assert _complete("wattprint infer m.onnx --format ", tmp_path) == ["table", "json", "csv", "markdown", "html"]
    assert _complete("wattprint hardware list --kind ", tmp_path) == ["gpu", "tpu", "cpu", "edge", "npu"]
    assert {"h100-sxm", "h100-pcie"} <= set(_complete("wattprint infer m.onnx --hardware h100", tmp_path))
    assert _complete("wattprint train --region fr", tmp_path) == ["fr"]


def test_show_and_install_completion(cli, tmp_path):
    code, out, _ = cli("--show-completion", "bash")
    assert code == 0 and "_WATTPRINT_COMPLETE=complete_bash" in out and "complete -o default -F" in out
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash"}
    run = subprocess.run([EXE, "--install-completion", "bash"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    script = tmp_path / ".bash_completions" / "wattprint.sh"
    assert script.is_file() and str(script) in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_metavars_read_as_values(cli, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = cli(*command, "--help")
    assert code == 0
    assert not re.search(r"<(float|int|str|bool|path|list\[[^]]*\])>", out), out


def test_specific_metavars(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    _, out, _ = cli("train", "--help")
    for option, metavar in (("--hours", "HOURS"), ("--hardware", "ID"), ("--hw-file", "PATH"), ("--power", "WATTS"),
                            ("--compare-region", r"ID\[,ID\.\.\.\]"), ("--precision", r"<fp32\|tf32\|fp16")):
        assert re.search(rf"{re.escape(option)}\s+{metavar}", out), option
    _, out, _ = cli("infer", "--help")
    assert re.search(r"--by\s+<op>", out) and re.search(r"--format\s+-f\s+<table\|json\|csv\|markdown\|html>", out)


def test_kind_choices_match_the_data(cli_json):
    from wattprint.hardware import KINDS

    assert tuple(k.value for k in HardwareKind) == KINDS
    kinds = {r["kind"] for r in cli_json("regions", "list")["regions"]}
    assert kinds <= {k.value for k in RegionKind}
    assert {r["kind"] for r in cli_json("regions", "list", "--kind", "cloud")["regions"]} == {"cloud"}


def test_peak_keys_are_the_peak_precisions():
    from typing import get_args

    from wattprint.hardware import PeakKey
    from wattprint.vocab import PEAK_PRECISIONS

    assert get_args(PeakKey) == PEAK_PRECISIONS


def test_bad_choice_is_a_usage_error(cli):
    code, out, err = cli("infer", "m.onnx", "--by", "layer")
    assert code == 2 and "'layer' is not one of 'op'" in err
    code, _, err = cli("hardware", "list", "--kind", "gpux")
    assert code == 2 and "gpux" in err

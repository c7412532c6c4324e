"""The README's commands: the two at the top are the ones .ci/run runs, and the reference-data examples run."""

from __future__ import annotations

import re
import shlex

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text()
FIRST = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/wattprint demo"
SECOND = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"


def test_two_commands_on_top_and_in_ci():
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert block == [FIRST, SECOND]
    assert SECOND in (ROOT / ".ci" / "run").read_text()


def _examples() -> list[list[str]]:
    """`wattprint hardware|regions ...` lines of the README, without their comments."""
    out = []
    for line in README.splitlines():
        if re.match(r"wattprint (hardware|regions) ", line):
            out.append(shlex.split(line.split("#", 1)[0])[1:])
    return out


@pytest.mark.parametrize("args", _examples(), ids=" ".join)
def test_reference_examples_run(cli, args):
    code, out, err = cli(*args)
    assert code == 0, err
    assert out.strip()


def test_no_stale_counts_in_comments():
    """Counts in comments drift as data is added: the README describes, the commands count."""
    assert not re.search(r"#\s*\d+\s+(profiles|regions)", README)

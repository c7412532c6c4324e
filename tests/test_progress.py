"""A progress indicator on a terminal's stderr for slow work; never in machine output or off a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys


def _run(stderr_tty: bool) -> tuple[str, str]:
    env = {**os.environ, "WATTPRINT_PROGRESS_DELAY_S": "0", "TERM": "xterm"}
    env.pop("CI", None)
    master = slave = None
    if stderr_tty:
        master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "wattprint", "demo", "--format", "json"], stdout=subprocess.PIPE,
                            stderr=slave if stderr_tty else subprocess.PIPE, env=env)
    if stderr_tty:
        os.close(slave)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    if stderr_tty:
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        return out.decode(), b"".join(chunks).decode(errors="replace")
    return out.decode(), err.decode()


def test_spinner_on_a_terminal_stderr_only():
    out, err = _run(stderr_tty=True)
    assert json.loads(out)["kind"] == "demo"  # stdout is untouched machine output
    assert "wattprint: demo" in err


def test_no_spinner_when_stderr_is_not_a_terminal():
    out, err = _run(stderr_tty=False)
    assert json.loads(out)["kind"] == "demo" and "wattprint: demo" not in err

"""Usage errors (bad choice, wrong type, missing argument, unknown option) as one line on stderr.

Click prints them as a multi-line box; wattprint prints every error the same way:
``wattprint: error: MESSAGE`` and exit 2. ``--help`` is unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from typer import _click as click  # typer >= 0.22 vendors click
from typer.core import TyperGroup
from typer.exceptions import Abort


def usage_line(exc: click.exceptions.ClickException) -> str:
    """The one-line form of a click error, naming the command and pointing at its --help."""
    message = " ".join(part.strip() for part in exc.format_message().splitlines() if part.strip())
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "wattprint"
    if isinstance(exc, click.exceptions.UsageError):
        return f"{message} (see '{command} --help')"
    return message


class OneLineErrors(TyperGroup):
    """The root group: runs click in non-standalone mode and reports errors on one line."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False,
                              windows_expand_args=windows_expand_args, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `wattprint`: the help, as before
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            sys.stderr.write(f"wattprint: error: {usage_line(exc)}\n")
            sys.exit(2 if isinstance(exc, click.exceptions.UsageError) else exc.exit_code)
        except Abort:
            sys.stderr.write("wattprint: error: aborted\n")
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


# ----------------------------------------------------------------------------- progress on a terminal

#: seconds of work before the indicator shows (quick commands never flash one)
PROGRESS_DELAY_S = 1.0
_progress: dict = {"timer": None, "status": None}


def start_progress(message: str = "working") -> None:
    """After PROGRESS_DELAY_S, a transient spinner on stderr, only when stderr is a terminal.

    Never in machine output: it is stderr only, and it is stopped (and erased) before anything is
    written (:func:`stop_progress`)."""
    import os
    import threading

    stop_progress()
    if not sys.stderr.isatty() or os.environ.get("WATTPRINT_NO_PROGRESS") or os.environ.get("CI"):
        return

    def show() -> None:
        from rich.console import Console

        status = Console(stderr=True).status(f"wattprint: {message}...", spinner="dots")
        status.start()
        _progress["status"] = status

    try:
        delay = float(os.environ.get("WATTPRINT_PROGRESS_DELAY_S", PROGRESS_DELAY_S))
    except ValueError:
        delay = PROGRESS_DELAY_S
    timer = threading.Timer(delay, show)
    timer.daemon = True
    _progress["timer"] = timer
    timer.start()


def stop_progress() -> None:
    timer, status = _progress["timer"], _progress["status"]
    if timer is not None:
        timer.cancel()
        if timer.is_alive():
            timer.join()  # (show() may be running: let it finish, then stop what it started)
        status = _progress["status"]
    if status is not None:
        status.stop()
    _progress["timer"] = _progress["status"] = None

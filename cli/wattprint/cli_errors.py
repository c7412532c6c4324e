"""Usage errors (bad choice, wrong type, missing argument, unknown option) as one line on stderr.

Click prints them as a multi-line box; wattprint prints every error the same way:
``wattprint: error: MESSAGE`` and exit 2. ``--help`` is unchanged.
"""

from __future__ import annotations

import sys
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

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
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

"""One family of errors: every user-facing failure is a WattprintError.

The CLI maps these to exit code 2 and prints ``str(error)`` on one line.
Core modules raise them; they never print or exit.
"""

from __future__ import annotations


class WattprintError(Exception):
    """A usage, configuration or input error the user can fix."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None, value: object = None):
        self.message = message
        self.hint = hint
        #: the input field (spec key or option name without dashes) and value at fault, when known
        self.field = field
        self.value = value
        super().__init__(message if hint is None else f"{message} ({hint})")


class UnknownIdError(WattprintError):
    """An unknown hardware or region id, with the closest known ids."""

    def __init__(self, what: str, given: str, suggestions: list[str]):
        self.suggestions = suggestions
        hint = (
            f"did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else None
        )
        super().__init__(f"unknown {what} {given!r}", hint=hint)


class MissingFigureError(WattprintError):
    """A figure the estimate needs is not in the (sourced) data."""

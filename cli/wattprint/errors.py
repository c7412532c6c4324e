"""One family of errors: every user-facing failure is a WattprintError.

The CLI maps these to exit code 2 and prints the error on one line. Core modules raise them; they never
print or exit, and they never name a command-line flag: an error about an input carries the input's
``field`` (its spec/budget key, e.g. ``rate``) and ``value``, and its message and hint write each input they
mention as ``{field}``. Whoever reports the error words the fields for its reader (:meth:`worded`): the
CLI as flags (``--rate``), ``wattprint check`` as the budget file's keys at their line; ``str()`` keeps the
bare field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class WattprintError(Exception):
    """A usage, configuration or input error the user can fix."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None, value: object = None,
                 fields: Iterable[str] = ()):
        #: the input field (spec key) and value at fault, when known
        self.field = field
        self.value = value
        #: every input the message or hint mentions as {name} (the field at fault first)
        self.fields = tuple(dict.fromkeys(((field,) if field else ()) + tuple(fields)))
        self._message, self._hint = message, hint
        self.message = self._fill(message, _bare)
        self.hint = self._fill(hint, _bare) if hint is not None else None
        super().__init__(self.worded())

    def _fill(self, text: str, name: Callable[[str], str]) -> str:
        if not self.fields:
            return text
        return _PLACEHOLDER.sub(lambda m: name(m.group(1)) if m.group(1) in self.fields else m.group(0), text)

    def about(self, field: str, value: object = None) -> WattprintError:
        """The same error, known to be about input ``field`` (whose placeholder the message may hold)."""
        return WattprintError(self._message, hint=self._hint, field=field, value=value, fields=self.fields)

    def parts(self, name: Callable[[str], str] | None = None) -> tuple[str, str | None]:
        """The message and the hint with each input field named by ``name`` (default: the field itself)."""
        name = name or _bare
        return self._fill(self._message, name), (self._fill(self._hint, name) if self._hint is not None else None)

    def worded(self, name: Callable[[str], str] | None = None) -> str:
        """The one-line message (and hint) with each input field named by ``name`` (default: the field itself)."""
        message, hint = self.parts(name)
        return message if hint is None else f"{message} ({hint})"


def _bare(field: str) -> str:
    return field


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

"""One output-format path: a result offers a :class:`Report` (its document, its table sections, its rows) and
:func:`to_format` maps an :class:`~wattprint.vocab.OutputFormat` to the formatter that writes it as text.

A new output format is a member of ``OutputFormat`` plus an entry in :data:`FORMATTERS` (or, for a format only
one command writes, such as JUnit for ``check``, an entry in that command's ``Report.text``).
``table`` is not text: it prints through Rich (:func:`wattprint.render.print_tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wattprint.errors import WattprintError
from wattprint.vocab import OutputFormat


@dataclass(frozen=True)
class Report:
    """What a command hands to the output: each part is computed only when its format asks for it."""

    title: str
    #: the machine form (JSON-ready dict)
    doc: Callable[[], dict] = dict
    #: the human form: tables (``render.Section``)
    sections: Callable[[], list] = list
    #: one flat table for CSV: (header, rows)
    rows: Callable[[], tuple[Sequence[str], Sequence[Sequence[Any]]]] | None = None
    #: a command's own text for a format (check's markdown summary, its JUnit XML), over the generic one
    text: Mapping[OutputFormat, Callable[[], str]] = field(default_factory=dict)


def _json(report: Report) -> str:
    from wattprint.render import to_json

    return to_json(report.doc())


def _csv(report: Report) -> str:
    from wattprint.render import to_csv

    if report.rows is None:
        raise WattprintError(f"{report.title}: no CSV form", hint="use --format json or markdown")
    header, rows = report.rows()
    return to_csv(header, rows)


def _markdown(report: Report) -> str:
    from wattprint.render import to_markdown

    return to_markdown(report.title, report.sections())


def _html(report: Report) -> str:
    from wattprint.render.html import to_html

    return to_html(report.title, report.doc(), report.sections())


#: the generic formatter of each text format
FORMATTERS: dict[OutputFormat, Callable[[Report], str]] = {
    OutputFormat.json: _json,
    OutputFormat.csv: _csv,
    OutputFormat.markdown: _markdown,
    OutputFormat.html: _html,
}


def write_format(fmt: OutputFormat, report: Report, write: Callable[[str], Any]) -> None:
    """Write ``report`` as ``fmt`` through ``write``; generic JSON is streamed, a layer record at a time."""
    if fmt is OutputFormat.json and fmt not in report.text:
        from wattprint.render import write_json

        write_json(report.doc(), write)
    else:
        write(to_format(fmt)(report))


def to_format(fmt: OutputFormat) -> Callable[[Report], str]:
    """The formatter writing a report as ``fmt`` text (a report's own ``text`` for that format wins)."""

    def write(report: Report) -> str:
        own = report.text.get(fmt)
        if own is not None:
            return own()
        if fmt not in FORMATTERS:
            raise WattprintError(f"{report.title}: cannot be written as {fmt.value}")
        return FORMATTERS[fmt](report)

    return write

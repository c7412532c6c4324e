"""Renderers: turn result documents into text. They never compute.

A command builds a *document* (a JSON-ready dict, the machine form) and a list
of :class:`Section` (the human form). ``table`` prints sections with Rich;
``markdown`` writes them as pipe tables; ``json`` dumps the document; ``csv``
writes one flat table chosen by the command.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

FORMATS = ("table", "json", "csv", "markdown")


@dataclass(frozen=True)
class Section:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: column indexes to right-align (numbers)
    numeric: tuple[int, ...] = ()
    #: rich style per row (same length as rows) or empty
    styles: tuple[str, ...] = field(default_factory=tuple)
    caption: str | None = None
    #: key/value sections print without a header row
    key_value: bool = False


def _clean(value: Any) -> Any:
    """Round floats (6 decimals; 6 significant digits when tiny or huge); NaN and infinity become null."""
    kind = type(value)
    if kind is float:
        if value != value or value in (math.inf, -math.inf):
            return None
        return float(f"{value:.6g}") if abs(value) < 1e-3 or abs(value) >= 1e6 else round(value, 6)
    if kind is dict:
        return {k: _clean(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_clean(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # C-accelerated (no indent)


def to_json(doc: dict[str, Any]) -> str:
    """One key per line; a list of records (e.g. layers) gets one record per line.

    Written by hand around the C encoder: ``json.dumps(indent=...)`` falls back to the pure-Python
    encoder, which costs more than the whole analysis on large graphs.
    """
    lines = []
    for key, value in _clean(doc).items():
        name = _ENCODER.encode(key)
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            rows = ",\n".join(f"    {_ENCODER.encode(item)}" for item in value)
            lines.append(f"  {name}: [\n{rows}\n  ]")
        else:
            lines.append(f"  {name}: {_ENCODER.encode(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.6g}" if isinstance(v, float) else v) for v in row])
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(title: str, sections: Sequence[Section]) -> str:
    out = [f"## {_md_cell(title)}", ""]
    for s in sections:
        out.append(f"### {_md_cell(s.title)}")
        out.append("")
        cols = s.columns if not s.key_value else ("", "")
        out.append("| " + " | ".join(_md_cell(c) for c in cols) + " |")
        out.append("|" + "|".join("---:" if i in s.numeric else "---" for i in range(len(cols))) + "|")
        for row in s.rows:
            out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
        if s.caption:
            out.extend(["", f"_{_md_cell(s.caption)}_"])
        out.append("")
    return "\n".join(out)


def print_tables(console: Any, title: str, sections: Sequence[Section]) -> None:
    """Print sections as Rich tables. Cell text is escaped: user strings are never markup."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]{escape(title)}[/bold]")
    for s in sections:
        table = Table(
            title=escape(s.title),
            title_justify="left",
            title_style="bold cyan",
            box=box.SIMPLE_HEAD,
            show_header=not s.key_value,
            caption=escape(s.caption) if s.caption else None,
            caption_justify="left",
        )
        for i, col in enumerate(s.columns):
            table.add_column(escape(col), justify="right" if i in s.numeric else "left", overflow="fold")
        for i, row in enumerate(s.rows):
            style = s.styles[i] if i < len(s.styles) else None
            table.add_row(*(escape(str(c)) for c in row), style=style or None)
        console.print(table)

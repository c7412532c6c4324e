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
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import NoneType
from typing import Any


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
    #: columns a narrow terminal may drop, first dropped first (the full table is in --format json/csv/markdown)
    optional: tuple[int, ...] = ()


class Records(Sequence[dict[str, Any]]):
    """A list of JSON records with the same keys, made on demand, one per item (e.g. a layer per node): a
    document can hold a 200k-layer table without 200k dicts in memory, and :func:`write_json` writes each record
    as text made from its values (:meth:`texts`) as it goes."""

    def __init__(self, items: Sequence[Any], keys: Sequence[str], values: Callable[[Any], Sequence[Any]]) -> None:
        if len(set(keys)) != len(keys):
            raise ValueError(f"record keys repeat: {keys}")
        self._items = items
        self.keys = tuple(keys)
        self._values = values  # an item's values, in the order of the keys

    def _record(self, item: Any) -> dict[str, Any]:
        return dict(zip(self.keys, self._values(item)))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._record(x) for x in self._items[index]]
        return self._record(self._items[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self._record, self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, Records)) and list(self) == list(other)

    def cleaned(self) -> Records:
        values = self._values
        return Records(self._items, self.keys, lambda x: [_clean(v) for v in values(x)])

    def texts(self) -> Iterator[str]:
        """Each record as JSON: the text that ``_ENCODER.encode(_clean(record))`` gives, made without the dict or
        its rounded copy. The keys are written once into a line template; each value is written by the function
        for its type (:data:`_TEXT`), chosen once per combination of value types (a table has few)."""
        line = "{" + ", ".join(_ENCODER.encode(k).replace("%", "%%") + ": %s" for k in self.keys) + "}"
        # numbers repeat down a table (a layer's counts and times repeat with its layer type): their texts are
        # held for the table
        text = dict(_TEXT)
        for kind in (int, float):
            text[kind] = _Texts(_TEXT[kind]).__getitem__
        writers: dict[tuple[type, ...], list[Callable[[Any], str]]] = {}
        for item in self._items:
            values = self._values(item)
            kinds = tuple(map(type, values))
            write = writers.get(kinds)
            if write is None:
                write = writers[kinds] = [text.get(k, _encoded) for k in kinds]
            yield line % tuple(map(_call, write, values))


def _clean_float(value: float) -> float | None:
    if not value:
        return value  # 0.0 and -0.0 round to themselves
    if value != value or value in (math.inf, -math.inf):
        return None
    return float(f"{value:.6g}") if abs(value) < 1e-3 or abs(value) >= 1e6 else round(value, 6)


def _clean(value: Any) -> Any:
    """Round floats (6 decimals; 6 significant digits when tiny or huge); NaN and infinity become null."""
    kind = type(value)
    if kind is float:
        return _clean_float(value)
    if kind is dict:
        return {k: _clean(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_clean(v) for v in value]
    if kind is Records:
        return value.cleaned()
    return value


def _nested(value: Any) -> Any:
    if isinstance(value, Records):  # records nested deeper than a document's top level (e.g. demo's infer)
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), default=_nested)  # C-accelerated


def _record_encoder() -> Callable[[Any], str]:
    """``_ENCODER.encode`` for many values: the C encoder that ``encode`` makes on every call, made once
    (the same arguments, so the same text)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover  (no C accelerator)
        return _ENCODER.encode
    e = _ENCODER
    markers: dict[int, Any] = {}
    encode_c = make(markers, e.default, json.encoder.encode_basestring, e.indent, e.key_separator, e.item_separator,
                    e.sort_keys, e.skipkeys, e.allow_nan)

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return _ENCODER.encode(value)
        try:
            return "".join(encode_c(value, 0))
        except BaseException:
            markers.clear()  # (what a failed call left of its circular-reference check)
            raise

    return encode


_encode = _record_encoder()
#: the value types :func:`_clean` changes (the rest it returns as they are)
_CLEANED = frozenset({float, dict, list, tuple, Records})


# The JSON text of a value after :func:`_clean`, exactly as _ENCODER's C encoder writes it (what
# :meth:`Records.texts` writes): a string escaped by encode_basestring (ensure_ascii=False); None, True and False
# as null, true and false; an int by its repr, a float by the repr of its _clean_float rounding (NaN and infinity:
# null); a list or tuple of ints by their reprs joined by the item separator. The encoder tests with isinstance,
# so it writes a subclass of these types like its base type: such a value, and any other, goes through the
# encoder itself (after _clean).
def _float_text(value: float) -> str:
    cleaned = _clean_float(value)
    return "null" if cleaned is None else repr(cleaned)


def _items_text(value: Sequence[Any]) -> str:
    if _INT.issuperset(map(type, value)):  # (ints only, e.g. a shape)
        return "[" + ", ".join(map(repr, value)) + "]"
    return _encoded(value)


_INT = frozenset({int})


def _encoded(value: Any) -> str:
    return _encode(_clean(value))


_TEXT: dict[type, Callable[[Any], str]] = {
    str: json.encoder.encode_basestring,  # (the C function, as the encoder uses)
    int: repr,
    float: _float_text,
    bool: {True: "true", False: "false"}.__getitem__,
    NoneType: {None: "null"}.__getitem__,
    list: _items_text,
    tuple: _items_text,
}


class _Texts(dict[Any, str]):
    """The texts of values of one type, held as they are met (a lookup is cheaper than writing a number)."""

    def __init__(self, text: Callable[[Any], str]) -> None:
        super().__init__()
        self._text = text

    def __missing__(self, value: Any) -> str:
        text = self._text(value)
        # (at most _HELD of them; not a zero float: -0.0 == 0.0, and the two are written differently)
        if len(self) < _HELD and (value or type(value) is not float):
            self[value] = text
        return text


_HELD = 1 << 16
#: ``f(x)`` for each pair when mapped over functions and values (operator.call, Python 3.11+)
_call: Callable[[Callable[[Any], str], Any], str] = getattr(operator, "call", lambda f, x: f(x))


def write_json(doc: dict[str, Any], write: Callable[[str], Any]) -> None:
    """One key per line; a list of records (e.g. layers) gets one record per line, written as it is made.

    Written by hand around the C encoder: ``json.dumps(indent=...)`` falls back to the pure-Python
    encoder, which costs more than the whole analysis on large graphs.
    """
    write("{")
    for i, (key, value) in enumerate(doc.items()):
        write(",\n  " if i else "\n  ")
        write(_ENCODER.encode(key) + ": ")
        texts: Iterable[str] | None = None
        if type(value) is Records:
            texts = value.texts() if len(value) else None
        else:
            value = _clean(value)
            if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
                texts = map(_encode, value)
        if texts is not None:
            write("[")
            for j, text in enumerate(texts):
                write((",\n    " if j else "\n    ") + text)
            write("\n  ]")
        else:
            write(_ENCODER.encode(value))
    write("\n}\n")


def to_json(doc: dict[str, Any]) -> str:
    """:func:`write_json` into a string."""
    parts: list[str] = []
    write_json(doc, parts.append)
    return "".join(parts)


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


#: a character Rich never breaks a line at, standing in for the space between a number and its unit
_GLUE = "\ue000"
_VALUE_UNIT = re.compile(r"(?<=[\d.])[ ](?=[A-Za-zµ%°³/]+(?:\b|$))")


def _glue(text: str) -> str:
    """'2.13 mJ' stays on one line: the space before a unit becomes an unbreakable stand-in."""
    return _VALUE_UNIT.sub(_GLUE, text)


def _is_id_column(s: Section, i: int) -> bool:
    """The first column of a table, when its values are ids (no spaces): never wrapped."""
    return i == 0 and not s.key_value and not any(" " in str(row[0]) for row in s.rows)


def _build_table(s: Section, keep: Sequence[int]) -> Any:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=escape(s.title),
        title_justify="left",
        title_style="bold cyan",
        box=box.SIMPLE_HEAD,
        show_header=not s.key_value,
        caption=escape(s.caption) if s.caption else None,
        caption_justify="left",
    )
    for i in keep:
        numeric = i in s.numeric
        ident = _is_id_column(s, i)
        table.add_column(escape(_glue(s.columns[i])), justify="right" if numeric else "left",
                         no_wrap=numeric or ident, overflow="ellipsis" if ident else "fold")
    for n, row in enumerate(s.rows):
        style = s.styles[n] if n < len(s.styles) else None
        table.add_row(*(escape(_glue(str(row[i]))) for i in keep), style=style or None)
    return table


#: a text column is not squeezed below this many cells (or its longest word, if longer)
MIN_TEXT_WIDTH = 20


def needed_width(s: Section, keep: Sequence[int]) -> int:
    """Cells a table needs so that no number, unit or id breaks: whole values in numeric and id columns,
    the longest word (at least MIN_TEXT_WIDTH) in text columns, plus 3 cells of padding per column."""
    from rich.cells import cell_len

    total = 1
    for i in keep:
        cells = [_glue(s.columns[i])] + [_glue(str(row[i])) for row in s.rows]
        if i in s.numeric or _is_id_column(s, i):
            width = max(cell_len(c) for c in cells)
        else:
            longest_word = max((cell_len(w) for c in cells for w in c.split()), default=0)
            width = max(longest_word, min(MIN_TEXT_WIDTH, max(cell_len(c) for c in cells)))
        total += width + 3
    return total


def drop_order(s: Section) -> tuple[int, ...]:
    """The section's optional columns; without any named, text columns right to left, then numbers right to left
    (the first column, which names the row, always stays)."""
    if s.optional or s.key_value:
        return s.optional
    rest = [i for i in range(len(s.columns) - 1, 0, -1)]
    return tuple([i for i in rest if i not in s.numeric] + [i for i in rest if i in s.numeric])


def fit_columns(console: Any, s: Section) -> list[int]:
    """The columns to show: all of them, less the optional ones (in order) while the table is too wide."""
    keep = list(range(len(s.columns)))
    for drop in drop_order(s):
        if needed_width(s, keep) <= console.width or len(keep) <= 2:
            break
        keep.remove(drop)
    return keep


def _fitted(s: Section, keep: list[int]) -> Section:
    """The section as shown: a caption line names the columns left out at this width."""
    hidden = [s.columns[i] for i in range(len(s.columns)) if i not in keep and s.columns[i]]
    if not hidden:
        return s
    note = f"Not shown at this width: {', '.join(hidden)} (wider terminal, or --format csv/json/markdown)."
    return replace(s, caption=f"{s.caption} {note}" if s.caption else note)


def print_tables(console: Any, title: str, sections: Sequence[Section]) -> None:
    """Print sections as Rich tables, fitted to the console width; lines carry no trailing padding.

    Cell text is escaped: user strings are never markup. Numbers and their units never split across lines,
    ids are never wrapped (cut with an ellipsis at the very narrowest), and optional columns go first.
    """
    from rich.markup import escape

    with console.capture() as capture:
        console.print(f"[bold]{escape(title)}[/bold]")
        for s in sections:
            keep = fit_columns(console, s)
            console.print(_build_table(_fitted(s, keep), keep))
    text = capture.get().replace(_GLUE, " ")
    lines = [line.rstrip() for line in text.split("\n")]
    console.file.write("\n".join(lines))
    console.file.flush()

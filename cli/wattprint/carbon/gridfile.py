"""User grid files: every format ``--grid-file`` reads, recognised from the suffix and the header.

- wattprint YAML: one constant ``intensity_gco2e_per_kwh``, or a ``series`` of timestamped readings;
- CSV: ``timestamp`` and an intensity column, streamed in blocks (:mod:`wattprint.carbon.fastcsv`);
- vendor CSV exports, recognised from their header (:data:`CSV_LAYOUTS`): Electricity Maps, WattTime MOER;
- other vendor documents, by suffix (:data:`LOADERS`): UK Carbon Intensity API JSON.

A new vendor CSV export goes into :data:`CSV_LAYOUTS` (a function from the header to a :class:`CsvLayout`);
a new non-CSV format into :data:`LOADERS`, keyed by file suffix.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from wattprint.carbon.fastcsv import BLOCK_BYTES, fast_block, ts_layout
from wattprint.carbon.regions import Region
from wattprint.carbon.series import GridSeries, SeriesBuilder, intensity_value, parse_time
from wattprint.citation import Source
from wattprint.errors import WattprintError
from wattprint.yamlio import key_line, load_json, load_yaml

INTENSITY_COLUMNS = ("intensity_gco2e_per_kwh", "gco2e_per_kwh", "avg_ci", "carbon_intensity")
#: WattTime MOER is in lbs CO2 per MWh: 1 lb = 453.59237 g (exact), 1 MWh = 1000 kWh
LBS_PER_MWH_TO_G_PER_KWH = 0.45359237


def load_grid_file(path: str | Path, basis: str | None = None) -> Region | GridSeries:
    """A user grid file, recognised from its header: wattprint YAML (constant or ``series:``) or CSV,
    an Electricity Maps CSV export, a WattTime MOER CSV, or UK Carbon Intensity API JSON.

    ``basis`` ("lifecycle" or "direct") picks the column of a file that has both (Electricity Maps);
    the default is lifecycle. Results are cached by path, size and modification time.
    """
    from wattprint.limits import check_file

    path = Path(path)
    check_file(path, "grid file")
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, basis)
    hit = _GRID_CACHE.get(key)
    if hit is not None:
        return hit
    loader = LOADERS.get(path.suffix.lower())
    result = loader(path) if loader is not None else _load_grid_csv(path, basis)
    _GRID_CACHE.clear()  # one file at a time: a 10M-row series is big
    _GRID_CACHE[key] = result
    return result


_GRID_CACHE: dict[tuple[str, int, int, str | None], Region | GridSeries] = {}
#: YAML and JSON grid files are read whole: bounded tighter than streamed CSV (docs/limits.md)
MAX_TREE_GRID_BYTES = 2 << 20


def _check_tree_size(path: Path, what: str) -> None:
    size = path.stat().st_size
    if size > MAX_TREE_GRID_BYTES:
        raise WattprintError(
            f"{path}: {size:,} bytes is too big for a {what} grid file (limit {MAX_TREE_GRID_BYTES:,})",
            hint="write long series as CSV (timestamp,intensity_gco2e_per_kwh): CSV is read as a stream",
        )


def _load_grid_yaml(path: Path) -> Region | GridSeries:
    _check_tree_size(path, "YAML")
    data = load_yaml(path, "grid file")
    if not isinstance(data, dict):
        raise WattprintError(f"{path}: expected a mapping with 'intensity_gco2e_per_kwh' or 'series'")
    allowed = {"name", "intensity_gco2e_per_kwh", "series", "basis", "year", "source"}
    unknown = sorted(str(k) for k in set(data) - allowed)
    if unknown:
        raise WattprintError(f"{path}: unknown field {unknown[0]!r}", hint=f"allowed: {', '.join(sorted(allowed))}")
    basis = str(data.get("basis", "unknown"))
    if basis not in ("lifecycle", "direct", "unknown"):
        raise WattprintError(f"{path}: field 'basis' must be lifecycle, direct or unknown (got {basis!r})")
    name = str(data.get("name", path.stem))
    source = data.get("source")
    has_const = "intensity_gco2e_per_kwh" in data
    if has_const == ("series" in data):
        raise WattprintError(f"{path}: give exactly one of 'intensity_gco2e_per_kwh' or 'series'")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100):
        raise WattprintError(f"{path}: field 'year' must be a year such as 2023 (got {year!r})")
    if has_const:
        return Region(
            id=f"file:{path.name}",
            name=name,
            kind="file",
            intensity_gco2e_per_kwh=intensity_value(data["intensity_gco2e_per_kwh"],
                                                    f"{path}: field 'intensity_gco2e_per_kwh'"),
            year=year,
            basis=basis,
            source=Source("user", str(source or path), "user file", int(year or 0)) if source or year else None,
        )
    series = data["series"]
    if not isinstance(series, list):
        raise WattprintError(f"{path}: field 'series' must be a list of {{timestamp, intensity_gco2e_per_kwh}}")

    def locate(i: int) -> str:  # only called on error: composing the YAML again is fine then
        return f"{path}:{key_line(path, ('series', i)) or '?'}: series[{i}]"

    b = SeriesBuilder(str(path))
    for i, item in enumerate(series):
        if not isinstance(item, dict) or set(item) != {"timestamp", "intensity_gco2e_per_kwh"}:
            raise WattprintError(f"{locate(i)}: each item needs exactly 'timestamp' and 'intensity_gco2e_per_kwh'")
        try:
            raw = item["intensity_gco2e_per_kwh"]
            value = None if raw is None else intensity_value(raw, "")
            b.add(parse_time(item["timestamp"], ""), value, "", None)
        except WattprintError as exc:
            raise WattprintError(f"{locate(i)}{exc.message}", hint=exc.hint) from None
    return b.build(name, basis=basis, source=str(source) if source else None, format="wattprint YAML")


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().replace("₂", "2").split())


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV's readings are, and what they are: the columns, the factor to gCO2e/kWh, the metadata."""

    time_col: int
    value_col: int
    format: str  # how the file was read, as shown in the output
    factor: float = 1.0  # to gCO2e/kWh
    basis: str = "unknown"  # lifecycle | direct | unknown
    signal: str = "average"  # average | marginal
    source: str | None = None


#: A vendor CSV recogniser: (path, normalised header, basis asked for) -> its layout, or None when the
#: header is not that vendor's (an error when it is, but the file cannot be used).
CsvRecogniser = Callable[[Path, list[str], str | None], CsvLayout | None]


def _electricity_maps(path: Path, h: list[str], basis: str | None) -> CsvLayout | None:
    """Electricity Maps exports: 'Datetime (UTC)' and 'Carbon intensity gCO₂eq/kWh (direct)' / '(Life cycle)'
    ('(LCA)')."""
    if "datetime (utc)" not in h:
        return None
    cols = {}
    for i, c in enumerate(h):
        if c.startswith("carbon intensity gco2eq/kwh"):
            if c.endswith("(direct)"):
                cols["direct"] = i
            elif c.endswith("(life cycle)") or c.endswith("(lca)"):
                cols["lifecycle"] = i
    if not cols:
        raise WattprintError(f"{path}:1: an Electricity Maps export without a carbon intensity column")
    chosen = basis or "lifecycle"
    if chosen not in cols:
        raise WattprintError(f"{path}:1: this Electricity Maps export has no {chosen} column",
                             hint=f"use {{grid_basis}} {next(iter(cols))}", fields=("grid_basis",))
    return CsvLayout(h.index("datetime (utc)"), cols[chosen], f"Electricity Maps CSV export ({chosen} column)",
                     basis=chosen, source="Electricity Maps")


def _watttime(path: Path, h: list[str], basis: str | None) -> CsvLayout | None:
    """WattTime: 'point_time' and 'value' (MOER, lbs CO2/MWh)."""
    if "point_time" not in h or ("value" not in h and "moer" not in h):
        return None
    if basis == "lifecycle":
        raise WattprintError(f"{path}: a WattTime MOER series is direct (operating) emissions, not lifecycle")
    vi = h.index("value") if "value" in h else h.index("moer")
    return CsvLayout(h.index("point_time"), vi, "WattTime MOER CSV (lbs CO2/MWh, converted to g/kWh)",
                     factor=LBS_PER_MWH_TO_G_PER_KWH, basis="direct", signal="marginal", source="WattTime")


#: Vendor CSV exports, tried in order before wattprint's own CSV layout (timestamp + intensity column).
CSV_LAYOUTS: tuple[CsvRecogniser, ...] = (_electricity_maps, _watttime)


def _csv_layout(path: Path, header: list[str], basis: str | None) -> CsvLayout:
    """The layout of a CSV from its header: a vendor export's (:data:`CSV_LAYOUTS`), else wattprint's own."""
    h = [_norm(c) for c in header]
    for recognise in CSV_LAYOUTS:
        layout = recognise(path, h, basis)
        if layout is not None:
            return layout
    if "timestamp" not in h:
        raise WattprintError(f"{path}:1: no 'timestamp' column",
                             hint="the header needs timestamp and intensity_gco2e_per_kwh, or a vendor export's header")
    value_col = next((c for c in INTENSITY_COLUMNS if c in h), None)
    if value_col is None:
        raise WattprintError(
            f"{path}:1: no intensity column", hint=f"name one of: {', '.join(INTENSITY_COLUMNS)} (gCO2e/kWh)"
        )
    if basis is not None:
        raise WattprintError(f"{path}: {{grid_basis}} applies to files with both columns (Electricity Maps exports)",
                             field="grid_basis", value=basis)
    vi = h.index(value_col)
    return CsvLayout(h.index("timestamp"), vi, f"CSV (column {header[vi].strip()!r})")


def _load_grid_csv(path: Path, basis: str | None = None) -> GridSeries:
    """Stream a CSV in blocks of lines: values kept as packed doubles (a 10M-row file in ~80 MB)."""
    from wattprint.limits import open_checked

    with open_checked(path, "grid file", "rb") as fh:
        first = fh.readline()
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        try:
            header = next(csv.reader([first.decode("utf-8")]), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise WattprintError(f"{path}:1: not a CSV header ({exc})") from None
        if not header or not any(h.strip() for h in header):
            raise WattprintError(f"{path}: empty grid file")
        csv_layout = _csv_layout(path, header, basis)
        ti, vi, factor = csv_layout.time_col, csv_layout.value_col, csv_layout.factor
        size = path.stat().st_size
        probe = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
        per_line = max(len(probe) / max(probe.count(b"\n"), 1), 8.0)
        b = SeriesBuilder(str(path), expect=int(size / per_line * 1.02) + 16)
        label = f"column {header[vi].strip()!r}"
        lineno = 2  # of the first line of the next block
        layout: tuple[int, float] | None = None  # the timestamps' shape, from the first row, for the fast path
        probed = False
        rest = b""
        while True:
            chunk = fh.read(BLOCK_BYTES)
            data = rest + chunk
            if not data:
                break
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    rest = data
                    continue
                block, rest = data[:cut], data[cut:]
            else:
                block, rest = (data if data.endswith(b"\n") else data + b"\n"), b""
            if not probed:
                probed = True
                try:
                    row0 = next(csv.reader([block[: block.find(b"\n")].decode("utf-8")]), [])
                except (csv.Error, UnicodeDecodeError):
                    row0 = []
                layout = ts_layout(row0[ti]) if len(row0) > max(ti, vi) else None
            fast = fast_block(block, ti, vi, len(header), layout) if layout is not None else None
            if fast is not None:
                import numpy as np

                t, v = fast
                if factor != 1.0:
                    v = v * factor
                good = np.isnan(v) | ((v >= 0) & (v <= 5000))
                if good.all() and b.add_block(t, v, lineno):
                    lineno += len(t)
                    continue
            lineno = _rows(path, block, lineno, ti, vi, len(header), factor, label, b)
        if rest:
            lineno = _rows(path, rest + b"\n", lineno, ti, vi, len(header), factor, label, b)
    return b.build(path.stem, basis=csv_layout.basis, signal=csv_layout.signal, format=csv_layout.format,
                   source=csv_layout.source)


def _rows(path: Path, block: bytes, lineno: int, ti: int, vi: int, ncols: int, factor: float, label: str,
          b: SeriesBuilder) -> int:
    """The row-by-row path over a block of lines (exact messages); returns the next line number."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        near = lineno + block[: exc.start].count(b"\n")
        raise WattprintError(f"{path}:{near}: not UTF-8 text") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    need = max(ti, vi)
    utc = timezone.utc
    try:
        for row in csv.reader(lines):
            if len(row) <= need:
                if not row or not any(cell.strip() for cell in row):
                    lineno += 1
                    continue
                raise WattprintError(f"{path}:{lineno}: expected {ncols} columns, got {len(row)}")
            raw_t, raw_v = row[ti], row[vi]
            try:  # fast path: a plain ISO timestamp
                dt = datetime.fromisoformat(raw_t)
                t = (dt if dt.tzinfo is not None else dt.replace(tzinfo=utc)).timestamp()
            except (ValueError, OverflowError, OSError):
                t = parse_time(raw_t, f"{path}:{lineno}")
            if raw_v.strip():
                try:
                    v = float(raw_v) * factor
                except ValueError:
                    v = -1.0
                if not (0.0 <= v <= 5000.0):  # (NaN fails too)
                    shown = raw_v if factor == 1.0 or not _is_float(raw_v) else float(raw_v) * factor
                    v = intensity_value(shown, f"{path}:{lineno}: {label}")
            else:
                v = None
            b.add(t, v, f"{path}:{lineno}", lineno)
            lineno += 1
    except csv.Error as exc:
        raise WattprintError(f"{path}:{lineno}: malformed CSV ({exc})") from None
    return lineno





def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_uk_json(path: Path) -> GridSeries:
    """The UK Carbon Intensity API (api.carbonintensity.org.uk) national response:
    ``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``; 'actual' where
    published, else 'forecast' (counted in a note)."""
    _check_tree_size(path, "JSON")
    doc = load_json(path, "grid file")
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "intensity" not in data[0]:
        raise WattprintError(
            f"{path}: not a UK Carbon Intensity API response "
            f"(expected {{\"data\": [{{\"from\", \"to\", \"intensity\"}}]}})",
            hint="save the national /intensity/{from}/{to} response; regional responses are not supported",
        )
    b = SeriesBuilder(str(path))
    forecasts = 0
    for i, item in enumerate(data):
        where = f"{path}: data[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("intensity"), dict) or "from" not in item:
            raise WattprintError(f"{where}: each item needs 'from' and 'intensity'")
        ci = item["intensity"]
        value = ci.get("actual")
        if value is None and ci.get("forecast") is not None:
            value, forecasts = ci.get("forecast"), forecasts + 1
        v = None if value is None else intensity_value(value, f"{where}: intensity")
        b.add(parse_time(str(item["from"]), where), v, where, None)
    notes = (f"{forecasts} of {len(data)} half-hours are forecasts (no actual yet)",) if forecasts else ()
    return b.build(path.stem, basis="direct", signal="average", source="UK Carbon Intensity API (NESO)",
                   format="UK Carbon Intensity API JSON", notes=notes)


#: Grid files read whole, by suffix (any other suffix is a CSV, streamed: :func:`_load_grid_csv`).
LOADERS: dict[str, Callable[[Path], Region | GridSeries]] = {
    ".json": _load_uk_json,
    ".yaml": _load_grid_yaml,
    ".yml": _load_grid_yaml,
}

__all__ = [
    "CSV_LAYOUTS", "INTENSITY_COLUMNS", "LBS_PER_MWH_TO_G_PER_KWH", "LOADERS", "MAX_TREE_GRID_BYTES", "CsvLayout",
    "load_grid_file",
]

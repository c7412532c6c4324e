"""Grid carbon intensity: the shipped regions database, PUE defaults and user grid files.

Intensities are gCO2e per kWh. A region is either a yearly average from the
shipped data (``regions/regions.csv``) or a user grid file: one constant
intensity, or a time series at hourly or finer resolution.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from wattprint.citation import Source
from wattprint.datafiles import data_dir
from wattprint.errors import UnknownIdError, WattprintError
from wattprint.yamlio import key_line, load_yaml, read_text

DEFAULT_REGION = "world"
REGION_COLUMNS = "id,name,kind,aliases,parent,intensity_gco2e_per_kwh,year,basis,source,grid_location,note".split(",")
INTENSITY_COLUMNS = ("intensity_gco2e_per_kwh", "gco2e_per_kwh", "avg_ci", "carbon_intensity")


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    kind: str
    intensity_gco2e_per_kwh: float
    year: int | None
    basis: str  # "lifecycle" | "direct" | "unknown"
    source: Source | None
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    grid_location: str | None = None  # cloud region -> the grid region it sits in
    note: str | None = None

    @property
    def provider(self) -> str | None:
        if self.kind == "cloud":
            return self.id.split("-", 1)[0]
        return None


#: Gaps inside the run window up to this long are filled by linear interpolation (with a warning);
#: longer ones are an error naming the span. 6 hours: long enough for the isolated empty hours of
#: EIA-930-derived files, short enough that a straight line between two readings is still a fair
#: guess of a diurnal curve (docs/limits.md).
MAX_GAP_FILL_S = 6 * 3600
GAP_POLICIES = ("fill", "error")
#: WattTime MOER is in lbs CO2 per MWh: 1 lb = 453.59237 g (exact), 1 MWh = 1000 kWh
LBS_PER_MWH_TO_G_PER_KWH = 0.45359237


@dataclass(frozen=True)
class Gap:
    """Missing points ``first .. first + count - 1`` of a series; ``line`` names where the file says so."""

    first: int
    count: int
    fillable: bool  # short enough, with a reading on both sides
    line: int | None = None


@dataclass(frozen=True, eq=False)
class GridSeries:
    """An evenly spaced intensity series: point ``i`` starts at ``t0 + i * step_s`` and lasts ``step_s``.

    ``values`` holds the readings with short gaps filled by linear interpolation; the points of a
    gap that cannot be filled hold 0 and are never used (a window over them is an error).
    """

    name: str
    path: str
    t0: float  # POSIX seconds
    step_s: float
    values: Any  # numpy float64 array
    basis: str = "unknown"  # lifecycle | direct | unknown
    source: str | None = None
    signal: str = "average"  # average | marginal
    format: str = "wattprint CSV"
    gaps: tuple[Gap, ...] = ()
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.values)

    @property
    def times(self):
        import numpy as np

        return self.t0 + self.step_s * np.arange(len(self.values), dtype=np.float64)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.t0, timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self._t_end, timezone.utc)

    @property
    def _t_end(self) -> float:
        return self.t0 + self.step_s * len(self.values)

    @property
    def mean(self) -> float:
        import numpy as np

        return float(np.sum(self.values)) / len(self.values)  # (no prefix array: 8 bytes a point less)

    @cached_property
    def _prefix(self):
        """Cumulative integral (gCO2e/kWh x s) at the start of each interval (and at the end)."""
        import numpy as np

        out = np.empty(len(self.values) + 1, dtype=np.float64)
        out[0] = 0.0
        np.cumsum(self.values, out=out[1:])
        out *= self.step_s
        return out

    def _integral(self, t: float) -> float:
        n = len(self.values)
        i = min(max(int((t - self.t0) // self.step_s), 0), n - 1)
        return float(self._prefix[i] + self.values[i] * (t - (self.t0 + i * self.step_s)))

    def _check_inside(self, t0: float, t1: float) -> None:
        if t0 < self.t0 - 1e-6 or t1 > self._t_end + 1e-6:
            raise WattprintError(
                f"{self.path}: the run ({_iso(t0)} to {_iso(t1)}) extends beyond the grid series "
                f"({_iso(self.t0)} to {_iso(self._t_end)})",
                hint="pick a {start} inside the series or supply a longer series", fields=("start",),
            )

    # ------------------------------------------------------------------ gaps
    def _span(self, gap: Gap) -> str:
        a = self.t0 + gap.first * self.step_s
        b = a + gap.count * self.step_s
        what = f"{gap.count} missing point{'s' if gap.count != 1 else ''}"
        where = f" (line {gap.line})" if gap.line else ""
        return f"{_iso(a)} to {_iso(b)}, {what}{where}"

    def gaps_between(self, t0: float, t1: float) -> list[Gap]:
        """The gaps whose missing points overlap [t0, t1)."""
        lo = (t0 - self.t0) / self.step_s
        hi = (t1 - self.t0) / self.step_s
        return [g for g in self.gaps if g.first < hi - 1e-9 and g.first + g.count > lo + 1e-9]

    def window_warnings(self, t0: float, t1: float, gaps: str = "fill") -> tuple[str, ...]:
        """Check the gaps inside [t0, t1): an error when one cannot be filled (or ``gaps='error'``),
        else one warning naming the filled spans."""
        inside = self.gaps_between(t0, t1)
        if not inside:
            return ()
        for g in inside:
            if gaps == "error" or not g.fillable:
                why = (
                    "gaps are errors ({grid_gaps} error)" if gaps == "error"
                    else f"longer than {MAX_GAP_FILL_S / 3600:g} h or at the end of the series: not interpolated"
                )
                raise WattprintError(
                    f"{self.path}: gap in the grid series inside the run window: {self._span(g)}; {why}",
                    hint="fill it in the file, or pick a {start} whose run avoids it", fields=("start", "grid_gaps"),
                )
        spans = "; ".join(self._span(g) for g in inside[:3]) + (f"; and {len(inside) - 3} more" if len(inside) > 3 else "")
        return (f"{Path(self.path).name}: filled {len(inside)} gap(s) by linear interpolation: {spans}",)

    # ------------------------------------------------------------------ windows
    def average_over(self, start: datetime, hours: float) -> float:
        """Time-weighted mean intensity over [start, start + hours)."""
        if hours <= 0:
            raise WattprintError("run length must be > 0 hours to integrate a grid series")
        t0 = start.timestamp()
        t1 = t0 + hours * 3600.0
        self._check_inside(t0, t1)
        return (self._integral(t1) - self._integral(t0)) / (t1 - t0)

    def best_start(
        self, earliest: datetime, hours: float, window_hours: float | None, gaps: str = "fill"
    ) -> tuple[datetime, float]:
        """The start in [earliest, earliest + window] (on the series' steps) with the lowest mean intensity.

        Candidates are ``earliest`` and every series step after it whose run still fits in the series
        and does not cross a gap that cannot be used; all are scored at once from the prefix integral.
        """
        import numpy as np

        if hours <= 0:
            raise WattprintError("run length must be > 0 hours to search a start time")
        t_first = earliest.timestamp()
        run_s = hours * 3600.0
        self._check_inside(t_first, t_first + run_s)
        last_start = self._t_end - run_s
        if window_hours is not None:
            last_start = min(last_start, t_first + window_hours * 3600.0)
        n = len(self.values)
        blocking = [g for g in self.gaps if gaps == "error" or not g.fillable]
        bad_prefix = None  # prefix count of points a run must not cover (only when some exist)
        if blocking:
            bad = np.zeros(n, dtype=np.int32)
            for g in blocking:
                bad[g.first: g.first + g.count] = 1
            bad_prefix = np.concatenate((np.zeros(1, dtype=np.int32), np.cumsum(bad, dtype=np.int32)))
            del bad

        def run_ok(t: float) -> bool:
            if bad_prefix is None:
                return True
            i0 = int((t - self.t0) // self.step_s)
            i1 = int(math.ceil((t + run_s - self.t0) / self.step_s - 1e-9))
            return bad_prefix[min(i1, n)] - bad_prefix[max(i0, 0)] == 0

        best_t, best_mean = None, math.inf
        if run_ok(t_first):
            best_t, best_mean = t_first, (self._integral(t_first + run_s) - self._integral(t_first)) / run_s
        first_i = int(math.floor((t_first - self.t0) / self.step_s)) + 1
        last_i = int(math.floor((last_start - self.t0) / self.step_s + 1e-6))
        whole, frac = divmod(run_s, self.step_s)
        whole = int(whole)
        chunk = 1 << 20
        for a in range(max(first_i, 0), last_i + 1, chunk):
            i = np.arange(a, min(a + chunk, last_i + 1), dtype=np.int64)
            j = i + whole
            jj = np.minimum(j, n - 1)
            integ = self._prefix[j] + np.where(j < n, self.values[jj] * frac, 0.0) - self._prefix[i]
            if bad_prefix is not None:
                end_i = np.minimum(j + (1 if frac > 1e-9 else 0), n)
                ok = bad_prefix[end_i] - bad_prefix[i] == 0
                if not ok.any():
                    continue
                integ = np.where(ok, integ, np.inf)
            k = int(np.argmin(integ))  # first minimum: the earliest of equal starts
            mean = float(integ[k]) / run_s
            if mean < best_mean - 1e-12 * max(1.0, abs(best_mean)):
                best_t, best_mean = self.t0 + int(i[k]) * self.step_s, mean
        if best_t is None:
            raise WattprintError(
                f"{self.path}: every start in the window crosses a gap in the grid series that cannot be used",
                hint="fill the gaps in the file, or widen {window}", fields=("window",),
            )
        return datetime.fromtimestamp(best_t, timezone.utc), best_mean


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


# ----------------------------------------------------------------------------- shipped data


@cache
def data_sources() -> dict[str, Source]:
    path = data_dir("regions") / "sources.yaml"
    out = {}
    for item in load_yaml(path, "sources file") or []:
        out[item["id"]] = Source(
            id=item["id"],
            title=item["title"],
            publisher=item["publisher"],
            year=int(item["year"]),
            url=item.get("url"),
            licence=item.get("licence"),
        )
    return out


@dataclass(frozen=True)
class RegionDB:
    regions: dict[str, Region]
    aliases: dict[str, str]

    def get(self, key: str) -> Region:
        k = key.strip().lower()
        if k in self.regions:
            return self.regions[k]
        if k in self.aliases:
            return self.regions[self.aliases[k]]
        names = list(self.regions) + list(self.aliases)
        raise UnknownIdError("region", key, difflib.get_close_matches(k, names, n=3, cutoff=0.6))

    def search(self, text: str | None = None, kind: str | None = None) -> list[Region]:
        needle = (text or "").lower()
        out = []
        for r in self.regions.values():
            if kind and r.kind != kind:
                continue
            hay = " ".join((r.id, r.name.lower(), *r.aliases))
            if needle in hay:
                out.append(r)
        return out


@cache
def load_regions() -> RegionDB:
    path = data_dir("regions") / "regions.csv"
    sources = data_sources()
    reader = csv.DictReader(read_text(path, "regions file").splitlines())
    if reader.fieldnames != REGION_COLUMNS:
        raise WattprintError(f"{path}:1: unexpected header {reader.fieldnames}", hint="regenerate it with scripts/build_data.py")
    rows = list(reader)
    by_id = {row["id"]: row for row in rows}
    regions: dict[str, Region] = {}
    aliases: dict[str, str] = {}
    for row in rows:
        src_row = row
        if not row["intensity_gco2e_per_kwh"] and row["grid_location"]:
            src_row = by_id[row["grid_location"]]
        regions[row["id"]] = Region(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            intensity_gco2e_per_kwh=float(src_row["intensity_gco2e_per_kwh"]),
            year=int(src_row["year"]) if src_row["year"] else None,
            basis=src_row["basis"] or "unknown",
            source=sources.get(src_row["source"]),
            aliases=tuple(row["aliases"].split()),
            parent=row["parent"] or None,
            grid_location=row["grid_location"] or None,
            note=row["note"] or None,
        )
        for alias in row["aliases"].split():
            aliases[alias.lower()] = row["id"]
    return RegionDB(regions=regions, aliases=aliases)


@dataclass(frozen=True)
class PUEDefault:
    id: str
    name: str
    pue: float
    year: int
    source: Source | None


@cache
def pue_defaults() -> tuple[PUEDefault, dict[str, PUEDefault]]:
    """(global default, provider id -> default)."""
    data = load_yaml(data_dir("regions") / "pue.yaml", "PUE file")
    sources = data_sources()

    def make(item: dict) -> PUEDefault:
        return PUEDefault(item["id"], item["name"], float(item["pue"]), int(item["year"]), sources.get(item["source"]))

    return make(data["default"]), {p["id"]: make(p) for p in data.get("providers", [])}


# ----------------------------------------------------------------------------- user grid files


def _parse_time(text: str, where: str) -> float:
    raw = str(text).strip()
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise WattprintError(
                f"{where}: timestamp {raw!r} is not ISO 8601", hint="write e.g. 2022-07-01T00:00Z"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # naive timestamps are UTC (documented)
    try:
        return dt.timestamp()
    except (OverflowError, ValueError, OSError):
        raise WattprintError(f"{where}: timestamp {raw!r} is out of range") from None


def parse_start(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(_parse_time(text, "{start}"), timezone.utc)
    except WattprintError as exc:
        raise exc.about("start", text) from None


def _intensity(value: object, where: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise WattprintError(
            f"{where}: missing intensity value (a gap in the series)", hint="fill it, e.g. by interpolation"
        )
    if isinstance(value, bool):
        raise WattprintError(f"{where}: intensity {value!r} is not a number (gCO2e/kWh)")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise WattprintError(f"{where}: intensity {value!r} is not a number (gCO2e/kWh)") from None
    if not math.isfinite(x) or x < 0:
        raise WattprintError(f"{where}: intensity {value!r} must be a finite number >= 0 (gCO2e/kWh)")
    if x > 5000:
        raise WattprintError(
            f"{where}: intensity {x:g} gCO2e/kWh is implausible (coal is about 1000)",
            hint="the unit is gCO2e/kWh; convert from lb/MWh or kg/kWh",
        )
    return x


class _SeriesBuilder:
    """Collects (time, value) points as they stream in: checks order and step, records gaps.

    A missing value (``None``) or a run of missing timestamps is a gap; gaps are filled by linear
    interpolation when short enough (MAX_GAP_FILL_S) and read on both sides.
    """

    def __init__(self, path: str, expect: int = 1024):
        import numpy as np

        self.path = path
        self.buf = np.empty(max(expect, 16), dtype=np.float64)  # grown by 1/4 when full: no 2x peaks
        self.n = 0
        self.t0: float | None = None
        self.step: float | None = None
        self.t_prev: float | None = None
        self.gaps: list[list] = []  # [first, count, line]
        self.pending: tuple[float, float | None, int | None] | None = None

    def add(self, t: float, value: float | None, where: str, line: int | None) -> None:
        if self.t0 is None:
            self.t0, self.t_prev = t, t
            self._append(value, line)
            return
        delta = t - self.t_prev
        if delta == 0:
            raise WattprintError(f"{where}: duplicate timestamp {_iso(t)}")
        if delta < 0:
            raise WattprintError(f"{where}: timestamp {_iso(t)} is before the previous one; sort the series")
        if self.step is None:
            self.step = delta
            if delta > 3600:
                raise WattprintError(f"{self.path}: series step is {delta / 3600:g} h; use hourly or finer resolution")
        elif delta != self.step:
            k = delta / self.step
            if abs(k - round(k)) > 1e-6:
                raise WattprintError(
                    f"{where}: irregular step at {_iso(t)} ({delta / 60:g} min after the previous point; the series "
                    f"step is {self.step / 60:g} min)",
                    hint="the series must be evenly spaced (missing points are fine: they are gaps)",
                )
            missing = int(round(k)) - 1
            first = self.n
            self._extend_zeros(missing)
            self._gap(first, missing, line)
        self.t_prev = t
        self._append(value, line)

    def _append(self, value: float | None, line: int | None) -> None:
        if value is None:
            self._gap(self.n, 1, line)
            self._push(0.0)
        else:
            self._push(value)

    def _room(self, extra: int) -> None:
        if self.n + extra > len(self.buf):
            import numpy as np

            new = np.empty(max(self.n + extra, len(self.buf) + len(self.buf) // 4 + 16), dtype=np.float64)
            new[: self.n] = self.buf[: self.n]
            self.buf = new

    def _push(self, value: float) -> None:
        if self.n >= len(self.buf):
            self._room(1)
        self.buf[self.n] = value
        self.n += 1

    def _extend_zeros(self, count: int) -> None:
        self._room(count)
        self.buf[self.n: self.n + count] = 0.0
        self.n += count

    def _gap(self, first: int, count: int, line: int | None) -> None:
        if self.gaps and self.gaps[-1][0] + self.gaps[-1][1] == first:
            self.gaps[-1][1] += count  # one span
        else:
            self.gaps.append([first, count, line])

    def add_block(self, t, v, first_line: int) -> bool:
        """Add rows at once (numpy times and values, NaN = empty); False (nothing added) when the block
        needs the row-by-row path (an irregular step, a duplicate, a step above an hour...)."""
        import numpy as np

        n = len(t)
        if self.t0 is None:
            if n < 2:
                return False
            step = float(t[1] - t[0])
            prev = float(t[0]) - step
        else:
            step = self.step if self.step is not None else float(t[0]) - self.t_prev
            prev = self.t_prev
        if not (0 < step <= 3600):
            return False
        rel = (t - prev) / step
        k = np.rint(rel)
        if (np.abs(rel - k) > 1e-6).any() or (np.diff(k, prepend=0.0) <= 0).any():
            return False
        if self.t0 is None:
            self.t0 = float(t[0])
        self.step = step
        pos = k.astype(np.int64) - 1
        out = np.full(int(pos[-1]) + 1, np.nan)
        out[pos] = v
        missing = np.isnan(out)
        if missing.any():
            base = self.n
            idx = np.flatnonzero(missing)
            breaks = np.flatnonzero(np.diff(idx) != 1) + 1
            for run in np.split(idx, breaks):
                row = int(np.searchsorted(pos, run[0]))
                self._gap(base + int(run[0]), len(run), first_line + row)
            out[missing] = 0.0
        self._room(len(out))
        self.buf[self.n: self.n + len(out)] = out
        self.n += len(out)
        self.t_prev = float(t[-1])
        return True

    def build(self, name: str, **meta: Any) -> GridSeries:
        import numpy as np

        if self.n < 2 or self.step is None:
            raise WattprintError(f"{self.path}: a time series needs at least 2 points")
        values = self.buf[: self.n] if self.n == len(self.buf) or self.n > 0.9 * len(self.buf) else self.buf[: self.n].copy()
        n = len(values)
        gaps = []
        for first, count, line in self.gaps:
            end = first + count
            fillable = first > 0 and end < n and count * self.step <= MAX_GAP_FILL_S
            if fillable:
                a, b = values[first - 1], values[end]
                values[first:end] = a + (b - a) * np.arange(1, count + 1) / (count + 1)
            gaps.append(Gap(first, count, fillable, line))
        return GridSeries(name=name, path=self.path, t0=self.t0, step_s=self.step, values=values,
                          gaps=tuple(gaps), **meta)


def load_grid_file(path: Path, basis: str | None = None) -> Region | GridSeries:
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
    suffix = path.suffix.lower()
    if suffix == ".json":
        result = _load_uk_json(path)
    elif suffix in (".yaml", ".yml"):
        result = _load_grid_yaml(path)
    else:
        result = _load_grid_csv(path, basis)
    _GRID_CACHE.clear()  # one file at a time: a 10M-row series is big
    _GRID_CACHE[key] = result
    return result


_GRID_CACHE: dict = {}
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
    unknown = sorted((str(k) for k in set(data) - allowed))
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
            intensity_gco2e_per_kwh=_intensity(data["intensity_gco2e_per_kwh"], f"{path}: field 'intensity_gco2e_per_kwh'"),
            year=year,
            basis=basis,
            source=Source("user", str(source or path), "user file", int(year or 0)) if source or year else None,
        )
    series = data["series"]
    if not isinstance(series, list):
        raise WattprintError(f"{path}: field 'series' must be a list of {{timestamp, intensity_gco2e_per_kwh}}")

    def locate(i: int) -> str:  # only called on error: composing the YAML again is fine then
        return f"{path}:{key_line(path, ('series', i)) or '?'}: series[{i}]"

    b = _SeriesBuilder(str(path))
    for i, item in enumerate(series):
        if not isinstance(item, dict) or set(item) != {"timestamp", "intensity_gco2e_per_kwh"}:
            raise WattprintError(f"{locate(i)}: each item needs exactly 'timestamp' and 'intensity_gco2e_per_kwh'")
        try:
            raw = item["intensity_gco2e_per_kwh"]
            value = None if raw is None else _intensity(raw, "")
            b.add(_parse_time(item["timestamp"], ""), value, "", None)
        except WattprintError as exc:
            raise WattprintError(f"{locate(i)}{exc.message}", hint=exc.hint) from None
    return b.build(name, basis=basis, source=str(source) if source else None, format="wattprint YAML")


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().replace("₂", "2").split())


def _csv_layout(path: Path, header: list[str], basis: str | None) -> tuple[int, int, float, dict]:
    """(time column, value column, unit factor, series metadata) from a CSV header."""
    h = [_norm(c) for c in header]
    # Electricity Maps exports: 'Datetime (UTC)' and 'Carbon intensity gCO₂eq/kWh (direct)' / '(Life cycle)' ('(LCA)')
    if "datetime (utc)" in h:
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
        return h.index("datetime (utc)"), cols[chosen], 1.0, {
            "basis": chosen, "signal": "average", "format": f"Electricity Maps CSV export ({chosen} column)",
            "source": "Electricity Maps"}
    # WattTime: 'point_time' and 'value' (MOER, lbs CO2/MWh)
    if "point_time" in h and ("value" in h or "moer" in h):
        if basis == "lifecycle":
            raise WattprintError(f"{path}: a WattTime MOER series is direct (operating) emissions, not lifecycle")
        vi = h.index("value") if "value" in h else h.index("moer")
        return h.index("point_time"), vi, LBS_PER_MWH_TO_G_PER_KWH, {
            "basis": "direct", "signal": "marginal", "source": "WattTime",
            "format": "WattTime MOER CSV (lbs CO2/MWh, converted to g/kWh)"}
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
    return h.index("timestamp"), h.index(value_col), 1.0, {"basis": "unknown", "signal": "average",
                                                            "format": f"CSV (column {header[h.index(value_col)].strip()!r})"}


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
        ti, vi, factor, meta = _csv_layout(path, header, basis)
        size = path.stat().st_size
        probe = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
        per_line = max(len(probe) / max(probe.count(b"\n"), 1), 8.0)
        b = _SeriesBuilder(str(path), expect=int(size / per_line * 1.02) + 16)
        label = f"column {header[vi].strip()!r}"
        lineno = 2  # of the first line of the next block
        layout = None
        rest = b""
        while True:
            chunk = fh.read(_BLOCK_BYTES)
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
            if layout is None:
                try:
                    row0 = next(csv.reader([block[: block.find(b"\n")].decode("utf-8")]), [])
                except (csv.Error, UnicodeDecodeError):
                    row0 = []
                layout = (_ts_layout(row0[ti]) if len(row0) > max(ti, vi) else None) or False
            fast = _fast_block(block, ti, vi, len(header), layout) if layout else None
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
    return b.build(path.stem, **meta)


def _rows(path: Path, block: bytes, lineno: int, ti: int, vi: int, ncols: int, factor: float, label: str,
          b: "_SeriesBuilder") -> int:
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
                t = _parse_time(raw_t, f"{path}:{lineno}")
            if raw_v.strip():
                try:
                    v = float(raw_v) * factor
                except ValueError:
                    v = -1.0
                if not (0.0 <= v <= 5000.0):  # (NaN fails too)
                    shown = raw_v if factor == 1.0 or not _is_float(raw_v) else float(raw_v) * factor
                    v = _intensity(shown, f"{path}:{lineno}: {label}")
            else:
                v = None
            b.add(t, v, f"{path}:{lineno}", lineno)
            lineno += 1
    except csv.Error as exc:
        raise WattprintError(f"{path}:{lineno}: malformed CSV ({exc})") from None
    return lineno




# ----------------------------------------------------------------------------- fast CSV path
#
# A grid CSV of millions of rows is parsed in blocks of lines with numpy: field boundaries from
# the byte positions of commas and newlines, timestamps through numpy's ISO parser, numbers by a
# digit-by-digit accumulation (exact for up to 15 significant digits: the integer and its power of
# ten are both exact doubles, so one division rounds like float()). A block that does not fit
# the simple shape (quotes, blank lines, ragged rows, odd timestamps, a bad value, an irregular
# step) goes through the row-by-row path instead, which gives the exact error message.

_BLOCK_BYTES = 8 << 20


def _ts_layout(sample: str) -> tuple[int, float] | None:
    """(length of the 'YYYY-MM-DDTHH:MM[:SS]' part, offset seconds of the suffix) for a timestamp."""
    import numpy as np

    s = sample.strip()
    if len(s) < 16 or s[4] != "-" or s[7] != "-" or s[10] not in "T " or s[13] != ":":
        return None
    base = 19 if len(s) >= 19 and s[16] == ":" else 16
    try:
        py = _parse_time(s, "")
        np_t = np.array([s[:base].replace(" ", "T")], dtype="S").astype("datetime64[s]").astype(np.int64)[0]
    except (WattprintError, ValueError):
        return None
    return base, py - float(np_t)


def _parse_numbers(mat, widths):
    """Decimal numbers from a (rows, W) byte matrix padded with spaces; None when not plain decimals."""
    import numpy as np

    d = mat.astype(np.int16) - 48  # digits 0..9, '.' -2, ' ' -16
    digit = (d >= 0) & (d <= 9)
    dot = d == -2
    if not (digit | dot | (d == -16)).all():
        return None
    ndig = digit.sum(axis=1, dtype=np.int16)
    ndot = dot.sum(axis=1, dtype=np.int16)
    if (ndot > 1).any() or (ndig > 15).any() or (ndig == 0).any() or ((ndig + ndot) != widths).any():
        return None  # (the last: a space inside a value)
    acc = np.zeros(mat.shape[0], dtype=np.int64)
    for j in range(mat.shape[1]):
        col = digit[:, j]
        acc[col] = acc[col] * 10 + d[col, j]
    dot_at = np.where(ndot > 0, dot.argmax(axis=1), widths)
    frac = np.where(ndot > 0, widths - dot_at - 1, 0)
    return acc.astype(np.float64) / (10.0 ** frac)


def _fast_block(buf: bytes, ti: int, vi: int, ncols: int, layout):
    """(times, values with NaN for empty) for a block of complete lines, or None to go row by row."""
    import numpy as np

    b = np.frombuffer(buf, dtype=np.uint8)
    if (b == 34).any() or (b == 13).any():
        return None  # quotes or CRLF: the csv module handles them
    nl = np.flatnonzero(b == 10)
    n = len(nl)
    if n == 0:
        return None
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    k = ncols - 1
    cm = np.flatnonzero(b == 44)
    if len(cm) != n * k:
        return None
    cm = cm.reshape(n, k) if k else np.empty((n, 0), dtype=np.int64)
    if k and ((cm[:, 0] < starts).any() or (cm[:, -1] > nl).any()):
        return None

    def field(i):
        a = starts if i == 0 else cm[:, i - 1] + 1
        e = nl if i == k else cm[:, i]
        return a, e

    ta, te = field(ti)
    base, offset = layout
    tw = te - ta
    w0 = int(tw[0])
    if w0 < base or (tw != w0).any():
        return None
    pad = np.concatenate((b, np.full(64, 32, dtype=np.uint8)))  # room for the last field's window
    windows = np.lib.stride_tricks.sliding_window_view(pad, w0)
    tmat = windows[ta]
    if w0 > base and (tmat[:, base:] != tmat[0, base:]).any():
        return None  # a different suffix (time zone) on some row
    tb = tmat[:, :base].copy()
    tb[:, 10] = 84  # 'T'
    try:
        t = tb.view(f"S{base}").ravel().astype("datetime64[s]").astype(np.int64).astype(np.float64) + offset
    except ValueError:
        return None
    va, ve = field(vi)
    vw = ve - va
    W = int(vw.max()) if n else 0
    if W == 0:
        return t, np.full(n, np.nan)
    if W > 48:
        return None
    vmat = np.lib.stride_tricks.sliding_window_view(pad, W)[va]
    inside = np.arange(W)[None, :] < vw[:, None]
    if not inside.all():
        vmat = np.where(inside, vmat, np.uint8(32))
    empty = vw == 0
    vmat[empty, 0] = 48  # '0', replaced by NaN below
    vals = _parse_numbers(vmat, np.maximum(vw, 1))
    if vals is None:
        return None
    vals[empty] = np.nan
    return t, vals


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
    import json

    from wattprint.yamlio import read_text

    _check_tree_size(path, "JSON")
    text = read_text(path, "grid file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WattprintError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise WattprintError(f"{path}: JSON nested too deeply") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "intensity" not in data[0]:
        raise WattprintError(
            f"{path}: not a UK Carbon Intensity API response (expected {{\"data\": [{{\"from\", \"to\", \"intensity\"}}]}})",
            hint="save the national /intensity/{from}/{to} response; regional responses are not supported",
        )
    b = _SeriesBuilder(str(path))
    forecasts = 0
    for i, item in enumerate(data):
        where = f"{path}: data[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("intensity"), dict) or "from" not in item:
            raise WattprintError(f"{where}: each item needs 'from' and 'intensity'")
        ci = item["intensity"]
        value = ci.get("actual")
        if value is None and ci.get("forecast") is not None:
            value, forecasts = ci.get("forecast"), forecasts + 1
        v = None if value is None else _intensity(value, f"{where}: intensity")
        b.add(_parse_time(str(item["from"]), where), v, where, None)
    notes = (f"{forecasts} of {len(data)} half-hours are forecasts (no actual yet)",) if forecasts else ()
    return b.build(path.stem, basis="direct", signal="average", source="UK Carbon Intensity API (NESO)",
                   format="UK Carbon Intensity API JSON", notes=notes)


# ----------------------------------------------------------------------------- choosing the figures


@dataclass(frozen=True)
class GridChoice:
    """The intensity an estimate uses, and where it came from."""

    intensity_gco2e_per_kwh: float
    label: str  # region id, file name or "explicit"
    name: str
    kind: str  # "region" | "explicit" | "grid-file" | "grid-series"
    basis: str
    year: int | None
    source: str | None
    is_default: bool = False
    grid_location: str | None = None
    provider: str | None = None
    note: str | None = None
    signal: str = "average"  # average | marginal (a WattTime MOER series)
    warnings: tuple[str, ...] = ()  # e.g. gaps filled by interpolation inside the run window
    format: str | None = None  # how a grid file was read (its recognised format)


def choose_grid(
    *,
    region: str | None = None,
    intensity: float | None = None,
    grid_file: str | Path | None = None,
    start: datetime | None = None,
    hours: float | None = None,
    gaps: str = "fill",
    basis: str | None = None,
) -> GridChoice:
    """Explicit intensity, else a grid file, else a region (default ``world``, flagged as default).

    ``gaps`` ('fill' or 'error') and ``basis`` ('lifecycle' or 'direct') apply to grid series files.
    """
    if gaps not in GAP_POLICIES:
        raise WattprintError(f"gap policy {gaps!r} is not one of {', '.join(GAP_POLICIES)}")
    if basis not in (None, "lifecycle", "direct"):
        raise WattprintError(f"grid basis {basis!r} is not lifecycle or direct")
    if basis is not None and grid_file is None:
        raise WattprintError("a grid basis (lifecycle or direct) applies only to a {grid_file}", field="grid_basis",
                             value=basis, fields=("grid_file",))
    given = [x for x in (region, intensity, grid_file) if x is not None]
    if len(given) > 1:
        raise WattprintError("give only one of {region}, {intensity} or {grid_file}",
                             fields=("region", "intensity", "grid_file"))
    if start is not None and grid_file is None:
        raise WattprintError("{start} needs an hourly {grid_file} to integrate over", field="start", value=start,
                             fields=("grid_file",))
    if intensity is not None:
        try:
            value = _intensity(intensity, "{intensity}")
        except WattprintError as exc:
            raise exc.about("intensity", intensity) from None
        return GridChoice(value, "explicit", "explicit intensity", "explicit", "unknown", None, "given by the user")
    if grid_file is not None:
        grid = load_grid_file(Path(grid_file), basis)
        if isinstance(grid, GridSeries):
            if start is not None and hours is not None:
                t0 = start.timestamp()
                grid._check_inside(t0, t0 + hours * 3600.0)
                warnings = grid.window_warnings(t0, t0 + hours * 3600.0, gaps)
                value = grid.average_over(start, hours)
                note = f"hour-by-hour over {_iso(t0)} + {hours:g} h"
            else:
                warnings = grid.window_warnings(grid.t0, grid._t_end, gaps)
                value = grid.mean
                note = f"mean of the series {_iso(grid.t0)} to {_iso(grid._t_end)}"
                if start is not None:
                    note += " (no run length to integrate over)"
            note += f"; {grid.signal}, {grid.basis}; read as {grid.format}"
            if grid.notes:
                note += "; " + "; ".join(grid.notes)
            return GridChoice(value, Path(grid_file).name, grid.name, "grid-series", grid.basis, None, grid.source,
                              note=note, signal=grid.signal, warnings=warnings, format=grid.format)
        if start is not None:
            raise WattprintError(f"{grid_file}: {{start}} needs a time series, but this grid file is one constant",
                                 field="start", value=start)
        return GridChoice(
            grid.intensity_gco2e_per_kwh,
            Path(grid_file).name,
            grid.name,
            "grid-file",
            grid.basis,
            grid.year,
            grid.source.title if grid.source else None,
        )
    r = load_regions().get(region or DEFAULT_REGION)
    return GridChoice(
        r.intensity_gco2e_per_kwh,
        r.id,
        r.name,
        "region",
        r.basis,
        r.year,
        r.source.cite() if r.source else None,
        is_default=region is None,
        grid_location=r.grid_location,
        provider=r.provider,
        note=r.note,
    )


@dataclass(frozen=True)
class PUEChoice:
    pue: float
    basis: str  # "given", or the default used (as shown)
    source: str | None
    year: int | None
    #: given by the user (exact), not a default (a range applies)
    given: bool = False


def choose_pue(pue: float | None = None, provider: str | None = None) -> PUEChoice:
    """Explicit PUE, else the provider's published default, else the global average."""
    if pue is not None:
        if not (math.isfinite(pue) and pue >= 1.0):
            raise WattprintError(f"PUE {pue!r} is invalid", hint="PUE is facility energy / IT energy, so >= 1.0")
        return PUEChoice(pue, "given", None, None, given=True)
    default, providers = pue_defaults()
    if provider is not None:
        p = providers.get(provider.lower())
        if p is None:
            raise UnknownIdError("provider", provider, difflib.get_close_matches(provider.lower(), list(providers)))
        chosen = p
        basis = f"{p.name} published average"
    else:
        chosen = default
        basis = f"default: {default.name}"
    return PUEChoice(chosen.pue, basis, chosen.source.cite() if chosen.source else None, chosen.year)

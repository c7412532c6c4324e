"""Grid carbon intensity: the shipped regions database, PUE defaults and user grid files.

Intensities are gCO2e per kWh. A region is either a yearly average from the
shipped data (``regions/regions.csv``) or a user grid file: one constant
intensity, or a time series at hourly or finer resolution.
"""

from __future__ import annotations

import csv
import difflib
import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, cached_property
from pathlib import Path

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


@dataclass(frozen=True)
class GridSeries:
    """An intensity time series: ``times[i]`` starts an interval of ``step`` seconds."""

    name: str
    path: str
    times: tuple[float, ...]  # POSIX seconds, sorted, evenly spaced
    values: tuple[float, ...]
    step_s: float
    basis: str = "unknown"
    source: str | None = None

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.times[0], timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.times[-1] + self.step_s, timezone.utc)

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    @cached_property
    def _prefix(self) -> tuple[float, ...]:
        """Cumulative integral (gCO2e/kWh x s) at the start of each interval."""
        out, acc = [0.0], 0.0
        for v in self.values:
            acc += v * self.step_s
            out.append(acc)
        return tuple(out)

    def _integral(self, t: float) -> float:
        i = min(max(bisect_right(self.times, t) - 1, 0), len(self.values) - 1)
        return self._prefix[i] + self.values[i] * (t - self.times[i])

    def _check_inside(self, t0: float, t1: float) -> None:
        if t0 < self.times[0] - 1e-6 or t1 > self.times[-1] + self.step_s + 1e-6:
            raise WattprintError(
                f"{self.path}: the run ({_iso(t0)} to {_iso(t1)}) extends beyond the grid series "
                f"({_iso(self.times[0])} to {_iso(self.times[-1] + self.step_s)})",
                hint="pick a --start inside the series or supply a longer series",
            )

    def average_over(self, start: datetime, hours: float) -> float:
        """Time-weighted mean intensity over [start, start + hours)."""
        if hours <= 0:
            raise WattprintError("run length must be > 0 hours to integrate a grid series")
        t0 = start.timestamp()
        t1 = t0 + hours * 3600.0
        self._check_inside(t0, t1)
        return (self._integral(t1) - self._integral(t0)) / (t1 - t0)

    def best_start(self, earliest: datetime, hours: float, window_hours: float | None) -> tuple[datetime, float]:
        """The start in [earliest, earliest + window] (on the series' steps) with the lowest mean intensity.

        Candidates are ``earliest`` and every series timestamp after it whose run still fits in the
        series; each costs O(log n) through the prefix integral.
        """
        if hours <= 0:
            raise WattprintError("run length must be > 0 hours to search a start time")
        t_first = earliest.timestamp()
        run_s = hours * 3600.0
        self._check_inside(t_first, t_first + run_s)
        last_start = self.times[-1] + self.step_s - run_s
        if window_hours is not None:
            last_start = min(last_start, t_first + window_hours * 3600.0)
        candidates = [t_first] + [t for t in self.times[bisect_right(self.times, t_first):] if t <= last_start + 1e-6]
        best = min(candidates, key=lambda t: (self._integral(t + run_s) - self._integral(t), t))
        mean = (self._integral(best + run_s) - self._integral(best)) / run_s
        return datetime.fromtimestamp(best, timezone.utc), mean


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
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WattprintError(
            f"{where}: timestamp {raw!r} is not ISO 8601", hint="write e.g. 2022-07-01T00:00Z"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # naive timestamps are UTC (documented)
    return dt.timestamp()


def parse_start(text: str) -> datetime:
    return datetime.fromtimestamp(_parse_time(text, "--start"), timezone.utc)


def _intensity(value: object, where: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise WattprintError(
            f"{where}: missing intensity value (a gap in the series)", hint="fill it, e.g. by interpolation"
        )
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise WattprintError(f"{where}: intensity {value!r} is not a number (gCO2e/kWh)") from None
    if not math.isfinite(x) or x < 0:
        raise WattprintError(f"{where}: intensity {value!r} must be a finite number >= 0 (gCO2e/kWh)")
    if x > 5000:
        raise WattprintError(
            f"{where}: intensity {x:g} gCO2e/kWh is implausible (coal is about 1000)",
            hint="the unit is gCO2e/kWh; convert from lb/MWh or kg/kWh",
        )
    return x


def _series(
    name: str, path: str, points: list[tuple[float, float]], locate, basis: str, source: str | None
) -> GridSeries:
    """Validate and build a series; ``locate(i)`` names point i's place in the file (for errors)."""
    if len(points) < 2:
        raise WattprintError(f"{path}: a time series needs at least 2 points")
    step = points[1][0] - points[0][0]
    for i in range(1, len(points)):
        t_prev, t = points[i - 1][0], points[i][0]
        if t == t_prev:
            raise WattprintError(f"{locate(i)}: duplicate timestamp {_iso(t)}")
        if t < t_prev:
            raise WattprintError(f"{locate(i)}: timestamp {_iso(t)} is before the previous one; sort the series")
        if abs((t - t_prev) - step) > 1e-6:
            raise WattprintError(
                f"{locate(i)}: gap or irregular step at {_iso(t)} ({(t - t_prev) / 60:g} min after the previous "
                f"point; the series step is {step / 60:g} min)",
                hint="fill the gap: the series must be evenly spaced",
            )
    if step > 3600:
        raise WattprintError(f"{path}: series step is {step / 3600:g} h; use hourly or finer resolution")
    return GridSeries(
        name=name,
        path=path,
        times=tuple(p[0] for p in points),
        values=tuple(p[1] for p in points),
        step_s=step,
        basis=basis,
        source=source,
    )


def load_grid_file(path: Path) -> Region | GridSeries:
    """A user grid file: YAML (constant or ``series:``) or CSV (timestamp + intensity columns)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _load_grid_csv(path)
    data = load_yaml(path, "grid file")
    if not isinstance(data, dict):
        raise WattprintError(f"{path}: expected a mapping with 'intensity_gco2e_per_kwh' or 'series'")
    allowed = {"name", "intensity_gco2e_per_kwh", "series", "basis", "year", "source"}
    unknown = sorted(set(data) - allowed)
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
    if has_const:
        year = data.get("year")
        return Region(
            id=f"file:{path.name}",
            name=name,
            kind="file",
            intensity_gco2e_per_kwh=_intensity(data["intensity_gco2e_per_kwh"], f"{path}: field 'intensity_gco2e_per_kwh'"),
            year=int(year) if year is not None else None,
            basis=basis,
            source=Source("user", str(source or path), "user file", int(year or 0)) if source or year else None,
        )
    series = data["series"]
    if not isinstance(series, list):
        raise WattprintError(f"{path}: field 'series' must be a list of {{timestamp, intensity_gco2e_per_kwh}}")
    def locate(i: int) -> str:  # only called on error: composing the YAML again is fine then
        return f"{path}:{key_line(path, ('series', i)) or '?'}: series[{i}]"

    points = []
    for i, item in enumerate(series):
        if not isinstance(item, dict) or set(item) != {"timestamp", "intensity_gco2e_per_kwh"}:
            raise WattprintError(f"{locate(i)}: each item needs exactly 'timestamp' and 'intensity_gco2e_per_kwh'")
        try:
            points.append((_parse_time(item["timestamp"], ""), _intensity(item["intensity_gco2e_per_kwh"], "")))
        except WattprintError as exc:
            raise WattprintError(f"{locate(i)}{exc.message}", hint=exc.hint) from None
    return _series(name, str(path), points, locate, basis, str(source) if source else None)


def _load_grid_csv(path: Path) -> GridSeries:
    lines = read_text(path, "grid file").splitlines()
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise WattprintError(f"{path}: empty grid file") from None
    if "timestamp" not in header:
        raise WattprintError(f"{path}:1: no 'timestamp' column", hint="the header needs timestamp and intensity_gco2e_per_kwh")
    value_col = next((c for c in INTENSITY_COLUMNS if c in header), None)
    if value_col is None:
        raise WattprintError(
            f"{path}:1: no intensity column", hint=f"name one of: {', '.join(INTENSITY_COLUMNS)} (gCO2e/kWh)"
        )
    ti, vi = header.index("timestamp"), header.index(value_col)
    points, linenos = [], []
    for lineno, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{lineno}"
        if len(row) <= max(ti, vi):
            raise WattprintError(f"{where}: expected {len(header)} columns, got {len(row)}")
        points.append((_parse_time(row[ti], where), _intensity(row[vi], f"{where}: column {value_col!r}")))
        linenos.append(lineno)
    return _series(path.stem, str(path), points, lambda i: f"{path}:{linenos[i]}", "unknown", None)


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


def choose_grid(
    *,
    region: str | None = None,
    intensity: float | None = None,
    grid_file: str | Path | None = None,
    start: datetime | None = None,
    hours: float | None = None,
) -> GridChoice:
    """Explicit intensity, else a grid file, else a region (default ``world``, flagged as default)."""
    given = [x for x in (region, intensity, grid_file) if x is not None]
    if len(given) > 1:
        raise WattprintError("give only one of --region, --intensity or --grid-file")
    if start is not None and grid_file is None:
        raise WattprintError("--start needs an hourly --grid-file to integrate over")
    if intensity is not None:
        value = _intensity(intensity, "--intensity")
        return GridChoice(value, "explicit", "explicit intensity", "explicit", "unknown", None, "given by the user")
    if grid_file is not None:
        grid = load_grid_file(Path(grid_file))
        if isinstance(grid, GridSeries):
            if start is not None and hours is not None:
                value = grid.average_over(start, hours)
                note = f"hour-by-hour over {_iso(start.timestamp())} + {hours:g} h"
            else:
                value = grid.mean
                note = f"mean of the series {_iso(grid.times[0])} to {_iso(grid.times[-1] + grid.step_s)}"
                if start is not None:
                    note += " (no run length to integrate over)"
            return GridChoice(value, Path(grid_file).name, grid.name, "grid-series", grid.basis, None, grid.source, note=note)
        if start is not None:
            raise WattprintError(f"{grid_file}: --start needs a time series, but this grid file is one constant")
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
    basis: str  # "given", or the default used
    source: str | None
    year: int | None


def choose_pue(pue: float | None = None, provider: str | None = None) -> PUEChoice:
    """Explicit PUE, else the provider's published default, else the global average."""
    if pue is not None:
        if not (math.isfinite(pue) and pue >= 1.0):
            raise WattprintError(f"PUE {pue!r} is invalid", hint="PUE is facility energy / IT energy, so >= 1.0")
        return PUEChoice(pue, "given", None, None)
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

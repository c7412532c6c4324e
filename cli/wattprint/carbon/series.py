"""Grid intensity time series: evenly spaced readings (gCO2e/kWh), their gaps, and windows over them.

:class:`GridSeries` is what a user grid file with a ``series`` becomes (:mod:`wattprint.carbon.gridfile`
reads the formats); :class:`SeriesBuilder` collects its points as they stream in. Also the checks every
reader shares: ISO 8601 timestamps and plausible intensity values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint.errors import WattprintError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

#: Gaps inside the run window up to this long are filled by linear interpolation (with a warning);
#: longer ones are an error naming the span. 6 hours: long enough for the isolated empty hours of
#: EIA-930-derived files, short enough that a straight line between two readings is still a fair
#: guess of a diurnal curve (docs/limits.md).
MAX_GAP_FILL_S = 6 * 3600
GAP_POLICIES = ("fill", "error")


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
    values: FloatArray  # float64, one reading a point
    basis: str = "unknown"  # lifecycle | direct | unknown
    source: str | None = None
    signal: str = "average"  # average | marginal
    format: str = "wattprint CSV"
    gaps: tuple[Gap, ...] = ()
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.values)

    @property
    def times(self) -> FloatArray:
        import numpy as np

        return self.t0 + self.step_s * np.arange(len(self.values), dtype=np.float64)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.t0, timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.t_end, timezone.utc)

    @property
    def t_end(self) -> float:
        return self.t0 + self.step_s * len(self.values)

    @property
    def mean(self) -> float:
        import numpy as np

        return float(np.sum(self.values)) / len(self.values)  # (no prefix array: 8 bytes a point less)

    @cached_property
    def _prefix(self) -> FloatArray:
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

    def check_inside(self, t0: float, t1: float) -> None:
        if t0 < self.t0 - 1e-6 or t1 > self.t_end + 1e-6:
            raise WattprintError(
                f"{self.path}: the run ({fmt_time(t0)} to {fmt_time(t1)}) extends beyond the grid series "
                f"({fmt_time(self.t0)} to {fmt_time(self.t_end)})",
                hint="pick a {start} inside the series or supply a longer series", fields=("start",),
            )

    # ------------------------------------------------------------------ gaps
    def _span(self, gap: Gap) -> str:
        a = self.t0 + gap.first * self.step_s
        b = a + gap.count * self.step_s
        what = f"{gap.count} missing point{'s' if gap.count != 1 else ''}"
        where = f" (line {gap.line})" if gap.line else ""
        return f"{fmt_time(a)} to {fmt_time(b)}, {what}{where}"

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
        more = f"; and {len(inside) - 3} more" if len(inside) > 3 else ""
        spans = "; ".join(self._span(g) for g in inside[:3]) + more
        return (f"{Path(self.path).name}: filled {len(inside)} gap(s) by linear interpolation: {spans}",)

    # ------------------------------------------------------------------ windows
    def average_over(self, start: datetime, hours: float) -> float:
        """Time-weighted mean intensity over [start, start + hours)."""
        if hours <= 0:
            raise WattprintError("run length must be > 0 hours to integrate a grid series")
        t0 = start.timestamp()
        t1 = t0 + hours * 3600.0
        self.check_inside(t0, t1)
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
        self.check_inside(t_first, t_first + run_s)
        last_start = self.t_end - run_s
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
            return bool(bad_prefix[min(i1, n)] - bad_prefix[max(i0, 0)] == 0)

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


def fmt_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")



def parse_time(text: str, where: str) -> float:
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
        return datetime.fromtimestamp(parse_time(text, "{start}"), timezone.utc)
    except WattprintError as exc:
        raise exc.about("start", text) from None


def intensity_value(value: object, where: str) -> float:
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



class SeriesBuilder:
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
        self.t_prev = 0.0  # the last point's time (once t0 is set)
        self.gaps: list[tuple[int, int, int | None]] = []  # (first, count, line)

    def add(self, t: float, value: float | None, where: str, line: int | None) -> None:
        if self.t0 is None:
            self.t0, self.t_prev = t, t
            self._append(value, line)
            return
        delta = t - self.t_prev
        if delta == 0:
            raise WattprintError(f"{where}: duplicate timestamp {fmt_time(t)}")
        if delta < 0:
            raise WattprintError(f"{where}: timestamp {fmt_time(t)} is before the previous one; sort the series")
        if self.step is None:
            self.step = delta
            if delta > 3600:
                raise WattprintError(f"{self.path}: series step is {delta / 3600:g} h; use hourly or finer resolution")
        elif delta != self.step:
            k = delta / self.step
            if abs(k - round(k)) > 1e-6:
                raise WattprintError(
                    f"{where}: irregular step at {fmt_time(t)} ({delta / 60:g} min after the previous point; "
                    f"the series step is {self.step / 60:g} min)",
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
            last_first, last_count, last_line = self.gaps[-1]
            self.gaps[-1] = (last_first, last_count + count, last_line)  # one span
        else:
            self.gaps.append((first, count, line))

    def add_block(self, t: FloatArray, v: FloatArray, first_line: int) -> bool:
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

    def build(self, name: str, *, basis: str = "unknown", source: str | None = None, signal: str = "average",
              format: str = "wattprint CSV", notes: tuple[str, ...] = ()) -> GridSeries:
        """The series, short gaps filled; the keywords are :class:`GridSeries`'s metadata."""
        import numpy as np

        if self.n < 2 or self.step is None or self.t0 is None:
            raise WattprintError(f"{self.path}: a time series needs at least 2 points")
        whole = self.n == len(self.buf) or self.n > 0.9 * len(self.buf)
        values = self.buf[: self.n] if whole else self.buf[: self.n].copy()
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
                          basis=basis, source=source, signal=signal, format=format, gaps=tuple(gaps), notes=notes)


__all__ = ["GAP_POLICIES", "MAX_GAP_FILL_S", "Gap", "GridSeries", "SeriesBuilder", "fmt_time", "intensity_value",
           "parse_start", "parse_time"]

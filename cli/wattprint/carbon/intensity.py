"""The grid intensity an estimate uses: an explicit figure, a user grid file, or a shipped region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wattprint.carbon.gridfile import load_grid_file
from wattprint.carbon.regions import DEFAULT_REGION, load_regions
from wattprint.carbon.series import GAP_POLICIES, GridSeries, fmt_time, intensity_value
from wattprint.errors import WattprintError


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
            value = intensity_value(intensity, "{intensity}")
        except WattprintError as exc:
            raise exc.about("intensity", intensity) from None
        return GridChoice(value, "explicit", "explicit intensity", "explicit", "unknown", None, "given by the user")
    if grid_file is not None:
        grid = load_grid_file(Path(grid_file), basis)
        if isinstance(grid, GridSeries):
            if start is not None and hours is not None:
                t0 = start.timestamp()
                grid.check_inside(t0, t0 + hours * 3600.0)
                warnings = grid.window_warnings(t0, t0 + hours * 3600.0, gaps)
                value = grid.average_over(start, hours)
                note = f"hour-by-hour over {fmt_time(t0)} + {hours:g} h"
            else:
                warnings = grid.window_warnings(grid.t0, grid.t_end, gaps)
                value = grid.mean
                note = f"mean of the series {fmt_time(grid.t0)} to {fmt_time(grid.t_end)}"
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


__all__ = ["GridChoice", "choose_grid"]

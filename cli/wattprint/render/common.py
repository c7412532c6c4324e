"""Pieces shared by the command renderers: provenance, grid, PUE, comparisons."""

from __future__ import annotations

from typing import Any

from wattprint.carbon import GridChoice, PUEChoice
from wattprint.comparisons import Comparison
from wattprint.render import Section
from wattprint.units import fmt_mass_kg, fmt_number


def provenance() -> dict[str, Any]:
    from wattprint import __version__
    from wattprint.datafiles import data_version

    return {"wattprint_version": __version__, "data_version": data_version()}


def grid_doc(grid: GridChoice) -> dict[str, Any]:
    return {
        "region": grid.label,
        "region_name": grid.name,
        "region_is_default": grid.is_default,
        "intensity_gco2e_per_kwh": grid.intensity_gco2e_per_kwh,
        "intensity_kind": grid.kind,
        "intensity_basis": grid.basis,
        "intensity_signal": grid.signal,
        "intensity_year": grid.year,
        "intensity_source": grid.source,
        "grid_location": grid.grid_location,
        "intensity_note": grid.note,
    }


def pue_doc(pue: PUEChoice) -> dict[str, Any]:
    return {"pue": pue.pue, "pue_basis": pue.basis, "pue_source": pue.source, "pue_year": pue.year}


def comparisons_doc(items: tuple[Comparison, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "label": c.label,
            "amount": c.amount,
            "unit": c.unit,
            "co2e_kg_per_unit": c.kgco2e_per_unit,
            "source": c.source,
            "source_year": c.year,
        }
        for c in items
    ]


def grid_rows(grid: GridChoice) -> list[tuple[str, str]]:
    label = f"{grid.label} ({grid.name})" + ("  [default: pass --region]" if grid.is_default else "")
    rows = [("grid", label)]
    if grid.grid_location:
        rows.append(("grid location", f"cloud region sits in grid {grid.grid_location}"))
    detail = f"{fmt_number(grid.intensity_gco2e_per_kwh, 4)} gCO2e/kWh"
    extras = [x for x in (grid.signal if grid.signal != "average" or grid.kind == "grid-series" else None,
                          grid.basis if grid.basis != "unknown" else None, str(grid.year) if grid.year else None) if x]
    if extras:
        detail += f" ({', '.join(extras)})"
    rows.append(("grid intensity", detail))
    if grid.source:
        rows.append(("intensity source", grid.source))
    if grid.note:
        rows.append(("intensity note", grid.note))
    return rows


def pue_rows(pue: PUEChoice) -> list[tuple[str, str]]:
    text = f"{pue.pue:g} ({pue.basis})"
    rows = [("PUE", text)]
    if pue.source:
        rows.append(("PUE source", f"{pue.source}"))
    return rows


def comparisons_section(co2e_kg: float, items: tuple[Comparison, ...], units: str) -> Section:
    rows = []
    for c in items:
        rows.append((c.label, f"{fmt_number(c.amount, 3)} {c.unit}", fmt_mass_kg(c.kgco2e_per_unit, units), c.cite))
    return Section(
        title=f"{fmt_mass_kg(co2e_kg, units)} CO2e is about",
        columns=("equivalent", "amount", "CO2e per unit", "source"),
        rows=tuple(rows),
        numeric=(1, 2),
        caption="Full sources: docs/data-sources.md and the JSON output.",
        optional=(3, 2),
    )

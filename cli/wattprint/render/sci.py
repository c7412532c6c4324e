"""Renderers for the SCI score (ISO/IEC 21031:2024) and on-site water."""

from __future__ import annotations

from typing import Any

from wattprint.render import Section
from wattprint.sci import SCIScore
from wattprint.units import fmt_energy_j, fmt_mass_kg, fmt_number
from wattprint.water import Water


def sci_doc(s: SCIScore) -> dict[str, Any]:
    return {
        "standard": "ISO/IEC 21031:2024 (SCI)",
        "functional_unit": s.functional_unit,
        "sci_gco2e_per_unit": s.sci_g,
        "E_kwh": s.e_kwh,
        "I_gco2e_per_kwh": s.i_gco2e_per_kwh,
        "I_basis": s.i_basis,
        "M_gco2e": s.m_g,
        "M_basis": s.m_basis,
        "R": s.r,
        "R_basis": s.r_basis,
        "operational_gco2e": s.operational_g,
        "boundary": list(s.boundary),
        "missing": s.missing,
    }


def sci_section(s: SCIScore, units: str = "metric") -> Section:
    score = (f"{fmt_mass_kg(s.sci_g / 1000, units)} CO2e per {s.functional_unit}" if s.sci_g is not None
             else f"not known: {s.missing}")
    rows = (
        ("SCI", score),
        ("E (energy)", f"{fmt_energy_j(s.e_kwh * 3.6e6)} per {s.r_basis}"),
        ("I (intensity)", f"{fmt_number(s.i_gco2e_per_kwh, 4)} gCO2e/kWh, {s.i_basis}"),
        ("E x I", fmt_mass_kg(s.operational_g / 1000, units)),
        ("M (embodied)", "not known" if s.m_g is None else fmt_mass_kg(s.m_g / 1000, units)),
        ("M basis", s.m_basis),
        ("R (functional unit)", s.r_basis),
        ("boundary", "; ".join(s.boundary)),
    )
    return Section("SCI (ISO/IEC 21031:2024): (E x I + M) per R", ("", ""), rows, key_value=True)


def water_doc(w: Water) -> dict[str, Any]:
    return {"litres": w.litres, "wue_l_per_kwh": w.wue_l_per_kwh, "it_energy_kwh": w.it_kwh, "provider": w.provider,
            "year": w.year, "scope": w.scope, "source": w.source, "not_known_reason": w.reason,
            "kind": "on-site (WUE: cooling and humidification water per kWh of IT energy)"}


def fmt_litres(litres: float) -> str:
    if litres >= 1000:
        return f"{fmt_number(litres / 1000, 3)} m³"
    if litres >= 1:
        return f"{fmt_number(litres, 3)} L"
    return f"{fmt_number(litres * 1000, 3)} mL"


def water_rows(w: Water, what: str) -> list[tuple[str, str]]:
    """Key/value rows for Totals: litres beside CO2e, or 'not known' and why."""
    if w.litres is None:
        return [(f"water {what}", f"not known ({w.reason})")]
    return [(f"water {what}", f"{fmt_litres(w.litres)} on site ({fmt_number(w.wue_l_per_kwh or 0, 3)} L/kWh x "
                              f"{fmt_energy_j(w.it_kwh * 3.6e6)} IT energy)"),
            ("WUE source", f"{w.source} ({w.scope})")]


def water_section(provider: str | None, energy_per_unit_j: float, units: float | None, unit: str,
                  doc: dict[str, Any]) -> Section:
    """On-site water per unit (an inference, a request) and at the volume: sets ``doc["water"]`` and returns the
    table section. ``energy_per_unit_j`` is the node's (IT) energy per unit, ``units`` the volume or None."""
    from wattprint.water import estimate_water

    per = estimate_water(provider, energy_per_unit_j / 3.6e6)
    rows = water_rows(per, f"per {unit}")
    doc["water"] = {f"per_{unit}": water_doc(per), "at_volume": None}
    if units is not None:
        total = estimate_water(provider, energy_per_unit_j * units / 3.6e6)
        doc["water"]["at_volume"] = water_doc(total)
        if total.litres is not None:
            rows.insert(1, water_rows(total, "at volume")[0])
    return Section("Water (on-site)", ("", ""), tuple(rows), key_value=True)


def insert_after(sections: list[Section], title: str, new: Section) -> list[Section]:
    """``sections`` with ``new`` placed after the first section called ``title`` (or at the end)."""
    for i, sec in enumerate(sections):
        if sec.title == title:
            return sections[: i + 1] + [new] + sections[i + 1:]
    return sections + [new]

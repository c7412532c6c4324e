"""Renderers for what-if comparisons and the carbon-aware start."""

from __future__ import annotations

from typing import Any

from wattprint.render import Section
from wattprint.units import fmt_energy_kwh, fmt_mass_kg
from wattprint.whatif import Alternative, BestStart


def alternatives_doc(alts: tuple[Alternative, ...]) -> list[dict[str, Any]]:
    return [
        {"id": a.label, "name": a.name, "detail": a.detail, "energy_kwh": a.energy_kwh, "co2e_kg": a.co2e_kg,
         "saving_kg": a.saving_kg, "saving_pct": a.saving_pct, "chosen": a.is_chosen}
        for a in alts
    ]


def alternatives_section(title: str, alts: tuple[Alternative, ...], units: str, caption: str | None = None) -> Section:
    rows, styles = [], []
    for a in alts:
        saving = "chosen" if a.is_chosen else f"{'-' if a.saving_kg >= 0 else '+'}{fmt_mass_kg(abs(a.saving_kg), units)} ({-a.saving_pct:+.0f}%)"
        rows.append((a.label, a.name, a.detail, fmt_energy_kwh(a.energy_kwh), fmt_mass_kg(a.co2e_kg, units), saving))
        styles.append("bold" if a.is_chosen else "")
    return Section(title, ("id", "name", "detail", "energy", "CO2e", "vs chosen"), tuple(rows),
                   numeric=(3, 4, 5), styles=tuple(styles), caption=caption, optional=(1, 2, 3))


def best_start_doc(b: BestStart) -> dict[str, Any]:
    return {
        "now": b.now.isoformat(), "best_start": b.best.isoformat(), "hours": b.hours,
        "window_hours": b.window_hours,
        "now_intensity_gco2e_per_kwh": b.now_intensity, "best_intensity_gco2e_per_kwh": b.best_intensity,
        "now_co2e_kg": b.now_co2e_kg, "best_co2e_kg": b.best_co2e_kg,
        "saving_kg": b.saving_kg, "saving_pct": b.saving_pct,
    }


def best_start_section(b: BestStart, units: str) -> Section:
    window = "the whole series" if b.window_hours is None else f"{b.window_hours:g} h"
    rows = (
        ("start now", f"{b.now:%Y-%m-%d %H:%M}Z: {b.now_intensity:.4g} gCO2e/kWh -> {fmt_mass_kg(b.now_co2e_kg, units)}"),
        ("best start", f"{b.best:%Y-%m-%d %H:%M}Z: {b.best_intensity:.4g} gCO2e/kWh -> {fmt_mass_kg(b.best_co2e_kg, units)}"),
        ("saving", f"{fmt_mass_kg(b.saving_kg, units)} ({b.saving_pct:.1f}%) by waiting "
                   f"{(b.best - b.now).total_seconds() / 3600:g} h (searched {window})"),
    )
    return Section("Carbon-aware start", ("", ""), rows, key_value=True, styles=("", "bold", "bold"))

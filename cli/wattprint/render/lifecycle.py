"""Renderer for lifecycle results: one table and one sentence."""

from __future__ import annotations

from typing import Any

from wattprint.lifecycle import LifecycleResult
from wattprint.render import Section
from wattprint.render.common import comparisons_doc, comparisons_section, provenance
from wattprint.render.infer import infer_doc
from wattprint.render.train import train_doc
from wattprint.units import fmt_count, fmt_energy_kwh, fmt_mass_kg, fmt_number

SCHEMA = "https://wattprint.dev/schemas/lifecycle-result-1.json"


def sentence(r: LifecycleResult, units: str = "metric") -> str:
    n = r.break_even_inferences
    inf = r.inference
    text = (
        f"Training emits {fmt_mass_kg(r.training.co2e_kg, units)}; serving {inf.volume_basis} emits "
        f"{fmt_mass_kg(r.serving_co2e_kg, units)} ({100 * r.serving_share:.0f}% of the lifetime total of "
        f"{fmt_mass_kg(r.total_co2e_kg, units)})."
    )
    if n is not None:
        text += f" Serving catches up with training after {fmt_count(n)} inferences"
        text += f" ({fmt_number(r.break_even_days, 3)} days at this rate)." if r.break_even_days is not None else "."
    return text


def lifecycle_doc(r: LifecycleResult, units: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "kind": "lifecycle",
        "co2e_kg": r.total_co2e_kg,
        "co2e_kg_range": r.total_co2e_range_kg.doc(),
        "energy_kwh": r.total_energy_kwh,
        "training_co2e_kg": r.training.co2e_kg,
        "serving_co2e_kg": r.serving_co2e_kg,
        "serving_share": r.serving_share,
        "break_even_inferences": r.break_even_inferences,
        "break_even_days": r.break_even_days,
        "inferences_per_day": r.inferences_per_day,
        "summary": sentence(r, units),
        "training": train_doc(r.training, units),
        "inference": {k: v for k, v in infer_doc(r.inference).items() if k != "layers"},
        "comparisons": comparisons_doc(r.inference.comparisons),
        **provenance(),
    }


def lifecycle_sections(r: LifecycleResult, units: str) -> list[Section]:
    inf = r.inference
    rows = (
        ("training", r.training.name, fmt_energy_kwh(r.training.energy_kwh), fmt_mass_kg(r.training.co2e_kg, units),
         f"{100 * (1 - r.serving_share):.0f}%"),
        ("serving", f"{inf.volume_basis}: {fmt_count(inf.inferences or 0)} x {fmt_mass_kg(inf.co2e_per_inference_g / 1000, units)}",
         fmt_energy_kwh(inf.energy_kwh or 0.0), fmt_mass_kg(r.serving_co2e_kg, units), f"{100 * r.serving_share:.0f}%"),
        ("total", f"range {fmt_mass_kg(r.total_co2e_range_kg.low, units)} to {fmt_mass_kg(r.total_co2e_range_kg.high, units)}",
         fmt_energy_kwh(r.total_energy_kwh), fmt_mass_kg(r.total_co2e_kg, units), "100%"),
    )
    from wattprint.comparisons import compare

    return [
        Section("Lifecycle", ("phase", "what", "energy", "CO2e", "share"), rows, numeric=(2, 3, 4),
                styles=("", "", "bold"), caption=sentence(r, units)),
        comparisons_section(r.total_co2e_kg, compare(r.total_co2e_kg, units), units),
    ]


def lifecycle_csv(result: LifecycleResult) -> tuple:
    header = ["phase", "energy_kwh", "co2e_kg"]
    rows = [["training", result.training.energy_kwh, result.training.co2e_kg],
            ["serving", result.inference.energy_kwh, result.serving_co2e_kg],
            ["total", result.total_energy_kwh, result.total_co2e_kg]]
    return header, rows

"""Renderers for training-run results."""

from __future__ import annotations

from typing import Any

from wattprint.render import Section
from wattprint.render.common import (
    comparisons_doc,
    comparisons_section,
    grid_doc,
    grid_rows,
    provenance,
    pue_doc,
    pue_rows,
)
from wattprint.training import TrainingResult
from wattprint.units import KG_PER_LB, fmt_energy_kwh, fmt_mass_kg, fmt_number

SCHEMA = "https://wattprint.dev/schemas/train-result-1.json"


def train_doc(r: TrainingResult, units: str = "metric") -> dict[str, Any]:
    """The stable JSON form; see docs/json-output.md and docs/schemas/train-result.schema.json."""
    hw = r.hardware
    return {
        "$schema": SCHEMA,
        "kind": "train",
        "name": r.name,
        "energy_kwh": r.energy_kwh,
        "co2e_kg": r.co2e_kg,
        "co2e_lbs": r.co2e_kg / KG_PER_LB,
        "accelerators_kwh": r.accelerator_kwh,
        "host_kwh": r.host_kwh,
        "it_kwh": r.it_kwh,
        "pue_overhead_kwh": r.overhead_kwh,
        "inputs": {
            "hardware": hw.id,
            "hardware_requested": r.hardware_requested,
            "hardware_name": hw.name,
            "hardware_origin": hw.origin,
            "count": r.count,
            "hours": r.hours,
            "device_hours": r.device_hours,
            "power_w": r.power_w,
            "power_basis": r.power_basis,
            "utilization": r.utilization,
            "tdp_w": hw.tdp_w,
            "tdp_source": hw.figure_source("tdp_w").cite() if hw.figure_source("tdp_w") else None,
            "host_cpu_power_w": r.host_cpu_power_w,
            "host_dram_power_w": r.host_dram_power_w,
            "start": r.start.isoformat() if r.start else None,
            **pue_doc(r.pue),
            **grid_doc(r.grid),
            "units": units,
        },
        "comparisons": comparisons_doc(r.comparisons),
        "assumptions": list(r.assumptions),
        **provenance(),
    }


def train_sections(r: TrainingResult, units: str = "metric") -> list[Section]:
    hw = r.hardware
    used = hw.id if r.hardware_requested.lower() == hw.id else f"{hw.id} (from {r.hardware_requested!r})"
    energy = Section(
        title="Energy",
        columns=("part", "energy", "share"),
        rows=(
            (f"accelerators ({r.count} x {fmt_number(r.power_w, 4)} W x {fmt_number(r.hours, 4)} h)",
             fmt_energy_kwh(r.accelerator_kwh), _pct(r.accelerator_kwh, r.energy_kwh)),
            (f"host CPU + DRAM ({fmt_number(r.host_cpu_power_w + r.host_dram_power_w, 4)} W)",
             fmt_energy_kwh(r.host_kwh), _pct(r.host_kwh, r.energy_kwh)),
            (f"datacenter overhead (PUE {r.pue.pue:g})", fmt_energy_kwh(r.overhead_kwh), _pct(r.overhead_kwh, r.energy_kwh)),
            ("total", fmt_energy_kwh(r.energy_kwh), "100%"),
        ),
        numeric=(1, 2),
        styles=("", "", "", "bold"),
    )
    emissions = Section(
        title="Emissions",
        columns=("", ""),
        rows=(("CO2e", fmt_mass_kg(r.co2e_kg, units)),),
        key_value=True,
        styles=("bold",),
    )
    assumptions = [
        ("run", r.name),
        ("hardware", f"{used}: {hw.name}"),
        ("devices", f"{r.count} x {fmt_number(r.hours, 4)} h = {fmt_number(r.device_hours, 4)} device-hours"),
        ("power per device", f"{fmt_number(r.power_w, 4)} W ({r.power_basis})"),
    ]
    src = hw.figure_source("tdp_w")
    if r.utilization is not None and src:
        assumptions.append(("TDP source", src.cite()))
    assumptions += pue_rows(r.pue) + grid_rows(r.grid)
    if r.start:
        assumptions.append(("start", r.start.isoformat()))
    for note in r.assumptions:
        assumptions.append(("note", note))
    return [
        energy,
        emissions,
        comparisons_section(r.co2e_kg, r.comparisons, units),
        Section(title="Assumptions", columns=("", ""), rows=tuple(assumptions), key_value=True),
    ]


def train_csv(r: TrainingResult) -> tuple[list[str], list[list[Any]]]:
    """One row per run: the totals, then the inputs, flat."""
    doc = train_doc(r)
    flat = {k: v for k, v in doc.items() if not isinstance(v, (dict, list)) and not k.startswith("$")}
    flat.update(doc["inputs"])
    return list(flat), [list(flat.values())]


def _pct(part: float, total: float) -> str:
    return f"{100 * part / total:.1f}%" if total else "-"

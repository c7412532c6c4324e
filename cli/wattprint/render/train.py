"""Renderers for training-run results."""

from __future__ import annotations

from typing import Any

from wattprint.energy.training import TrainingResult
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
from wattprint.units import KG_PER_LB, fmt_energy_kwh, fmt_mass_kg, fmt_number
from wattprint.vocab import PowerBasis


def power_basis_text(r: TrainingResult) -> str:
    """Where the power per device came from, in words (the JSON ``power_basis`` and the table)."""
    if r.power_basis is PowerBasis.tdp:
        return f"TDP {r.hardware.tdp_w:g} W x utilisation {r.utilization:g}"
    if r.power_basis is PowerBasis.measured:
        return f"measured mean {r.power_w:g} W (no TDP published)"
    return "given"

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
        "operational_co2e_kg": r.operational_co2e_kg,
        "embodied_co2e_kg": r.embodied.co2e_kg if r.embodied else None,
        "embodied_included": bool(r.embodied and r.embodied.included),
        "energy_kwh_range": r.energy_range.doc(),
        "co2e_kg_range": r.co2e_range.doc(),
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
            "power_basis": power_basis_text(r),
            "utilization": r.utilization,
            "tdp_w": hw.tdp_w,
            "tdp_source": source.cite() if (source := hw.figure_source("tdp_w")) else None,
            "host_cpu_power_w": r.host_cpu_power_w,
            "host_dram_power_w": r.host_dram_power_w,
            "start": r.start.isoformat() if r.start else None,
            "compute": None if r.compute is None else {
                "train_flops": r.compute.train_flops,
                "formula": r.compute.formula,
                "peak_tflops": r.compute.peak_tflops,
                "peak_precision": r.compute.peak_precision,
                "mfu": r.compute.mfu,
                "mfu_basis": r.compute.mfu_basis,
            },
            "embodied": None if r.embodied is None else {
                "device_kgco2e": r.embodied.device_kg,
                "host_kgco2e_per_device": r.embodied.host_kg_per_device,
                "lifetime_years": r.embodied.lifetime_years,
                "run_share_of_lifetime": r.embodied.share,
                "model": r.embodied.model,
            },
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
    em_rows = [
        ("CO2e", f"{fmt_mass_kg(r.co2e_kg, units)}   (range {fmt_mass_kg(r.co2e_range.low, units)} to "
                 f"{fmt_mass_kg(r.co2e_range.high, units)})"),
        ("energy range", f"{fmt_energy_kwh(r.energy_range.low)} to {fmt_energy_kwh(r.energy_range.high)}"),
    ]
    styles = ["bold", ""]
    if r.embodied is not None:
        e = r.embodied
        state = "included in CO2e" if e.included else "not in CO2e; --embodied adds it"
        em_rows.insert(1, ("operational", fmt_mass_kg(r.operational_co2e_kg, units)))
        em_rows.insert(2, ("embodied (amortised)", f"{fmt_mass_kg(e.co2e_kg, units)} ({state}): {r.count} x "
                           f"({fmt_number(e.device_kg, 3)} + {fmt_number(e.host_kg_per_device, 4)} kg) x "
                           f"{fmt_number(100 * e.share, 3)}% of a {e.lifetime_years:g}-year life"))
        styles[1:1] = ["", ""]
    emissions = Section(title="Emissions", columns=("", ""), rows=tuple(em_rows), key_value=True, styles=tuple(styles))
    assumptions = [
        ("run", r.name),
        ("hardware", f"{used}: {hw.name}"),
        ("devices", f"{r.count} x {fmt_number(r.hours, 4)} h = {fmt_number(r.device_hours, 4)} device-hours"),
        ("power per device", f"{fmt_number(r.power_w, 4)} W ({power_basis_text(r)})"),
    ]
    if r.compute is not None:
        c = r.compute
        assumptions.append(("compute", f"{c.formula} = {c.train_flops:.3g} FLOPs"))
        assumptions.append(("utilisation of peak", f"MFU {c.mfu:g} of {c.peak_tflops:g} TFLOPS {c.peak_precision} ({c.mfu_basis})"))
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
    for key in ("energy_kwh_range", "co2e_kg_range"):
        for bound, value in doc[key].items():
            flat[f"{key.removesuffix('_range')}_{bound}"] = value
    flat.update({k: v for k, v in doc["inputs"].items() if not isinstance(v, (dict, list))})
    return list(flat), [list(flat.values())]


def _pct(part: float, total: float) -> str:
    return f"{100 * part / total:.1f}%" if total else "-"

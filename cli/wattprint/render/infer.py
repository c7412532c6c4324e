"""Renderers for inference results: per-layer rows, by-op groups, totals and assumptions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from wattprint.inference import InferenceResult, LayerEnergy
from wattprint.label import EnergyLabel
from wattprint.render import Records, Section
from wattprint.render.common import (
    comparisons_doc,
    comparisons_section,
    grid_doc,
    grid_rows,
    provenance,
    pue_doc,
    pue_rows,
)
from wattprint.units import fmt_count, fmt_energy_j, fmt_energy_kwh, fmt_mass_kg, fmt_number

SCHEMA = "https://wattprint.dev/schemas/infer-result-2.json"
BAR_WIDTH = 12


def _shape(shape: Any) -> str:
    return "?" if shape is None else "x".join(str(d) for d in shape) or "scalar"


#: the keys of a layer's record, in order (:func:`layer_values`)
LAYER_KEYS = ("name", "op_type", "domain", "output_shape", "precision", "macs", "flops", "elementwise_ops",
              "reduction_ops", "transcendental_ops", "params", "bytes_read", "bytes_written", "weight_bytes",
              "dram_bytes", "fused_into", "view", "time_s", "bound", "peak_precision",
              "accelerator_energy_per_batch_j", "accelerator_energy_per_inference_j", "counted", "note")


def layer_values(layer: LayerEnergy, batch: int) -> tuple[Any, ...]:
    """A layer's record: the values of :data:`LAYER_KEYS`."""
    n = layer.node
    return (
        n.name, n.op_type, n.domain, list(n.output_shape) if n.output_shape is not None else None, n.precision,
        n.macs, n.flops, n.elementwise_ops, n.reduction_ops, n.transcendental_ops, n.params, n.bytes_read,
        n.bytes_written, n.weight_bytes, layer.dram_bytes, layer.fused_into, layer.view, layer.time_s, layer.bound,
        layer.peak_precision, layer.energy_j, layer.energy_j / batch, n.counted, n.note,
    )


def layer_doc(layer: LayerEnergy, batch: int) -> dict[str, Any]:
    return dict(zip(LAYER_KEYS, layer_values(layer, batch)))


def label_doc(label: EnergyLabel | None) -> dict[str, Any] | None:
    if label is None:
        return None
    return {"grade": label.grade, "task": label.task, "ratio_to_reference": label.ratio,
            "reference_j": label.reference_j, "reference": label.reference, "reason": label.reason}


def infer_doc(r: InferenceResult, label: EnergyLabel | None = None) -> dict[str, Any]:
    m, hw = r.model, r.hardware
    return {
        "$schema": SCHEMA,
        "kind": "infer",
        "model": m.path,
        "macs": m.macs,
        "flops": m.flops,
        "params": m.params,
        "bytes_read": m.bytes_read,
        "bytes_written": m.bytes_written,
        "batch": r.batch,
        "time_per_inference_s": r.time_per_inference_s,
        "accelerator_energy_per_inference_j": r.accelerator_energy_per_inference_j,
        "system_energy_per_inference_j": r.system_energy_per_inference_j,
        "energy_per_inference_j": r.energy_per_inference_j,
        "co2e_per_inference_g": r.co2e_per_inference_g,
        "energy_per_inference_j_range": r.energy_range_j.doc(),
        "co2e_per_inference_g_range": r.co2e_range_g.doc(),
        "inferences": r.inferences,
        "energy_kwh": r.energy_kwh,
        "co2e_kg": r.co2e_kg,
        "energy_label": label_doc(label),
        "inputs": {
            "hardware": hw.id,
            "hardware_requested": r.hardware_requested,
            "hardware_name": hw.name,
            "hardware_origin": hw.origin,
            "tdp_w": hw.tdp_w,
            "accelerator_power_w": r.accelerator_power_w,
            "memory_bandwidth_gbps": hw.memory_bandwidth_gbps,
            "peak_tflops": dict(hw.peak_tflops),
            "power_model": power_model_doc(r),
            "node": r.node.doc(),
            "model_inputs": [{"name": n, "shape": list(s), "dtype": d} for n, s, d in m.inputs],
            "dims": dict(m.dims),
            "producer": m.producer,
            "opset": m.opset,
            "volume": r.volume_basis,
            **pue_doc(r.pue),
            **grid_doc(r.grid),
        },
        "layers": Records(r.layers, LAYER_KEYS, lambda layer: layer_values(layer, r.batch)),
        "not_counted": [{"op_type": op, "count": c, "reason": why} for op, c, why in m.not_counted],
        "warnings": list(m.warnings) + list(r.warnings),
        "comparisons": comparisons_doc(r.comparisons),
        **provenance(),
    }


def power_model_doc(r: InferenceResult) -> dict[str, Any]:
    dev, fc, p = r.device, r.device.coefficients, r.pass_energy
    return {
        "family": dev.family,
        "static_power_w": dev.static_w,
        "static_basis": dev.static_basis,
        "power_limit_w": dev.power_limit_w,
        "power_limited": p.power_limited,
        "compute_efficiency": fc.compute_efficiency,
        "memory_efficiency": fc.memory_efficiency,
        "alpha_compute": fc.alpha_compute,
        "alpha_memory": fc.alpha_memory,
        "kernels": len(p.kernels),
        "dram_bytes": sum(k.kernel.dram_bytes for k in p.kernels),
        "static_energy_per_batch_j": p.static_j,
        "dynamic_energy_per_batch_j": p.dynamic_j,
        "coefficients_basis": r.coefficients.basis,
    }


def _bar(share: float) -> str:
    full = share * BAR_WIDTH
    return "█" * int(full) + ("▌" if full - int(full) >= 0.5 else "")


def infer_sections(
    r: InferenceResult, units: str = "metric", top: int = 25, by_op: bool = False, label: EnergyLabel | None = None
) -> list[Section]:
    total = r.accelerator_energy_per_batch_j or 1.0
    sections: list[Section] = []
    if by_op:
        groups: dict[str, list[LayerEnergy]] = defaultdict(list)
        for layer in r.layers:
            groups[layer.node.op_type].append(layer)
        rows = []
        for op, items in sorted(groups.items(), key=lambda kv: -sum(x.energy_j for x in kv[1])):
            e = sum(x.energy_j for x in items)
            rows.append((op, str(len(items)), fmt_count(sum(x.node.macs for x in items)),
                         fmt_count(sum(x.node.params for x in items)),
                         fmt_count(sum(x.node.bytes_read + x.node.bytes_written for x in items), "B"),
                         fmt_energy_j(e / r.batch), f"{100 * e / total:5.1f}% {_bar(e / total)}"))
        sections.append(Section("Energy by op type (per inference, at the accelerator)",
                                ("op", "nodes", "MACs", "params", "bytes", "energy", "share"), tuple(rows), numeric=(1, 2, 3, 4, 5),
                                caption=f"MACs and bytes per batch of {r.batch}; energy per inference.", optional=(3, 4, 6, 2)))
    else:
        ranked = sorted(r.layers, key=lambda x: -x.energy_j)
        shown = ranked if top <= 0 else ranked[:top]
        order = {id(x): i for i, x in enumerate(r.layers)}
        shown.sort(key=lambda x: order[id(x)])
        layer_rows = []
        for layer in shown:
            n = layer.node
            layer_rows.append((n.name, n.op_type, _shape(n.output_shape), fmt_count(n.macs), fmt_count(n.params),
                         fmt_count(n.bytes_read + n.bytes_written, "B"), f"{fmt_number(layer.time_s * 1e6, 3)} µs",
                         fmt_energy_j(layer.energy_j / r.batch), f"{100 * layer.energy_j / total:5.1f}% {_bar(layer.energy_j / total)}"))
        hidden = len(r.layers) - len(shown)
        per = (f"Output, MACs, bytes and time per batch of {r.batch}; energy per inference (the batch's / {r.batch})."
               if r.batch != 1 else "Batch 1: every figure is per inference.")
        caption = per + (f" {hidden} smaller layers not shown (--top 0 shows all, --by op groups them)." if hidden else "")
        title = f"Layers (top {len(shown)} by energy, in graph order)" if hidden else "Layers"
        sections.append(Section(title, ("name", "op", "output", "MACs", "params", "bytes", "time", "energy", "share"),
                                tuple(layer_rows), numeric=(3, 4, 5, 6, 7), caption=caption, optional=(2, 4, 5, 8, 3, 6)))
    m = r.model
    totals = [
        ("MACs", f"{fmt_count(m.macs)} ({fmt_count(m.flops)} FLOPs incl. other ops)"),
        ("parameters", fmt_count(m.params)),
        ("memory traffic", f"{fmt_count(m.bytes_read, 'B')} read, {fmt_count(m.bytes_written, 'B')} written per batch of {r.batch}"),
        ("time per inference", f"{fmt_number(r.time_per_inference_s * 1e6, 3)} µs (roofline, batch {r.batch})"),
        ("energy per inference", f"{fmt_energy_j(r.accelerator_energy_per_inference_j)} at the accelerator, "
                                 f"{fmt_energy_j(r.system_energy_per_inference_j)} node, "
                                 f"{fmt_energy_j(r.energy_per_inference_j)} at the wall (PUE)"),
        ("CO2e per inference", f"{fmt_mass_kg(r.co2e_per_inference_g / 1000, units)} (range "
                               f"{fmt_mass_kg(r.co2e_range_g.low / 1000, units)} to {fmt_mass_kg(r.co2e_range_g.high / 1000, units)})"),
    ]
    if label is not None:
        if label.grade:
            totals.append(("energy label", f"{label.grade} ({label.task}: {fmt_number(label.ratio or 0.0, 3)}x the reference "
                                           f"{fmt_energy_j(label.reference_j or 0.0)} per inference)"))
        else:
            totals.append(("energy label", label.reason or ""))
    if r.inferences is not None:
        totals.append(("volume", r.volume_basis or f"{r.inferences:g}"))
        totals.append(("energy at volume", fmt_energy_kwh(r.energy_kwh or 0.0)))
        scale = (r.inferences or 0.0) / 1000.0
        totals.append(("CO2e at volume", f"{fmt_mass_kg(r.co2e_kg or 0.0, units)} (range "
                                         f"{fmt_mass_kg(r.co2e_range_g.low * scale, units)} to {fmt_mass_kg(r.co2e_range_g.high * scale, units)})"))
    sections.append(Section("Totals", ("", ""), tuple(totals), key_value=True))
    if r.inferences is not None:
        sections.append(comparisons_section(r.co2e_kg or 0.0, r.comparisons, units))
    hw, dev, fc, p = r.hardware, r.device, r.device.coefficients, r.pass_energy
    used = hw.id if r.hardware_requested.lower() == hw.id else f"{hw.id} (from {r.hardware_requested!r})"
    limit = f"power limit {fmt_number(dev.power_limit_w, 4)} W" + (" reached: clocks lowered" if p.power_limited else "")
    assumptions = [
        ("model", f"{m.path} ({m.producer}, opset {m.opset})"),
        ("inputs", "; ".join(f"{n} {_shape(s)} {d}" for n, s, d in m.inputs) or "-"),
        ("hardware", f"{used}: {hw.name}"),
        ("MAC precision", ", ".join(sorted({x.peak_precision for x in r.layers if x.peak_precision})) or "-"),
        ("accelerator power", f"{fmt_number(r.accelerator_power_w, 4)} W average: static "
                              f"{fmt_number(dev.static_w, 3)} W ({dev.static_basis}) + dynamic; {limit}"),
        ("efficiency", f"compute {fc.compute_efficiency:.3g} of peak, memory {fc.memory_efficiency:.3g} of "
                       f"{fmt_number(hw.memory_bandwidth_gbps or 0, 4)} GB/s ({dev.family} fit)"),
        ("kernels", f"{len(p.kernels)} fused kernels, {fmt_count(sum(k.kernel.dram_bytes for k in p.kernels), 'B')} "
                    f"through DRAM per batch"),
        ("node", f"{r.node.system_name}: host {fmt_number(r.node.host_w, 3)} W ({r.node.host_basis}) "
                 f"shared by {r.node.accelerators} accelerator(s)"),
        ("coefficients", r.coefficients.basis),
    ]
    assumptions += pue_rows(r.pue) + grid_rows(r.grid)
    for w in list(m.warnings) + list(r.warnings):
        assumptions.append(("warning", w))
    sections.append(Section("Assumptions", ("", ""), tuple(assumptions), key_value=True))
    if m.not_counted:
        sections.append(Section("Not counted", ("op", "nodes", "why"),
                                tuple((op, str(c), why) for op, c, why in m.not_counted), numeric=(1,),
                                styles=tuple("yellow" for _ in m.not_counted)))
    return sections


LAYER_COLUMNS = ["name", "op_type", "domain", "output_shape", "precision", "macs", "flops", "elementwise_ops",
                 "reduction_ops", "transcendental_ops", "params", "bytes_read", "bytes_written", "weight_bytes",
                 "dram_bytes", "fused_into", "time_s", "bound", "accelerator_energy_per_inference_j", "counted", "note"]


def infer_csv(r: InferenceResult) -> tuple[list[str], list[list[Any]]]:
    rows = []
    for layer in r.layers:
        d = layer_doc(layer, r.batch)
        d["output_shape"] = _shape(layer.node.output_shape)
        rows.append([d[c] for c in LAYER_COLUMNS])
    return list(LAYER_COLUMNS), rows

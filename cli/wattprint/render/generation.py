"""Renderers for LLM generation results: prefill and decode side by side, per request and per token."""

from __future__ import annotations

from typing import Any

from wattprint.generation import GenerationResult, PhaseResult
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
from wattprint.units import fmt_count, fmt_energy_j, fmt_energy_kwh, fmt_mass_kg, fmt_number

SCHEMA = "https://wattprint.dev/schemas/generation-result-1.json"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{fmt_number(seconds * 1e3, 3)} ms" if seconds < 1 else f"{fmt_number(seconds, 3)} s"


def phase_doc(p: PhaseResult | None, r: GenerationResult) -> dict[str, Any] | None:
    if p is None:
        return None
    total = sum(x.accelerator_energy_j for x in (r.prefill, r.decode) if x is not None) or 1.0
    b = r.workload.concurrency
    return {
        "passes": p.passes,
        "time_s": p.time_s,
        "accelerator_energy_j": p.accelerator_energy_j,
        "system_energy_j": p.system_energy_j,
        "energy_j": p.energy_j,
        "accelerator_energy_per_request_j": p.accelerator_energy_j / b,
        "energy_per_request_j": p.energy_j / b,
        "energy_share": p.accelerator_energy_j / total,
        "macs": p.macs,
        "bytes_read": p.bytes_read,
        "bytes_written": p.bytes_written,
        "bound": p.bound,
        "allreduce_time_s": p.allreduce_time_s,
        "evaluated_cache_lengths": [x for x, _, _ in p.points],
    }


def generation_object(r: GenerationResult) -> dict[str, Any]:
    w = r.workload
    tokens_k = r.output_tokens_total / 1000.0
    mem = r.memory
    return {
        "prompt_tokens": w.prompt_tokens,
        "output_tokens": w.output_tokens,
        "concurrency": w.concurrency,
        "devices": w.devices,
        "precision": w.precision or (r.spec.dtype if r.spec is not None else "model"),
        "kv_precision": w.kv_precision or w.precision or (r.spec.dtype if r.spec is not None else "model"),
        "decode_costed": r.decode is not None or w.output_tokens == 1,
        "accelerator_energy_per_output_token_j": r.accelerator_energy_per_output_token_j,
        "system_energy_per_output_token_j": r.system_energy_per_output_token_j,
        "energy_per_output_token_j": r.energy_per_output_token_j,
        "accelerator_energy_per_request_j": r.accelerator_energy_per_request_j,
        "system_energy_per_request_j": r.system_energy_per_request_j,
        "energy_per_request_j": r.energy_per_request_j,
        "energy_per_1000_output_tokens_j": r.energy_per_output_token_j * 1000,
        "co2e_per_request_g": r.co2e_per_request_g,
        "co2e_per_1000_output_tokens_g": r.co2e_per_request_g * w.concurrency / tokens_k if tokens_k else None,
        "time_to_first_token_s": r.time_to_first_token_s,
        "time_per_output_token_s": r.time_per_output_token_s,
        "time_per_request_s": r.time_per_batch_s,
        "output_tokens_per_s": r.output_tokens_per_s,
        "output_tokens_per_s_per_device": r.output_tokens_per_s_per_device,
        "prefill": phase_doc(r.prefill, r),
        "decode": phase_doc(r.decode, r),
        "memory": None if mem is None else {
            "weights_bytes_per_device": mem.weights_bytes,
            "kv_cache_bytes_per_device": mem.kv_bytes,
            "usable_bytes_per_device": mem.capacity_bytes,
            "memory_gb": mem.memory_gb,
        },
        "experts_touched_per_decode_step": r.experts_touched_decode,
    }


def generation_doc(r: GenerationResult) -> dict[str, Any]:
    hw = r.hardware
    spec = r.spec
    return {
        "$schema": SCHEMA,
        "kind": "infer",
        "model": r.model,
        "source": r.source_kind,
        "params": r.params_total,
        "params_active": r.params_active,
        "generation": generation_object(r),
        "requests": r.requests,
        "energy_kwh": r.energy_kwh,
        "co2e_kg": r.co2e_kg,
        "inputs": {
            "hardware": hw.id,
            "hardware_requested": r.hardware_requested,
            "hardware_name": hw.name,
            "tdp_w": hw.tdp_w,
            "accelerator_power_w": r.accelerator_power_w,
            "memory_bandwidth_gbps": hw.memory_bandwidth_gbps,
            "model_type": spec.model_type if spec is not None else None,
            "model_source": spec.source if spec is not None else r.model,
            "volume": r.volume_basis,
            **pue_doc(r.pue),
            **grid_doc(r.grid),
        },
        "notes": list(r.notes),
        "warnings": list(r.warnings),
        "comparisons": comparisons_doc(r.comparisons),
        **provenance(),
    }


def generation_sections(r: GenerationResult, units: str = "metric") -> list[Section]:
    w = r.workload
    pre, dec = r.prefill, r.decode
    total_acc = pre.accelerator_energy_j + (dec.accelerator_energy_j if dec else 0.0) or 1.0

    def col(p: PhaseResult | None, what: str) -> str:
        if p is None:
            return "not costed" if what == "passes" else "-"
        return {
            "passes": f"{p.passes} {'pass' if p.name == 'prefill' else 'steps'}",
            "time": _ms(p.time_s),
            "acc": fmt_energy_j(p.accelerator_energy_j),
            "wall": fmt_energy_j(p.energy_j),
            "macs": fmt_count(p.macs),
            "bytes": fmt_count(p.bytes_read + p.bytes_written, "B"),
            "bound": p.bound,
            "share": f"{100 * p.accelerator_energy_j / total_acc:.1f}%",
        }[what]

    both = [x for x in (pre, dec) if x is not None]
    totals = {
        "passes": "", "time": _ms(sum(x.time_s for x in both)), "acc": fmt_energy_j(sum(x.accelerator_energy_j for x in both)),
        "wall": fmt_energy_j(sum(x.energy_j for x in both)), "macs": fmt_count(sum(x.macs for x in both)),
        "bytes": fmt_count(sum(x.bytes_read + x.bytes_written for x in both), "B"), "bound": "", "share": "100%",
    }
    labels = [("passes", "passes"), ("time", "time"), ("acc", "energy, accelerators"), ("wall", "energy, at the wall"),
              ("macs", "MACs"), ("bytes", "memory traffic"), ("bound", "bound"), ("share", "share of energy")]
    devices = f" on {w.devices} devices" if w.devices > 1 else ""
    sections = [Section(
        f"Prefill and decode (one batch of {w.concurrency} request{'s' if w.concurrency > 1 else ''}{devices})",
        ("", "prefill", "decode", "total"),
        tuple((label, col(pre, key), col(dec, key), totals[key]) for key, label in labels),
        numeric=(1, 2, 3),
    )]
    k = 1000.0 / max(1, r.output_tokens_total // w.concurrency) if r.output_tokens_total else 0.0
    per = [
        ("energy, accelerators", fmt_energy_j(r.accelerator_energy_per_request_j), fmt_energy_j(r.accelerator_energy_per_request_j * k)),
        ("energy, server", fmt_energy_j(r.system_energy_per_request_j), fmt_energy_j(r.system_energy_per_request_j * k)),
        ("energy, at the wall", fmt_energy_j(r.energy_per_request_j), fmt_energy_j(r.energy_per_request_j * k)),
        ("CO2e", fmt_mass_kg(r.co2e_per_request_g / 1000, units), fmt_mass_kg(r.co2e_per_request_g * k / 1000, units)),
    ]
    sections.append(Section("Per request and per 1,000 output tokens", ("", "per request", "per 1,000 output tokens"),
                            tuple(per), numeric=(1, 2)))
    speed = [
        ("time to first token", _ms(r.time_to_first_token_s)),
        ("time per output token", _ms(r.time_per_output_token_s)),
        ("output tokens/s per device", fmt_number(r.output_tokens_per_s_per_device, 4)),
        ("output tokens/s in total", fmt_number(r.output_tokens_per_s, 4)),
    ]
    sections.append(Section("Latency and throughput", ("", ""), tuple(speed), key_value=True))
    if r.requests is not None:
        vol = [
            ("volume", r.volume_basis or f"{r.requests:g} requests"),
            ("energy at volume", fmt_energy_kwh(r.energy_kwh or 0.0)),
            ("CO2e at volume", fmt_mass_kg(r.co2e_kg or 0.0, units)),
        ]
        sections.append(Section("At the serving volume", ("", ""), tuple(vol), key_value=True))
        sections.append(comparisons_section(r.co2e_kg or 0.0, r.comparisons, units))
    hw = r.hardware
    spec = r.spec
    rows = [("model", f"{r.model} ({spec.model_type}, {spec.source})" if spec is not None else r.model)]
    if r.params_active != r.params_total:
        rows.append(("parameters", f"{fmt_count(r.params_total)} total, {fmt_count(r.params_active)} active per token"))
    else:
        rows.append(("parameters", fmt_count(r.params_total)))
    rows.append(("workload", f"{w.prompt_tokens} prompt + {w.output_tokens} output tokens per request, "
                             f"{w.concurrency} decoded together"))
    used = hw.id if r.hardware_requested.lower() == hw.id else f"{hw.id} (from {r.hardware_requested!r})"
    rows.append(("hardware", f"{w.devices} x {used}: {hw.name}" + (" (tensor parallel)" if w.devices > 1 else "")))
    gen = generation_object(r)
    rows.append(("precision", f"{gen['precision']}, KV cache {gen['kv_precision']}"))
    if r.memory is not None:
        m = r.memory
        rows.append(("memory per device", f"{m.weights_bytes / 1e9:.1f} GB weights + {m.kv_bytes / 1e9:.1f} GB KV cache "
                                          f"of {m.capacity_bytes / 1e9:.1f} GB usable"))
    if r.experts_touched_decode is not None and spec is not None:
        rows.append(("experts", f"top {spec.top_k} of {spec.experts} per token; {r.experts_touched_decode:g} distinct "
                                f"experts' weights read per decode step (expected for {w.concurrency} tokens)"))
    rows.append(("power while busy", f"{fmt_number(r.accelerator_power_w, 4)} W per device (inference energy model)"))
    rows += pue_rows(r.pue) + grid_rows(r.grid)
    rows += [("note", n) for n in r.notes]
    rows += [("warning", x) for x in r.warnings]
    sections.append(Section("Assumptions", ("", ""), tuple(rows), key_value=True))
    return sections


def generation_csv(r: GenerationResult) -> tuple[list[str], list[list[Any]]]:
    header = ["phase", "passes", "time_s", "accelerator_energy_j", "system_energy_j", "energy_j", "macs", "bytes_read",
              "bytes_written", "bound"]
    rows = []
    for p in (r.prefill, r.decode):
        if p is not None:
            rows.append([p.name, p.passes, p.time_s, p.accelerator_energy_j, p.system_energy_j, p.energy_j, p.macs,
                         p.bytes_read, p.bytes_written, p.bound])
    return header, rows

"""Renderers for the reference data: hardware profiles and grid regions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wattprint.carbon import Region
from wattprint.hardware import PRECISIONS, HardwareProfile
from wattprint.render import Section
from wattprint.render.common import provenance
from wattprint.units import fmt_number


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else fmt_number(x, digits)


def profile_doc(p: HardwareProfile) -> dict[str, Any]:
    return {
        "kind": "hardware",
        "id": p.id,
        "name": p.name,
        "vendor": p.vendor,
        "device_kind": p.kind,
        "aliases": list(p.aliases),
        "released": p.released,
        "tdp_w": p.tdp_w,
        "idle_w": p.idle_w,
        "typical_power_w": p.typical_power_w,
        "architecture": p.architecture,
        "min_power_limit_w": p.min_power_limit_w,
        "max_power_limit_w": p.max_power_limit_w,
        "interconnect": p.interconnect,
        "interconnect_bandwidth_gbps": p.interconnect_bandwidth_gbps,
        "default_system": p.default_system,
        "peak_tflops": dict(p.peak_tflops),
        "memory_gb": p.memory_gb,
        "memory_bandwidth_gbps": p.memory_bandwidth_gbps,
        "process_node": p.process_node,
        "die_area_mm2": p.die_area_mm2,
        "embodied_kgco2e": p.embodied_kgco2e,
        "embodied_model": p.embodied_model,
        "efficiency_compute": p.efficiency_compute,
        "efficiency_memory": p.efficiency_memory,
        "efficiency_basis": p.efficiency_basis,
        "notes": p.notes,
        "origin": p.origin,
        "figure_sources": {fig: src.id for fig, src in p.figure_sources},
        "sources": [
            {"id": s.id, "title": s.title, "publisher": s.publisher, "year": s.year, "url": s.url, "licence": s.licence}
            for s in p.sources
        ],
        **provenance(),
    }


def profile_sections(p: HardwareProfile) -> list[Section]:
    def src(fig: str) -> str:
        s = p.figure_source(fig)
        return s.id if s else ""

    rows: list[tuple[str, str, str]] = [
        ("vendor / kind", f"{p.vendor} / {p.kind}", ""),
        ("aliases", ", ".join(p.aliases) or "-", ""),
        ("TDP", f"{_num(p.tdp_w)} W" if p.tdp_w else "not published", src("tdp_w")),
    ]
    if p.architecture:
        rows.append(("architecture", p.architecture, ""))
    if p.idle_w is not None:
        rows.append(("idle power", f"{_num(p.idle_w)} W", src("idle_w")))
    if p.min_power_limit_w is not None or p.max_power_limit_w is not None:
        limits = f"{_num(p.min_power_limit_w)} - {_num(p.max_power_limit_w)} W"
        rows.append(("power limit range", limits, src("min_power_limit_w") or src("max_power_limit_w")))
    if p.typical_power_w is not None:
        rows.append(("measured mean power", f"{_num(p.typical_power_w)} W", src("typical_power_w")))
    for prec in PRECISIONS:
        if prec in p.peak_tflops:
            unit = "TOPS" if prec == "int8" else "TFLOPS"
            rows.append((f"peak {prec} (dense)", f"{_num(p.peak_tflops[prec])} {unit}", src("peak_tflops")))
    rows += [
        ("memory", f"{_num(p.memory_gb)} GB" if p.memory_gb else "-", src("memory_gb")),
        ("memory bandwidth", f"{_num(p.memory_bandwidth_gbps)} GB/s" if p.memory_bandwidth_gbps else "-", src("memory_bandwidth_gbps")),
        ("process node", p.process_node or "-", src("process_node")),
        ("die area", f"{_num(p.die_area_mm2)} mm2" if p.die_area_mm2 else "-", src("die_area_mm2")),
    ]
    if p.interconnect or p.interconnect_bandwidth_gbps:
        link = " ".join(x for x in (p.interconnect, f"{_num(p.interconnect_bandwidth_gbps)} GB/s" if p.interconnect_bandwidth_gbps else None) if x)
        rows.append(("interconnect", link, src("interconnect_bandwidth_gbps")))
    if p.default_system:
        rows.append(("default system", p.default_system, ""))
    if p.embodied_kgco2e is not None:
        rows.append(("embodied", f"{_num(p.embodied_kgco2e)} kgCO2e ({p.embodied_model})", src("embodied")))
    if p.efficiency_compute is not None:
        rows.append(("efficiency (calibrated)", f"compute {p.efficiency_compute:g}, memory {p.efficiency_memory:g}", p.efficiency_basis or ""))
    if p.notes:
        rows.append(("notes", p.notes, ""))
    rows.append(("defined in", p.origin, ""))
    sources = [(s.id, s.cite(), s.url or "") for s in p.sources]
    return [
        Section("Figures", ("figure", "value", "source"), tuple(rows)),
        Section("Sources", ("id", "source", "url"), tuple(sources)),
    ]


def profile_csv(p: HardwareProfile) -> tuple[list[str], list[list[Any]]]:
    return hardware_list_csv([p])


_LIST_COLS = ["id", "name", "vendor", "kind", "tdp_w", "fp32_tflops", "fp16_tflops", "int8_tops", "memory_gb", "memory_bandwidth_gbps", "aliases"]


def _list_row(p: HardwareProfile) -> list[Any]:
    return [
        p.id, p.name, p.vendor, p.kind, p.tdp_w, p.peak("fp32"), p.peak("fp16"), p.peak("int8"),
        p.memory_gb, p.memory_bandwidth_gbps, " ".join(p.aliases),
    ]


def hardware_list_doc(profiles: Sequence[HardwareProfile]) -> dict[str, Any]:
    return {"kind": "hardware-list", "count": len(profiles), "profiles": [dict(zip(_LIST_COLS, _list_row(p))) for p in profiles], **provenance()}


def hardware_list_sections(profiles: Sequence[HardwareProfile]) -> list[Section]:
    rows = tuple(
        (p.id, p.name, p.kind, _num(p.tdp_w) if p.tdp_w else "-", _num(p.peak("fp32")), _num(p.peak("fp16")),
         _num(p.peak("int8")), _num(p.memory_gb), ", ".join(p.aliases))
        for p in profiles
    )
    return [
        Section(
            "Profiles",
            ("id", "name", "kind", "TDP W", "FP32 TFLOPS", "FP16 TFLOPS", "INT8 TOPS", "mem GB", "aliases"),
            rows,
            numeric=(3, 4, 5, 6, 7),
            caption="Dense peak figures. 'wattprint hardware show ID' lists the source of each figure.",
            optional=(8, 1, 7, 4, 2),
        )
    ]


def hardware_list_csv(profiles: Sequence[HardwareProfile]) -> tuple[list[str], list[list[Any]]]:
    return list(_LIST_COLS), [_list_row(p) for p in profiles]


_REGION_COLS = ["id", "name", "kind", "intensity_gco2e_per_kwh", "year", "basis", "source", "grid_location", "aliases"]


def _region_row(r: Region) -> list[Any]:
    return [
        r.id, r.name, r.kind, r.intensity_gco2e_per_kwh, r.year, r.basis,
        r.source.id if r.source else None, r.grid_location, " ".join(r.aliases),
    ]


def region_doc(r: Region) -> dict[str, Any]:
    doc = dict(zip(_REGION_COLS, _region_row(r)))
    doc["kind"] = "region"
    doc["region_kind"] = r.kind
    doc["aliases"] = list(r.aliases)
    doc["parent"] = r.parent
    doc["note"] = r.note
    doc["source"] = (
        {"id": r.source.id, "title": r.source.title, "publisher": r.source.publisher, "year": r.source.year,
         "url": r.source.url, "licence": r.source.licence}
        if r.source
        else None
    )
    return {**doc, **provenance()}


def region_sections(r: Region) -> list[Section]:
    rows = [
        ("kind", r.kind),
        ("intensity", f"{fmt_number(r.intensity_gco2e_per_kwh, 4)} gCO2e/kWh"),
        ("year", str(r.year or "-")),
        ("basis", r.basis),
        ("aliases", ", ".join(r.aliases) or "-"),
    ]
    if r.parent:
        rows.append(("part of", r.parent))
    if r.grid_location:
        rows.append(("grid location", f"{r.grid_location} (the cloud region's grid)"))
    if r.source:
        rows.append(("source", r.source.cite()))
        if r.source.licence:
            rows.append(("licence", r.source.licence))
        if r.source.url:
            rows.append(("url", r.source.url))
    if r.note:
        rows.append(("note", r.note))
    return [Section("Region", ("", ""), tuple(rows), key_value=True)]


def region_list_doc(regions: Sequence[Region]) -> dict[str, Any]:
    return {"kind": "region-list", "count": len(regions), "regions": [dict(zip(_REGION_COLS, _region_row(r))) for r in regions], **provenance()}


def region_list_sections(regions: Sequence[Region]) -> list[Section]:
    rows = tuple(
        (r.id, r.name, r.kind, fmt_number(r.intensity_gco2e_per_kwh, 4), str(r.year or "-"), r.basis,
         r.source.id if r.source else "-")
        for r in regions
    )
    return [
        Section(
            "Regions",
            ("id", "name", "kind", "gCO2e/kWh", "year", "basis", "source"),
            rows,
            numeric=(3, 4),
            caption="'wattprint regions show ID' prints the full source and licence.",
            optional=(6, 5, 2, 4, 1),
        )
    ]


def region_list_csv(regions: Sequence[Region]) -> tuple[list[str], list[list[Any]]]:
    return list(_REGION_COLS), [_region_row(r) for r in regions]

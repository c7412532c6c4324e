"""Renderers for `wattprint validate`: measured vs estimated per point, and the summaries."""

from __future__ import annotations

from typing import Any

from wattprint.render import Section
from wattprint.render.common import provenance
from wattprint.units import fmt_energy_j
from wattprint.validation import THRESHOLDS, Summary, ValidationReport, ValidationRow

SCHEMA = "https://wattprint.dev/schemas/validation-result-1.json"


def _summary_doc(s: Summary) -> dict[str, Any]:
    within = {f"within_{t:g}x": share for t, share in zip(THRESHOLDS, s.within)}
    cv = {f"within_{t:g}x": share for t, share in zip(THRESHOLDS, s.cv_within)} if s.cv_within else None
    return {"group": s.group, "points": s.points, "geomean_ratio": s.geomean, **within,
            "cross_validated": None if s.cv_geomean is None else {"geomean_ratio": s.cv_geomean, **(cv or {})}}


def _row_doc(r: ValidationRow) -> dict[str, Any]:
    return {
        "id": r.id, "benchmark": r.benchmark, "model_family": r.model_family, "hardware": r.hardware,
        "hardware_family": r.hardware_family, "devices": r.devices, "scenario": r.scenario, "batch": r.batch,
        "precision": r.precision, "boundary": r.boundary, "unit": r.unit, "measured_j": r.measured_j,
        "estimated_j": r.estimated_j, "ratio": r.ratio, "cross_validated_j": r.cv_estimated_j,
        "cross_validated_ratio": r.cv_ratio, "excluded": r.excluded, "source": r.source,
    }


def validation_doc(rep: ValidationReport) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "kind": "validation",
        "method": rep.method,
        "overall": _summary_doc(rep.overall),
        "by_hardware_family": [_summary_doc(s) for s in rep.by_hardware_family],
        "by_model_family": [_summary_doc(s) for s in rep.by_model_family],
        "coefficients": rep.coefficients.doc(),
        "notes": list(rep.notes),
        "points": [_row_doc(r) for r in rep.rows],
        **provenance(),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _summary_row(s: Summary) -> tuple[str, ...]:
    cv = "-" if s.cv_geomean is None else f"{s.cv_geomean:.2f}"
    cv_within = "-" if not s.cv_within else " / ".join(_pct(x) for x in s.cv_within)
    return (s.group, str(s.points), f"{s.geomean:.2f}", " / ".join(_pct(x) for x in s.within), cv, cv_within)


SUMMARY_COLUMNS = ("group", "points", "geomean est/meas", "within " + " / ".join(f"{t:g}x" for t in THRESHOLDS),
                   "cv geomean", "cv within")


def validation_sections(rep: ValidationReport, points: bool = True) -> list[Section]:
    sections = []
    if points:
        rows = []
        for r in rep.rows:
            cv = "-" if r.cv_ratio is None else f"{r.cv_ratio:.2f}"
            est = "-" if r.estimated_j is None else f"{fmt_energy_j(r.estimated_j)}/{r.unit}"
            ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
            rows.append((r.id, r.benchmark, f"{r.hardware} x{r.devices}", r.scenario, r.precision, r.boundary,
                         f"{fmt_energy_j(r.measured_j)}/{r.unit}", est, ratio, cv, r.excluded or ""))
        sections.append(Section("Measured vs estimated", ("id", "model", "hardware", "scenario", "precision",
                                                          "boundary", "measured", "estimated", "ratio", "cv ratio",
                                                          "excluded"), tuple(rows), numeric=(6, 7, 8, 9)))
    summary = [_summary_row(rep.overall)]
    summary += [_summary_row(s) for s in rep.by_hardware_family]
    summary += [_summary_row(s) for s in rep.by_model_family]
    sections.append(Section("Summary (estimate / measured; cv: leave-one-hardware-family-out)", SUMMARY_COLUMNS,
                            tuple(summary), numeric=(1, 2, 4), caption=rep.method))
    return sections


CSV_COLUMNS = ["id", "benchmark", "model_family", "hardware", "hardware_family", "devices", "scenario", "batch",
               "precision", "boundary", "unit", "measured_j", "estimated_j", "ratio", "cross_validated_j",
               "cross_validated_ratio", "excluded", "source"]


def validation_csv(rep: ValidationReport) -> tuple[list[str], list[list[Any]]]:
    return CSV_COLUMNS, [[_row_doc(r)[c] for c in CSV_COLUMNS] for r in rep.rows]

"""Measuring targets and evaluating assertions: numbers and statuses, never text for a terminal.

:func:`run_check` measures every target of a :class:`~wattprint.check.load.Budget` exactly as
``wattprint infer`` / ``wattprint train`` would, and compares each metric with its limit and the baseline.
It never prints or exits: it returns frozen dataclasses (:class:`CheckReport` -> :class:`TargetResult` ->
:class:`AssertionResult`) and raises :class:`~wattprint.errors.WattprintError`; renderers are in
:mod:`wattprint.render.check`. Base units: energies in joules, CO2e in grams, MACs and parameters as counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattprint.check.load import BASELINE_FIELDS, Assertion, Baseline, Budget, Target, budget_key
from wattprint.check.metrics import METRICS, fmt_delta, fmt_metric
from wattprint.errors import WattprintError
from wattprint.units import fmt_number
from wattprint.vocab import CheckStatus

if TYPE_CHECKING:
    from wattprint.sci import SCIScore


@dataclass(frozen=True)
class Measured:
    metrics: Mapping[str, float]  # base units
    assumptions: Mapping[str, Any]  # data_version, hardware, region
    warnings: tuple[str, ...] = ()


def measure_target(target: Target, hw_files: tuple[Path, ...] = ()) -> Measured:
    """Estimate a target exactly as `wattprint infer` / `wattprint train` would."""
    from wattprint.datafiles import data_version

    o = target.options
    if target.kind == "model":
        from wattprint.estimate import DEFAULT_INFER_HARDWARE, InferOptions, infer_model
        from wattprint.hardware import load_hardware

        options = InferOptions(
            hardware=o.get("hardware", DEFAULT_INFER_HARDWARE), dims=dict(o.get("dims") or {}), batch=o.get("batch"),
            precision=o.get("precision"), region=o.get("region"), intensity=o.get("intensity"),
            grid_file=o.get("grid_file"), pue=o.get("pue"), provider=o.get("provider"),
            inferences=o.get("inferences"), rate=o.get("rate"), days=o.get("days"),
        )
        r = infer_model(target.path, options, load_hardware(tuple(hw_files)))
        metrics = {
            "energy_per_inference": r.energy_per_inference_j,
            "co2e_per_inference": r.co2e_per_inference_g,
            "macs": float(r.model.macs),
            "params": float(r.model.params),
        }
        if r.inferences is not None:
            metrics["energy"] = (r.energy_kwh or 0.0) * 3.6e6
            metrics["co2e"] = (r.co2e_kg or 0.0) * 1000.0
        warnings = tuple(r.model.warnings) + tuple(r.warnings)
        from wattprint.sci import infer_sci

        _add_sci(metrics, target, lambda: infer_sci(r, "inference"))
        hardware_id, grid_label = r.hardware.id, r.grid.label
    else:
        from wattprint.estimate import train_run

        overrides = {
            "hardware": o.get("hardware"), "count": o.get("count"), "hours": o.get("hours"),
            "gpu_hours": o.get("gpu_hours"), "power_w": o.get("power"), "utilization": o.get("utilization"),
            "pue": o.get("pue"), "provider": o.get("provider"), "region": o.get("region"),
            "intensity_gco2e_per_kwh": o.get("intensity"), "grid_file": o.get("grid_file"),
        }
        run = train_run(target.path, overrides, tuple(hw_files))
        metrics = {"energy": run.energy_kwh * 3.6e6, "co2e": run.co2e_kg * 1000.0}
        warnings = tuple(run.assumptions)
        from wattprint.sci import train_sci

        _add_sci(metrics, target, lambda: train_sci(run, "run"))
        hardware_id, grid_label = run.hardware.id, run.grid.label
    assumptions = {"data_version": data_version(), "hardware": hardware_id, "region": grid_label}
    return Measured(metrics, assumptions, warnings)


def _add_sci(metrics: dict[str, float], target: Target, score: Callable[[], SCIScore]) -> None:
    """The SCI score when it is known; an assertion on it when it is not known is an input error."""
    s = score()
    if s.sci_g is not None:
        metrics["sci"] = s.sci_g
    elif any(a.metric == "sci" for a in target.assertions):
        raise WattprintError(f"metric 'sci' cannot be computed: {s.missing}",
                             hint="add an 'embodied:' figure to the hardware profile (--hw-file), or assert on co2e")


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AssertionResult:
    metric: str
    kind: str  # "max" | "max_increase"
    level: str  # "error" | "warn"
    unit: str  # base unit: "J", "g" or "" (count)
    actual: float | None
    limit: float | None  # absolute limit in the base unit (for max_increase: baseline x (1 + pct), when known)
    limit_text: str
    max_increase_pct: float | None
    floor: float | None
    baseline: float | None
    delta_pct: float | None
    status: CheckStatus
    message: str
    line: int | None


@dataclass(frozen=True)
class Mismatch:
    field: str
    baseline: Any
    current: Any


@dataclass(frozen=True)
class TargetResult:
    name: str
    kind: str  # "model" | "spec"
    path: str  # as written in the budget file
    status: CheckStatus  # pass | warn | fail (skipped assertions do not count)
    metrics: Mapping[str, float]
    assumptions: Mapping[str, Any]
    assertions: tuple[AssertionResult, ...]
    message: str | None
    line: int | None
    baseline_found: bool
    baseline_mismatch: tuple[Mismatch, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class CheckReport:
    budget_file: Path
    status: CheckStatus  # pass | warn | fail
    targets: tuple[TargetResult, ...]
    baseline_file: Path | None
    baseline_found: bool
    notices: tuple[str, ...]
    data_version: str | None = None

    def count(self, status: CheckStatus) -> int:
        return sum(a.status == status for t in self.targets for a in t.assertions)

    @property
    def failed(self) -> int:
        return self.count(CheckStatus.fail)

    @property
    def warnings(self) -> int:
        return self.count(CheckStatus.warn)

    @property
    def baseline_mismatch(self) -> bool:
        return any(t.baseline_mismatch for t in self.targets)


def _delta_pct(actual: float, baseline: float) -> float:
    if baseline == 0:
        return 0.0 if actual == 0 else math.inf
    return (actual - baseline) / baseline * 100.0


def evaluate_assertion(a: Assertion, actual: float, baseline: float | None,
                       baseline_note: str | None) -> AssertionResult:
    """Compare one measured value with its limit. Exceeded -> fail (level error) or warn (level warn)."""
    unit = METRICS[a.metric][1]
    delta = _delta_pct(actual, baseline) if baseline is not None else None
    over_status = CheckStatus.fail if a.level == "error" else CheckStatus.warn
    if a.kind == "max":
        over = actual > a.value
        msg = (f"{fmt_metric(a.metric, actual)} exceeds the limit {fmt_metric(a.metric, a.value)}" if over
               else f"{fmt_metric(a.metric, actual)} within {fmt_metric(a.metric, a.value)}")
        return AssertionResult(a.metric, a.kind, a.level, unit, actual, a.value, a.text, None, None, baseline, delta,
                               over_status if over else CheckStatus.passed, msg, a.line)
    if baseline is None:
        return AssertionResult(a.metric, a.kind, a.level, unit, actual, None, a.text, a.value, a.floor, None, None,
                               CheckStatus.skipped, f"skipped: {baseline_note or 'no baseline'}", a.line)
    assert delta is not None
    increase = actual - baseline
    over_pct = delta > a.value
    over_floor = a.floor is None or increase > a.floor
    over = over_pct and over_floor
    limit = baseline * (1 + a.value / 100.0)
    text = f"{fmt_delta(delta)} vs baseline {fmt_metric(a.metric, baseline)} (max +{fmt_number(a.value, 3)}%"
    text += f", floor {fmt_metric(a.metric, a.floor)})" if a.floor is not None else ")"
    if over_pct and not over_floor:
        text += f": increase {fmt_metric(a.metric, increase)} is within the floor"
    return AssertionResult(a.metric, a.kind, a.level, unit, actual, limit, a.text, a.value, a.floor, baseline, delta,
                           over_status if over else CheckStatus.passed, text, a.line)


def _status_of(statuses: list[CheckStatus]) -> CheckStatus:
    if CheckStatus.fail in statuses:
        return CheckStatus.fail
    return CheckStatus.warn if CheckStatus.warn in statuses else CheckStatus.passed


def run_check(
    budget: Budget,
    baseline: Baseline | None = None,
    *,
    baseline_path: Path | None = None,
    hw_files: tuple[Path, ...] = (),
    measure: Callable[[Target, tuple[Path, ...]], Measured] | None = None,
) -> CheckReport:
    """Measure every target and evaluate its assertions against limits and the baseline."""
    measure = measure or measure_target
    notices: list[str] = []
    note: str | None  # why relative checks are skipped, when they are
    if baseline is None and budget.has_relative:
        if baseline_path is not None:
            notices.append(f"baseline {baseline_path} not found: relative checks (max_increase) skipped")
            note = "baseline file not found"
        else:
            notices.append("no baseline given (--baseline FILE): relative checks (max_increase) skipped")
            note = "no baseline (--baseline FILE)"
    else:
        note = "no baseline (--baseline FILE)" if baseline is None else None
    results: list[TargetResult] = []
    data_version = None
    for target in budget.targets:
        try:
            measured = measure(target, hw_files)
        except WattprintError as exc:  # at the line of the key at fault (else the target's), named as the key
            line = target.field_lines.get(budget_key(exc.field)) if exc.field else None
            line = line or target.line
            where = f"{budget.path}:{line}" if line else str(budget.path)
            message, hint = exc.parts(budget_key)
            raise WattprintError(f"{where}: target {target.name!r}: {message}", hint=hint, field=exc.field,
                                 value=exc.value) from None
        data_version = data_version or measured.assumptions.get("data_version")
        entry = baseline.entry_for(target, len(budget.targets) == 1) if baseline is not None else None
        target_note = note
        if baseline is not None and entry is None:
            target_note = f"target not in baseline {baseline.path.name}"
            if any(a.kind == "max_increase" for a in target.assertions):
                notices.append(f"target {target.name!r} is not in baseline {baseline.path}: "
                               "its relative checks are skipped")
        mismatch: tuple[Mismatch, ...] = ()
        if entry is not None:
            mismatch = tuple(
                Mismatch(k, entry.assumptions.get(k), measured.assumptions.get(k))
                for k in BASELINE_FIELDS
                if entry.assumptions.get(k) is not None and entry.assumptions.get(k) != measured.assumptions.get(k)
            )
            if mismatch:
                what = ", ".join(f"{m.field} {m.baseline} (baseline) vs {m.current} (now)" for m in mismatch)
                notices.append(f"baseline for target {target.name!r} was made with other assumptions: {what}; "
                               "deltas compare unlike estimates")
        assertion_results = []
        for a in target.assertions:
            base_value = entry.metrics.get(a.metric) if entry is not None else None
            this_note = target_note
            if entry is not None and base_value is None:
                this_note = f"baseline has no {a.metric}"
            assertion_results.append(evaluate_assertion(a, measured.metrics[a.metric], base_value, this_note))
        status = _status_of([r.status for r in assertion_results])
        results.append(TargetResult(
            target.name, target.kind, target.path_text, status, dict(measured.metrics), dict(measured.assumptions),
            tuple(assertion_results), target.message, target.line, entry is not None, mismatch,
            tuple(measured.warnings),
        ))
    return CheckReport(
        budget.path, _status_of([t.status for t in results]), tuple(results),
        baseline_path if baseline_path is not None else (baseline.path if baseline else None),
        baseline is not None, tuple(notices), data_version,
    )


def exit_code(report: CheckReport, fail_on: str = "error", report_only: bool = False) -> int:
    """0 when every error-level assertion holds (warnings too with fail_on='warn'); 1 otherwise."""
    if report_only:
        return 0
    if report.failed:
        return 1
    return 1 if fail_on == "warn" and report.warnings else 0


def fails_step(result: AssertionResult, fail_on: str = "error") -> bool:
    """Does this assertion count as a failure under --fail-on?"""
    return result.status is CheckStatus.fail or (fail_on == "warn" and result.status is CheckStatus.warn)


__all__ = [
    "AssertionResult", "CheckReport", "Measured", "Mismatch", "TargetResult", "evaluate_assertion", "exit_code",
    "fails_step", "measure_target", "run_check",
]

"""What-if: the same run or model across regions and hardware, and the best start time.

The chosen configuration is the reference; each alternative reports its saving
against it (positive: less CO2e).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from wattprint.carbon import GridSeries, choose_grid, choose_pue, load_grid_file
from wattprint.energy.training import TrainingResult, TrainingSpec, estimate_training
from wattprint.errors import WattprintError
from wattprint.hardware import HardwareDB
from wattprint.inference import InferenceResult, estimate_inference, peak_for


@dataclass(frozen=True)
class Alternative:
    label: str
    name: str
    detail: str
    energy_kwh: float  # the run's total, or the per-inference energy in kWh x volume for infer
    co2e_kg: float
    saving_kg: float
    saving_pct: float
    is_chosen: bool


def _rank(chosen_label: str, rows: list[tuple[str, str, str, float, float]]) -> tuple[Alternative, ...]:
    base = next(r for r in rows if r[0] == chosen_label)[4]
    out = [
        Alternative(label, name, detail, kwh, co2, base - co2, 100 * (base - co2) / base if base else 0.0, label == chosen_label)
        for label, name, detail, kwh, co2 in rows
    ]
    return tuple(sorted(out, key=lambda a: (a.co2e_kg, not a.is_chosen)))


def train_regions(spec: TrainingSpec, db: HardwareDB, chosen: TrainingResult, regions: list[str]) -> tuple[Alternative, ...]:
    rows = [(chosen.grid.label, chosen.grid.name, _grid_detail(chosen), chosen.energy_kwh, chosen.co2e_kg)]
    for region in regions:
        alt = spec.model_copy(update={"region": region, "grid_file": None, "intensity_gco2e_per_kwh": None, "start": None})
        r = estimate_training(alt, db)
        if r.grid.label != chosen.grid.label:
            rows.append((r.grid.label, r.grid.name, _grid_detail(r), r.energy_kwh, r.co2e_kg))
    return _rank(chosen.grid.label, rows)


def like_for_like_utilization(spec: TrainingSpec, chosen: TrainingResult) -> float | None:
    """The fraction of TDP the chosen run draws, to apply to the alternatives (like with like).

    A given average power (``power_w``) becomes the same fraction of each alternative's TDP; a given
    ``utilization`` carries over as it is; without either, every device runs at the default. None when the
    chosen device has no TDP to take a fraction of.
    """
    if spec.power_w is None:
        return spec.utilization
    if not chosen.hardware.tdp_w:
        return None
    return min(1.0, spec.power_w / chosen.hardware.tdp_w)


def train_hardware(spec: TrainingSpec, db: HardwareDB, chosen: TrainingResult, ids: list[str]) -> tuple[Alternative, ...]:
    """The same work on other devices: fixed-hours runs are rescaled by the peak ratio at the run's precision.

    Power is compared like with like: a given average draw becomes the same fraction of each device's TDP.
    """
    warnings: set[str] = set()
    base_peak = peak_for(chosen.hardware, spec.precision, warnings)[0]
    share = like_for_like_utilization(spec, chosen)
    rows = [(chosen.hardware.id, chosen.hardware.name, _hw_detail(chosen), chosen.energy_kwh, chosen.co2e_kg)]
    for hw_id in ids:
        profile = db.get(hw_id)
        if profile.id == chosen.hardware.id:
            continue
        update: dict = {"hardware": profile.id, "power_w": None, "utilization": share if profile.tdp_w else None}
        if chosen.compute is None:  # hours were given: keep the work, not the hours
            update.update(hours=chosen.hours * base_peak / peak_for(profile, spec.precision, warnings)[0], gpu_hours=None)
        note = ""
        if spec.embodied and profile.embodied_kgco2e is None:
            update["embodied"], note = False, " (no embodied figure: operational only)"
        r = estimate_training(spec.model_copy(update=update), db)
        rows.append((profile.id, profile.name, _hw_detail(r) + note, r.energy_kwh, r.co2e_kg))
    return _rank(chosen.hardware.id, rows)


def infer_regions(chosen: InferenceResult, regions: list[str]) -> tuple[Alternative, ...]:
    def row(r: InferenceResult) -> tuple[str, str, str, float, float]:
        return (r.grid.label, r.grid.name, f"{r.grid.intensity_gco2e_per_kwh:.4g} gCO2e/kWh, PUE {r.pue.pue:g}",
                r.energy_per_inference_j / 3.6e6 * _volume(r), r.co2e_per_inference_g / 1000 * _volume(r))

    rows = [row(chosen)]
    for region in regions:
        grid = choose_grid(region=region)
        if grid.label == chosen.grid.label:
            continue
        rows.append(row(replace(chosen, grid=grid, pue=choose_pue(None, grid.provider), comparisons=())))
    return _rank(chosen.grid.label, rows)


def infer_hardware(chosen: InferenceResult, db: HardwareDB, ids: list[str]) -> tuple[Alternative, ...]:
    def row(r: InferenceResult) -> tuple[str, str, str, float, float]:
        return (r.hardware.id, r.hardware.name, f"{r.time_per_inference_s * 1e6:.3g} µs/inference",
                r.energy_per_inference_j / 3.6e6 * _volume(r), r.co2e_per_inference_g / 1000 * _volume(r))

    rows = [row(chosen)]
    for hw_id in ids:
        profile = db.get(hw_id)
        if profile.id == chosen.hardware.id:
            continue
        r = estimate_inference(chosen.model, profile, batch=chosen.batch, pue=chosen.pue, grid=chosen.grid,
                               inferences=chosen.inferences, volume_basis=chosen.volume_basis, coefficients=chosen.coefficients)
        rows.append(row(r))
    return _rank(chosen.hardware.id, rows)


def _volume(r: InferenceResult) -> float:
    """Alternatives compare at the serving volume, or per million inferences without one."""
    return r.inferences if r.inferences is not None else 1e6


def _grid_detail(r: TrainingResult) -> str:
    return f"{r.grid.intensity_gco2e_per_kwh:.4g} gCO2e/kWh, PUE {r.pue.pue:g}"


def _hw_detail(r: TrainingResult) -> str:
    return f"{r.count} x {r.hours:.4g} h at {r.power_w:.4g} W"


@dataclass(frozen=True)
class BestStart:
    now: datetime
    best: datetime
    hours: float
    now_intensity: float
    best_intensity: float
    now_co2e_kg: float
    best_co2e_kg: float
    window_hours: float | None

    @property
    def saving_kg(self) -> float:
        return self.now_co2e_kg - self.best_co2e_kg

    @property
    def saving_pct(self) -> float:
        return 100 * self.saving_kg / self.now_co2e_kg if self.now_co2e_kg else 0.0


def best_start(result: TrainingResult, grid_file: str, now: datetime | None, window_hours: float | None,
               gaps: str = "fill", basis: str | None = None) -> BestStart:
    """Search the start in [now, now + window] with the least emissions for this run (same energy).

    Starts whose run crosses a gap that cannot be used (too long, or any gap with ``gaps='error'``)
    are skipped."""
    series = load_grid_file(grid_file, basis)
    if not isinstance(series, GridSeries):
        raise WattprintError(f"{grid_file}: --best-start needs an hourly time series, not one constant intensity")
    if window_hours is not None:
        from wattprint.limits import check

        check("window", window_hours, "window (hours)")
    start = now or series.start
    now_mean = series.average_over(start, result.hours)
    best, best_mean = series.best_start(start, result.hours, window_hours, gaps)
    kwh = result.energy_kwh
    return BestStart(start, best, result.hours, now_mean, best_mean, kwh * now_mean / 1000, kwh * best_mean / 1000, window_hours)

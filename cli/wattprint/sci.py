"""Software Carbon Intensity (SCI, ISO/IEC 21031:2024): SCI = (E x I + M) per R.

E is the energy of the software boundary over R functional units (kWh), I the location-based grid
intensity (gCO2e/kWh), M the embodied emissions of the hardware allocated to that work (gCO2e) and R the
number of functional units. See docs/methodology.md, "SCI".

The allocation of M follows the standard's time-share: M = TE x TS x RS, with TE the device's (and its
host slot's) embodied total, TS the time the work reserves the device over its service life and RS = 1
(a whole device is reserved). Where the hardware has no published embodied figure, M is not known and
neither is the score: the result says so instead of leaving M out silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wattprint.errors import WattprintError

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.energy.training import TrainingResult
    from wattprint.generation import GenerationResult
    from wattprint.inference import InferenceResult

FUNCTIONAL_UNITS = ("inference", "request", "token", "run")
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class SCIScore:
    functional_unit: str
    #: R: how many functional units E and M cover
    r: float
    r_basis: str
    e_kwh: float  # over R units
    i_gco2e_per_kwh: float
    i_basis: str
    m_g: float | None  # over R units; None when the hardware has no embodied figure
    m_basis: str
    boundary: tuple[str, ...]

    @property
    def operational_g(self) -> float:
        """E x I over R units."""
        return self.e_kwh * self.i_gco2e_per_kwh

    @property
    def sci_g(self) -> float | None:
        """gCO2e per functional unit, or None when M is not known."""
        if self.m_g is None:
            return None
        return (self.operational_g + self.m_g) / self.r

    @property
    def missing(self) -> str | None:
        return None if self.m_g is not None else f"M (embodied) is not known: {self.m_basis}"


def _intensity_basis(grid) -> str:
    if grid.kind == "region":
        what = f"location-based: {grid.label} yearly average"
    elif grid.kind in ("grid-file", "grid-series"):
        what = f"location-based: grid file {grid.label}" + (f", {grid.basis}" if grid.basis else "")
    else:
        what = "as given (--intensity); SCI asks for a location-based figure"
    return what + (f" ({grid.year})" if grid.year and grid.kind == "region" else "")


def _unit_error(unit: str, what: str) -> WattprintError:
    if unit not in FUNCTIONAL_UNITS:
        return WattprintError(f"--functional-unit {unit!r} is not one of {', '.join(FUNCTIONAL_UNITS)}")
    if unit in ("request", "token"):
        return WattprintError(f"--functional-unit {unit}: {what} is not a generation workload, so it has no "
                              f"{unit}s", hint="use --functional-unit inference, or a generation (LLM) workload")
    return WattprintError(f"--functional-unit {unit} does not apply to {what}",
                          hint="use inference (or run with a serving volume) for infer, run for train")


def _embodied_share_g(profile, hours: float, devices: float) -> tuple[float | None, str]:
    """Device + host-slot embodied gCO2e for ``devices`` devices reserved ``hours`` of their service life."""
    from wattprint.ranges import ranges

    if profile.embodied_kgco2e is None:
        return None, f"hardware profile {profile.id!r} has no published embodied figure"
    e = ranges()["embodied"]
    life_h = float(e["lifetime_years"]) * HOURS_PER_YEAR
    te = (profile.embodied_kgco2e + float(e["host_kg_per_device"])) * 1000.0
    basis = (f"TE {te / 1000:g} kg (device {profile.embodied_kgco2e:g} kg: {profile.embodied_model}; host slot "
             f"{float(e['host_kg_per_device']):g} kg) x TS {hours:.4g} h / {life_h:g} h service life x RS 1 per device")
    return te * devices * hours / life_h, basis


def infer_sci(r: InferenceResult, unit: str) -> SCIScore:
    """SCI of an inference result: per inference, or per run (the whole serving volume)."""
    if unit == "inference":
        n = 1.0
        r_basis = "1 inference"
    elif unit == "run" and r.inferences is not None:
        n = float(r.inferences)
        r_basis = f"1 run = {r.volume_basis or f'{n:g} inferences'}"
    elif unit == "run":
        raise WattprintError("--functional-unit run needs a serving volume", hint="add --inferences N or --rate R")
    else:
        raise _unit_error(unit, "a single forward pass of this model")
    busy_h = r.time_per_inference_s * n / 3600.0
    m, m_basis = _embodied_share_g(r.hardware, busy_h, 1.0)
    return SCIScore(
        functional_unit="run" if unit == "run" else "inference",
        r=1.0,
        r_basis=r_basis,
        e_kwh=r.energy_per_inference_j * n / 3.6e6,
        i_gco2e_per_kwh=r.grid.intensity_gco2e_per_kwh,
        i_basis=_intensity_basis(r.grid),
        m_g=m,
        m_basis=m_basis + "; TS = the accelerator's busy time (roofline), i.e. a fully used device",
        boundary=("accelerator (roofline energy)", f"rest of the node ({r.node.system_name}: host share, per-accelerator "
                                                   "overhead, power-supply losses)",
                  f"datacenter overhead (PUE {r.pue.pue:g})", "embodied: accelerator die + host slot, time-shared"),
    )


def generation_sci(g: GenerationResult, unit: str) -> SCIScore:
    """SCI of an LLM generation workload: per request, per output token, or per run (the request volume)."""
    w = g.workload
    device_s_per_batch = g.time_per_batch_s * w.devices  # every device reserved for the whole batch
    if unit == "request":
        e_j, device_s, r_basis = g.energy_per_request_j, device_s_per_batch / w.concurrency, (
            f"1 request ({w.prompt_tokens} prompt + {w.output_tokens} output tokens)")
    elif unit == "token":
        e_j, device_s = g.energy_per_output_token_j, device_s_per_batch / g.output_tokens_total
        r_basis = "1 output token (prefill included, spread over the output tokens)"
    elif unit == "run" and g.requests is not None:
        e_j = g.energy_per_request_j * g.requests
        device_s = device_s_per_batch / w.concurrency * g.requests
        r_basis = f"1 run = {g.volume_basis or f'{g.requests:g} requests'}"
    elif unit == "run":
        raise WattprintError("--functional-unit run needs a serving volume", hint="add --inferences N or --rate R")
    else:
        raise WattprintError(f"--functional-unit {unit} does not apply to a generation workload",
                             hint="use request, token, or run with a serving volume")
    m, m_basis = _embodied_share_g(g.hardware, device_s / 3600.0, 1.0)
    return SCIScore(
        functional_unit=unit,
        r=1.0,
        r_basis=r_basis,
        e_kwh=e_j / 3.6e6,
        i_gco2e_per_kwh=g.grid.intensity_gco2e_per_kwh,
        i_basis=_intensity_basis(g.grid),
        m_g=m,
        m_basis=m_basis + f"; TS = busy time x {w.devices} device(s) / {w.concurrency} concurrent request(s)",
        boundary=(f"{w.devices} accelerator(s): prefill and decode", "rest of the node (host share, overhead, "
                  "power-supply losses)", f"datacenter overhead (PUE {g.pue.pue:g})",
                  "embodied: accelerator die + host slot, time-shared"),
    )


def train_sci(t: TrainingResult, unit: str) -> SCIScore:
    """SCI of a training run, per run."""
    if unit != "run":
        raise _unit_error(unit, "a training run")
    m, m_basis = _embodied_share_g(t.hardware, t.hours, float(t.count))
    if t.embodied is not None:  # the run's own embodied figures (its --lifetime-years / --host-embodied-kg)
        m = t.embodied.co2e_kg * 1000.0
        m_basis = (f"{t.count} x (device {t.embodied.device_kg:g} kg + host slot {t.embodied.host_kg_per_device:g} kg) x "
                   f"{t.hours:g} h / {t.embodied.lifetime_years:g} years ({t.embodied.model})")
    return SCIScore(
        functional_unit="run",
        r=1.0,
        r_basis=f"1 run ({t.name})",
        e_kwh=t.energy_kwh,
        i_gco2e_per_kwh=t.grid.intensity_gco2e_per_kwh,
        i_basis=_intensity_basis(t.grid),
        m_g=m,
        m_basis=m_basis,
        boundary=(f"{t.count} accelerators", "host CPU and DRAM", f"datacenter overhead (PUE {t.pue.pue:g})",
                  "embodied: accelerator dies + host slots, time-shared"),
    )


__all__ = ["FUNCTIONAL_UNITS", "SCIScore", "generation_sci", "infer_sci", "train_sci"]

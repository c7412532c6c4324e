"""Energy and emissions of a training run (Strubell et al. 2019 accounting).

    E_IT    = t * (count * P_device + P_cpu + P_dram)            [Wh]
    E_total = PUE * E_IT                                          [Wh]
    CO2e    = E_total * I                                          [g, I in gCO2e/kWh]

P_device defaults to the profile's TDP times a utilisation factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wattprint.comparisons import Comparison, compare
from wattprint.errors import WattprintError
from wattprint.grid import GridChoice, PUEChoice, choose_grid, choose_pue, parse_start
from wattprint.hardware import HardwareDB, HardwareProfile
from wattprint.yamlio import format_validation_error, load_yaml

#: Default fraction of TDP drawn on average when no power is given. 1.0 (TDP as
#: the average draw) is the convention of Green Algorithms (Lannelongue et al.
#: 2021) and the ML CO2 Impact calculator (Lacoste et al. 2019): an upper bound.
DEFAULT_UTILIZATION = 1.0
#: DRAM power per GB, Green Algorithms v3.0 reference value "memoryPower".
DRAM_W_PER_GB = 0.3725


class HostSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    cpu_power_w: float | None = Field(default=None, ge=0, description="average draw of all host CPUs, W")
    dram_power_w: float | None = Field(default=None, ge=0, description="average draw of host DRAM, W")
    memory_gb: float | None = Field(default=None, ge=0, description="host DRAM size; 0.3725 W/GB when no dram_power_w")

    @model_validator(mode="after")
    def _one_dram(self) -> "HostSpec":
        if self.dram_power_w is not None and self.memory_gb is not None:
            raise ValueError("give dram_power_w or memory_gb, not both")
        return self


class TrainingSpec(BaseModel):
    """The YAML schema of a training run (flags use the same names with dashes)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "training run"
    hardware: str = Field(description="hardware profile id or alias, e.g. a100, h100-sxm, tpu-v3")
    count: int = Field(default=1, ge=1, description="number of accelerators")
    hours: float | None = Field(default=None, gt=0, description="wall-clock hours")
    gpu_hours: float | None = Field(default=None, gt=0, description="device-hours (count x hours)")
    power_w: float | None = Field(default=None, gt=0, description="average draw per device, W")
    utilization: float | None = Field(default=None, gt=0, le=1, description="fraction of TDP drawn on average")
    host: HostSpec | None = None
    pue: float | None = Field(default=None, ge=1, description="power usage effectiveness")
    provider: str | None = Field(default=None, description="cloud provider whose PUE to default to")
    region: str | None = None
    grid_file: str | None = None
    intensity_gco2e_per_kwh: float | None = Field(default=None, ge=0)
    start: datetime | None = Field(default=None, description="run start, for hourly grid files")

    @model_validator(mode="after")
    def _consistent(self) -> "TrainingSpec":
        if (self.hours is None) == (self.gpu_hours is None):
            raise ValueError("give exactly one of hours or gpu_hours")
        if self.power_w is not None and self.utilization is not None:
            raise ValueError("give power_w or utilization, not both (power_w is already the average draw)")
        if sum(x is not None for x in (self.region, self.grid_file, self.intensity_gco2e_per_kwh)) > 1:
            raise ValueError("give only one of region, grid_file or intensity_gco2e_per_kwh")
        return self


FLAG_NAMES = {
    "hardware": "--hardware",
    "count": "--count",
    "hours": "--hours",
    "gpu_hours": "--gpu-hours",
    "power_w": "--power",
    "utilization": "--utilization",
    "pue": "--pue",
    "region": "--region",
    "grid_file": "--grid-file",
    "intensity_gco2e_per_kwh": "--intensity",
    "start": "--start",
    "name": "--name",
    "provider": "--provider",
}


def load_training_spec(path: Path | None, overrides: dict[str, Any]) -> TrainingSpec:
    """Merge a YAML spec with flag overrides (flags win) and validate strictly."""
    data: dict[str, Any] = {}
    if path is not None:
        loaded = load_yaml(path, "training spec")
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise WattprintError(f"{path}: a training spec is a mapping of fields (name, hardware, count, hours, ...)")
        data.update(loaded)
        if isinstance(data.get("grid_file"), str) and not Path(data["grid_file"]).is_absolute():
            data["grid_file"] = str(Path(path).parent / data["grid_file"])  # relative to the spec file
    flags = {k: v for k, v in overrides.items() if v is not None}
    if any(k in flags for k in ("region", "grid_file", "intensity_gco2e_per_kwh")):
        for k in ("region", "grid_file", "intensity_gco2e_per_kwh"):
            data.pop(k, None)  # a grid choice on the command line replaces the file's
    if "hours" in flags or "gpu_hours" in flags:
        data.pop("hours", None)
        data.pop("gpu_hours", None)
    if "power_w" in flags or "utilization" in flags:
        data.pop("power_w", None)
        data.pop("utilization", None)
    data.update(flags)
    if "hardware" not in data:
        raise WattprintError(
            f"{path}: missing required field 'hardware'" if path else "no hardware given",
            hint="pass --hardware ID (see 'wattprint hardware list') or a spec file",
        )
    if "hours" not in data and "gpu_hours" not in data:
        raise WattprintError(
            f"{path}: missing 'hours' (or 'gpu_hours')" if path else "no run length given",
            hint="pass --hours H or --gpu-hours H",
        )
    try:
        return TrainingSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        if field in flags or path is None:
            flag = FLAG_NAMES.get(field, field)
            value = err.get("input")
            shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
            where = f"{flag}: " if flag else ""
            raise WattprintError(f"{where}{err['msg']}{shown}") from None
        raise format_validation_error(path, exc) from None


@dataclass(frozen=True)
class TrainingResult:
    name: str
    hardware: HardwareProfile
    hardware_requested: str
    count: int
    hours: float
    device_hours: float
    power_w: float  # per device
    power_basis: str
    utilization: float | None
    host_cpu_power_w: float
    host_dram_power_w: float
    accelerator_kwh: float
    host_kwh: float
    it_kwh: float
    overhead_kwh: float
    energy_kwh: float
    pue: PUEChoice
    grid: GridChoice
    co2e_kg: float
    start: datetime | None
    comparisons: tuple[Comparison, ...]
    assumptions: tuple[str, ...]


def estimate_training(spec: TrainingSpec, hardware: HardwareDB, units: str = "metric") -> TrainingResult:
    profile = hardware.get(spec.hardware)
    hours = spec.hours if spec.hours is not None else spec.gpu_hours / spec.count
    device_hours = hours * spec.count
    assumptions: list[str] = []

    utilization = None
    if spec.power_w is not None:
        power, basis = spec.power_w, "given"
    elif profile.tdp_w is not None:
        utilization = spec.utilization if spec.utilization is not None else DEFAULT_UTILIZATION
        power = profile.tdp_w * utilization
        basis = f"TDP {profile.tdp_w:g} W x utilisation {utilization:g}"
        if spec.utilization is None:
            assumptions.append(
                f"utilisation {DEFAULT_UTILIZATION:g} of TDP (default, an upper bound; pass --utilization or --power)"
            )
    elif profile.typical_power_w is not None:
        if spec.utilization is not None:
            raise WattprintError(
                f"hardware profile {profile.id!r} has no published TDP, so --utilization cannot apply",
                hint="pass --power W, or drop --utilization to use its measured mean power",
            )
        power = profile.typical_power_w
        basis = f"measured mean {power:g} W (no TDP published)"
    else:
        raise WattprintError(
            f"hardware profile {profile.id!r} has no tdp_w or typical_power_w (not published)",
            hint="pass --power W (average draw per device)",
        )

    host = spec.host or HostSpec()
    cpu_w = host.cpu_power_w or 0.0
    dram_w = host.dram_power_w if host.dram_power_w is not None else (host.memory_gb or 0.0) * DRAM_W_PER_GB
    if host.memory_gb is not None:
        assumptions.append(f"host DRAM {host.memory_gb:g} GB x {DRAM_W_PER_GB} W/GB (Green Algorithms v3.0)")
    if spec.host is None:
        assumptions.append("host CPU and DRAM power not given: accelerators only (add host: to the spec)")

    accel_kwh = power * device_hours / 1000.0
    host_kwh = (cpu_w + dram_w) * hours / 1000.0
    it_kwh = accel_kwh + host_kwh

    grid = choose_grid(
        region=spec.region,
        intensity=spec.intensity_gco2e_per_kwh,
        grid_file=spec.grid_file,
        start=spec.start,
        hours=hours,
    )
    pue = choose_pue(spec.pue, spec.provider or grid.provider)
    energy_kwh = it_kwh * pue.pue
    co2e_kg = energy_kwh * grid.intensity_gco2e_per_kwh / 1000.0
    if grid.is_default:
        assumptions.append("no region given: using the world average grid intensity (pass --region)")
    return TrainingResult(
        name=spec.name,
        hardware=profile,
        hardware_requested=spec.hardware,
        count=spec.count,
        hours=hours,
        device_hours=device_hours,
        power_w=power,
        power_basis=basis,
        utilization=utilization,
        host_cpu_power_w=cpu_w,
        host_dram_power_w=dram_w,
        accelerator_kwh=accel_kwh,
        host_kwh=host_kwh,
        it_kwh=it_kwh,
        overhead_kwh=energy_kwh - it_kwh,
        energy_kwh=energy_kwh,
        pue=pue,
        grid=grid,
        co2e_kg=co2e_kg,
        start=spec.start,
        comparisons=compare(co2e_kg, units),
        assumptions=tuple(assumptions),
    )


__all__ = ["TrainingSpec", "TrainingResult", "estimate_training", "load_training_spec", "parse_start"]

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
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from wattprint.carbon import GridChoice, PUEChoice, choose_grid, choose_pue, parse_start
from wattprint.comparisons import Comparison, compare
from wattprint.errors import MissingFigureError, WattprintError
from wattprint.hardware import HardwareDB, HardwareProfile
from wattprint.limits import printable, pydantic_check, reject_bool
from wattprint.ranges import Span, grid_factor_range, pue_range, ranges
from wattprint.vocab import TRAIN_PRECISIONS, PowerBasis
from wattprint.yamlio import did_you_mean, format_validation_error, key_line, load_yaml

if TYPE_CHECKING:
    TrainPrecisionName = str
else:
    TrainPrecisionName = Literal[TRAIN_PRECISIONS]  # the one list (wattprint.vocab), as a Literal for pydantic

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

    @field_validator("cpu_power_w", "dram_power_w", "memory_gb", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:
        return reject_bool(value)

    @field_validator("cpu_power_w", "dram_power_w", "memory_gb")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        return pydantic_check(str(info.field_name), value)  # (set for a field validator)

    @model_validator(mode="after")
    def _one_dram(self) -> HostSpec:
        if self.dram_power_w is not None and self.memory_gb is not None:
            raise ValueError("give dram_power_w or memory_gb, not both")
        return self


#: numeric fields checked against wattprint.limits (documented in docs/limits.md)
_BOUNDED = ("count", "hours", "gpu_hours", "params", "tokens", "samples", "epochs", "mfu", "lifetime_years",
            "host_embodied_kg", "power_w", "utilization", "pue", "intensity_gco2e_per_kwh")


class TrainingSpec(BaseModel):
    """The YAML schema of a training run (flags use the same names with dashes)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = "training run"
    hardware: str = Field(description="hardware profile id or alias, e.g. a100, h100-sxm, tpu-v3")
    count: int = Field(default=1, ge=1, description="number of accelerators")
    hours: float | None = Field(default=None, gt=0, description="wall-clock hours")
    gpu_hours: float | None = Field(default=None, gt=0, description="device-hours (count x hours)")
    params: float | None = Field(default=None, gt=0, description="model parameters N (with tokens: 6 N D FLOPs)")
    tokens: float | None = Field(default=None, gt=0, description="training tokens D")
    model: str | None = Field(default=None, description="ONNX model (with samples: 3 x forward FLOPs per sample)")
    samples: float | None = Field(default=None, gt=0, description="training samples per epoch")
    epochs: float = Field(default=1, gt=0)
    mfu: float | None = Field(default=None, gt=0, le=1, description="model FLOPs utilisation, for compute-based runs")
    precision: TrainPrecisionName = Field(
        default="bf16", description="precision whose peak the compute-based estimate uses"
    )
    embodied: bool = Field(default=False, description="include amortised embodied emissions in the totals")
    lifetime_years: float | None = Field(default=None, gt=0, description="device service life for embodied")
    host_embodied_kg: float | None = Field(default=None, ge=0, description="server embodied kgCO2e per device slot")
    power_w: float | None = Field(default=None, gt=0, description="average draw per device, W")
    utilization: float | None = Field(default=None, gt=0, le=1, description="fraction of TDP drawn on average")
    host: HostSpec | None = None
    pue: float | None = Field(default=None, ge=1, description="power usage effectiveness")
    provider: str | None = Field(default=None, description="cloud provider whose PUE to default to")
    region: str | None = None
    grid_file: str | None = None
    intensity_gco2e_per_kwh: float | None = Field(default=None, ge=0)
    start: datetime | None = Field(default=None, description="run start, for hourly grid files")
    grid_gaps: Literal["fill", "error"] = Field(
        default="fill", description="gaps in a grid series inside the run: fill (linear, up to 6 h) or error"
    )
    grid_basis: Literal["lifecycle", "direct"] | None = Field(
        default=None, description="column of a grid file that has both (Electricity Maps): lifecycle (default) or direct"
    )

    @field_validator(*_BOUNDED, mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:  # YAML's true is not 1
        return reject_bool(value)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return printable(value)

    @field_validator(*_BOUNDED)
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        return pydantic_check(str(info.field_name), value)  # (set for a field validator)

    @model_validator(mode="after")
    def _consistent(self) -> TrainingSpec:
        ways = [
            self.hours is not None,
            self.gpu_hours is not None,
            self.params is not None or self.tokens is not None,
            self.model is not None or self.samples is not None,
        ]
        if sum(ways) != 1:
            raise ValueError(
                "give exactly one of: hours, gpu_hours, params + tokens, or model + samples"
            )
        if ways[2] and (self.params is None or self.tokens is None):
            raise ValueError("a compute-based run needs both params and tokens")
        if ways[3] and (self.model is None or self.samples is None):
            raise ValueError("a model-based run needs both model and samples")
        if self.mfu is not None and not (ways[2] or ways[3]):
            raise ValueError("mfu applies only to compute-based runs (params + tokens, or model + samples)")
        if "epochs" in self.model_fields_set and not ways[3]:
            raise ValueError("epochs applies only to model-based runs (model + samples: samples are per epoch)")
        if self.power_w is not None and self.utilization is not None:
            raise ValueError("give power_w or utilization, not both (power_w is already the average draw)")
        if sum(x is not None for x in (self.region, self.grid_file, self.intensity_gco2e_per_kwh)) > 1:
            raise ValueError("give only one of region, grid_file or intensity_gco2e_per_kwh")
        return self


#: groups of fields where a flag replaces the whole group from the file
_GROUPS = (
    ("region", "grid_file", "intensity_gco2e_per_kwh", "grid_basis"),
    ("hours", "gpu_hours", "params", "tokens", "model", "samples", "epochs", "mfu"),
    ("power_w", "utilization"),
)
_LENGTH_FIELDS = ("hours", "gpu_hours", "params", "tokens", "model", "samples")


def load_training_spec(path: Path | None, overrides: dict[str, Any]) -> TrainingSpec:
    """Merge a YAML spec with flag overrides (flags win) and validate strictly."""
    data: dict[str, Any] = {}
    if path is not None:
        loaded = load_yaml(path, "training spec")
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise WattprintError(f"{path}: a training spec is a mapping of fields (name, hardware, count, hours, ...)")
        for key in loaded:  # a typo'd field first: it explains a 'missing' one
            if key not in TrainingSpec.model_fields:
                line = key_line(path, (key,))
                raise WattprintError(
                    f"{path}{f':{line}' if line else ''}: unknown field {key!r}",
                    hint=did_you_mean(str(key), list(TrainingSpec.model_fields)) or "remove it or check its spelling",
                )
        data.update(loaded)
        for key in ("grid_file", "model"):  # paths in a spec are relative to the spec file
            if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
                data[key] = str(Path(path).parent / data[key])
    flags = {k: v for k, v in overrides.items() if v is not None and v is not False}
    for group in _GROUPS:
        if any(k in flags for k in group):
            for k in group:
                data.pop(k, None)
    data.update(flags)
    if "hardware" not in data:
        raise WattprintError(
            f"{path}: missing required field 'hardware'" if path else "no hardware given",
            hint="pass {hardware} ID (see 'wattprint hardware list') or a spec file", fields=("hardware",),
        )
    if not any(k in data for k in _LENGTH_FIELDS):
        raise WattprintError(
            f"{path}: missing 'hours' (or gpu_hours, params + tokens, model + samples)" if path else "no run length given",
            hint="pass {hours} H, {gpu_hours} H, {params} N {tokens} D, or {model} M.onnx {samples} S",
            fields=("hours", "gpu_hours", "params", "tokens", "model", "samples"),
        )
    try:
        return TrainingSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        if field in flags or path is None:  # a flag's value (or no file): the field, for the CLI to name as its flag
            value = err.get("input")
            shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
            if err.get("type") == "value_error":  # our own checks name the value already
                shown = ""
            where = f"{{{field}}}: " if field else ""
            msg = err["msg"].removeprefix("Value error, ")
            raise WattprintError(f"{where}{msg}{shown}", field=field or None, value=value) from None
        raise format_validation_error(path, exc, model=TrainingSpec) from None


@dataclass(frozen=True)
class ComputeBasis:
    """How a compute-based run's device-hours were derived."""

    train_flops: float
    formula: str
    peak_tflops: float
    peak_precision: str
    mfu: float
    mfu_basis: str


@dataclass(frozen=True)
class Embodied:
    """Manufacturing emissions amortised over the run's share of the devices' service life."""

    co2e_kg: float
    device_kg: float  # per device, from the profile
    host_kg_per_device: float
    lifetime_years: float
    share: float  # run hours / lifetime hours
    model: str
    included: bool


@dataclass(frozen=True)
class TrainingResult:
    name: str
    hardware: HardwareProfile
    hardware_requested: str
    count: int
    hours: float
    device_hours: float
    power_w: float  # per device
    power_basis: PowerBasis  # the renderer words it (render.train.power_basis_text)
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
    operational_co2e_kg: float
    co2e_kg: float  # operational, plus embodied when included
    start: datetime | None
    compute: ComputeBasis | None
    embodied: Embodied | None
    energy_range: Span
    co2e_range: Span
    comparisons: tuple[Comparison, ...]
    assumptions: tuple[str, ...]


def _train_flops(spec: TrainingSpec) -> tuple[float, str]:
    if spec.params is not None and spec.tokens is not None:  # (the spec's validator requires both or neither)
        return 6.0 * spec.params * spec.tokens, f"6 x {spec.params:.3g} params x {spec.tokens:.3g} tokens"
    from wattprint.inference import model_batch
    from wattprint.model import analyze_model

    model = analyze_model(spec.model)
    forward = model.flops / model_batch(model)
    return (
        3.0 * forward * spec.samples * spec.epochs,
        f"3 x {forward:.3g} forward FLOPs x {spec.samples:.3g} samples x {spec.epochs:g} epochs",
    )


def _compute_hours(spec: TrainingSpec, profile: HardwareProfile) -> tuple[float, ComputeBasis]:
    from wattprint.inference import peak_for

    flops, formula = _train_flops(spec)
    warnings: set[str] = set()
    peak, used = peak_for(profile, spec.precision, warnings)
    mfu_range = ranges()["mfu"]
    mfu = spec.mfu if spec.mfu is not None else float(mfu_range["central"])
    basis = "given" if spec.mfu is not None else f"default: {mfu_range['source']}"
    hours = flops / (spec.count * peak * mfu) / 3600.0
    return hours, ComputeBasis(flops, formula, peak / 1e12, used, mfu, basis)


def estimate_training(spec: TrainingSpec, hardware: HardwareDB, units: str = "metric") -> TrainingResult:
    profile = hardware.get(spec.hardware)
    assumptions: list[str] = []
    compute = None
    if spec.hours is not None:
        hours = spec.hours
    elif spec.gpu_hours is not None:
        hours = spec.gpu_hours / spec.count
    else:
        hours, compute = _compute_hours(spec, profile)
        assumptions.append(
            f"device-hours from compute: {compute.formula} = {compute.train_flops:.3g} FLOPs at "
            f"{compute.mfu:g} of the {compute.peak_precision} peak ({compute.peak_tflops:g} TFLOPS)"
        )
    device_hours = hours * spec.count

    utilization = None
    if spec.power_w is not None:
        if profile.tdp_w is not None and spec.power_w > profile.tdp_w:  # (Patterson et al.'s 330 W per 300 W V100
            # is a system share; 5,000 W on a 400 W card is more likely a node's draw: either way, say so)
            assumptions.append(
                f"the given {spec.power_w:g} W per device is {spec.power_w / profile.tdp_w:.3g}x the {profile.id} TDP "
                f"({profile.tdp_w:g} W): it counts more than the accelerator (e.g. its share of the server)"
            )
        power, basis = spec.power_w, PowerBasis.given
    elif profile.tdp_w is not None:
        utilization = spec.utilization if spec.utilization is not None else DEFAULT_UTILIZATION
        power = profile.tdp_w * utilization
        basis = PowerBasis.tdp
        if spec.utilization is None:
            assumptions.append(
                f"utilisation {DEFAULT_UTILIZATION:g} of TDP (default, an upper bound; pass --utilization or --power)"
            )
    elif profile.typical_power_w is not None:
        if spec.utilization is not None:
            raise WattprintError(
                f"hardware profile {profile.id!r} has no published TDP, so {{utilization}} cannot apply",
                hint="pass {power_w} W, or drop {utilization} to use its measured mean power",
                field="utilization", value=spec.utilization, fields=("power_w",),
            )
        power = profile.typical_power_w
        basis = PowerBasis.measured
    else:
        raise WattprintError(
            f"hardware profile {profile.id!r} has no tdp_w or typical_power_w (not published)",
            hint="pass {power_w} W (average draw per device)", fields=("power_w",),
        )

    host = spec.host or HostSpec()
    cpu_w = host.cpu_power_w or 0.0
    dram_w = host.dram_power_w if host.dram_power_w is not None else (host.memory_gb or 0.0) * DRAM_W_PER_GB
    if host.memory_gb is not None:
        assumptions.append(f"host DRAM {host.memory_gb:g} GB x {DRAM_W_PER_GB} W/GB (Green Algorithms v3.0)")
    if spec.host is None:
        assumptions.append("host CPU and DRAM power not given: accelerators only (add host: to the spec)")

    grid = choose_grid(
        region=spec.region,
        intensity=spec.intensity_gco2e_per_kwh,
        grid_file=spec.grid_file,
        start=spec.start,
        hours=hours,
        gaps=spec.grid_gaps,
        basis=spec.grid_basis,
    )
    assumptions.extend(grid.warnings)
    if grid.signal == "marginal":
        assumptions.append("grid intensity is marginal (MOER: the emissions of the plants that respond to more load)")
    pue = choose_pue(spec.pue, spec.provider or grid.provider)

    def energy(p_device: float, run_hours: float, pue_value: float) -> tuple[float, float, float]:
        accel = p_device * spec.count * run_hours / 1000.0
        host_kwh = (cpu_w + dram_w) * run_hours / 1000.0
        return accel, host_kwh, (accel + host_kwh) * pue_value

    accel_kwh, host_kwh, energy_kwh = energy(power, hours, pue.pue)
    it_kwh = accel_kwh + host_kwh
    operational = energy_kwh * grid.intensity_gco2e_per_kwh / 1000.0
    if grid.is_default:
        assumptions.append("no region given: using the world average grid intensity (pass --region)")

    embodied = _embodied(spec, profile, hours, assumptions)
    co2e = operational + (embodied.co2e_kg if embodied and embodied.included else 0.0)

    # low / high: every assumed input at its documented extreme (user-given inputs are exact)
    r = ranges()
    p_lo = p_hi = power
    if basis is PowerBasis.tdp and spec.utilization is None and profile.tdp_w is not None:
        p_lo, p_hi = profile.tdp_w * float(r["utilization"]["low"]), profile.tdp_w * float(r["utilization"]["high"])
    h_lo = h_hi = hours
    if compute is not None and spec.mfu is None:
        h_lo = hours * compute.mfu / float(r["mfu"]["high"])
        h_hi = hours * compute.mfu / float(r["mfu"]["low"])
    pue_lo, pue_hi = pue_range(pue.pue, spec.pue is not None)
    g_lo, g_hi = grid_factor_range(grid.kind)
    e_lo, e_hi = energy(p_lo, h_lo, pue_lo)[2], energy(p_hi, h_hi, pue_hi)[2]
    extra = embodied.co2e_kg if embodied and embodied.included else 0.0
    intensity = grid.intensity_gco2e_per_kwh / 1000.0
    energy_range = Span(e_lo, energy_kwh, e_hi)
    co2e_range = Span(e_lo * intensity * g_lo + extra, co2e, e_hi * intensity * g_hi + extra)

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
        operational_co2e_kg=operational,
        co2e_kg=co2e,
        start=spec.start,
        compute=compute,
        embodied=embodied,
        energy_range=energy_range,
        co2e_range=co2e_range,
        comparisons=compare(co2e, units),
        assumptions=tuple(assumptions),
    )


def _embodied(spec: TrainingSpec, profile: HardwareProfile, hours: float, assumptions: list[str]) -> Embodied | None:
    """Amortised manufacturing emissions: (device + host share) x count x run hours / service-life hours."""
    if profile.embodied_kgco2e is None:
        if spec.embodied:
            raise MissingFigureError(
                f"hardware profile {profile.id!r} has no embodied figure (no published estimate)",
                hint="drop {embodied}, or add 'embodied:' to the profile with {hw_file}", fields=("embodied", "hw_file"),
            )
        return None
    e = ranges()["embodied"]
    lifetime = spec.lifetime_years if spec.lifetime_years is not None else float(e["lifetime_years"])
    host_kg = spec.host_embodied_kg if spec.host_embodied_kg is not None else float(e["host_kg_per_device"])
    share = hours / (lifetime * 8760.0)
    total = (profile.embodied_kgco2e + host_kg) * spec.count * share
    if not spec.embodied:
        assumptions.append("embodied emissions reported apart, not in the totals (include them with `embodied: true` in the spec, or train --embodied)")
    return Embodied(
        co2e_kg=total,
        device_kg=profile.embodied_kgco2e,
        host_kg_per_device=host_kg,
        lifetime_years=lifetime,
        share=share,
        model=f"device: {profile.embodied_model}; host: {e['host_source']}; lifetime: {e['lifetime_source']}",
        included=spec.embodied,
    )


__all__ = ["TrainingSpec", "TrainingResult", "estimate_training", "load_training_spec", "parse_start"]

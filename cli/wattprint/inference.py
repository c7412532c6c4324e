"""Energy of one inference on a hardware profile: a per-layer roofline model.

For each counted node::

    t_compute = 2*MACs / (peak[precision] * eff_compute) + other_ops / (peak[vector] * eff_compute)
    t_memory  = (bytes_read + bytes_written) / (bandwidth * eff_memory)
    t         = max(t_compute, t_memory)                  (roofline)
    E_acc     = t * P_busy,   P_busy = busy_fraction * TDP

The two efficiency factors and the busy-power fraction are calibrated against
one published measurement (MLPerf Inference v3.1, DGX-H100, ResNet-50 Offline);
see docs/methodology.md. The energy at the wall multiplies the accelerator
energy by the host factor (whole server / accelerators) and the PUE.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wattprint.comparisons import Comparison, compare
from wattprint.errors import MissingFigureError, WattprintError
from wattprint.grid import GridChoice, PUEChoice
from wattprint.hardware import HardwareProfile
from wattprint.ranges import Span, grid_factor_range, pue_range, ranges

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.opcost import ModelCost, NodeCost


@dataclass(frozen=True)
class Calibration:
    """Model constants and where they come from (see docs/methodology.md, "Calibration")."""

    #: fraction of dense peak reached (solved so that ResNet-50 int8 at batch 256 on h100-sxm takes
    #: 8 / 474,849 s per sample, the MLPerf throughput of one of the 8 GPUs)
    compute_efficiency: float = 0.463
    #: fraction of peak DRAM bandwidth reached by streaming layers (an assumption: not identifiable
    #: from a compute-bound measurement)
    memory_efficiency: float = 0.8
    #: accelerator power while busy, as a fraction of TDP: 4,070 W / 1.82 host factor / 8 GPUs = 279 W
    #: of the H100-SXM's 700 W
    busy_power_fraction: float = 0.399
    #: whole-server power / accelerator power (DGX H100: 10.2 kW max / 8 x 700 W)
    host_factor: float = 10.2 / 5.6
    basis: str = (
        "MLPerf Inference v3.1 DGX-H100 (8x H100-SXM, MaxQ) ResNet-50 Offline: 474,849 samples/s at ~4,070 W; "
        "host factor from the DGX H100 datasheet (10.2 kW max system power, 8 x 700 W GPUs)"
    )


DEFAULT_CALIBRATION = Calibration()

#: precisions whose peak may stand in when the profile lacks the exact one (documented)
_FALLBACK = {
    "fp32": ("fp32", "tf32"),
    "tf32": ("tf32", "fp32"),
    "fp16": ("fp16", "bf16"),
    "bf16": ("bf16", "fp16"),
    "fp8": ("fp8", "int8", "fp16", "bf16"),
    "int8": ("int8", "fp8", "fp16", "bf16"),
    "fp64": ("fp64", "fp32"),
}
#: compute dtypes that are not floating point run on the vector (fp32) units
_VECTOR = "fp32"
#: elementwise ops that inference compilers (TensorRT, XLA, ONNX Runtime) fuse into the epilogue of the
#: layer producing their input: the intermediate tensor then never travels through DRAM
FUSABLE = frozenset({
    "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
    "Gelu", "FastGelu", "BiasGelu", "Erf", "Elu", "Selu", "Softplus", "Mish", "Add", "Sub", "Mul", "Div", "Sum",
    "Cast", "QuantizeLinear", "DequantizeLinear", "Identity", "Dropout", "Neg", "Abs", "Sqrt", "Exp",
})


def fused_traffic(nodes: "tuple[NodeCost, ...]") -> tuple[list[int], list[str | None]]:
    """DRAM bytes per node once elementwise epilogues are fused into their producer.

    An epilogue E fuses with the producer P of one of its activation inputs when that tensor has no
    other consumer and P has a single output and does work (MACs) or is itself an epilogue: P's write
    and E's read of the tensor are then both removed. Chains (Conv -> BatchNorm -> Relu) fuse whole.
    """
    producer: dict[str, int] = {}
    consumers: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for t in n.outputs:
            producer[t] = i
        for t in n.activation_inputs:
            consumers[t] = consumers.get(t, 0) + 1
    traffic = [n.bytes_read + n.bytes_written for n in nodes]
    fused: list[str | None] = [None] * len(nodes)
    for i, n in enumerate(nodes):
        if n.op_type not in FUSABLE or n.domain != "" or not n.counted:
            continue
        for t in n.activation_inputs:
            j = producer.get(t)
            if j is None or consumers.get(t) != 1:
                continue
            p = nodes[j]
            if len(p.outputs) != 1 or not p.counted or not (p.macs or fused[j] is not None):
                continue
            traffic[j] -= p.bytes_written
            traffic[i] -= p.bytes_written
            fused[i] = fused[j] or p.name
            break
    return [max(0, x) for x in traffic], fused


@dataclass(frozen=True)
class LayerEnergy:
    node: "NodeCost"
    peak_precision: str | None  # the peak used for MACs
    time_s: float
    bound: str  # "compute" | "memory" | "-"
    energy_j: float  # at the accelerator
    compute_s: float = 0.0
    memory_s: float = 0.0
    dram_bytes: int = 0  # bytes moved through DRAM once epilogues are fused
    fused_into: str | None = None  # the producing layer this elementwise epilogue runs in


@dataclass(frozen=True)
class InferenceResult:
    model: "ModelCost"
    hardware: HardwareProfile
    hardware_requested: str
    batch: int
    layers: tuple[LayerEnergy, ...]
    time_per_batch_s: float
    accelerator_energy_per_batch_j: float
    accelerator_power_w: float
    calibration: Calibration
    pue: PUEChoice
    grid: GridChoice
    inferences: float | None
    volume_basis: str | None
    warnings: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    #: at the wall, per inference: low / central / high (docs/methodology.md, "Uncertainty")
    energy_range_j: Span = Span(0.0, 0.0, 0.0)
    co2e_range_g: Span = Span(0.0, 0.0, 0.0)

    @property
    def accelerator_energy_per_inference_j(self) -> float:
        return self.accelerator_energy_per_batch_j / self.batch

    @property
    def system_energy_per_inference_j(self) -> float:
        return self.accelerator_energy_per_inference_j * self.calibration.host_factor

    @property
    def energy_per_inference_j(self) -> float:
        """At the wall: accelerator x host factor x PUE (what emissions use)."""
        return self.system_energy_per_inference_j * self.pue.pue

    @property
    def co2e_per_inference_g(self) -> float:
        return self.energy_per_inference_j / 3.6e6 * self.grid.intensity_gco2e_per_kwh

    @property
    def time_per_inference_s(self) -> float:
        return self.time_per_batch_s / self.batch

    @property
    def energy_kwh(self) -> float | None:
        return None if self.inferences is None else self.energy_per_inference_j * self.inferences / 3.6e6

    @property
    def co2e_kg(self) -> float | None:
        return None if self.inferences is None else self.co2e_per_inference_g * self.inferences / 1000


def peak_for(profile: HardwareProfile, precision: str, warnings: set[str]) -> tuple[float, str]:
    wanted = precision if precision in _FALLBACK else _VECTOR
    for candidate in _FALLBACK[wanted]:
        value = profile.peak(candidate)
        if value is not None:
            if candidate != wanted:
                warnings.add(
                    f"{profile.id} has no published {wanted} peak; {wanted} layers use its {candidate} peak"
                )
            return value * 1e12, candidate
    raise MissingFigureError(
        f"hardware profile {profile.id!r} has no peak_tflops for {wanted} (or a stand-in)",
        hint=f"pass --precision with one it has ({', '.join(profile.peak_tflops) or 'none'}) or another --hardware",
    )


def busy_power_w(profile: HardwareProfile, calibration: Calibration) -> float:
    if profile.tdp_w is not None:
        return profile.tdp_w * calibration.busy_power_fraction
    if profile.typical_power_w is not None:
        return profile.typical_power_w  # already a measured average under load
    raise MissingFigureError(
        f"hardware profile {profile.id!r} has no tdp_w or typical_power_w (not published)",
        hint="pick another --hardware or add the figure with --hw-file",
    )


def estimate_inference(
    model: "ModelCost",
    profile: HardwareProfile,
    *,
    batch: int,
    pue: PUEChoice,
    grid: GridChoice,
    inferences: float | None = None,
    volume_basis: str | None = None,
    hardware_requested: str | None = None,
    calibration: Calibration = DEFAULT_CALIBRATION,
    units: str = "metric",
) -> InferenceResult:
    if profile.memory_bandwidth_gbps is None:
        raise MissingFigureError(
            f"hardware profile {profile.id!r} has no memory_bandwidth_gbps (not published)",
            hint="pick another --hardware or add the figure with --hw-file",
        )
    eff_c = profile.efficiency_compute or calibration.compute_efficiency
    eff_m = profile.efficiency_memory or calibration.memory_efficiency
    bandwidth = profile.memory_bandwidth_gbps * 1e9 * eff_m
    power = busy_power_w(profile, calibration)
    warnings: set[str] = set()
    vector_peak, _ = peak_for(profile, _VECTOR, warnings)
    vector_rate = vector_peak * eff_c
    peaks: dict[str, tuple[float, str]] = {}
    layers = []
    total_t = 0.0
    traffic, fused = fused_traffic(model.nodes)
    for node, dram, fused_into in zip(model.nodes, traffic, fused):
        if not node.counted:
            layers.append(LayerEnergy(node, None, 0.0, "-", 0.0))
            continue
        t_c = 0.0
        used = None
        if node.macs:
            if node.precision not in peaks:
                peaks[node.precision] = peak_for(profile, node.precision, warnings)
            peak, used = peaks[node.precision]
            t_c = 2 * node.macs / (peak * eff_c)
        other = node.elementwise_ops + node.reduction_ops + node.transcendental_ops
        t_c += other / vector_rate
        t_m = dram / bandwidth
        t = max(t_c, t_m)
        bound = "compute" if t_c >= t_m else "memory"
        total_t += t
        layers.append(LayerEnergy(node, used, t, bound, t * power, t_c, t_m, dram, fused_into))
    energy = total_t * power

    # low / high: compute efficiency over its documented spread, default PUE over its range, shipped grid +/-
    spread = ranges()["compute_efficiency"]
    t_lo = sum(max(x.compute_s / float(spread["high_ratio"]), x.memory_s) for x in layers)
    t_hi = sum(max(x.compute_s / float(spread["low_ratio"]), x.memory_s) for x in layers)
    pue_lo, pue_hi = pue_range(pue.pue, pue.basis == "given")
    g_lo, g_hi = grid_factor_range(grid.kind)
    wall = power * calibration.host_factor / batch
    e_range = Span(t_lo * wall * pue_lo, total_t * wall * pue.pue, t_hi * wall * pue_hi)
    g_per_j = grid.intensity_gco2e_per_kwh / 3.6e6
    co2e_range = Span(e_range.low * g_per_j * g_lo, e_range.central * g_per_j, e_range.high * g_per_j * g_hi)
    result = InferenceResult(
        model=model,
        hardware=profile,
        hardware_requested=hardware_requested or profile.id,
        batch=batch,
        layers=tuple(layers),
        time_per_batch_s=total_t,
        accelerator_energy_per_batch_j=energy,
        accelerator_power_w=power,
        calibration=calibration,
        pue=pue,
        grid=grid,
        inferences=inferences,
        volume_basis=volume_basis,
        warnings=tuple(sorted(warnings)),
        comparisons=(),
        energy_range_j=e_range,
        co2e_range_g=co2e_range,
    )
    if inferences is not None:
        result = replace(result, comparisons=compare(result.co2e_kg, units))
    return result


_RATE = re.compile(r"^\s*([0-9.eE+-]+)\s*/\s*(s|sec|second|min|minute|h|hr|hour|d|day|week|month|year|y)\s*$")
_PER_DAY = {"s": 86400, "sec": 86400, "second": 86400, "min": 1440, "minute": 1440, "h": 24, "hr": 24, "hour": 24,
            "d": 1, "day": 1, "week": 1 / 7, "month": 12 / 365, "year": 1 / 365, "y": 1 / 365}


def parse_rate_per_day(text: str) -> float:
    """'1e6/day', '200/s', '5000/hour' -> inferences per day."""
    match = _RATE.match(text)
    if not match:
        raise WattprintError(f"--rate {text!r} is not a rate", hint="write e.g. 1e6/day, 200/s or 5000/hour")
    try:
        value = float(match.group(1))
    except ValueError:
        raise WattprintError(f"--rate {text!r}: {match.group(1)!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise WattprintError(f"--rate {text!r} must be a positive, finite number per unit of time")
    return value * _PER_DAY[match.group(2)]


def serving_volume(inferences: float | None, rate: str | None, days: float | None) -> tuple[float | None, str | None]:
    """Total inferences from --inferences, or --rate with --days (default 365 days when only a rate is given)."""
    if inferences is not None and rate is not None:
        raise WattprintError("give --inferences or --rate (with --days), not both")
    if inferences is not None:
        if not math.isfinite(inferences) or inferences <= 0:
            raise WattprintError(f"--inferences {inferences!r} must be a positive number")
        return inferences, f"{inferences:g} inferences"
    if rate is not None:
        per_day = parse_rate_per_day(rate)
        days = 365.0 if days is None else days
        if not math.isfinite(days) or days <= 0:
            raise WattprintError(f"--days {days!r} must be a positive number")
        return per_day * days, f"{rate} for {days:g} days"
    if days is not None:
        raise WattprintError("--days needs --rate", hint="e.g. --rate 1e6/day --days 365")
    return None, None

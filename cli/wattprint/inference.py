"""Energy of one inference on a hardware profile: fused kernels on a physical power model.

The graph's nodes are grouped into the kernels an inference compiler would run (views move no bytes,
elementwise chains fuse, attention is one kernel: :mod:`wattprint.energy.traffic`); each kernel's time
comes from a roofline with fitted efficiencies and the accelerator's power rises from its static draw
toward its TDP with the compute and memory utilisation, capped at the power limit
(:mod:`wattprint.energy.device`). The node around the accelerator (host CPUs, memory, fans, power
supply) is modelled apart (:mod:`wattprint.energy.node`), and the wall multiplies the node by the PUE.
Coefficients are fitted per device family on published measurements (docs/validation.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wattprint.carbon import GridChoice, PUEChoice
from wattprint.comparisons import Comparison, compare
from wattprint.energy.device import (
    Coefficients,
    DeviceModel,
    PassEnergy,
    _peak,
    default_coefficients,
    device_model,
    on_chip_bytes,
    run_pass,
)
from wattprint.energy.node import NodeModel
from wattprint.energy.traffic import VIEW_OPS as _VIEW_NAMES
from wattprint.energy.traffic import kernels as fuse_kernels
from wattprint.errors import WattprintError
from wattprint.hardware import HardwareProfile
from wattprint.ranges import Span, grid_factor_range, pue_range

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.model.costs import ModelCost, NodeCost


def peak_for(profile: HardwareProfile, precision: str, warnings: set[str]) -> tuple[float, str]:
    """Dense peak (FLOP/s) at ``precision`` or its documented stand-in, and the precision used."""
    found: list[str] = []
    value = _peak(profile, precision, found)
    warnings.update(found)
    return value


@dataclass(frozen=True)
class LayerEnergy:
    node: NodeCost
    peak_precision: str | None = None  # the peak used for MACs
    time_s: float = 0.0
    bound: str = "-"  # "compute" | "memory" | "launch" | "-" (fused into another layer, a view, or not counted)
    energy_j: float = 0.0  # at the accelerator
    compute_s: float = 0.0
    memory_s: float = 0.0
    dram_bytes: int = 0  # bytes the layer's kernel moves through DRAM (0 when fused into another layer)
    fused_into: str | None = None  # the layer whose kernel runs this node
    view: bool = False  # a re-indexing: no kernel, no bytes

    @classmethod
    def idle(cls, node: NodeCost, fused_into: str | None, view: bool) -> LayerEnergy:
        """A row without a kernel of its own (fused into another layer's, a view, or not counted): every figure
        at its default. Only the fields that differ are stored on it; the others read the defaults, which the
        class holds. (A frozen dataclass's __init__ stores all ten fields, through object.__setattr__ each, and
        a large graph has some 100,000 such rows.)"""
        row = object.__new__(cls)
        object.__setattr__(row, "node", node)
        if fused_into is not None:
            object.__setattr__(row, "fused_into", fused_into)
        if view:
            object.__setattr__(row, "view", view)
        return row


@dataclass(frozen=True)
class InferenceResult:
    model: ModelCost
    hardware: HardwareProfile
    hardware_requested: str
    batch: int
    layers: tuple[LayerEnergy, ...]
    device: DeviceModel
    node: NodeModel
    pass_energy: PassEnergy
    pue: PUEChoice
    grid: GridChoice
    inferences: float | None
    volume_basis: str | None
    warnings: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    coefficients: Coefficients
    #: at the wall, per inference: low / central / high (docs/methodology.md, "Uncertainty")
    energy_range_j: Span = Span(0.0, 0.0, 0.0)
    co2e_range_g: Span = Span(0.0, 0.0, 0.0)

    @property
    def time_per_batch_s(self) -> float:
        return self.pass_energy.time_s

    @property
    def accelerator_energy_per_batch_j(self) -> float:
        return self.pass_energy.energy_j

    @property
    def accelerator_power_w(self) -> float:
        return self.pass_energy.power_w

    @property
    def system_energy_per_batch_j(self) -> float:
        return self.node.system_energy_j(self.pass_energy.energy_j, self.pass_energy.time_s)

    @property
    def accelerator_energy_per_inference_j(self) -> float:
        return self.accelerator_energy_per_batch_j / self.batch

    @property
    def system_energy_per_inference_j(self) -> float:
        return self.system_energy_per_batch_j / self.batch

    @property
    def energy_per_inference_j(self) -> float:
        """At the wall: node energy x PUE (what emissions use)."""
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


def bare_node(profile: HardwareProfile) -> NodeModel:
    """The accelerator alone: for devices without a system profile (the host is not counted)."""
    return NodeModel(profile.id, profile.name, 1, 0.0, "no system profile: host not counted", 0.0, 1.0)


def node_for(
    profile: HardwareProfile, system_id: str | None = None, coefficients: Coefficients | None = None
) -> tuple[NodeModel, tuple[str, ...]]:
    """The node around the accelerator, and what it lacks: the named system (which must hold this accelerator
    or be a generic class), else the profile's ``default_system``, else the accelerator alone (with a warning)."""
    from wattprint.energy.node import system_node
    from wattprint.systems import load_systems

    wanted = system_id or profile.default_system
    if wanted is None:
        return bare_node(profile), (
            f"{profile.id} has no system profile: the host around it is not counted (pass --system)",)
    system = load_systems().get(wanted)
    if system.accelerator is not None and system.accelerator != profile.id:
        raise WattprintError(
            f"system {system.id!r} holds {system.accelerator}, not {profile.id}",
            hint="pick a system for this hardware (wattprint hardware show lists its default) or a generic one "
            "such as pcie-server-1gpu", field="system", value=wanted,
        )
    return system_node(system, coefficients or default_coefficients())


def layer_energies(nodes: tuple[NodeCost, ...], passe: PassEnergy, kernel_of: list[int | None]) -> tuple[LayerEnergy, ...]:
    """One row per node: a kernel's time and energy sit on its head node; its other members say where they ran."""
    out: list[LayerEnergy] = []
    append = out.append
    idle = LayerEnergy.idle
    kernel_times = passe.kernels
    for i, k in enumerate(kernel_of):
        node = nodes[i]
        if k is None:
            append(idle(node, None, node.counted and node.op_type in _VIEW_NAMES))
            continue
        kt = kernel_times[k]
        kernel = kt.kernel
        if kernel.head == i:
            append(LayerEnergy(node, kt.peak_precision, kt.time_s, kt.bound, kt.energy_j, kt.compute_s,
                               kt.memory_s, kernel.dram_bytes))
        else:
            append(idle(node, nodes[kernel.head].name, False))
    return tuple(out)


def estimate_inference(
    model: ModelCost,
    profile: HardwareProfile,
    *,
    batch: int,
    pue: PUEChoice,
    grid: GridChoice,
    inferences: float | None = None,
    volume_basis: str | None = None,
    hardware_requested: str | None = None,
    units: str = "metric",
    power_limit_w: float | None = None,
    system: str | None = None,
    node: NodeModel | None = None,
    coefficients: Coefficients | None = None,
) -> InferenceResult:
    """``system`` names the node's system profile (default: the profile's own); ``node`` gives the node model
    itself (validation uses it to set the accelerators a measured run used)."""
    co = coefficients or default_coefficients()
    precisions = sorted({n.precision for n in model.nodes if n.macs})
    dev = device_model(profile, precisions, co, power_limit_w)
    from wattprint.model.common import no_gc  # (the model layer, and onnx with it, is loaded by now)

    with no_gc():  # the kernels and per-node rows are all kept: a collection would free nothing
        ks, kernel_of = fuse_kernels(model.nodes, on_chip_bytes(profile))
        passe = run_pass(model.nodes, ks, dev)
        layers = layer_energies(model.nodes, passe, kernel_of)
    warnings = set(dev.warnings)
    if node is None:
        node, missing = node_for(profile, system, co)
        warnings.update(missing)

    # low / high: the model's cross-validated error band, default PUE over its range, shipped grid +/-
    sys_j = node.system_energy_j(passe.energy_j, passe.time_s) / batch
    lo_ratio, hi_ratio = co.error_band
    pue_lo, pue_hi = pue_range(pue.pue, pue.given)
    g_lo, g_hi = grid_factor_range(grid.kind)
    e_range = Span(sys_j / hi_ratio * pue_lo, sys_j * pue.pue, sys_j / lo_ratio * pue_hi)
    g_per_j = grid.intensity_gco2e_per_kwh / 3.6e6
    co2e_range = Span(e_range.low * g_per_j * g_lo, e_range.central * g_per_j, e_range.high * g_per_j * g_hi)
    result = InferenceResult(
        model=model,
        hardware=profile,
        hardware_requested=hardware_requested or profile.id,
        batch=batch,
        layers=layers,
        device=dev,
        node=node,
        pass_energy=passe,
        pue=pue,
        grid=grid,
        inferences=inferences,
        volume_basis=volume_basis,
        warnings=tuple(sorted(warnings)),
        comparisons=(),
        coefficients=co,
        energy_range_j=e_range,
        co2e_range_g=co2e_range,
    )
    if inferences is not None:
        result = replace(result, comparisons=compare(result.co2e_kg or 0.0, units))  # (set: inferences given)
    return result


_RATE = re.compile(r"^\s*([0-9.eE+-]+)\s*/\s*(s|sec|second|min|minute|h|hr|hour|d|day|week|month|year|y)\s*$")
_PER_DAY = {"s": 86400, "sec": 86400, "second": 86400, "min": 1440, "minute": 1440, "h": 24, "hr": 24, "hour": 24,
            "d": 1, "day": 1, "week": 1 / 7, "month": 12 / 365, "year": 1 / 365, "y": 1 / 365}


def model_batch(model: Any, fallback: int | None = None) -> int:
    """Samples per evaluated graph: the bound first dim of the first input, else ``fallback``, else 1."""
    for _name, shape, _dtype in model.inputs:
        if shape:
            return max(1, int(shape[0]))
    return fallback or 1


def parse_rate_per_day(text: str) -> float:
    """'1e6/day', '200/s', '5000/hour' -> inferences per day."""
    match = _RATE.match(text)
    if not match:
        raise WattprintError(f"{{rate}} {text!r} is not a rate", field="rate", value=text,
                             hint="write e.g. 1e6/day, 200/s or 5000/hour")
    try:
        value = float(match.group(1))
    except ValueError:
        raise WattprintError(f"{{rate}} {text!r}: {match.group(1)!r} is not a number", field="rate", value=text) from None
    if not math.isfinite(value) or value <= 0:
        raise WattprintError(f"{{rate}} {text!r} must be a positive, finite number per unit of time", field="rate",
                             value=text)
    return value * _PER_DAY[match.group(2)]


def serving_volume(inferences: float | None, rate: str | None, days: float | None) -> tuple[float | None, str | None]:
    """Total inferences from ``inferences``, or ``rate`` with ``days`` (default 365 days when only a rate is given)."""
    if inferences is not None and rate is not None:
        raise WattprintError("give {inferences} or {rate} (with {days}), not both", fields=("inferences", "rate", "days"))
    if inferences is not None:
        if not math.isfinite(inferences) or inferences <= 0:
            raise WattprintError(f"{{inferences}} {inferences!r} must be a positive number", field="inferences",
                                 value=inferences)
        return inferences, f"{inferences:g} inferences"
    if rate is not None:
        per_day = parse_rate_per_day(rate)
        days = 365.0 if days is None else days
        if not math.isfinite(days) or days <= 0:
            raise WattprintError(f"{{days}} {days!r} must be a positive number", field="days", value=days)
        return per_day * days, f"{rate} for {days:g} days"
    if days is not None:
        raise WattprintError("{days} needs {rate}", field="days", value=days, fields=("rate",),
                             hint="e.g. {rate} 1e6/day {days} 365")
    return None, None

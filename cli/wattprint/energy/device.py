"""The accelerator: time and energy of a pass of fused kernels (docs/methodology.md, "Energy model").

Per kernel k with MACs at precision p, vector ops and DRAM traffic B_k::

    c_k = 2 MACs / peak[p] + vector_ops / peak[fp32]        (seconds at 100% of peak)
    m_k = B_k / bandwidth
    t_k = max(c_k / (eta_c x kind_factor[kind]), m_k / eta_m) + t_launch

and the accelerator's energy over the pass (time T = sum t_k)::

    E = P_static x T + (TDP - P_static) x (alpha_c x sum c_k + alpha_m x sum m_k)

so that power rises from the static (idle) draw toward the TDP with the compute and memory utilisation.
When the average power E / T would exceed the power limit (``--power-limit``, default the TDP), clocks and
voltage drop (:func:`power_limit_scaling`, the CMOS cube law): the pass stretches and its dynamic energy falls.

eta_c, eta_m, alpha_c, alpha_m and the static fraction are fitted per device family
(``wattprint/data/energy-coefficients.yaml``, written by ``scripts/fit_energy.py``); a family without
measurements uses the pooled values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from wattprint.energy.traffic import KIND_VECTOR, KINDS, Kernel
from wattprint.errors import MissingFigureError, WattprintError

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.hardware import HardwareProfile
    from wattprint.model.costs import NodeCost

#: precisions whose peak may stand in when the profile lacks the exact one (documented)
FALLBACK = {
    "fp32": ("fp32", "tf32", "fp16", "bf16"),
    "tf32": ("tf32", "fp32"),
    "fp16": ("fp16", "bf16"),
    "bf16": ("bf16", "fp16"),
    "fp8": ("fp8", "int8", "fp16", "bf16"),
    "int8": ("int8", "fp8", "fp16", "bf16"),
    "fp4": ("fp4", "fp8", "int8", "fp16", "bf16"),
    "fp64": ("fp64", "fp32"),
}
#: compute dtypes that are not floating point (and vector ops) run on the fp32 units
VECTOR = "fp32"
POOLED = "pooled"


@dataclass(frozen=True)
class FamilyCoefficients:
    """The fitted constants of one device family (or the pooled fallback)."""

    compute_efficiency: float
    memory_efficiency: float
    alpha_compute: float
    alpha_memory: float
    static_fraction: float  # static power / TDP, used when the profile has no idle_w


@dataclass(frozen=True)
class Coefficients:
    """Everything the energy model fitted, and how (see docs/validation.md)."""

    families: Mapping[str, FamilyCoefficients]
    kind_factor: Mapping[str, float]  # compute efficiency of a kernel kind relative to conv
    launch_s: float  # fixed time per kernel (launch, synchronisation, tail)
    host_cpu_utilization: float  # host CPU draw / CPU TDP while serving
    host_overhead_per_accelerator: float  # fans, VRMs, PCIe switches: share of accelerator power
    host_base_w: float  # platform power of a node (BMC, fans at rest, NICs, drives, board) before supply losses
    basis: str
    #: estimate / measured at the 10th and 90th percentile of the cross-validated validation set
    error_band: tuple[float, float] = (1.0, 1.0)
    data_version: str = ""

    def family(self, name: str | None) -> tuple[str, FamilyCoefficients]:
        if name and name in self.families:
            return name, self.families[name]
        return POOLED, self.families[POOLED]

    def doc(self) -> dict[str, Any]:
        return {
            "families": {k: vars(v) for k, v in self.families.items()},
            "kind_factor": dict(self.kind_factor),
            "launch_s": self.launch_s,
            "host_cpu_utilization": self.host_cpu_utilization,
            "host_overhead_per_accelerator": self.host_overhead_per_accelerator,
            "host_base_w": self.host_base_w,
            "basis": self.basis,
            "error_band": list(self.error_band),
            "data_version": self.data_version,
        }


def coefficients_from_doc(doc: Mapping[str, Any]) -> Coefficients:
    return Coefficients(
        families={k: FamilyCoefficients(**v) for k, v in doc["families"].items()},
        kind_factor={k: float(doc["kind_factor"][k]) for k in KINDS},
        launch_s=float(doc["launch_s"]),
        host_cpu_utilization=float(doc["host_cpu_utilization"]),
        host_overhead_per_accelerator=float(doc["host_overhead_per_accelerator"]),
        host_base_w=float(doc["host_base_w"]),
        basis=str(doc["basis"]),
        error_band=(float(doc["error_band"][0]), float(doc["error_band"][1])),
        data_version=str(doc.get("data_version", "")),
    )


@cache
def default_coefficients() -> Coefficients:
    import yaml

    from wattprint.datafiles import package_data

    with open(package_data("energy-coefficients.yaml"), encoding="utf-8") as f:
        return coefficients_from_doc(yaml.safe_load(f))


@dataclass(frozen=True)
class DeviceModel:
    """One accelerator as the energy model sees it: datasheet figures and fitted constants."""

    profile_id: str
    family: str  # the coefficient family used ("pooled" when the profile's family has no fit)
    tdp_w: float
    static_w: float
    static_basis: str  # "idle_w" (published) or "fitted fraction of TDP"
    power_limit_w: float
    bandwidth_bps: float
    peaks: Mapping[str, tuple[float, str]]  # precision -> (FLOP/s, the precision whose peak is used)
    coefficients: FamilyCoefficients
    kind_factor: Mapping[str, float]
    launch_s: float
    warnings: tuple[str, ...] = ()

    @property
    def dynamic_range_w(self) -> float:
        return self.tdp_w - self.static_w


def on_chip_bytes(profile: HardwareProfile) -> int:
    """The profile's last-level on-chip memory in bytes (0 when not published: everything goes to DRAM)."""
    mb = getattr(profile, "on_chip_memory_mb", None)
    return int(mb * 2**20) if mb else 0  # vendors' cache "MB" are binary


def _peak(profile: HardwareProfile, precision: str, warnings: list[str]) -> tuple[float, str]:
    wanted = precision if precision in FALLBACK else VECTOR
    for candidate in FALLBACK[wanted]:
        value = profile.peak(candidate)
        if value is not None:
            if candidate != wanted:
                warnings.append(f"{profile.id} has no published {wanted} peak; {wanted} layers use its {candidate} peak")
            return value * 1e12, candidate
    raise MissingFigureError(
        f"hardware profile {profile.id!r} has no peak_tflops for {wanted} (or a stand-in)",
        hint=f"pass --precision with one it has ({', '.join(profile.peak_tflops) or 'none'}) or another --hardware",
    )


def device_model(
    profile: HardwareProfile,
    precisions: Sequence[str],
    coefficients: Coefficients | None = None,
    power_limit_w: float | None = None,
) -> DeviceModel:
    """Resolve a profile for the energy model. Raises MissingFigureError naming a missing figure."""
    co = coefficients or default_coefficients()
    family, fc = co.family(getattr(profile, "architecture", None))
    if profile.efficiency_compute is not None and profile.efficiency_memory is not None:
        # a profile's own calibrated efficiencies (its `efficiency:` block) replace the family's fit
        fc = replace(fc, compute_efficiency=profile.efficiency_compute, memory_efficiency=profile.efficiency_memory)
        family = f"{profile.id} (own efficiency)"
    if profile.memory_bandwidth_gbps is None:
        raise MissingFigureError(
            f"hardware profile {profile.id!r} has no memory_bandwidth_gbps (not published)",
            hint="pick another --hardware or add the figure with --hw-file",
        )
    tdp = profile.tdp_w if profile.tdp_w is not None else profile.typical_power_w
    if tdp is None:
        raise MissingFigureError(
            f"hardware profile {profile.id!r} has no tdp_w or typical_power_w (not published)",
            hint="pick another --hardware or add the figure with --hw-file",
        )
    warnings: list[str] = []
    if profile.idle_w is not None:
        static, basis = float(profile.idle_w), "idle_w"
    else:
        static, basis = fc.static_fraction * tdp, "fitted fraction of TDP"
    if power_limit_w is None:
        limit = tdp
    else:
        if not power_limit_w <= tdp:
            raise WattprintError(
                f"power limit {power_limit_w:g} W is above the TDP of {profile.id} ({tdp:g} W)",
                hint=f"give a limit between {static:.0f} W and {tdp:g} W", field="power_limit_w",
            )
        if not power_limit_w > static:
            raise WattprintError(
                f"power limit {power_limit_w:g} W is not above the static power of {profile.id} ({static:.0f} W)",
                hint=f"give a limit between {static:.0f} W and {tdp:g} W", field="power_limit_w",
            )
        limit = float(power_limit_w)
    peaks = {p: _peak(profile, p, warnings) for p in dict.fromkeys([*precisions, VECTOR])}
    return DeviceModel(
        profile_id=profile.id,
        family=family,
        tdp_w=float(tdp),
        static_w=static,
        static_basis=basis,
        power_limit_w=limit,
        bandwidth_bps=profile.memory_bandwidth_gbps * 1e9,
        peaks=peaks,
        coefficients=fc,
        kind_factor=co.kind_factor,
        launch_s=co.launch_s,
        warnings=tuple(dict.fromkeys(warnings)),
    )


@dataclass(frozen=True)
class KernelTime:
    kernel: Kernel
    compute_s: float  # at the fitted efficiency
    memory_s: float
    time_s: float  # after any power-limit stretch
    bound: str  # "compute" | "memory" | "launch"
    peak_precision: str | None
    dynamic_j: float
    energy_j: float  # static share + dynamic, at the accelerator


@dataclass(frozen=True)
class PassEnergy:
    """One pass (one evaluation of the graph) on one accelerator."""

    kernels: tuple[KernelTime, ...]
    time_s: float
    energy_j: float  # at the accelerator
    static_j: float
    dynamic_j: float
    power_w: float  # average over the pass
    power_limited: bool  # the power limit stretched the pass


@dataclass(frozen=True)
class KernelWork:
    """A kernel's work in seconds at 100% of the device's peak (what the fitted constants scale)."""

    compute_s: float  # 2 MACs / peak[precision]
    vector_s: float  # elementwise, reduction and transcendental ops / fp32 peak
    memory_s: float  # DRAM bytes / bandwidth
    peak_precision: str | None


def kernel_work(nodes: Sequence[NodeCost], kernels: Sequence[Kernel], dev: DeviceModel) -> list[KernelWork]:
    return [KernelWork(*w) for w in _work(nodes, kernels, dev)]


def _work(nodes: Sequence[NodeCost], kernels: Sequence[Kernel], dev: DeviceModel) -> Iterator[
        tuple[float, float, float, str | None]]:
    """Each kernel's :class:`KernelWork` fields (a pass of 50,000 kernels reads them once: no object for each)."""
    peaks, vector = dev.peaks, dev.peaks[VECTOR]
    vec_peak, bandwidth = vector[0], dev.bandwidth_bps
    for k in kernels:
        c = v = 0.0
        used = None
        for i in k.members:
            n = nodes[i]
            if n.macs:
                peak, used_p = peaks.get(n.precision) or vector
                used = used or used_p
                c += 2 * n.macs / peak
            v += (n.elementwise_ops + n.reduction_ops + n.transcendental_ops) / vec_peak
        yield c, v, k.dram_bytes / bandwidth, used


def power_limit_scaling(time_s: float, dynamic_j: float, static_w: float, limit_w: float) -> tuple[float, float]:
    """(time stretch, dynamic-energy factor) when the pass's dynamic power exceeds the power limit's headroom.

    Clocks and voltage drop together (DVFS): dynamic power goes as f x V^2 with V roughly proportional to f,
    so as f^3 (the CMOS cube law), and energy per operation as f^2. Holding dynamic power at the headroom
    ``r = (limit - static) / P_dyn`` lowers f by r^(1/3): the pass takes r^(-1/3) times longer and its dynamic
    energy falls to r^(2/3) of the unconstrained figure.
    """
    if time_s <= 0 or dynamic_j <= 0:
        return 1.0, 1.0
    r = (limit_w - static_w) * time_s / dynamic_j
    if r >= 1.0:
        return 1.0, 1.0
    return r ** (-1.0 / 3.0), r ** (2.0 / 3.0)


def run_pass(nodes: Sequence[NodeCost], kernels: Sequence[Kernel], dev: DeviceModel) -> PassEnergy:
    """Time and energy of the kernels on the device (the formulas in the module docstring)."""
    fc = dev.coefficients
    # the same products and quotients as per kernel, formed once: (compute efficiency x kind factor) per kind
    eff = {kind: fc.compute_efficiency * f for kind, f in dev.kind_factor.items()}
    eff_vector = eff[KIND_VECTOR]
    mem_eff, launch_s, dyn_w = fc.memory_efficiency, dev.launch_s, dev.dynamic_range_w
    alpha_c, alpha_m = fc.alpha_compute, fc.alpha_memory
    rows = []
    total_t = 0.0
    for k, (compute_s, vector_s, memory_s, peak_precision) in zip(kernels, _work(nodes, kernels, dev)):
        tc = compute_s / eff[k.kind] + vector_s / eff_vector
        tm = memory_s / mem_eff
        launch = launch_s * k.launches
        busy = tm if tm > tc else tc  # max(tc, tm)
        t = busy + launch
        bound = "compute" if tc >= tm else "memory"
        if launch > busy:
            bound = "launch"
        dyn = dyn_w * (alpha_c * (compute_s + vector_s) + alpha_m * memory_s)
        rows.append((k, tc, tm, t, bound, peak_precision, dyn))
        total_t += t
    dynamic = sum(r[6] for r in rows)
    static_w = dev.static_w
    stretch, scale = power_limit_scaling(total_t, dynamic, static_w, dev.power_limit_w)
    out = []
    for k, tc, tm, t, bound, used, dyn in rows:
        ts = t * stretch
        dyn_scaled = dyn * scale
        out.append(KernelTime(k, tc, tm, ts, bound, used, dyn_scaled, static_w * ts + dyn_scaled))
    dynamic *= scale
    time_s = total_t * stretch
    static = dev.static_w * time_s
    energy = static + dynamic
    return PassEnergy(
        kernels=tuple(out),
        time_s=time_s,
        energy_j=energy,
        static_j=static,
        dynamic_j=dynamic,
        power_w=energy / time_s if time_s > 0 else dev.static_w,
        power_limited=stretch > 1.0,
    )

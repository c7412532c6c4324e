"""Fit the energy model's coefficients on measured points, and cross-validate them.

A point is a measured energy per unit (sample, query or output token) with the passes that produce it:
each pass is a list of fused kernels with their work at 100% of the device's peak (seconds of compute,
of vector work, of DRAM traffic), so that every quantity of :mod:`wattprint.energy.device` and
:mod:`wattprint.energy.node` becomes a vectorised function of the coefficients.

The coefficients are the pooled values plus, per device family, an offset on the compute and memory
efficiency, the two power slopes and the static fraction. Offsets carry a ridge penalty (``RIDGE``), so a
family with few points stays close to the pooled fit, and a family without points gets the pooled values:
that is what leave-one-family-out cross-validation measures. The fit minimises squared log-errors of the
energy per unit (weight 1) and, where measured, of the time per unit and the average power (weight
``AUX_WEIGHT`` each) with Levenberg-Marquardt on a finite-difference Jacobian (numpy only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from wattprint.energy.device import POOLED, Coefficients, FamilyCoefficients
from wattprint.energy.node import DRAM_W_PER_GB, PSU_EFFICIENCY
from wattprint.energy.traffic import KINDS

if TYPE_CHECKING:
    from wattprint.energy.device import DeviceModel
    from wattprint.energy.traffic import Kernel
    from wattprint.model.costs import NodeCost

RIDGE = 1.0
AUX_WEIGHT = 0.5
#: weight of the weak prior that keeps each pooled value near START (in logit / log units)
PRIOR = 0.1
#: starting point of the search and centre of the weak priors: typical published values for a datacenter GPU
#: (static draw ~12% of TDP: A100 46/400 W, T4 8/70 W, A10G 18/150 W idle, Teads via Cloud Carbon Footprint;
#: a compute-bound kernel at full efficiency near the TDP; memory streaming at ~70% of peak bandwidth)
START = {
    "eta_c": 0.5, "eta_m": 0.7, "alpha_c": 1.0, "alpha_m": 0.5, "static": 0.12,
    "k_gemm": 1.0, "k_recurrent": 0.3, "k_vector": 0.5, "launch_s": 3e-6, "u_cpu": 0.4, "overhead": 0.1,
    "base_w": 100.0,
}
_GLOBAL = list(START)
_FAMILY = ("eta_c", "eta_m", "alpha_c", "alpha_m", "static")
_LOGIT = {"eta_c", "eta_m", "static", "u_cpu"}


@dataclass(frozen=True)
class PassFeatures:
    """One pass on one device: per kernel, seconds at 100% of peak."""

    compute_s: np.ndarray  # 2 MACs / peak[precision]
    vector_s: np.ndarray  # vector ops / fp32 peak
    memory_s: np.ndarray  # DRAM bytes / bandwidth
    kind: np.ndarray  # index into KINDS
    launches: np.ndarray  # kernel launches per kernel


@dataclass(frozen=True)
class FitPoint:
    id: str
    family: str
    passes: tuple[tuple[PassFeatures, float], ...]  # (pass, how many times it runs per `units`)
    units: float  # units (samples, queries, tokens) produced by the weighted passes
    devices: int  # devices running each pass together (tensor parallel: energy x devices)
    tdp_w: float
    idle_w: float | None
    power_limit_w: float | None
    boundary: str  # "accelerator" | "node"
    measured_j: float  # per unit
    measured_time_s: float | None = None  # per unit per device group (None: not measured)
    measured_power_w: float | None = None  # at the boundary, all devices of the node or group
    node_accelerators: int = 1
    cpu_tdp_w: float = 0.0
    memory_gb: float = 0.0
    other_w: float = 0.0
    psu_efficiency: float = PSU_EFFICIENCY
    tags: Mapping[str, str] = field(default_factory=dict)


def _sig(x: Any) -> Any:  # a float or an array, as given
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


class Problem:
    """The measured points flattened into arrays, and the residuals as a function of the parameters."""

    def __init__(self, points: Sequence[FitPoint], families: Sequence[str]):
        self.points = list(points)
        self.families = list(families)
        fam_index = {f: i for i, f in enumerate(self.families)}
        c, v, m, kind, pidx, launches = [], [], [], [], [], []
        pass_point, pass_weight = [], []
        n_pass = 0
        for j, p in enumerate(self.points):
            for feats, weight in p.passes:
                c.append(feats.compute_s)
                v.append(feats.vector_s)
                m.append(feats.memory_s)
                kind.append(feats.kind)
                launches.append(feats.launches)
                pidx.append(np.full(len(feats.compute_s), n_pass))
                pass_point.append(j)
                pass_weight.append(weight)
                n_pass += 1
        self.c = np.concatenate(c)
        self.v = np.concatenate(v)
        self.m = np.concatenate(m)
        self.kind = np.concatenate(kind).astype(int)
        self.launches = np.concatenate(launches).astype(float)
        self.pidx = np.concatenate(pidx).astype(int)
        self.n_pass = n_pass
        self.pass_point = np.array(pass_point, dtype=int)
        self.pass_weight = np.array(pass_weight, dtype=float)
        self.pass_cv = np.bincount(self.pidx, weights=self.c + self.v, minlength=n_pass)
        self.pass_m = np.bincount(self.pidx, weights=self.m, minlength=n_pass)
        self.pass_kernels = np.bincount(self.pidx, minlength=n_pass).astype(float)
        pts = self.points
        self.fam = np.array([fam_index.get(p.family, -1) for p in pts], dtype=int)
        self.tdp = np.array([p.tdp_w for p in pts])
        self.idle = np.array([np.nan if p.idle_w is None else p.idle_w for p in pts])
        self.limit = np.array([p.tdp_w if p.power_limit_w is None else p.power_limit_w for p in pts])
        self.units = np.array([p.units for p in pts])
        self.devices = np.array([p.devices for p in pts], dtype=float)
        self.node = np.array([p.boundary == "node" for p in pts])
        self.n_acc = np.array([p.node_accelerators for p in pts], dtype=float)
        self.cpu = np.array([p.cpu_tdp_w for p in pts])
        self.fixed = np.array([p.memory_gb * DRAM_W_PER_GB + p.other_w for p in pts])
        self.psu = np.array([p.psu_efficiency for p in pts])
        self.meas = np.array([p.measured_j for p in pts])
        self.meas_t = np.array([np.nan if p.measured_time_s is None else p.measured_time_s for p in pts])
        self.meas_p = np.array([np.nan if p.measured_power_w is None else p.measured_power_w for p in pts])
        self.n_global = len(_GLOBAL)
        self.n_params = self.n_global + len(_FAMILY) * len(self.families)
        self._x0 = self.start()

    # -- parameters ---------------------------------------------------------------------------------
    def start(self) -> np.ndarray:
        x = np.zeros(self.n_global + len(_FAMILY) * len(self.families))
        for i, name in enumerate(_GLOBAL):
            x[i] = _logit(START[name]) if name in _LOGIT else np.log(START[name])
        return x

    def _values(self, x: np.ndarray, name: str, per_point: bool = True) -> Any:
        g = x[_GLOBAL.index(name)]
        if name in _FAMILY and per_point:
            k = _FAMILY.index(name)
            offs = x[self.n_global:].reshape(len(self.families), len(_FAMILY))[:, k] if self.families else np.zeros(0)
            add = np.where(self.fam >= 0, offs[np.clip(self.fam, 0, None)] if len(offs) else 0.0, 0.0)
            g = g + add
        return _sig(g) if name in _LOGIT else np.exp(g)

    # -- the model ------------------------------------------------------------------------------------
    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Energy per unit at the boundary, time per unit, and average power at the boundary, per point."""
        eta_c = self._values(x, "eta_c")
        eta_m = self._values(x, "eta_m")
        a_c = self._values(x, "alpha_c")
        a_m = self._values(x, "alpha_m")
        static_f = self._values(x, "static")
        kf = np.array([1.0, self._values(x, "k_gemm", False), self._values(x, "k_recurrent", False),
                       self._values(x, "k_vector", False)])
        launch = self._values(x, "launch_s", False)
        u_cpu = self._values(x, "u_cpu", False)
        overhead = self._values(x, "overhead", False)
        base = self._values(x, "base_w", False)

        kp = self.pass_point[self.pidx]  # point of each kernel
        tc = self.c / (eta_c[kp] * kf[self.kind]) + self.v / (eta_c[kp] * kf[3])
        tm = self.m / eta_m[kp]
        t = np.maximum(tc, tm) + launch * self.launches
        T = np.bincount(self.pidx, weights=t, minlength=self.n_pass)
        pp = self.pass_point
        static = np.where(np.isnan(self.idle), static_f * self.tdp, self.idle)[pp]
        dyn = (self.tdp[pp] - static) * (a_c[pp] * self.pass_cv + a_m[pp] * self.pass_m)
        # the power limit: DVFS cube law (device.power_limit_scaling)
        r = np.clip(np.maximum(self.limit[pp] - static, 1e-9) * T / np.maximum(dyn, 1e-30), None, 1.0)
        T = T * r ** (-1.0 / 3.0)
        dyn = dyn * r ** (2.0 / 3.0)
        E_acc = static * T + dyn
        w = self.pass_weight
        n_pts = len(self.points)
        E = np.bincount(pp, weights=w * E_acc, minlength=n_pts)  # per device, for `units`
        Tt = np.bincount(pp, weights=w * T, minlength=n_pts)
        host_share = (base + u_cpu * self.cpu + self.fixed) / self.n_acc / self.psu
        E_node = (1 + overhead) * E / self.psu + host_share * Tt
        E_b = np.where(self.node, E_node, E) * self.devices
        per_unit = E_b / self.units
        time_unit = Tt / self.units
        power = np.where(self.node, E_node / Tt * self.n_acc, E / Tt * self.devices)
        return per_unit, time_unit, power

    def residuals(self, x: np.ndarray) -> np.ndarray:
        e, t, p = self.predict(x)
        r = [np.log(e / self.meas)]
        mt = ~np.isnan(self.meas_t)
        mp = ~np.isnan(self.meas_p)
        r.append(AUX_WEIGHT * np.log(t[mt] / self.meas_t[mt]))
        r.append(AUX_WEIGHT * np.log(p[mp] / self.meas_p[mp]))
        r.append(np.sqrt(RIDGE) * x[self.n_global:])
        r.append(np.sqrt(PRIOR) * (x[: self.n_global] - self._x0[: self.n_global]))
        return np.concatenate(r)

    def solve(self, x0: np.ndarray | None = None, iterations: int = 60) -> np.ndarray:
        """Levenberg-Marquardt on the residuals."""
        x = self.start() if x0 is None else x0.copy()
        r = self.residuals(x)
        cost = float(r @ r)
        lam = 1e-2
        h = 1e-5
        for _ in range(iterations):
            J = np.empty((r.size, x.size))
            for i in range(x.size):
                xi = x.copy()
                xi[i] += h
                J[:, i] = (self.residuals(xi) - r) / h
            g = J.T @ r
            A = J.T @ J
            improved = False
            for _ in range(10):
                step = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-9), -g)
                xn = x + step
                rn = self.residuals(xn)
                cn = float(rn @ rn)
                if np.isfinite(cn) and cn < cost:
                    x, r, cost = xn, rn, cn
                    lam = max(lam / 3, 1e-7)
                    improved = True
                    break
                lam *= 4
            if not improved or np.max(np.abs(step)) < 1e-6:
                break
        return x

    def coefficients(self, x: np.ndarray, basis: str, error_band: tuple[float, float] = (1.0, 1.0),
                     data_version: str = "") -> Coefficients:
        def val(name: str, fam: int | None) -> float:
            g = x[_GLOBAL.index(name)]
            if fam is not None and name in _FAMILY:
                g += x[self.n_global + fam * len(_FAMILY) + _FAMILY.index(name)]
            return float(_sig(g) if name in _LOGIT else np.exp(g))

        fams = {POOLED: FamilyCoefficients(val("eta_c", None), val("eta_m", None), val("alpha_c", None),
                                           val("alpha_m", None), val("static", None))}
        for i, f in enumerate(self.families):
            fams[f] = FamilyCoefficients(val("eta_c", i), val("eta_m", i), val("alpha_c", i), val("alpha_m", i),
                                         val("static", i))
        kinds = dict(zip(KINDS, (1.0, val("k_gemm", None), val("k_recurrent", None), val("k_vector", None))))
        return Coefficients(
            families=fams,
            kind_factor=kinds,
            launch_s=val("launch_s", None),
            host_cpu_utilization=val("u_cpu", None),
            host_overhead_per_accelerator=val("overhead", None),
            host_base_w=val("base_w", None),
            basis=basis,
            error_band=error_band,
            data_version=data_version,
        )


@dataclass(frozen=True)
class FitResult:
    coefficients: Coefficients
    in_sample: dict[str, float]  # point id -> estimate / measured
    cross_validated: dict[str, float]  # point id -> estimate / measured with the point's family left out


def fit(points: Sequence[FitPoint], basis: str = "", data_version: str = "", cross_validate: bool = True) -> FitResult:
    families = sorted({p.family for p in points})
    prob = Problem(points, families)
    x = prob.solve()
    e, _, _ = prob.predict(x)
    in_sample = {p.id: float(r) for p, r in zip(points, e / prob.meas)}
    cv: dict[str, float] = {}
    if cross_validate:
        for f in families:
            train = [p for p in points if p.family != f]
            test = [p for p in points if p.family == f]
            if not train or not test:
                continue
            others = sorted({p.family for p in train})
            sub = Problem(train, others)
            xs = sub.solve()
            # predict the held-out family with the pooled coefficients (no offset for it)
            held = Problem(test, [])
            xh = xs[: held.n_global]
            eh, _, _ = held.predict(xh)
            cv.update({p.id: float(r) for p, r in zip(test, eh / held.meas)})
    ratios = np.array(list(cv.values()) or list(in_sample.values()))
    band = (float(np.quantile(ratios, 0.1)), float(np.quantile(ratios, 0.9)))
    return FitResult(prob.coefficients(x, basis, band, data_version), in_sample, cv)


def pass_features(nodes: Sequence[NodeCost], kernels: Sequence[Kernel], dev: DeviceModel) -> PassFeatures:
    """The work of a pass as the fit sees it (same kernels and work as :func:`device.run_pass`)."""
    from wattprint.energy.device import kernel_work

    work = kernel_work(nodes, kernels, dev)
    kind_index = {k: i for i, k in enumerate(KINDS)}
    return PassFeatures(
        compute_s=np.array([w.compute_s for w in work]),
        vector_s=np.array([w.vector_s for w in work]),
        memory_s=np.array([w.memory_s for w in work]),
        kind=np.array([kind_index[k.kind] for k in kernels], dtype=int),
        launches=np.array([k.launches for k in kernels], dtype=int),
    )

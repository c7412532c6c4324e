"""LLM generation: energy per request and per output token, prefill and decode.

Pure core: no printing, no exiting; failures are :class:`~wattprint.errors.WattprintError`.

A request of ``P`` prompt tokens and ``M`` output tokens, served ``B`` at a time
(``concurrency``) on ``D`` devices (tensor parallel):

* **Prefill**: the ``B`` prompts as one pass of the decoder (``batch=B``, ``sequence=P``, empty
  cache). It yields the first output token; its duration is the time to first token.
* **Decode**: ``M - 1`` steps; step ``j`` (1..M-1) runs ``batch=B``, ``sequence=1`` with a cache of
  ``P + j - 1`` tokens per sequence. The weights are read once per step for all ``B`` sequences
  (the graph is costed at batch ``B``) and each sequence's cache at its current length. The sum
  over the steps is taken from a few steps evaluated exactly and joined linearly, with the exact
  integer-sum end correction (see :func:`integrate_steps`); a step's cost is piecewise linear in
  the cache length, so a handful of points is exact to well under 1%.
* **MoE**: each token runs ``top_k`` experts (compute); a step reads the weights of the expected
  number of distinct experts ``E (1 - (1 - k/E)^T)`` touched by its ``T`` tokens.
* **Tensor parallel**: each device runs a ``1/D`` shard (:func:`wattprint.llm_config.build_decoder`),
  plus two all-reduces per layer (after attention and after the MLP) of the ``T x hidden``
  activations, ring algorithm ``2 (D-1)/D x bytes`` over one direction of the profile's interconnect
  bandwidth (``interconnect_bandwidth_gbps / 2``; not costed, with a warning, where the profile has none).
  Energy is summed over the ``D`` devices.
* **Energy**: every evaluated pass goes through :func:`wattprint.inference.estimate_inference`,
  the same physical model as ``wattprint infer``; the system (node) and wall energy use the
  ratios it returns.

:func:`estimate_generation` is the entry point; it takes a config (path, shipped name or
:class:`~wattprint.llm_config.DecoderSpec`) or an ONNX decoder path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattprint.errors import WattprintError

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.carbon import GridChoice, PUEChoice
    from wattprint.comparisons import Comparison
    from wattprint.hardware import HardwareProfile
    from wattprint.inference import InferenceResult
    from wattprint.llm_config import DecoderSpec
    from wattprint.model.costs import ModelCost, NodeCost

#: fraction of device memory a serving engine may fill with weights and KV cache (vLLM's default
#: gpu_memory_utilization = 0.9; the rest holds activations, CUDA graphs and the runtime)
USABLE_MEMORY_FRACTION = 0.9
#: at most this many decode steps are evaluated exactly (plus the cache-window kinks)
DECODE_POINTS = 5
#: profile attribute holding the device-to-device bandwidth: GB/s per device, both directions together
#: (as vendors state NVLink); a ring all-reduce sends and receives at once, so one direction is half


@dataclass(frozen=True)
class GenerationWorkload:
    prompt_tokens: int
    output_tokens: int
    concurrency: int = 1
    devices: int = 1
    precision: str | None = None  # weights and activations (default: the model's dtype)
    kv_precision: str | None = None  # KV cache (default: the precision)

    def check(self) -> None:
        for name, value, low in (("prompt tokens", self.prompt_tokens, 1), ("output tokens", self.output_tokens, 1),
                                 ("concurrency", self.concurrency, 1), ("devices", self.devices, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise WattprintError(f"{name} {value!r} must be a whole number >= {low}")
            if value > 2**31:
                raise WattprintError(f"{name} {value} is out of range", hint="use at most 2^31")


@dataclass(frozen=True)
class PhaseResult:
    """One phase for the whole batch of ``concurrency`` requests, summed over all devices."""

    name: str  # "prefill" | "decode"
    passes: int  # graph evaluations it stands for (1 prefill; M-1 decode steps)
    time_s: float  # wall-clock duration of the phase
    accelerator_energy_j: float
    system_energy_j: float
    energy_j: float  # at the wall
    macs: float
    bytes_read: float
    bytes_written: float
    compute_time_s: float  # time of compute-bound layers (one device)
    memory_time_s: float  # time of memory-bound layers (one device)
    allreduce_time_s: float
    #: (cache length, time_s, accelerator energy J) of the evaluated passes
    points: tuple[tuple[int, float, float], ...] = ()

    @property
    def bound(self) -> str:
        if self.passes == 0:
            return "-"
        return "compute" if self.compute_time_s >= self.memory_time_s else "memory"


@dataclass(frozen=True)
class MemoryCheck:
    weights_bytes: int  # per device
    kv_bytes: int  # per device, all sequences at their final length
    capacity_bytes: float  # usable per device
    memory_gb: float | None

    @property
    def needed_bytes(self) -> int:
        return self.weights_bytes + self.kv_bytes


@dataclass(frozen=True)
class GenerationResult:
    model: str
    source_kind: str  # "config" | "onnx"
    workload: GenerationWorkload
    hardware: HardwareProfile
    hardware_requested: str
    prefill: PhaseResult
    decode: PhaseResult | None  # None: M = 1, or a graph without KV-cache inputs
    memory: MemoryCheck | None
    params_total: int
    params_active: int
    pue: PUEChoice
    grid: GridChoice
    requests: float | None
    volume_basis: str | None
    accelerator_power_w: float
    experts_touched_decode: float | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    spec: DecoderSpec | None = None
    prefill_detail: InferenceResult | None = None  # the prefill pass as costed (per layer)
    decode_detail: InferenceResult | None = None  # the last decode step as costed
    #: every evaluated pass on one device with how many times it counts per batch of requests (prefill 1; decode
    #: samples their integration weights): the sum of weight x pass is the result (all-reduces aside)
    passes: tuple[tuple[InferenceResult, float], ...] = ()

    def _phases(self) -> list[PhaseResult]:
        return [p for p in (self.prefill, self.decode) if p is not None]

    def _sum(self, attr: str) -> float:
        return sum(getattr(p, attr) for p in self._phases())

    @property
    def output_tokens_total(self) -> int:
        """Output tokens of one batch of ``concurrency`` requests (prefill-only graphs: the first token)."""
        per = self.workload.output_tokens if self.decode is not None or self.workload.output_tokens == 1 else 1
        return per * self.workload.concurrency

    @property
    def time_per_batch_s(self) -> float:
        return self._sum("time_s")

    @property
    def energy_per_request_j(self) -> float:
        return self._sum("energy_j") / self.workload.concurrency

    @property
    def system_energy_per_request_j(self) -> float:
        return self._sum("system_energy_j") / self.workload.concurrency

    @property
    def accelerator_energy_per_request_j(self) -> float:
        return self._sum("accelerator_energy_j") / self.workload.concurrency

    @property
    def accelerator_energy_per_output_token_j(self) -> float:
        return self._sum("accelerator_energy_j") / self.output_tokens_total

    @property
    def system_energy_per_output_token_j(self) -> float:
        return self._sum("system_energy_j") / self.output_tokens_total

    @property
    def energy_per_output_token_j(self) -> float:
        return self._sum("energy_j") / self.output_tokens_total

    @property
    def time_to_first_token_s(self) -> float:
        return self.prefill.time_s

    @property
    def time_per_output_token_s(self) -> float | None:
        if self.decode is None or self.decode.passes == 0:
            return None
        return self.decode.time_s / self.decode.passes

    @property
    def output_tokens_per_s(self) -> float:
        """All devices together, over the whole request (prefill included)."""
        t = self.time_per_batch_s
        return self.output_tokens_total / t if t > 0 else 0.0

    @property
    def output_tokens_per_s_per_device(self) -> float:
        return self.output_tokens_per_s / self.workload.devices

    @property
    def co2e_per_request_g(self) -> float:
        return self.energy_per_request_j / 3.6e6 * self.grid.intensity_gco2e_per_kwh

    @property
    def energy_kwh(self) -> float | None:
        return None if self.requests is None else self.energy_per_request_j * self.requests / 3.6e6

    @property
    def co2e_kg(self) -> float | None:
        return None if self.requests is None else self.co2e_per_request_g * self.requests / 1000


# ----------------------------------------------------------------------------- integration


def integrate_steps(first: int, last: int, f: Callable[[int], tuple[float, ...]], points: int = DECODE_POINTS,
                    kinks: tuple[int, ...] = ()) -> tuple[tuple[float, ...], list[int]]:
    """Sum of ``f(n)`` for every integer ``n`` in ``[first, last]`` (component-wise).

    With at most ``points`` steps, each is evaluated. Otherwise ``f`` is evaluated at ``points``
    evenly spaced steps plus ``kinks`` (where a cost changes slope), joined by straight lines, and
    summed exactly over the integers: ``sum_{a<=n<=b} (linear) = (b - a + 1)(f(a) + f(b)) / 2``
    per segment, each shared end counted once. Exact when ``f`` is linear between the points.
    """
    n = last - first + 1
    if n <= 0:
        return (), []
    if n <= points:
        xs = list(range(first, last + 1))
        vals = [f(x) for x in xs]
        return tuple(sum(c) for c in zip(*vals)), xs
    xs = sorted({first, last, *(k for k in kinks if first < k < last),
                 *(first + round(i * (last - first) / (points - 1)) for i in range(points))})
    vals = [f(x) for x in xs]
    total = [0.0] * len(vals[0])
    for (a, fa), (b, fb) in zip(zip(xs, vals), zip(xs[1:], vals[1:])):
        for c in range(len(total)):
            total[c] += (b - a) * (fa[c] + fb[c]) / 2.0  # integers a..b-1 plus half of both ends
    for c in range(len(total)):
        total[c] += (vals[0][c] + vals[-1][c]) / 2.0
    return tuple(total), xs


def step_weights(first: int, last: int, xs: list[int]) -> list[float]:
    """Weights w with sum(w_i f(x_i)) equal to :func:`integrate_steps` over [first, last] at the points xs."""
    if len(xs) == last - first + 1:
        return [1.0] * len(xs)
    w = [0.0] * len(xs)
    for i in range(len(xs) - 1):
        half = (xs[i + 1] - xs[i]) / 2.0
        w[i] += half
        w[i + 1] += half
    w[0] += 0.5
    w[-1] += 0.5
    return w


# ----------------------------------------------------------------------------- decode costs by cache length


_VARYING = ("macs", "elementwise_ops", "reduction_ops", "transcendental_ops", "params", "bytes_read",
            "bytes_written", "weight_bytes")


class _DecodeCosts:
    """The decode graph's counts at any cache length from few analyses.

    A decode step's counts are affine in the cache length (attention and cache reads grow
    linearly, everything else is constant). The first and last lengths are analysed, a middle one
    checks the line, and other lengths are interpolated; if the check fails (a kink, such as a
    sliding window filling up) every length is analysed.
    """

    def __init__(self, analyze: Callable[[int], ModelCost], first: int, last: int):
        self.analyze = analyze
        self.cache: dict[int, ModelCost] = {}
        self.linear: bool | None = None
        self.first, self.last = first, last

    def _get(self, x: int) -> ModelCost:
        if x not in self.cache:
            self.cache[x] = self.analyze(x)
        return self.cache[x]

    def cost(self, x: int) -> ModelCost:
        a, b = self.first, self.last
        if x in self.cache or b - a < 2 or self.linear is False:
            return self._get(x)
        if self.linear is None:
            mid = (a + b) // 2
            got = self._get(mid)
            key = lambda n: (n.name, n.output_shape, *(getattr(n, f) for f in _VARYING))  # noqa: E731
            self.linear = [key(n) for n in self._interp(mid)] == [key(n) for n in got.nodes]
            if not self.linear:
                return self._get(x)
        if x == a or x == b:
            return self._get(x)
        from dataclasses import replace

        return replace(self._get(a), nodes=self._interp(x))

    def _interp(self, x: int) -> tuple:
        from dataclasses import replace

        na, nb = self._get(self.first).nodes, self._get(self.last).nodes
        if len(na) != len(nb):
            return ()
        if not hasattr(self, "_diff"):  # the nodes whose counts depend on the cache length, and their fields
            self._diff = []
            for i, (u, v) in enumerate(zip(na, nb)):
                fields = [f for f in _VARYING if getattr(u, f) != getattr(v, f)]
                shape = u.output_shape != v.output_shape and bool(u.output_shape) and bool(v.output_shape)
                if fields or shape:
                    self._diff.append((i, fields, shape))
        t = (x - self.first) / (self.last - self.first)
        out = list(na)
        for i, fields, shape in self._diff:
            u, v = na[i], nb[i]
            changes = {f: round(getattr(u, f) + t * (getattr(v, f) - getattr(u, f))) for f in fields}
            if shape and u.output_shape is not None and v.output_shape is not None:
                changes["output_shape"] = tuple(round(p + t * (q - p)) for p, q in zip(u.output_shape, v.output_shape))
            out[i] = replace(u, **changes)
        return tuple(out)


# ----------------------------------------------------------------------------- one evaluated pass


@dataclass(frozen=True)
class _Pass:
    time_s: float
    acc_j: float
    sys_j: float
    wall_j: float
    macs: float
    bytes_read: float
    bytes_written: float
    compute_s: float
    memory_s: float
    allreduce_s: float
    result: Any


def _link_gbps(profile: HardwareProfile) -> float | None:
    """One-direction device-to-device bandwidth, GB/s (half the profile's both-directions figure)."""
    v = getattr(profile, "interconnect_bandwidth_gbps", None)
    return float(v) / 2 if isinstance(v, (int, float)) and v > 0 else None


def _evaluate(cost: ModelCost, profile: HardwareProfile, batch: int, devices: int, allreduce_bytes: float,
              link: float | None, pue: PUEChoice, grid: GridChoice, options: Mapping[str, Any]) -> _Pass:
    from wattprint.inference import estimate_inference

    r = estimate_inference(cost, profile, batch=batch, pue=pue, grid=grid, **options)
    t_dev = r.time_per_batch_s
    acc_dev = r.accelerator_energy_per_batch_j
    power = acc_dev / t_dev if t_dev > 0 else 0.0
    ar = 0.0
    if devices > 1 and link:
        ar = allreduce_bytes * 2 * (devices - 1) / devices / (link * 1e9)
    acc = devices * (acc_dev + ar * power)
    per_inf = r.accelerator_energy_per_inference_j
    sys_ratio = r.system_energy_per_inference_j / per_inf if per_inf > 0 else 1.0
    wall_ratio = r.energy_per_inference_j / r.system_energy_per_inference_j if r.system_energy_per_inference_j > 0 else 1.0
    comp = sum(x.time_s for x in r.layers if x.bound == "compute")
    mem = sum(x.time_s for x in r.layers if x.bound == "memory")
    m = r.model
    return _Pass(t_dev + ar, acc, acc * sys_ratio, acc * sys_ratio * wall_ratio, float(devices * m.macs),
                 float(devices * m.bytes_read), float(devices * m.bytes_written), comp, mem, ar, r)


def _phase(name: str, passes: int, total: tuple[float, ...], xs: list[int], samples: dict[int, _Pass]) -> PhaseResult:
    t, acc, sys_, wall, macs, br, bw, comp, mem, ar = total
    return PhaseResult(name, passes, t, acc, sys_, wall, macs, br, bw, comp, mem, ar,
                       tuple((x, samples[x].time_s, samples[x].acc_j) for x in xs))


def _as_tuple(p: _Pass) -> tuple[float, ...]:
    return (p.time_s, p.acc_j, p.sys_j, p.wall_j, p.macs, p.bytes_read, p.bytes_written, p.compute_s, p.memory_s,
            p.allreduce_s)


# ----------------------------------------------------------------------------- memory


def _fits(weights: float, kv_per_seq: Callable[[int], float], batch: int, devices: int, capacity: float) -> bool:
    return weights / devices + batch * kv_per_seq(devices) <= capacity


def max_concurrency(spec: DecoderSpec, profile: HardwareProfile, workload: GenerationWorkload) -> int:
    """The most sequences of the workload's length whose KV cache fits beside the weights (at least 1)."""
    if profile.memory_gb is None:
        return workload.concurrency
    kv_prec = workload.kv_precision or workload.precision or spec.dtype
    cap = profile.memory_gb * 1e9 * USABLE_MEMORY_FRACTION
    room = cap - spec.weight_bytes(workload.precision) / workload.devices
    per_seq = spec.kv_bytes_per_sequence(workload.prompt_tokens + workload.output_tokens, kv_prec, workload.devices)
    return max(1, int(room // per_seq)) if per_seq > 0 else workload.concurrency


def check_memory(label: str, profile: HardwareProfile, weights_total: float, kv_per_seq: Callable[[int], float],
                 workload: GenerationWorkload, valid_devices: Callable[[int], bool],
                 warnings: list[str], strict: bool = True) -> MemoryCheck | None:
    """Weights (split over D devices) + the KV cache of B sequences at full length must fit.

    ``kv_per_seq(D)``: cache bytes of one sequence on one of D devices. A profile without a memory figure
    skips the check (said in ``warnings``); with ``strict=False`` a workload that does not fit is reported
    in ``warnings`` instead of raised.
    """
    if profile.memory_gb is None:
        warnings.append(f"{profile.id} has no memory_gb figure: whether the weights and KV cache fit was not checked")
        return None
    cap = profile.memory_gb * 1e9 * USABLE_MEMORY_FRACTION
    b, d = workload.concurrency, workload.devices
    check = MemoryCheck(int(weights_total / d), int(b * kv_per_seq(d)), cap, profile.memory_gb)
    if check.needed_bytes <= cap:
        return check
    if not strict:
        warnings.append(f"{label} does not fit: {check.needed_bytes / 1e9:.1f} GB per device > {cap / 1e9:.1f} GB "
                        f"usable (all {b} sequences at full length); estimated anyway")
        return check
    best_d = next((x for x in range(d + 1, 1025) if valid_devices(x) and _fits(weights_total, kv_per_seq, b, x, cap)), None)
    room = cap - weights_total / d
    best_b = int(room // kv_per_seq(d)) if room > 0 else 0
    fixes = []
    if best_d is not None:
        fixes.append(f"--devices {best_d}")
    if best_b >= 1:
        fixes.append(f"--concurrency {best_b} or less")
    gb = 1e9
    if fixes:
        hint = "use " + " or ".join(fixes)
    elif room > 0:  # the weights fit: one sequence's cache does not
        hint = (f"one sequence of {workload.prompt_tokens + workload.output_tokens} tokens needs "
                f"{kv_per_seq(d) / gb:.1f} GB of KV cache: lower --prompt-tokens or --output-tokens")
    else:
        hint = "the weights alone do not fit on one device; use more devices"
    raise WattprintError(
        f"{label} does not fit: {check.needed_bytes / gb:.1f} GB per device (weights {check.weights_bytes / gb:.1f} GB"
        f" + KV cache {check.kv_bytes / gb:.1f} GB for {b} sequences of {workload.prompt_tokens + workload.output_tokens}"
        f" tokens) > {cap / gb:.1f} GB usable of {profile.id}'s {profile.memory_gb:g} GB",
        hint=hint,
    )


# ----------------------------------------------------------------------------- entry point


def estimate_generation(
    source: str | Path | DecoderSpec,
    profile: HardwareProfile,
    workload: GenerationWorkload,
    *,
    pue: PUEChoice,
    grid: GridChoice,
    requests: float | None = None,
    volume_basis: str | None = None,
    hardware_requested: str | None = None,
    dims: Mapping[str, int] | None = None,
    units: str = "metric",
    decode_points: int = DECODE_POINTS,
    strict_memory: bool = True,
    **inference_options: Any,
) -> GenerationResult:
    """Energy of serving ``workload`` with the model ``source`` on ``profile``.

    ``source``: a :class:`DecoderSpec`, a config.json path or shipped config name, or an ``.onnx``
    decoder. ``inference_options`` pass through to :func:`wattprint.inference.estimate_inference`
    (``node``, ``power_limit_w``, ``coefficients``...). ``dims`` binds any other symbolic dim of an
    ONNX decoder. ``strict_memory=False`` turns "does not fit" into a warning (a measured serving run
    whose engine preempted or whose sequences never all reached full length at once).
    """
    from dataclasses import replace as _replace

    from wattprint.comparisons import compare

    workload.check()
    if isinstance(source, (str, Path)) and str(source).lower().endswith(".onnx"):
        result = _estimate_onnx(Path(source), profile, workload, pue, grid, dims or {}, decode_points,
                                inference_options, strict_memory)
    else:
        from wattprint.llm_config import DecoderSpec, load_config

        spec = source if isinstance(source, DecoderSpec) else load_config(source)
        if dims:
            raise WattprintError(f"{spec.name}: --dim {next(iter(dims))}=... applies to ONNX decoders only: a "
                                 f"config's dimensions come from the workload",
                                 hint="drop --dim; --prompt-tokens, --output-tokens and --concurrency set them")
        result = _estimate_config(spec, profile, workload, pue, grid, decode_points, inference_options, strict_memory)
    result = _replace(result, hardware_requested=hardware_requested or profile.id, requests=requests,
                      volume_basis=volume_basis)
    if result.co2e_kg is not None:  # (with a serving volume)
        result = _replace(result, comparisons=compare(result.co2e_kg, units))
    return result


def _estimate_config(spec: DecoderSpec, profile, workload: GenerationWorkload, pue, grid, decode_points: int,
                     options, strict_memory: bool = True) -> GenerationResult:
    from wattprint.llm_config import (
        BATCH,
        DTYPE_BITS,
        PAST,
        PAST_LOCAL,
        SEQ,
        build_decoder,
        check_tp,
        expected_experts,
    )
    from wattprint.model import analyze_proto

    w = workload
    for name, value in (("precision", w.precision), ("kv precision", w.kv_precision)):
        if value is not None and value not in DTYPE_BITS:
            raise WattprintError(f"{name} {value!r} is not one of fp32, fp16, bf16, fp8, int8")
    check_tp(spec, w.devices)
    kv_prec = w.kv_precision or w.precision or spec.dtype
    P, M, B, D = w.prompt_tokens, w.output_tokens, w.concurrency, w.devices
    if spec.max_positions and P + M > spec.max_positions:
        raise WattprintError(
            f"{spec.name}: prompt + output = {P + M} tokens exceeds its context of {spec.max_positions}",
            hint="lower --prompt-tokens or --output-tokens",
        )

    def valid(d: int) -> bool:
        try:
            check_tp(spec, d)
            return True
        except WattprintError:
            return False

    warnings: list[str] = []
    memory = check_memory(spec.name, profile, spec.weight_bytes(w.precision),
                          lambda d: spec.kv_bytes_per_sequence(P + M, kv_prec, d), w, valid,
                          warnings, strict_memory)
    link = _link_gbps(profile)
    notes = list(spec.notes)
    if D > 1 and link is None:
        warnings.append(f"{profile.id} has no interconnect bandwidth figure: the tensor-parallel all-reduces "
                        f"(2 per layer) are not costed")
    act_bytes = DTYPE_BITS[w.precision or spec.dtype] / 8
    window = spec.sliding_window

    reps = representative_layers(spec)

    def graph(tokens: int):
        touched = None
        if spec.is_moe:
            touched = max(spec.top_k, round(expected_experts(spec.experts, spec.top_k, tokens)))
        return build_decoder(spec, tp=D, precision=w.precision, kv_precision=kv_prec, moe_tokens=tokens,
                             experts_touched=touched, layers=reps), touched

    kinds = {a for a, _ in spec.layer_kinds}

    def dims_for(seq: int, past: int) -> dict[str, int]:
        d = {BATCH: B, SEQ: seq}
        if "full" in kinds:
            d[PAST] = past
        if "sliding" in kinds and window is not None:  # (a config with sliding layers names its window)
            d[PAST_LOCAL] = min(past, window - 1) if seq == 1 else 0
        return d

    label = spec.name
    samples: dict[int, _Pass] = {}

    def analyze(model, seq: int, past: int) -> ModelCost:
        cost = analyze_proto(model, label, dims=dims_for(seq, past), empty_dims=(PAST, PAST_LOCAL))
        return sliding_window_prefill(expand_layers(cost, spec, reps), spec, seq)

    def run(cost, seq: int) -> _Pass:
        ar_bytes = 2 * spec.layers * B * seq * spec.hidden * act_bytes
        return _evaluate(cost, profile, B, D, ar_bytes, link, pue, grid, options)

    if window and P > window:
        n_sliding = sum(a == "sliding" for a, _ in spec.layer_kinds)
        notes.append(f"prefill: the {n_sliding} sliding-window layers attend to at most {window} positions per "
                     f"query (their attention work scaled by {window}/{P})")
    prefill_model, _ = graph(B * P)
    pre = run(analyze(prefill_model, P, 0), P)
    prefill = _phase("prefill", 1, _as_tuple(pre), [0], {0: pre})
    passes: list[tuple[Any, float]] = [(pre.result, 1.0)]
    decode = None
    touched = None
    last = None
    if M > 1:
        decode_model, touched = graph(B)
        costs = _DecodeCosts(lambda past: analyze(decode_model, 1, past), P, P + M - 2)

        def step(past: int) -> tuple[float, ...]:
            samples[past] = run(costs.cost(past), 1)
            return _as_tuple(samples[past])

        kinks = (window - 1,) if window else ()
        total, xs = integrate_steps(P, P + M - 2, step, decode_points, kinks)
        decode = _phase("decode", M - 1, total, xs, samples)
        last = samples[xs[-1]].result
        passes += [(samples[x].result, wt) for x, wt in zip(xs, step_weights(P, P + M - 2, xs))]
    total_p, active_p = spec.params()
    return GenerationResult(
        model=spec.name, source_kind="config", workload=w, hardware=profile, hardware_requested=profile.id,
        prefill=prefill, decode=decode, memory=memory, params_total=total_p, params_active=active_p, pue=pue,
        grid=grid, requests=None, volume_basis=None, accelerator_power_w=_power(pre.result),
        experts_touched_decode=float(touched) if touched is not None else None,
        notes=tuple(notes + _phase_notes(w)), warnings=tuple(warnings + list(pre.result.warnings)), spec=spec,
        prefill_detail=pre.result, decode_detail=last, passes=tuple(passes),
    )


def sliding_window_prefill(cost: ModelCost, spec: DecoderSpec, seq: int) -> ModelCost:
    """A pass of ``seq`` positions through sliding-window layers: each query attends to at most ``window``
    positions (the kernel skips the blocks outside the window), so the work of those layers' fused attention,
    all of it proportional to the keys a query sees, scales by ``window / seq``. Its DRAM bytes do not change
    (each key and value is still read once). Decode needs nothing: its sliding-layer cache is capped already."""
    from dataclasses import replace

    w = spec.sliding_window
    if not w or seq <= w:
        return cost
    sliding = {f"model.layers.{i}.self_attn.attention" for i, (a, _) in enumerate(spec.layer_kinds) if a == "sliding"}
    note = f"sliding window: {w} of {seq} positions per query"
    return replace(cost, nodes=tuple(
        replace(n, macs=n.macs * w // seq, elementwise_ops=n.elementwise_ops * w // seq,
                reduction_ops=n.reduction_ops * w // seq, transcendental_ops=n.transcendental_ops * w // seq,
                note=f"{n.note}; {note}" if n.note else note)
        if n.name in sliding else n for n in cost.nodes))


def representative_layers(spec: DecoderSpec) -> tuple[int, ...]:
    """The first layer of each distinct kind (attention full/sliding x MLP dense/MoE): identical layers are
    analysed once and replicated (:func:`expand_layers`)."""
    seen: dict[tuple[str, str], int] = {}
    for i, kind in enumerate(spec.layer_kinds):
        seen.setdefault(kind, i)
    return tuple(sorted(seen.values()))


def expand_layers(cost: ModelCost, spec: DecoderSpec, reps: tuple[int, ...]) -> ModelCost:
    """The counts of the whole decoder from a graph holding only the representative layers ``reps``.

    Every layer ``i`` is a copy of the representative of its kind, its node and tensor names renamed
    to ``model.layers.{i}.`` (and ``past_key.{i}``), its input the previous layer's output: the same
    nodes, counts and graph edges as the full graph.
    """
    from dataclasses import replace

    if len(reps) == spec.layers:
        return cost
    groups: dict[int, list[NodeCost]] = {r: [] for r in reps}
    pre: list[NodeCost] = []
    post: list[NodeCost] = []
    for n in cost.nodes:
        k = _layer_index(n.name)
        if k is None:
            (post if any(groups.values()) else pre).append(n)
        else:
            groups[k].append(n)
    stream_in = {r: groups[r][0].activation_inputs[0] for r in reps}
    stream_out = {r: groups[r][-1].outputs[0] for r in reps}
    rep_of = {spec.layer_kinds[r]: r for r in reps}
    nodes = list(pre)
    prev = stream_in[reps[0]]
    for i, kind in enumerate(spec.layer_kinds):
        r = rep_of[kind]
        if i == r and (i == 0 or prev == stream_in[r]):
            nodes.extend(groups[r])
            prev = stream_out[r]
            continue
        src, dst = f"model.layers.{r}.", f"model.layers.{i}."
        names = {stream_in[r]: prev, f"past_key.{r}": f"past_key.{i}", f"past_value.{r}": f"past_value.{i}"}

        def ren(t: str, names: dict[str, str] = names, src: str = src, dst: str = dst) -> str:
            return names.get(t) or (dst + t[len(src):] if t.startswith(src) else t)

        for n in groups[r]:
            nodes.append(replace(n, name=ren(n.name), activation_inputs=tuple(ren(t) for t in n.activation_inputs),
                                 outputs=tuple(ren(t) for t in n.outputs)))
        prev = ren(stream_out[r])
    last = stream_out[reps[-1]]
    for n in post:
        if last in n.activation_inputs and last != prev:
            n = replace(n, activation_inputs=tuple(prev if t == last else t for t in n.activation_inputs))
        nodes.append(n)
    return replace(cost, nodes=tuple(nodes))


def _layer_index(name: str) -> int | None:
    if not name.startswith("model.layers."):
        return None
    head = name[len("model.layers."):].split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _power(r: InferenceResult) -> float:
    return r.accelerator_energy_per_batch_j / r.time_per_batch_s if r.time_per_batch_s > 0 else 0.0


def _phase_notes(w: GenerationWorkload) -> list[str]:
    notes = ["prefill: the prompts of all concurrent requests in one pass; logits for the last position only"]
    if w.output_tokens > 1:
        notes.append(f"decode: {w.output_tokens - 1} steps (the first output token comes from prefill)")
    return notes


# ----------------------------------------------------------------------------- ONNX decoders


def last_position_logits(cost: ModelCost, logits: str | None, batch: int, seq: int) -> tuple[ModelCost, str | None]:
    """Prefill of an exported decoder that computes logits at every position: a serving engine samples the first
    output token from the last position only (vLLM gathers the last hidden state of each sequence before the LM
    head; TensorRT-LLM computes context logits only when asked, ``gather_context_logits``), so the LM head (the last weight GEMM before the ``logits`` output) and
    any elementwise ops after it (a Cast, a soft-cap) are costed for one position per sequence: MACs, ops and
    activation bytes read and written scaled by ``1/seq``, weights read once as before. Returns the cost and the
    LM head's name (``None`` when the graph already computes the last position only)."""
    from dataclasses import replace

    if logits is None or seq <= 1:
        return cost, None
    made = {t: i for i, n in enumerate(cost.nodes) for t in n.outputs}
    chain: list[int] = []
    t = logits
    while t in made:
        i = made[t]
        n = cost.nodes[i]
        chain.append(i)
        if n.macs:
            break
        if len(n.activation_inputs) != 1:
            return cost, None
        t = n.activation_inputs[0]
    else:
        return cost, None
    head = cost.nodes[chain[-1]]
    shape = head.output_shape or ()
    per_position = (len(shape) == 3 and shape[0] == batch and shape[1] == seq) or (
        len(shape) == 2 and shape[0] == batch * seq)
    if not head.weight_bytes or not per_position:
        return cost, None
    nodes = list(cost.nodes)
    for i in chain:
        n = nodes[i]
        act = tuple(b // seq for b in n.activation_bytes)
        out = tuple(b // seq for b in n.output_bytes)
        osh = n.output_shape
        if osh and len(osh) == 3 and osh[1] == seq:
            osh = (osh[0], 1, *osh[2:])
        elif osh and len(osh) == 2 and osh[0] == batch * seq:
            osh = (batch, *osh[1:])
        nodes[i] = replace(
            n, macs=n.macs // seq, elementwise_ops=n.elementwise_ops // seq, reduction_ops=n.reduction_ops // seq,
            transcendental_ops=n.transcendental_ops // seq,
            bytes_read=n.bytes_read - sum(n.activation_bytes) + sum(act),
            bytes_written=n.bytes_written - sum(n.output_bytes) + sum(out), activation_bytes=act, output_bytes=out,
            output_shape=osh, note=(n.note + "; " if n.note else "") + "last position only (prefill)")
    return replace(cost, nodes=tuple(nodes)), head.name

#: KV-cache input names of the exporters wattprint knows: (pattern, layer group, key/value group)
KV_PATTERNS = (
    re.compile(r"^past_key_values\.(\d+)\.(key|value)$"),  # transformers / optimum legacy
    re.compile(r"^past_key_values_(\d+)_(key|value)$"),
    re.compile(r"^past_(key|value)s?[._](\d+)$"),  # onnxruntime-genai style past_key.0 / past_value_0
    re.compile(r"^past\.(\d+)\.(key|value)$"),
    re.compile(r"^past_key_values\.(key|value)_cache\.(\d+)$"),
    re.compile(r"^past_key_values_(key|value)_cache_(\d+)$"),  # torch dynamo (DynamicCache flattened)
)
KV_LOOKED_FOR = "past_key_values.{i}.key/.value, past_key.{i}/past_value.{i}, past.{i}.key, past_key_values_{i}_key"


def _kv_inputs(model) -> tuple[list[Any], list[str]]:
    """(matched KV-cache inputs, rank-4 inputs named like a cache that match no known pattern)."""
    inits = {t.name for t in model.graph.initializer}
    matched, odd = [], []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        if any(p.match(vi.name) for p in KV_PATTERNS):
            matched.append(vi)
        elif len(vi.type.tensor_type.shape.dim) == 4 and any(w in vi.name.lower() for w in ("past", "cache")):
            odd.append(vi.name)  # shaped like a cache ([batch, heads, length, head_dim]), named like none we know
    return matched, odd


def _token_bytes(vi, precision: str | None, dims: Mapping[str, int] | None = None) -> int:
    """Bytes one token adds to this KV-cache input of one sequence ([batch, heads, length, head_dim])."""
    from wattprint.model.costs import PRECISION_BITS, dtype_bits

    dims = dims or {}
    shape = [d.dim_value if d.WhichOneof("value") == "dim_value" else dims.get(d.dim_param)
             for d in vi.type.tensor_type.shape.dim]
    elems = math.prod(x for i, x in enumerate(shape) if i not in (0, 2) and x)
    bits = PRECISION_BITS.get(precision or "", 0) or dtype_bits(vi.type.tensor_type.elem_type)
    return elems * bits // 8


#: ops that append the new keys/values to the cache (a serving engine writes the new entries in place)
_APPEND_OPS = frozenset({"Concat", "Attention", "GroupQueryAttention", "MultiHeadAttention"})


def _cache_in_place(cost: ModelCost, kv_names: set[str], past_bytes: Mapping[str, int]) -> ModelCost:
    """An exported graph copies the whole cache into its ``present`` outputs at every step (Concat of past
    and new, or the present outputs of an attention op). A serving engine appends the new token's
    entries in place: the write of the past entries is not counted (they are still read once)."""
    from dataclasses import replace

    nodes = list(cost.nodes)
    changed = False
    for i, n in enumerate(nodes):
        if n.op_type not in _APPEND_OPS or not n.counted:
            continue
        past = [t for t in n.activation_inputs if t in kv_names]
        if not past:
            continue
        # the past entries' bytes as this node reads them (exact), else from the input's declared shape
        read = dict(zip(n.activation_inputs, n.activation_bytes)) if len(n.activation_bytes) == len(
            n.activation_inputs) else {}
        sizes = {t: read.get(t, past_bytes.get(t, 0)) for t in past}
        copied = sum(sizes.values())
        note = (n.note + "; " if n.note else "") + "KV cache appended in place"
        if n.op_type == "Concat":  # past + new: the past stays where it is (read once, by the attention that
            # consumes the concatenation), only the new entries are written
            first = tuple(max(0, b - copied) for b in n.output_bytes[:1]) + tuple(n.output_bytes[1:])
            nodes[i] = replace(n, bytes_written=max(0, n.bytes_written - copied), output_bytes=first, note=note)
        elif len(n.outputs) > 1:  # attention with present outputs: the past is read once, not re-written
            out = list(n.output_bytes)
            for j, t in enumerate(past, start=1):  # present_key, present_value follow the past inputs' order
                if j < len(out):
                    out[j] = max(0, out[j] - sizes[t])
            nodes[i] = replace(n, bytes_written=max(0, n.bytes_written - copied), output_bytes=tuple(out), note=note)
        changed = True
    if not changed:
        return cost
    return replace(cost, nodes=tuple(nodes))


def _stored_weight_bytes(model, params: int, precision: str | None) -> float:
    """Bytes the decoder's learned parameters occupy in device memory: its ``params`` (tied copies counted once)
    at the mean width of its float initializers, or at ``precision``. (Not the bytes a pass reads: a prefill
    gathers only the embedding rows it looks up.)"""
    from wattprint.model.costs import PRECISION_BITS, dtype_bits

    if precision in PRECISION_BITS:
        return params * PRECISION_BITS[precision] / 8
    elems = bits = 0
    for t in model.graph.initializer:
        b = dtype_bits(t.data_type)
        if t.data_type in _FLOAT_TYPES and b:
            n = math.prod(t.dims)
            elems += n
            bits += n * b
    return params * (bits / elems if elems else 16) / 8


#: ONNX float element types (TensorProto FLOAT, FLOAT16, DOUBLE, BFLOAT16, the float8 kinds, FLOAT4E2M1)
_FLOAT_TYPES = frozenset({1, 10, 11, 16, 17, 18, 19, 20, 23})


def _fixed_dim(vi, axis: int) -> int | None:
    dims = vi.type.tensor_type.shape.dim
    if axis < len(dims) and dims[axis].WhichOneof("value") == "dim_value":
        return int(dims[axis].dim_value)
    return None


def _dim_name(vi, axis: int) -> str | None:
    dims = vi.type.tensor_type.shape.dim
    if axis < len(dims) and dims[axis].WhichOneof("value") == "dim_param":
        return dims[axis].dim_param
    return None


def _estimate_onnx(path: Path, profile, workload: GenerationWorkload, pue, grid, extra_dims: Mapping[str, int],
                   decode_points: int, options, strict_memory: bool = True) -> GenerationResult:
    from wattprint.model import analyze_proto, load_proto

    w = workload
    label = str(path)
    if w.devices > 1:
        raise WattprintError(
            f"{label}: --devices {w.devices} needs a config.json (an exported graph is one device's graph)",
            hint="pass the model's config.json, or --devices 1",
        )
    if w.kv_precision is not None and w.kv_precision != w.precision:
        raise WattprintError(
            f"{label}: a KV precision other than the graph's needs a config.json",
            hint="drop --kv-precision, or pass the model's config.json",
        )
    model, load_warnings = load_proto(path, label)
    kv, odd = _kv_inputs(model)
    names = [vi.name for vi in model.graph.input]
    ids = next((vi for vi in model.graph.input if vi.name in ("input_ids", "input_ids_0", "tokens")), None)
    if ids is None:
        raise WattprintError(f"{label}: no input_ids input: not a decoder graph",
                             hint=f"its inputs are: {', '.join(names[:6])}")
    P, M, B = w.prompt_tokens, w.output_tokens, w.concurrency
    if odd:  # a cache input the estimate would not grow (or, without any match, a decoder it cannot step)
        raise WattprintError(
            f"{label}: cache inputs {', '.join(odd[:3])} do not match a known KV-cache naming",
            hint=f"looked for {KV_LOOKED_FOR}",
        )
    if not kv and M > 1:
        raise WattprintError(
            f"{label}: no KV-cache inputs (looked for {KV_LOOKED_FOR}): its decode steps cannot be costed",
            hint="pass --output-tokens 1 to estimate the prefill (first token) alone, or export the decoder with "
                 "its past key/value inputs",
        )
    batch_dim, seq_dim = _dim_name(ids, 0), _dim_name(ids, 1)
    seqs = {P, 1} if kv and M > 1 else {P}
    for vi, axis, flag, wanted in ((ids, 0, "--concurrency", {B}), (ids, 1, "--prompt-tokens", seqs),
                                   *((vi, 0, "--concurrency", {B}) for vi in kv)):
        fixed = _fixed_dim(vi, axis)
        if fixed is not None and wanted != {fixed}:
            raise WattprintError(
                f"{label}: input '{vi.name}' has a fixed size {fixed} on axis {axis}, which {flag} cannot set "
                f"(the workload needs {' and '.join(str(x) for x in sorted(wanted))})",
                hint="re-export the decoder with dynamic batch and sequence axes",
            )
    if kv:
        past_dim = _dim_name(kv[0], 2)
        if past_dim is None:
            raise WattprintError(f"{label}: KV input '{kv[0].name}' has no symbolic length (axis 2)",
                                 hint="re-export with a dynamic past_sequence_length")
    else:
        past_dim = None
    # other dims named like a total length are bound to past + sequence
    total_like = set()
    for vi in model.graph.input:
        if vi in kv or vi is ids:
            continue
        for d in vi.type.tensor_type.shape.dim:
            if d.WhichOneof("value") == "dim_param" and "total" in d.dim_param.lower():
                total_like.add(d.dim_param)

    # a --dim that names a dim the workload sets must agree with it (two bindings of one dim)
    workload_dims = {batch_dim: ("--concurrency", {B}), seq_dim: ("--prompt-tokens", seqs),
                     past_dim: ("--prompt-tokens and --output-tokens", None),
                     **{t: ("--prompt-tokens and --output-tokens", None) for t in total_like}}
    for name, value in extra_dims.items():
        if name in workload_dims:
            flag, allowed = workload_dims[name]
            if allowed != {value}:
                raise WattprintError(f"{label}: --dim {name}={value} conflicts with the workload: {flag} set {name}",
                                     hint=f"drop --dim {name}")

    def dims_for(seq: int, past: int) -> dict[str, int]:
        d = dict(extra_dims)
        for name, value in ((batch_dim, B), (seq_dim, seq)):
            if name:
                d[name] = value
        if past_dim:
            d[past_dim] = past
        for name in total_like:
            d.setdefault(name, past + seq)
        return d

    warnings = list(load_warnings)

    kv_names = {vi.name for vi in kv}
    kv_token_bytes = {vi.name: _token_bytes(vi, w.precision, extra_dims) for vi in kv}

    def analyze(seq: int, past: int) -> ModelCost:
        cost = analyze_proto(model, label, dims=dims_for(seq, past), precision=w.precision, warnings=list(warnings),
                             empty_dims=(past_dim,) if past_dim else ())
        return _cache_in_place(cost, kv_names, {k: v * B * past for k, v in kv_token_bytes.items()})

    def run(cost) -> _Pass:
        return _evaluate(cost, profile, B, 1, 0.0, None, pue, grid, options)

    logits = next((o.name for o in model.graph.output if o.name == "logits"), model.graph.output[0].name
                  if model.graph.output else None)
    pre_cost, head = last_position_logits(analyze(P, 0), logits, B, P)
    pre = run(pre_cost)
    notes = _phase_notes(w)
    if head is not None:
        notes.append(f"the graph computes logits at all {P} prompt positions; wattprint costs its LM head ({head}) "
                     f"for the last position of each sequence only, as a serving engine runs it")
    decode = None
    last = None
    onnx_passes: list[tuple[Any, float]] = []
    if not kv:
        notes.insert(0, "prefill only: the graph has no KV-cache inputs, so decode steps cannot be costed")
    elif M > 1:
        samples: dict[int, _Pass] = {}
        costs = _DecodeCosts(lambda past: analyze(1, past), P, P + M - 2)

        def step(past: int) -> tuple[float, ...]:
            samples[past] = run(costs.cost(past))
            return _as_tuple(samples[past])

        total, xs = integrate_steps(P, P + M - 2, step, decode_points)
        decode = _phase("decode", M - 1, total, xs, samples)
        last = samples[xs[-1]].result
        onnx_passes = [(samples[x].result, wt) for x, wt in zip(xs, step_weights(P, P + M - 2, xs))]
    cost = pre.result.model
    weights = _stored_weight_bytes(model, cost.params, w.precision)
    memory = None
    if kv:
        per_token = sum(kv_token_bytes.values())
        memory = check_memory(label, profile, weights, lambda d: per_token * (P + M), w, lambda d: d == 1,
                              warnings, strict_memory)
    return GenerationResult(
        model=label, source_kind="onnx", workload=w, hardware=profile, hardware_requested=profile.id, prefill=_phase(
            "prefill", 1, _as_tuple(pre), [0], {0: pre}), decode=decode, memory=memory, params_total=cost.params,
        params_active=cost.params, pue=pue, grid=grid, requests=None, volume_basis=None,
        accelerator_power_w=_power(pre.result), notes=tuple(notes),
        warnings=tuple(dict.fromkeys(list(cost.warnings) + list(pre.result.warnings) + warnings)),
        prefill_detail=pre.result, passes=((pre.result, 1.0), *onnx_passes),
        decode_detail=last,
    )


def prompt_sensitivity(source: str | Path | DecoderSpec, profile: HardwareProfile, workload: GenerationWorkload,
                       prompts: tuple[int, ...], **kwargs: Any) -> list[tuple[int, GenerationResult]]:
    """The same workload at several prompt lengths (for measurements that do not publish theirs):
    ``[(prompt_tokens, result), ...]``; ``kwargs`` as for :func:`estimate_generation`."""
    from dataclasses import replace

    return [(p, estimate_generation(source, profile, replace(workload, prompt_tokens=p), **kwargs)) for p in prompts]


# ----------------------------------------------------------------------------- from the infer options


def is_generation_source(model: str | Path) -> bool:
    """A config.json (or a folder holding one), or the name of a shipped config when no such file exists."""
    p = Path(model)
    if p.suffix.lower() == ".json" or (p.is_dir() and (p / "config.json").is_file()):
        return True
    if not p.exists():
        from wattprint.llm_config import find_shipped

        return find_shipped(str(model)) is not None
    return False


def generation_from_options(model: str | Path, options: Any, workload: GenerationWorkload,
                            hardware: Any = None) -> GenerationResult:
    """``wattprint infer`` with a generation workload: loaders (hardware, grid, PUE, volume) + the core."""
    from wattprint.carbon import choose_grid, choose_pue
    from wattprint.estimate import PRECISION_CHOICES
    from wattprint.hardware import load_hardware
    from wattprint.inference import serving_volume

    for name, value in (("--precision", workload.precision), ("--kv-precision", workload.kv_precision)):
        if value is not None and value not in PRECISION_CHOICES:
            raise WattprintError(f"{name} {value!r} is not one of {', '.join(PRECISION_CHOICES)}")
    workload.check()
    db = hardware or load_hardware()
    profile = db.get(options.hardware)
    requests, basis = serving_volume(options.inferences, options.rate, options.days)
    if basis is not None:
        basis = basis.replace("inferences", "requests")
    grid = choose_grid(region=options.region, intensity=options.intensity, grid_file=options.grid_file)
    pue = choose_pue(options.pue, options.provider or grid.provider)
    extra: dict[str, Any] = {"system": getattr(options, "system", None)}
    if getattr(options, "power_limit_w", None) is not None:
        extra["power_limit_w"] = options.power_limit_w
    result = estimate_generation(model, profile, workload, pue=pue, grid=grid, requests=requests, volume_basis=basis,
                                 hardware_requested=options.hardware, dims=dict(options.dims), units=options.units,
                                 **extra)
    return result

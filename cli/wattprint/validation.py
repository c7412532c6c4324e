"""Validation of the inference energy model against published measurements (``wattprint validate``).

Every point of the measured set (``wattprint/data/measured/``) is reproduced: the benchmark's reference
graph (:mod:`wattprint.refgraphs`) or language model (:mod:`wattprint.generation`) on the point's hardware
profile, system profile, precision, batch and power limit, at the point's boundary (the accelerator, or the
node at the wall). The report gives estimate / measured per point with the shipped coefficients (the
in-sample figure: they were fitted on these points) and with leave-one-family-out cross-validation
(refit without the point's hardware family, which is then predicted with the pooled coefficients), and
summaries overall, per hardware family and per model family.

Pure core: returns frozen dataclasses, prints nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from wattprint.vocab import PRECISIONS

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.energy.device import Coefficients
    from wattprint.energy.fit import FitPoint, FitResult

#: per-accelerator batch assumed where the submission does not publish one (docs/validation.md)
DEFAULT_BATCH = {"offline": 64, "server": 16, "singlestream": 1}
#: which model family a benchmark belongs to, for the per-family summaries
MODEL_FAMILY = {
    "resnet50": "cnn", "retinanet": "cnn", "3d-unet": "cnn", "bert-large": "transformer", "rnnt": "rnn",
    "qwen3-8b": "llm-dense", "qwen3-32b": "llm-dense", "qwen3-30b-a3b": "llm-moe", "gpt-oss-20b": "llm-moe",
    "gpt-oss-120b": "llm-moe",
}
#: shipped LLM config of each ML.ENERGY benchmark
LLM_CONFIG = {"qwen3-8b": "qwen3-8b", "qwen3-32b": "qwen3-32b", "qwen3-30b-a3b": "qwen3-30b-a3b-instruct-2507",
              "gpt-oss-20b": "gpt-oss-20b", "gpt-oss-120b": "gpt-oss-120b"}
#: prompt tokens per request assumed for the ML.ENERGY rows, which publish output lengths but not prompt
#: lengths (their prompts come from LMArena conversations and GPQA questions); docs/validation.md shows how
#: the result moves with it
LLM_PROMPT_TOKENS = 512
THRESHOLDS = (1.25, 1.5, 2.0)
#: BERT submissions built on NVIDIA's TensorRT code skip padding (code/bert/tensorrt/bert_var_seqlen.py in the
#: results repositories): a SQuAD v1.1 sample at max length 384 holds 46% real tokens, as padding is 54% of
#: the input tokens (Zeng et al., "Boosting Distributed Training Performance of the Unpadded BERT Model",
#: OpenReview 3nzKUh9a4M, 2022)
BERT_EFFECTIVE_SEQ = round(0.46 * 384)


@dataclass(frozen=True)
class Summary:
    group: str
    points: int
    geomean: float  # of estimate / measured
    within: tuple[float, ...]  # share of points within each of THRESHOLDS
    cv_geomean: float | None
    cv_within: tuple[float, ...] | None


@dataclass(frozen=True)
class ValidationRow:
    id: str
    benchmark: str
    model_family: str
    hardware: str
    hardware_family: str
    devices: int
    scenario: str
    batch: int | None
    precision: str
    boundary: str  # "accelerator" | "node"
    unit: str
    measured_j: float
    estimated_j: float | None  # None: an excluded point the model cannot reproduce
    cv_estimated_j: float | None
    source: str
    excluded: str | None = None  # the written reason a point is left out of the summaries

    @property
    def ratio(self) -> float | None:
        return None if self.estimated_j is None else self.estimated_j / self.measured_j

    @property
    def cv_ratio(self) -> float | None:
        return None if self.cv_estimated_j is None else self.cv_estimated_j / self.measured_j


@dataclass(frozen=True)
class ValidationReport:
    rows: tuple[ValidationRow, ...]
    overall: Summary
    by_hardware_family: tuple[Summary, ...]
    by_model_family: tuple[Summary, ...]
    coefficients: Coefficients
    method: str
    notes: tuple[str, ...] = ()


def _within(ratios: Sequence[float]) -> tuple[float, ...]:
    return tuple(sum(1 for r in ratios if 1 / t <= r <= t) / len(ratios) for t in THRESHOLDS)


def geomean(ratios: Sequence[float]) -> float:
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def summarise(group: str, rows: Sequence[ValidationRow]) -> Summary:
    ratios = [r.ratio for r in rows if r.ratio is not None]
    cv = [r.cv_ratio for r in rows if r.cv_ratio is not None]
    return Summary(
        group=group,
        points=len(rows),
        geomean=geomean(ratios),
        within=_within(ratios),
        cv_geomean=geomean(cv) if cv else None,
        cv_within=_within(cv) if cv else None,
    )


# ----------------------------------------------------------------------------------------------------
# building the points
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """The product path's figures for one measured point, per unit (sample, query or output token)."""

    energy_j: float  # at the point's boundary
    time_s: float  # per unit, per device (or tensor-parallel group)


@dataclass(frozen=True)
class Case:
    """One measured point made reproducible: how to build its fit point and its product-path estimate."""

    point: Any  # wattprint.measured.MeasuredPoint
    fit_point: Callable[[], FitPoint]
    estimate: Callable[[Coefficients], Estimate]
    model_family: str
    hardware_family: str
    batch: int | None


@cache
def _graph_cost(benchmark: str, batch: int, precision: str):
    from wattprint.model import analyze_proto
    from wattprint.refgraphs import build
    from wattprint.refgraphs.bert import build_bert_large

    if benchmark == "bert-large":
        model = build_bert_large(batch, seq=BERT_EFFECTIVE_SEQ)
    else:
        model = build(benchmark, batch)
    return analyze_proto(model, f"refgraph:{benchmark}", precision=precision)


def _runs_per_sample(benchmark: str) -> float:
    from wattprint.refgraphs import REFERENCE_GRAPHS

    runs = REFERENCE_GRAPHS[benchmark].runs_per_sample
    if runs is None:
        raise ValueError(f"reference graph {benchmark} has no runs_per_sample")
    return float(runs)


def _features(result: Any) -> Any:
    """The fit's view of one costed pass (:class:`wattprint.inference.InferenceResult`): its kernels' work."""
    from wattprint.energy.fit import pass_features

    return pass_features(result.model.nodes, [kt.kernel for kt in result.pass_energy.kernels], result.device)


def _memo(run: Callable[[Coefficients], Any]) -> Callable[[Coefficients], Any]:
    """``run`` once per coefficient set (the fit's features use the shipped set, as does the estimate)."""
    memo: dict[int, tuple[Any, Any]] = {}

    def get(co: Coefficients) -> Any:
        if id(co) not in memo:
            memo[id(co)] = (co, run(co))  # (co kept alive so its id stays unique)
        return memo[id(co)][1]

    return get


def _mlperf_case(p: Any, hardware: Any, systems: Any) -> Case:
    from wattprint.carbon import choose_grid, choose_pue
    from wattprint.energy.device import default_coefficients
    from wattprint.energy.fit import FitPoint
    from wattprint.energy.node import system_node
    from wattprint.inference import estimate_inference

    profile = hardware.get(p.hardware)
    system = systems.get(p.system)
    scenario = p.scenario
    batch = int(p.batch) if p.batch else DEFAULT_BATCH[scenario]
    precision = p.precision if p.precision in PRECISIONS else "fp16"
    n_node = int(p.accelerator_count)
    measured_time = None
    if p.throughput:
        # Offline/Server: samples/s of the node; SingleStream: queries/s of one device
        measured_time = n_node / float(p.throughput) if scenario != "singlestream" else 1 / float(p.throughput)

    @_memo
    def result(co: Coefficients) -> Any:
        node, _ = system_node(system, co)
        return estimate_inference(_graph_cost(p.benchmark, batch, precision), profile, batch=batch,
                                  pue=choose_pue(1.0), grid=choose_grid(intensity=0.0), power_limit_w=p.power_limit_w,
                                  node=_with_accelerators(node, n_node), coefficients=co)

    def fit_point() -> FitPoint:
        r = result(default_coefficients())
        return FitPoint(
            id=p.id,
            family=profile.architecture or "other",
            passes=((_features(r), _runs_per_sample(p.benchmark)),),
            units=batch,
            devices=1,
            tdp_w=r.device.tdp_w,
            idle_w=profile.idle_w,
            power_limit_w=p.power_limit_w,
            boundary="node",
            measured_j=float(p.energy_j),
            measured_time_s=measured_time,
            measured_power_w=float(p.avg_power_w) if p.avg_power_w else None,
            node_accelerators=n_node,
            cpu_tdp_w=system.host_cpu_tdp_w or 0.0,
            memory_gb=system.host_memory_gb or 0.0,
            other_w=system.other_w or 0.0,
            psu_efficiency=system.psu_efficiency or 0.94,
        )

    def estimate(co: Coefficients) -> Estimate:
        r = result(co)
        runs = _runs_per_sample(p.benchmark)
        return Estimate(r.system_energy_per_inference_j * runs, r.time_per_inference_s * runs)

    return Case(p, fit_point, estimate, MODEL_FAMILY.get(p.benchmark, "other"), profile.architecture or "other", batch)


_RUNNING = re.compile(r"avg_batch_size\(steady state\)=([0-9.]+)")


def measured_batch(notes: str | None) -> int | None:
    """The steady-state batch an ML.ENERGY row publishes (``avg_batch_size(steady state)=X`` in its notes: the mean
    number of sequences the engine ran at once), rounded; None when the row has none."""
    m = _RUNNING.search(notes or "")
    return max(1, round(float(m.group(1)))) if m else None


def _llm_case(p: Any, hardware: Any, prompt_tokens: int = LLM_PROMPT_TOKENS) -> Case:
    """An ML.ENERGY row: serving at `concurrency` sequences, energy per output token at the GPUs."""
    from wattprint.carbon import choose_grid, choose_pue
    from wattprint.energy.device import default_coefficients
    from wattprint.energy.fit import FitPoint
    from wattprint.generation import GenerationWorkload, estimate_generation, max_concurrency
    from wattprint.llm_config import load_config

    profile = hardware.get(p.hardware)
    spec = load_config(LLM_CONFIG[p.benchmark])
    devices = int(p.accelerator_count)
    output = max(1, round(float(p.output_len)))
    wanted = GenerationWorkload(prompt_tokens=prompt_tokens, output_tokens=output, concurrency=int(p.concurrency),
                                devices=devices)
    running = measured_batch(p.notes)
    if running is not None:
        # the sequences the server actually ran at once (its published steady-state batch): vLLM's paged cache
        # holds each sequence at its current length, not at its final one, so more run than a full-length
        # memory check admits
        workload = replace(wanted, concurrency=running)
    else:  # the server runs as many sequences as fit at full length; more clients wait (vLLM's scheduler)
        workload = replace(wanted, concurrency=min(wanted.concurrency, max_concurrency(spec, profile, wanted)))

    @_memo
    def result(co: Coefficients) -> Any:
        return estimate_generation(spec, profile, workload, pue=choose_pue(1.0), grid=choose_grid(intensity=0.0),
                                   coefficients=co, strict_memory=running is None)

    def fit_point() -> FitPoint:
        r = result(default_coefficients())
        return FitPoint(
            id=p.id,
            family=profile.architecture or "other",
            passes=tuple((_features(inf), weight) for inf, weight in r.passes),
            units=float(r.output_tokens_total),
            devices=devices,
            tdp_w=r.passes[0][0].device.tdp_w,
            idle_w=profile.idle_w,
            power_limit_w=p.power_limit_w,
            boundary="accelerator",
            measured_j=float(p.energy_j),
            measured_time_s=1 / float(p.throughput),
            measured_power_w=float(p.avg_power_w),
        )

    def estimate(co: Coefficients) -> Estimate:
        r = result(co)
        return Estimate(r.accelerator_energy_per_output_token_j, 1 / r.output_tokens_per_s)

    return Case(p, fit_point, estimate, MODEL_FAMILY[p.benchmark], profile.architecture or "other",
                workload.concurrency)


def _with_accelerators(node: Any, n: int) -> Any:
    from dataclasses import replace

    return replace(node, accelerators=max(1, n))


def build_cases(points: Iterable[Any] | None = None) -> list[Case]:
    from wattprint.hardware import load_hardware
    from wattprint.measured import load_measured
    from wattprint.systems import load_systems

    hardware = load_hardware(use_user_dir=False)
    systems = load_systems()
    cases = []
    for p in points if points is not None else load_measured():
        if p.source_kind == "mlperf":
            cases.append(_mlperf_case(p, hardware, systems))
        else:
            cases.append(_llm_case(p, hardware))
    return cases


# ----------------------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------------------


def fit_cases(cases: Sequence[Case], cross_validate: bool = True, basis: str = "", data_version: str = "") -> FitResult:
    from wattprint.energy.fit import fit

    used = [c.fit_point() for c in cases if not c.point.exclude]
    return fit(used, basis=basis, data_version=data_version, cross_validate=cross_validate)


def validate(cases: Sequence[Case] | None = None, coefficients: Coefficients | None = None,
             cross_validate: bool = True) -> ValidationReport:
    from wattprint.energy.device import default_coefficients
    from wattprint.errors import WattprintError

    cases = build_cases() if cases is None else list(cases)
    co = coefficients or default_coefficients()
    cv: dict[str, float] = {}
    if cross_validate:
        result = fit_cases(cases, cross_validate=True)
        cv = result.cross_validated
    rows = []
    for c in cases:
        p = c.point
        try:
            est: float | None = c.estimate(co).energy_j
        except (WattprintError, ValueError):
            if not p.exclude:
                raise
            est = None  # an excluded point the model cannot reproduce (the reason says why)
        cv_ratio = cv.get(p.id)
        rows.append(ValidationRow(
            id=p.id,
            benchmark=p.benchmark,
            model_family=c.model_family,
            hardware=p.hardware,
            hardware_family=c.hardware_family,
            devices=int(p.accelerator_count),
            scenario=p.scenario,
            batch=c.batch,
            precision=p.precision,
            boundary="node" if p.boundary.startswith("node") else "accelerator",
            unit=p.unit,
            measured_j=float(p.energy_j),
            estimated_j=est,
            cv_estimated_j=None if cv_ratio is None else cv_ratio * float(p.energy_j),
            source=p.provenance,
            excluded=p.exclude or None,
        ))
    kept = [r for r in rows if not r.excluded]
    hw = sorted({r.hardware_family for r in kept})
    mf = sorted({r.model_family for r in kept})
    return ValidationReport(
        rows=tuple(rows),
        overall=summarise("all", kept),
        by_hardware_family=tuple(summarise(f, [r for r in kept if r.hardware_family == f]) for f in hw),
        by_model_family=tuple(summarise(f, [r for r in kept if r.model_family == f]) for f in mf),
        coefficients=co,
        method=(
            "estimate: the shipped coefficients (fitted on these points: in-sample); cross-validated: "
            "leave-one-hardware-family-out refit, the held-out family predicted with the pooled coefficients."
        ),
    )

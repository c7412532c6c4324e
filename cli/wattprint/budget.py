"""Carbon budgets: the pure core of ``wattprint check``.

A budget file (``wattprint.yaml`` or ``carbon-budget.yaml``) lists targets (an
ONNX model or a training spec) with assertions on their metrics::

    targets:
      - name: classifier
        model: models/classifier.onnx      # relative to this file
        hardware: t4
        region: de
        rate: 1e6/day
        days: 365
        assertions:
          - {metric: energy_per_inference, max: 2 mJ}
          - {metric: co2e, max: 150 kg, level: warn}
          - {metric: macs, max: 4.1G}
          - {metric: energy_per_inference, max_increase: 5%, floor: 0.1 mJ}
        message: Shrink the model or raise the budget in wattprint.yaml.

This module loads and validates the file (pydantic, extra fields forbidden,
errors naming file, line, field and fix), finds it, reads baselines, measures
targets and evaluates assertions. It never prints or exits: it returns frozen
dataclasses (:class:`CheckReport` -> :class:`TargetResult` ->
:class:`AssertionResult`) and raises :class:`~wattprint.errors.WattprintError`.

Base units: energies in joules, CO2e in grams, MACs and parameters as counts.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wattprint.errors import WattprintError
from wattprint.limits import pydantic_check, reject_bool
from wattprint.units import _scaled, fmt_count, fmt_energy_j, fmt_energy_kwh, fmt_number, parse_quantity
from wattprint.vocab import PRECISIONS, CheckStatus
from wattprint.yamlio import format_validation_error, key_line, load_yaml

BUDGET_FILE_NAMES = ("wattprint.yaml", "carbon-budget.yaml")
CONFIG_ENV = "WATTPRINT_CONFIG"
SCHEMA_ID = "https://wattprint.dev/schemas/budget.schema.json"
RESULT_SCHEMA = "https://wattprint.dev/schemas/check-result-1.json"

#: metric -> (dimension for parse_quantity or "count", base unit, which targets it applies to)
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "energy_per_inference": ("energy_j", "J", ("model",)),
    "co2e_per_inference": ("mass_g", "g", ("model",)),
    "energy": ("energy_j", "J", ("model", "spec")),
    "co2e": ("mass_g", "g", ("model", "spec")),
    "macs": ("count", "", ("model",)),
    "params": ("count", "", ("model",)),
    # SCI (ISO/IEC 21031:2024): gCO2e per inference (model) or per run (spec); see wattprint.sci
    "sci": ("mass_g", "g", ("model", "spec")),
}
MetricName = Literal["energy_per_inference", "co2e_per_inference", "energy", "co2e", "macs", "params", "sci"]
STATUSES = CheckStatus.values()
#: the assumptions a baseline must share with the current run to compare like with like
BASELINE_FIELDS = ("data_version", "hardware", "region")

_MODEL_ONLY = ("batch", "dims", "precision", "inferences", "rate", "days")
_SPEC_ONLY = ("count", "hours", "gpu_hours", "power", "utilization")

# ----------------------------------------------------------------------------- file schema (pydantic)

Limit = Union[str, int, float]


class AssertionModel(BaseModel):
    """One assertion: an absolute ``max`` or a relative ``max_increase`` over the baseline."""

    model_config = ConfigDict(
        extra="forbid",
        title="Assertion",
        json_schema_extra={"oneOf": [{"required": ["max"]}, {"required": ["max_increase"]}]},
    )

    metric: MetricName = Field(
        description="energy_per_inference (J), co2e_per_inference (g), energy (total at the volume or of the run), "
        "co2e (total), macs, params, sci (SCI, ISO/IEC 21031: gCO2e per inference for a model, per run for a spec)"
    )
    max: Optional[Limit] = Field(
        default=None,
        description="absolute limit with its unit: '2 mJ', '1.5 MWh' (energy), '150 g', '12 kg' (CO2e); "
        "macs/params are counts: 4100000000, '4.1G', '25.6M', '300k'. A bare number is an error except for counts.",
        examples=["2 mJ", "150 g", "12 kg", "1.5 MWh", "4.1G", "25.6M"],
    )
    max_increase: Optional[Limit] = Field(
        default=None,
        description="largest allowed increase over the baseline (--baseline FILE), as a percentage: '5%'",
        examples=["5%"],
    )
    floor: Optional[Limit] = Field(
        default=None,
        description="with max_increase: the smallest absolute increase that counts, in the metric's unit "
        "('0.1 mJ', '1 kg', '10M'); fail only if both the percentage and the floor are exceeded",
        examples=["0.1 mJ", "1 kg"],
    )
    level: Literal["error", "warn"] = Field(
        default="error", description="error fails the check; warn is reported and passes (unless --fail-on warn)"
    )

    @field_validator("max", "max_increase", "floor", mode="before")
    @classmethod
    def _not_bool(cls, value):  # YAML's true is not a limit of 1
        return reject_bool(value)


class TargetModel(BaseModel):
    """A model (ONNX) or a training run, the options of `wattprint infer` / `train`, and its assertions."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        title="Target",
        json_schema_extra={"oneOf": [{"required": ["model"]}, {"required": ["spec"]}]},
    )

    name: str = Field(min_length=1, description="unique name; baselines are matched by it")
    model: Optional[str] = Field(default=None, description="ONNX model path, relative to the budget file")
    spec: Optional[str] = Field(default=None, description="training run spec (YAML) path, relative to the budget file")
    hardware: Optional[str] = Field(default=None, description="hardware profile id or alias (default for models: h100-sxm)")
    region: Optional[str] = Field(default=None, description="grid region id (default: world)")
    intensity: Optional[float] = Field(default=None, ge=0, description="grid intensity, gCO2e/kWh (instead of region)")
    grid_file: Optional[str] = Field(default=None, description="grid intensity file, relative to the budget file")
    pue: Optional[float] = Field(default=None, ge=1, description="datacenter PUE")
    provider: Optional[str] = Field(default=None, description="cloud provider for the PUE default (aws, gcp, azure)")
    # models
    batch: Optional[int] = Field(default=None, ge=1, description="model only: batch size (binds the first input dim)")
    dims: Optional[Dict[str, int]] = Field(default=None, description="model only: symbolic dims, e.g. {sequence_length: 128}")
    precision: Optional[Literal[PRECISIONS]] = Field(default=None, description="model only")
    inferences: Optional[float] = Field(default=None, gt=0, description="model only: total inferences served")
    rate: Optional[str] = Field(default=None, description="model only: serving rate, e.g. 1e6/day, 200/s")
    days: Optional[float] = Field(default=None, gt=0, description="model only: days served at rate (default 365)")
    # training specs
    count: Optional[int] = Field(default=None, ge=1, description="spec only: number of accelerators")
    hours: Optional[float] = Field(default=None, gt=0, description="spec only: wall-clock hours")
    gpu_hours: Optional[float] = Field(default=None, gt=0, description="spec only: device-hours")
    power: Optional[float] = Field(default=None, gt=0, description="spec only: average draw per device, W")
    utilization: Optional[float] = Field(default=None, gt=0, le=1, description="spec only: fraction of TDP drawn")
    assertions: List[AssertionModel] = Field(min_length=1)
    message: Optional[str] = Field(default=None, description="what to do when an assertion fails (shown in reports)")

    @field_validator("intensity", "pue", "batch", "inferences", "days", "count", "hours", "gpu_hours", "power",
                     "utilization", mode="before")
    @classmethod
    def _not_bool(cls, value):  # YAML's true is not 1
        return reject_bool(value)

    @field_validator("intensity", "pue", "batch", "inferences", "days", "count", "hours", "gpu_hours", "power",
                     "utilization")
    @classmethod
    def _bounded(cls, value, info):  # plausible ranges: wattprint.limits, docs/limits.md
        name = {"intensity": "intensity_gco2e_per_kwh", "power": "power_w"}.get(info.field_name, info.field_name)
        return pydantic_check(name, value)


class BudgetModel(BaseModel):
    """A wattprint carbon budget (wattprint.yaml or carbon-budget.yaml)."""

    model_config = ConfigDict(extra="forbid", title="wattprint carbon budget")

    version: Literal[1] = Field(default=1, description="budget file format version")
    targets: List[TargetModel] = Field(min_length=1)


def budget_json_schema() -> dict[str, Any]:
    """The JSON Schema of budget files (committed as docs/schemas/budget.schema.json)."""
    schema = BudgetModel.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


# ----------------------------------------------------------------------------- the validated budget


@dataclass(frozen=True)
class Assertion:
    metric: str
    kind: str  # "max" | "max_increase"
    level: str  # "error" | "warn"
    value: float  # base unit for max, percent for max_increase
    floor: float | None  # base unit
    text: str  # the limit as written
    line: int | None


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "model" | "spec"
    path: Path  # absolute
    path_text: str  # as written in the budget file
    options: Mapping[str, Any]
    assertions: tuple[Assertion, ...]
    message: str | None
    line: int | None
    #: the line of each key the target sets (an error about a field points there)
    field_lines: Mapping[str, int] = dataclass_field(default_factory=dict)


#: budget target keys named differently from the estimate's fields (a spec's power_w is a target's power)
BUDGET_KEYS = {"power_w": "power", "intensity_gco2e_per_kwh": "intensity"}


def budget_key(field: str) -> str:
    """The budget file key that sets an estimate's input field."""
    return BUDGET_KEYS.get(field, field)


@dataclass(frozen=True)
class Budget:
    path: Path
    targets: tuple[Target, ...]

    @property
    def has_relative(self) -> bool:
        return any(a.kind == "max_increase" for t in self.targets for a in t.assertions)


def _where(path: Path, loc: tuple[Any, ...]) -> str:
    line = key_line(path, loc)
    return f"{path}:{line}" if line else str(path)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _fail(path: Path, loc: tuple[Any, ...], message: str, hint: str | None = None) -> WattprintError:
    return WattprintError(f"{_where(path, loc)}: field {_field(loc)!r}: {message}", hint=hint)


_COUNT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([-+]?\d+))?\s*([kKMGT]?)\s*$")
_COUNT_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
COUNT_HINT = "write a count: 4100000000, '4.1G', '25.6M' or '300k'"


def parse_count(value: Any, field_name: str) -> float:
    """MAC and parameter limits: plain integers or k/M/G/T suffixes ('4.1G' = 4.1e9)."""
    if isinstance(value, bool):
        raise WattprintError(f"{field_name}: {value!r} is not a count", hint=COUNT_HINT)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise WattprintError(f"{field_name}: {value!r} must be a finite, non-negative count")
        return float(value)
    match = _COUNT.match(str(value))
    if not match:
        raise WattprintError(f"{field_name}: cannot read {value!r} as a count", hint=COUNT_HINT)
    number = float(match.group(1)) * (10 ** int(match.group(2)) if match.group(2) else 1)
    return number * _COUNT_SCALE[match.group(3)]


def parse_percent(value: Any, field_name: str) -> float:
    """'5%' -> 5.0; a bare number is an error (write the % sign)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise WattprintError(f"{field_name}: bare number {value!r} is not a percentage", hint=f"write '{value}%'")
    match = _PERCENT.match(str(value))
    if not match:
        raise WattprintError(f"{field_name}: cannot read {value!r} as a percentage", hint="write e.g. '5%'")
    return float(match.group(1))


def parse_limit(value: Any, metric: str, field_name: str) -> float:
    """A limit in the metric's base unit: J, g CO2e or a count."""
    dim = METRICS[metric][0]
    if dim == "count":
        return parse_count(value, field_name)
    return parse_quantity(value, dim, field_name)


def _reword(path: Path, loc: tuple[Any, ...], exc: WattprintError) -> WattprintError:
    """A units/parse error ('FIELD: msg') re-anchored at the budget file's line."""
    msg = exc.message.split(": ", 1)[1] if ": " in exc.message else exc.message
    return _fail(path, loc, msg, exc.hint)


def budget_root(budget: Path) -> Path:
    """The repository a budget file belongs to: the nearest folder upward holding .git, else its own folder."""
    folder = budget.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def _confined(path: Path, loc: tuple[Any, ...], kind: str, text: str, target: Path, root: Path) -> None:
    """A path a budget file names must resolve inside its repository (a PR controls the file)."""
    try:
        target.relative_to(root)
    except ValueError:
        raise _fail(
            path, loc, f"{kind} path {text!r} resolves outside the repository {root} ({target})",
            hint="keep models, specs and grid files inside the repository, or pass --allow-outside-paths",
        ) from None


def load_budget(path: str | Path, allow_outside_paths: bool = False) -> Budget:
    """Read and validate a budget file; every problem is one WattprintError naming file, line, field and fix.

    Model, spec and grid-file paths (and the model / grid_file a spec names) must resolve inside
    the budget file's repository (:func:`budget_root`) unless ``allow_outside_paths``.
    """
    path = Path(path)
    data = load_yaml(path, "budget file")
    if data is None:
        raise WattprintError(f"{path}: the budget file is empty", hint="add 'targets:' (see docs/ci.md)")
    if not isinstance(data, dict):
        raise WattprintError(f"{path}: a budget file is a mapping with 'targets:'", hint="see docs/ci.md")
    try:
        model = BudgetModel.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(path, exc, model=BudgetModel) from None

    base = path.resolve().parent
    root = budget_root(path)
    targets: list[Target] = []
    seen: set[str] = set()
    for i, t in enumerate(model.targets):
        tloc: tuple[Any, ...] = ("targets", i)
        if t.name in seen:
            raise _fail(path, (*tloc, "name"), f"duplicate target name {t.name!r}", hint="give each target a unique name")
        seen.add(t.name)
        if (t.model is None) == (t.spec is None):
            what = "both 'model' and 'spec'" if t.model is not None else "neither 'model' nor 'spec'"
            loc = (*tloc, "spec") if t.model is not None else tloc
            raise WattprintError(
                f"{_where(path, loc)}: target {t.name!r} has {what}",
                hint="give exactly one: model: (an ONNX file) or spec: (a training spec)",
            )
        kind = "model" if t.model is not None else "spec"
        path_text = t.model if t.model is not None else t.spec
        target_path = (base / path_text).resolve()
        if not allow_outside_paths:
            _confined(path, (*tloc, kind), kind, path_text, target_path, root)
        if not target_path.is_file():
            raise _fail(
                path, (*tloc, kind), f"{kind} file {path_text!r} not found (looked for {target_path})",
                hint="paths are relative to the budget file's folder",
            )
        given = t.model_dump(exclude_none=True)
        wrong = _SPEC_ONLY if kind == "model" else _MODEL_ONLY
        for key in wrong:
            if key in given:
                raise _fail(
                    path, (*tloc, key), f"{key!r} applies to {'training specs' if kind == 'model' else 'models'}, "
                    f"not to a {kind} target", hint="remove it",
                )
        if sum(k in given for k in ("region", "intensity", "grid_file")) > 1:
            raise _fail(path, (*tloc, "region"), "give only one of region, intensity or grid_file")
        if "inferences" in given and "rate" in given:
            raise _fail(path, (*tloc, "rate"), "give inferences or rate (with days), not both")
        if "days" in given and "rate" not in given:
            raise _fail(path, (*tloc, "days"), "days needs rate", hint="e.g. rate: 1e6/day")
        options = {k: v for k, v in given.items() if k not in ("name", "model", "spec", "assertions", "message")}
        if "grid_file" in options:
            options["grid_file"] = str((base / options["grid_file"]).resolve())
            if not allow_outside_paths:
                _confined(path, (*tloc, "grid_file"), "grid_file", given["grid_file"], Path(options["grid_file"]), root)
        if kind == "spec" and not allow_outside_paths and target_path.is_file():
            _check_spec_paths(path, (*tloc, kind), target_path, root)
        has_volume = "inferences" in given or "rate" in given
        assertions = []
        for j, a in enumerate(t.assertions):
            aloc = (*tloc, "assertions", j)
            if kind not in METRICS[a.metric][2]:
                raise _fail(
                    path, (*aloc, "metric"), f"metric {a.metric!r} does not apply to a training spec",
                    hint="use energy or co2e for training runs",
                )
            if kind == "model" and a.metric in ("energy", "co2e") and not has_volume:
                raise _fail(
                    path, (*aloc, "metric"), f"metric {a.metric!r} is a total at the serving volume, "
                    f"but target {t.name!r} has no volume",
                    hint="add inferences: N, or rate: 1e6/day (with days:), to the target",
                )
            if (a.max is None) == (a.max_increase is None):
                raise WattprintError(
                    f"{_where(path, aloc)}: assertion on {a.metric!r} needs exactly one of 'max' or 'max_increase'",
                    hint="e.g. max: 2 mJ, or max_increase: 5%",
                )
            if a.floor is not None and a.max_increase is None:
                raise _fail(path, (*aloc, "floor"), "floor applies only with max_increase", hint="remove it")
            try:
                if a.max is not None:
                    loc = (*aloc, "max")
                    value, kind_a, text = parse_limit(a.max, a.metric, _field(loc)), "max", str(a.max)
                else:
                    loc = (*aloc, "max_increase")
                    value, kind_a, text = parse_percent(a.max_increase, _field(loc)), "max_increase", str(a.max_increase)
                floor = None
                if a.floor is not None:
                    loc = (*aloc, "floor")
                    floor = parse_limit(a.floor, a.metric, _field(loc))
            except WattprintError as exc:
                raise _reword(path, loc, exc) from None
            assertions.append(Assertion(a.metric, kind_a, a.level, value, floor, text, key_line(path, aloc)))
        lines = {key: key_line(path, (*tloc, key)) for key in given}
        targets.append(Target(t.name, kind, target_path, path_text, options, tuple(assertions), t.message,
                              key_line(path, tloc), {k: v for k, v in lines.items() if v}))
    return Budget(path, tuple(targets))


def _check_spec_paths(path: Path, loc: tuple[Any, ...], spec_path: Path, root: Path) -> None:
    """The model / grid_file a training spec names (relative to the spec) stay inside ``root`` too."""
    data = load_yaml(spec_path, "training spec")
    if not isinstance(data, dict):
        return  # the spec loader reports it
    for key in ("model", "grid_file"):
        value = data.get(key)
        if isinstance(value, str):
            target = (spec_path.parent / value).resolve()
            try:
                target.relative_to(root)
            except ValueError:
                raise _fail(
                    path, loc, f"spec {spec_path.name!r} names {key} {value!r}, outside the repository {root} "
                    f"({target})", hint="keep it inside the repository, or pass --allow-outside-paths",
                ) from None


# ----------------------------------------------------------------------------- discovery


def discover_budget(start: Path) -> Path | None:
    """The nearest budget file from ``start`` upward, stopping at the folder holding ``.git`` (or the root)."""
    folder = start.resolve()
    while True:
        found = [folder / n for n in BUDGET_FILE_NAMES if (folder / n).is_file()]
        if len(found) > 1:
            raise WattprintError(
                f"{folder}: both {BUDGET_FILE_NAMES[0]} and {BUDGET_FILE_NAMES[1]} found",
                hint="keep one, or pass --config PATH",
            )
        if found:
            return found[0]
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def find_budget(config: Path | None, cwd: Path, environ: Mapping[str, str]) -> Path:
    """--config, else $WATTPRINT_CONFIG, else discovery upward from ``cwd``."""
    if config is not None:
        chosen, how = Path(config), "--config"
    elif environ.get(CONFIG_ENV):
        chosen, how = Path(environ[CONFIG_ENV]), f"${CONFIG_ENV}"
    else:
        found = discover_budget(cwd)
        if found is None:
            raise WattprintError(
                f"no {' or '.join(BUDGET_FILE_NAMES)} found in {cwd} or its parents (up to the repository root)",
                hint="create one (see docs/ci.md), or pass --config PATH",
            )
        return found
    if not chosen.is_absolute():
        chosen = cwd / chosen
    if not chosen.exists():
        raise WattprintError(f"{chosen}: budget file not found (from {how})", hint="check the path")
    from wattprint.limits import check_file

    check_file(chosen, "budget file")  # a directory, device or FIFO is refused by kind
    return chosen


# ----------------------------------------------------------------------------- baselines


@dataclass(frozen=True)
class BaselineEntry:
    metrics: Mapping[str, float]
    assumptions: Mapping[str, Any]
    model: str | None = None


@dataclass(frozen=True)
class Baseline:
    path: Path
    kind: str  # "check" | "infer" | "train"
    targets: Mapping[str, BaselineEntry]
    single: BaselineEntry | None  # from a one-target command's --format json

    def entry_for(self, target: Target, only_target: bool) -> BaselineEntry | None:
        if self.single is not None:
            if only_target:
                return self.single
            if self.single.model and target.kind == "model" and Path(self.single.model).name == target.path.name:
                return self.single
            return None
        return self.targets.get(target.name)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def metrics_from_result_doc(doc: Mapping[str, Any]) -> dict[str, float]:
    """Base-unit metrics from an `infer` or `train` JSON result."""
    out: dict[str, float] = {}
    pairs = (("energy_per_inference_j", "energy_per_inference", 1.0), ("co2e_per_inference_g", "co2e_per_inference", 1.0),
             ("energy_kwh", "energy", 3.6e6), ("co2e_kg", "co2e", 1000.0), ("macs", "macs", 1.0), ("params", "params", 1.0))
    for key, metric, factor in pairs:
        value = _num(doc.get(key))
        if value is not None:
            out[metric] = value * factor
    return out


def _baseline_metric(path: Path, where: str, key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise WattprintError(
            f"{path}: {where}metric {key!r} is {value!r}; a baseline metric is a finite number >= 0",
            hint="rewrite it with 'wattprint check --write-baseline FILE'",
        )


def _check_baseline_schema(path: Path, doc: Any) -> None:
    """The parts of a baseline a check reads: kinds, target names, metrics (finite, >= 0)."""
    if not isinstance(doc, dict):
        return  # reported below as 'not a wattprint result'
    if doc.get("kind") == "check":
        targets = doc.get("targets")
        if not isinstance(targets, list):
            raise WattprintError(f"{path}: a check baseline needs a 'targets' list", hint="rewrite it with --write-baseline")
        for i, t in enumerate(targets):
            if not isinstance(t, dict):
                raise WattprintError(f"{path}: targets[{i}] is not an object", hint="rewrite it with --write-baseline")
            metrics = t.get("metrics", {})
            if not isinstance(metrics, dict):
                raise WattprintError(f"{path}: targets[{i}].metrics is not an object")
            for key, value in metrics.items():
                if value is not None:
                    _baseline_metric(path, f"targets[{i}] ", key, value)
            if "inputs" in t and not isinstance(t["inputs"], dict):
                raise WattprintError(f"{path}: targets[{i}].inputs is not an object")
    elif doc.get("kind") in ("infer", "train"):
        for key in ("energy_per_inference_j", "co2e_per_inference_g", "energy_kwh", "co2e_kg", "macs", "params"):
            if doc.get(key) is not None:
                _baseline_metric(path, "", key, doc[key])
        if "inputs" in doc and not isinstance(doc["inputs"], dict):
            raise WattprintError(f"{path}: 'inputs' is not an object")


def load_baseline(path: Path) -> Baseline | None:
    """A baseline JSON: `check --write-baseline` output, or any command's --format json. None when missing."""
    from wattprint.limits import check_file

    path = Path(path)
    if not path.exists():
        return None
    check_file(path, "baseline")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise WattprintError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}",
                             hint="write it with 'wattprint check --write-baseline FILE'") from None
    except RecursionError:
        raise WattprintError(f"{path}: baseline JSON nested too deeply", hint="rewrite it with --write-baseline") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WattprintError(f"{path}: cannot read the baseline ({exc})") from None
    _check_baseline_schema(path, doc)
    if not isinstance(doc, dict) or doc.get("kind") not in ("check", "infer", "train"):
        raise WattprintError(
            f"{path}: not a wattprint result (expected 'kind' check, infer or train)",
            hint="write it with 'wattprint check --write-baseline FILE' or a command's --format json",
        )
    top_version = doc.get("data_version")
    if doc["kind"] == "check":
        entries: dict[str, BaselineEntry] = {}
        for t in doc.get("targets") or []:
            if not isinstance(t, dict) or not isinstance(t.get("name"), str):
                raise WattprintError(f"{path}: a baseline target has no name", hint="rewrite it with --write-baseline")
            metrics = {k: float(v) for k, v in (t.get("metrics") or {}).items() if _num(v) is not None}
            inputs = dict(t.get("inputs") or {})
            inputs.setdefault("data_version", top_version)
            entries[t["name"]] = BaselineEntry(metrics, {k: inputs.get(k) for k in BASELINE_FIELDS}, t.get("model"))
        return Baseline(path, "check", entries, None)
    inputs = doc.get("inputs") or {}
    assumptions = {"data_version": top_version, "hardware": inputs.get("hardware"), "region": inputs.get("region")}
    model = doc.get("model") if isinstance(doc.get("model"), str) else None
    return Baseline(path, doc["kind"], {}, BaselineEntry(metrics_from_result_doc(doc), assumptions, model))


# ----------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Measured:
    metrics: Mapping[str, float]  # base units
    assumptions: Mapping[str, Any]  # data_version, hardware, region
    warnings: tuple[str, ...] = ()


def measure_target(target: Target, hw_files: tuple[Path, ...] = ()) -> Measured:
    """Estimate a target exactly as `wattprint infer` / `wattprint train` would."""
    from wattprint.datafiles import data_version

    o = target.options
    if target.kind == "model":
        from wattprint.estimate import DEFAULT_INFER_HARDWARE, InferOptions, infer_model
        from wattprint.hardware import load_hardware

        options = InferOptions(
            hardware=o.get("hardware", DEFAULT_INFER_HARDWARE), dims=dict(o.get("dims") or {}), batch=o.get("batch"),
            precision=o.get("precision"), region=o.get("region"), intensity=o.get("intensity"),
            grid_file=o.get("grid_file"), pue=o.get("pue"), provider=o.get("provider"),
            inferences=o.get("inferences"), rate=o.get("rate"), days=o.get("days"),
        )
        r = infer_model(target.path, options, load_hardware(tuple(hw_files)))
        metrics = {
            "energy_per_inference": r.energy_per_inference_j,
            "co2e_per_inference": r.co2e_per_inference_g,
            "macs": float(r.model.macs),
            "params": float(r.model.params),
        }
        if r.inferences is not None:
            metrics["energy"] = (r.energy_kwh or 0.0) * 3.6e6
            metrics["co2e"] = (r.co2e_kg or 0.0) * 1000.0
        warnings = tuple(r.model.warnings) + tuple(r.warnings)
        from wattprint.sci import infer_sci

        _add_sci(metrics, target, lambda: infer_sci(r, "inference"))
    else:
        from wattprint.estimate import train_run

        overrides = {
            "hardware": o.get("hardware"), "count": o.get("count"), "hours": o.get("hours"),
            "gpu_hours": o.get("gpu_hours"), "power_w": o.get("power"), "utilization": o.get("utilization"),
            "pue": o.get("pue"), "provider": o.get("provider"), "region": o.get("region"),
            "intensity_gco2e_per_kwh": o.get("intensity"), "grid_file": o.get("grid_file"),
        }
        r = train_run(target.path, overrides, tuple(hw_files))
        metrics = {"energy": r.energy_kwh * 3.6e6, "co2e": r.co2e_kg * 1000.0}
        warnings = tuple(r.assumptions)
        from wattprint.sci import train_sci

        _add_sci(metrics, target, lambda: train_sci(r, "run"))
    assumptions = {"data_version": data_version(), "hardware": r.hardware.id, "region": r.grid.label}
    return Measured(metrics, assumptions, warnings)


def _add_sci(metrics: dict[str, float], target: Target, score: Callable[[], Any]) -> None:
    """The SCI score when it is known; an assertion on it when it is not known is an input error."""
    s = score()
    if s.sci_g is not None:
        metrics["sci"] = s.sci_g
    elif any(a.metric == "sci" for a in target.assertions):
        raise WattprintError(f"metric 'sci' cannot be computed: {s.missing}",
                             hint="add an 'embodied:' figure to the hardware profile (--hw-file), or assert on co2e")


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AssertionResult:
    metric: str
    kind: str  # "max" | "max_increase"
    level: str  # "error" | "warn"
    unit: str  # base unit: "J", "g" or "" (count)
    actual: float | None
    limit: float | None  # absolute limit in the base unit (for max_increase: baseline x (1 + pct), when known)
    limit_text: str
    max_increase_pct: float | None
    floor: float | None
    baseline: float | None
    delta_pct: float | None
    status: CheckStatus
    message: str
    line: int | None


@dataclass(frozen=True)
class Mismatch:
    field: str
    baseline: Any
    current: Any


@dataclass(frozen=True)
class TargetResult:
    name: str
    kind: str  # "model" | "spec"
    path: str  # as written in the budget file
    status: CheckStatus  # pass | warn | fail (skipped assertions do not count)
    metrics: Mapping[str, float]
    assumptions: Mapping[str, Any]
    assertions: tuple[AssertionResult, ...]
    message: str | None
    line: int | None
    baseline_found: bool
    baseline_mismatch: tuple[Mismatch, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class CheckReport:
    budget_file: Path
    status: CheckStatus  # pass | warn | fail
    targets: tuple[TargetResult, ...]
    baseline_file: Path | None
    baseline_found: bool
    notices: tuple[str, ...]
    data_version: str | None = None

    def count(self, status: CheckStatus) -> int:
        return sum(a.status == status for t in self.targets for a in t.assertions)

    @property
    def failed(self) -> int:
        return self.count(CheckStatus.fail)

    @property
    def warnings(self) -> int:
        return self.count(CheckStatus.warn)

    @property
    def baseline_mismatch(self) -> bool:
        return any(t.baseline_mismatch for t in self.targets)


def fmt_metric(metric: str, value: float | None) -> str:
    """A base-unit value, human-scaled for its metric."""
    if value is None:
        return "-"
    if metric == "energy":
        return fmt_energy_kwh(value / 3.6e6)
    if metric == "energy_per_inference":
        return fmt_energy_j(value)
    if metric in ("co2e", "co2e_per_inference", "sci"):
        return _scaled(value, [(1e6, "t"), (1e3, "kg"), (1.0, "g"), (1e-3, "mg"), (1e-6, "µg"), (1e-9, "ng")])
    return fmt_count(value)


def fmt_delta(delta_pct: float | None) -> str:
    if delta_pct is None:
        return "-"
    if math.isinf(delta_pct):
        return "+inf%"
    return f"{'+' if delta_pct >= 0 else ''}{fmt_number(delta_pct, 3)}%"


def _delta_pct(actual: float, baseline: float) -> float:
    if baseline == 0:
        return 0.0 if actual == 0 else math.inf
    return (actual - baseline) / baseline * 100.0


def evaluate_assertion(a: Assertion, actual: float, baseline: float | None, baseline_note: str | None) -> AssertionResult:
    """Compare one measured value with its limit. Exceeded -> fail (level error) or warn (level warn)."""
    unit = METRICS[a.metric][1]
    delta = _delta_pct(actual, baseline) if baseline is not None else None
    over_status = CheckStatus.fail if a.level == "error" else CheckStatus.warn
    if a.kind == "max":
        over = actual > a.value
        msg = (f"{fmt_metric(a.metric, actual)} exceeds the limit {fmt_metric(a.metric, a.value)}" if over
               else f"{fmt_metric(a.metric, actual)} within {fmt_metric(a.metric, a.value)}")
        return AssertionResult(a.metric, a.kind, a.level, unit, actual, a.value, a.text, None, None, baseline, delta,
                               over_status if over else CheckStatus.passed, msg, a.line)
    if baseline is None:
        return AssertionResult(a.metric, a.kind, a.level, unit, actual, None, a.text, a.value, a.floor, None, None,
                               CheckStatus.skipped, f"skipped: {baseline_note or 'no baseline'}", a.line)
    assert delta is not None
    increase = actual - baseline
    over_pct = delta > a.value
    over_floor = a.floor is None or increase > a.floor
    over = over_pct and over_floor
    limit = baseline * (1 + a.value / 100.0)
    text = f"{fmt_delta(delta)} vs baseline {fmt_metric(a.metric, baseline)} (max +{fmt_number(a.value, 3)}%"
    text += f", floor {fmt_metric(a.metric, a.floor)})" if a.floor is not None else ")"
    if over_pct and not over_floor:
        text += f": increase {fmt_metric(a.metric, increase)} is within the floor"
    return AssertionResult(a.metric, a.kind, a.level, unit, actual, limit, a.text, a.value, a.floor, baseline, delta,
                           over_status if over else CheckStatus.passed, text, a.line)


def _status_of(statuses: list[CheckStatus]) -> CheckStatus:
    if CheckStatus.fail in statuses:
        return CheckStatus.fail
    return CheckStatus.warn if CheckStatus.warn in statuses else CheckStatus.passed


def run_check(
    budget: Budget,
    baseline: Baseline | None = None,
    *,
    baseline_path: Path | None = None,
    hw_files: tuple[Path, ...] = (),
    measure: Callable[[Target, tuple[Path, ...]], Measured] | None = None,
) -> CheckReport:
    """Measure every target and evaluate its assertions against limits and the baseline."""
    measure = measure or measure_target
    notices: list[str] = []
    if baseline is None and budget.has_relative:
        if baseline_path is not None:
            notices.append(f"baseline {baseline_path} not found: relative checks (max_increase) skipped")
            note = "baseline file not found"
        else:
            notices.append("no baseline given (--baseline FILE): relative checks (max_increase) skipped")
            note = "no baseline (--baseline FILE)"
    else:
        note = "no baseline (--baseline FILE)" if baseline is None else None
    results: list[TargetResult] = []
    data_version = None
    for target in budget.targets:
        try:
            measured = measure(target, hw_files)
        except WattprintError as exc:  # at the line of the key at fault (else the target's), named as the key
            line = target.field_lines.get(budget_key(exc.field)) if exc.field else None
            line = line or target.line
            where = f"{budget.path}:{line}" if line else str(budget.path)
            message, hint = exc.parts(budget_key)
            raise WattprintError(f"{where}: target {target.name!r}: {message}", hint=hint, field=exc.field,
                                 value=exc.value) from None
        data_version = data_version or measured.assumptions.get("data_version")
        entry = baseline.entry_for(target, len(budget.targets) == 1) if baseline is not None else None
        target_note = note
        if baseline is not None and entry is None:
            target_note = f"target not in baseline {baseline.path.name}"
            if any(a.kind == "max_increase" for a in target.assertions):
                notices.append(f"target {target.name!r} is not in baseline {baseline.path}: its relative checks are skipped")
        mismatch: tuple[Mismatch, ...] = ()
        if entry is not None:
            mismatch = tuple(
                Mismatch(k, entry.assumptions.get(k), measured.assumptions.get(k))
                for k in BASELINE_FIELDS
                if entry.assumptions.get(k) is not None and entry.assumptions.get(k) != measured.assumptions.get(k)
            )
            if mismatch:
                what = ", ".join(f"{m.field} {m.baseline} (baseline) vs {m.current} (now)" for m in mismatch)
                notices.append(f"baseline for target {target.name!r} was made with other assumptions: {what}; "
                               "deltas compare unlike estimates")
        assertion_results = []
        for a in target.assertions:
            base_value = entry.metrics.get(a.metric) if entry is not None else None
            this_note = target_note
            if entry is not None and base_value is None:
                this_note = f"baseline has no {a.metric}"
            assertion_results.append(evaluate_assertion(a, measured.metrics[a.metric], base_value, this_note))
        status = _status_of([r.status for r in assertion_results])
        results.append(TargetResult(
            target.name, target.kind, target.path_text, status, dict(measured.metrics), dict(measured.assumptions),
            tuple(assertion_results), target.message, target.line, entry is not None, mismatch, tuple(measured.warnings),
        ))
    return CheckReport(
        budget.path, _status_of([t.status for t in results]), tuple(results),
        baseline_path if baseline_path is not None else (baseline.path if baseline else None),
        baseline is not None, tuple(notices), data_version,
    )


def exit_code(report: CheckReport, fail_on: str = "error", report_only: bool = False) -> int:
    """0 when every error-level assertion holds (warnings too with fail_on='warn'); 1 otherwise."""
    if report_only:
        return 0
    if report.failed:
        return 1
    return 1 if fail_on == "warn" and report.warnings else 0


def fails_step(result: AssertionResult, fail_on: str = "error") -> bool:
    """Does this assertion count as a failure under --fail-on?"""
    return result.status is CheckStatus.fail or (fail_on == "warn" and result.status is CheckStatus.warn)


__all__ = [
    "BUDGET_FILE_NAMES", "CONFIG_ENV", "METRICS", "Assertion", "AssertionResult", "Baseline", "BaselineEntry", "Budget",
    "CheckReport", "Measured", "Mismatch", "Target", "TargetResult", "budget_json_schema", "discover_budget",
    "evaluate_assertion", "exit_code", "fails_step", "find_budget", "fmt_delta", "fmt_metric", "load_baseline",
    "load_budget", "measure_target", "metrics_from_result_doc", "parse_count", "parse_limit", "parse_percent",
    "run_check",
]

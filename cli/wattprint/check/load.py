"""Budget files and baselines: finding, reading and validating them into frozen dataclasses.

A budget file (``wattprint.yaml`` or ``carbon-budget.yaml``) lists targets (an ONNX model or a training
spec) with assertions on their metrics (docs/ci.md). :func:`load_budget` validates it against
:mod:`wattprint.check.schema` and the rules a schema cannot say (one of model or spec, paths confined to
the repository, metrics that apply to the target); every problem is one
:class:`~wattprint.errors.WattprintError` naming file, line, field and fix. :func:`load_baseline` reads a
baseline JSON (``check --write-baseline``, or a command's ``--format json``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wattprint.check.metrics import METRICS, parse_limit, parse_percent
from wattprint.check.schema import BudgetModel
from wattprint.errors import WattprintError
from wattprint.yamlio import format_validation_error, key_line, load_yaml

BUDGET_FILE_NAMES = ("wattprint.yaml", "carbon-budget.yaml")
CONFIG_ENV = "WATTPRINT_CONFIG"
#: where in the budget file: keys and list indices, e.g. ("targets", 0, "assertions", 1, "max")
Loc = tuple[str | int, ...]
#: the assumptions a baseline must share with the current run to compare like with like
BASELINE_FIELDS = ("data_version", "hardware", "region")

_MODEL_ONLY = ("batch", "dims", "precision", "inferences", "rate", "days")
_SPEC_ONLY = ("count", "hours", "gpu_hours", "power", "utilization")


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


def _where(path: Path, loc: Loc) -> str:
    line = key_line(path, loc)
    return f"{path}:{line}" if line else str(path)


def _field(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def _fail(path: Path, loc: Loc, message: str, hint: str | None = None) -> WattprintError:
    return WattprintError(f"{_where(path, loc)}: field {_field(loc)!r}: {message}", hint=hint)


def _reword(path: Path, loc: Loc, exc: WattprintError) -> WattprintError:
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


def _confined(path: Path, loc: Loc, kind: str, text: str, target: Path, root: Path) -> None:
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
        tloc: Loc = ("targets", i)
        if t.name in seen:
            raise _fail(path, (*tloc, "name"), f"duplicate target name {t.name!r}",
                        hint="give each target a unique name")
        seen.add(t.name)
        if t.model is not None and t.spec is None:
            kind, path_text = "model", t.model
        elif t.spec is not None and t.model is None:
            kind, path_text = "spec", t.spec
        else:
            what = "both 'model' and 'spec'" if t.model is not None else "neither 'model' nor 'spec'"
            loc = (*tloc, "spec") if t.model is not None else tloc
            raise WattprintError(
                f"{_where(path, loc)}: target {t.name!r} has {what}",
                hint="give exactly one: model: (an ONNX file) or spec: (a training spec)",
            )
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
                    value, kind_a = parse_percent(a.max_increase, _field(loc)), "max_increase"
                    text = str(a.max_increase)
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


def _check_spec_paths(path: Path, loc: Loc, spec_path: Path, root: Path) -> None:
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
    pairs = (("energy_per_inference_j", "energy_per_inference", 1.0),
             ("co2e_per_inference_g", "co2e_per_inference", 1.0), ("energy_kwh", "energy", 3.6e6),
             ("co2e_kg", "co2e", 1000.0), ("macs", "macs", 1.0), ("params", "params", 1.0))
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
            raise WattprintError(f"{path}: a check baseline needs a 'targets' list",
                                 hint="rewrite it with --write-baseline")
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
    from wattprint.yamlio import load_json

    path = Path(path)
    if not path.exists():
        return None
    doc = load_json(path, "baseline", hint="write it with 'wattprint check --write-baseline FILE'")
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


__all__ = [
    "BASELINE_FIELDS", "BUDGET_FILE_NAMES", "CONFIG_ENV", "Assertion", "Baseline", "BaselineEntry", "Budget", "Target",
    "budget_key", "budget_root", "discover_budget", "find_budget", "load_baseline", "load_budget",
    "metrics_from_result_doc",
]

"""The in-project measured set: published inference energy measurements, one point per row.

``cli/wattprint/data/measured/measured-inference.csv`` is built by ``scripts/build_measured.py``
from the cited public results (MLPerf Inference power runs, the ML.ENERGY leaderboard); see
``measured-inference.md`` next to it for the method, caveats and licences. Each point names a
hardware profile and a system profile, so a model can be calibrated and validated against it.
Core module: it returns frozen dataclasses and raises :class:`WattprintError`; it never prints.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wattprint.datafiles import package_data
from wattprint.errors import WattprintError

COLUMNS = (
    "id", "source_kind", "provenance", "hardware", "accelerator_count", "system", "benchmark", "scenario",
    "batch", "concurrency", "precision", "input_len", "output_len", "throughput", "throughput_unit",
    "avg_power_w", "boundary", "power_mode", "power_limit_w", "energy_j", "unit", "exclude", "notes",
)
SOURCE_KINDS = ("mlperf", "mlenergy")
BENCHMARKS = ("resnet50", "bert-large", "retinanet", "rnnt", "3d-unet", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b",
              "gpt-oss-20b", "gpt-oss-120b")
SCENARIOS = ("offline", "server", "singlestream", "llm-serving")
PRECISIONS = ("fp32", "fp16", "bf16", "fp8", "int8", "mxfp4")
THROUGHPUT_UNITS = ("samples/s", "queries/s", "output_tokens/s")
BOUNDARIES = ("accelerator", "node-wall")
POWER_MODES = ("maxq", "maxp", "uncapped", "unknown")
UNITS = ("sample", "query", "output_token")
_CHOICES = {
    "source_kind": SOURCE_KINDS, "benchmark": BENCHMARKS, "scenario": SCENARIOS, "precision": PRECISIONS,
    "throughput_unit": THROUGHPUT_UNITS, "boundary": BOUNDARIES, "power_mode": POWER_MODES, "unit": UNITS,
}


@dataclass(frozen=True)
class MeasuredPoint:
    id: str
    source_kind: str
    #: where the figures come from, verbatim (repository@commit:path)
    provenance: str
    #: hardware profile id of the accelerator
    hardware: str
    accelerator_count: int
    #: system profile id of the node
    system: str
    benchmark: str
    scenario: str
    #: per-accelerator batch from the submission's config; None when not published
    batch: int | None
    #: LLM serving: vLLM max_num_seqs; None otherwise
    concurrency: int | None
    precision: str
    input_len: float | None
    output_len: float | None
    throughput: float
    throughput_unit: str
    avg_power_w: float
    #: "accelerator" (GPU power, NVML) or "node-wall" (AC power of the whole node)
    boundary: str
    power_mode: str
    #: per-accelerator power limit the submission states; None when not stated
    power_limit_w: float | None
    #: joules per ``unit`` (sample, query or output token), as published
    energy_j: float
    unit: str
    #: why a model should not fit this point; None when it may
    exclude: str | None
    notes: str

    @property
    def excluded(self) -> bool:
        return self.exclude is not None


def measured_path() -> Path:
    return package_data("measured/measured-inference.csv")


def _number(path: Path, rid: str, column: str, text: str, kind: type, required: bool):
    if text.strip() == "":
        if required:
            raise WattprintError(f"{path}: row {rid!r}: column '{column}' is empty", hint="it is required")
        return None
    try:
        value = kind(text)
    except ValueError:
        raise WattprintError(
            f"{path}: row {rid!r}: column '{column}': {text!r} is not a {'whole ' if kind is int else ''}number"
        ) from None
    if not value > 0:
        raise WattprintError(f"{path}: row {rid!r}: column '{column}': {text!r} must be > 0")
    return value


def _parse(path: Path, row: dict[str, str]) -> MeasuredPoint:
    rid = row["id"]
    for column, choices in _CHOICES.items():
        if row[column] not in choices:
            raise WattprintError(
                f"{path}: row {rid!r}: column '{column}': {row[column]!r} is not one of {', '.join(choices)}"
            )
    for column in ("id", "provenance", "hardware", "system"):
        if not row[column].strip():
            raise WattprintError(f"{path}: row {rid!r}: column '{column}' is empty", hint="it is required")
    return MeasuredPoint(
        id=rid,
        source_kind=row["source_kind"],
        provenance=row["provenance"],
        hardware=row["hardware"],
        accelerator_count=_number(path, rid, "accelerator_count", row["accelerator_count"], int, True),
        system=row["system"],
        benchmark=row["benchmark"],
        scenario=row["scenario"],
        batch=_number(path, rid, "batch", row["batch"], int, False),
        concurrency=_number(path, rid, "concurrency", row["concurrency"], int, False),
        precision=row["precision"],
        input_len=_number(path, rid, "input_len", row["input_len"], float, False),
        output_len=_number(path, rid, "output_len", row["output_len"], float, False),
        throughput=_number(path, rid, "throughput", row["throughput"], float, True),
        throughput_unit=row["throughput_unit"],
        avg_power_w=_number(path, rid, "avg_power_w", row["avg_power_w"], float, True),
        boundary=row["boundary"],
        power_mode=row["power_mode"],
        power_limit_w=_number(path, rid, "power_limit_w", row["power_limit_w"], float, False),
        energy_j=_number(path, rid, "energy_j", row["energy_j"], float, True),
        unit=row["unit"],
        exclude=row["exclude"].strip() or None,
        notes=row["notes"],
    )


def load_measured_file(path: Path) -> tuple[MeasuredPoint, ...]:
    """Load and check a measured-set CSV (the shipped one, or one of the same columns)."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            if header != COLUMNS:
                raise WattprintError(
                    f"{path}: header does not match the measured-set columns",
                    hint=f"expected {','.join(COLUMNS)}",
                )
            points = tuple(_parse(Path(path), row) for row in reader)
    except OSError as exc:
        raise WattprintError(f"{path}: cannot read the measured set ({exc.strerror})") from None
    seen: set[str] = set()
    for p in points:
        if p.id in seen:
            raise WattprintError(f"{path}: row id {p.id!r} appears twice", hint="ids must be unique")
        seen.add(p.id)
    return points


@cache
def load_measured() -> tuple[MeasuredPoint, ...]:
    """The shipped measured set, in file order."""
    return load_measured_file(measured_path())

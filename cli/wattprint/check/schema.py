"""The budget file's schema: pydantic models (extra fields forbidden) and the JSON Schema made from them.

The JSON Schema is committed as docs/schemas/budget.schema.json; regenerate it after changing a model here::

    python -c "import json, wattprint.check.schema as s; \
        print(json.dumps(s.budget_json_schema(), indent=2, ensure_ascii=False))" > docs/schemas/budget.schema.json
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from wattprint.check.metrics import MetricName
from wattprint.limits import printable, pydantic_check, reject_bool
from wattprint.vocab import PRECISIONS

SCHEMA_ID = "https://wattprint.dev/schemas/budget.schema.json"

if TYPE_CHECKING:
    PrecisionName = str
else:
    PrecisionName = Literal[PRECISIONS]  # the one list of precisions (wattprint.vocab), as a Literal for pydantic

Limit = str | int | float


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
    max: Limit | None = Field(
        default=None,
        description="absolute limit with its unit: '2 mJ', '1.5 MWh' (energy), '150 g', '12 kg' (CO2e); "
        "macs/params are counts: 4100000000, '4.1G', '25.6M', '300k'. A bare number is an error except for counts.",
        examples=["2 mJ", "150 g", "12 kg", "1.5 MWh", "4.1G", "25.6M"],
    )
    max_increase: Limit | None = Field(
        default=None,
        description="largest allowed increase over the baseline (--baseline FILE), as a percentage: '5%'",
        examples=["5%"],
    )
    floor: Limit | None = Field(
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
    def _not_bool(cls, value: Any) -> Any:  # YAML's true is not a limit of 1
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
    model: str | None = Field(default=None, description="ONNX model path, relative to the budget file")
    spec: str | None = Field(default=None, description="training run spec (YAML) path, relative to the budget file")
    hardware: str | None = Field(default=None,
                                 description="hardware profile id or alias (default for models: h100-sxm)")
    region: str | None = Field(default=None, description="grid region id (default: world)")
    intensity: float | None = Field(default=None, ge=0, description="grid intensity, gCO2e/kWh (instead of region)")
    grid_file: str | None = Field(default=None, description="grid intensity file, relative to the budget file")
    pue: float | None = Field(default=None, ge=1, description="datacenter PUE")
    provider: str | None = Field(default=None, description="cloud provider for the PUE default (aws, gcp, azure)")
    # models
    batch: int | None = Field(default=None, ge=1, description="model only: batch size (binds the first input dim)")
    dims: dict[str, int] | None = Field(default=None,
                                        description="model only: symbolic dims, e.g. {sequence_length: 128}")
    precision: PrecisionName | None = Field(default=None, description="model only")
    inferences: float | None = Field(default=None, gt=0, description="model only: total inferences served")
    rate: str | None = Field(default=None, description="model only: serving rate, e.g. 1e6/day, 200/s")
    days: float | None = Field(default=None, gt=0, description="model only: days served at rate (default 365)")
    # training specs
    count: int | None = Field(default=None, ge=1, description="spec only: number of accelerators")
    hours: float | None = Field(default=None, gt=0, description="spec only: wall-clock hours")
    gpu_hours: float | None = Field(default=None, gt=0, description="spec only: device-hours")
    power: float | None = Field(default=None, gt=0, description="spec only: average draw per device, W")
    utilization: float | None = Field(default=None, gt=0, le=1, description="spec only: fraction of TDP drawn")
    assertions: list[AssertionModel] = Field(min_length=1)
    message: str | None = Field(default=None, description="what to do when an assertion fails (shown in reports)")

    @field_validator("name")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return printable(value)

    @field_validator("intensity", "pue", "batch", "inferences", "days", "count", "hours", "gpu_hours", "power",
                     "utilization", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:  # YAML's true is not 1
        return reject_bool(value)

    @field_validator("intensity", "pue", "batch", "inferences", "days", "count", "hours", "gpu_hours", "power",
                     "utilization")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:  # plausible ranges: wattprint.limits, docs/limits.md
        field = str(info.field_name)  # (set for a field validator)
        name = {"intensity": "intensity_gco2e_per_kwh", "power": "power_w"}.get(field, field)
        return pydantic_check(name, value)


class BudgetModel(BaseModel):
    """A wattprint carbon budget (wattprint.yaml or carbon-budget.yaml)."""

    model_config = ConfigDict(extra="forbid", title="wattprint carbon budget")

    version: Literal[1] = Field(default=1, description="budget file format version")
    targets: list[TargetModel] = Field(min_length=1)


def budget_json_schema() -> dict[str, Any]:
    """The JSON Schema of budget files (committed as docs/schemas/budget.schema.json)."""
    schema = BudgetModel.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


__all__ = ["SCHEMA_ID", "AssertionModel", "BudgetModel", "TargetModel", "budget_json_schema"]

"""High-level entry points: loaders + core in one call, shared by the commands.

``infer``, ``check`` and ``lifecycle`` all estimate a model the same way
through :func:`infer_model`; training goes through :func:`train_run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattprint.carbon import choose_grid, choose_pue
from wattprint.errors import WattprintError
from wattprint.hardware import HardwareDB, load_hardware
from wattprint.inference import InferenceResult, estimate_inference, model_batch, serving_volume
from wattprint.vocab import PRECISIONS

if TYPE_CHECKING:  # (imported when used: the training model is not needed by infer)
    from wattprint.energy.training import TrainingResult

PRECISION_CHOICES = PRECISIONS  # (generation.py imports it from here)
DEFAULT_INFER_HARDWARE = "h100-sxm"


@dataclass(frozen=True)
class InferOptions:
    """Everything `wattprint infer` takes besides the model path."""

    hardware: str = DEFAULT_INFER_HARDWARE
    dims: Mapping[str, int] = field(default_factory=dict)
    batch: int | None = None
    precision: str | None = None
    region: str | None = None
    intensity: float | None = None
    grid_file: str | None = None
    grid_gaps: str = "fill"  # gaps in a grid series: fill (linear, up to 6 h) or error
    grid_basis: str | None = None  # lifecycle | direct, for grid exports with both
    pue: float | None = None
    provider: str | None = None
    inferences: float | None = None
    rate: str | None = None
    days: float | None = None
    units: str = "metric"
    system: str | None = None  # system (node) profile id; default: the hardware profile's default_system
    power_limit_w: float | None = None  # per accelerator; default: its TDP


def parse_dims(pairs: list[str] | None) -> dict[str, int]:
    """['batch=8', 'seq=512'] -> {'batch': 8, 'seq': 512}."""
    dims: dict[str, int] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise WattprintError(f"{{dims}} {pair!r} is not NAME=N", field="dims", value=pair,
                                 hint="e.g. {dims} sequence_length=128")
        try:
            dims[name.strip()] = int(value)
        except ValueError:
            raise WattprintError(f"{{dims}} {pair!r}: {value!r} is not a whole number", field="dims", value=pair) from None
    return dims


def infer_model(
    path: str | Path, options: InferOptions, hardware: HardwareDB | None = None
) -> InferenceResult:
    from wattprint.model import analyze_model

    if options.precision is not None and options.precision not in PRECISION_CHOICES:
        raise WattprintError(f"{{precision}} {options.precision!r} is not one of {', '.join(PRECISIONS)}",
                             field="precision", value=options.precision)
    if options.batch is not None and options.batch < 1:
        raise WattprintError(f"{{batch}} {options.batch} must be >= 1", field="batch", value=options.batch)
    db = hardware or load_hardware()
    profile = db.get(options.hardware)
    inferences, basis = serving_volume(options.inferences, options.rate, options.days)
    _check_volume(options, inferences)
    grid = choose_grid(region=options.region, intensity=options.intensity, grid_file=options.grid_file,
                       gaps=options.grid_gaps, basis=options.grid_basis)
    pue = choose_pue(options.pue, options.provider or grid.provider)
    model = analyze_model(path, dims=dict(options.dims), batch=options.batch, precision=options.precision)
    batch = model_batch(model, options.batch)
    result = estimate_inference(
        model,
        profile,
        batch=batch,
        pue=pue,
        grid=grid,
        inferences=inferences,
        volume_basis=basis,
        hardware_requested=options.hardware,
        units=options.units,
        power_limit_w=options.power_limit_w,
        system=options.system,
    )
    if grid.warnings:  # e.g. gaps in a grid series filled by interpolation
        result = replace(result, warnings=tuple(result.warnings) + tuple(grid.warnings))
    return result


def _check_volume(options: InferOptions, inferences: float | None) -> None:
    """The serving volume inside its documented range (wattprint.limits, docs/limits.md)."""
    from wattprint.inference import parse_rate_per_day
    from wattprint.limits import check

    if options.rate is not None:
        check("rate_per_day", parse_rate_per_day(options.rate), f"rate {options.rate!r} (per day)")
    if options.days is not None:
        check("days", options.days, "days")
    if options.batch is not None:
        check("batch", options.batch, "batch")
    if inferences is not None:
        check("inferences", inferences, "inferences served")


def train_run(spec_path: Path | None, overrides: dict[str, Any], hw_files: tuple[Path, ...] = (),
              units: str = "metric") -> TrainingResult:
    from wattprint.energy.training import estimate_training, load_training_spec

    spec = load_training_spec(spec_path, overrides)
    return estimate_training(spec, load_hardware(hw_files), units)


def demo_model_path() -> Path:
    """ResNet-50 from the ONNX model zoo, as shipped inside the onnx package (weights as ConstantOfShape)."""
    import importlib.util

    spec = importlib.util.find_spec("onnx")
    assert spec is not None and spec.origin is not None  # onnx is a dependency, installed as a regular package
    path = Path(spec.origin).parent / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"
    if not path.is_file():
        raise WattprintError(f"demo model not found at {path}", hint="reinstall the onnx package")
    return path

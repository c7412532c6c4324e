"""The public Python API: the CLI's estimates as functions returning the frozen dataclasses it renders.

Each function takes the same inputs as its command (keyword arguments named after the flags, with
underscores) and raises :class:`wattprint.errors.WattprintError` on bad input, carrying the message the CLI
prints. Nothing here prints, exits or reads a file other than the ones named. See docs/api.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattprint.check import CheckReport
    from wattprint.energy.training import TrainingResult
    from wattprint.generation import GenerationResult
    from wattprint.hardware import HardwareDB
    from wattprint.inference import InferenceResult
    from wattprint.model.costs import ModelCost

__all__ = ["analyze_model", "estimate_inference", "estimate_generation", "estimate_training", "run_check"]


def _hardware(hw_files: tuple[str | Path, ...]) -> HardwareDB:
    from wattprint.hardware import load_hardware

    return load_hardware(tuple(Path(p) for p in hw_files))


def analyze_model(path: str | Path, *, dims: Mapping[str, int] | None = None, batch: int | None = None,
                  precision: str | None = None) -> ModelCost:
    """The work of one call of an ONNX graph: MACs, parameters and bytes, node by node (no hardware)."""
    from wattprint.model import analyze_model as analyze

    cost: ModelCost = analyze(path, dims=dict(dims or {}), batch=batch, precision=precision)
    return cost


def estimate_inference(path: str | Path, *, hardware: str | None = None, hw_files: tuple[str | Path, ...] = (),
                       **options: Any) -> InferenceResult:
    """`wattprint infer MODEL.onnx`: energy per inference at the accelerator, the node and the wall, and
    the emissions at a serving volume.

    ``options`` are the fields of :class:`wattprint.estimate.InferOptions` (``batch``, ``dims``,
    ``precision``, ``region``, ``intensity``, ``grid_file``, ``pue``, ``provider``, ``rate``, ``days``,
    ``inferences``, ``system``, ``power_limit_w``, ...).
    """
    from wattprint.estimate import DEFAULT_INFER_HARDWARE, InferOptions, infer_model

    opts = InferOptions(hardware=hardware or DEFAULT_INFER_HARDWARE, **options)
    return infer_model(path, opts, _hardware(hw_files))


def estimate_generation(model: str | Path, *, prompt_tokens: int, output_tokens: int, concurrency: int = 1,
                        devices: int = 1, precision: str | None = None, kv_precision: str | None = None,
                        hardware: str | None = None, hw_files: tuple[str | Path, ...] = (),
                        **options: Any) -> GenerationResult:
    """`wattprint infer` with a generation workload: ``model`` is an ONNX decoder, a Hugging Face config.json
    or the name of a shipped config (``wattprint llm-configs``); prefill and decode per request and per token.

    ``options`` as for :func:`estimate_inference` (grid, PUE, volume, system, power limit).
    """
    from wattprint.estimate import DEFAULT_INFER_HARDWARE, InferOptions
    from wattprint.generation import GenerationWorkload, generation_from_options

    workload = GenerationWorkload(prompt_tokens=prompt_tokens, output_tokens=output_tokens, concurrency=concurrency,
                                  devices=devices, precision=precision, kv_precision=kv_precision)
    opts = InferOptions(hardware=hardware or DEFAULT_INFER_HARDWARE, **options)
    return generation_from_options(model, opts, workload, _hardware(hw_files))


def estimate_training(spec: str | Path | None = None, *, hw_files: tuple[str | Path, ...] = (),
                      units: str = "metric", **fields: Any) -> TrainingResult:
    """`wattprint train`: a training run's energy and emissions from a spec file, its fields, or both
    (``fields`` override the file; names as in the spec: ``hardware``, ``count``, ``hours``, ``region``...)."""
    from wattprint.estimate import train_run

    return train_run(Path(spec) if spec is not None else None, fields, tuple(Path(p) for p in hw_files), units)


def run_check(budget: str | Path, *, baseline: str | Path | None = None, hw_files: tuple[str | Path, ...] = (),
              allow_outside_paths: bool = False) -> CheckReport:
    """`wattprint check`: measure every target of a budget file (wattprint.yaml) and evaluate its assertions.

    The report's ``status`` is ``pass``, ``warn`` or ``fail``; :func:`wattprint.check.exit_code` gives the
    exit code the command would return.
    """
    from wattprint import check

    loaded = check.load_budget(Path(budget), allow_outside_paths=allow_outside_paths)
    base_path = Path(baseline) if baseline is not None else None
    base = check.load_baseline(base_path) if base_path is not None else None
    return check.run_check(loaded, base, baseline_path=base_path, hw_files=tuple(Path(p) for p in hw_files))

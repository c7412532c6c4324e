"""wattprint: carbon footprint of AI training runs and ONNX model inference.

The public API (docs/api.md) is importable from here; it is loaded on first use, so that ``import wattprint``
(and ``wattprint --help``) does not import onnx or numpy::

    import wattprint
    result = wattprint.estimate_inference("model.onnx", hardware="l4", batch=8, region="de")
    print(result.energy_per_inference_j, result.co2e_per_inference_g)
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "analyze_model": "wattprint.api",
    "estimate_inference": "wattprint.api",
    "estimate_generation": "wattprint.api",
    "estimate_training": "wattprint.api",
    "run_check": "wattprint.api",
    "ModelCost": "wattprint.model.costs",
    "NodeCost": "wattprint.model.costs",
    "InferenceResult": "wattprint.inference",
    "GenerationResult": "wattprint.generation",
    "TrainingResult": "wattprint.energy.training",
    "CheckReport": "wattprint.check",
    "HardwareProfile": "wattprint.hardware",
    "WattprintError": "wattprint.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'wattprint' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

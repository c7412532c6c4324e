"""An A..G energy label for one inference, relative to a measured reference of its task class."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from wattprint.datafiles import package_data
from wattprint.errors import WattprintError
from wattprint.yamlio import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from wattprint.model.costs import ModelCost


@dataclass(frozen=True)
class EnergyLabel:
    grade: str | None  # None: no label (see reason)
    task: str | None
    ratio: float | None  # energy / reference
    reference_j: float | None
    reference: str | None
    reason: str | None = None


@cache
def _scale() -> dict:
    return load_yaml(package_data("labels.yaml"), "labels file")


def guess_task(model: ModelCost) -> str | None:
    """Image classification: one NCHW 3-channel image input and a 2-D (batch, classes) output."""
    images = [s for _n, s, _d in model.inputs if len(s) == 4 and s[1] == 3]
    last = next((n.output_shape for n in reversed(model.nodes) if n.output_shape is not None), None)
    if len(images) == 1 and last is not None and len(last) == 2:
        return "image-classification"
    return None


def energy_label(server_energy_j: float, model: ModelCost, task: str | None) -> EnergyLabel:
    scale = _scale()
    if task is not None and task not in scale["classes"]:
        raise WattprintError(f"--task {task!r} has no reference", hint=f"known task classes: {', '.join(scale['classes'])}")
    chosen = task or guess_task(model)
    if chosen is None:
        return EnergyLabel(None, None, None, None, None,
                           reason=f"no label: task class not recognised (pass --task; classes with a measured reference: {', '.join(scale['classes'])})")
    ref = scale["classes"][chosen]
    ratio = server_energy_j / float(ref["reference_j"])
    index = 0 if ratio <= 1 else min(len(scale["bands"]) - 1, math.ceil(math.log(ratio, float(scale["step"]))))
    return EnergyLabel(scale["bands"][index], chosen, ratio, float(ref["reference_j"]), f"{ref['reference']} ({ref['year']})")

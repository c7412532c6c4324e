"""The metrics a budget asserts on: their base units, how limits are written, how values read to people.

Base units: energies in joules, CO2e in grams, MACs and parameters as counts. :func:`fmt_metric` and
:func:`fmt_delta` live here, not in :mod:`wattprint.render.check`, because the core composes each
assertion's message with them (the message is part of the result and of the JSON the renderers write);
the renderers import them from here.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from wattprint.errors import WattprintError
from wattprint.units import _scaled, fmt_count, fmt_energy_j, fmt_energy_kwh, fmt_number, parse_quantity

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

_COUNT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([-+]?\d+))?\s*([kKMGT]?)\s*$")
_COUNT_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
COUNT_HINT = "write a count: 4100000000, '4.1G', '25.6M' or '300k'"


def parse_count(value: object, field_name: str) -> float:
    """MAC and parameter limits: plain integers or k/M/G/T suffixes ('4.1G' = 4.1e9)."""
    if isinstance(value, bool):
        raise WattprintError(f"{field_name}: {value!r} is not a count", hint=COUNT_HINT)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise WattprintError(f"{field_name}: {value!r} must be a finite, non-negative count")
        return float(value)
    from wattprint.limits import MAX_COUNT_EXPONENT

    match = _COUNT.match(str(value))
    if not match:
        raise WattprintError(f"{field_name}: cannot read {value!r} as a count", hint=COUNT_HINT)
    exponent = match.group(2) or "0"
    # (the exponent's length first: int() of a 100-million-digit exponent would itself take minutes)
    if len(exponent.lstrip("+-").lstrip("0")) > 3 or abs(int(exponent)) > MAX_COUNT_EXPONENT:
        raise WattprintError(f"{field_name}: the exponent of {value!r} is out of range (at most e{MAX_COUNT_EXPONENT})",
                             hint=COUNT_HINT)
    number = float(match.group(1)) * 10.0 ** int(exponent) * _COUNT_SCALE[match.group(3)]
    if not math.isfinite(number):
        raise WattprintError(f"{field_name}: {value!r} is too large a count", hint=COUNT_HINT)
    return number


def parse_percent(value: object, field_name: str) -> float:
    """'5%' -> 5.0; a bare number is an error (write the % sign)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise WattprintError(f"{field_name}: bare number {value!r} is not a percentage", hint=f"write '{value}%'")
    match = _PERCENT.match(str(value))
    if not match:
        raise WattprintError(f"{field_name}: cannot read {value!r} as a percentage", hint="write e.g. '5%'")
    return float(match.group(1))


def parse_limit(value: str | float, metric: str, field_name: str) -> float:
    """A limit in the metric's base unit: J, g CO2e or a count."""
    dim = METRICS[metric][0]
    if dim == "count":
        return parse_count(value, field_name)
    return parse_quantity(value, dim, field_name)



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
    if math.isinf(delta_pct):  # the baseline was 0
        return "up from 0"
    return f"{'+' if delta_pct >= 0 else ''}{fmt_number(delta_pct, 3)}%"



__all__ = [
    "COUNT_HINT", "METRICS", "MetricName", "fmt_delta", "fmt_metric", "parse_count", "parse_limit", "parse_percent",
]

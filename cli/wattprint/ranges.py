"""Documented ranges of assumed inputs, and low / central / high figures built from them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from wattprint.datafiles import package_data
from wattprint.yamlio import load_yaml


@dataclass(frozen=True)
class Span:
    """A headline figure as low / central / high."""

    low: float
    central: float
    high: float

    def scaled(self, factor: float) -> Span:
        return Span(self.low * factor, self.central * factor, self.high * factor)

    def doc(self) -> dict[str, float]:
        return {"low": self.low, "central": self.central, "high": self.high}


@cache
def ranges() -> dict[str, Any]:
    return load_yaml(package_data("ranges.yaml"), "ranges file")


def grid_factor_range(kind: str) -> tuple[float, float]:
    """Multipliers on a shipped region's yearly intensity; user-given figures are taken as exact."""
    if kind != "region":
        return 1.0, 1.0
    rel = float(ranges()["grid_year_to_year"]["relative"])
    return 1.0 - rel, 1.0 + rel


def pue_range(pue: float, given: bool) -> tuple[float, float]:
    """A default PUE spans from the best published provider figure to Strubell's 2018 average."""
    if given:
        return pue, pue
    span = ranges()["pue_default"]
    return min(pue, float(span["low"])), max(pue, float(span["high"]))

"""Everyday equivalents of an emissions figure (Strubell et al. 2019 style)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from wattprint.datafiles import package_data
from wattprint.units import KG_PER_LB, KM_PER_MILE
from wattprint.yamlio import load_yaml


@dataclass(frozen=True)
class Constant:
    id: str
    label: str
    unit: str
    kgco2e: float
    cite: str  # short citation for tables
    source: str
    year: int


@dataclass(frozen=True)
class Comparison:
    id: str
    label: str
    unit: str
    amount: float  # how many units the emissions equal
    kgco2e_per_unit: float
    cite: str
    source: str
    year: int


@cache
def constants() -> tuple[Constant, ...]:
    out = []
    for item in load_yaml(package_data("comparisons.yaml"), "comparisons file"):
        kg = item["lbs"] * KG_PER_LB if "lbs" in item else item["kgco2e"]
        out.append(Constant(item["id"], item["label"], item["unit"], kg, item["cite"], item["source"], item["year"]))
    return tuple(out)


def compare(co2e_kg: float, units: str = "metric") -> tuple[Comparison, ...]:
    """Express ``co2e_kg`` in each constant; distances follow ``units`` (km or miles)."""
    out = []
    for c in constants():
        unit, per_unit = c.unit, c.kgco2e
        if c.unit == "km" and units == "imperial":
            unit, per_unit = "miles", c.kgco2e * KM_PER_MILE
        out.append(Comparison(c.id, c.label, unit, co2e_kg / per_unit, per_unit, c.cite, c.source, c.year))
    return tuple(out)

"""Unit constants, human formatting with auto-scaling, and parsing of quantities."""

from __future__ import annotations

import math
import re

from wattprint.errors import WattprintError

KG_PER_LB = 0.45359237  # exact, by definition (international pound, 1959)
KM_PER_MILE = 1.609344  # exact, by definition

_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "n": 1e-9}
#: unit -> (dimension, factor to the base unit); base units: J, g CO2e, kWh
_UNITS: dict[str, tuple[str, float]] = {
    "J": ("energy_j", 1.0),
    "Wh": ("energy_j", 3600.0),
    "g": ("mass_g", 1.0),
    "t": ("mass_g", 1e6),
    "lb": ("mass_g", KG_PER_LB * 1000),
    "lbs": ("mass_g", KG_PER_LB * 1000),
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ]+)\s*$")


def parse_quantity(text: str | float | int, expected: str, field: str) -> float:
    """Parse '2 mJ', '150 g', '12 kg', '1.5 MWh' into the base unit of ``expected``.

    ``expected`` is 'energy_j' (returns joules) or 'mass_g' (returns grams CO2e).
    A bare number is an error: every limit carries its unit.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise WattprintError(f"{field}: bare number {text!r} has no unit", hint=_unit_hint(expected))
    match = _QUANTITY.match(str(text))
    if not match:
        raise WattprintError(f"{field}: cannot read {text!r} as a quantity", hint=_unit_hint(expected))
    value, unit = float(match.group(1)), match.group(2)
    for prefix in ("", *_PREFIX):
        if unit.startswith(prefix) and unit[len(prefix):] in _UNITS:
            dim, factor = _UNITS[unit[len(prefix):]]
            if prefix and unit[len(prefix):] in ("lb", "lbs", "t"):
                continue
            if dim != expected:
                raise WattprintError(f"{field}: unit {unit!r} is not an {_dim_name(expected)}", hint=_unit_hint(expected))
            if not math.isfinite(value) or value < 0:
                raise WattprintError(f"{field}: {text!r} must be a finite, non-negative quantity")
            return value * _PREFIX[prefix] * factor
    raise WattprintError(f"{field}: unknown unit {unit!r}", hint=_unit_hint(expected))


def _dim_name(expected: str) -> str:
    return {"energy_j": "energy", "mass_g": "emissions mass"}[expected]


def _unit_hint(expected: str) -> str:
    return {
        "energy_j": "write e.g. '2 mJ', '5 J', '3 Wh', '1.5 kWh' or '2 MWh'",
        "mass_g": "write e.g. '150 g', '12 kg', '2 t' or '40 lb' (CO2e)",
    }[expected]


def _scaled(value: float, steps: list[tuple[float, str]], digits: int = 3) -> str:
    if value == 0:
        base = next(unit for threshold, unit in steps if threshold == 1.0)
        return f"0 {base}".rstrip()
    for threshold, unit in steps:
        if abs(value) >= threshold:
            return f"{_sig(value / threshold, digits)} {unit}"
    threshold, unit = steps[-1]
    return f"{_sig(value / threshold, digits)} {unit}"


def _sig(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_mass_kg(kg: float, units: str = "metric") -> str:
    """CO2e mass auto-scaled: mg/g/kg/t, or lbs (imperial, as in the literature)."""
    if units == "imperial":
        return f"{_sig(kg / KG_PER_LB, 4)} lbs"
    return _scaled(kg, [(1000.0, "t"), (1.0, "kg"), (1e-3, "g"), (1e-6, "mg"), (1e-9, "µg")])


def fmt_energy_kwh(kwh: float) -> str:
    return _scaled(kwh, [(1e3, "MWh"), (1.0, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])


def fmt_energy_j(joules: float) -> str:
    return _scaled(joules, [(3.6e6, "kWh"), (1.0, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ")])


def fmt_count(n: float, unit: str = "") -> str:
    """1.23 G, 456 M, 7.8 k."""
    scaled = _scaled(n, [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")])
    return (scaled + unit).rstrip()


def fmt_number(x: float, digits: int = 3) -> str:
    return _sig(x, digits)

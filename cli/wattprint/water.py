"""On-site water: litres = IT energy (kWh) x the provider's published WUE (L/kWh).

Only a provider's own fleet-wide WUE is used (data/wue.yaml, with its source); anywhere else the
water use is *not known*, and the result says why instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from wattprint.datafiles import package_data
from wattprint.yamlio import load_yaml


@dataclass(frozen=True)
class Water:
    litres: float | None  # None: not known
    wue_l_per_kwh: float | None
    it_kwh: float
    provider: str | None
    year: int | None
    scope: str | None
    source: str | None
    reason: str | None  # why it is not known


@cache
def _table() -> dict:
    return load_yaml(package_data("wue.yaml"), "WUE file")


def estimate_water(provider: str | None, it_kwh: float) -> Water:
    """Litres of on-site water for ``it_kwh`` of IT (server) energy in ``provider``'s data centres."""
    data = _table()
    key = (provider or "").lower()
    entry = data["providers"].get(key)
    if entry is None:
        if not key:
            reason = "no cloud provider given (--provider aws|azure, or a cloud region), and no general WUE is published"
        else:
            reason = f"{key}: {data.get('not_published', {}).get(key, 'no published WUE')}"
        return Water(None, None, it_kwh, key or None, None, None, None, reason)
    wue = float(entry["wue_l_per_kwh"])
    return Water(it_kwh * wue, wue, it_kwh, key, int(entry["year"]), entry["scope"], entry["source"], None)


__all__ = ["Water", "estimate_water"]

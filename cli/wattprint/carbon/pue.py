"""Datacenter PUE (facility energy / IT energy): a given figure, a provider's published average, or the
global average (``data/regions/pue.yaml``)."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from wattprint.carbon.regions import data_sources
from wattprint.citation import Source
from wattprint.datafiles import data_dir
from wattprint.errors import UnknownIdError, WattprintError
from wattprint.yamlio import load_yaml


@dataclass(frozen=True)
class PUEDefault:
    id: str
    name: str
    pue: float
    year: int
    source: Source | None


@cache
def pue_defaults() -> tuple[PUEDefault, dict[str, PUEDefault]]:
    """(global default, provider id -> default)."""
    data = load_yaml(data_dir("regions") / "pue.yaml", "PUE file")
    sources = data_sources()

    def make(item: dict[str, Any]) -> PUEDefault:
        return PUEDefault(item["id"], item["name"], float(item["pue"]), int(item["year"]), sources.get(item["source"]))

    return make(data["default"]), {p["id"]: make(p) for p in data.get("providers", [])}


@dataclass(frozen=True)
class PUEChoice:
    pue: float
    basis: str  # "given", or the default used (as shown)
    source: str | None
    year: int | None
    #: given by the user (exact), not a default (a range applies)
    given: bool = False


def choose_pue(pue: float | None = None, provider: str | None = None) -> PUEChoice:
    """Explicit PUE, else the provider's published default, else the global average."""
    if pue is not None:
        if not (math.isfinite(pue) and pue >= 1.0):
            raise WattprintError(f"PUE {pue!r} is invalid", hint="PUE is facility energy / IT energy, so >= 1.0")
        return PUEChoice(pue, "given", None, None, given=True)
    default, providers = pue_defaults()
    if provider is not None:
        p = providers.get(provider.lower())
        if p is None:
            raise UnknownIdError("provider", provider, difflib.get_close_matches(provider.lower(), list(providers)))
        chosen = p
        basis = f"{p.name} published average"
    else:
        chosen = default
        basis = f"default: {default.name}"
    return PUEChoice(chosen.pue, basis, chosen.source.cite() if chosen.source else None, chosen.year)


__all__ = ["PUEChoice", "PUEDefault", "choose_pue", "pue_defaults"]

"""The shipped grid regions: yearly average carbon intensities (gCO2e/kWh) with their sources.

``data/regions/regions.csv`` holds grid regions and cloud regions (a cloud region takes the figure of
the grid region it sits in); ``data/regions/sources.yaml`` the sources they cite (shared with the PUE
defaults, :mod:`wattprint.carbon.pue`).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache

from wattprint.citation import Source
from wattprint.datafiles import data_dir
from wattprint.errors import UnknownIdError, WattprintError
from wattprint.yamlio import load_yaml, read_text

DEFAULT_REGION = "world"
REGION_COLUMNS = "id,name,kind,aliases,parent,intensity_gco2e_per_kwh,year,basis,source,grid_location,note".split(",")


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    kind: str
    intensity_gco2e_per_kwh: float
    year: int | None
    basis: str  # "lifecycle" | "direct" | "unknown"
    source: Source | None
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    grid_location: str | None = None  # cloud region -> the grid region it sits in
    note: str | None = None

    @property
    def provider(self) -> str | None:
        if self.kind == "cloud":
            return self.id.split("-", 1)[0]
        return None


@cache
def data_sources() -> dict[str, Source]:
    path = data_dir("regions") / "sources.yaml"
    out = {}
    for item in load_yaml(path, "sources file") or []:
        out[item["id"]] = Source(
            id=item["id"],
            title=item["title"],
            publisher=item["publisher"],
            year=int(item["year"]),
            url=item.get("url"),
            licence=item.get("licence"),
        )
    return out


@dataclass(frozen=True)
class RegionDB:
    regions: dict[str, Region]
    aliases: dict[str, str]

    def get(self, key: str) -> Region:
        k = key.strip().lower()
        if k in self.regions:
            return self.regions[k]
        if k in self.aliases:
            return self.regions[self.aliases[k]]
        names = list(self.regions) + list(self.aliases)
        raise UnknownIdError("region", key, difflib.get_close_matches(k, names, n=3, cutoff=0.6))

    def search(self, text: str | None = None, kind: str | None = None) -> list[Region]:
        needle = (text or "").lower()
        out = []
        for r in self.regions.values():
            if kind and r.kind != kind:
                continue
            hay = " ".join((r.id, r.name.lower(), *r.aliases))
            if needle in hay:
                out.append(r)
        return out


@cache
def load_regions() -> RegionDB:
    path = data_dir("regions") / "regions.csv"
    sources = data_sources()
    reader = csv.DictReader(read_text(path, "regions file").splitlines())
    if reader.fieldnames != REGION_COLUMNS:
        raise WattprintError(f"{path}:1: unexpected header {reader.fieldnames}",
                             hint="regenerate it with scripts/build_data.py")
    rows = list(reader)
    by_id = {row["id"]: row for row in rows}
    regions: dict[str, Region] = {}
    aliases: dict[str, str] = {}
    for row in rows:
        src_row = row
        if not row["intensity_gco2e_per_kwh"] and row["grid_location"]:
            src_row = by_id[row["grid_location"]]
        regions[row["id"]] = Region(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            intensity_gco2e_per_kwh=float(src_row["intensity_gco2e_per_kwh"]),
            year=int(src_row["year"]) if src_row["year"] else None,
            basis=src_row["basis"] or "unknown",
            source=sources.get(src_row["source"]),
            aliases=tuple(row["aliases"].split()),
            parent=row["parent"] or None,
            grid_location=row["grid_location"] or None,
            note=row["note"] or None,
        )
        for alias in row["aliases"].split():
            aliases[alias.lower()] = row["id"]
    return RegionDB(regions=regions, aliases=aliases)


__all__ = ["DEFAULT_REGION", "REGION_COLUMNS", "Region", "RegionDB", "data_sources", "load_regions"]

"""The shipped reference data: hardware profiles, grid regions, sources and PUE defaults.

These tests read only the repository's own files (hwprofiles/, regions/), never the raw
datasets in ../shared: the data must stay valid on its own.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from wattprint.hardware import FIGURE_FIELDS, load_hardware, load_profile_file

ROOT = Path(__file__).resolve().parents[1]
HW_DIR = ROOT / "hwprofiles"
REGIONS_DIR = ROOT / "regions"
REGION_HEADER = "id,name,kind,aliases,parent,intensity_gco2e_per_kwh,year,basis,source,grid_location,note"
REGION_KINDS = {"world", "continent", "country", "us-egrid", "us-state", "ca-province", "subnational", "cloud"}
VALUE_COLUMNS = ("intensity_gco2e_per_kwh", "year", "basis", "source")
REQUIRED_HW = ("p100", "v100", "a100", "h100", "t4", "tpu-v3", "h200", "a10", "a10g", "l4", "l40s", "b200",
               "h100-pcie", "h100-sxm", "a100-pcie-40gb", "a100-pcie-80gb", "a100-sxm-40gb", "a100-sxm-80gb",
               "jetson-agx-orin-64gb")

PROFILE_FILES = sorted(HW_DIR.glob("*.y*ml"))


# ----------------------------------------------------------------------------- hardware


def test_enough_profiles():
    assert len(PROFILE_FILES) >= 40


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.name)
def test_profile_loads_and_is_sourced(path: Path):
    profiles = load_profile_file(path)  # schema + "every figure has a source" rule
    assert len(profiles) == 1, "one profile per file"
    p = profiles[0]
    assert path.stem == p.id, "file name must be <id>.yaml"
    assert p.sources, "at least one source"
    for s in p.sources:
        assert 1990 <= s.year <= 2030
    for figure in FIGURE_FIELDS:
        value = p.embodied_kgco2e if figure == "embodied" else getattr(p, figure)
        if value not in (None, {}):
            assert p.figure_source(figure) is not None, f"{figure} has no source"


def test_alias_aliases_point_to_declared_defaults():
    raw = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in PROFILE_FILES}
    ids = [d["id"] for d in raw.values()]
    assert len(ids) == len(set(ids)), "profile ids must be unique"
    aliases = [a.lower() for d in raw.values() for a in d.get("aliases", [])]
    assert len(aliases) == len(set(aliases)), "aliases must be unique across all profiles"
    assert not set(aliases) & set(ids), "an alias must not equal a profile id"


def test_required_hardware_resolves():
    db = load_hardware(use_user_dir=False)
    for key in REQUIRED_HW:
        assert db.get(key) is not None
    assert db.get("a100").id == "a100-sxm-80gb"
    assert db.get("h100").id == "h100-sxm"
    assert db.get("v100").id.startswith("v100-sxm2-")
    assert db.get("p100").tdp_w == 250


def test_peak_is_dense_where_both_are_known():
    # spot checks against the datasheets' dense (non-sparsity) figures
    db = load_hardware(use_user_dir=False)
    assert db.get("a100").peak("fp16") == 312
    assert db.get("h100").peak("fp16") == 989
    assert db.get("l4").peak("int8") == 242.5
    # B200 fp32: the per-GPU figure of NVIDIA's Blackwell technical brief (HGX B200, 1,000 W), not 600 / 8
    assert db.get("b200").peak("fp32") == 80


def test_on_chip_memory_spot_checks():
    # last-level on-chip memory as the vendors state it (L2, CMEM, SRAM, Infinity Cache), MB
    db = load_hardware(use_user_dir=False)
    expected = {"a100-sxm-80gb": 40, "h100-sxm": 50, "h100-pcie": 50, "rtx-4090": 72, "l4": 48, "v100": 6,
                "p100": 4, "jetson-agx-orin-64gb": 4, "qualcomm-ai100-pro": 144, "mi300x": 256, "tpu-v4": 128}
    for key, mb in expected.items():
        assert db.get(key).on_chip_memory_mb == mb, key
    # no vendor figure found: left out, and the profile says so
    for key in ("h200-sxm", "b200", "a30", "a2", "t4", "mi250x", "qualcomm-ai100-dm2"):
        profile = db.get(key)
        assert profile.on_chip_memory_mb is None, key
        assert "on_chip_memory_mb" in (profile.notes or ""), key


# ----------------------------------------------------------------------------- regions


def _sources() -> dict[str, dict]:
    items = yaml.safe_load((REGIONS_DIR / "sources.yaml").read_text(encoding="utf-8"))
    assert isinstance(items, list) and items
    out = {}
    for item in items:
        assert {"id", "title", "publisher", "year", "licence"} <= set(item), item
        assert item["id"] not in out, f"duplicate source {item['id']}"
        assert 1990 <= int(item["year"]) <= 2030
        out[item["id"]] = item
    return out


def _regions() -> list[dict[str, str]]:
    text = (REGIONS_DIR / "regions.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == REGION_HEADER
    return list(csv.DictReader(text.splitlines()))


def test_regions_header_and_unique_names():
    rows = _regions()
    names = [r["id"].lower() for r in rows] + [a.lower() for r in rows for a in r["aliases"].split()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"ids/aliases not unique: {dupes}"
    for r in rows:
        assert r["id"] == r["id"].lower() and r["id"].strip() == r["id"] and r["id"]
        assert r["kind"] in REGION_KINDS, r
        assert r["name"]


def test_region_values():
    rows = _regions()
    by_id = {r["id"]: r for r in rows}
    sources = _sources()
    for r in rows:
        present = [bool(r[c]) for c in VALUE_COLUMNS]
        if all(present):
            value = float(r["intensity_gco2e_per_kwh"])
            assert 0 < value < 2000, r
            assert 2015 <= int(r["year"]) <= 2026, r
            assert r["basis"] in ("lifecycle", "direct"), r
            assert r["source"] in sources, r
        else:
            assert not any(present), f"{r['id']}: intensity, year, basis, source must be all set or all empty"
            assert r["kind"] == "cloud", f"{r['id']}: only cloud regions may defer to a grid_location"
            assert r["grid_location"], r
        if r["grid_location"]:
            assert r["kind"] == "cloud", r
            target = by_id.get(r["grid_location"])
            assert target is not None, f"{r['id']}: grid_location {r['grid_location']} is not a region"
            assert target["kind"] != "cloud" and target["intensity_gco2e_per_kwh"], r
        if r["parent"]:
            assert r["parent"] in by_id, f"{r['id']}: parent {r['parent']} is not a region"


def test_region_coverage():
    rows = _regions()
    kinds = [r["kind"] for r in rows]
    ids = {r["id"] for r in rows}
    assert kinds.count("country") >= 200
    assert "world" in ids
    assert kinds.count("continent") >= 5
    for prefix in ("us-", "ca-", "aws-", "gcp-", "azure-"):
        assert any(i.startswith(prefix) for i in ids), prefix
    for key in ("fr", "us", "de", "us-ca", "ca-qc", "aws-us-east-1", "gcp-us-central1", "azure-eastus"):
        assert key in ids, key
    aliases = {a for r in rows for a in r["aliases"].split()}
    assert {"fra", "us-east-1", "aws:us-east-1", "us-central1", "eastus"} <= aliases


def test_regions_load_through_the_package():
    from wattprint.carbon import load_regions

    db = load_regions()
    assert db.get("world").intensity_gco2e_per_kwh > 0
    assert db.get("FRA").id == "fr"
    cloud = db.get("us-east-1")
    assert cloud.id == "aws-us-east-1" and cloud.grid_location
    assert cloud.intensity_gco2e_per_kwh == db.get(cloud.grid_location).intensity_gco2e_per_kwh


# ----------------------------------------------------------------------------- PUE


def test_pue_file():
    data = yaml.safe_load((REGIONS_DIR / "pue.yaml").read_text(encoding="utf-8"))
    sources = _sources()
    entries = [data["default"], *data["providers"]]
    assert {p["id"] for p in data["providers"]} >= {"gcp", "aws", "azure"}
    for e in entries:
        assert {"id", "name", "pue", "year", "source"} <= set(e), e
        assert 1.0 <= float(e["pue"]) < 3, e
        assert 2015 <= int(e["year"]) <= 2026, e
        assert e["source"] in sources, e

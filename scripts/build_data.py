#!/usr/bin/env python3
"""Derive wattprint's grid-intensity data (regions/) from the raw public datasets.

    python scripts/build_data.py [--datasets DIR] [--out DIR] [--check]

Reads the unmodified public files in ``../shared/datasets`` (see its MANIFEST.tsv for
origin, commit and licence of each) and writes:

* ``regions/regions.csv``   one row per region (countries, world regions, US states,
                            Canadian provinces, Chinese provinces, Nordic bidding zones,
                            AWS / GCP / Azure cloud regions)
* ``regions/sources.yaml``  the sources cited by regions.csv and pue.yaml
* ``regions/pue.yaml``      global and per-provider PUE defaults

Nothing is guessed: every intensity is a number published in (or computed by a stated
method from) the raw data, with its source id, data year and basis (``lifecycle`` or
``direct``). Cloud regions without a provider-published figure carry no intensity of
their own: their ``grid_location`` names the grid region whose value applies.

``--check`` regenerates into memory and exits 1 if the files on disk differ.
Standard library + PyYAML only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = REPO.parent / "shared" / "datasets"
HEADER = "id,name,kind,aliases,parent,intensity_gco2e_per_kwh,year,basis,source,grid_location,note".split(",")
MIN_YEAR = 2015  # older yearly averages are not shipped
LB_PER_MWH_TO_G_PER_KWH = 453.59237 / 1000.0  # 1 lb = 453.59237 g; 1 MWh = 1000 kWh

# --------------------------------------------------------------------------------------------
# Static tables (identifiers, not figures)
#
# ISO 3166-1 alpha-3 -> (alpha-2, parent world region). Kosovo uses the user-assigned code XK /
# XKX as Ember does. The parent follows the UN M49 geographic regions, with Ember's "Middle East"
# grouping split out of Asia and "Latin America and Caribbean" kept together; Ember's own
# aggregate membership may differ in detail (the parent is a navigation aid, not a data input).
# --------------------------------------------------------------------------------------------
_ISO = """
ABW AW latin-america-caribbean|AFG AF asia|AGO AO africa|ALB AL europe|ARE AE middle-east
ARG AR latin-america-caribbean|ARM AM asia|ASM AS oceania|ATG AG latin-america-caribbean|AUS AU oceania
AUT AT europe|AZE AZ asia|BDI BI africa|BEL BE europe|BEN BJ africa|BFA BF africa|BGD BD asia
BGR BG europe|BHR BH middle-east|BHS BS latin-america-caribbean|BIH BA europe|BLR BY europe
BLZ BZ latin-america-caribbean|BMU BM north-america|BOL BO latin-america-caribbean
BRA BR latin-america-caribbean|BRB BB latin-america-caribbean|BRN BN asia|BTN BT asia|BWA BW africa
CAF CF africa|CAN CA north-america|CHE CH europe|CHL CL latin-america-caribbean|CHN CN asia
CIV CI africa|CMR CM africa|COD CD africa|COG CG africa|COK CK oceania|COL CO latin-america-caribbean
COM KM africa|CPV CV africa|CRI CR latin-america-caribbean|CUB CU latin-america-caribbean
CYM KY latin-america-caribbean|CYP CY europe|CZE CZ europe|DEU DE europe|DJI DJ africa
DMA DM latin-america-caribbean|DNK DK europe|DOM DO latin-america-caribbean|DZA DZ africa
ECU EC latin-america-caribbean|EGY EG africa|ERI ER africa|ESH EH africa|ESP ES europe|EST EE europe
ETH ET africa|FIN FI europe|FJI FJ oceania|FLK FK latin-america-caribbean|FRA FR europe|FRO FO europe
GAB GA africa|GBR GB europe|GEO GE asia|GHA GH africa|GIB GI europe|GIN GN africa
GLP GP latin-america-caribbean|GMB GM africa|GNB GW africa|GNQ GQ africa|GRC GR europe
GRD GD latin-america-caribbean|GRL GL north-america|GTM GT latin-america-caribbean
GUF GF latin-america-caribbean|GUM GU oceania|GUY GY latin-america-caribbean|HKG HK asia
HND HN latin-america-caribbean|HRV HR europe|HTI HT latin-america-caribbean|HUN HU europe|IDN ID asia
IND IN asia|IRL IE europe|IRN IR middle-east|IRQ IQ middle-east|ISL IS europe|ISR IL middle-east
ITA IT europe|JAM JM latin-america-caribbean|JOR JO middle-east|JPN JP asia|KAZ KZ asia|KEN KE africa
KGZ KG asia|KHM KH asia|KIR KI oceania|KNA KN latin-america-caribbean|KOR KR asia|KWT KW middle-east
LAO LA asia|LBN LB middle-east|LBR LR africa|LBY LY africa|LCA LC latin-america-caribbean|LKA LK asia
LSO LS africa|LTU LT europe|LUX LU europe|LVA LV europe|MAC MO asia|MAR MA africa|MDA MD europe
MDG MG africa|MDV MV asia|MEX MX latin-america-caribbean|MKD MK europe|MLI ML africa|MLT MT europe
MMR MM asia|MNE ME europe|MNG MN asia|MOZ MZ africa|MRT MR africa|MSR MS latin-america-caribbean
MTQ MQ latin-america-caribbean|MUS MU africa|MWI MW africa|MYS MY asia|NAM NA africa|NCL NC oceania
NER NE africa|NGA NG africa|NIC NI latin-america-caribbean|NLD NL europe|NOR NO europe|NPL NP asia
NRU NR oceania|NZL NZ oceania|OMN OM middle-east|PAK PK asia|PAN PA latin-america-caribbean
PER PE latin-america-caribbean|PHL PH asia|PNG PG oceania|POL PL europe|PRI PR latin-america-caribbean
PRK KP asia|PRT PT europe|PRY PY latin-america-caribbean|PSE PS middle-east|PYF PF oceania
QAT QA middle-east|REU RE africa|ROU RO europe|RUS RU europe|RWA RW africa|SAU SA middle-east
SDN SD africa|SEN SN africa|SGP SG asia|SHN SH africa|SLB SB oceania|SLE SL africa
SLV SV latin-america-caribbean|SOM SO africa|SPM PM north-america|SRB RS europe|SSD SS africa
STP ST africa|SUR SR latin-america-caribbean|SVK SK europe|SVN SI europe|SWE SE europe|SWZ SZ africa
SYC SC africa|SYR SY middle-east|TCA TC latin-america-caribbean|TCD TD africa|TGO TG africa|THA TH asia
TJK TJ asia|TKM TM asia|TLS TL asia|TON TO oceania|TTO TT latin-america-caribbean|TUN TN africa
TUR TR europe|TWN TW asia|TZA TZ africa|UGA UG africa|UKR UA europe|URY UY latin-america-caribbean
USA US north-america|UZB UZ asia|VCT VC latin-america-caribbean|VEN VE latin-america-caribbean
VGB VG latin-america-caribbean|VIR VI latin-america-caribbean|VNM VN asia|VUT VU oceania|WSM WS oceania
XKX XK europe|YEM YE middle-east|ZAF ZA africa|ZMB ZM africa|ZWE ZW africa
"""
ISO3 = {}
for _item in _ISO.replace("\n", "|").split("|"):
    if _item.strip():
        _a3, _a2, _parent = _item.split()
        ISO3[_a3] = (_a2.lower(), _parent)

EXTRA_COUNTRY_ALIASES = {"gb": ["uk"]}

#: Ember aggregates in co2js -> our id. G7, G20, OECD, EU and ASEAN are political groupings
#: that fit none of the region kinds, so they are not shipped.
EMBER_REGIONS = {
    "World": ("world", "World", "world"),
    "Africa": ("africa", "Africa", "continent"),
    "Asia": ("asia", "Asia (Ember aggregate, excluding the Middle East)", "continent"),
    "Europe": ("europe", "Europe", "continent"),
    "North America": ("north-america", "North America", "continent"),
    "Latin America and Caribbean": ("latin-america-caribbean", "Latin America and Caribbean", "continent"),
    "Middle East": ("middle-east", "Middle East", "continent"),
    "Oceania": ("oceania", "Oceania", "continent"),
}
EMBER_REGION_ALIASES = {"latin-america-caribbean": ["latin-america", "latam"], "world": ["global-average"]}

CANADA = {  # province name in codecarbon -> ISO 3166-2 code
    "alberta": ("ab", "Alberta"), "british columbia": ("bc", "British Columbia"),
    "manitoba": ("mb", "Manitoba"), "new brunswick": ("nb", "New Brunswick"),
    "newfoundland and labrador": ("nl", "Newfoundland and Labrador"),
    "northwest territories": ("nt", "Northwest Territories"), "nova scotia": ("ns", "Nova Scotia"),
    "nunavut": ("nu", "Nunavut"), "ontario": ("on", "Ontario"),
    "prince edward island": ("pe", "Prince Edward Island"), "quebec": ("qc", "Quebec"),
    "saskatchewan": ("sk", "Saskatchewan"), "yukon": ("yt", "Yukon"),
}
#: codecarbon canada_energy_mix.json key -> codecarbon carbon_intensity_per_source.json key
CANADA_FUEL_FACTOR = {
    "naturalGas": "natural_gas", "nuclear": "nuclear", "petroleum": "petroleum", "biomass": "biomass",
    "coal": "coal", "solar": "solar", "wind": "wind", "hydro": "hydroelectricity",
}

# Cloud region -> grid region. The location of each cloud region comes from the raw data
# (GCP region-carbon-info "Location", CCF grid-emissions-factors "Country"/"Location",
# Green Algorithms cloudProviders_datacenters "location"), refined to the state, province or
# bidding zone named by the provider's public region name where the data has such a row.
GCP_GRID = {
    "africa-south1": "za", "asia-east1": "tw", "asia-east2": "hk", "asia-northeast1": "jp",
    "asia-northeast2": "jp", "asia-northeast3": "kr", "asia-south1": "in", "asia-south2": "in",
    "asia-southeast1": "sg", "asia-southeast2": "id", "australia-southeast1": "au",
    "australia-southeast2": "au", "europe-central2": "pl", "europe-north1": "fi",
    "europe-north2": "se-se3", "europe-southwest1": "es", "europe-west1": "be", "europe-west2": "gb",
    "europe-west3": "de", "europe-west4": "nl", "europe-west6": "ch", "europe-west8": "it",
    "europe-west9": "fr", "europe-west10": "de", "europe-west12": "it", "me-central1": "qa",
    "me-central2": "sa", "me-west1": "il", "northamerica-northeast1": "ca-qc",
    "northamerica-northeast2": "ca-on", "northamerica-south1": "mx", "southamerica-east1": "br",
    "southamerica-west1": "cl", "us-central1": "us-ia", "us-central2": "us-ok", "us-east1": "us-sc",
    "us-east2": "us-ga", "us-east4": "us-va", "us-east5": "us-oh", "us-south1": "us-tx",
    "us-west1": "us-or", "us-west2": "us-ca", "us-west3": "us-ut", "us-west4": "us-nv",
}
AWS_GRID = {  # region -> (grid id, AWS region name)
    "us-east-1": ("us-va", "US East (N. Virginia)"), "us-east-2": ("us-oh", "US East (Ohio)"),
    "us-west-1": ("us-ca", "US West (N. California)"), "us-west-2": ("us-or", "US West (Oregon)"),
    "us-gov-east-1": ("us", "AWS GovCloud (US-East); no state in the data, US average used"),
    "us-gov-west-1": ("us", "AWS GovCloud (US-West); no state in the data, US average used"),
    "af-south-1": ("za", "Africa (Cape Town)"), "ap-east-1": ("hk", "Asia Pacific (Hong Kong)"),
    "ap-south-1": ("in", "Asia Pacific (Mumbai)"), "ap-northeast-3": ("jp", "Asia Pacific (Osaka)"),
    "ap-northeast-2": ("kr", "Asia Pacific (Seoul)"), "ap-southeast-1": ("sg", "Asia Pacific (Singapore)"),
    "ap-southeast-2": ("au", "Asia Pacific (Sydney)"), "ap-northeast-1": ("jp", "Asia Pacific (Tokyo)"),
    "ca-central-1": ("ca-qc", "Canada (Central), Montreal"), "cn-north-1": ("cn-bj", "China (Beijing)"),
    "cn-northwest-1": ("cn-nx", "China (Ningxia)"), "eu-central-1": ("de", "Europe (Frankfurt)"),
    "eu-west-1": ("ie", "Europe (Ireland)"), "eu-west-2": ("gb", "Europe (London)"),
    "eu-south-1": ("it", "Europe (Milan)"), "eu-west-3": ("fr", "Europe (Paris)"),
    "eu-north-1": ("se-se3", "Europe (Stockholm)"), "me-south-1": ("bh", "Middle East (Bahrain)"),
    "sa-east-1": ("br", "South America (Sao Paulo)"),
}
#: Azure locations the Green Algorithms code does not pin down (or that only CCF lists)
AZURE_LOCATION_OVERRIDES = {
    "East US 3": "us-ga",  # CCF: Georgia
    "Finland Central": "fi",  # CCF: Helsinki
    "Belgium Central": "be",  # CCF: Brussels
    "Sweden Central": "se",  # CCF: Gavle (bidding zone not certain: country value)
    "Qatar Central": "qa",  # Green Algorithms: Doha, no location code
    "China East": "cn-sh", "China East 2": "cn-sh",  # Green Algorithms: Shanghai
    "China North": "cn-bj", "China North 2": "cn-bj",  # Green Algorithms: Beijing
    "Norway East": "no-no1",  # Green Algorithms: Oslo (bidding zone NO1)
    "Norway West": "no-no2",  # Green Algorithms: Stavanger (bidding zone NO2)
}
AZURE_NAME_FIXES = {"Germany Northeastt (Sovereign)": "Germany Northeast (Sovereign)"}  # typo in the raw file


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _num(x: float) -> str:
    """Compact decimal text: at most 2 decimals, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _read_csv(path: Path, skip: int = 0) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()[skip:]
    return list(csv.DictReader(lines))


def _row(rid, name, kind, *, aliases=(), parent="", intensity=None, year=None, basis="", source="",
         grid_location="", note="") -> dict[str, str]:
    return {
        "id": rid,
        "name": name,
        "kind": kind,
        "aliases": " ".join(aliases),
        "parent": parent,
        "intensity_gco2e_per_kwh": "" if intensity is None else _num(intensity),
        "year": "" if year is None else str(int(year)),
        "basis": basis,
        "source": source,
        "grid_location": grid_location,
        "note": note,
    }


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------


def world_and_countries(ds: Path, log) -> list[dict]:
    rows = []
    co2js = json.loads((ds / "co2js" / "average-intensities.json").read_text(encoding="utf-8"))
    for key, (rid, name, kind) in EMBER_REGIONS.items():
        item = co2js[key]
        rows.append(_row(rid, name, kind, aliases=EMBER_REGION_ALIASES.get(rid, ()),
                         parent="" if rid == "world" else "world",
                         intensity=item["emissions_intensity_gco2_per_kwh"], year=item["year"],
                         basis="lifecycle", source="ember-co2js",
                         note="Ember aggregate (generation-weighted)"))
    skipped = sorted(k for k, v in co2js.items() if not v["country_code"] and k not in EMBER_REGIONS)
    log(f"co2js aggregates not shipped (no matching region kind): {', '.join(skipped)}")

    seen = set()
    for a3, item in sorted(co2js.items()):
        if not item["country_code"]:
            continue
        if a3 not in ISO3:
            raise SystemExit(f"co2js country {a3} has no ISO 3166 entry in build_data.py")
        value = float(item["emissions_intensity_gco2_per_kwh"])
        if value <= 0:
            log(f"co2js {a3} ({item['country_or_region']}): intensity {value} is not > 0; not shipped")
            seen.add(a3)
            continue
        a2, parent = ISO3[a3]
        rows.append(_row(a2, item["country_or_region"], "country", aliases=[a3.lower(), *EXTRA_COUNTRY_ALIASES.get(a2, [])],
                         parent=parent, intensity=value, year=item["year"], basis="lifecycle", source="ember-co2js"))
        seen.add(a3)

    # Countries co2js lacks: the OWID energy dataset as packaged by codecarbon (Ember-based, lifecycle)
    mix = json.loads((ds / "codecarbon_3.3.2" / "private_infra_global_energy_mix.json").read_text(encoding="utf-8"))
    for a3, item in sorted(mix.items()):
        if a3 in seen:
            continue
        if a3 not in ISO3:
            log(f"codecarbon energy mix {a3}: no ISO 3166 entry; not shipped")
            continue
        value = float(item["carbon_intensity"])
        if value <= 0:
            log(f"codecarbon energy mix {a3}: intensity {value} is not > 0; not shipped")
            continue
        if int(item["year"]) < MIN_YEAR:
            log(f"codecarbon energy mix {a3} ({item['country_name']}): data year {item['year']} is before {MIN_YEAR}; not shipped")
            continue
        a2, parent = ISO3[a3]
        rows.append(_row(a2, item["country_name"], "country", aliases=[a3.lower()], parent=parent,
                         intensity=value, year=item["year"], basis="lifecycle", source="owid-energy-codecarbon",
                         note="not in the Ember/co2js file; OWID energy data (Ember-based) via codecarbon"))
    return rows


def us_states(ds: Path) -> list[dict]:
    data = json.loads((ds / "codecarbon_3.3.2" / "private_infra_2023_usa_emissions.json").read_text(encoding="utf-8"))
    assert data["_unit"]["emissions"] == "lbs/MWh", data["_unit"]
    year = int(data["_source"]["year"])
    rows = []
    for name, item in sorted(data.items()):
        if name.startswith("_") or item["regionCode"].lower() == "usa":
            continue  # the national figure: the country row uses Ember (lifecycle) instead
        code = item["regionCode"].lower()
        rows.append(_row(f"us-{code}", name.title().replace(" Of ", " of "), "us-state", parent="us",
                         intensity=item["emissions"] * LB_PER_MWH_TO_G_PER_KWH, year=year, basis="direct",
                         source="epa-egrid2023",
                         note=f"eGRID2023 state CO2e total output emission rate (STC2ERTA) {item['emissions']:g} lb/MWh"))
    return rows


def canada_provinces(ds: Path) -> list[dict]:
    mix = json.loads((ds / "codecarbon_3.3.2" / "private_infra_2023_canada_energy_mix.json").read_text(encoding="utf-8"))
    factors = json.loads((ds / "codecarbon_3.3.2" / "private_infra_carbon_intensity_per_source.json").read_text(encoding="utf-8"))
    rows = []
    for key, shares in sorted(mix.items()):
        code, name = CANADA[key]
        fuels = {k: float(v) for k, v in shares.items() if k != "total"}
        unknown = {k: v for k, v in fuels.items() if k not in CANADA_FUEL_FACTOR and v != 0}
        if unknown:
            raise SystemExit(f"Canada {key}: generation share without a per-source factor: {unknown}")
        total = sum(fuels.values())
        value = sum(share * factors[CANADA_FUEL_FACTOR[f]] for f, share in fuels.items() if f in CANADA_FUEL_FACTOR) / total
        top = sorted(((v, k) for k, v in fuels.items() if v > 0), reverse=True)[:3]
        mix_text = ", ".join(f"{k} {v:g}%" for v, k in top)
        rows.append(_row(f"ca-{code}", name, "ca-province", parent="ca", intensity=value, year=2023,
                         basis="lifecycle", source="codecarbon-canada-2023",
                         note=f"2023 generation mix ({mix_text}) x codecarbon per-source factors; fossil factors "
                              "are combustion-based, low-carbon ones lifecycle (mixed basis)"))
    return rows


def china_provinces(ds: Path) -> list[dict]:
    data = json.loads((ds / "codecarbon_3.3.2" / "private_infra_2023_china_provincial_emissions.json").read_text(encoding="utf-8"))
    rows = []
    for code, item in sorted(data["data"].items()):
        assert item["unit"] == "gCO2/kWh", item
        rows.append(_row(code.lower(), item["description"], "subnational", parent="cn",
                         intensity=item["emission_factor"], year=item["year"], basis="direct", source="china-mee-2023",
                         note="CO2 only (not CO2e); provincial average incl. inter-provincial transfers"))
    return rows


def nordic_zones(ds: Path) -> list[dict]:
    data = json.loads((ds / "codecarbon_3.3.2" / "private_infra_nordic_emissions.json").read_text(encoding="utf-8"))
    rows = []
    for code, item in sorted(data["data"].items()):
        m = re.fullmatch(r"(SE|NO)(\d)", code)
        if not m:
            continue  # FI: a country-level "prior value"; the country row uses Ember
        country = m.group(1).lower()
        note = f"ENTSO-E {item['year']} generation mix x codecarbon per-source factors; coverage {item['coverage']}"
        if "Lower bound" in item.get("note", ""):
            note += "; lower bound (uncovered generation counted at 0)"
        rows.append(_row(f"{country}-{code.lower()}", item["description"], "subnational",
                         aliases=[code.lower()], parent=country, intensity=item["emission_factor"],
                         year=item["year"], basis="lifecycle", source="entsoe-nordic-codecarbon", note=note))
    return rows


def gcp_regions(ds: Path) -> list[dict]:
    folder = ds / "gcp_region_carbon_info"
    latest: dict[str, tuple[int, dict]] = {}
    for path in sorted(folder.glob("*.csv")):
        year = int(path.stem)
        for rec in _read_csv(path):
            region = rec["Google Cloud Region"].strip()
            if region not in latest or latest[region][0] < year:
                latest[region] = (year, rec)
    rows = []
    for region, (year, rec) in sorted(latest.items()):
        value_col = next(c for c in rec if "carbon intensity" in c.lower())
        lifecycle = value_col.lower().startswith("lifecycle")
        cfe = rec.get("Google CFE", "").strip()
        grid = GCP_GRID[region]
        note = (f"Google-published {year} grid intensity ({'lifecycle' if lifecycle else 'operational, location-based'}; "
                f"newest year in the data)")
        if cfe:
            note += f"; Google CFE {round(float(cfe) * 100):d}%"
        rows.append(_row(f"gcp-{region}", f"Google Cloud {region} ({rec['Location'].strip()})", "cloud",
                         aliases=[region, f"gcp:{region}"], parent=_country_of(grid),
                         intensity=float(rec[value_col]), year=year, basis="lifecycle" if lifecycle else "direct",
                         source="gcp-region-carbon-info", grid_location=grid, note=note))
    return rows


def aws_regions(ds: Path) -> list[dict]:
    rows = []
    for rec in _read_csv(ds / "ccf_coefficients" / "grid-emissions-factors-aws.csv"):
        region = rec["Region"].strip()
        grid, label = AWS_GRID[region]
        rows.append(_row(f"aws-{region}", f"AWS {label.split(';')[0]}, {region}", "cloud",
                         aliases=[region, f"aws:{region}"], parent=_country_of(grid), grid_location=grid,
                         note=f"no provider-published intensity: uses the grid value of {grid}"
                              + ("; " + label.split("; ", 1)[1] if ";" in label else "")))
    return rows


def azure_regions(ds: Path, grid_ids: set[str]) -> list[dict]:
    names: dict[str, str] = {}  # display name -> grid id
    for rec in _read_csv(ds / "green_algorithms_v3.0" / "cloudProviders_datacenters.csv", skip=1):
        if rec["provider"].strip() != "azure":
            continue
        name = AZURE_NAME_FIXES.get(rec["Name"].strip(), rec["Name"].strip())
        names[name] = _azure_grid(name, rec["location"].strip(), grid_ids)
    for rec in _read_csv(ds / "ccf_coefficients" / "grid-emissions-factors-azure.csv"):
        name = rec["Region"].strip()
        if _azure_key(name) not in {_azure_key(n) for n in names}:
            names[name] = _azure_grid(name, "", grid_ids)
    rows = []
    for name, grid in sorted(names.items(), key=lambda kv: _azure_key(kv[0])):
        key = _azure_key(name)
        rows.append(_row(f"azure-{key}", "Azure " + name.replace(" (Public)", ""), "cloud", aliases=[key, f"azure:{key}"],
                         parent=_country_of(grid), grid_location=grid,
                         note=f"no provider-published intensity: uses the grid value of {grid}"))
    return rows


def _azure_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\(.*?\)", "", name).lower())


def _azure_grid(name: str, code: str, grid_ids: set[str]) -> str:
    if name in AZURE_LOCATION_OVERRIDES or _strip(name) in AZURE_LOCATION_OVERRIDES:
        return AZURE_LOCATION_OVERRIDES.get(name) or AZURE_LOCATION_OVERRIDES[_strip(name)]
    code = code.lower()
    if code == "cn-hk":
        return "hk"
    if code in grid_ids:
        return code
    country = code.split("-")[0]
    if country in grid_ids:
        return country
    raise SystemExit(f"Azure region {name!r}: no grid region for location {code!r}; add an override")


def _strip(name: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", name).strip()


def _country_of(grid: str) -> str:
    return grid.split("-")[0]


def dedupe_aliases(rows: list[dict], log) -> None:
    """Drop any alias that equals an id or another row's alias (case-insensitive)."""
    ids = {r["id"].lower() for r in rows}
    owners: dict[str, list[str]] = {}
    for r in rows:
        for a in r["aliases"].split():
            owners.setdefault(a.lower(), []).append(r["id"])
    for r in rows:
        keep = []
        for a in r["aliases"].split():
            if a.lower() in ids or len(owners[a.lower()]) > 1:
                log(f"alias {a!r} of {r['id']} collides ({sorted(set(owners[a.lower()]))}); dropped")
                continue
            keep.append(a)
        r["aliases"] = " ".join(keep)


def build_regions(ds: Path, log) -> list[dict]:
    rows = world_and_countries(ds, log)
    rows += us_states(ds)
    rows += canada_provinces(ds)
    rows += china_provinces(ds)
    rows += nordic_zones(ds)
    grid_ids = {r["id"] for r in rows}
    cloud = gcp_regions(ds) + aws_regions(ds) + azure_regions(ds, grid_ids)
    for r in cloud:
        if r["grid_location"] not in grid_ids:
            raise SystemExit(f"{r['id']}: grid_location {r['grid_location']!r} is not a region")
    rows += cloud
    ids = [r["id"] for r in rows]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate region ids: {sorted(dupes)}")
    dedupe_aliases(rows, log)
    return rows


def regions_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# PUE
# --------------------------------------------------------------------------------------------

PUE_PROVIDER_NAMES = {"gcp": "Google Cloud", "aws": "Amazon Web Services", "azure": "Microsoft Azure",
                      "ovhcloud": "OVHcloud", "oracle": "Oracle Cloud"}


def build_pue(ds: Path) -> dict:
    recs = _read_csv(ds / "green_algorithms_v3.0" / "defaults_PUE.csv", skip=1)
    out: dict = {"providers": []}
    for rec in recs:
        provider = rec["provider"].strip()
        pue = float(rec["PUE"])
        src = rec["source"].strip()
        if provider == "Unknown":
            assert "uptimeinstitute" in src, src
            out["default"] = {"id": "global", "name": "Global average data centre (Uptime Institute survey)",
                              "pue": pue, "year": 2024, "source": "uptime-2024"}
        else:
            assert "nutanix.dev/2023" in src, src
            pid = provider.lower()
            out["providers"].append({"id": pid, "name": PUE_PROVIDER_NAMES.get(pid, provider), "pue": pue,
                                     "year": 2023, "source": "nutanix-pue-2023"})
    order = list(PUE_PROVIDER_NAMES)
    out["providers"].sort(key=lambda p: order.index(p["id"]) if p["id"] in order else 99)
    return {"default": out["default"], "providers": out["providers"]}


def pue_yaml(pue: dict) -> str:
    def flow(d: dict) -> str:
        parts = []
        for k, v in d.items():
            parts.append(f"{k}: {json.dumps(v) if isinstance(v, str) else v}")
        return "{" + ", ".join(parts) + "}"

    lines = [
        "# Data-centre PUE defaults (facility energy / IT energy). Generated by scripts/build_data.py",
        "# from green_algorithms_v3.0/defaults_PUE.csv; the sources are defined in sources.yaml.",
        f"default: {flow(pue['default'])}",
        "providers:",
    ]
    lines += [f"  - {flow(p)}" for p in pue["providers"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------------------------


def manifest(ds: Path) -> dict[str, dict[str, str]]:
    out = {}
    for rec in csv.DictReader((ds / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"):
        out[rec["local_file"]] = rec
    return out


def build_sources(ds: Path) -> list[dict]:
    man = manifest(ds)

    def origin(local: str) -> str:
        rec = man.get(local)
        if not rec:
            return "raw file in ../shared/datasets (no MANIFEST.tsv entry)"
        return f"{rec['origin_repo']} {rec['origin_path']} @ {rec['commit_or_release']}"

    return [
        {"id": "ember-co2js", "title": "Yearly electricity data: average lifecycle CO2e intensity per country and region "
                                        "(co2js average-intensities.json)",
         "publisher": "Ember; packaged by the Green Web Foundation (co2js)", "year": 2025,
         "url": "https://ember-energy.org/data/yearly-electricity-data/", "licence": "CC-BY-4.0 (Ember data); co2js Apache-2.0",
         "note": "Lifecycle basis. Data years 2022-2024 per row. " + origin("co2js/average-intensities.json")},
        {"id": "owid-energy-codecarbon", "title": "Energy dataset (electricity carbon intensity per country) as packaged "
                                                  "by codecarbon 3.3.2 (global_energy_mix.json)",
         "publisher": "Our World in Data (from Ember and Energy Institute data); codecarbon", "year": 2024,
         "url": "https://github.com/owid/energy-data", "licence": "CC-BY-4.0 (OWID); codecarbon MIT",
         "note": "Lifecycle basis. Used only for countries absent from the Ember/co2js file. "
                 + origin("codecarbon_3.3.2/private_infra_global_energy_mix.json")},
        {"id": "epa-egrid2023", "title": "eGRID2023: state annual CO2-equivalent total output emission rate (STC2ERTA)",
         "publisher": "US EPA; packaged by codecarbon 3.3.2 (usa_emissions.json)", "year": 2025,
         "url": "https://www.epa.gov/egrid/download-data", "licence": "US public domain (EPA); codecarbon MIT",
         "note": "Direct (combustion) emissions of in-state generation, converted from lb/MWh "
                 "(x 0.45359237). " + origin("codecarbon_3.3.2/private_infra_2023_usa_emissions.json")},
        {"id": "codecarbon-canada-2023", "title": "Canadian provincial electricity generation mix 2023 x per-source "
                                                  "carbon intensity factors (canada_energy_mix.json, carbon_intensity_per_source.json)",
         "publisher": "codecarbon 3.3.2 (Code Carbon NGO)", "year": 2023,
         "url": "https://github.com/mlco2/codecarbon", "licence": "MIT",
         "note": "Intensity computed by build_data.py as the share-weighted mean of the per-source factors "
                 "(coal 995, petroleum 816, gas 743: combustion-based; hydro/wind 26, nuclear 29, solar 48, "
                 "biomass 230: lifecycle). Mixed basis, recorded as lifecycle. "
                 + origin("codecarbon_3.3.2/private_infra_2023_canada_energy_mix.json")},
        {"id": "china-mee-2023", "title": "2023 provincial average electricity CO2 emission factors (MEE/NBS "
                                          "Announcement 2025 No. 47, Table 3)",
         "publisher": "Ministry of Ecology and Environment and National Bureau of Statistics of China; packaged by codecarbon 3.3.2",
         "year": 2025, "url": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/t20251231_1139517.html",
         "licence": "official government publication; codecarbon MIT",
         "note": "CO2 only, direct (no lifecycle). Tibet, Hong Kong, Macao and Taiwan not published. "
                 + origin("codecarbon_3.3.2/private_infra_2023_china_provincial_emissions.json")},
        {"id": "entsoe-nordic-codecarbon", "title": "Swedish and Norwegian bidding-zone intensities, 2025 "
                                                     "(nordic_emissions.json)",
         "publisher": "codecarbon 3.3.2, from ENTSO-E Transparency actual generation per production type", "year": 2025,
         "url": "https://transparency.entsoe.eu/", "licence": "codecarbon MIT; ENTSO-E data terms apply",
         "note": "Production-based mix x codecarbon per-source factors (mixed basis, recorded as lifecycle); "
                 "generation without a factor counted at 0, so low-coverage zones are lower bounds. "
                 + origin("codecarbon_3.3.2/private_infra_nordic_emissions.json")},
        {"id": "gcp-region-carbon-info", "title": "Carbon free energy for Google Cloud regions (region-carbon-info yearly data)",
         "publisher": "Google", "year": 2025, "url": "https://github.com/GoogleCloudPlatform/region-carbon-info",
         "licence": "Apache-2.0",
         "note": "2019-2020 files give lifecycle intensity; 2021 onwards operational (direct) location-based "
                 "grid intensity. The newest year per region is used. " + origin("gcp_region_carbon_info/2024.csv")},
        {"id": "ccf-coefficients", "title": "Cloud Carbon Footprint coefficients (grid-emissions-factors-aws/azure.csv)",
         "publisher": "Cloud Carbon Footprint (Thoughtworks)", "year": 2023,
         "url": "https://github.com/cloud-carbon-footprint/cloud-carbon-coefficients", "licence": "Apache-2.0",
         "note": "Used only for the list of AWS/Azure regions and their country/location; its grid factors are not "
                 "used (several are stale or malformed). " + origin("ccf_coefficients/grid-emissions-factors-aws.csv")},
        {"id": "green-algorithms-v3", "title": "Green Algorithms data v3.0 (cloudProviders_datacenters.csv, defaults_PUE.csv)",
         "publisher": "Green Algorithms (Lannelongue et al.)", "year": 2024,
         "url": "https://github.com/GreenAlgorithms/green-algorithms-tool", "licence": "CC-BY-4.0",
         "note": "Azure region locations and the PUE defaults. "
                 + origin("green_algorithms_v3.0/cloudProviders_datacenters.csv")},
        {"id": "uptime-2024", "title": "Global Data Center Survey 2024 (average PUE), as cited by Green Algorithms v3.0 "
                                       "defaults_PUE.csv",
         "publisher": "Uptime Institute", "year": 2024,
         "url": "https://datacenter.uptimeinstitute.com/rs/711-RIA-145/images/2024.GlobalDataCenterSurvey.Report.pdf",
         "licence": "cited figure (via Green Algorithms, CC-BY-4.0)",
         "note": origin("green_algorithms_v3.0/defaults_PUE.csv")},
        {"id": "nutanix-pue-2023", "title": "Digging into data center efficiency: PUE and the impact of HCI "
                                            "(provider PUEs), as cited by Green Algorithms v3.0 defaults_PUE.csv",
         "publisher": "Nutanix (nutanix.dev)", "year": 2023,
         "url": "https://www.nutanix.dev/2023/05/04/digging-into-data-center-efficiency-pue-and-the-impact-of-hci/",
         "licence": "cited figure (via Green Algorithms, CC-BY-4.0)",
         "note": "Secondary source for the provider figures. " + origin("green_algorithms_v3.0/defaults_PUE.csv")},
    ]


def sources_yaml(sources: list[dict]) -> str:
    head = ("# Sources cited by regions.csv (column 'source') and pue.yaml. Generated by scripts/build_data.py;\n"
            "# 'note' records the basis and the raw file (repository, path @ commit) each figure came from.\n")
    return head + yaml.safe_dump(sources, sort_keys=False, allow_unicode=True, width=110)


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, help="raw datasets folder (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=REPO / "regions", help="output folder (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the files on disk are out of date")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    ds = args.datasets.resolve()
    if not (ds / "MANIFEST.tsv").is_file():
        print(f"error: {ds} does not look like the raw datasets folder (no MANIFEST.tsv)", file=sys.stderr)
        return 2
    log = (lambda msg: None) if args.quiet else (lambda msg: print(f"note: {msg}", file=sys.stderr))

    rows = build_regions(ds, log)
    pue = build_pue(ds)
    sources = build_sources(ds)
    defined = {s["id"] for s in sources}
    used = {r["source"] for r in rows if r["source"]} | {pue["default"]["source"]} | {p["source"] for p in pue["providers"]}
    missing = used - defined
    if missing:
        raise SystemExit(f"sources used but not defined: {sorted(missing)}")

    files = {"regions.csv": regions_csv(rows), "sources.yaml": sources_yaml(sources), "pue.yaml": pue_yaml(pue)}
    if args.check:
        stale = [n for n, text in files.items() if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)} (run python scripts/build_data.py)", file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
    if not args.quiet:
        kinds: dict[str, int] = {}
        for r in rows:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        print(f"wrote {args.out}/regions.csv ({len(rows)} rows: "
              + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + "), sources.yaml, pue.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`wattprint hardware` and `wattprint regions`: list/show in every format, user profiles and their errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

GOOD = """\
id: lab-gpu
name: Lab GPU
vendor: Lab
kind: gpu
aliases: [labby]
tdp_w: 123
sources:
  - {id: s, title: spec sheet, publisher: Lab, year: 2025, fields: [tdp_w]}
"""


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_hardware_list_every_format(cli, fmt):
    code, out, err = cli("hardware", "list", "--kind", "gpu", "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        doc = json.loads(out)
        assert doc["count"] >= 20 and all(p["kind"] == "gpu" for p in doc["profiles"])
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert any(r["id"] == "h100-sxm" for r in rows)
    else:
        assert "h100-sxm" in out


def test_hardware_show_names_sources(cli, cli_json):
    doc = cli_json("hardware", "show", "a100")
    assert doc["id"] == "a100-sxm-80gb" and doc["tdp_w"] == 400
    assert doc["figure_sources"]["tdp_w"] and doc["sources"]
    code, out, _ = cli("hardware", "show", "tpu-v3")
    assert code == 0 and "not published" in out and "measured mean power" in out


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_regions_list_every_format(cli, fmt):
    code, out, err = cli("regions", "list", "--search", "france", "--format", fmt)
    assert code == 0, err
    assert "fr" in out


def test_regions_show_cloud_region_says_its_grid(cli_json):
    doc = cli_json("regions", "show", "us-east-1")
    assert doc["id"] == "aws-us-east-1" and doc["grid_location"] and doc["region_kind"] == "cloud"
    assert doc["intensity_gco2e_per_kwh"] > 0 and doc["year"] and doc["basis"] in ("lifecycle", "direct")
    assert cli_json("regions", "show", "FRA")["id"] == "fr"


def test_regions_list_kind_filter_and_counts(cli_json):
    assert cli_json("regions", "list", "--kind", "country")["count"] >= 200
    assert cli_json("regions", "list", "--kind", "ca-province")["count"] >= 10


def test_unknown_ids_suggest(cli):
    code, _, err = cli("regions", "show", "germny")
    assert code == 2 and "did you mean" in err
    code, _, err = cli("hardware", "show", "a1000")
    assert code == 2 and "did you mean" in err
    code, _, err = cli("hardware", "list", "--kind", "fpga")
    assert code == 2 and "--kind" in err


def test_user_profile_dir_and_hw_file(cli_json, tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "lab.yaml").write_text(GOOD)
    monkeypatch.setenv("WATTPRINT_HWPROFILES", str(folder))
    doc = cli_json("hardware", "show", "labby")
    assert doc["id"] == "lab-gpu" and doc["origin"].endswith("lab.yaml")
    other = tmp_path / "other.yaml"
    other.write_text(GOOD.replace("tdp_w: 123", "tdp_w: 321"))
    assert cli_json("hardware", "show", "lab-gpu", "--hw-file", other)["tdp_w"] == 321  # --hw-file wins


@pytest.mark.parametrize(
    "text,needle",
    [
        (GOOD.replace("tdp_w: 123", "tdp_w: -5"), ":6: field 'tdp_w'"),
        (GOOD.replace("kind: gpu", "kind: fpga"), ":4: field 'kind'"),
        (GOOD.replace("vendor: Lab\n", ""), "missing required field 'vendor'"),
        (GOOD + "watts: 3\n", ":9: unknown field 'watts'"),
        (GOOD.replace("fields: [tdp_w]", "fields: [memory_gb]"), "'tdp_w' has no source"),
        (GOOD.replace("tdp_w: 123", "tdp_w: 123 W"), "field 'tdp_w'"),
        (GOOD.replace("id: lab-gpu", "id: Lab GPU"), "field 'id'"),
        ("id: [unclosed\n", "YAML syntax error"),
    ],
)
def test_invalid_profile_errors_name_file_field_line(cli, tmp_path, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, _, err = cli("hardware", "list", "--hw-file", path)
    assert code == 2 and str(path) in err and needle in err, err
    assert "Traceback" not in err

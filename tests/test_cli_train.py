"""`wattprint train` through the CLI: JSON contract, flags over files, bad input -> exit 2."""

from __future__ import annotations

import json

import pytest

from wattprint.units import KG_PER_LB

STRUBELL_FLAGS = ["--hardware", "p100", "--count", "8", "--hours", "84", "--power", str(1515.43 / 8),
                  "--pue", "1.58", "--intensity", str(0.954 * KG_PER_LB * 1000)]


def test_strubell_transformer_big_via_flags(cli_json):
    doc = cli_json("train", *STRUBELL_FLAGS, "--units", "imperial")
    assert doc["energy_kwh"] == pytest.approx(201, rel=0.01)
    assert doc["co2e_lbs"] == pytest.approx(192, rel=0.01)
    assert doc["inputs"]["hardware_requested"] == "p100"
    assert doc["inputs"]["hardware"].startswith("p100")
    assert doc["inputs"]["pue"] == 1.58
    assert doc["inputs"]["power_basis"] == "given"


def test_json_has_units_in_keys_and_totals_at_top(cli_json):
    doc = cli_json("train", "--hardware", "a100", "--count", "2", "--hours", "10", "--region", "fr")
    for key in ("energy_kwh", "co2e_kg", "accelerators_kwh", "host_kwh", "it_kwh", "pue_overhead_kwh"):
        assert isinstance(doc[key], (int, float)), key
    inputs = doc["inputs"]
    assert inputs["region"] == "fr" and inputs["region_is_default"] is False
    assert inputs["intensity_gco2e_per_kwh"] > 0 and inputs["intensity_year"] and inputs["intensity_source"]
    assert inputs["tdp_w"] and inputs["utilization"] == 1.0 and inputs["power_w"] == inputs["tdp_w"]
    ids = {c["id"] for c in doc["comparisons"]}
    assert {"flight-ny-sf", "human-life-year", "american-life-year", "car-lifetime", "car-km", "smartphone-charge"} <= ids
    assert all(c["source"] and c["source_year"] for c in doc["comparisons"])
    assert doc["data_version"] and doc["wattprint_version"]
    # the result reproduces: energy = count * power * hours * pue
    assert doc["energy_kwh"] == pytest.approx(2 * inputs["power_w"] * 10 / 1000 * inputs["pue"])
    assert doc["co2e_kg"] == pytest.approx(doc["energy_kwh"] * inputs["intensity_gco2e_per_kwh"] / 1000)


def test_spec_file_and_flags_override(cli_json, tmp_path):
    spec = tmp_path / "run.yaml"
    spec.write_text("name: my run\nhardware: v100\ncount: 4\nhours: 10\npue: 1.2\nregion: de\n")
    doc = cli_json("train", spec)
    assert doc["name"] == "my run" and doc["inputs"]["count"] == 4 and doc["inputs"]["region"] == "de"
    doc2 = cli_json("train", spec, "--count", "8", "--intensity", "100")
    assert doc2["inputs"]["count"] == 8
    assert doc2["inputs"]["intensity_gco2e_per_kwh"] == 100 and doc2["inputs"]["region"] == "explicit"
    assert doc2["energy_kwh"] == pytest.approx(2 * doc["energy_kwh"])


def test_table_output_has_the_sections(cli):
    code, out, err = cli("train", *STRUBELL_FLAGS)
    assert code == 0, err
    for text in ("Energy", "Emissions", "air travel", "American life", "smartphone", "Assumptions", "PUE", "1.58"):
        assert text in out
    assert "\x1b[" not in out  # no colour codes off a terminal


def test_markdown_and_csv(cli):
    code, out, _ = cli("train", *STRUBELL_FLAGS, "--format", "markdown")
    assert code == 0 and out.startswith("## Training run") and "| accelerators" in out
    code, out, _ = cli("train", *STRUBELL_FLAGS, "--format", "csv")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    header, row = lines[0].split(","), lines[1].split(",")
    assert float(row[header.index("energy_kwh")]) == pytest.approx(201.13, rel=1e-3)


def test_imperial_units_print_lbs(cli):
    code, out, _ = cli("train", *STRUBELL_FLAGS, "--units", "imperial")
    assert code == 0 and "191.9 lbs" in out and "miles" in out


def test_grid_series_with_start(cli_json, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("series:\n" + "".join(
        f"  - {{timestamp: '2022-07-01T{h:02d}:00Z', intensity_gco2e_per_kwh: {100 + 10 * h}}}\n" for h in range(4)
    ))
    doc = cli_json("train", "--hardware", "a100", "--hours", "2", "--pue", "1", "--grid-file", grid,
                   "--start", "2022-07-01T01:00Z")
    assert doc["inputs"]["intensity_gco2e_per_kwh"] == pytest.approx(115)
    assert doc["inputs"]["intensity_kind"] == "grid-series"


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--hardware", "a1000", "--hours", "1"], "unknown hardware 'a1000'"),
        (["--hardware", "a100", "--hours", "1", "--region", "frnce"], "unknown region 'frnce'"),
        (["--hardware", "a100", "--hours", "-3"], "--hours"),
        (["--hardware", "a100"], "--hours"),
        (["--hardware", "a100", "--hours", "1", "--count", "0"], "--count"),
        (["--hardware", "a100", "--hours", "1", "--pue", "0.9"], "--pue"),
        (["--hardware", "a100", "--hours", "nan"], "--hours"),
        (["--hardware", "a100", "--hours", "1", "--power", "inf"], "--power"),
        (["--hardware", "a100", "--hours", "1", "--intensity", "-5"], "intensity"),
        (["--hardware", "a100", "--hours", "1", "--region", "fr", "--intensity", "5"], "only one of"),
        (["--hardware", "a100", "--hours", "1", "--start", "yesterday"], "ISO 8601"),
        (["--hardware", "a100", "--hours", "1", "--grid-file", "/nonexistent/grid.csv"], "not found"),
    ],
)
def test_bad_flags_exit_2_with_one_line(cli, args, needle):
    code, out, err = cli("train", *args)
    assert code == 2, (out, err)
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_suggestions_for_unknown_ids(cli):
    _, _, err = cli("train", "--hardware", "h10", "--hours", "1")
    assert "did you mean" in err and "h100" in err
    _, _, err = cli("train", "--hardware", "a100", "--hours", "1", "--region", "germny")
    assert "did you mean" in err


@pytest.mark.parametrize(
    "text,needle",
    [
        ("hardware: a100\nhours: 1: 2\n", "bad.yaml:2:9: YAML syntax error"),  # line and column
        ("hardware: a100\nhours: 1\ngpus: 4\n", "unknown field 'gpus'"),
        ("hardware: a100\nhours: 1\ncount: 0\n", "count"),
        ("hardware: a100\nhours: 1\nhost:\n  cpu_power_w: -1\n", "host.cpu_power_w"),
        ("hardware: a100\nhours: .nan\n", "hours"),
        ("- just\n- a list\n", "mapping"),
        ("hours: 3\n", "missing required field 'hardware'"),
    ],
)
def test_bad_spec_files_exit_2(cli, tmp_path, text, needle):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    code, out, err = cli("train", spec)
    assert code == 2, (out, err)
    assert needle in err and str(spec) in err
    assert "Traceback" not in err


def test_unknown_field_names_its_line(cli, tmp_path):
    spec = tmp_path / "run.yaml"
    spec.write_text("hardware: a100\nhours: 1\n\ncolour: blue\n")
    _, _, err = cli("train", spec)
    assert f"{spec}:4: unknown field 'colour'" in err


def test_debug_shows_traceback(tmp_path):
    from typer.testing import CliRunner

    from wattprint.cli import app
    from wattprint.errors import WattprintError

    result = CliRunner().invoke(app, ["--debug", "train", "--hardware", "nope", "--hours", "1"])
    assert isinstance(result.exception, WattprintError)


def test_demo_runs_without_files(cli):
    code, out, err = cli("demo", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "demo" or doc["train"]["energy_kwh"] > 0


def test_epochs_with_hours_would_change_nothing(cli):
    code, out, err = cli("train", "--hardware", "a100", "--hours", "10", "--epochs", "50")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "epochs applies only to model-based runs" in err


def test_power_above_tdp_is_said(cli_json):
    # more than the accelerator: a share of the server (Patterson et al.: 330 W per 300 W V100) or a node's draw
    doc = cli_json("train", "--hardware", "a100", "--hours", "10", "--power", "5000")
    assert any("5000 W per device is 12.5x the a100-sxm-80gb TDP (400 W)" in a for a in doc["assumptions"])
    doc = cli_json("train", "--hardware", "a100", "--hours", "10", "--power", "300")
    assert not any("TDP (400 W)" in a for a in doc["assumptions"])

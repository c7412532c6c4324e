"""Defaults from [tool.wattprint] in pyproject.toml or ~/.config/wattprint/config.toml; flags override."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from wattprint.config import load_user_defaults

SCHEMAS = ROOT / "docs" / "schemas"


def validate(doc: dict, schema: str) -> None:
    import jsonschema

    jsonschema.validate(doc, json.loads((SCHEMAS / schema).read_text()))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with [tool.wattprint], the command run from a subfolder of it."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.wattprint]\nregion = "fr"\nhardware = "a100"\npue = 1.25\nunits = "imperial"\n')
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    return tmp_path


def test_found_upward_and_validated(project):
    d = load_user_defaults()
    assert d.values == {"region": "fr", "hardware": "a100", "pue": 1.25, "units": "imperial"}
    assert d.source == f"{project / 'pyproject.toml'} [tool.wattprint]"


def test_infer_takes_the_defaults_and_says_so(cli, cli_json, project, tiny_model):
    doc = cli_json("infer", tiny_model)
    validate(doc, "infer-result.schema.json")
    assert doc["inputs"]["hardware"] == "a100-sxm-80gb" and doc["inputs"]["region"] == "fr"
    assert doc["inputs"]["pue"] == 1.25 and doc["inputs"]["pue_basis"] == "given"
    assert doc["config_defaults"] == {"file": f"{project / 'pyproject.toml'} [tool.wattprint]",
                                      "applied": {"hardware": "a100", "region": "fr", "pue": 1.25, "units": "imperial"}}
    code, out, _ = cli("infer", tiny_model, "--rate", "1e6/day")
    assert code == 0 and "config defaults" in out and "lbs" in out  # imperial units from the file
    assert "pyproject.toml [tool.wattprint]" in " ".join(out.split())


def test_flags_override_the_defaults(cli_json, project, tiny_model):
    doc = cli_json("infer", tiny_model, "--hardware", "l4", "--intensity", "100", "--pue", "1.1")
    assert doc["inputs"]["hardware"] == "l4" and doc["inputs"]["intensity_gco2e_per_kwh"] == 100
    assert doc["config_defaults"]["applied"] == {"units": "imperial"}  # region skipped: --intensity given


def test_train_spec_fields_beat_the_defaults(cli_json, project):
    spec = project / "run.yaml"
    spec.write_text("hardware: v100\ncount: 2\nhours: 10\nregion: pl\n")
    doc = cli_json("train", spec)
    validate(doc, "train-result.schema.json")
    assert doc["inputs"]["hardware"] == "v100-sxm2-16gb" and doc["inputs"]["region"] == "pl"
    assert doc["inputs"]["pue"] == 1.25
    assert doc["config_defaults"]["applied"] == {"units": "imperial", "pue": 1.25}
    doc = cli_json("train", "--count", "2", "--hours", "10")  # hardware and region from the file
    assert doc["inputs"]["hardware"] == "a100-sxm-80gb" and doc["inputs"]["region"] == "fr"


def test_user_config_toml(cli_json, tmp_path, monkeypatch, tiny_model):
    home = tmp_path / "cfg"
    (home / "wattprint").mkdir(parents=True)
    (home / "wattprint" / "config.toml").write_text('provider = "aws"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    doc = cli_json("infer", tiny_model)
    assert doc["inputs"]["pue_basis"] == "Amazon Web Services published average"
    assert doc["config_defaults"] == {"file": str(home / "wattprint" / "config.toml"), "applied": {"provider": "aws"}}


def test_no_config_no_key(cli_json, tmp_path, monkeypatch, tiny_model):
    monkeypatch.chdir(tmp_path)
    assert "config_defaults" not in cli_json("infer", tiny_model)


@pytest.mark.parametrize("table, message", [
    ('regoin = "fr"', "unknown key 'regoin'"),
    ("pue = 0.9", "pue = 0.9 must be a number >= 1.0"),
    ('units = "si"', "units = 'si' must be 'metric' or 'imperial'"),
    ("hardware = 3", "hardware = 3 must be a non-empty string"),
    ("region = [", "not valid TOML"),
])
def test_bad_config_is_one_line_exit_2(cli, tmp_path, monkeypatch, tiny_model, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.wattprint]\n{table}\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("infer", tiny_model)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err and "pyproject.toml" in err

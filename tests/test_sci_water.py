"""SCI (ISO/IEC 21031:2024) and on-site water, by hand, through the CLI, and in `check`."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT

SCHEMAS = ROOT / "docs" / "schemas"
# a100 (any alias): die 13.22 kgCO2e (LLMCarbon, 7nm x 8.26 cm2) + host slot 312.5 kg, over 5 x 8760 h
A100_TE_G = (13.22 + 312.5) * 1000
H100_TE_G = (14.65 + 312.5) * 1000
LIFE_H = 5 * 8760


def validate(doc: dict, schema: str) -> None:
    import jsonschema

    jsonschema.validate(doc, json.loads((SCHEMAS / schema).read_text()))


TRAIN = ("train", "--hardware", "a100", "--count", "8", "--hours", "100", "--power", "300", "--pue", "1.5",
         "--intensity", "400")


def test_train_sci_per_run_hand_computed(cli_json):
    doc = cli_json(*TRAIN, "--functional-unit", "run")
    validate(doc, "train-result.schema.json")
    sci = doc["sci"]
    # E = 8 x 300 W x 100 h = 240 kWh IT, x PUE 1.5 = 360 kWh; E x I = 360 x 400 = 144,000 g
    assert sci["E_kwh"] == pytest.approx(360.0) and sci["I_gco2e_per_kwh"] == 400
    assert sci["operational_gco2e"] == pytest.approx(144_000.0)
    # M = 8 devices x TE x 100 h / 43,800 h = 5,949.22 g
    assert sci["M_gco2e"] == pytest.approx(8 * A100_TE_G * 100 / LIFE_H, rel=1e-6)
    assert sci["M_gco2e"] == pytest.approx(5949.22, abs=0.01)
    assert sci["sci_gco2e_per_unit"] == pytest.approx(149_949.22, abs=0.01)
    assert sci["R"] == 1 and sci["functional_unit"] == "run"
    assert "as given" in sci["I_basis"] and any("PUE 1.5" in b for b in sci["boundary"])


def test_infer_sci_per_inference(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--region", "fr", "--functional-unit", "inference")
    validate(doc, "infer-result.schema.json")
    sci, e_j, t_s = doc["sci"], doc["energy_per_inference_j"], doc["time_per_inference_s"]
    intensity = doc["inputs"]["intensity_gco2e_per_kwh"]
    # (the JSON rounds joules to 6 decimals, so figures rebuilt from it agree to about 1e-3)
    assert sci["E_kwh"] == pytest.approx(e_j / 3.6e6, rel=1e-3)
    assert sci["operational_gco2e"] == pytest.approx(sci["E_kwh"] * intensity, rel=1e-5)
    assert sci["M_gco2e"] == pytest.approx(H100_TE_G * t_s / 3600 / LIFE_H, rel=1e-4)
    assert sci["sci_gco2e_per_unit"] == pytest.approx(sci["operational_gco2e"] + sci["M_gco2e"], rel=1e-5)
    assert sci["I_basis"].startswith("location-based: fr")


def test_sci_only_when_asked_and_in_the_table(cli, cli_json, tiny_model):
    assert "sci" not in cli_json("infer", tiny_model)
    code, out, _ = cli("infer", tiny_model, "--functional-unit", "inference")
    assert code == 0 and "SCI (ISO/IEC 21031:2024)" in out and "M (embodied)" in out and "boundary" in out


@pytest.mark.parametrize("unit", ["token", "request"])
def test_token_and_request_need_a_generation_workload(cli, tiny_model, unit):
    code, out, err = cli("infer", tiny_model, "--functional-unit", unit)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"--functional-unit {unit}" in err and "not a generation workload" in err


def test_unit_that_does_not_fit(cli, tiny_model):
    code, _, err = cli(*TRAIN, "--functional-unit", "inference")
    assert code == 2 and "does not apply to a training run" in err
    code, _, err = cli("infer", tiny_model, "--functional-unit", "run")
    assert code == 2 and "needs a serving volume" in err


def test_sci_not_known_without_an_embodied_figure(cli_json, tiny_model):
    sci = cli_json("infer", tiny_model, "--hardware", "a10", "--functional-unit", "inference")["sci"]
    assert sci["sci_gco2e_per_unit"] is None and sci["M_gco2e"] is None
    assert "'a10' has no published embodied figure" in sci["missing"]


def test_water_from_published_wue(cli_json):
    # IT energy 240 kWh; Azure FY2024 WUE 0.30 L/kWh -> 72 L; AWS 2021 0.25 L/kWh -> 60 L
    azure = cli_json(*TRAIN, "--provider", "azure")["water"]
    assert azure["litres"] == pytest.approx(72.0) and azure["wue_l_per_kwh"] == 0.30 and "Microsoft" in azure["source"]
    assert cli_json(*TRAIN, "--provider", "aws")["water"]["litres"] == pytest.approx(60.0)


def test_water_not_known_elsewhere(cli, cli_json, tiny_model):
    gcp = cli_json(*TRAIN, "--provider", "gcp")["water"]
    assert gcp["litres"] is None and "gcp" in gcp["not_known_reason"]
    none = cli_json("infer", tiny_model)["water"]
    assert none["per_inference"]["litres"] is None and "no cloud provider" in none["per_inference"]["not_known_reason"]
    code, out, _ = cli(*TRAIN)
    assert code == 0 and re.search(r"water of the run +not known \(no cloud provider", out)


def test_infer_water_per_inference_and_at_volume(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--provider", "aws", "--inferences", "1e9")
    per = doc["water"]["per_inference"]
    assert per["litres"] == pytest.approx(doc["system_energy_per_inference_j"] / 3.6e6 * 0.25, rel=1e-5)
    assert doc["water"]["at_volume"]["litres"] == pytest.approx(per["litres"] * 1e9, rel=1e-5)


def _budget(tmp_path, model: str, hardware: str, limit: str) -> None:
    import shutil

    shutil.copy(model, tmp_path / "m.onnx")  # budget paths are relative to the budget file
    (tmp_path / "wattprint.yaml").write_text(
        f"targets:\n  - name: m\n    model: m.onnx\n    hardware: {hardware}\n"
        f"    assertions:\n      - {{metric: sci, max: '{limit}'}}\n")


def test_check_asserts_on_sci(cli, cli_json, tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    score = cli_json("infer", tiny_model, "--hardware", "a100", "--functional-unit", "inference")["sci"]["sci_gco2e_per_unit"]
    _budget(tmp_path, tiny_model, "a100", f"{score * 2:.6g} g")
    code, out, err = cli("check", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["targets"][0]["metrics"]["sci"] == pytest.approx(score, rel=1e-5)
    _budget(tmp_path, tiny_model, "a100", f"{score / 2:.6g} g")
    assert cli("check")[0] == 1


def test_check_sci_not_known_is_an_input_error(cli, tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _budget(tmp_path, tiny_model, "a10", "1 g")
    code, _, err = cli("check")
    assert code == 2 and err.count("\n") == 1 and "metric 'sci' cannot be computed" in err


GEN = ("infer", "llama-3.1-8b", "--prompt-tokens", "512", "--output-tokens", "256", "--hardware", "h100-sxm",
       "--intensity", "400", "--pue", "1.2")


@pytest.mark.parametrize("unit", ["token", "request"])
def test_generation_sci_per_token_and_request(cli_json, unit):
    doc = cli_json(*GEN, "--functional-unit", unit)
    sci, g = doc["sci"], doc["generation"]
    per = g["energy_per_output_token_j"] if unit == "token" else g["energy_per_request_j"]
    assert sci["functional_unit"] == unit and sci["E_kwh"] == pytest.approx(per / 3.6e6, rel=1e-4)
    assert sci["operational_gco2e"] == pytest.approx(per / 3.6e6 * 400, rel=1e-4)
    # M: one device reserved for the request's time (concurrency 1), per token over 256 tokens
    busy_s = g["time_per_request_s"] / (256 if unit == "token" else 1)
    assert sci["M_gco2e"] == pytest.approx(H100_TE_G * busy_s / 3600 / LIFE_H, rel=1e-3)
    assert sci["sci_gco2e_per_unit"] == pytest.approx(sci["operational_gco2e"] + sci["M_gco2e"], rel=1e-5)


def test_generation_sci_rejects_inference_unit(cli):
    code, _, err = cli(*GEN, "--functional-unit", "inference")
    assert code == 2 and "does not apply to a generation workload" in err


def test_generation_water_per_request_and_at_volume(cli_json):
    import jsonschema

    doc = cli_json(*GEN, "--provider", "azure", "--rate", "1e6/day", "--functional-unit", "request")
    jsonschema.validate(doc, json.loads((SCHEMAS / "generation-result.schema.json").read_text()))
    per = doc["water"]["per_request"]
    # Azure FY2024 WUE 0.30 L/kWh x the node's energy per request (before PUE)
    assert per["litres"] == pytest.approx(doc["generation"]["system_energy_per_request_j"] / 3.6e6 * 0.30, rel=1e-4)
    assert doc["water"]["at_volume"]["litres"] == pytest.approx(per["litres"] * 365e6, rel=1e-4)

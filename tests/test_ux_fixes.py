"""Fixes from issue 13: demo CSV, what-if and lifecycle JSON against the published schemas, check's hint,
like-with-like hardware comparison."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import ROOT

SCHEMAS = ROOT / "docs" / "schemas"


def validate(doc: dict, schema: str) -> None:
    import jsonschema

    jsonschema.validate(doc, json.loads((SCHEMAS / schema).read_text()))


def test_demo_csv_has_both_parts(cli):
    code, out, _ = cli("demo", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["part"] for r in rows] == ["training", "inference"]
    train, infer = rows
    assert float(train["energy_kwh"]) == pytest.approx(262.08)  # 8 x 250 W x 84 h x PUE 1.56
    assert infer["hardware"] == "h100-sxm" and float(infer["inferences"]) == pytest.approx(365e6)
    assert float(infer["co2e_kg"]) == pytest.approx(float(infer["co2e_per_inference_g"]) * 365e6 / 1000, rel=1e-4)


def test_what_if_json_validates(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--compare-region", "fr,pl", "--compare-hardware", "a100,l4")
    validate(doc, "infer-result.schema.json")
    assert {a["id"] for a in doc["what_if_regions"]} >= {"fr", "pl"}
    doc = cli_json("train", "--hardware", "a100", "--count", "2", "--hours", "5", "--compare-region", "fr",
                   "--compare-hardware", "h100")
    validate(doc, "train-result.schema.json")
    assert sum(a["chosen"] for a in doc["what_if_hardware"]) == 1


def test_what_if_schema_rejects_a_malformed_alternative(cli_json, tiny_model):
    import jsonschema

    doc = cli_json("infer", tiny_model, "--compare-region", "fr")
    doc["what_if_regions"][0]["co2e_kg"] = "a lot"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, "infer-result.schema.json")


def test_lifecycle_json_has_its_schema(cli_json, tiny_model):
    doc = cli_json("lifecycle", "--model", tiny_model, "--hardware", "a100", "--count", "8", "--hours", "10")
    assert doc["$schema"] == "https://wattprint.dev/schemas/lifecycle-result-1.json"
    validate(doc, "lifecycle-result.schema.json")
    assert json.loads((SCHEMAS / "lifecycle-result.schema.json").read_text())["$id"] == doc["$schema"]


def test_check_does_not_suggest_a_flag_it_lacks(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text("hardware: a100\ncount: 2\nhours: 5\n")
    (tmp_path / "wattprint.yaml").write_text(
        "targets:\n  - name: run\n    spec: run.yaml\n    assertions:\n      - {metric: co2e, max: 1 t}\n")
    code, out, err = cli("check")
    assert code == 0
    assert "embodied: true" in err and "pass --embodied" not in out + err


def test_compare_hardware_like_with_like(cli_json):
    # a100 (a100-sxm-80gb, TDP 400 W) at a given 310 W = 0.775 of TDP; h100-sxm (700 W) -> 542.5 W; v100 (300 W) -> 232.5 W
    doc = cli_json("train", "--hardware", "a100", "--count", "8", "--hours", "100", "--power", "310",
                   "--compare-hardware", "h100,v100")
    detail = {a["id"]: a["detail"] for a in doc["what_if_hardware"]}
    assert detail["a100-sxm-80gb"].endswith("at 310 W")
    assert detail["h100-sxm"].endswith("at 542.5 W") and detail["v100-sxm2-16gb"].endswith("at 232.5 W")


def test_compare_hardware_caption_says_how(cli):
    code, out, _ = cli("train", "--hardware", "a100", "--count", "8", "--hours", "100", "--power", "310",
                       "--compare-hardware", "h100")
    assert code == 0 and "the given 310 W is 0.775 of the a100-sxm-80gb TDP" in " ".join(out.split())

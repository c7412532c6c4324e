"""`wattprint validate` and the fitted coefficients: reproducible, current, and honest about what they cover."""

from __future__ import annotations

import importlib.util
import math

import pytest
import yaml

from conftest import ROOT
from wattprint.datafiles import package_data
from wattprint.energy.device import default_coefficients
from wattprint.measured import load_measured
from wattprint.validation import THRESHOLDS, build_cases, validate


def _fit_script():
    spec = importlib.util.spec_from_file_location("fit_energy", ROOT / "scripts" / "fit_energy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_coefficients_were_fitted_on_the_shipped_data():
    """Changing the measured set or a hardware profile without rerunning scripts/fit_energy.py fails here."""
    doc = yaml.safe_load(package_data("energy-coefficients.yaml").read_text(encoding="utf-8"))
    assert doc["data_version"] == _fit_script().fingerprint()
    assert "scripts/fit_energy.py" in doc["basis"]
    co = default_coefficients()
    assert "pooled" in co.families and set(co.kind_factor) == {"conv", "gemm", "recurrent", "vector"}
    low, high = co.error_band
    assert 0 < low < 1 < high


def test_every_excluded_point_says_why_and_the_rest_are_reproducible():
    points = load_measured()
    excluded = [p for p in points if p.exclude]
    assert excluded and all(len(p.exclude) > 20 for p in excluded)
    families = {p.source_kind for p in points if not p.exclude}
    assert families == {"mlperf", "mlenergy"}


@pytest.fixture(scope="module")
def mlperf_report():
    chosen = [p for p in load_measured() if p.source_kind == "mlperf" and p.hardware in ("a2", "l4", "h100-pcie")]
    return validate(build_cases(chosen), cross_validate=False)


def test_report_rows_and_summaries(mlperf_report):
    rows = [r for r in mlperf_report.rows if not r.excluded]
    assert rows and all(r.estimated_j and r.estimated_j > 0 and math.isfinite(r.ratio) for r in rows)
    assert mlperf_report.overall.points == len(rows)
    assert len(mlperf_report.overall.within) == len(THRESHOLDS)
    shares = mlperf_report.overall.within
    assert 0 <= shares[0] <= shares[1] <= shares[2] <= 1
    # in-sample, these points are within the model's accuracy target of 2x (docs/validation.md)
    assert all(0.4 <= r.ratio <= 2.5 for r in rows), [(r.id, round(r.ratio, 2)) for r in rows]
    assert {s.group for s in mlperf_report.by_hardware_family} == {"ampere", "ada", "hopper"}


def test_validate_cli_json(cli_json):
    import json

    import jsonschema

    doc = cli_json("validate", "--source", "mlperf", "--no-cv", "--summary-only")
    jsonschema.validate(doc, json.loads((ROOT / "docs" / "schemas" / "validation-result.schema.json").read_text()))
    assert doc["kind"] == "validation" and doc["overall"]["points"] > 50
    assert doc["overall"]["cross_validated"] is None
    assert 0.8 <= doc["overall"]["geomean_ratio"] <= 1.25
    assert doc["overall"]["within_2x"] >= 0.9
    ids = {p["id"] for p in doc["points"]}
    assert "mlperf-v3.1-001" in ids and all(p["source"] for p in doc["points"])


def test_validate_bad_source(cli):
    code, _, err = cli("validate", "--source", "nope")
    assert code == 2 and "--source 'nope'" in err


def test_readme_quotes_the_current_validation():
    """The README's headline accuracy is the one docs/validation.md (written by scripts/fit_energy.py) reports."""
    import re

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    doc = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    row = re.search(r"^\| all \| (\d+) \| ([\d.]+) \| (\d+)% / (\d+)% / (\d+)% \| ([\d.]+) \| (\d+)% / (\d+)% / (\d+)% \|",
                    doc, re.M)
    assert row, "docs/validation.md has no summary row for all points"
    n, gm, _, w15, w2, cv_gm, _, cv15, cv2 = row.groups()
    assert f"fitted on {n} published measurements" in readme
    assert f"geometric mean of {gm}, {w15}% of points within 1.5x and {w2}% within 2x" in readme
    assert f"the figures are {cv_gm}, {cv15}% and {cv2}%" in readme
    prose = " ".join(doc.split("## Latest results")[0].split())
    assert f"In sample ({n} points), estimate / measured has a geometric mean of {gm}; {w15}% of points are within " \
           f"1.5x and {w2}% within 2x" in prose
    assert f"the geometric mean is {cv_gm} but only {cv15}% of points are within 1.5x and {cv2}% within 2x" in prose


def test_llm_rows_run_at_the_published_steady_state_batch():
    """An ML.ENERGY row is estimated at the batch the server ran (its published avg_batch_size), even where that is
    more sequences than fit at full length: gpt-oss-120b on 2 x H100 at max_num_seqs 2048 ran 1915.5 on average."""
    from wattprint.validation import measured_batch

    assert measured_batch("TP=2; avg_batch_size(steady state)=1915.5; energy_per_request=148.1 J") == 1916
    assert measured_batch("avg_batch_size(steady state)=0.2") == 1
    assert measured_batch("no batch published") is None and measured_batch(None) is None
    rows = {p.id: p for p in load_measured() if p.id in ("mlenergy-v3-066", "mlenergy-v3-012")}
    cases = {c.point.id: c for c in build_cases(list(rows.values()))}
    assert cases["mlenergy-v3-066"].batch == 1916  # max_num_seqs 2048; full-length memory would admit ~950
    assert cases["mlenergy-v3-012"].batch == 256  # 255.6 of 256

"""`wattprint check`: carbon budgets end to end through the real CLI.

The model targets are tiny ONNX graphs built here: one MatMul x[1,N] @ W[N,N], so
MACs = params = N*N by hand (N=64: 4,096; N=128: 16,384). Growing N past a limit
must turn a passing check into a failing one.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wattprint.check import load_budget
from wattprint.check.evaluate import evaluate_assertion
from wattprint.check.load import Assertion
from wattprint.check.metrics import parse_count, parse_percent
from wattprint.check.schema import budget_json_schema
from wattprint.errors import WattprintError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "docs" / "schemas" / "budget.schema.json"


def make_model(path: Path, n: int) -> Path:
    """x[1,n] @ W[n,n]: n*n MACs and n*n parameters."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.zeros((n, n), dtype=np.float32), "W")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")], "mlp", [x], [y], [weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


BUDGET = """\
targets:
  - name: mlp
    model: models/mlp.onnx
    hardware: h100-sxm
    intensity: 100
    inferences: 1e6
    assertions:
{assertions}
    message: Shrink the model or raise the budget in wattprint.yaml.
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository (with .git) holding models/mlp.onnx (N=64) and a helper to write wattprint.yaml."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "models").mkdir()
    make_model(tmp_path / "models" / "mlp.onnx", 64)
    monkeypatch.chdir(tmp_path)

    class Repo:
        root = tmp_path

        @staticmethod
        def budget(*assertions: str, name: str = "wattprint.yaml", template: str = BUDGET) -> Path:
            body = "\n".join(f"      - {a}" for a in assertions)
            path = tmp_path / name
            path.write_text(template.format(assertions=body))
            return path

        @staticmethod
        def grow(n: int = 128) -> None:
            make_model(tmp_path / "models" / "mlp.onnx", n)

    return Repo()


def run_json(cli, *args):
    code, out, err = cli("check", "--format", "json", *args)
    return code, json.loads(out), err


# ----------------------------------------------------------------------------- pure core


def test_counts_percentages_and_limits():
    assert parse_count(4100000000, "f") == 4.1e9
    assert parse_count("4.1G", "f") == pytest.approx(4.1e9)
    assert parse_count("25.6M", "f") == pytest.approx(25.6e6)
    assert parse_count("300k", "f") == 300_000
    assert parse_count("1.5e3", "f") == 1500
    assert parse_percent("5%", "f") == 5.0 and parse_percent("12.5 %", "f") == 12.5
    for bad in ("5 mJ", "4.1 GB", True, "-3"):
        with pytest.raises(WattprintError):
            parse_count(bad, "f")
    with pytest.raises(WattprintError, match="bare number"):
        parse_percent(5, "f")


def test_relative_assertion_and_floor_by_hand():
    # baseline 2.0 mJ, now 2.3 mJ: +15%, an increase of 0.3 mJ
    pct = Assertion("energy_per_inference", "max_increase", "error", 5.0, None, "5%", 3)
    r = evaluate_assertion(pct, 2.3e-3, 2.0e-3, None)
    assert r.status == "fail" and r.delta_pct == pytest.approx(15.0) and r.limit == pytest.approx(2.1e-3)
    high_floor = Assertion("energy_per_inference", "max_increase", "error", 5.0, 0.5e-3, "5%", 3)
    assert evaluate_assertion(high_floor, 2.3e-3, 2.0e-3, None).status == "pass"  # 0.3 mJ < 0.5 mJ floor
    low_floor = Assertion("energy_per_inference", "max_increase", "warn", 5.0, 0.1e-3, "5%", 3)
    assert evaluate_assertion(low_floor, 2.3e-3, 2.0e-3, None).status == "warn"  # both exceeded, warn level
    assert evaluate_assertion(pct, 2.1e-3, 2.0e-3, None).status == "pass"  # +5% exactly holds
    assert evaluate_assertion(pct, 2.3e-3, None, "no baseline").status == "skipped"
    zero = evaluate_assertion(pct, 1.0, 0.0, None)
    assert zero.status == "fail" and math.isinf(zero.delta_pct)


def test_committed_schema_is_generated_from_the_model():
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == budget_json_schema(), (
        "docs/schemas/budget.schema.json is stale; regenerate with: python -c \"import json, wattprint.check.schema as s; "
        "print(json.dumps(s.budget_json_schema(), indent=2, ensure_ascii=False))\" > docs/schemas/budget.schema.json"
    )


def test_examples_validate_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    examples = sorted((ROOT / "examples").glob("**/wattprint.yaml"))
    assert examples
    for path in examples:
        jsonschema.validate(yaml.safe_load(path.read_text()), budget_json_schema())
        load_budget(path)  # and the loader agrees
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"targets": [{"name": "x", "model": "m", "assertions": [{"metric": "latency", "max": "1 s"}]}]},
                            budget_json_schema())


# ----------------------------------------------------------------------------- pass / warn / fail


def test_pass_with_hand_computed_metrics(cli, repo):
    repo.budget("{metric: macs, max: 5k}", "{metric: params, max: 4096}", "{metric: energy_per_inference, max: 10 mJ}",
                "{metric: co2e, max: 1 kg}", "{metric: energy, max: 1 kWh}")
    code, doc, err = run_json(cli)
    assert code == 0, err
    assert doc["kind"] == "check" and doc["status"] == "pass" and doc["summary"]["passed"] == 5
    t = doc["targets"][0]
    assert t["metrics"]["macs"] == 64 * 64 and t["metrics"]["params"] == 64 * 64
    epi = t["metrics"]["energy_per_inference"]  # J
    # (rel 1e-3: the JSON keeps 6 decimals of each figure)
    assert t["metrics"]["energy"] == pytest.approx(epi * 1e6, rel=1e-3)  # 1e6 inferences
    assert t["metrics"]["co2e"] == pytest.approx(epi * 1e6 / 3.6e6 * 100, rel=1e-3)  # 100 gCO2e/kWh, grams
    assert t["metrics"]["co2e_per_inference"] == pytest.approx(epi / 3.6e6 * 100, rel=1e-3)
    macs = t["assertions"][0]
    assert macs["limit"] == 5000 and macs["actual"] == 4096 and macs["unit"] == "" and macs["line"] == 8
    assert t["assertions"][2]["limit"] == pytest.approx(1e-2) and t["assertions"][2]["unit"] == "J"
    assert t["assertions"][3]["limit"] == pytest.approx(1000.0) and t["assertions"][3]["unit"] == "g"
    assert t["assertions"][4]["limit"] == pytest.approx(3.6e6)
    assert "wattprint check: PASS" in err  # the summary goes to stderr for machine formats


def test_table_is_plain_and_model_growth_fails(cli, repo):
    repo.budget("{metric: macs, max: 10k}", "{metric: energy_per_inference, max: 10 mJ}")
    code, out, _ = cli("check")
    assert code == 0
    assert "\x1b[" not in out and "metric" in out and "limit" in out and "baseline" in out and "pass" in out
    assert "wattprint check: PASS: 0 failed, 0 warnings, 2 passed, 0 skipped in 1 target (wattprint.yaml)" in out
    repo.grow(128)  # 16,384 MACs > 10k
    code, out, _ = cli("check")
    assert code == 1
    assert "fail" in out and "16.4 k" in out and "What to do: Shrink the model" in out


def test_warn_level_passes(cli, repo):
    repo.budget("{metric: macs, max: 1k, level: warn}", "{metric: params, max: 5k}")
    code, doc, err = run_json(cli)
    assert code == 0, err
    assert doc["status"] == "warn" and doc["summary"]["warnings"] == 1 and doc["summary"]["failed"] == 0
    assert [a["status"] for a in doc["targets"][0]["assertions"]] == ["warn", "pass"]


def test_fail_on_warn_and_report_only(cli, repo):
    repo.budget("{metric: macs, max: 1k, level: warn}")
    assert cli("check")[0] == 0
    code, out, _ = cli("check", "--fail-on", "warn")
    assert code == 1 and "--fail-on warn" in out
    repo.budget("{metric: macs, max: 1k}")
    assert cli("check")[0] == 1
    code, out, _ = cli("check", "--report-only")
    assert code == 0 and "FAIL" in out and "--report-only" in out


def test_junit_and_output_files(cli, repo):
    repo.budget("{metric: macs, max: 1k}", "{metric: params, max: 1k}", "{metric: energy_per_inference, max: 1 J}",
                "{metric: co2e, max: 1 ng, level: warn}", "{metric: macs, max_increase: 5%}")
    code, _, err = cli("check", "-o", "out/report.md")  # a missing folder is never created
    assert code == 2 and "folder out does not exist" in err and not Path("out").exists()
    Path("out").mkdir()
    code, out, _ = cli("check", "--format", "junit", "-o", "report.json", "-o", "out/report.md", "-o", "report.xml")
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.get("tests") == "5" and root.get("failures") == "2"
    assert root.get("skipped") == "1"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 5 and len(root.findall("./testsuite/testcase/failure")) == 2
    assert ET.parse("report.xml").getroot().get("failures") == "2"
    assert json.loads(Path("report.json").read_text())["summary"]["failed"] == 2
    assert Path("out/report.md").read_text().startswith("## ❌ wattprint check: fail")
    # --fail-on warn counts the warning as a JUnit failure too
    _, out, _ = cli("check", "--format", "junit", "--fail-on", "warn")
    assert ET.fromstring(out).get("failures") == "3"
    assert cli("check", "-o", "report.txt")[0] == 2


def test_markdown_on_stdout_summary_on_stderr(cli, repo):
    repo.budget("{metric: macs, max: 1k}")
    code, out, err = cli("check", "--format", "markdown")
    assert code == 1
    assert out.startswith("## ❌ wattprint check: fail") and "| macs | 4.1 k | 1 k |" in out
    assert "**What to do:** Shrink the model" in out
    assert "wattprint check: FAIL" in err and "wattprint check: FAIL" not in out


# ----------------------------------------------------------------------------- baselines


def test_missing_baseline_skips_relative_checks(cli, repo):
    repo.budget("{metric: macs, max_increase: 5%}", "{metric: params, max: 5k}")
    code, doc, err = run_json(cli)
    assert code == 0 and "no baseline given" in err
    assert doc["targets"][0]["assertions"][0]["status"] == "skipped" and doc["summary"]["skipped"] == 1
    code, doc, err = run_json(cli, "--baseline", "nowhere.json")
    assert code == 0 and "nowhere.json not found" in err and doc["baseline_found"] is False
    assert doc["targets"][0]["assertions"][0]["status"] == "skipped"


def test_write_baseline_then_relative_checks(cli, repo):
    repo.budget("{metric: macs, max_increase: 5%}", "{metric: energy_per_inference, max_increase: 5%}")
    code, out, _ = cli("check", "--write-baseline", "baseline.json")
    assert code == 0 and "baseline written to baseline.json" in out
    base = json.loads(Path("baseline.json").read_text())
    assert base["kind"] == "check" and base["targets"][0]["metrics"]["macs"] == 4096
    code, doc, _ = run_json(cli, "--baseline", "baseline.json")
    assert code == 0 and doc["baseline_found"] and doc["baseline_mismatch"] is False
    assert [a["delta_pct"] for a in doc["targets"][0]["assertions"]] == [0, 0]
    repo.grow(128)  # 4,096 -> 16,384 MACs: +300%
    code, doc, _ = run_json(cli, "--baseline", "baseline.json")
    assert code == 1
    macs = doc["targets"][0]["assertions"][0]
    assert macs["status"] == "fail" and macs["delta_pct"] == pytest.approx(300.0) and macs["baseline"] == 4096
    assert macs["limit"] == pytest.approx(4096 * 1.05)


def test_relative_failure_with_and_without_floor(cli, repo):
    repo.budget("{metric: macs, max_increase: 5%}")
    assert cli("check", "--write-baseline", "baseline.json")[0] == 0
    repo.grow(66)  # 4,356 MACs: +6.35%, an increase of 260
    assert cli("check", "--baseline", "baseline.json")[0] == 1  # no floor: the % alone fails
    repo.budget("{metric: macs, max_increase: 5%, floor: 1k}")
    code, out, _ = cli("check", "--baseline", "baseline.json")
    assert code == 0 and "under the floor" in out  # +6.35% but only +260 < 1,000
    repo.budget("{metric: macs, max_increase: 5%, floor: 200}")
    code, doc, _ = run_json(cli, "--baseline", "baseline.json")
    assert code == 1 and doc["targets"][0]["assertions"][0]["delta_pct"] == pytest.approx(100 * 260 / 4096)


def test_baseline_with_other_hardware_is_flagged(cli, repo):
    repo.budget("{metric: energy_per_inference, max_increase: 50%}")
    assert cli("check", "--write-baseline", "baseline.json")[0] == 0
    (repo.root / "wattprint.yaml").write_text((repo.root / "wattprint.yaml").read_text().replace("h100-sxm", "a100-sxm-80gb"))
    code, doc, err = run_json(cli, "--baseline", "baseline.json")
    assert "other assumptions" in err and "hardware h100-sxm (baseline)" in err
    assert doc["baseline_mismatch"] is True
    mismatch = doc["targets"][0]["baseline_mismatch"]
    assert mismatch == [{"field": "hardware", "baseline": "h100-sxm", "current": "a100-sxm-80gb"}]
    code, out, err = cli("check", "--baseline", "baseline.json")
    assert "other assumptions" in err


def test_infer_json_is_a_baseline_for_one_target(cli, repo):
    repo.budget("{metric: macs, max_increase: 5%}", "{metric: co2e, max_increase: 10%}")
    code, out, _ = cli("infer", "models/mlp.onnx", "--hardware", "h100-sxm", "--intensity", "100",
                       "--inferences", "1e6", "--format", "json")
    assert code == 0
    Path("infer.json").write_text(out)
    code, doc, _ = run_json(cli, "--baseline", "infer.json")
    assert code == 0 and doc["baseline_found"] and doc["baseline_mismatch"] is False
    assert [a["status"] for a in doc["targets"][0]["assertions"]] == ["pass", "pass"]
    repo.grow(128)
    assert cli("check", "--baseline", "infer.json")[0] == 1


# ----------------------------------------------------------------------------- bad configuration: exit 2


BAD = {
    "bad yaml": ("targets:\n  - name: x\n    model: [unclosed\n", r"wattprint\.yaml:\d+:\d+: YAML syntax error"),
    "unknown field": (BUDGET.replace("    hardware:", "    hardwere: h100-sxm\n    hardware:"),
                      r"wattprint\.yaml:4: unknown field 'targets\.0\.hardwere' \(did you mean 'hardware'\?\)"),
    "bare number": (BUDGET.format(assertions="      - {metric: energy_per_inference, max: 2}"),
                    r"wattprint\.yaml:8: field 'targets\.0\.assertions\.0\.max': bare number 2 has no unit \(write e\.g\. '2 mJ'"),
    "unknown unit": (BUDGET.format(assertions="      - {metric: co2e, max: 12 kilos}"),
                     r"wattprint\.yaml:8: field 'targets\.0\.assertions\.0\.max': unknown unit 'kilos'"),
    "missing model": (BUDGET.replace("models/mlp.onnx", "models/gone.onnx"),
                      r"wattprint\.yaml:3: field 'targets\.0\.model': model file 'models/gone\.onnx' not found"),
    "model and spec": (BUDGET.replace("    hardware:", "    spec: models/mlp.onnx\n    hardware:"),
                       r"wattprint\.yaml:4: target 'mlp' has both 'model' and 'spec'"),
    "unknown metric": (BUDGET.format(assertions="      - {metric: latency, max: 2 ms}"),
                       r"wattprint\.yaml:8: field 'targets\.0\.assertions\.0\.metric': Input should be 'energy_per_inference'"),
    "no volume for a total": (BUDGET.replace("    inferences: 1e6\n", "").format(assertions="      - {metric: co2e, max: 1 kg}"),
                              r"wattprint\.yaml:7: .*has no volume \(add inferences"),
    "energy unit for a mass": (BUDGET.format(assertions="      - {metric: co2e, max: 3 kWh}"),
                               r"unit 'kWh' is not an emissions mass"),
    "max and max_increase": (BUDGET.format(assertions="      - {metric: macs, max: 1k, max_increase: 5%}"),
                             r"needs exactly one of 'max' or 'max_increase'"),
    "percent without %": (BUDGET.format(assertions="      - {metric: macs, max_increase: 5}"),
                          r"bare number 5 is not a percentage \(write '5%'\)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_exit_2_with_file_line_and_fix(cli, repo, case):
    import re

    text, pattern = BAD[case]
    (repo.root / "wattprint.yaml").write_text(text if "{assertions}" not in text else text.format(assertions="      - {metric: macs, max: 1k}"))
    code, out, err = cli("check")
    assert code == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wattprint: error: ")
    assert re.search(pattern, lines[0]), lines[0]


def test_spec_target_by_hand_and_metric_that_does_not_apply(cli, repo):
    (repo.root / "train.yaml").write_text("name: finetune\nhardware: a100-sxm-80gb\ncount: 2\nhours: 10\npower_w: 300\n")
    template = "targets:\n  - name: finetune\n    spec: train.yaml\n    pue: 1.5\n    intensity: 200\n    assertions:\n{assertions}\n"
    # 2 x 300 W x 10 h = 6 kWh at the devices, x PUE 1.5 = 9 kWh; x 200 g/kWh = 1.8 kg
    repo.budget("{metric: energy, max: 10 kWh}", "{metric: co2e, max: 2 kg}", template=template)
    code, doc, err = run_json(cli)
    assert code == 0, err
    metrics = doc["targets"][0]["metrics"]
    assert metrics["energy"] == pytest.approx(9 * 3.6e6, rel=1e-4) and metrics["co2e"] == pytest.approx(1800, rel=1e-4)
    repo.budget("{metric: energy, max: 8 kWh}", template=template)
    assert cli("check")[0] == 1
    repo.budget("{metric: macs, max: 1G}", template=template)
    code, _, err = cli("check")
    assert code == 2 and "does not apply to a training spec" in err


# ----------------------------------------------------------------------------- discovery


def test_discovery_upward_config_and_env(cli, repo, monkeypatch, tmp_path):
    repo.budget("{metric: macs, max: 5k}")
    sub = repo.root / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    code, doc, _ = run_json(cli)
    assert code == 0 and Path(doc["budget_file"]).name == "wattprint.yaml"
    # carbon-budget.yaml is found too; a failing one chosen by --config or the env var wins over discovery
    strict = repo.root / "ci" / "carbon-budget.yaml"
    strict.parent.mkdir()
    strict.write_text(BUDGET.replace("models/", "../models/").format(assertions="      - {metric: macs, max: 1k}"))
    assert cli("check", "--config", str(strict))[0] == 1
    monkeypatch.setenv("WATTPRINT_CONFIG", str(strict))
    assert cli("check")[0] == 1
    assert cli("check", "--config", str(repo.root / "wattprint.yaml"))[0] == 0  # --config beats the env var
    monkeypatch.delenv("WATTPRINT_CONFIG")
    monkeypatch.chdir(strict.parent)
    assert cli("check")[0] == 1  # the nearest file: ci/carbon-budget.yaml
    # discovery stops at the repository root (.git): a budget above it is not used
    outer = tmp_path / "outer"
    (outer / "inner" / ".git").mkdir(parents=True)
    (outer / "wattprint.yaml").write_text("targets: []\n")
    monkeypatch.chdir(outer / "inner")
    code, _, err = cli("check")
    assert code == 2 and "no wattprint.yaml or carbon-budget.yaml found" in err
    monkeypatch.setenv("WATTPRINT_CONFIG", "missing.yaml")
    code, _, err = cli("check")
    assert code == 2 and "budget file not found (from $WATTPRINT_CONFIG)" in err


# ----------------------------------------------------------------------------- GitHub Actions


def test_github_actions_summary_annotations_and_outputs(cli, repo, monkeypatch):
    summary, outputs = repo.root / "summary.md", repo.root / "outputs.txt"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo.root))
    repo.budget("{metric: macs, max: 10k}", "{metric: params, max: 5k, level: warn}")
    code, out, _ = cli("check")
    assert code == 0 and "::error" not in out and "::warning" not in out
    assert outputs.read_text() == "status=pass\nfailed=0\nwarnings=0\n"
    assert "## ✅ wattprint check: pass" in summary.read_text()

    repo.grow(128)  # 16,384 MACs and params: over both limits
    code, out, _ = cli("check")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations[0].startswith("::error file=wattprint.yaml,line=8,title=wattprint check%3A mlp macs over budget::")
    assert "16.4 k exceeds the limit 10 k" in annotations[0] and "What to do: Shrink the model" in annotations[0]
    assert annotations[1].startswith("::warning file=wattprint.yaml,line=9,")
    text = summary.read_text()
    assert text.count("wattprint check:") == 2  # appended, not overwritten
    assert "## ❌ wattprint check: fail" in text and "| macs | 16.4 k | 10 k |" in text and "❌ fail" in text
    assert "**What to do:** Shrink the model or raise the budget in wattprint.yaml." in text
    assert outputs.read_text().endswith("status=fail\nfailed=1\nwarnings=1\n")
    # machine formats keep stdout clean: annotations go to stderr
    code, out, err = cli("check", "--format", "json")
    assert json.loads(out)["status"] == "fail" and "::error file=wattprint.yaml" in err
    # a configuration error is annotated too, and the outputs say so
    (repo.root / "wattprint.yaml").write_text(BUDGET.format(assertions="      - {metric: macs, max: 1 J}"))
    code, out, err = cli("check")
    assert code == 2 and out.startswith("::error file=wattprint.yaml,title=wattprint check%3A configuration error::")
    assert outputs.read_text().endswith("status=error\nfailed=0\nwarnings=0\n")


def test_user_strings_are_not_markup(cli, repo):
    (repo.root / "wattprint.yaml").write_text(
        BUDGET.replace("name: mlp", "name: '[bold red]x[/]'").replace("message: Shrink the model", "message: Please [link=x]Shrink[/link] the model")
        .format(assertions="      - {metric: macs, max: 1k}"))
    code, out, _ = cli("check")
    assert code == 1 and "[bold red]x[/]" in out and "[link=x]Shrink[/link]" in out


def test_internal_error_is_exit_3(cli, repo, monkeypatch):
    import wattprint.check.evaluate

    def boom(target, hw_files):
        raise RuntimeError("bug")

    monkeypatch.setattr(wattprint.check.evaluate, "measure_target", boom)
    repo.budget("{metric: macs, max: 5k}")
    code, _, err = cli("check")
    assert code == 3 and "internal error: RuntimeError: bug" in err


def test_python_m_wattprint_check_subprocess(repo):
    repo.budget("{metric: macs, max: 10k}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "WATTPRINT_CONFIG"))}
    ok = subprocess.run([sys.executable, "-m", "wattprint", "check"], cwd=repo.root, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "\x1b[" not in ok.stdout and "wattprint check: PASS" in ok.stdout
    repo.grow(128)
    bad = subprocess.run([sys.executable, "-m", "wattprint", "check", "--format", "json"], cwd=repo.root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and json.loads(bad.stdout)["summary"]["failed"] == 1
    assert bad.stderr.strip().endswith("in 1 target (wattprint.yaml)")


def test_junit_is_well_formed_whatever_the_text():
    from xml.etree import ElementTree as ET

    from wattprint.render.check import _xml_text

    assert _xml_text("a\x01b\x1b[31mc\td") == "a\ufffdb\ufffd[31mc\td"
    ET.fromstring(f"<a b='{_xml_text(chr(1) + 'x')}'/>")  # parses


@pytest.mark.parametrize("name", ["m \x01", "red \x1b[31m"])
def test_names_with_control_characters_are_refused(cli, tmp_path, name):
    budget = tmp_path / "wattprint.yaml"
    budget.write_text(json.dumps({"targets": [{"name": name, "spec": "run.yaml",
                                               "assertions": [{"metric": "energy", "max": "1 kWh"}]}]}))
    (tmp_path / "run.yaml").write_text("hardware: a100\nhours: 1\n")
    code, out, err = cli("check", "--config", budget)
    assert code == 2 and "control character" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("train", "--hardware", "a100", "--hours", "1", "--name", name)
    assert code == 2 and out == "" and "control character" in err


def test_a_zero_baseline_reads_up_from_zero():
    from wattprint.check.metrics import fmt_delta

    assert fmt_delta(float("inf")) == "up from 0" and fmt_delta(12.5) == "+12.5%"

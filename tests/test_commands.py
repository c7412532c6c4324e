"""The command layer: each flag declared once with one help, lifecycle's training flags, errors worded by
their reader (flags on the command line, keys at their line in a budget file), one output-format path."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ROOT / "cli" / "wattprint" / "commands"

#: flags that are declared twice on purpose: the same name means different things in different commands
TWO_MEANINGS = {
    "--model": "train: the model whose FLOPs a run is estimated from; lifecycle: the model served",
    "--precision": "train: the peak's precision (tf32 too); infer: the tensors' precision",
    "--kind": "hardware kinds vs region kinds",
    "--output": "a report to PATH vs check's extra reports (repeatable)",
    "-o": "(the short form of --output)",
}


def _declared_flags() -> list[str]:
    """The flag names of every typer.Option(...) call in wattprint/commands and wattprint/cli.py."""
    flags = []
    for path in [*COMMANDS.glob("*.py"), ROOT / "cli" / "wattprint" / "cli.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Option"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "typer"):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        flags.extend(arg.value.split("/"))
    return flags


def test_each_flag_is_declared_once():
    flags = _declared_flags()
    assert len(flags) > 60, "found too few options: the scan is broken"
    twice = {f for f in flags if flags.count(f) > 1}
    assert twice == set(TWO_MEANINGS), f"declared more than once: {sorted(twice - set(TWO_MEANINGS))}"
    assert all(flags.count(f) == 2 for f in TWO_MEANINGS)


def _helps() -> dict[str, dict[str, str]]:
    """flag -> {command path: help} over every command of the app."""
    import typer.main

    from wattprint.cli import app

    root = typer.main.get_command(app)
    out: dict[str, dict[str, str]] = {}

    def walk(cmd, path: str) -> None:
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {sub_name}".strip())
        for param in cmd.params:
            for opt in getattr(param, "opts", ()):
                if opt.startswith("--") and getattr(param, "help", None):
                    out.setdefault(opt, {})[path] = param.help

    walk(root, "")
    return out


def test_estimating_commands_share_flags_and_help():
    helps = _helps()
    for flag in ("--hardware", "--region", "--pue", "--intensity", "--grid-file", "--units", "--utilization",
                 "--embodied", "--mfu", "--power", "--hw-file", "--format", "--rate", "--days", "--inferences"):
        by_command = {c: h for c, h in helps[flag].items() if not (flag == "--format" and c == "check")}
        assert len(set(by_command.values())) == 1, (flag, by_command)  # (check's --format is its stdout's)
    for flag in ("--region", "--pue", "--intensity", "--grid-file", "--units", "--utilization", "--embodied", "--mfu"):
        assert {"train", "lifecycle"} <= set(helps[flag]), flag
    assert {"infer", "lifecycle"} <= set(helps["--rate"]) and "train" not in helps["--rate"]


def test_format_choices_per_command(cli, tiny_model):
    code, _, err = cli("infer", tiny_model, "--format", "junit")
    assert code == 2 and "'junit' is not one of" in err
    code, out, _ = cli("check", "--help")
    assert code == 0 and "junit" in out and "csv" not in out.split("--format", 1)[1].split("\n", 1)[0]


# ----------------------------------------------------------------------------- lifecycle takes the train flags


def _lifecycle(cli_json, model, *extra):
    return cli_json("lifecycle", "--model", model, "--hardware", "a100", "--count", "8", "--rate", "1000/s", *extra)


def test_lifecycle_utilization_and_mfu_as_train(cli_json, tiny_model):
    base = ("--hours", "10", "--intensity", "300", "--pue", "1.1")
    full, half = _lifecycle(cli_json, tiny_model, *base), _lifecycle(cli_json, tiny_model, *base, "--utilization", "0.5")
    assert half["training"]["energy_kwh"] == pytest.approx(full["training"]["energy_kwh"] / 2, rel=1e-5)
    trained = cli_json("train", "--hardware", "a100", "--count", "8", *base, "--utilization", "0.5")
    assert half["training"]["energy_kwh"] == pytest.approx(trained["energy_kwh"], rel=1e-6)
    compute = ("--params", "1e9", "--tokens", "1e10", "--intensity", "300")
    slow, fast = (_lifecycle(cli_json, tiny_model, *compute, "--mfu", m) for m in ("0.2", "0.4"))
    assert slow["training"]["inputs"]["hours"] == pytest.approx(2 * fast["training"]["inputs"]["hours"], rel=1e-5)


def test_lifecycle_embodied_as_train(cli_json, tiny_model):
    base = ("--hours", "10", "--intensity", "300")
    without, with_ = _lifecycle(cli_json, tiny_model, *base), _lifecycle(cli_json, tiny_model, *base, "--embodied")
    trained = cli_json("train", "--hardware", "a100", "--count", "8", *base, "--embodied")
    assert with_["training_co2e_kg"] > without["training_co2e_kg"]
    assert with_["training_co2e_kg"] == pytest.approx(trained["co2e_kg"], rel=1e-6)


def test_lifecycle_grid_file_for_both_phases(cli_json, tiny_model, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("name: test grid\nintensity_gco2e_per_kwh: 123\n")
    doc = _lifecycle(cli_json, tiny_model, "--hours", "10", "--grid-file", grid)
    assert doc["training"]["inputs"]["intensity_gco2e_per_kwh"] == 123
    assert doc["inference"]["inputs"]["intensity_gco2e_per_kwh"] == 123


# ----------------------------------------------------------------------------- errors: field and value, worded by the reader


def test_core_errors_carry_field_and_value_and_name_no_flag():
    from wattprint.errors import WattprintError
    from wattprint.inference import parse_rate_per_day, serving_volume

    with pytest.raises(WattprintError) as info:
        parse_rate_per_day("lots")
    exc = info.value
    assert (exc.field, exc.value) == ("rate", "lots")
    assert str(exc).startswith("rate 'lots' is not a rate (") and "--" not in str(exc)
    assert exc.worded(lambda f: "--" + f).startswith("--rate 'lots' is not a rate")
    with pytest.raises(WattprintError) as info:
        serving_volume(10.0, "1/s", None)
    assert "--" not in str(info.value) and set(info.value.fields) == {"inferences", "rate", "days"}


def test_cli_names_the_flag(cli, tiny_model):
    code, out, err = cli("infer", tiny_model, "--rate", "lots")
    assert code == 2 and out == ""
    assert err.strip() == ("wattprint: error: --rate 'lots' is not a rate (write e.g. 1e6/day, 200/s or 5000/hour)")
    code, _, err = cli("infer", tiny_model, "--region", "fr", "--intensity", "9")
    assert code == 2 and "give only one of --region, --intensity or --grid-file" in err
    code, _, err = cli("train", "--hardware", "a100", "--count", "1", "--hours", "1", "--utilization", "2")
    assert code == 2 and err.startswith("wattprint: error: --utilization") and len(err.strip().splitlines()) == 1


def test_check_names_the_budget_key_at_its_line(cli, tiny_model, tmp_path, monkeypatch):
    import shutil

    shutil.copy(tiny_model, tmp_path / "m.onnx")
    (tmp_path / "wattprint.yaml").write_text(
        "targets:\n"
        "  - name: tiny\n"
        "    model: m.onnx\n"
        "    hardware: a100\n"
        "    rate: lots\n"
        "    assertions:\n"
        "      - metric: co2e\n"
        "        max: 1 kg\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("check")
    assert code == 2, (out, err)
    assert err.strip() == ("wattprint: error: wattprint.yaml:5: target 'tiny': rate 'lots' is not a rate "
                           "(write e.g. 1e6/day, 200/s or 5000/hour)")


# ----------------------------------------------------------------------------- the vocabulary


def test_vocabulary_serialises_as_its_values():
    from wattprint.vocab import CheckStatus, OutputFormat, PowerBasis, Precision

    assert json.dumps({"s": CheckStatus.passed, "p": [Precision.fp16]}) == '{"s": "pass", "p": ["fp16"]}'
    assert f"{CheckStatus.passed}" == str(CheckStatus.passed) == "pass"
    assert {"pass": 1}[CheckStatus.passed] == 1 and CheckStatus.passed == "pass"
    assert PowerBasis.tdp != "TDP" and not OutputFormat.table.machine and OutputFormat.junit.machine


def test_one_precision_list():
    from wattprint.check.schema import TargetModel
    from wattprint.energy.training import TrainingSpec
    from wattprint.estimate import PRECISION_CHOICES
    from wattprint.hardware import PRECISIONS as PEAK
    from wattprint.vocab import PEAK_PRECISIONS, PRECISIONS, TRAIN_PRECISIONS

    assert PRECISION_CHOICES == PRECISIONS and PEAK == PEAK_PRECISIONS
    assert TrainingSpec.model_fields["precision"].annotation.__args__ == TRAIN_PRECISIONS
    assert set(PRECISIONS) < set(TRAIN_PRECISIONS) < set(PEAK_PRECISIONS)
    assert "fp16" in str(TargetModel.model_fields["precision"].annotation)


@pytest.mark.parametrize("name, extra, code, says", [
    ("out.json", (), 0, None),
    ("out.txt", (), 0, None),  # no format in the name: the text form (markdown)
    ("out.pdf", (), 2, "cannot tell the format from '.pdf'"),
    ("out.json", ("--format", "csv"), 2, "the file's extension says json"),
    ("out.xml", (), 2, "this report has no junit form"),
])
def test_the_output_file_and_its_format_agree(cli, tiny_model, tmp_path, name, extra, code, says):
    out_file = tmp_path / name
    got, out, err = cli("infer", tiny_model, "-o", out_file, *extra)
    assert got == code
    if says:
        assert says in err and len(err.strip().splitlines()) == 1 and not out_file.exists()
    else:
        assert out_file.read_text().strip()

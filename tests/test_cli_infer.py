"""`wattprint infer` through the CLI: JSON contract, per-layer rows, options, and bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import onnx
import pytest

from conftest import ROOT
from onnx_builders import GraphBuilder, bert, save

SCHEMAS = ROOT / "docs" / "schemas"
BACKEND = Path(onnx.__file__).parent / "backend" / "test" / "data"


def validate(doc: dict, schema: str) -> None:
    import jsonschema

    jsonschema.validate(doc, json.loads((SCHEMAS / schema).read_text()))


def test_tiny_model_hand_computed(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--hardware", "a100", "--intensity", "100", "--pue", "1.5")
    validate(doc, "infer-result.schema.json")
    # Gemm 1x64 @ 64x128 and 1x128 @ 128x10
    assert doc["macs"] == 64 * 128 + 128 * 10
    assert doc["params"] == 64 * 128 + 128 + 128 * 10 + 10
    names = [layer["name"] for layer in doc["layers"]]
    assert names == ["fc1", "relu", "fc2"]
    fc1 = doc["layers"][0]
    assert fc1["macs"] == 8192 and fc1["output_shape"] == [1, 128] and fc1["precision"] == "fp32"
    # fp32 bytes: x (64) + w1 (8192) + b1 (128) read, h (128) written
    assert fc1["bytes_read"] == 4 * (64 + 8192 + 128) and fc1["bytes_written"] == 4 * 128
    inputs = doc["inputs"]
    acc = sum(layer["accelerator_energy_per_inference_j"] for layer in doc["layers"])
    assert doc["accelerator_energy_per_inference_j"] == pytest.approx(acc, rel=1e-4)
    node, time = inputs["node"], doc["time_per_inference_s"]
    host = node["host_power_w"] / node["accelerators_per_node"] / node["psu_efficiency"] * time
    system = (1 + node["overhead_per_accelerator"]) * acc / node["psu_efficiency"] + host
    # (rel 1e-3: the JSON keeps 6 decimals)
    assert doc["system_energy_per_inference_j"] == pytest.approx(system, rel=1e-3)
    assert doc["energy_per_inference_j"] == pytest.approx(system * 1.5, rel=1e-3)
    assert doc["co2e_per_inference_g"] == pytest.approx(doc["energy_per_inference_j"] / 3.6e6 * 100, rel=1e-3)
    assert doc["inferences"] is None and doc["co2e_kg"] is None


def test_volume_from_rate_and_days(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--rate", "1000/s", "--days", "2")
    assert doc["inferences"] == pytest.approx(1000 * 86400 * 2)
    assert doc["co2e_kg"] == pytest.approx(doc["co2e_per_inference_g"] * doc["inferences"] / 1000, rel=1e-5, abs=1e-6)  # (JSON keeps 6 decimals)
    assert doc["energy_kwh"] == pytest.approx(doc["energy_per_inference_j"] * doc["inferences"] / 3.6e6, rel=1e-3)
    lo, mid, hi = (doc["co2e_per_inference_g_range"][k] for k in ("low", "central", "high"))
    assert lo <= mid <= hi and mid == pytest.approx(doc["co2e_per_inference_g"], rel=1e-5)
    assert {c["id"] for c in doc["comparisons"]} >= {"flight-ny-sf", "car-km"}


def test_train_output_matches_its_schema(cli_json):
    validate(cli_json("train", "--hardware", "a100", "--hours", "3", "--region", "fr"), "train-result.schema.json")


def test_precision_changes_bytes_and_peak(cli_json, tiny_model):
    fp32 = cli_json("infer", tiny_model)
    int8 = cli_json("infer", tiny_model, "--precision", "int8")
    assert int8["bytes_read"] * 4 == fp32["bytes_read"]
    assert {layer["precision"] for layer in int8["layers"]} == {"int8"}


def test_symbolic_dims_bound_from_the_cli(cli, cli_json, tmp_path):
    path = save(bert(layers=1, hidden=64, heads=2, ffn=128, vocab=100, max_pos=64).model(), tmp_path, "bert.onnx")
    code, _, err = cli("infer", path)
    assert code == 2 and "sequence_length" in err and "--dim" in err
    doc = cli_json("infer", path, "--dim", "sequence_length=16", "--batch", "2")
    assert doc["batch"] == 2 and doc["inputs"]["dims"] == {"batch": 2, "sequence_length": 16}
    doc8 = cli_json("infer", path, "--dim", "sequence_length=16", "--dim", "batch=8")
    assert doc8["macs"] == pytest.approx(4 * doc["macs"])
    # per-inference energy is the batch's divided by the batch
    assert doc8["batch"] == 8


def test_top_and_by_op_tables(cli, tiny_model):
    code, out, _ = cli("infer", tiny_model, "--top", "1")
    assert code == 0 and "2 smaller layers not shown" in out and "Totals" in out
    code, out, _ = cli("infer", tiny_model, "--by", "op")
    assert code == 0 and "Energy by op type" in out and "Gemm" in out
    code, _, err = cli("infer", tiny_model, "--by", "layer")
    assert code == 2 and "--by" in err


def test_csv_and_markdown_have_every_layer(cli, tiny_model):
    code, out, _ = cli("infer", tiny_model, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["name"] for r in rows] == ["fc1", "relu", "fc2"] and rows[0]["macs"] == "8192"
    code, out, _ = cli("infer", tiny_model, "--format", "markdown", "--top", "0")
    assert code == 0 and out.startswith("## Inference") and "| fc2 |" in out


def test_compare_hardware_and_regions(cli_json, tiny_model):
    doc = cli_json("infer", tiny_model, "--compare-hardware", "t4,l4", "--compare-region", "fr,pl")
    assert {a["id"] for a in doc["what_if_hardware"]} == {"h100-sxm", "t4", "l4"}
    assert {a["id"] for a in doc["what_if_regions"]} == {"world", "fr", "pl"}


def test_user_hw_file(cli_json, tiny_model, tmp_path):
    hw = tmp_path / "mine.yaml"
    hw.write_text(
        "id: my-npu\nname: My NPU\nvendor: Me\nkind: npu\ntdp_w: 10\npeak_tflops: {fp32: 1, int8: 8}\n"
        "memory_bandwidth_gbps: 50\nsources:\n  - {id: s, title: sheet, publisher: me, year: 2025, "
        "fields: [tdp_w, peak_tflops, memory_bandwidth_gbps]}\n"
    )
    doc = cli_json("infer", tiny_model, "--hardware", "my-npu", "--hw-file", hw)
    assert doc["inputs"]["hardware"] == "my-npu" and doc["inputs"]["hardware_origin"] == str(hw)


def test_missing_figure_is_named(cli, tiny_model, tmp_path):
    hw = tmp_path / "nobw.yaml"
    hw.write_text("id: nobw\nname: X\nvendor: X\nkind: gpu\ntdp_w: 10\nsources:\n"
                  "  - {id: s, title: t, publisher: p, year: 2020, fields: [tdp_w]}\n")
    code, _, err = cli("infer", tiny_model, "--hardware", "nobw", "--hw-file", hw)
    assert code == 2 and "memory_bandwidth_gbps" in err


def _external_outside(tmp_path) -> Path:
    g = GraphBuilder("external", location="../../etc/passwd")
    x = g.input("x", onnx.TensorProto.FLOAT, [1, 4])
    g.output(g.node("MatMul", [x, g.weight("w", [4, 4])]))
    return save(g.model(), tmp_path, "evil.onnx")


def _file(name: str, data: bytes):
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda p: p / "missing.onnx", "no such file"),
        (_file("empty.onnx", b""), "empty.onnx"),
        (_file("noise.onnx", bytes(range(256)) * 10), "noise.onnx"),
        (_file("text.onnx", b"hello world\n"), "text.onnx"),
        (_external_outside, "outside"),
    ],
    ids=["missing", "empty", "noise", "text", "external-outside"],
)
def test_bad_models_exit_2(cli, tmp_path, make, needle):
    code, out, err = cli("infer", make(tmp_path))
    assert code == 2, (out, err)
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_truncated_model_exit_2(cli, tmp_path):
    data = (BACKEND / "light" / "light_resnet50.onnx").read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    code, _, err = cli("infer", path)
    assert code == 2 and "cut.onnx" in err


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--dim", "seq"], "NAME=N"),
        (["--dim", "seq=abc"], "whole number"),
        (["--dim", "nosuchdim=3"], "nosuchdim"),
        (["--batch", "0"], "--batch"),
        (["--rate", "lots"], "--rate"),
        (["--rate", "5/day", "--inferences", "3"], "not both"),
        (["--days", "3"], "--days needs --rate"),
        (["--task", "poetry"], "--task"),
        (["--hardware", "h1000"], "did you mean"),
        (["--system", "dgx-h9000"], "unknown system 'dgx-h9000'"),
        (["--hardware", "l4", "--system", "dgx-h100"], "holds h100-sxm, not l4"),
        (["--power-limit", "900"], "above the TDP"),
        (["--power-limit", "10"], "not above the static power"),
    ],
)
def test_bad_options_exit_2(cli, tiny_model, args, needle):
    code, out, err = cli("infer", tiny_model, *args)
    assert code == 2, (out, err)
    assert needle in err and "Traceback" not in err


def _backend_models() -> list[Path]:
    return sorted(p for p in BACKEND.rglob("*.onnx"))


@pytest.mark.parametrize("model", _backend_models(), ids=lambda p: str(p.relative_to(BACKEND)))
def test_every_onnx_backend_model_runs_without_a_traceback(cli, model):
    code, out, err = cli("infer", model, "--format", "json")
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 0:
        doc = json.loads(out)
        assert doc["macs"] >= 0 and all(row["counted"] or row["note"] for row in doc["layers"])
    else:
        assert err.startswith("wattprint: error: ") and len(err.strip().splitlines()) == 1


def test_check_output_matches_its_schema(cli, tmp_path):
    import shutil

    shutil.copytree(ROOT / "examples" / "ci", tmp_path / "ci")
    code, out, err = cli("check", "--config", tmp_path / "ci" / "wattprint.yaml", "--format", "json")
    assert code == 0, err
    validate(json.loads(out), "check-result.schema.json")


def test_system_and_power_limit(cli_json, tiny_model, tmp_path):
    """A one-card server's host dominates a small model; a power limit below the draw slows the pass."""
    l4 = cli_json("infer", tiny_model, "--hardware", "l4", "--batch", "64")
    node = l4["inputs"]["node"]
    assert node["system"] == "pcie-server-1gpu" and node["accelerators_per_node"] == 1
    assert l4["system_energy_per_inference_j"] > 2 * l4["accelerator_energy_per_inference_j"]
    dgx = cli_json("infer", tiny_model, "--hardware", "h100", "--system", "hgx-h100-8gpu", "--batch", "64")
    assert dgx["inputs"]["node"]["accelerators_per_node"] == 8
    model = save(bert(layers=1, hidden=256, heads=4, ffn=1024, vocab=100, max_pos=256).model(), tmp_path, "b.onnx")
    dims = ("--dim", "sequence_length=256", "--batch", "64")
    free = cli_json("infer", model, *dims)
    pm = free["inputs"]["power_model"]
    capped = cli_json("infer", model, *dims, "--power-limit", str(round(pm["static_power_w"] + 1)))
    assert capped["inputs"]["power_model"]["power_limited"] and not pm["power_limited"]
    assert capped["time_per_inference_s"] > free["time_per_inference_s"]

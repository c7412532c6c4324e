"""The inference energy model reproduces its calibration measurement (docs/methodology.md, "Calibration").

MLPerf Inference v3.1, DGX-H100 (8x H100-SXM, MaxQ), ResNet-50 Offline: 474,849 samples/s at ~4,070 W:
16.85 µs per sample per GPU, 8.57 mJ per sample for the whole system.
"""

from __future__ import annotations

import pytest

from onnx_builders import resnet50, save
from wattprint.grid import choose_grid, choose_pue
from wattprint.hardware import load_hardware
from wattprint.inference import estimate_inference
from wattprint.onnx_graph import analyze_model


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = save(resnet50(batch=256).model(), tmp_path_factory.mktemp("r50"), "resnet50.onnx")
    model = analyze_model(path, precision="int8")
    assert model.macs == pytest.approx(256 * 4.089e9, rel=1e-3)
    hw = load_hardware(use_user_dir=False).get("h100-sxm")
    return estimate_inference(model, hw, batch=256, pue=choose_pue(1.0), grid=choose_grid(intensity=100))


def test_throughput_matches_mlperf(result):
    assert result.time_per_inference_s == pytest.approx(8 / 474_849, rel=0.01)


def test_energy_per_sample_matches_mlperf(result):
    assert result.system_energy_per_inference_j == pytest.approx(4070 / 474_849, rel=0.01)
    assert result.accelerator_energy_per_inference_j == pytest.approx(4070 / 474_849 / (10.2 / 5.6), rel=0.01)


def test_epilogues_are_fused(result):
    fused = [layer for layer in result.layers if layer.fused_into]
    assert {layer.node.op_type for layer in fused} >= {"BatchNormalization", "Relu", "Add"}
    assert all(layer.dram_bytes < layer.node.bytes_read + layer.node.bytes_written for layer in fused)

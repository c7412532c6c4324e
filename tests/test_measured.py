"""The in-project measured set: every point resolves to profiles and its figures agree."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from wattprint.errors import WattprintError
from wattprint.hardware import load_hardware
from wattprint.measured import COLUMNS, load_measured, load_measured_file, measured_path
from wattprint.systems import load_systems

MEASURED = load_measured()


def test_the_set_is_complete_and_ids_are_unique():
    assert len(MEASURED) == 179  # 178 from the shared reference file + 1 extra row (scripts/build_measured.py)
    ids = [p.id for p in MEASURED]
    assert len(ids) == len(set(ids))
    assert {p.source_kind for p in MEASURED} == {"mlperf", "mlenergy"}


def test_every_point_resolves_to_a_hardware_and_a_system_profile():
    hw = load_hardware(use_user_dir=False)
    systems = load_systems()
    for p in MEASURED:
        device = hw.get(p.hardware)
        assert device.id == p.hardware, "the set stores canonical ids, not aliases"
        assert device.kind != "cpu"
        system = systems.get(p.system)
        assert system.accelerator in (None, p.hardware), p.id
        if system.accelerator_count is not None:
            assert p.accelerator_count <= system.accelerator_count, p.id


def test_energy_is_power_over_throughput_within_rounding():
    # Offline/Server and LLM rows: J per unit = W / (units/s). SingleStream rows publish W x window /
    # queries with throughput = queries / window, which is the same ratio.
    for p in MEASURED:
        assert p.energy_j == pytest.approx(p.avg_power_w / p.throughput, rel=1e-3), p.id


def test_boundaries_and_units_follow_the_source():
    for p in MEASURED:
        if p.source_kind == "mlperf":
            assert p.boundary == "node-wall" and p.unit in ("sample", "query")
            assert p.concurrency is None
        else:
            assert p.boundary == "accelerator" and p.unit == "output_token" and p.scenario == "llm-serving"
            assert p.concurrency is not None and p.power_mode == "uncapped"
        if p.scenario == "singlestream":
            assert p.unit == "query"


def test_published_config_figures_are_carried():
    by_id = {p.id: p for p in MEASURED}
    # NVIDIA DGX-A100 MaxQ ResNet-50 Offline (v2.1): A100_SXM_80GBx8_MaxQ, power_limit = 250,
    # gpu_batch_size = 2048 (closed/NVIDIA/configs/resnet50/Offline/__init__.py)
    p = by_id["mlperf-v2.1-043"]
    assert (p.system, p.benchmark, p.scenario, p.batch, p.power_limit_w) == ("dgx-a100", "resnet50", "offline", 2048, 250)
    assert "configs/resnet50/Offline/__init__.py" in p.notes
    # Qualcomm edge box: 20 W accelerator constraint stated in its system description
    assert by_id["mlperf-v3.0-101"].power_limit_w == 20
    # the CTS modules map to the A100 SXM 80GB profile, with the 500 W note
    assert by_id["mlperf-v2.1-001"].hardware == "a100-sxm-80gb" and "500 W" in by_id["mlperf-v2.1-001"].notes
    for p in MEASURED:
        if p.power_limit_w is not None:
            tdp = load_hardware(use_user_dir=False).get(p.hardware).tdp_w
            assert p.power_limit_w <= tdp, p.id


def test_cloud_ai_100_retinanet_runs_at_the_batch_its_harness_compiles():
    # krai/ck-qaic@e801fa38 package/model-qaic-compile/.cm/meta.json: retinanet.pcie.16nsp.{offline,server,
    # singlestream} all set _BATCH_SIZE 1 (one image per network instance), not the default Offline batch of 64
    by_id = {p.id: p for p in MEASURED}
    for pid in ("mlperf-v3.0-070", "mlperf-v3.0-071", "mlperf-v3.0-111", "mlperf-v3.0-112"):
        p = by_id[pid]
        assert (p.hardware, p.benchmark, p.batch) == ("qualcomm-ai100-pro", "retinanet", 1), pid
        assert "krai/ck-qaic@e801fa38d88e154a7d1d68376a98608c229c0a7f" in p.notes and "_BATCH_SIZE 1" in p.notes
    # SingleStream runs on 8 of the 16 AI cores with host-side NMS in the latency: excluded, with the reason
    assert "8 of the card's 16 AI cores" in by_id["mlperf-v3.0-071"].exclude
    assert not by_id["mlperf-v3.0-070"].exclude and not by_id["mlperf-v3.0-111"].exclude


def test_the_dgx_h100_calibration_point_is_carried_with_its_provenance():
    # MLPerf Inference v3.1 closed, NVIDIA DGX-H100 MaxQ, ResNet-50 Offline: 474,849 samples/s (run_1
    # mlperf_log_summary.txt) at the mean of 667 spl.txt samples, 4,063.98 W -> 8.5585 mJ per sample
    p = {q.id: q for q in MEASURED}["mlperf-v3.1-001"]
    assert (p.hardware, p.accelerator_count, p.system) == ("h100-sxm", 8, "dgx-h100")
    assert (p.benchmark, p.scenario, p.precision, p.boundary, p.power_mode) == (
        "resnet50", "offline", "int8", "node-wall", "maxq")
    assert p.throughput == 474849 and p.avg_power_w == 4063.98
    assert p.energy_j == pytest.approx(4063.98 / 474849, rel=1e-4)
    assert p.provenance.startswith("mlcommons/inference_results_v3.1@")
    assert "DGX-H100_H100-SXM-80GBx8_TRT_MaxQ/resnet50/Offline" in p.provenance
    # batch and power limit of NVIDIA's same-named config class whose expected QPS equals this run's target
    assert (p.batch, p.power_limit_w) == (2048, 300) and "480000" in p.notes
    assert not p.excluded


def test_excluded_points_say_why():
    excluded = [p for p in MEASURED if p.excluded]
    assert excluded and all(len(p.exclude) > 20 for p in excluded)


def _write(tmp_path: Path, edit) -> Path:
    with measured_path().open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows = edit(rows)
    path = tmp_path / "m.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _set(column, value):
    def edit(rows):
        rows[0][column] = value
        return rows
    return edit


@pytest.mark.parametrize(
    "edit, expected",
    [
        (_set("scenario", "batch"), "column 'scenario': 'batch' is not one of"),
        (_set("avg_power_w", "lots"), "column 'avg_power_w': 'lots' is not a number"),
        (_set("energy_j", "-1"), "column 'energy_j': '-1' must be > 0"),
        (_set("throughput", ""), "column 'throughput' is empty"),
        (lambda rows: rows + [dict(rows[0])], "appears twice"),
    ],
)
def test_bad_rows_fail_with_one_located_message(tmp_path, edit, expected):
    path = _write(tmp_path, edit)
    with pytest.raises(WattprintError) as info:
        load_measured_file(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_the_shipped_file_matches_the_build_script():
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "build_measured.py"
    if not script.exists():
        pytest.skip("scripts/ is not part of the sdist")
    spec = importlib.util.spec_from_file_location("build_measured", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(module.COLUMNS) == COLUMNS
    assert set(module.SYSTEMS.values()) == {p.system for p in MEASURED}
    assert set(module.HARDWARE.values()) == {p.hardware for p in MEASURED}

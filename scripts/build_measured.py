"""Build the in-project measured set, cli/wattprint/data/measured/measured-inference.csv.

Input: the shared reference file measured-inference.csv (178 published measurements, each with its
provenance), default /work/shared/reference/measured-inference.csv or the path given as the first
argument, plus EXTRA_ROWS below (points read by hand from results repositories for this project). Output: one normalized row per point, with the accelerator and the node mapped to wattprint
hardware / system profile ids, a normalized benchmark, scenario, precision, boundary and unit, and
(MLPerf rows) the per-accelerator batch and GPU power limit of the submission's own config, cited by
path. Run: python scripts/build_measured.py [REFERENCE_CSV]. Deterministic; no network.

The MLPERF_SETTINGS table was read, with scripts/extract_mlperf_configs.py, from the config classes
(configs/<benchmark>/<Scenario>/*.py) of the results repositories at the commits the provenance
column names (mlcommons/inference_results_v2.1@91f7859b, _v3.0@1948f9b5) and checked by hand.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = Path("/work/shared/reference/measured-inference.csv")
OUTPUT = ROOT / "cli" / "wattprint" / "data" / "measured" / "measured-inference.csv"
COLUMNS = [
    "id", "source_kind", "provenance", "hardware", "accelerator_count", "system", "benchmark", "scenario",
    "batch", "concurrency", "precision", "input_len", "output_len", "throughput", "throughput_unit",
    "avg_power_w", "boundary", "power_mode", "power_limit_w", "energy_j", "unit", "exclude", "notes",
]

#: accelerator name in the reference file -> hardware profile id
HARDWARE = {
    "NVIDIA A100-SXM-80GB": "a100-sxm-80gb",
    "NVIDIA A100-SXM-80GB CTS": "a100-sxm-80gb",
    "NVIDIA A100-PCIe-80GB": "a100-pcie-80gb",
    "NVIDIA H100-PCIe-80GB": "h100-pcie",
    "NVIDIA A30": "a30",
    "NVIDIA A2": "a2",
    "NVIDIA L4": "l4",
    "NVIDIA GeForce RTX 4090 (Ada Lovelace)": "rtx-4090",
    "NVIDIA Jetson AGX Orin": "jetson-agx-orin-64gb",
    "QUALCOMM Cloud AI 100 PCIe/HHHL Pro": "qualcomm-ai100-pro",
    "QUALCOMM Cloud AI 100 DM.2": "qualcomm-ai100-dm2",
    "NVIDIA B200 (1000 W)": "b200",
    "NVIDIA H100 80GB HBM3 (SXM, 700 W)": "h100-sxm",
    "NVIDIA H100-SXM-80GB": "h100-sxm",
}

#: first word + system folder of the reference file's system column -> system profile id
SYSTEMS = {
    "Dell XE8545_A100_SXM_80GBx4_TRT_MaxQ": "dell-xe8545-4xa100-sxm-80gb-cts",
    "Dell XR12_A2x1_TRT_MaxQ": "dell-xr12-a2",
    "Fujitsu GX2570M6_A100-SXM-80GBx8_TRT_MaxQ": "fujitsu-gx2570m6-8xa100-sxm-80gb",
    "H3C A30x3_R4900G5_TRT_MaxQ": "h3c-r4900g5-3xa30",
    "NVIDIA DGX-A100_A100-SXM-80GBx8_TRT_MaxQ": "dgx-a100",
    "Dell XR4520c_MaxQ_A2x1_TRT_MaxQ": "dell-xr4520c-a2",
    "Dell XR5610_L4x1_TRT_MaxQ": "dell-xr5610-l4",
    "Lenovo se350_q1_pro-qaic-v1.8.3.7-aic100": "lenovo-se350-ai100-pro",
    "NVIDIA A100-PCIe-80GBx8_TRT_MaxQ": "gigabyte-g482-z54-8xa100-pcie-80gb",
    "NVIDIA H100-PCIe-80GBx8_TRT_MaxQ": "gigabyte-g482-z54-8xh100-pcie-80gb",
    "NVIDIA Orin_TRT_MaxQ": "jetson-agx-orin-devkit",
    "Qualcomm gloria_highend-qaic-v1.8.3.7-aic100": "foxconn-gloria-highend",
    "Qualcomm r282_z93_q8e-qaic-v1.8.3.7-aic100": "gigabyte-r282-z93-8xai100-pro",
    "cTuning amd_zen4_workstation-nvidia_original-gpu-tensorrt-v8.5.2.2-default_config": "zen4-rtx4090-workstation",
    "ML.ENERGY H100 server": "mlenergy-h100-server",
    "ML.ENERGY B200 server": "mlenergy-b200-server",
    "NVIDIA DGX-H100_H100-SXM-80GBx8_TRT_MaxQ": "dgx-h100",
}

BENCHMARKS = (
    ("resnet50:", "resnet50"), ("bert-99", "bert-large"), ("retinanet:", "retinanet"), ("rnnt:", "rnnt"),
    ("3d-unet", "3d-unet"), ("Qwen/Qwen3-8B ", "qwen3-8b"), ("Qwen/Qwen3-32B ", "qwen3-32b"),
    ("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b"), ("openai/gpt-oss-20b ", "gpt-oss-20b"),
    ("openai/gpt-oss-120b ", "gpt-oss-120b"),
)
SCENARIOS = {"Offline": "offline", "Server": "server", "SingleStream": "singlestream",
             "online serving, closed-loop max_num_seqs concurrency": "llm-serving"}
UNITS = {"samples/s": "samples/s", "samples/s (completed)": "samples/s",
         "queries/s (result_query_count/power window)": "queries/s", "output_tokens/s": "output_tokens/s"}
#: rows a GPU roofline cannot represent, with the reason (ids of the reference file)
EXCLUDE = {
    "mlperf-v3.0-095": "GPU and both DLAs run the network (system hw_notes); a GPU-only model cannot represent the split",
    "mlperf-v3.0-097": "GPU and both DLAs run the network (system hw_notes); a GPU-only model cannot represent the split",
    # Lenovo SE350 Cloud AI 100 Pro, RetinaNet SingleStream: krai/ck-qaic@e801fa38 compiles the SingleStream network
    # onto 8 of the card's 16 AI cores (package/model-qaic-compile/.cm/meta.json:765-771, -aic-num-cores=8), and the
    # harness decodes boxes and runs NMS on the host CPU inside each query's latency
    # (program/object-detection-qaic-loadgen/benchmark.h:418-422)
    "mlperf-v3.0-071": ("the network runs on 8 of the card's 16 AI cores (krai/ck-qaic compile flags "
                        "-aic-num-cores=8) and box decoding + NMS run on the host CPU inside each query's latency; "
                        "a whole-card device model cannot represent the split"),
}


def model_exclusion(hardware: str, benchmark: str, scenario: str) -> str:
    """Rows the energy model cannot reproduce from published facts, with the reason (docs/validation.md)."""
    if hardware == "rtx-4090":
        return ("stated fp32, but the measured throughput is above what the RTX 4090's fp32 peak (82.6 TFLOPS) "
                "allows: the precision actually computed is not published")
    if hardware == "qualcomm-ai100-dm2":
        return "the Cloud AI 100 DM.2's memory bandwidth is not published: no roofline"
    if hardware == "jetson-agx-orin-64gb" and benchmark == "rnnt":
        return "the Jetson AGX Orin GPU's dense fp16 peak is not published (RNN-T runs in fp16)"
    if benchmark == "rnnt" and scenario == "singlestream":
        return ("batch-1 greedy decoding is a host-driven loop with a device-host synchronisation per symbol; "
                "its latency is not a property of the graph")
    return ""


#: Cloud AI 100 RetinaNet: the batch of one network instance, from the harness the submissions name. Lenovo's and
#: Qualcomm's v3.0 measurements READMEs (closed/{Lenovo,Qualcomm}/measurements/<system>/retinanet/<scenario>/README.md)
#: run krai/ck-qaic, whose RetinaNet image installs the retinanet.pcie.16nsp.{offline,server,singlestream} models for the
#: Pro card (docker/retinanet/Dockerfile.mlperf:97-100); its compile package compiles them with _BATCH_SIZE 1 in every
#: scenario (Offline: one core per instance, Server: two, SingleStream: one instance on eight), so a sample is one
#: batch-1 run of an instance. The compiled graph is RetinaNet without NMS: box decoding and NMS run on the host
#: CPUs (NMS-ABP, program/object-detection-qaic-loadgen/benchmark.h:418-422).
QAIC_CK = "krai/ck-qaic@e801fa38d88e154a7d1d68376a98608c229c0a7f:package/model-qaic-compile/.cm/meta.json"
QAIC_SETTINGS: dict[str, tuple[int, str]] = {
    "mlperf-v3.0-070": (1, f"{QAIC_CK}:735-744 (retinanet.pcie.16nsp.offline: _BATCH_SIZE 1, -aic-num-cores=1)"),
    "mlperf-v3.0-071": (1, f"{QAIC_CK}:765-771 (retinanet.pcie.16nsp.singlestream: _BATCH_SIZE 1, -aic-num-cores=8)"),
    "mlperf-v3.0-111": (1, f"{QAIC_CK}:735-744 (retinanet.pcie.16nsp.offline: _BATCH_SIZE 1, -aic-num-cores=1)"),
    "mlperf-v3.0-112": (1, f"{QAIC_CK}:745-754 (retinanet.pcie.16nsp.server: _BATCH_SIZE 1, -aic-num-cores=2)"),
}

#: submissions that state an accelerator power constraint in the system description (hw_notes)
HW_NOTES_LIMIT = {
    "lenovo-se350-ai100-pro": (75, "hw_notes 'With 75W Accelerator TDP constraints'"),
    "gigabyte-r282-z93-8xai100-pro": (75, "hw_notes 'With 75W Accelerator TDP constraints'"),
    "foxconn-gloria-highend": (20, "hw_notes 'With 20W Accelerator TDP constraints'"),
}

MLPERF_SETTINGS: dict[str, tuple[int | None, int | None, int | None, str]] = {
    # v3.1: the round's own configs/resnet50/Offline/__init__.py was not readable; NVIDIA's class of the same
    # name in a later round's file sets these values with offline_expected_qps = 480000, which is exactly the
    # target QPS this run logged (mlperf_log_detail.txt), so the settings are taken as carried over
    "mlperf-v3.1-001": (2048, None, 300, "H100_SXM_80GBx8_MaxQ (gpu_batch_size 2048, power_limit 300, "
                        "offline_expected_qps 480000) in NVIDIA's configs/resnet50/Offline/__init__.py of a later "
                        "round; its expected QPS equals this run's logged target"),
    "mlperf-v2.1-001": (2, None, 212, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/3d-unet/Offline/custom.py:35"),
    "mlperf-v2.1-002": (512, None, 275, "XE8545_A100_SXM_80GBX4_MAXQ_HighAccuracy in closed/Dell/configs/bert/Offline/custom.py:44; closed/Dell/configs/bert/Offline/custom.py:55"),
    "mlperf-v2.1-003": (1280, None, 275, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/bert/Offline/custom.py:44"),
    "mlperf-v2.1-004": (80, None, 275, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/bert/Server/custom.py:8"),
    "mlperf-v2.1-005": (2048, None, 240, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/resnet50/Offline/custom.py:33"),
    "mlperf-v2.1-006": (128, None, 240, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/resnet50/Server/custom.py:43"),
    "mlperf-v2.1-007": (32, None, 250, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/retinanet/Offline/custom.py:31"),
    "mlperf-v2.1-008": (16, None, 250, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/retinanet/Server/custom.py:31"),
    "mlperf-v2.1-009": (2048, None, 250, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/rnnt/Offline/custom.py:26"),
    "mlperf-v2.1-010": (2048, None, 275, "XE8545_A100_SXM_80GBX4_MAXQ in closed/Dell/configs/rnnt/Server/custom.py:35"),
    "mlperf-v2.1-011": (256, None, None, "XR12_A2x1_HighAccuracy_MaxQ in closed/Dell/configs/bert/Offline/custom.py:69"),
    "mlperf-v2.1-012": (256, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/bert/Offline/custom.py:61"),
    "mlperf-v2.1-014": (1, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/bert/SingleStream/__init__.py:25"),
    "mlperf-v2.1-015": (1024, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/resnet50/Offline/custom.py:54"),
    "mlperf-v2.1-017": (1, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/resnet50/SingleStream/__init__.py:25"),
    "mlperf-v2.1-018": (512, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/rnnt/Offline/custom.py:39"),
    "mlperf-v2.1-019": (256, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/rnnt/Server/custom.py:45"),
    "mlperf-v2.1-020": (1, None, None, "XR12_A2x1_MaxQ in closed/Dell/configs/rnnt/SingleStream/__init__.py:25"),
    "mlperf-v2.1-021": (1, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/3d-unet/Offline/__init__.py:420"),
    "mlperf-v2.1-022": (512, None, None, "A100_SXM_80GBx8_HighAccuracy_MaxQ in closed/Fujitsu/configs/bert/Offline/__init__.py:72"),
    "mlperf-v2.1-023": (1280, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/bert/Offline/__init__.py:40"),
    "mlperf-v2.1-024": (48, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/bert/Server/__init__.py:40"),
    "mlperf-v2.1-025": (2048, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/resnet50/Offline/__init__.py:289"),
    "mlperf-v2.1-026": (128, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/resnet50/Server/__init__.py:207"),
    "mlperf-v2.1-027": (32, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/retinanet/Offline/__init__.py:35"),
    "mlperf-v2.1-028": (16, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/retinanet/Server/__init__.py:37"),
    "mlperf-v2.1-029": (2048, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/rnnt/Offline/__init__.py:175"),
    "mlperf-v2.1-030": (2048, None, None, "A100_SXM_80GBx8_MaxQ in closed/Fujitsu/configs/rnnt/Server/__init__.py:175"),
    "mlperf-v2.1-031": (1, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/3d-unet/Offline/__init__.py:114"),
    "mlperf-v2.1-032": (1024, None, 150, "A30x3_R4900G5_HighAccuracy_MaxQ in closed/H3C/configs/bert/Offline/__init__.py:183"),
    "mlperf-v2.1-033": (1024, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/bert/Offline/__init__.py:183"),
    "mlperf-v2.1-034": (64, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/bert/Server/__init__.py:133"),
    "mlperf-v2.1-035": (2048, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/resnet50/Offline/__init__.py:120"),
    "mlperf-v2.1-036": (64, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/resnet50/Server/__init__.py:104"),
    "mlperf-v2.1-037": (2048, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/rnnt/Offline/__init__.py:82"),
    "mlperf-v2.1-038": (1792, None, 150, "A30x3_R4900G5_MaxQ in closed/H3C/configs/rnnt/Server/__init__.py:73"),
    "mlperf-v2.1-039": (1, None, 225, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/3d-unet/Offline/__init__.py:413"),
    "mlperf-v2.1-040": (512, None, 275, "A100_SXM_80GBx8_HighAccuracy_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:613"),
    "mlperf-v2.1-041": (1280, None, 275, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:522; closed/NVIDIA/configs/bert/Offline/__init__.py:608"),
    "mlperf-v2.1-042": (48, None, 275, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Server/__init__.py:278; closed/NVIDIA/configs/bert/Server/__init__.py:333"),
    "mlperf-v2.1-043": (2048, None, 250, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Offline/__init__.py:284; closed/NVIDIA/configs/resnet50/Offline/__init__.py:340"),
    "mlperf-v2.1-044": (128, None, 225, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Server/__init__.py:207; closed/NVIDIA/configs/resnet50/Server/__init__.py:255"),
    "mlperf-v2.1-045": (32, None, 250, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Offline/__init__.py:117; closed/NVIDIA/configs/retinanet/Offline/__init__.py:99"),
    "mlperf-v2.1-046": (16, None, 250, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Server/__init__.py:68; closed/NVIDIA/configs/retinanet/Server/__init__.py:89"),
    "mlperf-v2.1-047": (2048, None, 225, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Offline/__init__.py:166; closed/NVIDIA/configs/rnnt/Offline/__init__.py:185"),
    "mlperf-v2.1-048": (2048, None, 275, "A100_SXM_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Server/__init__.py:175; closed/NVIDIA/configs/rnnt/Server/__init__.py:184"),
    "mlperf-v3.0-049": (256, None, 45, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/bert/Offline/custom.py:117"),
    "mlperf-v3.0-050": (1, None, 60, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/bert/SingleStream/__init__.py:25; closed/Dell/configs/bert/SingleStream/custom.py:22"),
    "mlperf-v3.0-052": (1, None, 60, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/resnet50/SingleStream/__init__.py:25; closed/Dell/configs/resnet50/SingleStream/custom.py:20"),
    "mlperf-v3.0-053": (4, None, 45, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/retinanet/Offline/custom.py:91"),
    "mlperf-v3.0-054": (1, None, 60, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/retinanet/SingleStream/__init__.py:28; closed/Dell/configs/retinanet/SingleStream/custom.py:15"),
    "mlperf-v3.0-055": (512, None, 45, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/rnnt/Offline/custom.py:74"),
    "mlperf-v3.0-056": (1, None, 60, "XR4520C_MAXQ_A2X1 in closed/Dell/configs/rnnt/SingleStream/__init__.py:25; closed/Dell/configs/rnnt/SingleStream/custom.py:8"),
    "mlperf-v3.0-058": (8, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/bert/Offline/custom.py:144"),
    "mlperf-v3.0-059": (1, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/bert/SingleStream/__init__.py:25"),
    "mlperf-v3.0-061": (1, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/resnet50/SingleStream/__init__.py:25"),
    "mlperf-v3.0-062": (2, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/retinanet/Offline/custom.py:113"),
    "mlperf-v3.0-063": (1, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/retinanet/SingleStream/__init__.py:28"),
    "mlperf-v3.0-064": (512, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/rnnt/Offline/custom.py:93"),
    "mlperf-v3.0-065": (1, None, None, "XR5610_L4x1_MaxQ in closed/Dell/configs/rnnt/SingleStream/__init__.py:25"),
    "mlperf-v3.0-072": (8, None, 165, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/3d-unet/Offline/__init__.py:225; closed/NVIDIA/configs/3d-unet/Offline/__init__.py:249"),
    "mlperf-v3.0-073": (1024, None, 240, "A100_PCIe_80GBx8_HighAccuracy_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:218; closed/NVIDIA/configs/bert/Offline/__init__.py:293"),
    "mlperf-v3.0-074": (1024, None, 240, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:218; closed/NVIDIA/configs/bert/Offline/__init__.py:293"),
    "mlperf-v3.0-075": (64, None, 200, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Server/__init__.py:235; closed/NVIDIA/configs/bert/Server/__init__.py:276"),
    "mlperf-v3.0-076": (2048, None, 195, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Offline/__init__.py:123; closed/NVIDIA/configs/resnet50/Offline/__init__.py:164"),
    "mlperf-v3.0-077": (128, None, 200, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Server/__init__.py:218"),
    "mlperf-v3.0-078": (16, None, 210, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Offline/__init__.py:156; closed/NVIDIA/configs/retinanet/Offline/__init__.py:167"),
    "mlperf-v3.0-079": (16, None, 200, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Server/__init__.py:157; closed/NVIDIA/configs/retinanet/Server/__init__.py:176"),
    "mlperf-v3.0-080": (2048, None, 180, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Offline/__init__.py:129; closed/NVIDIA/configs/rnnt/Offline/__init__.py:54"),
    "mlperf-v3.0-081": (2048, None, 200, "A100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Server/__init__.py:124; closed/NVIDIA/configs/rnnt/Server/__init__.py:137"),
    "mlperf-v3.0-082": (8, None, 200, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/3d-unet/Offline/__init__.py:146; closed/NVIDIA/configs/3d-unet/Offline/__init__.py:153"),
    "mlperf-v3.0-083": (1024, None, 300, "H100_PCIe_80GBx8_HighAccuracy_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:1544; closed/NVIDIA/configs/bert/Offline/__init__.py:50"),
    "mlperf-v3.0-084": (1280, None, 290, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:1538; closed/NVIDIA/configs/bert/Offline/__init__.py:40"),
    "mlperf-v3.0-085": (64, None, 300, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/bert/Server/__init__.py:74; closed/NVIDIA/configs/bert/Server/__init__.py:88"),
    "mlperf-v3.0-086": (2048, None, 215, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Offline/__init__.py:85; closed/NVIDIA/configs/resnet50/Offline/__init__.py:860"),
    "mlperf-v3.0-087": (128, None, 225, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/resnet50/Server/__init__.py:104; closed/NVIDIA/configs/resnet50/Server/__init__.py:138"),
    "mlperf-v3.0-088": (16, None, 215, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Offline/__init__.py:337; closed/NVIDIA/configs/retinanet/Offline/__init__.py:96"),
    "mlperf-v3.0-089": (8, None, 225, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/retinanet/Server/__init__.py:115; closed/NVIDIA/configs/retinanet/Server/__init__.py:123"),
    "mlperf-v3.0-090": (2048, None, 200, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Offline/__init__.py:453; closed/NVIDIA/configs/rnnt/Offline/__init__.py:70"),
    "mlperf-v3.0-091": (2048, None, 200, "H100_PCIe_80GBx8_MaxQ in closed/NVIDIA/configs/rnnt/Server/__init__.py:101; closed/NVIDIA/configs/rnnt/Server/__init__.py:93"),
    "mlperf-v3.0-092": (2, None, None, "Orin_MaxQ in closed/NVIDIA/configs/3d-unet/SingleStream/__init__.py:460"),
    "mlperf-v3.0-093": (384, None, None, "Orin_MaxQ in closed/NVIDIA/configs/bert/Offline/__init__.py:1290"),
    "mlperf-v3.0-094": (1, None, None, "Orin_MaxQ in closed/NVIDIA/configs/bert/SingleStream/__init__.py:25"),
    "mlperf-v3.0-095": (256, 8, None, "Orin_MaxQ in closed/NVIDIA/configs/resnet50/Offline/__init__.py:776"),
    "mlperf-v3.0-096": (1, None, None, "Orin_MaxQ in closed/NVIDIA/configs/resnet50/SingleStream/__init__.py:25"),
    "mlperf-v3.0-097": (1, 1, None, "Orin_MaxQ in closed/NVIDIA/configs/retinanet/Offline/__init__.py:302"),
    "mlperf-v3.0-098": (1, None, None, "Orin_MaxQ in closed/NVIDIA/configs/retinanet/SingleStream/__init__.py:28"),
    "mlperf-v3.0-099": (512, None, None, "Orin_MaxQ in closed/NVIDIA/configs/rnnt/Offline/__init__.py:419"),
    "mlperf-v3.0-100": (1, None, None, "Orin_MaxQ in closed/NVIDIA/configs/rnnt/SingleStream/__init__.py:25"),
}


# ----------------------------------------------------------------------------- extra rows
#: Points that are not in the shared reference file, in its column layout, each read by hand from the
#: results repository named in its provenance. build() normalises them like the reference rows.
V31 = "mlcommons/inference_results_v3.1@eaf622a25c00f2b4b1d2c4f5b4f430570429d24a"
EXTRA_ROWS: list[dict[str, str]] = [
    {
        # The project's former single calibration point. Throughput: run_1 mlperf_log_summary.txt
        # ('Samples per second: 474849', VALID). Power: mean of the 667 spl.txt 'Watts' samples strictly
        # between power_begin 22:06:21.317 and power_end 22:17:28.476 (run_1 mlperf_log_detail.txt),
        # the submission checker's method; the first four samples (2511-2757 W) precede the load ramp.
        "id": "mlperf-v3.1-001",
        "source_kind": "mlperf",
        "round_or_version": "MLPerf Inference v3.1 closed",
        "provenance": f"{V31}:closed/NVIDIA/results/DGX-H100_H100-SXM-80GBx8_TRT_MaxQ/resnet50/Offline/"
                      "performance/run_1/ (mlperf_log_summary.txt, mlperf_log_detail.txt, spl.txt); "
                      "system: closed/NVIDIA/systems/DGX-H100_H100-SXM-80GBx8_TRT_MaxQ.json",
        "system": "NVIDIA DGX-H100_H100-SXM-80GBx8_TRT_MaxQ (NVIDIA DGX H100 (8x H100-SXM-80GB, MaxQ, TensorRT))",
        "accelerator": "NVIDIA H100-SXM-80GB",
        "accelerator_count": "8",
        "host_cpu": "2x Intel(R) Xeon(R) Platinum 8480C",
        "benchmark_model": "resnet50: ResNet-50 v1.5 (ImageNet 224x224)",
        "scenario": "Offline",
        "batch_or_concurrency": "Offline (all samples issued at once; batching chosen by submitter)",
        "precision": "int8",
        "input_len": "",
        "output_len": "",
        "throughput_value": "474849",
        "throughput_unit": "samples/s",
        "avg_power_w": "4063.98",
        "power_boundary": "wall-system (AC, whole node incl. host CPU/fans/PSU; PTD-logged analyzer)",
        "energy_per_unit_j": "0.0085585",
        "unit": "sample",
        "notes": "avg power = mean of spl.txt 1 Hz 'Watts' samples strictly between power_begin/power_end of "
                 "run_1 mlperf_log_detail.txt (n=667, window=667 s; same method as submission_checker "
                 "get_power_metric); NVIDIA MaxQ (power-optimized config); status=available; precision int8 "
                 "as in NVIDIA's other ResNet-50 submissions (not stated in a file read for this row)",
    },
]


def benchmark(text: str) -> str:
    for prefix, name in BENCHMARKS:
        if text.startswith(prefix):
            return name
    raise SystemExit(f"unknown benchmark {text!r}: add it to BENCHMARKS")


def system_id(text: str) -> str:
    for key, sid in SYSTEMS.items():
        if text == key or text.startswith(key + " "):
            return sid
    raise SystemExit(f"unknown system {text!r}: add it to SYSTEMS")


#: rows whose submission config computes at another precision than the results table states
PRECISION_OVERRIDE = {
    "mlperf-v3.0-083": ("fp8", "stated fp16, but the submission's config class H100_PCIe_80GBx1_HighAccuracy "
                               "(closed/NVIDIA/configs/bert/Offline/__init__.py:50, the parent of the cited "
                               "H100_PCIe_80GBx8_HighAccuracy_MaxQ) sets use_fp8 = True: the GEMMs run in fp8"),
}


def precision(text: str) -> tuple[str, str]:
    """The precision the math runs at, and a note when the reference states more than one."""
    t = text.lower()
    if t == "bfloat16":
        return "bf16", ""
    if t in ("int8", "fp16", "fp32", "mxfp4"):
        return t, ("MoE expert weights in MXFP4, the rest in BF16 (vLLM)" if t == "mxfp4" else "")
    m = re.match(r"weights ([a-z0-9,]+); inputs \w+$", t)
    if m:
        kinds = m.group(1).split(",")
        if len(kinds) > 1:
            return kinds[0], f"mixed weights ({m.group(1)}): most layers {kinds[0]}"
        return kinds[0], ""
    raise SystemExit(f"unknown precision {text!r}")


def boundary(text: str) -> str:
    if text.startswith("wall-system"):
        return "node-wall"
    if text.startswith("gpu-only"):
        return "accelerator"
    raise SystemExit(f"unknown power boundary {text!r}")


def build(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for r in rows:
        sid = system_id(r["system"])
        hw = HARDWARE[r["accelerator"]]
        prec, prec_note = PRECISION_OVERRIDE.get(r["id"]) or precision(r["precision"])
        scenario = SCENARIOS[r["scenario"]]
        bench = benchmark(r["benchmark_model"])
        notes = []
        batch = concurrency = power_limit = ""
        if r["source_kind"] == "mlperf":
            power_mode = "maxq" if "_MaxQ" in r["system"] else "unknown"
            settings = MLPERF_SETTINGS.get(r["id"])
            if settings:
                gpu_batch, dla_batch, limit, cite = settings
                if gpu_batch is not None:
                    batch = str(gpu_batch)
                if limit is not None:
                    power_limit = str(limit)
                repo = r["provenance"].split(":", 1)[0]
                notes.append(f"batch/power limit: config class {cite} ({repo})")
                if dla_batch is not None:
                    notes.append(f"dla_batch_size={dla_batch}")
            if r["id"] in QAIC_SETTINGS:
                qbatch, cite = QAIC_SETTINGS[r["id"]]
                batch = str(qbatch)
                notes.append(f"batch: {cite}; decoding and NMS on the host CPUs (compiled graph without NMS)")
            if not batch and scenario == "singlestream":
                batch = "1"
                notes.append("SingleStream: one query at a time (batch 1 by the scenario's definition)")
            if sid in HW_NOTES_LIMIT:
                limit, why = HW_NOTES_LIMIT[sid]
                power_limit = str(limit)
                notes.append(f"power_limit_w from the system description: {why}")
            if r["accelerator"].endswith(" CTS"):
                notes.append("A100-SXM-80GB CTS: 500 W TDP module per the system description hw_notes")
            if "-99.9" in r["benchmark_model"].split(":")[0]:
                notes.append("accuracy target 99.9%")
            elif r["benchmark_model"].startswith(("bert-99", "3d-unet-99")):
                notes.append("accuracy target 99%")
        else:
            power_mode = "uncapped"
            m = re.match(r"max_num_seqs=(\d+)$", r["batch_or_concurrency"])
            concurrency = m.group(1) if m else ""
        if prec_note:
            notes.append(prec_note)
        notes.append(r["notes"])
        out.append({
            "id": r["id"],
            "source_kind": r["source_kind"],
            "provenance": r["provenance"],
            "hardware": hw,
            "accelerator_count": r["accelerator_count"],
            "system": sid,
            "benchmark": bench,
            "scenario": scenario,
            "batch": batch,
            "concurrency": concurrency,
            "precision": prec,
            "input_len": r["input_len"],
            "output_len": r["output_len"],
            "throughput": r["throughput_value"],
            "throughput_unit": UNITS[r["throughput_unit"]],
            "avg_power_w": r["avg_power_w"],
            "boundary": boundary(r["power_boundary"]),
            "power_mode": power_mode,
            "power_limit_w": power_limit,
            "energy_j": r["energy_per_unit_j"],
            "unit": r["unit"],
            "exclude": EXCLUDE.get(r["id"], "") or model_exclusion(hw, bench, scenario),
            "notes": "; ".join(n for n in notes if n),
        })
    return out


def main(argv: list[str]) -> None:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_INPUT
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = build(rows + EXTRA_ROWS)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {len(out)} rows to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv)

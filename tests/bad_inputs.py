"""A corpus of invalid inputs for every command, generated (nothing large is committed).

``cases(folder)`` writes the files the cases need under ``folder`` and returns the cases: each
is CLI arguments that must be rejected with exit 2 and ONE line on stderr naming ``needle`` (the
file, field, flag or value at fault). tests/test_bad_inputs.py runs them;
``python tests/bad_inputs.py FOLDER`` writes them and prints a summary.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    needle: str  # must appear in the one-line message (case-insensitive)
    special: bool = False  # needs a subprocess (special files, memory/time)
    env: tuple[tuple[str, str], ...] = field(default=())
    cwd: str | None = None


# ----------------------------------------------------------------------------- models


def _models(folder: Path) -> dict[str, Path]:
    """Invalid ONNX models, one defect each (and a valid one to pair with bad flags)."""
    import numpy as np
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper as nh

    out: dict[str, Path] = {}

    def vi(name, shape, dt=T.FLOAT):
        return h.make_tensor_value_info(name, dt, shape)

    def save(name, nodes, inputs, outputs, inits=(), opset=17, raw=None):
        path = folder / f"{name}.onnx"
        if raw is not None:
            path.write_bytes(raw)
        else:
            g = h.make_graph(nodes, name, inputs, outputs, list(inits))
            m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)], producer_name="bad-inputs")
            path.write_bytes(m.SerializeToString())
        out[name] = path
        return path

    w = nh.from_array(np.zeros((4, 4), np.float32), "w")
    save("valid", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])], [vi("y", [1, 4])], [w])
    neg = onnx.TensorProto()
    neg.name, neg.data_type = "w", T.FLOAT
    neg.dims.extend([4, -4])
    save("negative_dim", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])], [vi("y", [1, 4])], [neg])
    shape = nh.from_array(np.array([2**40, 2**40], np.int64), "shape")
    save("huge_reshape", [h.make_node("Reshape", ["x", "shape"], ["r"], name="rs"),
                          h.make_node("Relu", ["r"], ["y"], name="relu")],
         [vi("x", [1, 4])], [vi("y", None)], [shape])
    k9 = nh.from_array(np.zeros((1, 1, 9, 9), np.float32), "k")
    save("kernel_too_big", [h.make_node("Conv", ["x", "k"], ["y"], name="conv")], [vi("x", [1, 1, 4, 4])],
         [vi("y", None)], [k9])
    save("cycle", [h.make_node("Relu", ["b"], ["a"], name="n1"), h.make_node("Relu", ["a"], ["b"], name="n2"),
                   h.make_node("Add", ["x", "a"], ["y"], name="n3")], [vi("x", [1, 4])], [vi("y", [1, 4])])
    save("self_loop", [h.make_node("Add", ["x", "y"], ["y"], name="n1")], [vi("x", [1, 4])], [vi("y", [1, 4])])
    w54 = nh.from_array(np.zeros((4, 4), np.float32), "w")
    save("matmul_mismatch", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 5])],
         [vi("y", None)], [w54])
    b75 = nh.from_array(np.zeros((7, 5), np.float32), "b")
    save("add_mismatch", [h.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [2, 3])], [vi("y", None)], [b75])
    c34 = nh.from_array(np.zeros((2, 3, 4), np.float32), "c")
    save("concat_rank", [h.make_node("Concat", ["x", "c"], ["y"], name="cat", axis=0)], [vi("x", [2, 3])],
         [vi("y", None)], [c34])
    c53 = nh.from_array(np.zeros((5, 3), np.float32), "c")
    save("concat_dims", [h.make_node("Concat", ["x", "c"], ["y"], name="cat", axis=1)], [vi("x", [2, 3])],
         [vi("y", None)], [c53])
    c23 = nh.from_array(np.zeros((2, 3), np.float32), "c")
    save("concat_axis", [h.make_node("Concat", ["x", "c"], ["y"], name="cat", axis=7)], [vi("x", [2, 3])],
         [vi("y", None)], [c23])
    k3 = nh.from_array(np.zeros((2, 1, 3, 3), np.float32), "k")
    save("conv_group0", [h.make_node("Conv", ["x", "k"], ["y"], name="conv", group=0)], [vi("x", [1, 1, 8, 8])],
         [vi("y", None)], [k3])
    k3c = nh.from_array(np.zeros((2, 3, 3, 3), np.float32), "k")
    save("conv_channels", [h.make_node("Conv", ["x", "k"], ["y"], name="conv")], [vi("x", [1, 1, 8, 8])],
         [vi("y", None)], [k3c])
    wg = nh.from_array(np.zeros((5, 4), np.float32), "w")
    save("gemm_mismatch", [h.make_node("Gemm", ["x", "w"], ["y"], name="gemm")], [vi("x", [1, 4])], [vi("y", None)], [wg])
    und = onnx.TensorProto()
    und.name, und.data_type = "w", 0
    und.dims.extend([4, 4])
    save("undefined_dtype", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])], [vi("y", [1, 4])], [und])
    unk = onnx.TensorProto()
    unk.name, unk.data_type = "w", 99
    unk.dims.extend([4, 4])
    save("unknown_dtype", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])], [vi("y", [1, 4])], [unk])
    save("input_dtype0", [h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4], 0)], [vi("y", [1, 4])])
    for v in (99, 0, -1, 1000):
        save(f"opset_{v}".replace("-", "m"), [h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])],
             [vi("y", [1, 4])], opset=v)
    save("dangling_input", [h.make_node("Add", ["x", "ghost"], ["y"], name="add")], [vi("x", [1, 4])], [vi("y", [1, 4])])
    save("duplicated_output", [h.make_node("Relu", ["x"], ["y"], name="a"), h.make_node("Sigmoid", ["x"], ["y"], name="b")],
         [vi("x", [1, 4])], [vi("y", [1, 4])])
    save("output_shadows_input", [h.make_node("Relu", ["x"], ["x"], name="a")], [vi("x", [1, 4])], [vi("x", [1, 4])])
    save("missing_output", [h.make_node("Relu", ["x"], ["y"], name="a")], [vi("x", [1, 4])], [vi("nowhere", [1, 4])])
    big = onnx.TensorProto()
    big.name, big.data_type = "w", T.FLOAT
    big.dims.extend([2**31 + 1, 4])
    save("dim_too_big", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])], [vi("y", None)], [big])
    save("neg_input_dim", [h.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, -3])], [vi("y", None)])
    save("empty", [], [], [], raw=b"")
    save("garbage", [], [], [], raw=b"\x08\x07garbage\xff\xfe" * 10)
    save("text", [], [], [], raw=b"this is not a model\n")
    valid = out["valid"].read_bytes()
    save("truncated", [], [], [], raw=valid[: len(valid) // 2])
    save("no_graph", [], [], [], raw=onnx.ModelProto(ir_version=8).SerializeToString())
    (folder / "a_directory.onnx").mkdir(exist_ok=True)
    out["a_directory"] = folder / "a_directory.onnx"
    return out


MODEL_NEEDLES = {
    "negative_dim": "'w'", "huge_reshape": "rs", "kernel_too_big": "conv", "cycle": "cycle", "self_loop": "n1",
    "matmul_mismatch": "mm", "add_mismatch": "add", "conv_group0": "group", "conv_channels": "channels",
    "gemm_mismatch": "gemm", "concat_rank": "ranks 2, 3", "concat_dims": "differ on axis 0",
    "concat_axis": "axis 7", "undefined_dtype": "undefined", "unknown_dtype": "unknown", "input_dtype0": "'x'",
    "opset_99": "opset", "opset_0": "opset", "opset_m1": "opset", "opset_1000": "opset", "dangling_input": "ghost",
    "duplicated_output": "'y'", "output_shadows_input": "'x'", "missing_output": "nowhere", "dim_too_big": "'w'",
    "neg_input_dim": "'x'", "empty": "empty", "garbage": "garbage.onnx", "text": "text.onnx",
    "truncated": "truncated.onnx", "no_graph": "no_graph.onnx", "a_directory": "directory",
}


# ----------------------------------------------------------------------------- files


def _w(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


SPEC_OK = "name: run\nhardware: a100\ncount: 8\nhours: 10\n"
PROFILE_OK = """id: my-gpu
name: My GPU
vendor: Me
kind: gpu
tdp_w: 300
sources:
  - {id: me, title: my sheet, publisher: me, year: 2024, fields: [tdp_w]}
"""
HOURLY = "timestamp,intensity_gco2e_per_kwh\n"


def _specs(folder: Path) -> list[Case]:
    bad = {
        "dup_hardware": (SPEC_OK + "hardware: h100\n", "duplicate key 'hardware'"),
        "dup_hours": (SPEC_OK + "hours: 11\n", "duplicate key 'hours'"),
        "count_true": (SPEC_OK.replace("count: 8", "count: true"), "count"),
        "count_false": (SPEC_OK.replace("count: 8", "count: false"), "count"),
        "count_float": (SPEC_OK.replace("count: 8", "count: 2.5"), "count"),
        "count_zero": (SPEC_OK.replace("count: 8", "count: 0"), "count"),
        "count_huge": (SPEC_OK.replace("count: 8", "count: 100000000"), "count"),
        "count_str": (SPEC_OK.replace("count: 8", "count: eight"), "count"),
        "count_list": (SPEC_OK.replace("count: 8", "count: [8]"), "count"),
        "hours_inf": (SPEC_OK.replace("hours: 10", "hours: .inf"), "hours"),
        "hours_nan": (SPEC_OK.replace("hours: 10", "hours: .nan"), "hours"),
        "hours_neg": (SPEC_OK.replace("hours: 10", "hours: -5"), "hours"),
        "hours_huge": (SPEC_OK.replace("hours: 10", "hours: 1e300"), "hours"),
        "hours_true": (SPEC_OK.replace("hours: 10", "hours: true"), "hours"),
        "hours_1e308": (SPEC_OK.replace("hours: 10", "hours: 1.0e+308"), "hours"),
        "pue_low": (SPEC_OK + "pue: 0.5\n", "pue"),
        "pue_huge": (SPEC_OK + "pue: 1e9\n", "pue"),
        "pue_true": (SPEC_OK + "pue: true\n", "pue"),
        "power_huge": (SPEC_OK + "power_w: 1e9\n", "power_w"),
        "power_zero": (SPEC_OK + "power_w: 0\n", "power_w"),
        "util_two": (SPEC_OK + "utilization: 2\n", "utilization"),
        "mfu_huge": (SPEC_OK.replace("hours: 10", "params: 1e9\ntokens: 1e9\nmfu: 3"), "mfu"),
        "params_inf": (SPEC_OK.replace("hours: 10", "params: .inf\ntokens: 1e9"), "params"),
        "tokens_huge": (SPEC_OK.replace("hours: 10", "params: 1e9\ntokens: 1e30"), "tokens"),
        "intensity_huge": (SPEC_OK + "intensity_gco2e_per_kwh: 1e6\n", "intensity_gco2e_per_kwh"),
        "intensity_true": (SPEC_OK + "intensity_gco2e_per_kwh: true\n", "intensity_gco2e_per_kwh"),
        "lifetime_zero": (SPEC_OK + "lifetime_years: 0\n", "lifetime_years"),
        "host_huge": (SPEC_OK + "host: {cpu_power_w: 1e12}\n", "cpu_power_w"),
        "host_true": (SPEC_OK + "host: {memory_gb: true}\n", "memory_gb"),
        "host_typo": (SPEC_OK + "host: {cpu_pwer_w: 100}\n", "cpu_pwer_w"),
        "typo_hardware": ("name: run\nhardwre: a100\nhours: 3\n", "did you mean 'hardware'"),
        "typo_hours": ("hardware: a100\nhuors: 3\n", "did you mean 'hours'"),
        "typo_count": (SPEC_OK + "cuont: 3\n", "did you mean 'count'"),
        "unknown_field": (SPEC_OK + "colour: red\n", "colour"),
        "nul_byte": (SPEC_OK + "name: a\x00b\n", ":5"),
        "not_mapping": ("- a\n- b\n", "mapping"),
        "scalar": ("42\n", "mapping"),
        "syntax": ("hardware: [a100\n", "syntax"),
        "tabs": ("hardware:\ta100\n\thours: 3\n", "spec"),
        "not_utf8": (b"hardware: a100\nname: \xff\xfe\n", "UTF-8"),
        "deep": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "spec"),
        "too_big": ("# " + "x" * (1 << 20) + "\nhardware: a100\nhours: 1\n", "too big"),
        "unknown_hw": ("hardware: a1000\nhours: 3\n", "a1000"),
        "both_ways": (SPEC_OK + "gpu_hours: 3\n", "exactly one"),
        "precision_bad": (SPEC_OK + "precision: fp7\n", "precision"),
        "start_bad": (SPEC_OK + "start: yesterday\n", "start"),
        "grid_missing": (SPEC_OK + "grid_file: nowhere.csv\n", "nowhere.csv"),
        "model_missing": ("hardware: a100\nmodel: nowhere.onnx\nsamples: 10\n", "nowhere.onnx"),
        "alias_key": ("base: &b {hardware: a100}\n<<: *b\nhours: 3\n", "base"),
        "empty_key": (SPEC_OK + ": 3\n", "spec"),
        "list_key": (SPEC_OK + "? [a, b]\n: 3\n", "spec"),
        "embodied_str": (SPEC_OK + "embodied: maybe\n", "embodied"),
        "name_list": (SPEC_OK.replace("name: run", "name: [a, b]"), "name"),
    }
    cases = []
    for key, (text, needle) in bad.items():
        path = _w(folder, f"specs/{key}.yaml", text)
        cases.append(Case(f"spec-{key}", ("train", path), needle))
    # the same specs through lifecycle (training half): a sample of them
    valid_model = str(folder / "valid.onnx")
    for key in ("dup_hardware", "count_true", "hours_inf", "typo_hardware", "nul_byte", "pue_huge", "deep", "too_big"):
        cases.append(Case(f"lifecycle-spec-{key}", ("lifecycle", str(folder / f"specs/{key}.yaml"), "--model", valid_model),
                          bad[key][1]))
    return cases


def _flags(folder: Path) -> list[Case]:
    model = str(folder / "valid.onnx")
    train = ("train", "--hardware", "a100", "--hours", "10")
    cases = []
    numeric_train = {
        "--count": ("x", "0", "-1", "1e20", "2.5", "true", "99999999999999999999999"),
        "--hours": ("nan", "inf", "-inf", "0", "-1", "1e300", "1e308", "abc", ""),
        "--gpu-hours": ("nan", "0", "1e300", "-3"),
        "--power": ("1e9", "0", "-5", "nan", "inf", "watts"),
        "--utilization": ("0", "1.5", "nan", "-0.1"),
        "--pue": ("1e9", "0.9", "nan", "inf", "0"),
        "--intensity": ("-1", "1e6", "nan", "inf"),
        "--lifetime-years": ("0", "1e9", "nan"),
        "--host-embodied-kg": ("-1", "1e12", "inf"),
        "--mfu": ("0", "2", "nan"),
        "--epochs": ("0", "nan"),
    }
    for flag, values in numeric_train.items():
        for v in values:
            args = train
            if flag == "--hours":
                args = ("train", "--hardware", "a100")
            elif flag == "--gpu-hours":
                args = ("train", "--hardware", "a100")
            elif flag in ("--mfu", "--epochs"):
                args = ("train", "--hardware", "a100", "--params", "1e9", "--tokens", "1e9")
            cases.append(Case(f"train{flag}={v}", (*args, flag, v), flag))
    for flag, values in {"--params": ("0", "1e30", "nan"), "--tokens": ("-1", "1e30", "inf")}.items():
        for v in values:
            other = "--tokens" if flag == "--params" else "--params"
            cases.append(Case(f"train{flag}={v}", ("train", "--hardware", "a100", other, "1e9", flag, v), flag))
    cases += [
        Case("train-window-nan", (*train, "--best-start", "--window", "nan"), "window"),
        Case("train-window-neg", (*train, "--best-start", "--window", "-3"), "window"),
        Case("train-window-alone", (*train, "--window", "5"), "--window"),
        Case("train-start-empty", (*train, "--start", ""), "--start"),
        Case("train-start-bad", (*train, "--start", "tomorrow"), "--start"),
        Case("train-start-no-grid", (*train, "--start", "2022-01-01T00:00Z"), "--start"),
        Case("train-compare-region-comma", (*train, "--compare-region", ","), "--compare-region"),
        Case("train-compare-hw-comma", (*train, "--compare-hardware", " , "), "--compare-hardware"),
        Case("train-compare-region-unknown", (*train, "--compare-region", "atlantis"), "atlantis"),
        Case("train-region-unknown", (*train, "--region", "atlantis"), "atlantis"),
        Case("train-provider-unknown", (*train, "--provider", "acme"), "acme"),
        Case("train-hardware-unknown", ("train", "--hardware", "gtx9999", "--hours", "1"), "gtx9999"),
        Case("train-no-hardware", ("train", "--hours", "1"), "hardware"),
        Case("train-no-length", ("train", "--hardware", "a100"), "hours"),
        Case("train-best-start-no-grid", (*train, "--best-start"), "--grid-file"),
        Case("train-two-grids", (*train, "--region", "fr", "--intensity", "100"), "only one"),
        Case("train-gaps-bad", (*train, "--gaps", "ignore"), "--gaps"),
        Case("train-grid-basis-bad", (*train, "--grid-basis", "both"), "--grid-basis"),
        Case("train-grid-basis-no-file", (*train, "--grid-basis", "direct"), "grid"),
    ]
    infer = ("infer", model)
    numeric_infer = {
        "--batch": ("0", "-1", "x", "1e3", "99999999999"),
        "--top": ("-3", "-1", "x", "10000000000"),
        "--inferences": ("0", "-5", "nan", "inf", "1e300"),
        "--days": ("0", "-1", "nan", "1e9"),
        "--pue": ("0.5", "1e9", "nan"),
        "--intensity": ("-1", "nan", "1e9"),
    }
    for flag, values in numeric_infer.items():
        for v in values:
            extra = ("--rate", "1/s") if flag == "--days" else ()
            cases.append(Case(f"infer{flag}={v}", (*infer, *extra, flag, v), flag))
    for v in ("1e300/s", "0/s", "-1/day", "nan/s", "inf/day", "5", "5/fortnight", "/s", "1e6/", "abc"):
        cases.append(Case(f"infer--rate={v}", (*infer, "--rate", v), "rate"))
    for v in ("seq", "seq=", "=5", "seq=x", "seq=-1", "seq=0", "seq=1e40", "nope=3"):
        cases.append(Case(f"infer--dim={v}", (*infer, "--dim", v), "dim"))
    cases += [
        Case("infer-by-bad", (*infer, "--by", "layer"), "--by"),
        Case("infer-precision-bad", (*infer, "--precision", "fp7"), "--precision"),
        Case("infer-format-bad", (*infer, "--format", "xml"), "--format"),
        Case("infer-units-bad", (*infer, "--units", "furlongs"), "--units"),
        Case("infer-both-volumes", (*infer, "--inferences", "5", "--rate", "1/s"), "not both"),
        Case("infer-days-no-rate", (*infer, "--days", "5"), "--days"),
        Case("infer-hw-unknown", (*infer, "--hardware", "zz"), "zz"),
        Case("infer-compare-comma", (*infer, "--compare-region", ",,"), "--compare-region"),
        Case("infer-no-model", ("infer",), "model"),
        Case("infer-missing-model", ("infer", str(folder / "nope.onnx")), "nope.onnx"),
        Case("lifecycle-both-volumes", ("lifecycle", "--model", model, "--hardware", "a100", "--hours", "1",
                                        "--inferences", "5", "--rate", "1/s"), "not both"),
        Case("lifecycle-no-model", ("lifecycle", "--hardware", "a100", "--hours", "1"), "--model"),
        Case("lifecycle-batch-0", ("lifecycle", "--model", model, "--hardware", "a100", "--hours", "1", "--batch", "0"),
             "--batch"),
        Case("lifecycle-days-nan", ("lifecycle", "--model", model, "--hardware", "a100", "--hours", "1", "--days",
                                    "nan"), "--days"),
        Case("infer-power-limit-nan", (*infer, "--power-limit", "nan"), "power limit"),
        Case("infer-power-limit-neg", (*infer, "--power-limit", "-5"), "power limit"),
        Case("infer-power-limit-huge", (*infer, "--power-limit", "1e9"), "power limit"),
        Case("infer-system-unknown", (*infer, "--system", "nope"), "nope"),
        Case("infer-llm-prompt-neg", ("infer", "llama-3.1-8b", "--prompt-tokens", "-1", "--output-tokens", "5"),
             "prompt tokens"),
        Case("infer-llm-concurrency-0", ("infer", "llama-3.1-8b", "--prompt-tokens", "5", "--output-tokens", "5",
                                         "--concurrency", "0"), "concurrency"),
        Case("infer-llm-unknown", ("infer", "gpt2", "--prompt-tokens", "5", "--output-tokens", "5"), "gpt2"),
        Case("regions-kind-planet", ("regions", "list", "--kind", "planet"), "planet"),
        Case("regions-show-unknown", ("regions", "show", "atlantis"), "atlantis"),
        Case("hardware-kind-bad", ("hardware", "list", "--kind", "quantum"), "quantum"),
        Case("hardware-show-unknown", ("hardware", "show", "zz9"), "zz9"),
        Case("hardware-show-missing-arg", ("hardware", "show"), "ID"),
        Case("unknown-command", ("estimate",), "estimate"),
        Case("unknown-option", ("train", "--bogus"), "--bogus"),
        Case("demo-format-bad", ("demo", "--format", "pdf"), "--format"),
        Case("check-fail-on-bad", ("check", "--fail-on", "always"), "--fail-on"),
        Case("check-format-bad", ("check", "--format", "yaml"), "--format"),
        Case("extra-arg", ("regions", "list", "extra"), "extra"),
    ]
    return cases


def _profiles(folder: Path) -> list[Case]:
    bad = {
        "tdp_inf": (PROFILE_OK.replace("tdp_w: 300", "tdp_w: .inf"), "tdp_w"),
        "tdp_nan": (PROFILE_OK.replace("tdp_w: 300", "tdp_w: .nan"), "tdp_w"),
        "tdp_true": (PROFILE_OK.replace("tdp_w: 300", "tdp_w: true"), "tdp_w"),
        "tdp_huge": (PROFILE_OK.replace("tdp_w: 300", "tdp_w: 1e12"), "tdp_w"),
        "tdp_neg": (PROFILE_OK.replace("tdp_w: 300", "tdp_w: -300"), "tdp_w"),
        "bw_1e400": (PROFILE_OK + "memory_bandwidth_gbps: 1e400\n", "memory_bandwidth_gbps"),
        "peak_true": (PROFILE_OK + "peak_tflops: {fp16: true}\n", "peak_tflops"),
        "peak_inf": (PROFILE_OK + "peak_tflops: {fp16: .inf}\n", "peak_tflops"),
        "peak_huge": (PROFILE_OK + "peak_tflops: {fp16: 1e12}\n", "peak_tflops"),
        "dup_tdp": (PROFILE_OK + "tdp_w: 400\n", "duplicate key 'tdp_w'"),
        "alias_h100": (PROFILE_OK + "aliases: [h100]\n", "h100"),
        "alias_a100_id": (PROFILE_OK + "aliases: [a100-pcie-40gb]\n", "a100-pcie-40gb"),
        "typo": (PROFILE_OK + "tdpw: 3\n", "tdpw"),
        "unsourced": (PROFILE_OK + "memory_gb: 80\n", "memory_gb"),
        "bad_kind": (PROFILE_OK.replace("kind: gpu", "kind: quantum"), "kind"),
        "bad_id": (PROFILE_OK.replace("id: my-gpu", "id: My GPU!"), "id"),
        "idle_above_tdp": (PROFILE_OK + "idle_w: 500\n", "idle_w"),
        "nul": (PROFILE_OK + "notes: a\x00\n", ":8"),
        "list_of_scalars": ("- 1\n- 2\n", "mapping"),
        "released_true": (PROFILE_OK + "released: true\n", "released"),
    }
    cases = []
    for key, (text, needle) in bad.items():
        path = _w(folder, f"profiles/{key}.yaml", text)
        cases.append(Case(f"profile-{key}", ("hardware", "list", "--hw-file", path), needle))
        if key in ("tdp_inf", "alias_h100", "dup_tdp", "bw_1e400"):
            cases.append(Case(f"profile-train-{key}", ("train", "--hardware", "my-gpu", "--hours", "1", "--hw-file", path),
                              needle))
    user = folder / "userdir"
    user.mkdir(exist_ok=True)
    (user / "clash.yaml").write_text(PROFILE_OK + "aliases: [h100]\n")
    cases.append(Case("profile-userdir-alias-clash", ("hardware", "list"), "h100",
                      env=(("WATTPRINT_HWPROFILES", str(user)),)))
    return cases


def _grids(folder: Path) -> list[Case]:
    long_gap = HOURLY + "2022-07-01T00:00Z,1\n2022-07-01T01:00Z,1\n2022-07-02T01:00Z,1\n2022-07-02T02:00Z,1\n"
    bad = {
        "dup": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T00:00Z,2\n", ":3"),
        "unsorted": (".csv", HOURLY + "2022-01-01T01:00Z,1\n2022-01-01T00:00Z,2\n", ":3"),
        "irregular": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,1\n2022-01-01T01:20Z,1\n", ":4"),
        "neg": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,-4\n", ":3"),
        "nan": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,nan\n", ":3"),
        "inf": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,inf\n", ":3"),
        "huge": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,1e9\n", ":3"),
        "word": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,high\n", ":3"),
        "true": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-01T01:00Z,true\n", ":3"),
        "bad_time": (".csv", HOURLY + "2022-01-01T00:00Z,1\nsoon,2\n", ":3"),
        "year_99999": (".csv", HOURLY + "2022-01-01T00:00Z,1\n99999-01-01T00:00Z,2\n", ":3"),
        "one_row": (".csv", HOURLY + "2022-01-01T00:00Z,1\n", "at least 2"),
        "daily": (".csv", HOURLY + "2022-01-01T00:00Z,1\n2022-01-02T00:00Z,1\n", "hourly"),
        "no_ts": (".csv", "time,intensity_gco2e_per_kwh\n2022-01-01,1\n", "timestamp"),
        "no_value": (".csv", "timestamp,kwh\n2022-01-01,1\n", "intensity"),
        "empty": (".csv", "", "empty"),
        "header_only": (".csv", HOURLY, "at least 2"),
        "short_row": (".csv", "timestamp,x,intensity_gco2e_per_kwh\n2022-01-01T00:00Z\n", ":2"),
        "nul": (".csv", HOURLY + "2022-01-01T00:00Z,1\x00\n", "grid"),
        "binary": (".csv", b"\xff\xfe\x00\x01" * 50, "grid"),
        "long_gap": (".csv", long_gap, "missing points"),
        "end_gap": (".csv", HOURLY + "2022-07-01T00:00Z,1\n2022-07-01T01:00Z,1\n2022-07-01T02:00Z,\n", "not interpolated"),
        "em_no_column": (".csv", "Datetime (UTC),Country\n2022-01-01 00:00:00,FR\n", "Electricity Maps"),
        "moer_neg": (".csv", "point_time,value\n2022-01-01T00:00Z,1\n2022-01-01T01:00Z,-1\n", ":3"),
        "moer_huge": (".csv", "point_time,value\n2022-01-01T00:00Z,1\n2022-01-01T01:00Z,99999\n", ":3"),
        "yaml_const_true": (".yaml", "intensity_gco2e_per_kwh: true\n", "intensity"),
        "yaml_const_inf": (".yaml", "intensity_gco2e_per_kwh: .inf\n", "intensity"),
        "yaml_const_huge": (".yaml", "intensity_gco2e_per_kwh: 1e9\n", "intensity"),
        "yaml_dup": (".yaml", "intensity_gco2e_per_kwh: 1\nintensity_gco2e_per_kwh: 2\n", "duplicate"),
        "yaml_unknown": (".yaml", "intensity_gco2e_per_kwh: 1\ncolour: red\n", "colour"),
        "yaml_both": (".yaml", "intensity_gco2e_per_kwh: 1\nseries: []\n", "exactly one"),
        "yaml_basis": (".yaml", "intensity_gco2e_per_kwh: 1\nbasis: vibes\n", "basis"),
        "yaml_year": (".yaml", "intensity_gco2e_per_kwh: 1\nyear: true\n", "year"),
        "yaml_series_scalar": (".yaml", "series: 5\n", "series"),
        "yaml_series_item": (".yaml", "series:\n  - 5\n", "series[0]"),
        "yaml_series_dup": (".yaml", "series:\n  - {timestamp: 2022-01-01T00:00Z, intensity_gco2e_per_kwh: 1}\n"
                                     "  - {timestamp: 2022-01-01T00:00Z, intensity_gco2e_per_kwh: 1}\n", "series[1]"),
        "yaml_list": (".yaml", "- 1\n", "mapping"),
        "yaml_nul": (".yaml", "intensity_gco2e_per_kwh: 1\x00\n", ":1"),
        "json_bad": (".json", "{", "JSON"),
        "json_not_uk": (".json", '{"data": [{"x": 1}]}', "UK Carbon Intensity"),
        "json_nested": (".json", "[" * 50000, "nested"),
        "json_value": (".json", '{"data": [{"from": "2022-01-01T00:00Z", "intensity": {"actual": -5}},'
                                ' {"from": "2022-01-01T00:30Z", "intensity": {"actual": 5}}]}', "data[0]"),
        "json_time": (".json", '{"data": [{"from": "when", "intensity": {"actual": 5}},'
                               ' {"from": "2022-01-01T00:30Z", "intensity": {"actual": 5}}]}', "data[0]"),
    }
    cases = []
    for key, (suffix, text, needle) in bad.items():
        path = _w(folder, f"grids/{key}{suffix}", text)
        start = ("--start", "2022-07-01T00:00Z") if key in ("long_gap",) else ()
        cases.append(Case(f"grid-train-{key}", ("train", "--hardware", "a100", "--hours", "3", "--grid-file", path, *start),
                          needle))
        if key in ("dup", "neg", "nan", "empty", "yaml_dup", "json_bad", "binary", "end_gap"):
            cases.append(Case(f"grid-infer-{key}", ("infer", str(folder / "valid.onnx"), "--grid-file", path), needle))
    gappy = _w(folder, "grids/one_gap.csv", HOURLY + "2022-07-01T00:00Z,1\n2022-07-01T01:00Z,\n2022-07-01T02:00Z,3\n")
    cases.append(Case("grid-gaps-error", ("train", "--hardware", "a100", "--hours", "2", "--grid-file", gappy, "--start",
                                          "2022-07-01T00:00Z", "--gaps", "error"), "--gaps error"))
    ok = _w(folder, "grids/ok.csv", HOURLY + "2022-07-01T00:00Z,1\n2022-07-01T01:00Z,2\n2022-07-01T02:00Z,3\n")
    cases += [
        Case("grid-run-beyond", ("train", "--hardware", "a100", "--hours", "30", "--grid-file", ok, "--start",
                                 "2022-07-01T00:00Z"), "beyond"),
        Case("grid-start-before", ("train", "--hardware", "a100", "--hours", "1", "--grid-file", ok, "--start",
                                   "2021-07-01T00:00Z"), "beyond"),
        Case("grid-missing", ("train", "--hardware", "a100", "--hours", "1", "--grid-file", str(folder / "no.csv")), "no.csv"),
        Case("grid-dir", ("train", "--hardware", "a100", "--hours", "1", "--grid-file", str(folder / "grids")), "directory"),
        Case("grid-basis-plain", ("train", "--hardware", "a100", "--hours", "1", "--grid-file", ok, "--grid-basis",
                                  "lifecycle"), "grid-basis"),
    ]
    return cases


def _budgets(folder: Path) -> list[Case]:
    repo = folder / "repo"
    (repo / ".git").mkdir(parents=True, exist_ok=True)
    (repo / "models").mkdir(exist_ok=True)
    (repo / "models" / "m.onnx").write_bytes((folder / "valid.onnx").read_bytes())
    outside = folder / "outside.onnx"
    outside.write_bytes((folder / "valid.onnx").read_bytes())
    (repo / "spec_out.yaml").write_text("hardware: a100\nmodel: ../outside.onnx\nsamples: 10\n")
    ok_target = "  - name: m\n    model: models/m.onnx\n    inferences: 1000\n    assertions:\n      - {metric: macs, max: 1G}\n"
    bad = {
        "dup_key": ("targets:\n" + ok_target + "targets: []\n", "duplicate key 'targets'"),
        "dup_name": ("targets:\n" + ok_target + ok_target, "duplicate target name"),
        "outside_model": ("targets:\n" + ok_target.replace("models/m.onnx", "../outside.onnx"), "outside the repository"),
        "abs_outside": ("targets:\n" + ok_target.replace("models/m.onnx", str(outside)), "outside the repository"),
        "outside_grid": ("targets:\n" + ok_target.replace("    inferences", "    grid_file: ../g.csv\n    inferences"),
                         "outside the repository"),
        "spec_outside": ("targets:\n  - name: s\n    spec: spec_out.yaml\n    assertions:\n      - {metric: energy, max: 1 MWh}\n",
                         "outside the repository"),
        "inferences_true": ("targets:\n" + ok_target.replace("1000", "true"), "inferences"),
        "pue_huge": ("targets:\n" + ok_target.replace("    inferences", "    pue: 1e9\n    inferences"), "pue"),
        "batch_true": ("targets:\n" + ok_target.replace("    inferences", "    batch: true\n    inferences"), "batch"),
        "intensity_inf": ("targets:\n" + ok_target.replace("    inferences", "    intensity: .inf\n    inferences"), "intensity"),
        "typo": ("targets:\n" + ok_target.replace("model:", "modle:"), "did you mean 'model'"),
        "bare_max": ("targets:\n" + ok_target.replace("max: 1G", "max: true"), "max"),
        "pct_bare": ("targets:\n" + ok_target.replace("max: 1G", "max_increase: 5"), "max_increase"),
        "empty": ("", "empty"),
        "list": ("- a\n", "mapping"),
        "nul": ("targets:\x00\n", ":1"),
        "no_targets": ("targets: []\n", "targets"),
        "unknown_metric": ("targets:\n" + ok_target.replace("metric: macs", "metric: joules"), "metric"),
        "missing_model": ("targets:\n" + ok_target.replace("models/m.onnx", "models/none.onnx"), "none.onnx"),
        "version": ("version: 2\ntargets:\n" + ok_target, "version"),
    }
    cases = []
    for key, (text, needle) in bad.items():
        path = _w(folder, f"repo/budgets/{key}.yaml", text)
        if key in ("outside_model", "abs_outside", "outside_grid", "spec_outside", "dup_key", "dup_name", "typo",
                   "inferences_true", "pue_huge", "batch_true", "intensity_inf", "bare_max", "pct_bare",
                   "unknown_metric", "missing_model", "version"):
            # paths in a budget are relative to it: these live at the repository root
            path = _w(folder, f"repo/{key}.yaml", text)
        cases.append(Case(f"budget-{key}", ("check", "--config", path), needle))
    base = _w(folder, "repo/good.yaml", "targets:\n" + ok_target.replace("max: 1G", "max_increase: 5%"))
    baselines = {
        "neg_metric": (json.dumps({"kind": "check", "targets": [{"name": "m", "metrics": {"macs": -1}}]}), "macs"),
        "str_metric": (json.dumps({"kind": "check", "targets": [{"name": "m", "metrics": {"macs": "lots"}}]}), "macs"),
        "bool_metric": (json.dumps({"kind": "check", "targets": [{"name": "m", "metrics": {"macs": True}}]}), "macs"),
        "nan_metric": ('{"kind": "check", "targets": [{"name": "m", "metrics": {"macs": NaN}}]}', "macs"),
        "nested": ("[" * 100_000, "baseline"),
        "not_json": ("kind: check\n", "JSON"),
        "wrong_kind": (json.dumps({"kind": "pizza"}), "kind"),
        "no_targets": (json.dumps({"kind": "check"}), "targets"),
        "targets_obj": (json.dumps({"kind": "check", "targets": {"m": 1}}), "targets"),
        "target_str": (json.dumps({"kind": "check", "targets": ["m"]}), "targets[0]"),
        "metrics_list": (json.dumps({"kind": "check", "targets": [{"name": "m", "metrics": [1]}]}), "metrics"),
        "infer_neg": (json.dumps({"kind": "infer", "macs": -5}), "macs"),
        "too_big": ('{"kind": "check", "targets": []' + " " * (17 << 20) + "}", "too big"),
        "binary": ("\x00\x01\x02", "baseline"),
    }
    for key, (text, needle) in baselines.items():
        path = _w(folder, f"repo/baselines/{key}.json", text)
        cases.append(Case(f"baseline-{key}", ("check", "--config", base, "--baseline", path), needle))
    cases += [
        Case("check-o-missing-dir", ("check", "--config", base, "-o", str(folder / "nodir" / "r.md")), "nodir"),
        Case("check-write-baseline-missing-dir", ("check", "--config", base, "--write-baseline",
                                                   str(folder / "nodir2" / "b.json")), "nodir2"),
        Case("check-o-bad-suffix", ("check", "--config", base, "-o", str(folder / "r.pdf")), "r.pdf"),
        Case("check-config-missing", ("check", "--config", str(folder / "none.yaml")), "none.yaml"),
        Case("check-config-dir", ("check", "--config", str(repo / "models")), "models"),
    ]
    return cases


def _model_cases(folder: Path, models: dict[str, Path]) -> list[Case]:
    cases = []
    for name, needle in MODEL_NEEDLES.items():
        path = str(models[name])
        cases.append(Case(f"model-infer-{name}", ("infer", path), needle))
        cases.append(Case(f"model-infer-json-{name}", ("infer", path, "--format", "json"), needle))
        cases.append(Case(f"model-lifecycle-{name}", ("lifecycle", "--model", path, "--hardware", "a100", "--hours", "1"),
                          needle))
        cases.append(Case(f"model-train-{name}", ("train", "--hardware", "a100", "--model", path, "--samples", "1000"),
                          needle))
    return cases


def _special(folder: Path) -> list[Case]:
    """Special files: refused by kind before reading (run in subprocesses: a FIFO must not block)."""
    import os

    fifo = folder / "a.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    cases = []
    for src, tag, needle in (("/dev/zero", "devzero", "character device"), (str(fifo), "fifo", "FIFO")):
        cases += [
            Case(f"special-spec-{tag}", ("train", src), needle, special=True),
            Case(f"special-grid-{tag}", ("train", "--hardware", "a100", "--hours", "1", "--grid-file", src), needle,
                 special=True),
            Case(f"special-profile-{tag}", ("hardware", "list", "--hw-file", src), needle, special=True),
            Case(f"special-model-{tag}", ("infer", src), needle, special=True),
            Case(f"special-baseline-{tag}", ("check", "--config", str(folder / "repo" / "good.yaml"), "--baseline", src),
                 needle, special=True),
            Case(f"special-budget-{tag}", ("check", "--config", src), needle, special=True),
        ]
    return cases


def cases(folder: Path) -> list[Case]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    models = _models(folder)
    out = _model_cases(folder, models) + _specs(folder) + _flags(folder) + _profiles(folder) + _grids(folder)
    out += _budgets(folder) + _special(folder)
    ids = [c.id for c in out]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return out


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-inputs")
    found = cases(target)
    print(f"{len(found)} bad inputs written under {target} ({sum(c.special for c in found)} need a subprocess)")

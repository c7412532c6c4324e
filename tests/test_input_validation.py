"""Targeted checks of the validation rules (the corpus in test_bad_inputs.py covers them broadly)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wattprint.errors import WattprintError

PROFILE = """id: my-gpu
name: My GPU
vendor: Me
kind: gpu
tdp_w: 300
sources:
  - {id: me, title: my sheet, publisher: me, year: 2024, fields: [tdp_w]}
"""


def test_limits_check_is_strict_and_names_the_place():
    from wattprint.limits import check

    assert check("count", 8, "--count") == 8
    assert check("pue", 1.0, "--pue") == 1.0  # the low end is inclusive for PUE
    for bad in (True, 0, 2.5, float("nan"), float("inf"), 10**7, "8"):
        with pytest.raises(WattprintError, match=r"^--count: "):
            check("count", bad, "--count")
    with pytest.raises(WattprintError, match="out of range"):
        check("hours", 0, "hours")  # > 0, not >= 0


def test_duplicate_keys_name_both_lines(tmp_path):
    from wattprint.yamlio import load_yaml

    path = tmp_path / "s.yaml"
    path.write_text("hardware: t4\nhours: 1\nhardware: h100\n")
    with pytest.raises(WattprintError, match=r"s\.yaml:3: duplicate key 'hardware' \(first at line 1\)"):
        load_yaml(path)


def test_nul_byte_names_its_line(tmp_path):
    from wattprint.yamlio import load_yaml

    path = tmp_path / "s.yaml"
    path.write_text("a: 1\nb: 2\nc: x\x00y\n")
    with pytest.raises(WattprintError, match=r"s\.yaml:3: NUL byte"):
        load_yaml(path)


def test_alias_clash_names_both_profiles(tmp_path):
    from wattprint.hardware import load_hardware

    path = tmp_path / "mine.yaml"
    path.write_text(PROFILE + "aliases: [h100]\n")
    with pytest.raises(WattprintError) as err:
        load_hardware((path,))
    msg = str(err.value)
    assert "mine.yaml" in msg and "'my-gpu'" in msg and "'h100'" in msg and "built-in" in msg
    # replacing a built-in by its id stays possible, and its own aliases are no clash
    ok = tmp_path / "ok.yaml"
    ok.write_text(PROFILE + "aliases: [mine]\n")
    assert load_hardware((ok,)).get("mine").id == "my-gpu"


def test_missing_user_profile_folder_is_warned(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("WATTPRINT_HWPROFILES", str(tmp_path / "nowhere"))
    code, out, err = cli("hardware", "list", "--format", "json")
    assert code == 0 and json.loads(out) and "WATTPRINT_HWPROFILES" in err and "not a folder" in err


def test_usage_errors_are_one_line(cli):
    for args in (("train", "--count", "x"), ("infer",), ("infer", "m.onnx", "--bogus"), ("hardware", "list", "--format", "xml")):
        code, out, err = cli(*args)
        assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("wattprint: error: ")
        assert "--help" in err and "╭" not in err


def test_allow_outside_paths(cli, tmp_path, monkeypatch, tiny_model):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    outside = tmp_path / "m.onnx"
    outside.write_bytes(Path(tiny_model).read_bytes())
    (repo / "wattprint.yaml").write_text(
        "targets:\n  - name: m\n    model: ../m.onnx\n    inferences: 1000\n    assertions:\n      - {metric: macs, max: 1G}\n")
    monkeypatch.chdir(repo)
    code, _, err = cli("check")
    assert code == 2 and "outside the repository" in err and "--allow-outside-paths" in err
    code, _, err = cli("check", "--allow-outside-paths")
    assert code == 0, err


def test_graph_checks_name_node_and_values():
    import numpy as np
    from onnx import helper as h
    from onnx import numpy_helper as nh

    from wattprint.model import analyze_proto

    w = nh.from_array(np.zeros((4, 4), np.float32), "w")
    g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "g",
                     [h.make_tensor_value_info("x", 1, [1, 5])], [h.make_tensor_value_info("y", 1, None)], [w])
    with pytest.raises(WattprintError, match=r"m\.onnx: node 'fc' \(MatMul\): shapes \[1, 5\] and \[4, 4\] do not multiply"):
        analyze_proto(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), "m.onnx")
    k = nh.from_array(np.zeros((1, 1, 9, 9), np.float32), "k")
    g = h.make_graph([h.make_node("Conv", ["x", "k"], ["y"], name="c")], "g",
                     [h.make_tensor_value_info("x", 1, [1, 1, 4, 4])], [h.make_tensor_value_info("y", 1, None)], [k])
    with pytest.raises(WattprintError, match="kernel is larger than the padded input"):
        analyze_proto(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), "m.onnx")
    g = h.make_graph([h.make_node("Relu", ["b"], ["a"], name="n1"), h.make_node("Relu", ["a"], ["b"], name="n2")], "g",
                     [h.make_tensor_value_info("x", 1, [1])], [h.make_tensor_value_info("a", 1, [1])])
    with pytest.raises(WattprintError, match="cycle"):
        analyze_proto(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), "m.onnx")


def test_baseline_with_negative_metric_is_refused(tmp_path):
    from wattprint.check import load_baseline

    path = tmp_path / "b.json"
    path.write_text(json.dumps({"kind": "check", "targets": [{"name": "m", "metrics": {"macs": -1}}]}))
    with pytest.raises(WattprintError, match=r"metric 'macs' is -1"):
        load_baseline(path)

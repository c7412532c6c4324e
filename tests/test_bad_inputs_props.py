"""Property-based tests (hypothesis): generated inputs to the ONNX loader, the YAML loaders, the grid
parser and the flag parsers either load to in-range figures or raise WattprintError, never anything else."""

from __future__ import annotations

import math
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wattprint.errors import WattprintError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])


def _tmp(tmp_path_factory, name: str) -> Path:
    return tmp_path_factory.mktemp("prop") / name


# ----------------------------------------------------------------------------- ONNX


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_are_never_a_crash(tmp_path_factory, data):
    from wattprint.model import analyze_model

    path = _tmp(tmp_path_factory, "m.onnx")
    path.write_bytes(data)
    try:
        analyze_model(path)
    except WattprintError:
        pass


DIMS = st.one_of(st.integers(-3, 9), st.sampled_from([0, 2**31, 2**31 + 1, 2**40]))
OPS = st.sampled_from(["MatMul", "Add", "Mul", "Conv", "Gemm", "Relu", "Reshape", "Transpose", "Softmax",
                       "MaxPool", "Concat", "NotAnOp"])


@SETTINGS
@given(op=OPS, a=st.lists(DIMS, min_size=1, max_size=4), b=st.lists(DIMS, min_size=1, max_size=4),
       opset=st.integers(-2, 40), dtype=st.sampled_from([0, 1, 7, 10, 16, 99]), group=st.integers(-1, 3))
def test_random_graphs_cost_in_range_or_raise(op, a, b, opset, dtype, group):
    import numpy as np
    import onnx
    from onnx import helper as h

    from wattprint.model import analyze_proto

    w = onnx.TensorProto()
    w.name, w.data_type = "w", dtype
    w.dims.extend(b)
    attrs = {"group": group} if op == "Conv" else {}
    node = h.make_node(op, ["x", "w"], ["y"], name="n", **attrs)
    g = h.make_graph([node], "g", [h.make_tensor_value_info("x", 1, a)], [h.make_tensor_value_info("y", 1, None)], [w])
    model = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    try:
        r = analyze_proto(model, "gen.onnx")
    except WattprintError as exc:
        assert "\n" not in str(exc)
        return
    for n in r.nodes:
        for v in (n.macs, n.params, n.bytes_read, n.bytes_written):
            assert v >= 0 and math.isfinite(v)
    assert np.isfinite(r.flops) and r.flops >= 0


# ----------------------------------------------------------------------------- YAML


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                      max_leaves=8)
FIELDS = st.sampled_from(["hardware", "count", "hours", "gpu_hours", "pue", "power_w", "utilization", "params",
                          "tokens", "intensity_gco2e_per_kwh", "name", "host", "precision", "start", "hardwre"])


@SETTINGS
@given(doc=st.dictionaries(FIELDS, VALUES, max_size=6))
def test_generated_training_specs(tmp_path_factory, doc):
    from wattprint.energy.training import load_training_spec
    from wattprint.limits import LIMITS

    path = _tmp(tmp_path_factory, "spec.yaml")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        spec = load_training_spec(path, {})
    except WattprintError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc) or "hardware" in str(exc) or "run length" in str(exc)
        return
    for name in ("count", "hours", "gpu_hours", "pue", "power_w", "utilization", "params", "tokens"):
        value = getattr(spec, name)
        if value is not None:
            b = LIMITS[name]
            assert not isinstance(doc.get(name), bool) and b.low <= value <= b.high


@SETTINGS
@given(text=st.text(alphabet=string.printable + "\x00\ufeff{}[]:-&*!|>", max_size=200))
def test_arbitrary_yaml_text(tmp_path_factory, text):
    from wattprint.yamlio import load_yaml

    path = _tmp(tmp_path_factory, "x.yaml")
    path.write_text(text, encoding="utf-8")
    try:
        load_yaml(path, "training spec")
    except WattprintError as exc:
        assert "\n" not in str(exc)


@SETTINGS
@given(doc=st.dictionaries(st.sampled_from(["id", "name", "vendor", "kind", "tdp_w", "aliases", "peak_tflops",
                                            "memory_gb", "sources"]), VALUES, max_size=8))
def test_generated_hardware_profiles(tmp_path_factory, doc):
    from wattprint.hardware import load_profile_file

    path = _tmp(tmp_path_factory, "p.yaml")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        profiles = load_profile_file(path)
    except WattprintError:
        return
    for p in profiles:
        assert p.tdp_w is None or (0 < p.tdp_w <= 100_000 and not isinstance(doc.get("tdp_w"), bool))


# ----------------------------------------------------------------------------- grid parser


@SETTINGS
@given(rows=st.lists(st.tuples(st.integers(0, 400), st.one_of(st.none(), st.floats(0, 4999, allow_nan=False).map(
    lambda v: round(v, 3)))), min_size=2, max_size=300), gap_at=st.integers(0, 299), crlf=st.booleans())
def test_fast_grid_parser_matches_python(tmp_path_factory, rows, gap_at, crlf):
    """The vectorised CSV path reads exactly what float() and fromisoformat() read, gaps included."""
    from wattprint.carbon import GridSeries, load_grid_file

    t0 = datetime(2022, 1, 1, tzinfo=timezone.utc)
    nl = "\r\n" if crlf else "\n"
    lines = []
    for i, (_, v) in enumerate(rows):
        if i == gap_at and 0 < i < len(rows) - 1:
            continue  # a missing row: a one-hour gap
        stamp = (t0 + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{stamp},{'' if v is None else repr(v)}")
    path = _tmp(tmp_path_factory, "g.csv")
    path.write_text("timestamp,intensity_gco2e_per_kwh" + nl + nl.join(lines) + nl)
    try:
        series = load_grid_file(path)
    except WattprintError as exc:
        assert "at least 2" in str(exc) or "gap" in str(exc) or "step" in str(exc)
        return
    assert isinstance(series, GridSeries) and series.step_s == 3600
    values = [v for _, v in rows]
    if 0 < gap_at < len(rows) - 1:
        values[gap_at] = None
    assert len(series) == len(values)
    missing = {g.first + k for g in series.gaps for k in range(g.count)}
    assert missing == {i for i, v in enumerate(values) if v is None}
    for i, v in enumerate(values):
        if v is not None:
            assert series.values[i] == v  # bit-exact, as float() reads it


@SETTINGS
@given(text=st.text(alphabet="0123456789-:TZ+., \nnaifx\ufeff", max_size=300))
def test_arbitrary_grid_csv_text(tmp_path_factory, text):
    from wattprint.carbon import load_grid_file

    path = _tmp(tmp_path_factory, "g.csv")
    path.write_text("timestamp,intensity_gco2e_per_kwh\n" + text)
    try:
        series = load_grid_file(path)
    except WattprintError as exc:
        assert "\n" not in str(exc)
        return
    assert all(0 <= v <= 5000 for v in series.values)


# ----------------------------------------------------------------------------- flag parsers


@SETTINGS
@given(text=st.text(max_size=20))
def test_rate_parser(text):
    from wattprint.inference import parse_rate_per_day

    try:
        per_day = parse_rate_per_day(text)
    except WattprintError:
        return
    assert math.isfinite(per_day) and per_day > 0


@SETTINGS
@given(pairs=st.lists(st.text(max_size=12), max_size=3))
def test_dim_parser(pairs):
    from wattprint.estimate import parse_dims

    try:
        dims = parse_dims(pairs)
    except WattprintError:
        return
    assert all(isinstance(v, int) for v in dims.values())


@SETTINGS
@given(text=st.text(max_size=30))
def test_start_parser(text):
    from wattprint.carbon import parse_start

    try:
        parse_start(text)
    except WattprintError:
        pass


@SETTINGS
@given(name=st.sampled_from(sorted(__import__("wattprint.limits", fromlist=["LIMITS"]).LIMITS)),
       value=st.one_of(st.floats(), st.integers(-10**30, 10**30), st.booleans(), st.text(max_size=4)))
def test_limits_accept_only_in_range_numbers(name, value):
    from wattprint.limits import LIMITS, check

    try:
        got = check(name, value, "--x")
    except WattprintError as exc:
        assert str(exc).startswith("--x: ")
        return
    b = LIMITS[name]
    assert not isinstance(got, bool) and math.isfinite(got) and b.low <= got <= b.high


@SETTINGS
@given(args=st.lists(st.sampled_from(["--count", "--hours", "--pue", "--power", "x", "1e400", "nan", "-1", "3",
                                      "--window", "--best-start", "--start", "", "true"]), max_size=6))
def test_train_flags_never_crash(cli, args):
    code, out, err = cli("train", "--hardware", "a100", *args)
    if code != 0:
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err

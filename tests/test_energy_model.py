"""The physical energy model: fused-kernel traffic, device power with a power limit, the node, the fitter.

Hand-computed expectations on small graphs; the fitted coefficients are checked in test_validation.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto

from onnx_builders import GraphBuilder, bert, bert_fused
from wattprint.energy.device import (
    Coefficients,
    FamilyCoefficients,
    device_model,
    run_pass,
)
from wattprint.energy.fit import FitPoint, Problem, pass_features
from wattprint.energy.node import node_model
from wattprint.energy.traffic import kernels
from wattprint.errors import WattprintError
from wattprint.hardware import load_hardware
from wattprint.model import analyze_proto

F = TensorProto.FLOAT
CO = Coefficients(
    families={"pooled": FamilyCoefficients(0.5, 0.8, 1.0, 0.5, 0.2)},
    kind_factor={"conv": 1.0, "gemm": 1.0, "recurrent": 0.5, "vector": 0.25},
    launch_s=2e-6,
    host_cpu_utilization=0.5,
    host_overhead_per_accelerator=0.1,
    host_base_w=50.0,
    basis="test",
)


@pytest.fixture(scope="module")
def h100():
    return load_hardware(use_user_dir=False).get("h100-sxm")


def _mlp(views: bool = False):
    """x[4,256] -> MatMul W1[256,512] -> Add b -> Relu -> (Reshape there and back) -> MatMul W2[512,128]."""
    g = GraphBuilder("inline")
    x = g.input("x", F, [4, 256])
    h = g.node("Relu", [g.node("Add", [g.node("MatMul", [x, g.weight("w1", [256, 512])]), g.weight("b1", [512])])])
    if views:
        h = g.node("Reshape", [g.node("Reshape", [h, g.const([2, 2, 512])]), g.const([4, 512])])
    y = g.node("MatMul", [h, g.weight("w2", [512, 128])])
    g.outputs.append(__import__("onnx").helper.make_tensor_value_info(y, F, None))
    return analyze_proto(g.model(), "mlp")


def test_epilogue_fuses_and_views_move_no_bytes():
    for views in (False, True):
        m = _mlp(views)
        ks, kernel_of = kernels(m.nodes)
        ops = [[m.nodes[i].op_type for i in k.members] for k in ks]
        assert ops == [["MatMul", "Add", "Relu"], ["MatMul"]]
        # kernel 1: x (4x256) + W1 (256x512) + b1 (512) read, h (4x512) written, fp32
        assert ks[0].dram_bytes == 4 * (4 * 256 + 256 * 512 + 512 + 4 * 512)
        # kernel 2: h read, W2 read, y written
        assert ks[1].dram_bytes == 4 * (4 * 512 + 512 * 128 + 4 * 128)
        if views:
            assert [kernel_of[i] for i, n in enumerate(m.nodes) if n.op_type == "Reshape"] == [None, None]


def test_decomposed_and_fused_bert_move_the_same_bytes(h100):
    dims = {"batch": 1, "sequence_length": 128}
    small = dict(layers=2, hidden=128, heads=4, ffn=512)
    a = analyze_proto(bert(weights="inline", **small).model(), "bert", dims=dims)
    b = analyze_proto(bert_fused(**small).model(), "bert-fused", dims=dims)
    ka, _ = kernels(a.nodes)
    kb, _ = kernels(b.nodes)
    bytes_a, bytes_b = sum(k.dram_bytes for k in ka), sum(k.dram_bytes for k in kb)
    assert bytes_a == pytest.approx(bytes_b, rel=0.02)
    # the attention kernel reads Q, K, V and writes the context (4 x 128 x 128 fp32 each) and the scale: the
    # score matrix (4 heads x 128 x 128) never reaches DRAM
    attn = [k for k in ka if "Softmax" in [a.nodes[i].op_type for i in k.members]]
    assert [k.dram_bytes for k in attn] == [4 * 4 * 128 * 128 + 4] * 2
    # and the energies agree within 10% (the exporter-independence target)
    ea = run_pass(a.nodes, ka, device_model(h100, ["fp32"], CO)).energy_j
    eb = run_pass(b.nodes, kb, device_model(h100, ["fp32"], CO)).energy_j
    assert ea == pytest.approx(eb, rel=0.10)


def test_gqa_expand_reads_the_source_once():
    """K of 2 heads expanded to 8 before Q x K^T: the kernel reads 2 heads' worth, not 8."""
    import onnx

    g = GraphBuilder("inline")
    q = g.input("q", F, [1, 8, 16, 64])
    k = g.input("k", F, [1, 2, 64, 32])
    kx = g.node("Reshape", [g.node("Expand", [g.node("Unsqueeze", [k, g.const([2])]), g.const([1, 2, 4, 64, 32])]),
                            g.const([1, 8, 64, 32])])
    s = g.node("MatMul", [q, kx])
    g.outputs.append(onnx.helper.make_tensor_value_info(s, F, None))
    m = analyze_proto(g.model(), "gqa")
    ks, _ = kernels(m.nodes)
    assert len(ks) == 1
    assert ks[0].dram_bytes == 4 * (8 * 16 * 64 + 2 * 64 * 32 + 8 * 16 * 32)


def test_device_power_and_the_power_limit(h100):
    m = _mlp()
    ks, _ = kernels(m.nodes)
    dev = device_model(h100, ["fp32"], CO)
    p = run_pass(m.nodes, ks, dev)
    assert dev.static_w == pytest.approx(0.2 * 700) and dev.power_limit_w == 700
    # by hand: per kernel, seconds at peak of compute, vector and memory work
    peak, bw = 66.9e12, 3350e9
    t_total = e_dyn = 0.0
    for k in ks:
        n = [m.nodes[i] for i in k.members]
        c = sum(2 * x.macs for x in n) / peak
        v = sum(x.elementwise_ops + x.reduction_ops + x.transcendental_ops for x in n) / peak
        mem = k.dram_bytes / bw
        t_total += max(c / 0.5 + v / (0.5 * 0.25), mem / 0.8) + 2e-6
        e_dyn += (700 - 140) * (1.0 * (c + v) + 0.5 * mem)
    assert p.time_s == pytest.approx(t_total, rel=1e-9)
    assert p.energy_j == pytest.approx(140 * t_total + e_dyn, rel=1e-9)
    assert not p.power_limited
    # a limit just above the static draw: clocks and voltage drop (cube law), the pass stretches by r^(-1/3)
    # and its dynamic energy falls to r^(2/3), r = headroom / unconstrained dynamic power
    capped = run_pass(m.nodes, ks, device_model(h100, ["fp32"], CO, power_limit_w=141))
    r = (141 - 140) / (p.dynamic_j / p.time_s)
    assert capped.power_limited and capped.power_w == pytest.approx(141)
    assert capped.time_s == pytest.approx(p.time_s * r ** (-1 / 3))
    assert capped.dynamic_j == pytest.approx(p.dynamic_j * r ** (2 / 3))


@pytest.mark.parametrize("limit", [701, 140, 0])
def test_power_limit_outside_static_and_tdp_is_an_error(h100, limit):
    with pytest.raises(WattprintError, match="power limit"):
        device_model(h100, ["fp32"], CO, power_limit_w=limit)


def test_node_model_by_hand():
    node = node_model(system_id="s", system_name="S", accelerators=4, cpu_tdp_w=2 * 200, memory_gb=512,
                      other_w=0, coefficients=CO)
    host = 50 + 0.5 * 400 + 512 * 0.3725
    assert node.host_w == pytest.approx(host)
    # one accelerator's 2 J over 10 ms, with its quarter of the host, at the wall
    assert node.system_energy_j(2.0, 0.01) == pytest.approx(1.1 * 2.0 / 0.94 + host / 4 / 0.94 * 0.01)
    assert node.wall_power_w(300) == pytest.approx((host + 4 * 1.1 * 300) / 0.94)


def test_fit_problem_reproduces_the_product_path(h100):
    """The fitter's vectorised model and run_pass + node are the same formulas."""
    from wattprint.energy.fit import _GLOBAL, _LOGIT

    m = _mlp()
    ks, _ = kernels(m.nodes)
    dev = device_model(h100, ["fp32"], CO)
    feats = pass_features(m.nodes, ks, dev)
    pt = FitPoint(id="p", family="hopper", passes=((feats, 1.0),), units=4, devices=1, tdp_w=700, idle_w=None,
                  power_limit_w=None, boundary="node", measured_j=1.0, node_accelerators=8, cpu_tdp_w=700,
                  memory_gb=2048, other_w=0.0)
    prob = Problem([pt], [])
    x = prob.start()
    values = {"eta_c": 0.5, "eta_m": 0.8, "alpha_c": 1.0, "alpha_m": 0.5, "static": 0.2, "k_gemm": 1.0,
              "k_recurrent": 0.5, "k_vector": 0.25, "launch_s": 2e-6, "u_cpu": 0.5, "overhead": 0.1,
              "base_w": 50.0}
    for i, name in enumerate(_GLOBAL):
        v = values[name]
        x[i] = np.log(v / (1 - v)) if name in _LOGIT else np.log(v)
    e, t, _ = prob.predict(x)
    p = run_pass(m.nodes, ks, dev)
    node = node_model(system_id="s", system_name="S", accelerators=8, cpu_tdp_w=700, memory_gb=2048, other_w=0,
                      coefficients=CO)
    assert t[0] == pytest.approx(p.time_s / 4, rel=1e-9)
    assert e[0] == pytest.approx(node.system_energy_j(p.energy_j, p.time_s) / 4, rel=1e-9)


def test_fit_recovers_known_coefficients(h100, monkeypatch):
    """Points generated from known constants are fitted back (the fitter itself, not the data)."""
    from wattprint.energy import fit as fitmod
    from wattprint.energy.fit import fit

    monkeypatch.setattr(fitmod, "PRIOR", 0.0)  # no pull toward the typical values: pure recovery

    from wattprint.energy.fit import PassFeatures

    rng = np.random.default_rng(1)
    points = []
    for j in range(24):
        n = int(rng.integers(3, 12))
        f = PassFeatures(rng.uniform(1e-6, 1e-4, n), rng.uniform(0, 2e-6, n), rng.uniform(1e-6, 2e-4, n), rng.integers(0, 4, n),
                         np.ones(n, dtype=int))
        points.append(FitPoint(id=f"p{j}", family="a" if j % 2 else "b", passes=((f, 1.0),), units=1, devices=1,
                               tdp_w=400.0, idle_w=None, power_limit_w=None, boundary="node", measured_j=1.0,
                               node_accelerators=4, cpu_tdp_w=300.0, memory_gb=256.0))
    prob = Problem(points, [])
    x_true = prob.start() + rng.normal(0, 0.3, prob.n_params)
    e, t, pw = prob.predict(x_true)
    points = [FitPoint(**{**vars(p), "measured_j": float(ei), "measured_time_s": float(ti), "measured_power_w": float(pi)})
              for p, ei, ti, pi in zip(points, e, t, pw)]
    result = fit(points, cross_validate=False)
    ratios = np.array(list(result.in_sample.values()))
    assert np.all(np.abs(np.log(ratios)) < 0.02)


def _rope_layers(layers: int = 2):
    """Rotary angles as the legacy exporter writes them (position_ids -> Cast -> x inv_freq -> Cos, Sin, shared by
    every layer), and per layer q = x Wq, rope(q) = q cos + (-q) sin, then o = rope(q) Wo. q is read by two ops, so
    the rope ops cannot be the q GEMM's epilogue."""
    import onnx

    g = GraphBuilder("inline")
    pos = g.input("position_ids", TensorProto.INT64, [1, 4])
    x = g.input("x", F, [1, 4, 16])
    ang = g.node("Mul", [g.node("Cast", [g.node("Unsqueeze", [pos, g.const([2])])], to=F),
                         g.const(np.ones(16), dtype=F, shape=[16])])
    cos, sin = g.node("Cos", [ang]), g.node("Sin", [ang])
    for i in range(layers):
        q = g.node("MatMul", [x, g.weight(f"wq{i}", [16, 16])], name=f"q{i}")
        r = g.node("Add", [g.node("Mul", [q, cos]), g.node("Mul", [g.node("Neg", [q]), sin])], name=f"rope{i}")
        x = g.node("MatMul", [r, g.weight(f"wo{i}", [16, 16])], name=f"o{i}")
    g.outputs.append(onnx.helper.make_tensor_value_info(x, F, None))
    return analyze_proto(g.model(), "rope")


def test_rotary_angles_and_rope_run_in_prologues():
    """Rules 2 and 9: the angles (from position_ids alone) are recomputed in the prologue of their first reader, and
    the per-layer rope ops, which read q as well, do not join the angle kernel but run as the prologue of the GEMM
    that reads them: two GEMM kernels per layer and no kernel of their own."""
    m = _rope_layers()
    ks, kernel_of = kernels(m.nodes)
    names = [[m.nodes[i].op_type for i in k.members] for k in ks]
    assert all(m.nodes[k.head].macs for k in ks), names
    assert [m.nodes[k.head].name for k in ks] == ["q0", "o0", "q1", "o1"]
    by_op = {}
    for i, n in enumerate(m.nodes):
        by_op.setdefault(n.op_type, []).append(kernel_of[i])
    assert by_op["Cos"] == by_op["Sin"] == by_op["Cast"] == [1]  # with layer 0's o GEMM, its first reader
    assert by_op["Neg"] == [1, 3] and by_op["Add"] == [1, 3]

"""Tests for the ONNX reader and per-node work counting (wattprint.model).

Every model is built here with onnx.helper (see onnx_builders.py); no torch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

from onnx_builders import (
    I64,
    MS,
    F,
    GraphBuilder,
    bert,
    bert_fused,
    bert_matmul_macs,
    chain_graph,
    gpt2_decode,
    gpt2_macs,
    resnet50,
    save,
)
from wattprint.errors import WattprintError
from wattprint.model import analyze_model
from wattprint.model.ops import REGISTRY, lookup

BACKEND = Path(onnx.__file__).parent / "backend" / "test" / "data"


def _analyze(tmp_path, g: GraphBuilder, name="model.onnx", opset=17, extra_opsets=None, functions=None, **kw):
    m = g.model(opset=opset, extra_opsets=extra_opsets, functions=functions)
    return analyze_model(save(m, tmp_path, name), **kw)


def _single(tmp_path, op, inputs, weights=(), out_shape=None, domain="", opset=17, n_out=1, **attrs):
    """One node: ``inputs`` = [(name, dtype, shape)], ``weights`` = [(name, dtype, shape)] (initializers)."""
    g = GraphBuilder("inline")
    for name, dt, shape in inputs:
        g.input(name, dt, shape)
    for name, dt, shape in weights:
        g.weight(name, shape, dt)
    names = [x[0] for x in inputs] + [w[0] for w in weights]
    outs = g.node(op, attrs.pop("order", names), n_out=n_out, domain=domain, **attrs)
    for o in ([outs] if isinstance(outs, str) else outs):
        g.outputs.append(h.make_tensor_value_info(o, F, None))
    extra = {domain: 1} if domain else None
    r = _analyze(tmp_path, g, opset=opset, extra_opsets=extra)
    main = [n for n in r.nodes if n.op_type == op]
    assert len(main) == 1
    return r, main[0]


# --------------------------------------------------------------------------- reference models


def test_bert_base_matmul_macs(tmp_path):
    g = bert()
    r = _analyze(tmp_path, g, dims={"batch": 1, "sequence_length": 128})
    mm = sum(n.macs for n in r.nodes if n.op_type == "MatMul")
    expected = bert_matmul_macs()
    assert expected == 11_173_625_856
    assert mm == pytest.approx(expected, rel=0.01)
    assert r.params == g.params  # embeddings, projections, biases, LayerNorm gamma/beta
    assert r.not_counted == ()
    assert all(n.counted for n in r.nodes)
    assert any("not present" in w for w in r.warnings)  # weights.data never written
    assert r.dims == (("batch", 1), ("sequence_length", 128))
    assert r.inputs == (("input_ids", (1, 128), "int64"),)
    softmax = [n for n in r.nodes if n.op_type == "Softmax"]
    assert softmax[0].output_shape == (1, 12, 128, 128)


def test_bert_ort_fused_contrib_ops_match_decomposed(tmp_path):
    """EmbedLayerNormalization/Attention/SkipLayerNormalization/BiasGelu: same MACs and params as decomposed."""
    g = bert_fused()
    r = _analyze(tmp_path, g, extra_opsets={MS: 1}, dims={"batch": 1, "sequence_length": 128})
    assert r.not_counted == ()
    assert r.macs == bert_matmul_macs()  # Attention = QKV projection + QK^T + AV
    assert r.params == g.params == bert().params
    by = {}
    for n in r.nodes:
        by.setdefault(n.op_type, n)
    assert by["Attention"].macs == 128 * 768 * 2304 + 2 * 128 * 128 * 768
    assert by["EmbedLayerNormalization"].output_shape == (1, 128, 768)
    assert by["EmbedLayerNormalization"].weight_bytes < by["EmbedLayerNormalization"].params * 4  # rows gathered
    assert by["SkipLayerNormalization"].reduction_ops == 2 * 128 * 768
    assert by["BiasGelu"].transcendental_ops == 128 * 3072


def test_bert_batch_shortcut_scales_linearly(tmp_path):
    g = bert(layers=2, hidden=64, heads=4, ffn=128, vocab=100, max_pos=64)
    p = save(g.model(), tmp_path)
    one = analyze_model(p, dims={"batch": 1, "sequence_length": 32})
    four = analyze_model(p, batch=4, dims={"sequence_length": 32})
    assert four.dims == (("batch", 4), ("sequence_length", 32))
    assert four.macs == 4 * one.macs
    assert four.params == one.params


@pytest.mark.parametrize("past", [1, 1023])
def test_gpt2_small_per_token(tmp_path, past):
    g = gpt2_decode()
    r = _analyze(tmp_path, g, dims={"batch": 1, "seq": 1, "past_sequence_length": past})
    exp = gpt2_macs(past)
    assert exp["dense"] == pytest.approx(84.9e6, rel=0.001)
    assert exp["lm_head"] == 768 * 50257
    head = [n for n in r.nodes if n.op_type == "Gemm"]
    assert len(head) == 1 and head[0].macs == pytest.approx(38.6e6, rel=0.01)
    non_embedding = r.macs - head[0].macs
    assert non_embedding == pytest.approx(exp["dense"] + exp["attention"], rel=0.01)
    if past == 1:
        assert non_embedding == pytest.approx(85e6, rel=0.01)
    assert r.params == g.params == 124_439_808  # wte shared by the Gather and the LM head: counted once
    assert head[0].params == 0 and head[0].weight_bytes == 50257 * 768 * 4
    assert r.not_counted == ()


def test_resnet50_torchvision_layout(tmp_path):
    g = resnet50()
    r = _analyze(tmp_path, g)
    conv_fc = sum(n.macs for n in r.nodes if n.op_type in ("Conv", "Gemm"))
    assert conv_fc == pytest.approx(4.09e9, rel=0.005)
    # torchvision counts 25,557,032: conv + fc weights and BN weight/bias; running stats are buffers
    assert r.params == 25_557_032 == g.params
    bn = [n for n in r.nodes if n.op_type == "BatchNormalization"]
    assert bn[0].params == 2 * 64
    assert bn[0].weight_bytes == 2 * 64 * 4 and bn[0].bytes_read > bn[0].weight_bytes + 2 * 64 * 4


def test_light_resnet50_caffe2_constantofshape_weights():
    r = analyze_model(BACKEND / "light" / "light_resnet50.onnx")
    # weights are ConstantOfShape outputs: still parameters, the ConstantOfShape nodes are folded
    assert r.params == pytest.approx(25_557_032, rel=1e-4)
    assert r.macs == pytest.approx(4_089_184_256, rel=1e-3)
    cos = [n for n in r.nodes if n.op_type == "ConstantOfShape"]
    assert cos and all(n.counted and n.macs == 0 and n.bytes_written == 0 for n in cos)
    assert r.not_counted == ()
    assert r.producer.startswith("onnx-caffe2")
    assert r.opset == 9


def test_light_model_fixed_batch_ignores_batch_shortcut():
    r = analyze_model(BACKEND / "light" / "light_resnet50.onnx", batch=8)
    assert r.inputs[0][1] == (1, 3, 224, 224)
    assert any("batch 8 ignored" in w for w in r.warnings)


# --------------------------------------------------------------------------- rule families


def test_conv_groups_dilation_stride(tmp_path):
    r, n = _single(
        tmp_path, "Conv", [("x", F, [1, 8, 32, 32])], [("w", F, [16, 4, 3, 3]), ("b", F, [16])],
        group=2, strides=[2, 2], dilations=[2, 2], pads=[2, 2, 2, 2],
    )
    assert n.output_shape == (1, 16, 16, 16)
    assert n.macs == 1 * 16 * 16 * 16 * (8 // 2) * 9
    assert n.elementwise_ops == 16 * 16 * 16
    assert n.params == 16 * 4 * 9 + 16
    assert n.weight_bytes == n.params * 4
    assert n.bytes_read == (8 * 32 * 32 + n.params) * 4
    assert n.bytes_written == 16 * 16 * 16 * 4
    assert n.flops == 2 * n.macs + n.elementwise_ops


def test_conv_auto_pad_same_and_depthwise(tmp_path):
    _, n = _single(tmp_path, "Conv", [("x", F, [2, 32, 15, 15])], [("w", F, [32, 1, 3, 3])], group=32,
                   strides=[2, 2], auto_pad="SAME_UPPER")
    assert n.output_shape == (2, 32, 8, 8)
    assert n.macs == 2 * 32 * 64 * 1 * 9


def test_conv_transpose(tmp_path):
    _, n = _single(tmp_path, "ConvTranspose", [("x", F, [1, 16, 8, 8])], [("w", F, [16, 8, 4, 4])],
                   strides=[2, 2], pads=[1, 1, 1, 1])
    assert n.output_shape == (1, 8, 16, 16)
    assert n.macs == 1 * 16 * 64 * 8 * 16  # N * Cin * in spatial * (Cout/group) * kernel


def test_gemm_transb_bias(tmp_path):
    _, n = _single(tmp_path, "Gemm", [("a", F, [4, 32])], [("b", F, [64, 32]), ("c", F, [64])], transB=1)
    assert n.output_shape == (4, 64)
    assert n.macs == 4 * 64 * 32
    assert n.elementwise_ops == 4 * 64
    assert n.params == 64 * 32 + 64


def test_matmul_broadcasting(tmp_path):
    _, n = _single(tmp_path, "MatMul", [("a", F, [2, 1, 8, 16]), ("b", F, [3, 16, 4])])
    assert n.output_shape == (2, 3, 8, 4)
    assert n.macs == 2 * 3 * 8 * 4 * 16
    assert n.params == 0  # both operands are activations
    _, n = _single(tmp_path, "MatMul", [("a", F, [16])], [("b", F, [16, 4])])
    assert n.output_shape == (4,) and n.macs == 64 and n.params == 64


@pytest.mark.parametrize(
    "eq,shapes,out,macs",
    [
        ("bhqd,bhkd->bhqk", [[2, 4, 8, 16], [2, 4, 8, 16]], (2, 4, 8, 8), 2 * 4 * 8 * 8 * 16),
        ("...ij,...jk->...ik", [[3, 5, 6], [3, 6, 7]], (3, 5, 7), 3 * 5 * 6 * 7),
        ("ij,jk", [[5, 6], [6, 7]], (5, 7), 5 * 6 * 7),
    ],
)
def test_einsum(tmp_path, eq, shapes, out, macs):
    _, n = _single(tmp_path, "Einsum", [(f"x{i}", F, s) for i, s in enumerate(shapes)], equation=eq)
    assert n.output_shape == out
    assert n.macs == macs


def test_einsum_single_operand(tmp_path):
    _, n = _single(tmp_path, "Einsum", [("x", F, [4, 5])], equation="ij->i")
    assert n.macs == 0 and n.reduction_ops == 20
    _, n = _single(tmp_path, "Einsum", [("x", F, [4, 5])], equation="ij->ji")
    assert n.macs == 0 and n.reduction_ops == 0 and n.counted


def test_lstm_bidirectional(tmp_path):
    seq, batch, inp, hid = 5, 2, 10, 20
    _, n = _single(
        tmp_path, "LSTM", [("x", F, [seq, batch, inp])],
        [("W", F, [2, 4 * hid, inp]), ("R", F, [2, 4 * hid, hid]), ("B", F, [2, 8 * hid])],
        n_out=3, hidden_size=hid, direction="bidirectional",
    )
    assert n.macs == seq * 2 * batch * 4 * hid * (inp + hid)
    assert n.output_shape == (seq, 2, batch, hid)
    assert n.params == 2 * 4 * hid * (inp + hid) + 2 * 8 * hid
    assert "x seq 5" in n.note and "2 directions" in n.note
    assert n.transcendental_ops == 5 * seq * 2 * batch * hid


@pytest.mark.parametrize("op,gates", [("GRU", 3), ("RNN", 1)])
def test_gru_rnn(tmp_path, op, gates):
    seq, batch, inp, hid = 7, 3, 6, 8
    _, n = _single(tmp_path, op, [("x", F, [batch, seq, inp])],
                   [("W", F, [1, gates * hid, inp]), ("R", F, [1, gates * hid, hid])], n_out=2,
                   hidden_size=hid, layout=1, opset=14)
    assert n.macs == seq * batch * gates * hid * (inp + hid)
    assert n.output_shape == (batch, seq, 1, hid)


def test_fused_attention_contrib(tmp_path):
    b, s, hidden, heads = 2, 16, 64, 4
    _, n = _single(tmp_path, "Attention", [("x", F, [b, s, hidden])],
                   [("w", F, [hidden, 3 * hidden]), ("bias", F, [3 * hidden])], domain=MS, num_heads=heads)
    proj = b * s * hidden * 3 * hidden
    attn = 2 * b * heads * s * s * (hidden // heads)
    assert n.macs == proj + attn
    assert n.output_shape == (b, s, hidden)
    assert n.params == hidden * 3 * hidden + 3 * hidden
    assert n.domain == MS and "fused attention" in n.note


def test_multihead_and_gqa_contrib(tmp_path):
    b, s, heads, hd = 1, 8, 4, 16
    d = heads * hd
    _, n = _single(tmp_path, "MultiHeadAttention", [("q", F, [b, s, d]), ("k", F, [b, 32, d]), ("v", F, [b, 32, d])],
                   domain=MS, num_heads=heads)
    assert n.macs == 2 * b * heads * s * 32 * hd
    assert n.output_shape == (b, s, d)
    kvh = 2
    g = GraphBuilder("inline")
    q = g.input("q", F, [b, s, d])
    k = g.input("k", F, [b, s, kvh * hd])
    v = g.input("v", F, [b, s, kvh * hd])
    pk = g.input("pk", F, [b, kvh, 24, hd])
    pv = g.input("pv", F, [b, kvh, 24, hd])
    seqlens = g.const([31], T.INT32)
    total = g.const(32, T.INT32, shape=())
    outs = g.node("GroupQueryAttention", [q, k, v, pk, pv, seqlens, total], n_out=3, domain=MS, num_heads=heads,
                  kv_num_heads=kvh)
    for o in outs:
        g.outputs.append(h.make_tensor_value_info(o, F, None))
    r = _analyze(tmp_path, g, extra_opsets={MS: 1})
    (n,) = [x for x in r.nodes if x.op_type == "GroupQueryAttention"]
    assert n.counted and n.macs == 2 * b * heads * s * 32 * hd
    assert n.output_shape == (b, s, d)


def test_onnx_attention_op(tmp_path):
    b, qh, kvh, s, past, hd = 1, 8, 2, 4, 12, 16
    _, n = _single(
        tmp_path, "Attention",
        [("q", F, [b, qh, s, hd]), ("k", F, [b, kvh, s, hd]), ("v", F, [b, kvh, s, hd]),
         ("mask", F, [s, s + past]), ("pk", F, [b, kvh, past, hd]), ("pv", F, [b, kvh, past, hd])],
        n_out=3, opset=24,
    )
    assert n.counted
    assert n.macs == 2 * b * qh * s * (s + past) * hd
    assert n.output_shape == (b, qh, s, hd)


def test_qlinearconv_int8(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", T.UINT8, [1, 4, 8, 8])
    args = [x, g.const(0.1, F, shape=()), g.const(128, T.UINT8, shape=()), g.weight("w", [8, 4, 3, 3], T.INT8),
            g.const(0.05, F, shape=()), g.const(0, T.INT8, shape=()), g.const(0.2, F, shape=()),
            g.const(128, T.UINT8, shape=()), g.weight("bias", [8], T.INT32)]
    y = g.node("QLinearConv", args, pads=[1, 1, 1, 1])
    g.outputs.append(h.make_tensor_value_info(y, T.UINT8, None))
    r = _analyze(tmp_path, g)
    (n,) = r.nodes
    assert n.output_shape == (1, 8, 8, 8)
    assert n.macs == 8 * 64 * 4 * 9
    assert n.precision == "int8"
    assert n.params == 8 * 4 * 9 + 8  # scales and zero points are not parameters
    assert n.weight_bytes == 288 + 8 * 4


def test_qdq_conv_counted_at_int8(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [1, 4, 8, 8])
    sc, zp = g.const(0.1, F, shape=()), g.const(0, T.INT8, shape=())
    xq = g.node("DequantizeLinear", [g.node("QuantizeLinear", [x, sc, zp]), sc, zp])
    w = g.node("DequantizeLinear", [g.weight("w", [8, 4, 3, 3], T.INT8), sc, zp])
    y = g.node("Conv", [xq, w], pads=[1, 1, 1, 1])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = _analyze(tmp_path, g)
    conv = [n for n in r.nodes if n.op_type == "Conv"][0]
    assert conv.precision == "int8" and "QDQ" in conv.note
    assert conv.params == 288 and conv.weight_bytes == 288  # int8 weight bytes
    assert conv.bytes_read == 4 * 64 + 288
    dq = [n for n in r.nodes if n.op_type == "DequantizeLinear"]
    assert dq[0].elementwise_ops == 2 * 256  # activation DQ is work
    assert dq[1].note.startswith("constant")  # weight DQ is folded
    assert r.params == 288


def test_matmul_integer_and_dynamic_quant(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [4, 32])
    xq, xs, xz = g.node("DynamicQuantizeLinear", [x], n_out=3)
    y = g.node("MatMulInteger", [xq, g.weight("w", [32, 16], T.INT8), xz])
    g.outputs.append(h.make_tensor_value_info(y, T.INT32, None))
    r = _analyze(tmp_path, g)
    dq, mm = r.nodes
    assert dq.precision == "int8" and dq.reduction_ops == 2 * 128
    assert mm.macs == 4 * 16 * 32 and mm.precision == "int8" and mm.params == 512
    assert mm.output_shape == (4, 16)


def test_matmul_nbits_int4(tmp_path):
    k, n, block = 256, 512, 32
    g = GraphBuilder("inline")
    a = g.input("a", F, [1, 8, k])
    y = g.node("MatMulNBits", [a, g.weight("b", [n, k // block, block // 2], T.UINT8, param=False),
                               g.weight("scales", [n * k // block], F, param=False)],
               domain=MS, K=k, N=n, bits=4, block_size=block)
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = _analyze(tmp_path, g, extra_opsets={MS: 1})
    (node,) = r.nodes
    assert node.output_shape == (1, 8, n)
    assert node.macs == 8 * n * k
    assert node.params == n * k  # unpacked weight elements
    assert node.weight_bytes == n * k // 2  # 4-bit packed bytes
    assert node.precision == "fp32" and "int4" in node.note


def test_constantofshape_fed_conv_params(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [1, 3, 16, 16])
    w = g.node("ConstantOfShape", [g.const([16, 3, 3, 3])], value=h.make_tensor("v", F, [1], [0.02]))
    b = g.node("Constant", [], value=h.make_tensor("bv", F, [16], [0.0] * 16))
    y = g.node("Conv", [x, w, b], pads=[1, 1, 1, 1])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = _analyze(tmp_path, g)
    conv = [n for n in r.nodes if n.op_type == "Conv"][0]
    assert conv.params == 16 * 27 + 16 == r.params
    assert conv.macs == 16 * 256 * 27
    assert all(n.macs == 0 and n.params == 0 for n in r.nodes if n.op_type != "Conv")


def test_shared_weight_counted_once(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 8])
    w = g.weight("w", [8, 8])
    y = g.node("MatMul", [g.node("MatMul", [x, w]), w])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = _analyze(tmp_path, g)
    assert [n.params for n in r.nodes] == [64, 0]
    assert [n.weight_bytes for n in r.nodes] == [256, 256]
    assert r.params == 64


def test_elementwise_norm_pool_reduce(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 4, 8, 8])
    n_el = 2 * 4 * 64
    a = g.node("Relu", [x])
    b = g.node("Sigmoid", [a])
    c = g.node("Add", [a, b])
    d = g.node("BatchNormalization", [c, g.weight("s", [4]), g.weight("bb", [4]), g.weight("m", [4], param=False),
                                      g.weight("v", [4], param=False)])
    e = g.node("MaxPool", [d], kernel_shape=[2, 2], strides=[2, 2])
    f = g.node("GlobalAveragePool", [e])
    s = g.node("Softmax", [g.node("Flatten", [f])], axis=-1)
    rm = g.node("ReduceMean", [x, g.const([2, 3])], keepdims=0)
    ln = g.node("LayerNormalization", [x, g.weight("ga", [8]), g.weight("be", [8])], axis=-1)
    rs = g.node("Resize", [x, "", g.const([1, 1, 2, 2], F)], mode="linear")
    g.outputs += [h.make_tensor_value_info(o, F, None) for o in (s, rm, ln, rs)]
    r = _analyze(tmp_path, g, opset=18)
    by = {n.op_type: n for n in r.nodes}
    assert by["Relu"].elementwise_ops == n_el and by["Relu"].transcendental_ops == 0
    assert by["Sigmoid"].transcendental_ops == n_el
    assert by["Add"].elementwise_ops == n_el
    assert by["BatchNormalization"].elementwise_ops == 2 * n_el and by["BatchNormalization"].params == 8
    assert by["MaxPool"].output_shape == (2, 4, 4, 4) and by["MaxPool"].reduction_ops == 2 * 4 * 16 * 4
    assert by["GlobalAveragePool"].reduction_ops == 2 * 4 * 16
    assert by["Softmax"].transcendental_ops == 2 * 8
    assert by["ReduceMean"].output_shape == (2, 4) and by["ReduceMean"].reduction_ops == n_el
    assert by["LayerNormalization"].reduction_ops == 2 * n_el and by["LayerNormalization"].params == 16
    assert by["Resize"].output_shape == (2, 4, 16, 16) and by["Resize"].elementwise_ops == 9 * 4 * n_el
    assert by["Resize"].params == 0
    assert by["Flatten"].macs == 0 and by["Flatten"].bytes_read == by["Flatten"].bytes_written == 2 * 4 * 4


def test_data_movement_counts_bytes(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [4, 6])
    t = g.node("Transpose", [x], perm=[1, 0])
    s = g.node("Slice", [t, g.const([0]), g.const([2]), g.const([0])])
    emb = g.node("Gather", [g.weight("table", [1000, 16]), g.input("ids", I64, [3])], axis=0)
    shp = g.node("Shape", [x])
    g.outputs += [h.make_tensor_value_info(o, F, None) for o in (s, emb)]
    g.outputs.append(h.make_tensor_value_info(shp, I64, None))
    r = _analyze(tmp_path, g)
    by = {n.op_type: n for n in r.nodes}
    assert by["Transpose"].bytes_read == by["Transpose"].bytes_written == 96 and by["Transpose"].flops == 0
    assert by["Slice"].output_shape == (2, 4) and by["Slice"].bytes_written == 32
    # an embedding lookup reads the gathered rows, but the whole table is a parameter
    assert by["Gather"].params == 16000 and by["Gather"].weight_bytes == 3 * 16 * 4
    assert by["Shape"].bytes_read == 0 and by["Shape"].precision == "int64"


def test_variadic_and_clip(tmp_path):
    _, n = _single(tmp_path, "Sum", [("a", F, [3, 4]), ("b", F, [4]), ("c", F, [3, 1])])
    assert n.output_shape == (3, 4) and n.elementwise_ops == 2 * 12
    _, n = _single(tmp_path, "Mean", [("a", F, [3, 4]), ("b", F, [3, 4])])
    assert n.elementwise_ops == 2 * 12


# --------------------------------------------------------------------------- control flow, functions


def test_if_counts_larger_branch(tmp_path):
    w = h.make_tensor("W", F, [64, 64], np.zeros(64 * 64, np.float32).tobytes(), raw=True)
    then_g = h.make_graph([h.make_node("MatMul", ["x", "W"], ["t_out"])], "then", [],
                          [h.make_tensor_value_info("t_out", F, [1, 64])])
    else_g = h.make_graph([h.make_node("Relu", ["x"], ["e_out"])], "else", [],
                          [h.make_tensor_value_info("e_out", F, [1, 64])])
    node = h.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)
    graph = h.make_graph([node], "g", [h.make_tensor_value_info("cond", T.BOOL, []),
                                       h.make_tensor_value_info("x", F, [1, 64])],
                         [h.make_tensor_value_info("y", F, None)], [w])
    r = analyze_model(save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), tmp_path))
    (n,) = r.nodes
    assert n.counted and n.macs == 64 * 64 and "larger branch ('then')" in n.note
    assert n.params == 64 * 64
    assert n.output_shape == (1, 64)


def test_loop_and_scan_multiply_body(tmp_path):
    w = h.make_tensor("W", F, [64, 64], np.zeros(64 * 64, np.float32).tobytes(), raw=True)
    body = h.make_graph(
        [h.make_node("Identity", ["cond_in"], ["cond_out"]), h.make_node("MatMul", ["h_in", "W"], ["h_out"])],
        "body",
        [h.make_tensor_value_info("i", I64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("h_in", F, None)],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("h_out", F, None)],
    )
    trip = h.make_tensor("M", I64, [], [5])
    loop = h.make_node("Loop", ["M", "", "x"], ["y"], body=body)
    sbody = h.make_graph(
        [h.make_node("MatMul", ["s_in", "W"], ["s_out"])], "sbody",
        [h.make_tensor_value_info("s_in", F, None)], [h.make_tensor_value_info("s_out", F, None)],
    )
    scan = h.make_node("Scan", ["seq"], ["z"], body=sbody, num_scan_inputs=1)
    graph = h.make_graph(
        [loop, scan], "g",
        [h.make_tensor_value_info("x", F, [1, 64]), h.make_tensor_value_info("seq", F, [7, 2, 64])],
        [h.make_tensor_value_info("y", F, None), h.make_tensor_value_info("z", F, None)], [w, trip],
    )
    r = analyze_model(save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), tmp_path))
    lp, sc = r.nodes
    assert lp.counted and lp.macs == 5 * 64 * 64 and "x 5 iterations" in lp.note
    assert lp.output_shape == (1, 64)
    assert sc.counted and sc.macs == 7 * 2 * 64 * 64 and "seq 7" in sc.note
    assert sc.output_shape == (7, 2, 64)
    assert r.params == 64 * 64  # shared by both bodies


def test_loop_unknown_trip_count_not_counted(tmp_path):
    body = h.make_graph(
        [h.make_node("Identity", ["cond_in"], ["cond_out"]), h.make_node("Relu", ["h_in"], ["h_out"])], "body",
        [h.make_tensor_value_info("i", I64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("h_in", F, None)],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("h_out", F, None)],
    )
    graph = h.make_graph(
        [h.make_node("Loop", ["", "c", "x"], ["y"], body=body)], "g",
        [h.make_tensor_value_info("c", T.BOOL, []), h.make_tensor_value_info("x", F, [4])],
        [h.make_tensor_value_info("y", F, None)],
    )
    r = analyze_model(save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), tmp_path))
    assert not r.nodes[0].counted
    assert r.not_counted == (("Loop", 1, "Loop trip count unknown"),)


def test_model_local_function(tmp_path):
    fn = h.make_function(
        "local", "Linear", ["x", "w", "b"], ["y"],
        [h.make_node("MatMul", ["x", "w"], ["t"]), h.make_node("Add", ["t", "b"], ["y"])],
        opset_imports=[h.make_opsetid("", 17)],
    )
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 8])
    y1 = g.node("Linear", [x, g.weight("w1", [8, 16]), g.weight("b1", [16])], domain="local")
    y2 = g.node("Linear", [y1, g.weight("w2", [16, 4]), g.weight("b2", [4])], domain="local")
    g.outputs.append(h.make_tensor_value_info(y2, F, None))
    r = _analyze(tmp_path, g, extra_opsets={"local": 1}, functions=[fn])
    a, b = r.nodes
    assert a.macs == 2 * 16 * 8 and b.macs == 2 * 4 * 16
    assert a.params == 8 * 16 + 16 and b.params == 16 * 4 + 4
    assert b.output_shape == (2, 4) and "function local.Linear" in b.note


# --------------------------------------------------------------------------- shapes


def test_shape_subgraph_after_contrib_op_resolved(tmp_path):
    """Shape->Gather->Unsqueeze->Concat->Reshape on a contrib op's output: onnx leaves it unknown."""
    g = GraphBuilder("inline")
    x = g.input("x", F, ["batch", 16, 64])
    y = g.node("FastGelu", [x], domain=MS)
    shp = g.node("Shape", [y])
    b = g.node("Unsqueeze", [g.node("Gather", [shp, g.const(0, shape=())], axis=0), g.const([0])])
    s = g.node("Gather", [shp, g.const(1, shape=())], axis=0)
    half = g.node("Cast", [g.node("Floor", [g.node("Div", [g.node("Cast", [s], to=F), g.const(2.0, F, shape=())])])],
                  to=I64)
    new = g.node("Concat", [b, g.node("Unsqueeze", [half, g.const([0])]), g.const([-1])], axis=0)
    r_ = g.node("Reshape", [y, new])
    out = g.node("MatMul", [r_, g.weight("w", [128, 32])])
    g.outputs.append(h.make_tensor_value_info(out, F, None))
    model = g.model(extra_opsets={MS: 1})
    # plain onnx shape inference cannot resolve the Reshape
    inf = onnx.shape_inference.infer_shapes(model, data_prop=True)
    known = {vi.name for vi in inf.graph.value_info if vi.type.tensor_type.HasField("shape")}
    assert r_ not in known
    r = analyze_model(save(model, tmp_path), batch=3)
    by = {n.op_type: n for n in r.nodes}
    assert by["Reshape"].output_shape == (3, 8, 128)
    assert by["MatMul"].macs == 3 * 8 * 32 * 128
    assert by["FastGelu"].counted and by["FastGelu"].transcendental_ops == 3 * 16 * 64
    assert r.not_counted == ()


def test_unsorted_graph_is_sorted(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 8])
    g.node("Relu", ["m"], outputs=["y"])
    g.node("MatMul", [x, g.weight("w", [8, 8])], outputs=["m"])
    g.outputs.append(h.make_tensor_value_info("y", F, None))
    r = analyze_model(save(g.model(), tmp_path))
    assert [n.op_type for n in r.nodes] == ["MatMul", "Relu"]
    assert r.nodes[1].counted and any("topological" in w for w in r.warnings)


def test_onnx_inference_failure_falls_back(tmp_path, monkeypatch):
    g = bert(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16)
    p = save(g.model(), tmp_path)
    ref = analyze_model(p, dims={"batch": 2, "sequence_length": 8})

    def boom(*a, **k):
        raise onnx.shape_inference.InferenceError("[ShapeInferenceError] unsupported")

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", boom)
    # own shape rules settle every tensor of this graph: onnx's inference is not run at all
    assert analyze_model(p, dims={"batch": 2, "sequence_length": 8}) == ref
    # where it runs (forced here) and fails, wattprint's own propagation does all the work
    monkeypatch.setattr("wattprint.model.analyze._inference_needed", lambda *a: "forced")
    r = analyze_model(p, dims={"batch": 2, "sequence_length": 8})
    assert any("shape inference failed" in w for w in r.warnings)
    assert r.macs == ref.macs and r.params == ref.params and r.not_counted == ()


def test_precision_override(tmp_path):
    g = bert(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16)
    p = save(g.model(), tmp_path)
    fp32 = analyze_model(p, dims={"batch": 1, "sequence_length": 8})
    fp16 = analyze_model(p, dims={"batch": 1, "sequence_length": 8}, precision="fp16")
    assert fp16.macs == fp32.macs and fp16.params == fp32.params
    assert fp16.weight_bytes * 2 == fp32.weight_bytes
    mm = [n for n in fp16.nodes if n.op_type == "MatMul"]
    assert all(n.precision == "fp16" for n in mm)
    assert {n.precision for n in fp16.nodes if n.op_type == "Shape"} == {"int64"}
    assert fp16.bytes_read < fp32.bytes_read
    with pytest.raises(WattprintError, match="precision"):
        analyze_model(p, precision="fp12")


# --------------------------------------------------------------------------- dims binding errors


def test_unbound_symbolic_dim_error(tmp_path):
    p = save(bert(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16).model(), tmp_path)
    with pytest.raises(WattprintError) as ei:
        analyze_model(p, dims={"batch": 1})
    msg = str(ei.value)
    assert "'sequence_length'" in msg and "input_ids" in msg and "--dim sequence_length=N" in msg
    assert "\n" not in msg and msg.startswith(f"{p}:")


def test_unknown_dim_key_lists_symbolic_dims(tmp_path):
    p = save(bert(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16).model(), tmp_path)
    with pytest.raises(WattprintError) as ei:
        analyze_model(p, dims={"seq_len": 8})
    assert "'seq_len'" in str(ei.value) and "'batch'" in str(ei.value) and "'sequence_length'" in str(ei.value)


@pytest.mark.parametrize("bad", [0, -3, 2**31 + 1])
def test_absurd_dims_rejected(tmp_path, bad):
    p = save(bert(layers=1, hidden=32, heads=2, ffn=64, vocab=50, max_pos=16).model(), tmp_path)
    with pytest.raises(WattprintError, match="out of range"):
        analyze_model(p, dims={"batch": 1, "sequence_length": bad})
    with pytest.raises(WattprintError, match="out of range"):
        analyze_model(p, batch=bad, dims={"sequence_length": 8})


def test_unnamed_dynamic_dims(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [None, 8])
    y = g.node("MatMul", [x, g.weight("w", [8, 4])])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    p = save(g.model(), tmp_path)
    with pytest.raises(WattprintError, match=r"dim 0 of input 'x'.*--batch N"):
        analyze_model(p)
    assert analyze_model(p, batch=5).macs == 5 * 4 * 8
    assert analyze_model(p, dims={"x[0]": 6}).macs == 6 * 4 * 8


def test_unused_symbolic_input_is_fine(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 8])
    g.input("unused", F, ["n", 3])
    y = g.node("Relu", [x])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = analyze_model(save(g.model(), tmp_path))
    assert r.nodes[0].counted and ("unused", (-1, 3), "fp32") in r.inputs


# --------------------------------------------------------------------------- unsupported ops


def test_unknown_custom_op_reported(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [2, 8])
    y = g.node("Frobnicate", [x], domain="my.custom")
    z = g.node("Relu", [y])
    w = g.node("Relu", [x])
    g.outputs += [h.make_tensor_value_info(o, F, None) for o in (z, w)]
    r = _analyze(tmp_path, g, extra_opsets={"my.custom": 1})
    fro = r.nodes[0]
    assert not fro.counted and fro.domain == "my.custom" and "unsupported domain" in fro.note
    assert ("Frobnicate", 1, "unsupported domain 'my.custom'") in r.not_counted
    assert not r.nodes[1].counted  # its input shape is unknown
    assert r.nodes[2].counted


def test_every_op_family_has_a_rule():
    for op in ("Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "LSTM", "GRU", "RNN", "BatchNormalization",
               "LayerNormalization", "InstanceNormalization", "GroupNormalization", "RMSNormalization", "Relu",
               "Gelu", "Sigmoid", "Tanh", "Erf", "Exp", "Add", "Mul", "Sub", "Div", "Pow", "Sqrt", "Where", "Clip",
               "LeakyRelu", "HardSigmoid", "Softplus", "MaxPool", "AveragePool", "GlobalAveragePool",
               "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax", "Softmax", "LogSoftmax", "Gather",
               "GatherElements", "GatherND", "Reshape", "Transpose", "Concat", "Slice", "Squeeze", "Unsqueeze",
               "Flatten", "Expand", "Split", "Pad", "Identity", "Cast", "Shape", "Size", "QLinearConv",
               "QLinearMatMul", "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "QuantizeLinear",
               "DequantizeLinear", "Sum", "Mean", "Max", "Min", "Resize", "Upsample", "Dropout", "Constant",
               "ConstantOfShape", "Attention"):
        assert lookup("", op) is not None, op
    for op in ("Attention", "MultiHeadAttention", "GroupQueryAttention", "SkipLayerNormalization",
               "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "FastGelu", "MatMulNBits"):
        assert lookup(MS, op) is not None, op
    assert len(REGISTRY) > 150


# --------------------------------------------------------------------------- files and external data


def test_external_data_absent_file_is_fine(tmp_path):
    g = GraphBuilder("external", location="missing/weights.bin")
    x = g.input("x", F, [1, 1024])
    y = g.node("MatMul", [x, g.weight("w", [1024, 4096])])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    r = _analyze(tmp_path, g)
    assert r.params == 1024 * 4096 and r.macs == 1024 * 4096
    assert any("missing/weights.bin" in w for w in r.warnings)


@pytest.mark.parametrize("loc", ["../evil.data", "sub/../../evil.data", "/etc/passwd", "C:\\weights.bin", "..\\x.bin"])
def test_external_data_outside_model_dir_rejected(tmp_path, loc):
    g = GraphBuilder("external", location=loc)
    x = g.input("x", F, [1, 8])
    y = g.node("MatMul", [x, g.weight("w", [8, 8])])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    with pytest.raises(WattprintError, match="outside the model's folder"):
        _analyze(tmp_path, g)


def test_external_data_symlink_escape_rejected(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "w.bin").write_bytes(b"\0" * 256)
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    os.symlink(outside / "w.bin", model_dir / "w.bin")
    g = GraphBuilder("external", location="w.bin")
    x = g.input("x", F, [1, 8])
    y = g.node("MatMul", [x, g.weight("w", [8, 8])])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    with pytest.raises(WattprintError, match="outside"):
        analyze_model(save(g.model(), model_dir))
    # a location inside the folder, through a harmless '..', is fine
    g2 = GraphBuilder("external", location="sub/../w2.bin")
    y = g2.node("MatMul", [g2.input("x", F, [1, 8]), g2.weight("w", [8, 8])])
    g2.outputs.append(h.make_tensor_value_info(y, F, None))
    assert analyze_model(save(g2.model(), model_dir, "ok.onnx")).params == 64


def test_external_data_without_location_rejected(tmp_path):
    g = GraphBuilder("inline")
    x = g.input("x", F, [1, 8])
    y = g.node("MatMul", [x, g.weight("w", [8, 8])])
    g.outputs.append(h.make_tensor_value_info(y, F, None))
    m = g.model()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = T.EXTERNAL
    with pytest.raises(WattprintError, match="no location"):
        analyze_model(save(m, tmp_path))


def _bad_file(tmp_path, data: bytes, name="bad.onnx"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("kind", ["empty", "truncated", "random", "text"])
def test_unreadable_files(tmp_path, kind):
    good = (BACKEND / "light" / "light_inception_v1.onnx").read_bytes()
    data = {
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "random": np.random.default_rng(0).bytes(4096),
        "text": b"this is not an onnx model\n" * 20,
    }[kind]
    path = _bad_file(tmp_path, data)
    with pytest.raises(WattprintError) as ei:
        analyze_model(path)
    assert str(ei.value).startswith(f"{path}:") and "\n" not in str(ei.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(WattprintError, match="no such file"):
        analyze_model(tmp_path / "nope.onnx")
    with pytest.raises(WattprintError, match="directory"):
        analyze_model(tmp_path)


# real models shipped with onnx: tests/test_golden.py (a snapshot of every count, tests/golden/onnx_backend.json)


# --------------------------------------------------------------------------- performance


def test_large_graph_is_fast(tmp_path):
    model = chain_graph(10_000)  # 40,000 nodes
    p = save(model, tmp_path)
    t0 = time.perf_counter()
    r = analyze_model(p, batch=2)
    elapsed = time.perf_counter() - t0
    assert len(r.nodes) == 40_000
    assert r.macs == 10_000 * 2 * 128 * 64 * 64
    assert r.params == 64 * 64 + 64
    assert elapsed < 15, elapsed


def test_modelcost_totals(tmp_path):
    r = analyze_model(BACKEND / "light" / "light_squeezenet.onnx")
    assert r.macs == sum(n.macs for n in r.nodes)
    assert r.flops == 2 * r.macs + r.elementwise_ops + r.reduction_ops + r.transcendental_ops
    assert r.bytes_written == sum(n.bytes_written for n in r.nodes)
    assert r.weight_bytes <= r.bytes_read
    assert r.graph_name and r.path.endswith("light_squeezenet.onnx")

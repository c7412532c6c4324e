"""com.microsoft contrib ops that had a counting rule but no shape rule (issue 9): each is now shaped after
onnxruntime's contrib-op spec and counted. Expected figures are worked out by hand in each test."""

from __future__ import annotations

import pytest
from onnx import TensorProto as T
from onnx import helper as h

from onnx_builders import MS, F, GraphBuilder, save
from wattprint.model import analyze_model

I32, U8, BOOL, STR = T.INT32, T.UINT8, T.BOOL, T.STRING


def _run(tmp_path, op, inputs, weights=(), consts=(), n_out=1, out_shapes=None, **attrs):
    """One com.microsoft node. inputs/weights: [(name, dtype, shape)]; consts: [(name, dtype, values)]."""
    g = GraphBuilder("inline")
    names = []
    for name, dt, shape in inputs:
        names.append(g.input(name, dt, shape))
    for name, dt, shape in weights:
        names.append(g.weight(name, shape, dt))
    for name, dt, values in consts:
        names.append(g.const(values, dt, shape=[] if not isinstance(values, list) else None, name=name))
    order = attrs.pop("order", names)
    outs = g.node(op, order, n_out=n_out, domain=MS, **attrs)
    outs = [outs] if isinstance(outs, str) else outs
    for k, o in enumerate(outs):
        dt, shp = (out_shapes or {}).get(k, (F, None))
        g.outputs.append(h.make_tensor_value_info(o, dt, shp))
    r = analyze_model(save(g.model(opset=17, extra_opsets={MS: 1}), tmp_path))
    (n,) = [n for n in r.nodes if n.op_type == op]
    return r, n


def test_nhwc_conv(tmp_path):
    # X[1, 8, 8, 3] NHWC, W[16, 3, 3, 3], pads 1, stride 1 -> Y[1, 8, 8, 16]
    r, n = _run(tmp_path, "NhwcConv", [("x", F, [1, 8, 8, 3])], weights=[("w", F, [16, 3, 3, 3]), ("b", F, [16])],
                kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    assert n.counted and n.output_shape == (1, 8, 8, 16)
    assert n.macs == 1 * 8 * 8 * 16 * (3 * 3 * 3)  # 27,648
    assert n.elementwise_ops == 1024  # bias
    assert n.params == 16 * 27 + 16
    assert n.bytes_read == (192 + 432 + 16) * 4 and n.bytes_written == 1024 * 4
    assert not r.not_counted


def test_nhwc_conv_strided_without_kernel_attr(tmp_path):
    # kernel from W; 9x9 input, 3x3 kernel, stride 2, no pads -> 4x4
    _, n = _run(tmp_path, "NhwcConv", [("x", F, [2, 9, 9, 4])], weights=[("w", F, [8, 4, 3, 3])], strides=[2, 2])
    assert n.output_shape == (2, 4, 4, 8)
    assert n.macs == 2 * 4 * 4 * 8 * 36


def test_bias_split_gelu(tmp_path):
    # X[2, 4, 8] + bias[8], split in halves -> Y[2, 4, 4]: 5 elementwise + 1 transcendental per output
    _, n = _run(tmp_path, "BiasSplitGelu", [("x", F, [2, 4, 8])], weights=[("b", F, [8])])
    assert n.counted and n.output_shape == (2, 4, 4)
    assert (n.macs, n.elementwise_ops, n.transcendental_ops) == (0, 5 * 32, 32)
    assert n.params == 8
    assert n.bytes_read == (64 + 8) * 4 and n.bytes_written == 32 * 4


def test_qlinear_where(tmp_path):
    # condition[2, 3], X[2, 3] uint8, Y[1, 3] uint8 -> Z[2, 3]: requantize 3 ops per element
    scale = [("xs", F, 0.1), ("xz", U8, 0), ("ys", F, 0.2), ("yz", U8, 0), ("zs", F, 0.3), ("zz", U8, 0)]
    _, n = _run(tmp_path, "QLinearWhere", [("c", BOOL, [2, 3]), ("x", U8, [2, 3]), ("y", U8, [1, 3])], consts=scale,
                order=["c", "x", "xs", "xz", "y", "ys", "yz", "zs", "zz"], out_shapes={0: (U8, None)})
    assert n.counted and n.output_shape == (2, 3) and n.precision == "int8"
    assert n.elementwise_ops == 18 and n.macs == 0 and n.params == 0
    assert n.bytes_read == 6 + 6 + 3 + 3 * (4 + 1) and n.bytes_written == 6


@pytest.mark.parametrize("keepdims, shape", [(0, (2, 3)), (1, (2, 3, 1))])
def test_qlinear_reduce_mean(tmp_path, keepdims, shape):
    scale = [("ds", F, 0.1), ("dz", U8, 0), ("rs", F, 0.2), ("rz", U8, 0)]
    _, n = _run(tmp_path, "QLinearReduceMean", [("d", U8, [2, 3, 4])], consts=scale, axes=[-1], keepdims=keepdims,
                out_shapes={0: (U8, None)})
    assert n.counted and n.output_shape == shape and n.precision == "int8"
    assert n.elementwise_ops == 3 * 6
    assert n.bytes_read == 24 + 2 * (4 + 1) and n.bytes_written == 6


def test_maxpool_with_mask(tmp_path):
    # X[1, 2, 4, 4], mask[1, 2, 4, 4], 2x2 window stride 2 -> Y[1, 2, 2, 2]: 4 comparisons per output
    _, n = _run(tmp_path, "MaxpoolWithMask", [("x", F, [1, 2, 4, 4]), ("m", I32, [1, 2, 4, 4])],
                kernel_shape=[2, 2], strides=[2, 2])
    assert n.counted and n.output_shape == (1, 2, 2, 2)
    assert n.reduction_ops == 8 * 4
    assert n.bytes_read == 32 * 4 + 32 * 4 and n.bytes_written == 8 * 4


def test_crop_border_and_scale(tmp_path):
    # border (left 1, top 2, right 3, bottom 4): H 10 - 2 - 4 = 4, W 12 - 1 - 3 = 8
    _, n = _run(tmp_path, "Crop", [("x", F, [1, 3, 10, 12])], border=[1, 2, 3, 4])
    assert n.counted and n.output_shape == (1, 3, 4, 8)
    assert n.bytes_read == 360 * 4 and n.bytes_written == 96 * 4 and n.flops == 0
    _, n = _run(tmp_path, "Crop", [("x", F, [1, 3, 10, 12])], border=[1, 2, 3, 4], scale=[5, 6])
    assert n.output_shape == (1, 3, 5, 6) and n.bytes_written == 90 * 4


def test_expand_dims(tmp_path):
    _, n = _run(tmp_path, "ExpandDims", [("x", F, [2, 3])], consts=[("axis", I32, -1)])
    assert n.counted and n.output_shape == (2, 3, 1)
    assert n.bytes_read == 24 + 4 and n.bytes_written == 24 and n.flops == 0


def test_remove_padding_is_bounded_by_batch_times_sequence(tmp_path):
    # input[2, 5, 8], counts[2] -> output[<= 10, 8], token_offset[2, 5], cumulated_seq_len[3], max_seq_len[1]
    r, n = _run(tmp_path, "RemovePadding", [("x", F, [2, 5, 8]), ("cnt", I32, [2])], n_out=4)
    assert n.counted and n.output_shape == (10, 8)
    assert n.bytes_read == 80 * 4 + 2 * 4
    assert n.bytes_written == 80 * 4 + 10 * 4 + 3 * 4 + 4
    assert "bounded by batch x sequence" in n.note
    assert not r.not_counted


def test_restore_padding(tmp_path):
    _, n = _run(tmp_path, "RestorePadding", [("x", F, [7, 8]), ("off", I32, [2, 5])])
    assert n.counted and n.output_shape == (2, 5, 8)
    assert n.bytes_read == 56 * 4 + 10 * 4 and n.bytes_written == 80 * 4


def test_tokenizer_counted_when_the_token_count_is_declared(tmp_path):
    # strings cost 8 bytes per element; the token axis comes from the declared output shape
    _, n = _run(tmp_path, "Tokenizer", [("s", STR, [2])], out_shapes={0: (STR, [2, 6])}, mark=0, mincharnum=1)
    assert n.counted and n.output_shape == (2, 6)
    assert n.bytes_read == 16 and n.bytes_written == 96
    r, n = _run(tmp_path, "Tokenizer", [("s", STR, [2])], out_shapes={0: (STR, None)}, mark=0, mincharnum=1)
    assert not n.counted and r.not_counted == (("Tokenizer", 1, "output size is data-dependent"),)


def test_bitmask_dropout(tmp_path):
    # inference: the data passes through (a view, like Dropout); the mask packs 2*3*40 = 240 bits into 8 uint32
    r, n = _run(tmp_path, "BitmaskDropout", [("x", F, [2, 3, 40])], n_out=2,
                out_shapes={1: (T.UINT32, None)})
    assert n.counted and n.output_shape == (2, 3, 40)
    assert (n.macs, n.elementwise_ops, n.transcendental_ops) == (0, 0, 0)
    assert not r.not_counted
    from wattprint.model.ops import REGISTRY
    from wattprint.model.ops.registry import Fusion

    assert REGISTRY[(MS, "BitmaskDropout")].fusion is Fusion.VIEW

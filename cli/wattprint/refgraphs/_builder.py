"""A small graph builder shared by the reference-graph modules.

Weights are initializers that carry dims only (no data): only shapes matter for counting, so a
built model is a few hundred kB whatever the parameter count. Small integer constants that the
graph computes with (Reshape targets, Gather indices) carry their data.

The builder tracks the shape of every tensor it creates, so the model modules can state their
architecture in a few lines and the shapes they rely on are checked as the graph is built.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: default-domain opset of every reference graph (20: the first with Gelu)
OPSET = 20
IR_VERSION = 9
PRODUCER = "wattprint.refgraphs"


class GraphBuilder:
    """Accumulate nodes, dims-only weights and value infos; ``model()`` returns the ModelProto."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.shape: dict[str, tuple[int, ...]] = {}
        self._n = 0

    # ------------------------------------------------------------ naming, tensors

    def _name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def input(self, name: str, shape: tuple[int, ...], dtype: int = TensorProto.FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, dtype, list(shape)))
        self.shape[name] = tuple(shape)
        return name

    def output(self, name: str, dtype: int = TensorProto.FLOAT) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, dtype, list(self.shape[name])))

    def weight(self, hint: str, dims: tuple[int, ...]) -> str:
        """An fp32 parameter with dims only (no data)."""
        t = TensorProto()
        t.name = self._name(hint)
        t.data_type = TensorProto.FLOAT
        t.dims.extend(int(d) for d in dims)
        self.inits.append(t)
        self.shape[t.name] = tuple(dims)
        return t.name

    def const_i64(self, hint: str, values) -> str:
        arr = np.asarray(values, dtype=np.int64)
        t = numpy_helper.from_array(arr, self._name(hint))
        self.inits.append(t)
        self.shape[t.name] = tuple(arr.shape)
        return t.name

    def const_f32(self, hint: str, value: float) -> str:
        t = numpy_helper.from_array(np.asarray(value, dtype=np.float32), self._name(hint))
        self.inits.append(t)
        self.shape[t.name] = ()
        return t.name

    def node(self, op: str, ins: list[str], shape: tuple[int, ...], hint: str | None = None, **attrs) -> str:
        out = self._name(hint or op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        self.shape[out] = tuple(int(d) for d in shape)
        return out

    # ------------------------------------------------------------ elementwise

    def unary(self, op: str, x: str, **attrs) -> str:
        return self.node(op, [x], self.shape[x], **attrs)

    def relu(self, x: str) -> str:
        return self.unary("Relu", x)

    def binary(self, op: str, a: str, b: str) -> str:
        return self.node(op, [a, b], tuple(np.broadcast_shapes(self.shape[a], self.shape[b])))

    def add(self, a: str, b: str) -> str:
        return self.binary("Add", a, b)

    # ------------------------------------------------------------ convolution family

    def conv(self, x: str, cout: int, k: int | tuple[int, ...], stride: int = 1, pad: int | None = None,
             groups: int = 1, bias: bool = True, hint: str = "conv",
             shared: tuple[str, ...] | None = None) -> str:
        """Conv over the spatial dims of ``x`` (2-D or 3-D); ``pad`` defaults to k//2 ("same").

        ``shared``: the (weight[, bias]) of an earlier conv, reused (a head applied to every level).
        """
        n, cin, *sp = self.shape[x]
        ks = (k,) * len(sp) if isinstance(k, int) else tuple(k)
        pads = [(kk // 2 if pad is None else pad) for kk in ks]
        out_sp = [(d + 2 * p - kk) // stride + 1 for d, p, kk in zip(sp, pads, ks)]
        if shared is not None:
            assert self.shape[shared[0]] == (cout, cin // groups) + ks
            ins = [x, *shared]
        else:
            w = self.weight(hint + "_w", (cout, cin // groups) + ks)
            ins = [x, w] + ([self.weight(hint + "_b", (cout,))] if bias else [])
        return self.node("Conv", ins, (n, cout, *out_sp), hint=hint, kernel_shape=list(ks),
                         strides=[stride] * len(ks), pads=pads + pads, group=groups)

    def conv_transpose(self, x: str, cout: int, k: int, stride: int, bias: bool = True) -> str:
        n, cin, *sp = self.shape[x]
        ks = (k,) * len(sp)
        w = self.weight("convT_w", (cin, cout) + ks)
        ins = [x, w] + ([self.weight("convT_b", (cout,))] if bias else [])
        out_sp = [(d - 1) * stride + k for d in sp]
        return self.node("ConvTranspose", ins, (n, cout, *out_sp), hint="convT", kernel_shape=list(ks),
                         strides=[stride] * len(ks))

    def layernorm(self, x: str) -> str:
        d = self.shape[x][-1]
        ins = [x, self.weight("ln_scale", (d,)), self.weight("ln_bias", (d,))]
        return self.node("LayerNormalization", ins, self.shape[x], hint="ln", axis=-1, epsilon=1e-12)

    def lstm(self, x: str, hidden: int) -> str:
        """One unidirectional LSTM layer over x[T, B, D]; returns Y squeezed to [T, B, hidden].

        W, R and B in ONNX layout ([1, 4H, D], [1, 4H, H], [1, 8H]: the two bias vectors of
        PyTorch's LSTM), so the parameters are those of torch.nn.LSTM.
        """
        t, n, d = self.shape[x]
        ins = [x, self.weight("lstm_W", (1, 4 * hidden, d)), self.weight("lstm_R", (1, 4 * hidden, hidden)),
               self.weight("lstm_B", (1, 8 * hidden))]
        y = self.node("LSTM", ins, (t, 1, n, hidden), hint="lstm", hidden_size=hidden)
        return self.reshape(y, (t, n, hidden))

    def batchnorm(self, x: str) -> str:
        c = self.shape[x][1]
        ins = [x] + [self.weight(h, (c,)) for h in ("bn_scale", "bn_bias", "bn_mean", "bn_var")]
        return self.node("BatchNormalization", ins, self.shape[x], hint="bn")

    def instancenorm(self, x: str) -> str:
        c = self.shape[x][1]
        ins = [x, self.weight("in_scale", (c,)), self.weight("in_bias", (c,))]
        return self.node("InstanceNormalization", ins, self.shape[x], hint="in")

    def maxpool(self, x: str, k: int, stride: int, pad: int) -> str:
        n, c, *sp = self.shape[x]
        out_sp = [(d + 2 * pad - k) // stride + 1 for d in sp]
        return self.node("MaxPool", [x], (n, c, *out_sp), kernel_shape=[k] * len(sp),
                         strides=[stride] * len(sp), pads=[pad] * (2 * len(sp)))

    def global_avgpool(self, x: str) -> str:
        n, c, *sp = self.shape[x]
        return self.node("GlobalAveragePool", [x], (n, c) + (1,) * len(sp))

    def upsample_nearest(self, x: str, size: tuple[int, ...]) -> str:
        n, c, *_ = self.shape[x]
        sizes = self.const_i64("sizes", [n, c, *size])
        return self.node("Resize", [x, "", "", sizes], (n, c, *size), mode="nearest")

    # ------------------------------------------------------------ matmul family, shape ops

    def linear(self, x: str, dout: int, bias: bool = True, hint: str = "fc") -> str:
        """x[..., din] @ W[din, dout] (+ b): MatMul then Add, as exporters write a Linear layer."""
        s = self.shape[x]
        y = self.node("MatMul", [x, self.weight(hint + "_w", (s[-1], dout))], s[:-1] + (dout,), hint=hint)
        return self.add(y, self.weight(hint + "_b", (dout,))) if bias else y

    def matmul(self, a: str, b: str) -> str:
        sa, sb = self.shape[a], self.shape[b]
        batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
        return self.node("MatMul", [a, b], batch + (sa[-2], sb[-1]))

    def reshape(self, x: str, shape: tuple[int, ...]) -> str:
        assert math.prod(shape) == math.prod(self.shape[x]), (self.shape[x], shape)
        return self.node("Reshape", [x, self.const_i64("shape", list(shape))], shape)

    def transpose(self, x: str, perm: tuple[int, ...]) -> str:
        s = self.shape[x]
        return self.node("Transpose", [x], tuple(s[p] for p in perm), perm=list(perm))

    def concat(self, xs: list[str], axis: int) -> str:
        s = list(self.shape[xs[0]])
        ax = axis % len(s)
        s[ax] = sum(self.shape[x][ax] for x in xs)
        return self.node("Concat", xs, tuple(s), axis=axis)

    # ------------------------------------------------------------ result

    def model(self, doc: str) -> onnx.ModelProto:
        g = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=PRODUCER,
                              ir_version=IR_VERSION)
        m.doc_string = doc
        # none of the MLPerf models ties an output layer to an embedding table; saying so keeps the
        # counter's tied-LM-head heuristic from guessing (BERT's 1024x2 span head has the shape of
        # its 2x1024 token-type table transposed)
        helper.set_model_props(m, {"tie_word_embeddings": "false"})
        return m

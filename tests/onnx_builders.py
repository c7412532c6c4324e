"""Helpers to build ONNX test models with onnx.helper (no torch).

Weights are either *external and absent* (``data_location=EXTERNAL`` pointing at a
file that is never written: no bytes, tests stay fast) or *inline* zeros (for
timing the analysis of a realistically sized file).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

F = T.FLOAT
I64 = T.INT64
MS = "com.microsoft"


def external_tensor(name: str, shape: Sequence[int], dtype: int = F, location: str = "weights.data",
                    offset: int = 0) -> onnx.TensorProto:
    """An initializer whose bytes live in ``location`` (which need not exist)."""
    t = onnx.TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(int(d) for d in shape)
    t.data_location = T.EXTERNAL
    nbytes = math.prod(shape) * np.dtype(h.tensor_dtype_to_np_dtype(dtype)).itemsize
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def save(model: onnx.ModelProto, directory: os.PathLike | str, name: str = "model.onnx") -> Path:
    """Write the model bytes as they are (never touches external data)."""
    p = Path(directory) / name
    p.write_bytes(model.SerializeToString())
    return p


class GraphBuilder:
    """Tiny convenience layer over onnx.helper; ``params`` accumulates the expected parameter count."""

    def __init__(self, weights: str = "external", location: str = "weights.data"):
        assert weights in ("external", "inline")
        self.weights = weights
        self.location = location
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.params = 0
        self._n = 0
        self._offset = 0

    def fresh(self, prefix: str = "t") -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def input(self, name: str, dtype: int, shape) -> str:
        self.inputs.append(h.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, name: str, dtype: int = F, shape=None) -> str:
        self.outputs.append(h.make_tensor_value_info(name, dtype, shape))
        return name

    def weight(self, name: str, shape: Sequence[int], dtype: int = F, param: bool = True) -> str:
        if param:
            self.params += math.prod(shape)
        if self.weights == "external":
            t = external_tensor(name, shape, dtype, self.location, self._offset)
            self._offset += int(t.external_data[2].value)
        else:
            arr = np.zeros(shape, dtype=h.tensor_dtype_to_np_dtype(dtype))
            t = h.make_tensor(name, dtype, list(shape), arr.tobytes(), raw=True)
        self.inits.append(t)
        return name

    def const(self, values, dtype: int = I64, shape=None, name: str | None = None) -> str:
        """Small inline initializer (shape constants, scalars)."""
        name = name or self.fresh("c")
        arr = np.asarray(values, dtype=h.tensor_dtype_to_np_dtype(dtype))
        if shape is not None:
            arr = arr.reshape(shape)
        self.inits.append(h.make_tensor(name, dtype, list(arr.shape), arr.reshape(-1).tolist()))
        return name

    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, domain: str = "", name: str | None = None,
             outputs: Sequence[str] | None = None, **attrs):
        outs = list(outputs) if outputs is not None else [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(h.make_node(op, list(inputs), outs, name=name or "", domain=domain or None, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def model(self, opset: int = 17, extra_opsets: dict[str, int] | None = None, ir_version: int = 8,
              functions=None) -> onnx.ModelProto:
        g = h.make_graph(self.nodes, "g", self.inputs, self.outputs, self.inits)
        ops = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()]
        m = h.make_model(g, opset_imports=ops, producer_name="wattprint-tests", functions=functions or [])
        m.ir_version = ir_version
        return m


# --------------------------------------------------------------------------- transformers


def _split_heads(g: GraphBuilder, t: str, x: str, heads: int, hd: int, perm) -> str:
    """torch-exporter style: Shape -> Gather -> Unsqueeze -> Concat -> Reshape -> Transpose."""
    shp = g.node("Shape", [x])
    b = g.node("Unsqueeze", [g.node("Gather", [shp, g.const(0, shape=())], axis=0), g.const([0])])
    s = g.node("Unsqueeze", [g.node("Gather", [shp, g.const(1, shape=())], axis=0), g.const([0])])
    new = g.node("Concat", [b, s, g.const([heads, hd])], axis=0)
    return g.node("Transpose", [g.node("Reshape", [t, new])], perm=list(perm))


def _merge_heads(g: GraphBuilder, t: str, x: str, hidden: int) -> str:
    shp = g.node("Shape", [x])
    b = g.node("Unsqueeze", [g.node("Gather", [shp, g.const(0, shape=())], axis=0), g.const([0])])
    s = g.node("Unsqueeze", [g.node("Gather", [shp, g.const(1, shape=())], axis=0), g.const([0])])
    new = g.node("Concat", [b, s, g.const([hidden])], axis=0)
    return g.node("Reshape", [g.node("Transpose", [t], perm=[0, 2, 1, 3]), new])


def _linear(g: GraphBuilder, x: str, din: int, dout: int, prefix: str) -> str:
    w = g.weight(f"{prefix}.weight", [din, dout])
    b = g.weight(f"{prefix}.bias", [dout])
    return g.node("Add", [g.node("MatMul", [x, w]), b])


def _layernorm(g: GraphBuilder, x: str, hidden: int, prefix: str) -> str:
    return g.node("LayerNormalization", [x, g.weight(f"{prefix}.weight", [hidden]), g.weight(f"{prefix}.bias", [hidden])],
                  axis=-1, epsilon=1e-12)


def _gelu_erf(g: GraphBuilder, x: str) -> str:
    e = g.node("Erf", [g.node("Div", [x, g.const(1.4142135, F, shape=())])])
    return g.node("Mul", [g.node("Mul", [x, g.node("Add", [e, g.const(1.0, F, shape=())])]), g.const(0.5, F, shape=())])


def _gelu_tanh(g: GraphBuilder, x: str) -> str:
    x3 = g.node("Pow", [x, g.const(3.0, F, shape=())])
    inner = g.node("Add", [x, g.node("Mul", [x3, g.const(0.044715, F, shape=())])])
    t = g.node("Tanh", [g.node("Mul", [inner, g.const(0.7978846, F, shape=())])])
    return g.node("Mul", [g.node("Mul", [x, g.const(0.5, F, shape=())]), g.node("Add", [t, g.const(1.0, F, shape=())])])


def bert(layers: int = 12, hidden: int = 768, heads: int = 12, ffn: int = 3072, vocab: int = 30522,
         max_pos: int = 512, batch="batch", seq="sequence_length", weights: str = "external") -> GraphBuilder:
    """BERT encoder, decomposed form (MatMul/Add/Softmax/Transpose/Reshape/LayerNormalization/Erf)."""
    g = GraphBuilder(weights)
    hd = hidden // heads
    ids = g.input("input_ids", I64, [batch, seq])
    x = g.node("Gather", [g.weight("embeddings.word", [vocab, hidden]), ids], axis=0)
    seq_len = g.node("Gather", [g.node("Shape", [ids]), g.const(1, shape=())], axis=0)
    pos = g.node("Unsqueeze", [g.node("Range", [g.const(0, shape=()), seq_len, g.const(1, shape=())]), g.const([0])])
    x = g.node("Add", [x, g.node("Gather", [g.weight("embeddings.position", [max_pos, hidden]), pos], axis=0)])
    tt = g.node("ConstantOfShape", [g.node("Shape", [ids])], value=h.make_tensor("v", I64, [1], [0]))
    x = g.node("Add", [x, g.node("Gather", [g.weight("embeddings.token_type", [2, hidden]), tt], axis=0)])
    x = _layernorm(g, x, hidden, "embeddings.ln")
    scale = g.const(math.sqrt(hd), F, shape=())
    for i in range(layers):
        p = f"layer{i}"
        q = _split_heads(g, _linear(g, x, hidden, hidden, f"{p}.q"), x, heads, hd, (0, 2, 1, 3))
        k = _split_heads(g, _linear(g, x, hidden, hidden, f"{p}.k"), x, heads, hd, (0, 2, 3, 1))
        v = _split_heads(g, _linear(g, x, hidden, hidden, f"{p}.v"), x, heads, hd, (0, 2, 1, 3))
        probs = g.node("Softmax", [g.node("Div", [g.node("MatMul", [q, k]), scale])], axis=-1)
        ctx = _merge_heads(g, g.node("MatMul", [probs, v]), x, hidden)
        x = _layernorm(g, g.node("Add", [_linear(g, ctx, hidden, hidden, f"{p}.o"), x]), hidden, f"{p}.ln1")
        f = _linear(g, _gelu_erf(g, _linear(g, x, hidden, ffn, f"{p}.ffn1")), ffn, hidden, f"{p}.ffn2")
        x = _layernorm(g, g.node("Add", [f, x]), hidden, f"{p}.ln2")
    g.outputs.append(h.make_tensor_value_info(x, F, None))
    return g


def bert_matmul_macs(layers=12, hidden=768, ffn=3072, seq=128, batch=1) -> int:
    per_layer = 4 * seq * hidden * hidden + 2 * seq * hidden * ffn + 2 * seq * seq * hidden
    return batch * layers * per_layer


def gpt2_decode(layers: int = 12, hidden: int = 768, heads: int = 12, vocab: int = 50257, n_ctx: int = 1024,
                weights: str = "external") -> GraphBuilder:
    """GPT-2 with a KV cache: inputs input_ids [batch, seq] and past key/values [batch, heads, past, hd].

    The LM head is a Gemm(transB=1) on the (tied) token-embedding matrix wte [50257, 768].
    """
    g = GraphBuilder(weights)
    hd = hidden // heads
    ids = g.input("input_ids", I64, ["batch", "seq"])
    pasts = []
    for i in range(layers):
        pk = g.input(f"past_key.{i}", F, ["batch", heads, "past_sequence_length", hd])
        pv = g.input(f"past_value.{i}", F, ["batch", heads, "past_sequence_length", hd])
        pasts.append((pk, pv))
    wte = g.weight("wte", [vocab, hidden])
    x = g.node("Gather", [wte, ids], axis=0)
    past_len = g.node("Gather", [g.node("Shape", [pasts[0][0]]), g.const(2, shape=())], axis=0)
    seq_len = g.node("Gather", [g.node("Shape", [ids]), g.const(1, shape=())], axis=0)
    pos = g.node("Range", [past_len, g.node("Add", [past_len, seq_len]), g.const(1, shape=())])
    pos = g.node("Unsqueeze", [pos, g.const([0])])
    x = g.node("Add", [x, g.node("Gather", [g.weight("wpe", [n_ctx, hidden]), pos], axis=0)])
    scale = g.const(math.sqrt(hd), F, shape=())
    for i in range(layers):
        p = f"h{i}"
        a = _layernorm(g, x, hidden, f"{p}.ln_1")
        qkv = _linear(g, a, hidden, 3 * hidden, f"{p}.attn.c_attn")
        q, k, v = g.node("Split", [qkv, g.const([hidden] * 3)], n_out=3, axis=-1)
        q = _split_heads(g, q, a, heads, hd, (0, 2, 1, 3))
        k = _split_heads(g, k, a, heads, hd, (0, 2, 1, 3))
        v = _split_heads(g, v, a, heads, hd, (0, 2, 1, 3))
        k = g.node("Concat", [pasts[i][0], k], axis=2, outputs=[f"present_key.{i}"])
        v = g.node("Concat", [pasts[i][1], v], axis=2, outputs=[f"present_value.{i}"])
        g.outputs.append(h.make_tensor_value_info(k, F, None))
        g.outputs.append(h.make_tensor_value_info(v, F, None))
        kt = g.node("Transpose", [k], perm=[0, 1, 3, 2])
        probs = g.node("Softmax", [g.node("Div", [g.node("MatMul", [q, kt]), scale])], axis=-1)
        ctx = _merge_heads(g, g.node("MatMul", [probs, v]), a, hidden)
        x = g.node("Add", [x, _linear(g, ctx, hidden, hidden, f"{p}.attn.c_proj")])
        m = _layernorm(g, x, hidden, f"{p}.ln_2")
        m = _linear(g, _gelu_tanh(g, _linear(g, m, hidden, 4 * hidden, f"{p}.mlp.c_fc")), 4 * hidden, hidden,
                    f"{p}.mlp.c_proj")
        x = g.node("Add", [x, m])
    x = _layernorm(g, x, hidden, "ln_f")
    flat = g.node("Reshape", [x, g.const([-1, hidden])])
    logits = g.node("Gemm", [flat, wte], transB=1)
    shp = g.node("Shape", [ids])
    out = g.node("Reshape", [logits, g.node("Concat", [shp, g.const([vocab])], axis=0)], outputs=["logits"])
    g.outputs.insert(0, h.make_tensor_value_info(out, F, None))
    return g


def gpt2_macs(past: int, seq: int = 1, batch: int = 1, layers=12, hidden=768, heads=12, vocab=50257) -> dict:
    dense = layers * seq * (hidden * 3 * hidden + hidden * hidden + 2 * hidden * 4 * hidden)
    attn = layers * heads * seq * (past + seq) * (hidden // heads) * 2
    head = seq * hidden * vocab
    return {"dense": batch * dense, "attention": batch * attn, "lm_head": batch * head}


# --------------------------------------------------------------------------- ResNet-50 (torchvision layout)


def resnet50(batch=1, image: int = 224, weights: str = "external") -> GraphBuilder:
    """torchvision ResNet-50 v1.5 (stride on the 3x3 conv), Conv(no bias) + BatchNormalization, unfused."""
    g = GraphBuilder(weights)
    x = g.input("input", F, [batch, 3, image, image])
    n = [0]

    def conv_bn(x, cin, cout, k, stride, relu=True):
        n[0] += 1
        p = f"conv{n[0]}"
        w = g.weight(f"{p}.weight", [cout, cin, k, k])
        y = g.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
        bn = [g.weight(f"{p}.bn.weight", [cout]), g.weight(f"{p}.bn.bias", [cout]),
              g.weight(f"{p}.bn.running_mean", [cout], param=False), g.weight(f"{p}.bn.running_var", [cout], param=False)]
        y = g.node("BatchNormalization", [y] + bn, epsilon=1e-5)
        return g.node("Relu", [y]) if relu else y

    x = conv_bn(x, 3, 64, 7, 2)
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            s = stride if b == 0 else 1
            y = conv_bn(x, cin, width, 1, 1)
            y = conv_bn(y, width, width, 3, s)
            y = conv_bn(y, width, width * 4, 1, 1, relu=False)
            sc = conv_bn(x, cin, width * 4, 1, s, relu=False) if b == 0 else x
            x = g.node("Relu", [g.node("Add", [y, sc])])
            cin = width * 4
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], axis=1)
    x = g.node("Gemm", [x, g.weight("fc.weight", [1000, 2048]), g.weight("fc.bias", [1000])], transB=1)
    g.outputs.append(h.make_tensor_value_info(x, F, None))
    return g


# --------------------------------------------------------------------------- big flat graph


def chain_graph(n_blocks: int = 10_000, width: int = 64) -> onnx.ModelProto:
    """A 4*n_blocks-node chain of MatMul/Add/Relu/Reshape sharing one weight."""
    g = GraphBuilder("inline")
    x = g.input("x", F, ["batch", 128, width])
    w = g.weight("W", [width, width])
    b = g.weight("b", [width])
    shp = g.const([0, -1, width])
    for _ in range(n_blocks):
        x = g.node("Reshape", [g.node("Relu", [g.node("Add", [g.node("MatMul", [x, w]), b])]), shp])
    g.outputs.append(h.make_tensor_value_info(x, F, None))
    return g.model()


def bert_fused(layers: int = 12, hidden: int = 768, heads: int = 12, ffn: int = 3072, vocab: int = 30522,
               max_pos: int = 512, batch="batch", seq="sequence_length") -> GraphBuilder:
    """The same BERT as :func:`bert` after onnxruntime's transformer fusions (com.microsoft contrib ops)."""
    g = GraphBuilder("external")
    ids = g.input("input_ids", I64, [batch, seq])
    segs = g.input("token_type_ids", I64, [batch, seq])
    x, _ = g.node("EmbedLayerNormalization", [
        ids, segs, g.weight("embeddings.word", [vocab, hidden]), g.weight("embeddings.position", [max_pos, hidden]),
        g.weight("embeddings.token_type", [2, hidden]), g.weight("embeddings.ln.weight", [hidden]),
        g.weight("embeddings.ln.bias", [hidden])], n_out=2, domain=MS, epsilon=1e-12)
    for i in range(layers):
        p = f"layer{i}"
        a = g.node("Attention", [x, g.weight(f"{p}.qkv.weight", [hidden, 3 * hidden]),
                                 g.weight(f"{p}.qkv.bias", [3 * hidden])], domain=MS, num_heads=heads)
        o = g.node("MatMul", [a, g.weight(f"{p}.o.weight", [hidden, hidden])])
        x = g.node("SkipLayerNormalization", [o, x, g.weight(f"{p}.ln1.weight", [hidden]),
                                              g.weight(f"{p}.ln1.bias", [hidden]), g.weight(f"{p}.o.bias", [hidden])],
                   domain=MS, epsilon=1e-12)
        f = g.node("BiasGelu", [g.node("MatMul", [x, g.weight(f"{p}.ffn1.weight", [hidden, ffn])]),
                                g.weight(f"{p}.ffn1.bias", [ffn])], domain=MS)
        f = g.node("MatMul", [f, g.weight(f"{p}.ffn2.weight", [ffn, hidden])])
        x = g.node("SkipLayerNormalization", [f, x, g.weight(f"{p}.ln2.weight", [hidden]),
                                              g.weight(f"{p}.ln2.bias", [hidden]), g.weight(f"{p}.ffn2.bias", [hidden])],
                   domain=MS, epsilon=1e-12)
    g.outputs.append(h.make_tensor_value_info(x, F, None))
    return g

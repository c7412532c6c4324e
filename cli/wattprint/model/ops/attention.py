"""Attention ops (com.microsoft and ONNX Attention), rotary embeddings, linear attention."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from ..costs import MS
from .base import Counts, NotCountable, OpView, Shape, ShapeOut, ShapeResult, _Ctx
from .elementwise import _sh_same
from .registry import ONNX_INFERENCE, op


def _sh_attention(c: _Ctx) -> ShapeResult:
    dt = c.dtype(0)
    if c.node.op_type == "QAttention":
        dt = c.dtype(3) or TensorProto.FLOAT
    if c.node.domain == MS:
        x, w = c.shape(0), c.shape(1)
        if x is None or w is None:
            return [(None, dt, None)] * c.nout
        b, s = x[0], x[1]
        heads = int(c.attr("num_heads", 1))
        sizes = c.attr("qkv_hidden_sizes")
        dq, dk, dv = [int(v) for v in sizes] if sizes else ((w[-1] // 3),) * 3 if w[-1] is not None else (None,) * 3
        past = c.shape(4)
        p = past[3] if past is not None and len(past) == 5 else 0
        total = None if s is None or p is None else s + p
        hd = None if dk is None else dk // heads
        result: list[ShapeOut] = [((b, s, dv), dt, None), ((2, b, heads, total, hd), dt, None)]
        return result[: c.nout]
    q, k, v = c.shape(0), c.shape(1), c.shape(2)
    if q is None or k is None or v is None:
        return [(None, dt, None)] * c.nout
    qh: int | None = int(c.attr("q_num_heads", 0))
    kvh: int | None = int(c.attr("kv_num_heads", 0))
    past_s = c.shape(4)
    plen = past_s[2] if past_s is not None and len(past_s) == 4 else 0
    if len(q) == 4:
        b, qh, s, _ = q
        _, kvh, kv_len, hk = k
        hv = v[3]
        y: Shape = (b, qh, s, hv)
    else:
        b, s = q[0], q[1]
        kv_len = k[1]
        hk = k[2] // kvh if kvh and k[2] is not None else None
        hv = v[2] // kvh if kvh and v[2] is not None else None
        y = (b, s, qh * hv if qh and hv is not None else None)
    total = None if kv_len is None or plen is None else kv_len + plen
    outs: list[ShapeOut] = [(y, dt, None), ((b, kvh, total, hk), dt, None), ((b, kvh, total, hv), dt, None),
            ((b, qh, s, total), dt, None)]
    return outs[: c.nout]


def _sh_mha(c: _Ctx) -> ShapeResult:
    dt = c.dtype(0)
    q = c.shape(0)
    if q is None:
        return [(None, dt, None)] * c.nout
    heads = int(c.attr("num_heads", 1))
    b, s = q[0], q[1]
    if c.node.op_type == "GroupQueryAttention":
        kvh = int(c.attr("kv_num_heads", heads))
        k = c.shape(1)
        d = q[2]
        hd = (k[2] // kvh if k is not None and k[2] is not None else
              (d // (heads + 2 * kvh) if d is not None else None))
        past = c.shape(3)
        plen = past[2] if past is not None and len(past) == 4 else 0
        tv = c.value(6)
        total = int(np.asarray(tv).reshape(-1)[0]) if tv is not None and np.size(tv) == 1 else None
        if total is None:
            total = None if s is None or plen is None else s + plen
        plen_out = None if total is None or plen is None else max(total, plen)
        pres = (b, kvh, plen_out, hd)
        result: list[ShapeOut] = [((b, s, None if hd is None else heads * hd), dt, None), (pres, dt, None), (pres, dt, None)]
        return result[: c.nout]
    k, v = c.shape(1), c.shape(2)
    if len(q) == 5:
        hd = hv = q[4]
        kv_len = s
    elif k is not None and len(k) == 5:
        hd = q[2] // heads if q[2] is not None else None
        hv, kv_len = k[4], k[1]
    elif k is not None:
        hd = q[2] // heads if q[2] is not None else None
        kv_len = k[1] if len(k) == 3 else k[2]
        hv = (v[2] // heads if len(v) == 3 and v[2] is not None else v[3]) if v is not None else hd
    else:
        return [(None, dt, None)] * c.nout
    past = c.shape(6)
    plen = past[2] if past is not None and len(past) == 4 and (k is None or len(k) == 3) else 0
    total = None if kv_len is None or plen is None else kv_len + plen
    y = (b, s, None if hv is None else heads * hv)
    result = [(y, dt, None), ((b, heads, total, hd), dt, None), ((b, heads, total, hv), dt, None)]
    return result[: c.nout]


def _sh_dmmha(c: _Ctx) -> ShapeResult:
    q = c.shape(0)
    pidx = 5 if c.node.op_type == "DecoderMaskedMultiHeadAttention" else 4
    result: list[ShapeOut] = [(q, c.dtype(0), None), (c.shape(pidx), c.dtype(0), None), (c.shape(pidx + 1), c.dtype(0), None)]
    return result[: c.nout]


def _attention_core(b: int, heads: int, s: int, kv: int, hq: int, hv: int) -> Counts:
    scores = b * heads * s * kv
    # QK^T and AV ; scale + mask/bias add + softmax (max, sub, exp, sum, div)
    return Counts(
        macs=scores * (hq + hv),
        elementwise=3 * scores,
        reduction=2 * scores,
        transcendental=2 * scores,
        note=f"fused attention: {heads} heads, q_len {s}, kv_len {kv}",
    )


@op("Attention", domains=(MS,), shape=_sh_attention, weights=(1, 2))
def _ms_attention(v: OpView) -> Counts:
    b, s, din = v.ishape(0)
    dqkv = v.ishape(1)[-1]
    heads = int(v.attr("num_heads", 1))
    sizes = v.attr("qkv_hidden_sizes")
    dq, dk, dv = [int(x) for x in sizes] if sizes else (dqkv // 3,) * 3
    past = v.ishape(4)[3] if v.has(4) else 0
    c = _attention_core(b, heads, s, s + past, dq // heads, dv // heads)
    c.macs += b * s * din * dqkv
    c.elementwise += b * s * dqkv if v.has(2) else 0
    return c


def _heads_hd(shape: tuple[int, ...], heads: int) -> tuple[int, int]:
    """(sequence length, head size) of a [B, L, heads*H] or [B, heads, L, H] tensor."""
    if len(shape) == 4:
        return shape[2], shape[3]
    if len(shape) == 3:
        return shape[1], shape[2] // max(heads, 1)
    raise NotCountable("unsupported attention input layout")


@op("MultiHeadAttention", domains=(MS,), shape=_sh_mha, weights=(3,))
def _ms_mha(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    b, s = q[0], q[1]
    if len(q) == 5:  # packed QKV [B, S, N, 3, H]
        kv, hq, hv = s, q[4], q[4]
    else:
        hq = q[2] // heads
        if not v.has(1):
            raise NotCountable("unsupported attention input layout")
        k = v.ishape(1)
        if len(k) == 5:  # packed KV [B, L, N, 2, H]
            kv, hv = k[1], k[4]
        else:
            kv, _ = _heads_hd(k, heads)
            hv = _heads_hd(v.ishape(2), heads)[1] if v.has(2) else hq
        if v.has(6) and len(k) == 3:
            kv += v.ishape(6)[2]
    c = _attention_core(b, heads, s, kv, hq, hv)
    c.elementwise += b * s * v.in_numel(3) if v.has(3) else 0  # bias add (upper bound)
    return c


@op("GroupQueryAttention", domains=(MS,), shape=_sh_mha)
def _ms_gqa(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    kv_heads = int(v.attr("kv_num_heads", heads))
    b, s, d = q
    hd = v.ishape(1)[2] // kv_heads if v.has(1) else d // (heads + 2 * kv_heads)
    total = None
    tv = v.ivalue(6)
    if tv is not None and np.size(tv) == 1:
        total = int(np.asarray(tv).reshape(-1)[0])
    if total is None:
        total = s + (v.ishape(3)[2] if v.has(3) else 0)
    c = _attention_core(b, heads, s, total, hd, hd)
    if int(v.attr("do_rotary", 0)):
        c.elementwise += 3 * b * s * (heads + 2 * kv_heads) * hd
    return c


@op("Attention", shape=_sh_attention)
def _onnx_attention(v: OpView) -> Counts:
    q, k = v.ishape(0), v.ishape(1)
    vs = v.ishape(2)
    qh = int(v.attr("q_num_heads", 0)) or (q[1] if len(q) == 4 else 1)
    kvh = int(v.attr("kv_num_heads", 0)) or (k[1] if len(k) == 4 else qh)
    s, hq = _heads_hd(q, qh)
    kv, _ = _heads_hd(k, kvh)
    _, hv = _heads_hd(vs, kvh)
    if v.has(4):
        kv += v.ishape(4)[2]
    return _attention_core(q[0], qh, s, kv, hq, hv)


@op("QAttention", domains=(MS,), shape=_sh_attention, weights=(1, 2))
def _ms_qattention(v: OpView) -> Counts:
    c = _ms_attention(v.__class__(v.op_type, v.domain, v.name, v.inputs[:3] + (None, None), v.outputs,
                                  v._attrs, v.opset))
    c.precision = "int8"
    return c


@op("DecoderMaskedMultiHeadAttention", "DecoderMaskedSelfAttention", domains=(MS,), shape=_sh_dmmha)
def _ms_dmmha(v: OpView) -> Counts:
    q = v.ishape(0)
    heads = int(v.attr("num_heads", 1))
    b, s, d = q[0], q[1], q[2]
    hd = d // heads
    pidx = 5 if v.op_type == "DecoderMaskedMultiHeadAttention" else 4
    plen = v.ivalue(pidx + 2)
    if plen is not None and np.size(plen) == 1:
        total = int(np.asarray(plen).reshape(-1)[0]) + s
    elif v.has(pidx):
        total = v.ishape(pidx)[2]  # shared KV buffer: upper bound
    else:
        total = s
    return _attention_core(b, heads, s, total, hd, hd)


@op("RotaryEmbedding", domains=("", MS), shape=_sh_same, values=1, weights=())
def _rotary(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=3 * n)  # x*cos + rotate(x)*sin


@op("LinearAttention", shape=ONNX_INFERENCE)
def _linear_attention(v: OpView) -> Counts:
    q, k, val = v.ishape(0), v.ishape(1), v.ishape(2)
    qh = int(v.attr("q_num_heads", 1))
    kvh = int(v.attr("kv_num_heads", qh))
    b, t = q[0], q[1]
    dk, dv = k[2] // kvh, val[2] // kvh
    state = dk * dv
    # recurrent form: per token, state update (k^T v, decay) per kv head, readout q.S per query head
    return Counts(macs=b * t * (kvh + qh) * state, elementwise=b * t * kvh * state,
                  note="linear attention (recurrent form)")

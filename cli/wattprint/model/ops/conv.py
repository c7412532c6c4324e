"""Convolutions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from onnx import TensorProto

from ..costs import MS
from .base import Counts, OpView, Shape, ShapeResult, _Ctx
from .registry import ONNX_INFERENCE, op


def _spatial_out(c: _Ctx, s: Shape, kernel: Sequence[int | None], ceil_mode: bool = False) -> list[int | None]:
    n = len(kernel)
    strides = [int(x) for x in (c.attr("strides") or [1] * n)]
    dil = [int(x) for x in (c.attr("dilations") or [1] * n)]
    pads = [int(x) for x in (c.attr("pads") or [0] * (2 * n))]
    auto = c.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    out: list[int | None] = []
    for i in range(n):
        d = s[2 + i]
        k = kernel[i]
        if d is None or k is None:
            out.append(None)
            continue
        ke = (k - 1) * dil[i] + 1
        st = strides[i]
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out.append(-(-d // st))
        elif auto == "VALID":
            out.append(-(-(d - ke + 1) // st))
        else:
            num = d + pads[i] + pads[i + n] - ke
            if ceil_mode:
                o = -(-num // st) + 1
                if (o - 1) * st >= d + pads[i]:
                    o -= 1
            else:
                o = num // st + 1
            out.append(o)
    return out


def _sh_conv(c: _Ctx) -> ShapeResult:
    op = c.node.op_type
    wi = 3 if op == "QLinearConv" else 1
    s, w = c.shape(0), c.shape(wi)
    if s is None or len(s) < 3:
        return [(None, 0, None)]
    n_sp = len(s) - 2
    ks = c.attr("kernel_shape")
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else [None] * n_sp)
    cout = w[0] if w is not None else None
    dt = {"ConvInteger": TensorProto.INT32, "QLinearConv": c.dtype(7) or c.dtype(0)}.get(op, c.dtype(0))
    return [((s[0], cout) + tuple(_spatial_out(c, s, kernel)), dt, None)]


def _sh_nhwc_conv(c: _Ctx) -> ShapeResult:
    """NhwcConv(X[N, H, W, C], W[M, C/group, kH, kW], B) -> Y[N, oH, oW, M] (com.microsoft)."""
    s, w = c.shape(0), c.shape(1)
    if s is None or len(s) < 3:
        return [(None, 0, None)]
    n_sp = len(s) - 2
    ncs = (s[0], s[-1]) + tuple(s[1:-1])
    ks = c.attr("kernel_shape")
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else [None] * n_sp)
    cout = w[0] if w is not None else None
    return [((s[0],) + tuple(_spatial_out(c, ncs, kernel)) + (cout,), c.dtype(0), None)]


def _sh_conv_transpose(c: _Ctx) -> ShapeResult:
    s, w = c.shape(0), c.shape(1)
    if s is None or len(s) < 3:
        return [(None, c.dtype(0), None)]
    n = len(s) - 2
    group = int(c.attr("group", 1))
    cout = w[1] * group if w is not None and w[1] is not None else None
    ks = c.attr("kernel_shape")
    kernel = [int(k) for k in ks] if ks else (list(w[2:]) if w is not None else [None] * n)
    osh = c.attr("output_shape")
    if osh:
        osp = [int(x) for x in osh][-n:]
        return [((s[0], cout) + tuple(osp), c.dtype(0), None)]
    strides = [int(x) for x in (c.attr("strides") or [1] * n)]
    dil = [int(x) for x in (c.attr("dilations") or [1] * n)]
    pads = [int(x) for x in (c.attr("pads") or [0] * (2 * n))]
    opad = [int(x) for x in (c.attr("output_padding") or [0] * n)]
    auto = c.attr("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    sp: list[int | None] = []
    for i in range(n):
        d, k = s[2 + i], kernel[i]
        if d is None or k is None:
            sp.append(None)
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            sp.append(d * strides[i])
        else:
            sp.append(strides[i] * (d - 1) + opad[i] + (k - 1) * dil[i] + 1 - pads[i] - pads[i + n])
    return [((s[0], cout) + tuple(sp), c.dtype(0), None)]


def _conv_macs(v: OpView, x: int, w: int) -> int:
    # N * Cout * prod(out spatial) * (Cin/group) * prod(kernel) == numel(Y) * prod(W.shape[1:])
    wshape = v.ishape(w)
    v.ishape(x)
    return v.out_numel() * math.prod(wshape[1:])


@op("Conv", shape=_sh_conv, weights=(1, 2))
def _conv(v: OpView) -> Counts:
    return Counts(macs=_conv_macs(v, 0, 1), elementwise=v.out_numel() if v.has(2) else 0)


@op("FusedConv", domains=(MS,), shape=_sh_conv, weights=(1, 2))
@op("NhwcConv", domains=(MS,), shape=_sh_nhwc_conv, weights=(1, 2))
def _fused_conv(v: OpView) -> Counts:
    n = v.out_numel()
    act = v.attr("activation", b"")
    ew = (n if v.has(2) else 0) + (n if v.has(3) else 0) + (n if act else 0)
    tr = n if act in (b"Sigmoid", b"Tanh", "Sigmoid", "Tanh") else 0
    return Counts(macs=_conv_macs(v, 0, 1), elementwise=ew, transcendental=tr)


@op("ConvInteger", shape=_sh_conv, weights=(1,))
def _conv_integer(v: OpView) -> Counts:
    return Counts(macs=_conv_macs(v, 0, 1), precision="int8")


@op("QLinearConv", domains=("", MS), shape=_sh_conv, weights=(3, 8))
def _qlinear_conv(v: OpView) -> Counts:
    n = v.out_numel()
    # requantize: * (x_scale*w_scale/y_scale), + y_zero_point, saturate ; + int32 bias
    return Counts(macs=_conv_macs(v, 0, 3), elementwise=3 * n + (n if v.has(8) else 0), precision="int8")


@op("ConvTranspose", shape=_sh_conv_transpose, weights=(1, 2))
def _conv_transpose(v: OpView) -> Counts:
    # N * Cin * prod(in spatial) * (Cout/group) * prod(kernel) == numel(X) * prod(W.shape[1:])
    return Counts(
        macs=v.in_numel(0) * math.prod(v.ishape(1)[1:]),
        elementwise=v.out_numel() if v.has(2) else 0,
    )


@op("CausalConvWithState", shape=ONNX_INFERENCE, weights=(1, 2))
def _causal_conv(v: OpView) -> Counts:
    x, w = v.ishape(0), v.ishape(1)
    n = math.prod(x)
    return Counts(macs=n * w[-1], elementwise=n if v.has(2) else 0)


@op("DeformConv", shape=ONNX_INFERENCE, weights=(1, 3))
def _deform_conv(v: OpView) -> Counts:
    macs = _conv_macs(v, 0, 1)
    # bilinear sampling of every (output position, input channel, kernel tap): 4 taps, ~8 ops
    return Counts(macs=macs, elementwise=8 * macs // max(v.ishape(1)[0] // int(v.attr("group", 1)), 1)
                  + (v.out_numel() if v.has(3) else 0))

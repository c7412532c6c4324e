"""Matrix products: MatMul, Gemm, Einsum and their quantized / fused com.microsoft forms."""

from __future__ import annotations

import math
from collections.abc import Sequence

from onnx import TensorProto

from ..costs import MS
from .base import Counts, NotCountable, OpView, Shape, ShapeResult, _bcast, _Ctx, _full, _s
from .registry import Fusion, op


def _matmul_shape(s_a: Shape | None, s_b: Shape | None, trans_a: bool = False, trans_b: bool = False) -> Shape | None:
    if s_a is None or s_b is None:
        return None
    a, b = list(s_a), list(s_b)
    if trans_a and len(a) >= 2:
        a[-1], a[-2] = a[-2], a[-1]
    if trans_b and len(b) >= 2:
        b[-1], b[-2] = b[-2], b[-1]
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return tuple(b[:-2]) + (b[-1],)
    if len(b) == 1:
        return tuple(a[:-1])
    batch = _bcast(tuple(a[:-2]), tuple(b[:-2]))
    return (batch or ()) + (a[-2], b[-1])  # (batch: never None, both shapes are given)


def _sh_matmul(c: _Ctx) -> ShapeResult:
    op = c.node.op_type
    bi = 3 if op == "QLinearMatMul" else 1
    out = _matmul_shape(c.shape(0), c.shape(bi), bool(int(c.attr("transA", 0))), bool(int(c.attr("transB", 0))))
    dt = {"MatMulInteger": TensorProto.INT32, "QLinearMatMul": c.dtype(7) or c.dtype(0),
          "DynamicQuantizeMatMul": c.dtype(2) or TensorProto.FLOAT,
          "MatMulIntegerToFloat": c.dtype(2) or TensorProto.FLOAT}.get(op, c.dtype(0))
    return [(out, dt, None)]


def _sh_matmul_nbits(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    n = int(c.attr("N", 0)) or None
    return [(tuple(s[:-1]) + (n,) if s is not None else None, c.dtype(0), None)]


def _sh_gemm(c: _Ctx) -> ShapeResult:
    a, b = c.shape(0), c.shape(3 if c.node.op_type == "QGemm" else 1)
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        if c.node.op_type == "GemmFastGelu":
            return [(_matmul_shape(a, b), c.dtype(0), None)]
        return [(None, c.dtype(0), None)]
    m = a[1] if int(c.attr("transA", 0)) else a[0]
    n = b[0] if int(c.attr("transB", 0)) else b[1]
    return [((m, n), c.dtype(0), None)]


def _sh_einsum(c: _Ctx) -> ShapeResult:
    shapes = [c.shape(i) for i in range(len(c.ins))]
    full = [s for s in shapes if _full(s)]
    if len(full) < len(shapes):
        return [(None, c.dtype(0), None)]
    eq = c.attr("equation", b"")
    eq = eq.decode() if isinstance(eq, bytes) else str(eq)
    sizes, _, out = parse_einsum(eq, full)
    return [(tuple(sizes[ch] for ch in out), c.dtype(0), None)]


def _gemm_dims(v: OpView, a: int = 0, b: int = 1) -> tuple[int, int, int]:
    """(M, N, K) of a Gemm-like node with operands at inputs ``a`` and ``b``."""
    sa, sb = v.ishape(a), v.ishape(b)
    if len(sa) != 2 or len(sb) != 2:
        raise NotCountable("Gemm operands are not 2-D")
    m, k = (sa[1], sa[0]) if int(v.attr("transA", 0)) else sa
    n = sb[0] if int(v.attr("transB", 0)) else sb[1]
    return m, n, k


@op("Gemm", shape=_sh_gemm)
def _gemm(v: OpView) -> Counts:
    m, n, k = _gemm_dims(v)
    ew = 0
    if float(v.attr("alpha", 1.0)) != 1.0:
        ew += m * n
    if v.has(2):
        beta = float(v.attr("beta", 1.0))
        ew += m * n * (0 if beta == 0 else (1 if beta == 1 else 2))
    return Counts(macs=m * n * k, elementwise=ew)


@op("FusedGemm", domains=(MS,), shape=_sh_gemm)
def _fused_gemm(v: OpView) -> Counts:
    c = _gemm(v)
    m, n, _ = _gemm_dims(v)
    c.elementwise += m * n if v.attr("activation") else 0
    return c


def _matmul_k(v: OpView, a: int, b: int, trans_a: bool = False) -> int:
    sa = v.ishape(a)
    v.ishape(b)
    if not sa:
        raise NotCountable("MatMul operand is a scalar")
    if trans_a and len(sa) >= 2:
        return sa[-2]
    return sa[-1]


@op("MatMul", shape=_sh_matmul, weights=(0, 1))
def _matmul(v: OpView) -> Counts:
    # broadcast batch * M * N * K == numel(Y) * K
    return Counts(macs=v.out_numel() * _matmul_k(v, 0, 1))


@op("MatMulInteger", shape=_sh_matmul, weights=(0, 1))
def _matmul_integer(v: OpView) -> Counts:
    return Counts(macs=v.out_numel() * _matmul_k(v, 0, 1), precision="int8")


@op("QLinearMatMul", domains=("", MS), shape=_sh_matmul, weights=(0, 3))
def _qlinear_matmul(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 3), elementwise=3 * n, precision="int8")


@op("MatMulIntegerToFloat", domains=(MS,), shape=_sh_matmul, weights=(0, 1))
def _matmul_int_to_float(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 1), elementwise=2 * n, precision="int8")


@op("QGemm", domains=(MS,), shape=_sh_gemm, weights=(3, 6))
def _qgemm(v: OpView) -> Counts:
    m, n, k = _gemm_dims(v, 0, 3)
    return Counts(macs=m * n * k, elementwise=3 * m * n, precision="int8")


@op("FusedMatMul", "TransposeMatMul", domains=(MS,), shape=_sh_matmul, weights=(0, 1))
def _fused_matmul(v: OpView) -> Counts:
    n = v.out_numel()
    k = _matmul_k(v, 0, 1, trans_a=bool(int(v.attr("transA", 0))))
    return Counts(macs=n * k, elementwise=n if float(v.attr("alpha", 1.0)) != 1.0 else 0)


@op("MatMulNBits", domains=(MS,), shape=_sh_matmul_nbits, weights=(1, 5))
def _matmul_nbits(v: OpView) -> Counts:
    k, n_out = int(v.attr("K", 0)), int(v.attr("N", 0))
    if not k or not n_out:
        raise NotCountable("MatMulNBits without K/N attributes")
    out = v.out_numel()
    bits = int(v.attr("bits", 4))
    # dequantize each weight once per call: (w - zp) * scale
    return Counts(
        macs=out * k,
        elementwise=2 * n_out * k + (out if v.has(5) else 0),
        weight_elems={1: n_out * k},
        note=f"int{bits} block-quantized weights",
    )


@op("GemmFastGelu", domains=(MS,), shape=_sh_gemm, weights=(1, 2))
def _gemm_fast_gelu(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(macs=n * _matmul_k(v, 0, 1), elementwise=8 * n, transcendental=n)


def parse_einsum(equation: str, shapes: Sequence[tuple[int, ...]]) -> tuple[dict[str, int], list[str], str]:
    """Return ({index: size}, [operand indices...], output indices); ellipsis dims become digits."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise NotCountable("Einsum equation does not match its inputs")
    sizes: dict[str, int] = {}
    ell_rank = 0
    expanded: list[str] = []
    for term, shape in zip(terms, shapes):
        letters = term.replace("...", "")
        if "..." in term:
            r = len(shape) - len(letters)
            if r < 0:
                raise NotCountable("Einsum operand rank mismatch")
            ell_rank = max(ell_rank, r)
            ell = "".join(str(9 - j) for j in range(r - 1, -1, -1))  # right-aligned pseudo indices
            term = term.replace("...", ell)
        if len(term) != len(shape):
            raise NotCountable("Einsum operand rank mismatch")
        for ch, d in zip(term, shape):
            if sizes.get(ch, 1) == 1 or d != 1:
                sizes[ch] = d if sizes.get(ch, 1) == 1 else sizes[ch]
        expanded.append(term)
    ell = "".join(str(9 - j) for j in range(ell_rank - 1, -1, -1))
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts: dict[str, int] = {}
        for t in expanded:
            for ch in t:
                if not ch.isdigit():
                    counts[ch] = counts.get(ch, 0) + 1
        out = ell + "".join(sorted(ch for ch, c in counts.items() if c == 1))
    return sizes, expanded, out


@op("Einsum", shape=_sh_einsum, fusion=Fusion.BARRIER)
def _einsum(v: OpView) -> Counts:
    shapes = [v.ishape(i) for i in range(len(v.inputs))]
    sizes, terms, out = parse_einsum(str(_s(v.attr("equation", ""))), shapes)
    total = math.prod(sizes.values())
    if len(terms) >= 2:
        return Counts(macs=total)
    if set(out) == set(terms[0]):
        return Counts(note="Einsum permutation (data movement)")
    return Counts(reduction=total)


@op("DynamicQuantizeMatMul", domains=(MS,), shape=_sh_matmul, weights=(1,))
def _dyn_quant_matmul(v: OpView) -> Counts:
    n_in = v.in_numel(0)
    return Counts(
        macs=v.out_numel() * _matmul_k(v, 0, 1), reduction=2 * n_in, elementwise=3 * n_in + v.out_numel(),
        precision="int8",
    )

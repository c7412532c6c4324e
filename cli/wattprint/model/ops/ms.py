"""com.microsoft data-movement ops (ExpandDims, Crop, RemovePadding, RestorePadding, Tokenizer, ...)."""

from __future__ import annotations

from onnx import TensorProto

from ..costs import MS
from .base import Counts, NotCountable, OpView, ShapeResult, _axis, _Ctx
from .elementwise import _sh_same
from .registry import Fusion, op
from .tensor import _sh_pad, _sh_range

# Shape rules after onnxruntime's contrib-op specs (docs/ContribOperators.md).


def _sh_expand_dims(c: _Ctx) -> ShapeResult:
    """ExpandDims(X, axis): X with a 1 inserted at ``axis`` (a scalar input, in [-rank-1, rank])."""
    s, ax = c.shape(0), c.ints(1)
    if s is None or not ax:
        return [(None, c.dtype(0), None)]
    a = _axis(ax[0], len(s) + 1)
    return [(tuple(s[:a]) + (1,) + tuple(s[a:]), c.dtype(0), None)]


def _sh_crop(c: _Ctx) -> ShapeResult:
    """Crop(X[N, C, H, W]): ``border`` = (left, top, right, bottom); ``scale`` = (height, width) when given."""
    s = c.shape(0)
    border = c.attr("border")
    if s is None or len(s) != 4 or border is None or len(border) != 4:
        return [(None, c.dtype(0), None)]
    left, top, right, bottom = (int(b) for b in border)
    scale = c.attr("scale")
    hw: tuple[int | None, int | None]
    if scale:
        hw = (int(scale[0]), int(scale[1]))
    else:
        hw = (s[2] - top - bottom if s[2] is not None else None, s[3] - left - right if s[3] is not None else None)
    return [((s[0], s[1]) + hw, c.dtype(0), None)]


def _sh_remove_padding(c: _Ctx) -> ShapeResult:
    """RemovePadding(input[B, S, H], sequence_token_count[B]) -> output[tokens, H], token_offset[B, S],
    cumulated_seq_len[B + 1], max_seq_len[1]. The token count depends on the input values: bounded by B x S."""
    s = c.shape(0)
    if s is None or len(s) != 3:
        return [(None, c.dtype(0), None), (None, TensorProto.INT32, None), (None, TensorProto.INT32, None),
                ((1,), TensorProto.INT32, None)]
    b, seq, h = s
    tokens = b * seq if b is not None and seq is not None else None
    return [((tokens, h), c.dtype(0), None), ((b, seq), TensorProto.INT32, None),
            ((b + 1 if b is not None else None,), TensorProto.INT32, None), ((1,), TensorProto.INT32, None)]


def _sh_restore_padding(c: _Ctx) -> ShapeResult:
    """RestorePadding(input[tokens, H], token_offset[B, S]) -> output[B, S, H]."""
    s, off = c.shape(0), c.shape(1)
    if s is None or off is None or len(s) != 2 or len(off) != 2:
        return [(None, c.dtype(0), None)]
    return [((off[0], off[1], s[1]), c.dtype(0), None)]


def _sh_tokenizer(c: _Ctx) -> ShapeResult:
    """Tokenizer(X[N] or [N, C] strings) -> Y with one more axis, the token count: it depends on the strings
    (a declared output shape supplies it)."""
    s = c.shape(0)
    return [((tuple(s) + (None,)) if s is not None else None, TensorProto.STRING, None)]


def _sh_unique(c: _Ctx) -> ShapeResult:
    """com.microsoft Unique(x[n]) -> uniques[?], idx[n], counts[?]: sizes depend on the values."""
    return [((None,), c.dtype(0), None), (c.shape(0), TensorProto.INT64, None), ((None,), TensorProto.INT64, None)]


@op("RemovePadding", domains=(MS,), shape=_sh_remove_padding)
def _remove_padding(v: OpView) -> Counts:
    x, y = v.ishape(0), v.oshape(0)
    note = "RemovePadding: tokens bounded by batch x sequence" if len(x) == 3 and y[0] == x[0] * x[1] else None
    return Counts(note=note)


@op("Tokenizer", domains=(MS,), shape=_sh_tokenizer)
def _tokenizer(v: OpView) -> Counts:
    t = v.outputs[0] if v.outputs else None
    if t is None or t.shape is None:
        raise NotCountable("output size is data-dependent")
    return Counts()



@op("ExpandDims", domains=(MS,), shape=_sh_expand_dims, fusion=Fusion.VIEW)
@op("Crop", domains=(MS,), shape=_sh_crop)
@op("RestorePadding", domains=(MS,), shape=_sh_restore_padding)
@op("Pad", domains=(MS,), shape=_sh_pad)
@op("Range", domains=(MS,), shape=_sh_range, values=3, fusion=Fusion.BARRIER)
@op("Trilu", domains=(MS,), shape=_sh_same, values=1)
@op("Unique", domains=(MS,), shape=_sh_unique, fusion=Fusion.BARRIER)
def _ms_movement(v: OpView) -> Counts:
    return Counts()

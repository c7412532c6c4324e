"""Data movement, shapes and constants: Reshape, Transpose, Concat, Slice, Gather, Shape, Constant, ..."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from onnx import TensorProto, numpy_helper

from ..common import SMALL_VALUE
from ..costs import MS
from .base import (
    Counts,
    NotCountable,
    OpView,
    ShapeOut,
    ShapeResult,
    _axis,
    _bcast,
    _Ctx,
    _full,
    _np_dtype,
    _prod,
    _small,
    _tensor_value,
)
from .elementwise import _sh_same
from .registry import ONNX_INFERENCE, Fusion, op


def _sh_constant(c: _Ctx) -> ShapeResult:
    a = c._attrs.get_all()
    if "value" in a:
        t = a["value"]
        return [(tuple(int(d) for d in t.dims), t.data_type, _tensor_value(t))]
    if "sparse_value" in a:
        t = a["sparse_value"]
        return [(tuple(int(d) for d in t.dims), t.values.data_type, None)]
    for k, dt in (
        ("value_float", TensorProto.FLOAT), ("value_floats", TensorProto.FLOAT),
        ("value_int", TensorProto.INT64), ("value_ints", TensorProto.INT64),
    ):
        if k in a:
            v = np.array(a[k], dtype=np.float32 if dt == TensorProto.FLOAT else np.int64)
            return [(v.shape, dt, v)]
    if "value_string" in a:
        return [((), TensorProto.STRING, None)]
    if "value_strings" in a:
        return [((len(a["value_strings"]),), TensorProto.STRING, None)]
    return None


def _sh_constant_of_shape(c: _Ctx) -> ShapeResult:
    t = c.attr("value")
    dt = t.data_type if t is not None else TensorProto.FLOAT
    dims = c.ints(0)
    if dims is None:
        s = c.shape(0)
        return [((None,) * s[0] if _full(s) and len(s) == 1 else None, dt, None)]
    val = None
    if math.prod(dims) <= SMALL_VALUE:
        fill = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
        val = np.full(dims, fill)
    return [(tuple(dims), dt, val)]


def _sh_range(c: _Ctx) -> ShapeResult:
    s, lim, d = c.value(0), c.value(1), c.value(2)
    dt = c.dtype(0)
    if s is None or lim is None or d is None:
        return [((None,), dt, None)]
    s, lim, d = (np.asarray(x).reshape(-1)[0] for x in (s, lim, d))
    n = max(int(math.ceil((lim - s) / d)), 0) if d != 0 else 0
    val = np.arange(s, lim, d).astype(np.asarray(s).dtype) if n <= SMALL_VALUE else None
    return [((n,), dt, val)]


def _sh_shape(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [((None,), TensorProto.INT64, None)]
    r = len(s)
    start = _axis(int(c.attr("start", 0)), r)
    end = c.attr("end")
    end = r if end is None else _axis(int(end), r)
    start, end = max(0, min(start, r)), max(0, min(end, r))
    sub = s[start:end]
    val = np.array(sub, dtype=np.int64) if _full(sub) else None
    return [((len(sub),), TensorProto.INT64, val)]


def _sh_size(c: _Ctx) -> ShapeResult:
    n = _prod(c.shape(0))
    return [((), TensorProto.INT64, None if n is None else np.array(n, dtype=np.int64))]


def _sh_cast(c: _Ctx) -> ShapeResult:
    to = int(c.attr("to", 0))
    x = c.value(0)
    val = None
    npd = _np_dtype(to)
    if x is not None and npd is not None and to != TensorProto.STRING:
        with np.errstate(all="ignore"):
            val = np.asarray(x).astype(npd)
    return [(c.shape(0), to, val)]


def _sh_castlike(c: _Ctx) -> ShapeResult:
    return [(c.shape(0), c.dtype(1), None)]


def _sh_reshape(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    target = c.ints(1, "shape")
    if target is None:
        ts = c.shape(1)
        return [((None,) * ts[0] if _full(ts) else None, c.dtype(0), None)]
    allow0 = int(c.attr("allowzero", 0))
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allow0:
            out.append(s[i] if s is not None and i < len(s) else None)
        else:
            out.append(d)
    if -1 in out:
        n = _prod(s)
        rest = [d for d in out if d != -1]
        known = [d for d in rest if d is not None]
        if n is not None and len(known) == len(rest):
            k = math.prod(known)
            out[out.index(-1)] = n // k if k else 0
        else:
            out[out.index(-1)] = None
    x = c.value(0)
    val = x.reshape(out) if x is not None and None not in out else None
    return [(tuple(out), c.dtype(0), val)]


def _sh_flatten(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [((None, None), c.dtype(0), None)]
    ax = _axis(int(c.attr("axis", 1)), len(s))
    a, b = s[:ax], s[ax:]
    out = (_prod(a) if a else 1, _prod(b) if b else 1)
    x = c.value(0)
    return [(out, c.dtype(0), x.reshape(out) if x is not None else None)]


def _sh_transpose(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    perm = c.attr("perm")
    perm = list(range(len(s)))[::-1] if perm is None else [int(p) for p in perm]
    x = c.value(0)
    return [(tuple(s[p] for p in perm), c.dtype(0), np.transpose(x, perm) if x is not None else None)]


def _sh_squeeze(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    axes = c.ints(1, "axes")
    if axes is None:
        if c.has(1) or not _full(s):
            return [(None, c.dtype(0), None)]
        axes = [i for i, d in enumerate(s) if d == 1]
    axset = {_axis(a, len(s)) for a in axes}
    out = tuple(d for i, d in enumerate(s) if i not in axset)
    x = c.value(0)
    return [(out, c.dtype(0), x.reshape(out) if x is not None else None)]


def _sh_unsqueeze(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    axes = c.ints(1, "axes")
    if s is None or axes is None:
        return [(None, c.dtype(0), None)]
    r = len(s) + len(axes)
    axes = sorted(_axis(a, r) for a in axes)
    out = list(s)
    for a in axes:
        out.insert(a, 1)
    x = c.value(0)
    return [(tuple(out), c.dtype(0), x.reshape(out) if x is not None else None)]


def _sh_concat(c: _Ctx) -> ShapeResult:
    given = [c.shape(i) for i in range(len(c.ins)) if c.has(i)]
    shapes = [s for s in given if s is not None]
    if not shapes or len(shapes) < len(given):
        return [(None, c.dtype(0), None)]
    r = len(shapes[0])
    ax = _axis(int(c.attr("axis", 0)), r)
    out: list[int | None] = []
    for i in range(r):
        if i == ax:
            ds = [s[i] for s in shapes]
            kds = [d for d in ds if d is not None]
            out.append(sum(kds) if len(kds) == len(ds) else None)
        else:
            ds = [s[i] for s in shapes if s[i] is not None]
            out.append(ds[0] if ds else None)
    vals = [c.value(i) for i in range(len(c.ins)) if c.has(i)]
    val = None
    if all(v is not None for v in vals):
        val = np.concatenate([np.asarray(v) for v in vals], axis=ax)
    return [(tuple(out), c.dtype(0), val)]


def _sh_split(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    n = c.nout
    if s is None:
        return [(None, c.dtype(0), None)] * n
    ax = _axis(int(c.attr("axis", 0)), len(s))
    sizes: Sequence[int | None] | None = c.ints(1, "split")
    d = s[ax]
    if sizes is None:
        if d is None:
            sizes = [None] * n
        else:
            k = -(-d // n)
            sizes = [k] * (n - 1) + [d - k * (n - 1)]
    out: list[ShapeOut] = []
    for sz in sizes[:n]:
        t = list(s)
        t[ax] = sz
        out.append((tuple(t), c.dtype(0), None))
    x = c.value(0)
    known = [z for z in sizes if z is not None] if x is not None else []
    if x is not None and len(known) == len(sizes):
        parts = np.split(x, np.cumsum(known)[:-1], axis=ax)
        out = [(tuple(p.shape), c.dtype(0), p) for p in parts]
    return out


def _sh_slice(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    if s is None:
        return [(None, c.dtype(0), None)]
    if c.has(1) or c.attr("starts") is None:
        starts, ends = c.ints(1), c.ints(2)
        axes = c.ints(3) if c.has(3) else None
        steps = c.ints(4) if c.has(4) else None
    else:
        starts, ends = c.ints(9, "starts"), c.ints(9, "ends")
        axes = c.ints(9, "axes")
        steps = None
    if starts is None or ends is None or (c.has(3) and axes is None) or (c.has(4) and steps is None):
        # rank is kept; the sliced axes are unknown
        if axes is not None:
            out = list(s)
            for a in axes:
                out[_axis(a, len(s))] = None
            return [(tuple(out), c.dtype(0), None)]
        return [((None,) * len(s), c.dtype(0), None)]
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    out = list(s)
    slc = [slice(None)] * len(s)
    for st, en, a, sp in zip(starts, ends, axes, steps):
        a = _axis(a, len(s))
        slc[a] = slice(st, en, sp)
        d = s[a]
        out[a] = None if d is None else len(range(*slice(st, en, sp).indices(d)))
    x = c.value(0)
    return [(tuple(out), c.dtype(0), x[tuple(slc)] if x is not None else None)]


def _sh_gather(c: _Ctx) -> ShapeResult:
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None:
        return [(None, c.dtype(0), None)]
    ax = _axis(int(c.attr("axis", 0)), len(s))
    out = tuple(s[:ax]) + tuple(si) + tuple(s[ax + 1:])
    x, i = c.value(0), c.value(1)
    val = np.take(x, i.astype(np.int64), axis=ax) if x is not None and i is not None and _small(out) else None
    return [(out, c.dtype(0), val)]


def _sh_gather_elements(c: _Ctx) -> ShapeResult:
    return [(c.shape(1), c.dtype(0), None)]


def _sh_gather_nd(c: _Ctx) -> ShapeResult:
    s, si = c.shape(0), c.shape(1)
    if s is None or si is None or si[-1] is None:
        return [(None, c.dtype(0), None)]
    b = int(c.attr("batch_dims", 0))
    return [(tuple(si[:-1]) + tuple(s[b + si[-1]:]), c.dtype(0), None)]


def _sh_expand(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    target = c.ints(1)
    if target is None:
        ts = c.shape(1)
        return [((None,) * ts[0] if _full(ts) and s is not None else None, c.dtype(0), None)]
    out = _bcast(s, tuple(target))
    x = c.value(0)
    val = None
    if x is not None and _full(out) and math.prod(out) <= SMALL_VALUE:
        val = np.broadcast_to(x, out).copy()
    return [(out, c.dtype(0), val)]


def _sh_tile(c: _Ctx) -> ShapeResult:
    s, reps = c.shape(0), c.ints(1)
    if s is None or reps is None:
        return [((None,) * len(s) if s is not None else None, c.dtype(0), None)]
    out = tuple(None if d is None else d * r for d, r in zip(s, reps))
    x = c.value(0)
    val = np.tile(x, reps) if x is not None and _full(out) and math.prod(out) <= SMALL_VALUE else None
    return [(out, c.dtype(0), val)]


def _sh_pad(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    pads = c.ints(1, "pads") if c.has(1) else [int(x) for x in (c.attr("pads") or c.attr("paddings") or [])]
    if s is None or pads is None:
        return [((None,) * len(s) if s is not None else None, c.dtype(0), None)]
    axes = c.ints(3) if c.has(3) else list(range(len(s)))
    if axes is None:
        return [((None,) * len(s), c.dtype(0), None)]
    out = list(s)
    k = len(axes)
    for j, a in enumerate(axes):
        a = _axis(a, len(s))
        d = out[a]
        if d is not None:
            out[a] = d + pads[j] + pads[j + k]
    return [(tuple(out), c.dtype(0), None)]


def _sh_depth_space(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    b = int(c.attr("blocksize", 1))
    if s is None or len(s) != 4:
        return [(None, c.dtype(0), None)]
    n, ch, h, w = s
    if c.node.op_type == "DepthToSpace":
        out = (n, None if ch is None else ch // (b * b), None if h is None else h * b, None if w is None else w * b)
    else:
        out = (n, None if ch is None else ch * b * b, None if h is None else h // b, None if w is None else w // b)
    return [(out, c.dtype(0), None)]


def _sh_onehot(c: _Ctx) -> ShapeResult:
    s, depth = c.shape(0), c.ints(1)
    if s is None:
        return [(None, c.dtype(2), None)]
    d = depth[0] if depth else None
    r = len(s) + 1
    ax = _axis(int(c.attr("axis", -1)), r)
    out = list(s)
    out.insert(ax, d)
    return [(tuple(out), c.dtype(2), None)]


def _sh_eyelike(c: _Ctx) -> ShapeResult:
    return [(c.shape(0), int(c.attr("dtype", 0)) or c.dtype(0), None)]


def _sh_nonzero(c: _Ctx) -> ShapeResult:
    s = c.shape(0)
    return [((len(s), None) if s is not None else (None, None), TensorProto.INT64, None)]


@op("CastLike", shape=_sh_castlike, values=1)
def _cast_like(v: OpView) -> Counts:
    return Counts(read={1: 0})  # only the dtype of `target_type` is used


@op("BitCast", "MelWeightMatrix", shape=ONNX_INFERENCE)
@op("TensorScatter", shape=_sh_same, values=1)
def _movement2(v: OpView) -> Counts:
    return Counts()



@op("Reshape", shape=_sh_reshape, values=1, fusion=Fusion.VIEW)
@op("Transpose", shape=_sh_transpose, values=1, fusion=Fusion.VIEW)
@op("Concat", shape=_sh_concat, values=99, fusion=Fusion.VIEW)
@op("Split", shape=_sh_split, values=1, fusion=Fusion.VIEW)
@op("Squeeze", shape=_sh_squeeze, values=1, fusion=Fusion.VIEW)
@op("Unsqueeze", shape=_sh_unsqueeze, values=1, fusion=Fusion.VIEW)
@op("Flatten", shape=_sh_flatten, values=1, fusion=Fusion.VIEW)
@op("Expand", shape=_sh_expand, values=1, fusion=Fusion.VIEW)
@op("Tile", shape=_sh_tile, values=1, fusion=Fusion.VIEW)
@op("Pad", shape=_sh_pad)
@op("Identity", "Dropout", shape=_sh_same, values=1, fusion=Fusion.VIEW)
@op("BitmaskDropout", domains=(MS,), shape=_sh_same, values=1, fusion=Fusion.VIEW)
@op("Cast", shape=_sh_cast, values=1)
@op("DepthToSpace", "SpaceToDepth", shape=_sh_depth_space)
@op("ReverseSequence", "Scatter", "Trilu", shape=_sh_same, values=1)
@op("ScatterND", "ScatterElements", shape=_sh_same, values=1, fusion=Fusion.BARRIER)
@op("OneHot", shape=_sh_onehot)
@op("EyeLike", shape=_sh_eyelike)
@op("Range", shape=_sh_range, values=3, fusion=Fusion.BARRIER)
@op("ConstantOfShape", shape=_sh_constant_of_shape, values=1, fusion=Fusion.BARRIER)
@op(
    "MaxUnpool", "Compress", "CenterCropPad", "Col2Im", "ImageDecoder", "Optional", "OptionalGetElement",
    "OptionalHasElement", "Bernoulli", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
    "Multinomial", "DynamicSlice", shape=ONNX_INFERENCE,
)
def _movement(v: OpView) -> Counts:
    return Counts()


@op("Constant", shape=_sh_constant, values=0, weights=())
def _constant(v: OpView) -> Counts:
    return Counts()


@op("Shape", shape=_sh_shape, values=0, fusion=Fusion.VIEW)
@op("Size", shape=_sh_size, values=0, fusion=Fusion.VIEW)
def _shape(v: OpView) -> Counts:
    return Counts(read={0: 0}, precision="int64")  # reads metadata, not data


@op("Slice", shape=_sh_slice, values=1, fusion=Fusion.VIEW)
@op("Gather", shape=_sh_gather, values=2)
@op("GatherElements", shape=_sh_gather_elements)
@op("GatherND", shape=_sh_gather_nd, fusion=Fusion.BARRIER)
def _gather(v: OpView) -> Counts:
    # only the selected elements of the data input are read
    return Counts(read={0: v.out_numel()})


@op("NonZero", shape=_sh_nonzero, fusion=Fusion.BARRIER)
@op("Unique", "NonMaxSuppression", shape=ONNX_INFERENCE, fusion=Fusion.BARRIER)
@op("StringNormalizer", "RegexFullMatch", "StringSplit", "StringConcat", shape=ONNX_INFERENCE)
def _data_dependent(v: OpView) -> Counts:
    n = v.in_numel(0)
    if v.outputs and v.outputs[0] is not None and v.outputs[0].shape is None:
        raise NotCountable("output size is data-dependent")
    return Counts(reduction=n)



@op(
    "SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceErase", "SequenceAt", "SequenceLength",
    "SplitToSequence", "ConcatFromSequence", "SequenceMap", shape=ONNX_INFERENCE,
)
def _sequence(v: OpView) -> Counts:
    raise NotCountable("sequence-typed values are not costed")

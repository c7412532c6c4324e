"""The numpy fast path for big grid CSVs: a block of lines parsed at once, or None to go row by row.

A grid CSV of millions of rows is parsed in blocks of lines with numpy: field boundaries from
the byte positions of commas and newlines, timestamps through numpy's ISO parser, numbers by a
digit-by-digit accumulation (exact for up to 15 significant digits: the integer and its power of
ten are both exact doubles, so one division rounds like float()). A block that does not fit
the simple shape (quotes, blank lines, ragged rows, odd timestamps, a bad value, an irregular
step) goes through the row-by-row path instead (:mod:`wattprint.carbon.gridfile`), which gives
the exact error message. numpy is imported inside the functions: ``wattprint --help`` never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattprint.carbon.series import parse_time
from wattprint.errors import WattprintError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    ByteMatrix = npt.NDArray[np.uint8]

BLOCK_BYTES = 8 << 20


def ts_layout(sample: str) -> tuple[int, float] | None:
    """(length of the 'YYYY-MM-DDTHH:MM[:SS]' part, offset seconds of the suffix) for a timestamp."""
    import numpy as np

    s = sample.strip()
    if len(s) < 16 or s[4] != "-" or s[7] != "-" or s[10] not in "T " or s[13] != ":":
        return None
    base = 19 if len(s) >= 19 and s[16] == ":" else 16
    try:
        py = parse_time(s, "")
        np_t = np.array([s[:base].replace(" ", "T")], dtype="S").astype("datetime64[s]").astype(np.int64)[0]
    except (WattprintError, ValueError):
        return None
    return base, py - float(np_t)


def _parse_numbers(mat: ByteMatrix, widths: IntArray) -> FloatArray | None:
    """Decimal numbers from a (rows, W) byte matrix padded with spaces; None when not plain decimals."""
    import numpy as np

    d = mat.astype(np.int16) - 48  # digits 0..9, '.' -2, ' ' -16
    digit = (d >= 0) & (d <= 9)
    dot = d == -2
    if not (digit | dot | (d == -16)).all():
        return None
    ndig = digit.sum(axis=1, dtype=np.int16)
    ndot = dot.sum(axis=1, dtype=np.int16)
    if (ndot > 1).any() or (ndig > 15).any() or (ndig == 0).any() or ((ndig + ndot) != widths).any():
        return None  # (the last: a space inside a value)
    acc = np.zeros(mat.shape[0], dtype=np.int64)
    for j in range(mat.shape[1]):
        col = digit[:, j]
        acc[col] = acc[col] * 10 + d[col, j]
    dot_at = np.where(ndot > 0, dot.argmax(axis=1), widths)
    frac = np.where(ndot > 0, widths - dot_at - 1, 0)
    out: FloatArray = acc.astype(np.float64) / (10.0 ** frac)
    return out


def fast_block(buf: bytes, ti: int, vi: int, ncols: int,
               layout: tuple[int, float]) -> tuple[FloatArray, FloatArray] | None:
    """(times, values with NaN for empty) for a block of complete lines, or None to go row by row."""
    import numpy as np

    b = np.frombuffer(buf, dtype=np.uint8)
    if (b == 34).any() or (b == 13).any():
        return None  # quotes or CRLF: the csv module handles them
    nl = np.flatnonzero(b == 10)
    n = len(nl)
    if n == 0:
        return None
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    k = ncols - 1
    cm = np.flatnonzero(b == 44)
    if len(cm) != n * k:
        return None
    cm = cm.reshape(n, k) if k else np.empty((n, 0), dtype=np.int64)
    if k and ((cm[:, 0] < starts).any() or (cm[:, -1] > nl).any()):
        return None

    def field(i: int) -> tuple[IntArray, IntArray]:
        a = starts if i == 0 else cm[:, i - 1] + 1
        e = nl if i == k else cm[:, i]
        return a, e

    ta, te = field(ti)
    base, offset = layout
    tw = te - ta
    w0 = int(tw[0])
    if w0 < base or (tw != w0).any():
        return None
    pad = np.concatenate((b, np.full(64, 32, dtype=np.uint8)))  # room for the last field's window
    windows = np.lib.stride_tricks.sliding_window_view(pad, w0)
    tmat = windows[ta]
    if w0 > base and (tmat[:, base:] != tmat[0, base:]).any():
        return None  # a different suffix (time zone) on some row
    tb = tmat[:, :base].copy()
    tb[:, 10] = 84  # 'T'
    try:
        t = tb.view(f"S{base}").ravel().astype("datetime64[s]").astype(np.int64).astype(np.float64) + offset
    except ValueError:
        return None
    va, ve = field(vi)
    vw = ve - va
    W = int(vw.max()) if n else 0
    if W == 0:
        return t, np.full(n, np.nan)
    if W > 48:
        return None
    vmat = np.lib.stride_tricks.sliding_window_view(pad, W)[va]
    inside = np.arange(W)[None, :] < vw[:, None]
    if not inside.all():
        vmat = np.where(inside, vmat, np.uint8(32))
    empty = vw == 0
    vmat[empty, 0] = 48  # '0', replaced by NaN below
    vals = _parse_numbers(vmat, np.maximum(vw, 1))
    if vals is None:
        return None
    vals[empty] = np.nan
    return t, vals


__all__ = ["BLOCK_BYTES", "fast_block", "ts_layout"]

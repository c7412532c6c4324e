"""Recurrent ops: LSTM, GRU, RNN."""

from __future__ import annotations

from .base import Counts, NotCountable, OpView, ShapeOut, ShapeResult, _Ctx
from .registry import op


def _sh_rnn(c: _Ctx) -> ShapeResult:
    x, w = c.shape(0), c.shape(1)
    dt = c.dtype(0)
    if x is None or w is None or len(x) != 3:
        return [(None, dt, None)] * c.nout
    layout = int(c.attr("layout", 0))
    seq, b = (x[1], x[0]) if layout else (x[0], x[1])
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[c.node.op_type]
    h = int(c.attr("hidden_size", 0)) or (w[1] // gates if w[1] is not None else None)
    dirs = w[0]
    if layout:
        y, yh = (b, seq, dirs, h), (b, dirs, h)
    else:
        y, yh = (seq, dirs, b, h), (dirs, b, h)
    result: list[ShapeOut] = [(y, dt, None), (yh, dt, None), (yh, dt, None)]
    return result[: c.nout]


_RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


@op("LSTM", shape=_sh_rnn, weights=(1, 2, 3, 7))
@op("GRU", "RNN", shape=_sh_rnn, weights=(1, 2, 3))
def _rnn(v: OpView) -> Counts:
    x, w = v.ishape(0), v.ishape(1)
    if len(x) != 3 or len(w) != 3:
        raise NotCountable("recurrent op with unexpected input rank")
    seq, batch = (x[1], x[0]) if int(v.attr("layout", 0)) else (x[0], x[1])
    inp = x[2]
    gates = _RNN_GATES[v.op_type]
    dirs = w[0]
    hidden = int(v.attr("hidden_size", 0)) or w[1] // gates
    steps = seq * dirs * batch * hidden
    macs = steps * gates * (inp + hidden)
    bias = v.has(3)
    if v.op_type == "LSTM":  # Wx+Rh per gate, biases, c = f*c + i*g, h = o*tanh(c) ; 3 sigmoid + 2 tanh
        ew, tr = gates + (2 * gates if bias else 0) + 4 + (6 if v.has(7) else 0), 5
    elif v.op_type == "GRU":  # Wx+Rh, biases, r*(Rh), h = (1-z)*h~ + z*h ; 2 sigmoid + 1 tanh
        ew, tr = gates + (2 * gates if bias else 0) + 4, 3
    else:
        ew, tr = 1 + (2 if bias else 0), 1
    note = f"{v.op_type} x seq {seq}" + (f" x {dirs} directions" if dirs > 1 else "")
    return Counts(macs=macs, elementwise=ew * steps, transcendental=tr * steps, note=note)

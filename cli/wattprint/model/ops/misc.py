"""Signal processing (DFT, STFT, windows), determinants, losses."""

from __future__ import annotations

import math

import numpy as np

from .base import Counts, OpView, _norm_axis
from .registry import ONNX_INFERENCE, op


@op("Det", shape=ONNX_INFERENCE)
def _det(v: OpView) -> Counts:
    s = v.ishape(0)
    m = s[-1]
    return Counts(macs=math.prod(s[:-2]) * m**3 // 3, note="LU decomposition ~ m^3/3")


@op("DFT", "STFT", shape=ONNX_INFERENCE, weights=())
def _dft(v: OpView) -> Counts:
    n = v.out_numel()
    if v.op_type == "STFT":  # signal, frame_step, window, frame_length
        fl = v.ivalue(3)
        length = v.ishape(2)[0] if v.has(2) else (int(np.asarray(fl).reshape(-1)[0]) if fl is not None else 0)
    else:  # input, dft_length, axis
        dl = v.ivalue(1)
        if dl is not None and np.size(dl) == 1:
            length = int(np.asarray(dl).reshape(-1)[0])
        else:
            x = v.ishape(0)
            length = x[_norm_axis(int(v.attr("axis", 1)), len(x))] if len(x) > 1 else 2
    length = max(int(length), 2)
    return Counts(elementwise=5 * n * max(1, math.ceil(math.log2(length))) // 2,
                  note="FFT ~ 2.5 n log2(N) real ops per output value")


@op("HannWindow", "HammingWindow", "BlackmanWindow", shape=ONNX_INFERENCE)
def _window(v: OpView) -> Counts:
    n = v.out_numel()
    return Counts(elementwise=2 * n, transcendental=n)


@op("SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss", shape=ONNX_INFERENCE, weights=())
def _loss(v: OpView) -> Counts:
    n = v.in_numel(0)
    if v.op_type == "SoftmaxCrossEntropyLoss":
        return Counts(elementwise=2 * n, reduction=3 * n, transcendental=n)
    return Counts(reduction=n)

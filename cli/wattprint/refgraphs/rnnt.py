"""MLPerf RNN-T (LibriSpeech): encoder, prediction network and joint, unrolled for one utterance.

Architecture as MLPerf defines it (mlcommons/inference speech_recognition/rnnt/pytorch/
model_separable_rnnt.py and rnn.py; the Rnnt configuration: 80 mel features, frame splicing 3,
encoder 2 LSTM(1024) layers, time stacking x2, 3 LSTM(1024) layers; prediction network: an
embedding of 28 symbols to 320 + 2 LSTM(320) layers; joint: Linear(1024+320 -> 512) + ReLU +
Linear(512 -> 29); 29 outputs = 28 characters + blank). Graves, "Sequence Transduction with
Recurrent Neural Networks" (2012); He et al., "Streaming End-to-end Speech Recognition for Mobile
Devices" (ICASSP 2019).

Greedy decoding (decoders.py ScriptGreedyDecoder) evaluates the prediction network and the joint
once per loop iteration; an iteration either emits a symbol or, on blank, moves to the next
encoder frame, so one utterance of T encoder frames and U output symbols takes T + U iterations.
The graph writes those iterations as one sequence: the prediction LSTMs over T + U steps and the
joint over T + U rows (the same work as the loop; the loop's data dependence does not change it).

Not in the graph: the featurizer (STFT, mel filterbank, log, normalisation) and the frame splicing,
which the reference runs before the network; the graph's input is the spliced features.
"""

from __future__ import annotations

import onnx
from onnx import TensorProto

from ._builder import GraphBuilder

SAMPLE_RATE = 16_000
HOP = 160  # 10 ms window stride
FEATURES = 80
FRAME_SPLICING = 3
ENC_HIDDEN = 1024
PRE_LAYERS = 2
STACK_TIME = 2
POST_LAYERS = 3
PRED_HIDDEN = 320
PRED_LAYERS = 2
JOINT_HIDDEN = 512
CLASSES = 29  # 28 symbols + blank


def encoder_frames(num_samples: int) -> tuple[int, int]:
    """(encoder input frames, encoder output frames) of an utterance of ``num_samples`` at 16 kHz.

    As the MLPerf featurizer counts them (parts/features.py ``get_seq_len``): ceil(samples / hop)
    feature frames, ceil(/ 3) after frame splicing; then ceil(/ 2) after time stacking.
    """
    spliced = _ceil_div(_ceil_div(num_samples, HOP), FRAME_SPLICING)
    return spliced, _ceil_div(spliced, STACK_TIME)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def build_rnnt(batch: int = 1, frames_in: int = 209, symbols: int = 93) -> onnx.ModelProto:
    """One utterance of ``frames_in`` spliced feature frames, decoded to ``symbols`` characters."""
    t_in = frames_in
    t_enc = -(-t_in // STACK_TIME)
    steps = t_enc + symbols
    b = GraphBuilder("rnnt")
    x = b.input("features", (t_in, batch, FEATURES * FRAME_SPLICING))
    for _ in range(PRE_LAYERS):
        x = b.lstm(x, ENC_HIDDEN)
    if t_in % STACK_TIME:  # zero-pad the last stacked frame
        pads = b.const_i64("pads", [0, 0, 0, STACK_TIME - t_in % STACK_TIME, 0, 0])
        x = b.node("Pad", [x, pads], (t_enc * STACK_TIME, batch, ENC_HIDDEN))
    # stack consecutive frames: [T, B, H] -> [T/2, 2, B, H] -> [T/2, B, 2, H] -> [T/2, B, 2H]
    x = b.reshape(x, (t_enc, STACK_TIME, batch, ENC_HIDDEN))
    x = b.reshape(b.transpose(x, (0, 2, 1, 3)), (t_enc, batch, STACK_TIME * ENC_HIDDEN))
    for _ in range(POST_LAYERS):
        x = b.lstm(x, ENC_HIDDEN)

    # greedy decoding, T + U iterations: previous symbol -> embedding -> prediction LSTMs
    sym = b.input("previous_symbols", (steps, batch), TensorProto.INT64)
    g = b.node("Gather", [b.weight("embed", (CLASSES - 1, PRED_HIDDEN)), sym], (steps, batch, PRED_HIDDEN))
    for _ in range(PRED_LAYERS):
        g = b.lstm(g, PRED_HIDDEN)
    # the encoder frame each iteration looks at: frame t for its blank step and its symbols
    per_frame = [t for t in range(t_enc) for _ in range(1 + symbols // t_enc + (t < symbols % t_enc))]
    f = b.node("Gather", [x, b.const_i64("frame_of_step", per_frame)], (steps, batch, ENC_HIDDEN), axis=0)
    j = b.relu(b.linear(b.concat([f, g], axis=-1), JOINT_HIDDEN, hint="joint1"))
    logits = b.linear(j, CLASSES, hint="joint2")
    out = b.node("ArgMax", [logits], (steps, batch), axis=-1, keepdims=0)
    b.output(out, TensorProto.INT64)
    return b.model(f"MLPerf RNN-T, {t_in} encoder frames, {symbols} symbols (shapes only, no weights)")

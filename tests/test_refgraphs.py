"""The in-memory MLPerf reference graphs (wattprint.refgraphs), counted by analyze_proto.

Every expected MAC and parameter count below is computed from the architecture by hand (the
arithmetic is written out here, independently of the builders), so a wrong layer, stride, channel
count or a counting change in wattprint shows up as a mismatch.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import struct
from pathlib import Path

import pytest
from onnx import TensorProto

from wattprint.errors import WattprintError
from wattprint.model import analyze_proto
from wattprint.model.costs import PRECISION_BITS
from wattprint.refgraphs import REFERENCE_GRAPHS, RNNT_SAMPLE_FRAMES, RNNT_SAMPLE_SYMBOLS, build
from wattprint.refgraphs._builder import GraphBuilder
from wattprint.refgraphs.resnet import trunk
from wattprint.refgraphs.rnnt import encoder_frames
from wattprint.refgraphs.unet3d import (
    KITS19_INFERENCE_CASES,
    SUBVOLUMES_PER_CASE,
    preprocessed_shape,
    subvolumes,
)

ROOT = Path(__file__).resolve().parents[1]
_CACHE: dict = {}


def cost(key: str, batch: int = 1):
    if (key, batch) not in _CACHE:
        _CACHE[key, batch] = analyze_proto(build(key, batch), key)
    return _CACHE[key, batch]


# ----------------------------------------------------------------------------- hand counts


def conv_macs(h: int, w: int, cin: int, cout: int, k: int, groups: int = 1, d: int = 1) -> int:
    """MACs of a k x k (x k for d=3 spatial dims) convolution with an h x w (x w) output."""
    return h * w * (w if d == 3 else 1) * cout * (cin // groups) * k ** (3 if d == 3 else 2)


def resnet_trunk(image: int, groups: int, width_per_group: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(MACs, params, [(channels, side) of C2..C5]) of a ResNet-50 / ResNeXt-50 trunk, BN as nodes."""
    h = image // 2  # 7x7 stride-2 stem, pad 3
    macs = conv_macs(h, h, 3, 64, 7)
    params = 64 * 3 * 49 + 2 * 64  # conv + BN scale/bias
    h //= 2  # 3x3 stride-2 max pool, pad 1
    cin, feats = 64, []
    for i, (blocks, planes) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
        width, cout = planes * width_per_group // 64 * groups, planes * 4
        for j in range(blocks):
            s = 2 if j == 0 and i > 0 else 1
            ho = h // s
            macs += conv_macs(h, h, cin, width, 1) + conv_macs(ho, ho, width, width, 3, groups)
            macs += conv_macs(ho, ho, width, cout, 1)
            params += cin * width + width * (width // groups) * 9 + width * cout + 2 * (width + width + cout)
            if j == 0:  # projection shortcut
                macs += conv_macs(ho, ho, cin, cout, 1)
                params += cin * cout + 2 * cout
            cin, h = cout, ho
        feats.append((cout, h))
    return macs, params, feats


def test_resnet50_matches_published_and_hand_counts():
    c = cost("resnet50")
    macs, params, feats = resnet_trunk(224, 1, 64)
    assert feats[-1] == (2048, 7)
    macs += 2048 * 1000  # fc
    params += 2048 * 1000 + 1000
    assert c.macs == macs
    assert c.params == params
    # published: torchvision resnet50 has 25,557,032 parameters and 4.09 GMACs at 224x224
    assert c.params == 25_557_032
    assert round(c.macs / 1e9, 2) == 4.09
    assert c.not_counted == ()


def test_resnext50_trunk_matches_published_counts():
    # the RetinaNet backbone, built as a classifier: torchvision publishes 25,028,904 parameters and
    # 4.23 GMACs for resnext50_32x4d at 224x224
    b = GraphBuilder("resnext50_32x4d")
    c5 = trunk(b, b.input("image", (1, 3, 224, 224)), groups=32, width_per_group=4)[-1]
    b.output(b.linear(b.reshape(b.global_avgpool(c5), (1, 2048)), 1000))
    c = analyze_proto(b.model("resnext50"), "resnext50")
    macs, params, _ = resnet_trunk(224, 32, 4)
    assert (c.macs, c.params) == (macs + 2048 * 1000, params + 2048 * 1000 + 1000)
    assert c.params == 25_028_904
    assert round(c.macs / 1e9, 2) == 4.23


def test_bert_large_matches_hand_count():
    c = cost("bert-large")
    s, h, f, layers = 384, 1024, 4096, 24
    # per layer: Q, K, V and output projections 4*S*H*H; QK^T and AV 2*S*S*H (16 heads x 64 = H);
    # FFN 2*S*H*F ; then the SQuAD head S*H*2
    per_layer = 4 * s * h * h + 2 * s * s * h + 2 * s * h * f
    assert per_layer == 5_133_828_096
    assert c.macs == layers * per_layer + s * h * 2 == 123_212_660_736
    # attention is MatMul-Softmax-MatMul: one Softmax per layer over [1, 16, 384, 384]
    softmax = [n for n in c.nodes if n.op_type == "Softmax"]
    assert len(softmax) == layers and softmax[0].output_shape == (1, 16, s, s)
    embeddings = 30522 * h + 512 * h + 2 * h + 2 * h  # word, position, token type, LayerNorm
    layer = 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h
    assert layer == 12_596_224
    model = embeddings + layers * layer + (2 * h + 2)
    assert model == 334_094_338  # BERT-Large with the span head, no pooler
    # the encoder with the pooler instead of the span head: 335,141,888, the published bert-large count
    assert model - (2 * h + 2) + (h * h + h) == 335_141_888
    # wattprint folds Gather(position table, constant positions 0..383) and counts the 384 rows the
    # graph reads as parameters of the Add that consumes them, not the 512-row table
    assert c.params == model - (512 - s) * h


def test_retinanet_matches_hand_count():
    c = cost("retinanet")
    macs, params, feats = resnet_trunk(800, 32, 4)
    assert feats[1:] == [(512, 100), (1024, 50), (2048, 25)]
    f = 256
    # FPN: 1x1 laterals on C3..C5, 3x3 outputs, P6 (13x13) and P7 (7x7) by stride-2 3x3 convs
    sides = [100, 50, 25, 13, 7]
    assert math.ceil(25 / 2) == 13 and math.ceil(13 / 2) == 7
    for cin, side in feats[1:]:
        macs += conv_macs(side, side, cin, f, 1) + conv_macs(side, side, f, f, 3)
        params += cin * f + f + f * f * 9 + f
    for side in sides[3:]:
        macs += conv_macs(side, side, f, f, 3)
        params += f * f * 9 + f
    # heads: 4 x (3x3 conv 256) + a 3x3 conv to 9*264 (class) or 9*4 (box), shared over the 5 levels
    for out in (9 * 264, 9 * 4):
        for side in sides:
            macs += 4 * conv_macs(side, side, f, f, 3) + conv_macs(side, side, f, out, 3)
        params += 4 * (f * f * 9 + f) + f * 9 * out + out
    anchors = sum(s * s for s in sides) * 9
    assert anchors == 120_087
    # the post-processing adds no MACs; its one constant is the anchor boxes, 4 coordinates each
    assert c.macs == macs
    assert c.params == params + 4 * anchors
    outs = {n.output_shape for n in c.nodes if n.op_type == "Reshape"}
    for side in sides:  # per-level head outputs, (N, H*W*A, K)
        assert (1, side * side * 9, 264) in outs and (1, side * side * 9, 4) in outs


def _post(c, op: str) -> list:
    """The post-processing nodes of type ``op``: those from the first Sigmoid on (the network has none)."""
    first = next(i for i, n in enumerate(c.nodes) if n.op_type == "Sigmoid")
    return [n for n in c.nodes[first:] if n.op_type == op]


@pytest.mark.parametrize("batch", [1, 2])
def test_retinanet_postprocessing_matches_hand_count(batch):
    """MLPerf's reference post-processing (mlcommons/training retinanet.py, postprocess_detections with
    score_thresh 0.05, topk_candidates 1000, nms_thresh 0.5, detections_per_img 300), at its caps."""
    c = cost("retinanet", batch)
    sides = [100, 50, 25, 13, 7]
    scores = [s * s * 9 * 264 for s in sides]  # (anchor, class) scores per level
    assert sum(scores) == 31_702_968
    fp32 = 4
    # sigmoid of every logit: one transcendental op, one fp32 read and write per score
    sig = _post(c, "Sigmoid")
    assert [n.output_shape for n in sig] == [(batch, n) for n in scores]
    assert sum(n.transcendental_ops for n in sig) == batch * 31_702_968
    assert sum(n.bytes_read for n in sig) == sum(n.bytes_written for n in sig) == batch * 31_702_968 * fp32
    # top 1000 per level: n * ceil(log2(1000 + 1)) = 10 comparisons per score
    topk = _post(c, "TopK")
    assert [n.output_shape for n in topk] == [(batch, 1000)] * 5
    assert sum(n.reduction_ops for n in topk) == batch * 317_029_680
    # decoding the 1000 boxes of a level, on (N, 1000, 2) halves: size = hi - lo, ctr = lo + 0.5 size,
    # dwh = min(dwh, log(1000/16)), pred_ctr = dxy * size + ctr, half = exp(dwh) * size * 0.5,
    # boxes = [pred_ctr - half, pred_ctr + half] clipped (2 ops per coordinate)
    per_level = 2000
    assert sum(n.elementwise_ops for n in _post(c, "Sub")) == batch * 5 * 2 * per_level
    assert sum(n.elementwise_ops for n in _post(c, "Add")) == batch * (5 * 3 * per_level + 5000 * 4)
    # 4 Mul per level, and the class offset of batched_nms (label * 801) on the 5000 candidates
    assert sum(n.elementwise_ops for n in _post(c, "Mul")) == batch * (5 * 4 * per_level + 5000)
    assert sum(n.elementwise_ops for n in _post(c, "Min")) == batch * 5 * per_level
    assert sum(n.transcendental_ops for n in _post(c, "Exp")) == batch * 5 * per_level
    assert sum(n.elementwise_ops for n in _post(c, "Clip")) == batch * 5 * 2 * 4000
    # class-aware NMS over 5 x 1000 candidates: the counter charges one pass over its boxes
    (nms,) = _post(c, "NonMaxSuppression")
    assert nms.reduction_ops == batch * 5000 * 4
    assert nms.output_shape == (batch * 300, 3)
    dets = {n.output_shape for n in _post(c, "GatherND")}
    assert dets == {(batch * 300, 4), (batch * 300,)}
    assert not c.not_counted


def test_unet3d_patch_matches_hand_count():
    c = cost("3d-unet")
    filters = [32, 64, 128, 256, 320]
    macs = conv_macs(128, 128, 1, 32, 3, d=3) + conv_macs(128, 128, 32, 32, 3, d=3)
    params = 32 * 1 * 27 + 32 * 32 * 27 + 2 * (2 * 32)  # two convs (no bias), two affine InstanceNorms
    side, cin = 128, 32
    for cout in filters[1:] + [320]:  # 4 down-sampling stages + the bottleneck
        side //= 2
        macs += conv_macs(side, side, cin, cout, 3, d=3) + conv_macs(side, side, cout, cout, 3, d=3)
        params += cin * cout * 27 + cout * cout * 27 + 2 * (2 * cout)
        cin = cout
    assert side == 4
    for cout in [320, 256, 128, 64, 32]:  # up-sampling: 2x2x2 stride-2 transposed conv, concat, 2 blocks
        macs += side**3 * cin * cout * 8  # every input voxel scatters into a 2x2x2 block
        params += cin * cout * 8 + cout
        side *= 2
        macs += conv_macs(side, side, 2 * cout, cout, 3, d=3) + conv_macs(side, side, cout, cout, 3, d=3)
        params += 2 * cout * cout * 27 + cout * cout * 27 + 2 * (2 * cout)
        cin = cout
    assert side == 128
    macs += 128**3 * 32 * 3  # 1x1x1 output conv
    params += 32 * 3 + 3
    assert c.macs == macs
    assert c.params == params


def test_unet3d_subvolumes_per_case():
    # case_00000: 611 x 512 x 512 at 0.5 x 0.92 x 0.92 mm -> resampled to 1.6/1.2/1.2 mm: 190.9 -> 191,
    # 392.5 -> 392; 191 mod 64 = 63 >= 32: padded to 192; 392 mod 64 = 8 < 32: cropped to 384
    assert preprocessed_shape((611, 512, 512), (0.5, 0.919921875)) == (192, 384, 384)
    assert subvolumes((611, 512, 512), (0.5, 0.919921875)) == 2 * 5 * 5  # (side - 128) / 64 + 1 per axis
    # case_00041: 52 slices x 3 mm -> 97.5 -> 98: padded to the 128 minimum; 289.2 -> 289: padded to 320
    assert subvolumes((52, 512, 512), (3.0, 0.677734375)) == 1 * 4 * 4
    # case_00160 (512 x 796 in plane at 0.45 mm): 157.5 -> 128, 192.5 -> 192, 299.3 -> 320
    assert preprocessed_shape((252, 512, 796), (1.0, 0.451171875)) == (128, 192, 320)
    assert len(KITS19_INFERENCE_CASES) == 43
    assert len({c for c, _, _ in KITS19_INFERENCE_CASES}) == 43
    total = sum(subvolumes(d, s) for _, d, s in KITS19_INFERENCE_CASES)
    assert total == 2761
    assert REFERENCE_GRAPHS["3d-unet"].runs_per_sample == pytest.approx(2761 / 43) == SUBVOLUMES_PER_CASE
    assert all(REFERENCE_GRAPHS[k].runs_per_sample == 1 for k in REFERENCE_GRAPHS if k != "3d-unet")


def test_kits19_subvolumes_script(tmp_path):
    spec = importlib.util.spec_from_file_location("kits19_subvolumes", ROOT / "scripts" / "kits19_subvolumes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # a NIfTI-1 header: sizeof_hdr 348, dim at byte 40, pixdim at byte 76
    hdr = bytearray(348)
    struct.pack_into("<i", hdr, 0, 348)
    struct.pack_into("<8h", hdr, 40, 3, 611, 512, 512, 1, 1, 1, 1)
    struct.pack_into("<8f", hdr, 76, 1.0, 0.5, 0.919921875, 0.919921875, 1, 1, 1, 1)
    case = tmp_path / "case_00000"
    case.mkdir()
    with gzip.open(case / "segmentation.nii.gz", "wb") as fh:
        fh.write(bytes(hdr) + b"\0" * 4)
    assert mod.read_header(case / "segmentation.nii.gz") == ((611, 512, 512), (0.5, 0.919921875))
    (tmp_path / "bad.nii").write_bytes(b"x" * 10)
    assert mod.main([str(tmp_path / "bad.nii")]) == 2


def test_rnnt_frames_and_sample():
    # MLPerf featurizer: ceil(samples / 160) frames at 10 ms, ceil(/ 3) after splicing, ceil(/ 2) stacked
    assert encoder_frames(16_000) == (34, 17)  # 1 s: 100 -> 34 -> 17
    assert encoder_frames(105_440) == (220, 110)  # 6.59 s: 659 -> 220 -> 110
    # the sample: means over MLPerf's 2,513 utterances, rounded (208.79 frames, 92.90 characters)
    assert (RNNT_SAMPLE_FRAMES, RNNT_SAMPLE_SYMBOLS) == (209, 93)


def test_rnnt_sample_stats_script(tmp_path):
    spec = importlib.util.spec_from_file_location("rnnt_sample_stats", ROOT / "scripts" / "rnnt_sample_stats.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    entries = [
        {"original_duration": 1.0, "original_num_samples": 16_000, "transcript": "ab cd"},  # 34 frames, 5 chars
        {"original_duration": 6.59, "original_num_samples": 105_440, "transcript": "a b"},  # 220 frames, 3 chars
        {"original_duration": 15.5, "original_num_samples": 248_000, "transcript": "too long"},  # left out
    ]
    r = mod.stats(entries)
    assert r["utterances_all"] == 3 and r["utterances"] == 2
    assert r["mean_seconds"] == pytest.approx((1.0 + 6.59) / 2)
    assert r["mean_frames_in"] == (34 + 220) / 2
    assert r["mean_frames_enc"] == (17 + 110) / 2
    assert r["mean_characters"] == (5 + 3) / 2
    assert r["mean_words"] == 2
    path = tmp_path / "m.json"
    path.write_text("{not json")
    assert mod.main([str(path)]) == 2


def test_rnnt_matches_hand_count():
    c = cost("rnnt")
    t_in, t_enc, steps = 209, 105, 105 + 93  # greedy decoding: one iteration per frame and per symbol

    def lstm(t, d, h):  # MACs of one LSTM layer: 4 gates x (input + recurrent) per step
        return t * 4 * h * (d + h)

    enc = lstm(t_in, 240, 1024) + lstm(t_in, 1024, 1024) + lstm(t_enc, 2048, 1024) + 2 * lstm(t_enc, 1024, 1024)
    pred = 2 * lstm(steps, 320, 320)
    joint = steps * ((1024 + 320) * 512 + 512 * 29)
    assert c.macs == enc + pred + joint == 6_381_689_856

    def lstm_params(d, h):  # W, R and both bias vectors, as torch.nn.LSTM
        return 4 * h * d + 4 * h * h + 8 * h

    params = (lstm_params(240, 1024) + lstm_params(1024, 1024) + lstm_params(2048, 1024)
              + 2 * lstm_params(1024, 1024))
    params += 28 * 320 + 2 * lstm_params(320, 320)  # embedding (28 symbols) + prediction LSTMs
    params += 1344 * 512 + 512 + 512 * 29 + 29  # joint
    assert c.params == params == 45_323_037


# ----------------------------------------------------------------------------- every graph


@pytest.mark.parametrize("key", list(REFERENCE_GRAPHS))
def test_every_node_counted_and_batch_is_linear(key):
    c1, c2, c3 = cost(key, 1), cost(key, 2), cost(key, 3)
    assert c1.not_counted == () and c1.warnings == ()
    assert c1.macs > 0
    for attr in ("macs", "bytes_written", "elementwise_ops", "reduction_ops"):
        assert getattr(c3, attr) == 3 * getattr(c1, attr), attr
    # per-channel constants (BatchNormalization's 1/sqrt(var)) do not grow with the batch: affine
    assert c3.flops - c1.flops == 2 * (c2.flops - c1.flops)
    assert c3.params == c1.params  # weights do not grow with the batch
    # weights are read once per run, whatever the batch; an embedding Gather reads one row per token
    def weight_bytes(c, gather):
        return sum(n.weight_bytes for n in c.nodes if (n.op_type == "Gather") == gather)

    assert weight_bytes(c3, False) == weight_bytes(c1, False)
    assert weight_bytes(c3, True) == 3 * weight_bytes(c1, True)


def test_bert_span_head_is_not_taken_for_a_tied_head():
    # the 1024x2 span head has the shape of the 2x1024 token-type table transposed; the graph says
    # it ties nothing, so its 2,050 params are counted (and no warning guesses otherwise)
    c = cost("bert-large")
    head = [n for n in c.nodes if n.op_type == "MatMul" and n.output_shape == (1, 384, 2)]
    assert len(head) == 1 and head[0].params == 1024 * 2
    assert c.warnings == ()


@pytest.mark.parametrize("key", list(REFERENCE_GRAPHS))
def test_graph_holds_no_weight_bytes(key):
    m = build(key)
    floats = [t for t in m.graph.initializer if t.data_type == TensorProto.FLOAT and len(t.dims) > 0]
    assert floats, "weights are initializers"
    assert all(not t.raw_data and not t.float_data for t in floats)
    assert m.ByteSize() < 200_000  # shapes only, whatever the parameter count
    assert cost(key).params * 4 > 10 * m.ByteSize()


@pytest.mark.parametrize("key", list(REFERENCE_GRAPHS))
def test_metadata(key):
    ref = REFERENCE_GRAPHS[key]
    assert ref.key == key
    assert ref.title and ref.sample and ref.sources
    assert ref.precision in PRECISION_BITS
    assert ref.runs_per_sample is None or ref.runs_per_sample > 0
    assert cost(key).params > 0


def test_build_errors():
    with pytest.raises(WattprintError, match="no reference graph 'resnet'"):
        build("resnet")
    with pytest.raises(WattprintError, match="batch must be a positive integer"):
        build("resnet50", batch=0)
    with pytest.raises(WattprintError):
        REFERENCE_GRAPHS["bert-large"].build(True)

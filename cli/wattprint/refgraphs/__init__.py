"""In-memory ONNX graphs of the MLPerf Inference benchmark models (shapes only, no weights).

Each graph reproduces the work of one MLPerf "sample" (for 3D-UNet: of one sub-volume, of which a
sample has ``runs_per_sample`` on average), counted by
``wattprint.model.analyze_proto(ref.build(batch), ref.key)``.
Weights are dims-only initializers: a built model holds no weight bytes. Nothing here prints,
reads files or uses the network. ``docs/reference-graphs.md`` documents every graph.

    from wattprint.refgraphs import REFERENCE_GRAPHS, build
    model = build("bert-large", batch=8)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import onnx

from ..errors import WattprintError
from . import rnnt as _rnnt
from .bert import build_bert_large
from .resnet import build_resnet50
from .retinanet import build_retinanet
from .unet3d import SUBVOLUMES_PER_CASE, build_unet3d

__all__ = ["RefGraph", "REFERENCE_GRAPHS", "build", "RNNT_SAMPLE_FRAMES", "RNNT_SAMPLE_SYMBOLS"]


@dataclass(frozen=True)
class RefGraph:
    key: str  # MLPerf benchmark name, without the -99/-99.9 accuracy suffix
    title: str
    sample: str  # what one MLPerf sample is, and what one run of the graph covers
    precision: str  # the reference model's precision (submissions quantize: see the measured point)
    sources: tuple[str, ...]  # architecture and sample definition
    assumptions: tuple[str, ...]  # what is not taken from a source
    builder: Callable[[int], onnx.ModelProto] = field(repr=False)
    #: graph runs per MLPerf sample: 1, or the mean sub-volumes per case for 3D-UNet; None would
    #: mean "not known" (the caller must then supply it)
    runs_per_sample: float | None = 1.0

    def build(self, batch: int = 1) -> onnx.ModelProto:
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise WattprintError(f"reference graph {self.key}: batch must be a positive integer, got {batch!r}")
        return self.builder(batch)


# --- RNN-T sample: one utterance of MLPerf's LibriSpeech dev-clean set, of the mean length ------
#: Derived (scripts/rnnt_sample_stats.py) from the per-utterance manifest the MLPerf reference ships,
#: mlcommons/inference@b66003e10e2db4b8c36a448b0545ec90fcc6e9e9:
#: retired_benchmarks/speech_recognition/rnnt/dev-clean-wav.json (num_samples, transcript of each of
#: the 2,703 dev-clean utterances), kept as the reference's QSL keeps them (max_duration 15.0 s:
#: 2,513 utterances, MLPerf's performance sample count). Work is linear in the frame and symbol
#: counts, so the mean utterance has the mean work.
RNNT_UTTERANCES = 2513
RNNT_MEAN_SECONDS = 6.2516  # mean original_duration
RNNT_MEAN_FRAMES_IN = 208.793  # mean ceil(ceil(num_samples / 160) / 3): encoder input frames
RNNT_MEAN_CHARACTERS = 92.897  # mean transcript length in characters (spaces included)
RNNT_SAMPLE_FRAMES = round(RNNT_MEAN_FRAMES_IN)
RNNT_SAMPLE_SYMBOLS = round(RNNT_MEAN_CHARACTERS)


def _rnnt_builder(batch: int) -> onnx.ModelProto:
    return _rnnt.build_rnnt(batch, RNNT_SAMPLE_FRAMES, RNNT_SAMPLE_SYMBOLS)


_MLPERF_INF = "mlcommons/inference"
_MLPERF_TRAIN = "mlcommons/training"

REFERENCE_GRAPHS: dict[str, RefGraph] = {
    g.key: g
    for g in (
        RefGraph(
            key="resnet50",
            title="ResNet-50 v1.5 (ImageNet, 224x224)",
            sample="one 224x224 RGB ImageNet validation image; one graph run per sample",
            precision="fp32",
            sources=(
                "He et al., Deep Residual Learning for Image Recognition, CVPR 2016 (architecture)",
                f"{_MLPERF_INF} vision/classification_and_detection/README.md: resnet50-v1.5, 224x224, "
                "ImageNet 2012 validation (model and sample)",
            ),
            assumptions=(
                "1000 classes as the PyTorch reference model (the TensorFlow/ONNX model has 1001, background "
                "first: python/main.py PostProcessCommon(offset=-1); +2,049 params, +0.05% MACs)",
                "BatchNormalization kept as nodes (inference runtimes fold it into the convolutions)",
            ),
            builder=build_resnet50,
        ),
        RefGraph(
            key="bert-large",
            title="BERT-Large, SQuAD v1.1, sequence 384",
            sample="one SQuAD v1.1 question/context window of 384 tokens (padded); one graph run per sample",
            precision="fp32",
            sources=(
                "Devlin et al., BERT, NAACL 2019: BERT-Large 24 layers, hidden 1024, 16 heads, FFN 4096",
                f"{_MLPERF_INF} language/bert README.md, squad_QSL.py: max_seq_length 384, SQuAD v1.1 dev set",
            ),
            assumptions=(
                "every sample is costed at the full 384 tokens (the reference pads; some submissions "
                "skip padding, which lowers their work per sample)",
            ),
            builder=build_bert_large,
        ),
        RefGraph(
            key="retinanet",
            title="RetinaNet ResNeXt50-32x4d FPN (OpenImages, 800x800, 264 classes)",
            sample="one OpenImages image resized to 800x800; one graph run per sample",
            precision="fp32",
            sources=(
                "Lin et al., Focal Loss for Dense Object Detection, ICCV 2017 (architecture)",
                "Xie et al., Aggregated Residual Transformations (ResNeXt), CVPR 2017 (backbone)",
                f"{_MLPERF_TRAIN} single_stage_detector/ssd/model/retinanet.py: ResNeXt50-32x4d, FPN "
                "P3-P7, 4-conv heads, 9 anchors, 800x800, 264 OpenImages classes",
                f"{_MLPERF_INF} vision/classification_and_detection/tools/retinanet_pytorch_to_onnx.py: "
                "num_classes 264, image_size 800x800 (the exported reference model)",
                f"{_MLPERF_TRAIN} single_stage_detector/ssd/model/retinanet.py: postprocess_detections, "
                "score_thresh 0.05, topk_candidates 1000, nms_thresh 0.5, detections_per_img 300 "
                "(RetinaNet.__init__ defaults)",
                f"{_MLPERF_INF} docs/benchmarks/object_detection/get-retinanet-data.md: OpenImages v6 MLPerf "
                "validation set, 24,576 images resized to 800x800",
            ),
            assumptions=(
                "post-processing at its caps: 1000 candidates per level above the score threshold, 300 "
                "detections kept; NMS counted as one pass over its 5,000 candidate boxes",
                "anchors (120,087 x 4) are a constant initializer, counted as parameters",
                "frozen BatchNormalization kept as nodes",
            ),
            builder=build_retinanet,
        ),
        RefGraph(
            key="rnnt",
            title="RNN-T (LibriSpeech dev-clean)",
            sample=(
                f"one utterance of MLPerf's LibriSpeech dev-clean set ({RNNT_UTTERANCES} utterances up to "
                f"15 s) of the mean length: {RNNT_MEAN_SECONDS:.2f} s, {RNNT_SAMPLE_FRAMES} encoder input "
                f"frames, {RNNT_SAMPLE_SYMBOLS} characters decoded greedily; one graph run per sample"
            ),
            precision="fp32",
            sources=(
                f"{_MLPERF_INF} speech_recognition/rnnt/pytorch/ (now under retired_benchmarks/): "
                "model_separable_rnnt.py, rnn.py, configs/rnnt.toml: 80 features every 10 ms, frame "
                "splicing 3, encoder 2+3 LSTM(1024) with time stacking x2, prediction 2 LSTM(320), "
                "joint 512, 29 outputs",
                f"{_MLPERF_INF} speech_recognition/rnnt/pytorch/decoders.py: greedy decoding evaluates the "
                "prediction network and the joint once per emitted symbol and once per encoder frame",
                f"{_MLPERF_INF}@b66003e10e2db4b8c36a448b0545ec90fcc6e9e9 retired_benchmarks/speech_recognition/"
                "rnnt/dev-clean-wav.json, QSL.py (max_duration 15.0), parts/features.py: the 2,513 "
                "utterances, their lengths and transcripts",
            ),
            assumptions=(
                "the decoder emits as many symbols as the reference transcript has characters "
                "(the model's word error rate is a few per cent)",
                "the featurizer (STFT, mel filterbank), run by the reference in the timed path, is not in the graph",
            ),
            builder=_rnnt_builder,
        ),
        RefGraph(
            key="3d-unet",
            title="3D-UNet KiTS19, one 128x128x128 sub-volume",
            sample=(
                "one KiTS19 case (CT volume) of MLPerf's 43, inferred by a sliding window of 128^3 "
                f"sub-volumes with 50% overlap; one graph run is one sub-volume, {SUBVOLUMES_PER_CASE:.2f} "
                "runs per case on average"
            ),
            precision="fp32",
            sources=(
                f"{_MLPERF_TRAIN} image_segmentation/pytorch/model/unet3d.py, layers.py (architecture)",
                f"{_MLPERF_INF} vision/medical_imaging/3d-unet-kits19: preprocess.py (spacing 1.6/1.2/1.2 mm, "
                "pad/crop to multiples of 64), inference_utils.py (128^3 window, overlap 0.5), "
                "meta/inference_cases.json (43 cases; case_00400 is a copy of case_00185, Makefile)",
                "neheller/kits19@456b293435b25303bbc7995f094f83a0afdff0eb data/<case>/segmentation.nii.gz "
                "NIfTI headers: each case's dims and voxel spacing (scripts/kits19_subvolumes.py)",
            ),
            assumptions=(
                "Gaussian weighting, stitching and ArgMax over the whole volume are not in the graph",
                "MLPerf's sample mix is uniform over the 43 cases (loadgen/mlperf.conf: "
                "3d-unet sample_concatenate_permutation = 1, whole permutations of the set)",
            ),
            builder=build_unet3d,
            runs_per_sample=SUBVOLUMES_PER_CASE,
        ),
    )
}


def build(key: str, batch: int = 1) -> onnx.ModelProto:
    """Build the reference graph ``key`` (see ``REFERENCE_GRAPHS``) for ``batch`` samples."""
    ref = REFERENCE_GRAPHS.get(key)
    if ref is None:
        raise WattprintError(
            f"no reference graph {key!r}", hint=f"use one of {', '.join(REFERENCE_GRAPHS)}"
        )
    return ref.build(batch)

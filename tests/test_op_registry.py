"""The op registry (wattprint/model/ops/): every op declared once, complete, and the tables built from it current."""

from __future__ import annotations

from pathlib import Path

from wattprint.energy import traffic
from wattprint.model.ops import (
    CONTROL,
    ONNX_INFERENCE,
    REGISTRY,
    SHAPE_FNS,
    VALUE_OPS,
    Fusion,
    fusion_ops,
    lookup,
    table,
)

ROOT = Path(__file__).resolve().parents[1]
MS = "com.microsoft"

#: the fusion classes the traffic model was calibrated with (docs/methodology.md, "Kernels and DRAM traffic");
#: changing one changes every energy figure: update this list only together with a refit
VIEW = {"Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Dropout", "Transpose", "Slice", "Split",
        "Concat", "Expand", "Tile", "Shape", "Size", "ExpandDims", "BitmaskDropout"}
BARRIER = {"GatherND", "ScatterND", "ScatterElements", "TopK", "NonMaxSuppression", "NonZero", "Unique", "Loop",
           "If", "Scan", "Resize", "Upsample", "RoiAlign", "MaxRoiPool", "Einsum", "ArgMax", "ArgMin", "CumSum",
           "Range", "ConstantOfShape"}


def test_every_op_has_a_shape_and_a_cost_rule():
    missing = []
    for (domain, op), d in REGISTRY.items():
        assert (d.domain, d.op_type) == (domain, op)
        if d.cost is CONTROL or d.shape is CONTROL:
            assert d.cost is CONTROL and d.shape is CONTROL and domain == "", op
            continue
        if not callable(d.cost):
            missing.append(f"{domain}::{op}: cost")
        # onnx's shape inference knows ai.onnx ops only: a contrib op needs its own rule
        if not (callable(d.shape) or (d.shape is ONNX_INFERENCE and domain == "")):
            missing.append(f"{domain}::{op}: shape")
    assert not missing, missing


def test_an_op_name_has_one_shape_rule_and_one_fusion_class_in_every_domain():
    by_name: dict[str, set] = {}
    fusion: dict[str, set] = {}
    for d in REGISTRY.values():
        if callable(d.shape):
            by_name.setdefault(d.op_type, set()).add(d.shape)
        fusion.setdefault(d.op_type, set()).add(d.fusion)
    assert {k: v for k, v in by_name.items() if len(v) > 1} == {}
    assert {k: v for k, v in fusion.items() if len(v) > 1} == {}
    assert set(SHAPE_FNS) == set(by_name)
    assert set(VALUE_OPS) <= set(SHAPE_FNS)


def test_fusion_classes_and_traffic_model_agree():
    assert fusion_ops(Fusion.VIEW) == VIEW
    assert fusion_ops(Fusion.BARRIER) == BARRIER
    assert traffic.VIEW_OPS == VIEW and traffic.BARRIER_OPS == BARRIER


def test_contrib_ops_that_were_never_counted_have_shape_rules():
    for op in ("NhwcConv", "BiasSplitGelu", "QLinearWhere", "QLinearReduceMean", "MaxpoolWithMask", "Crop",
               "ExpandDims", "RemovePadding", "RestorePadding", "Tokenizer"):
        d = lookup(MS, op)
        assert d is not None and callable(d.shape) and callable(d.cost), op


def test_lookup_normalises_the_default_domain():
    assert lookup("ai.onnx", "Conv") is lookup("", "Conv") is REGISTRY[("", "Conv")]
    assert lookup("", "NoSuchOp") is None


def test_op_counting_doc_table_is_current():
    doc = (ROOT / "docs" / "op-counting.md").read_text(encoding="utf-8")
    assert table.splice(doc) == doc, "run: python -m wattprint.model.ops --write docs/op-counting.md"
    assert "**missing**" not in doc

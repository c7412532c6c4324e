"""Every model shipped in onnx's backend test data, counted: compared with tests/golden/onnx_backend.json.

A change in counting (MACs, FLOPs, params, bytes, not-counted ops, errors) shows as a diff of that file;
regenerate it with ``python scripts/gen_golden.py`` when the change is intended.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gen_golden", ROOT / "scripts" / "gen_golden.py")
gen_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_golden)

GOLDEN = json.loads(gen_golden.GOLDEN.read_text())
BASE = gen_golden.backend_dir()
MODELS = sorted(BASE.rglob("*.onnx")) if BASE.is_dir() else []


def test_golden_covers_every_backend_model():
    assert MODELS, "onnx ships no backend test data here"
    assert sorted(str(p.relative_to(BASE)) for p in MODELS) == sorted(GOLDEN["models"])


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.relative_to(BASE).parent))
def test_backend_model_matches_golden(path):
    assert gen_golden.snapshot_one(path) == GOLDEN["models"][str(path.relative_to(BASE))]


def test_backend_models_never_silently_zero():
    from wattprint.errors import WattprintError
    from wattprint.model import analyze_model

    for path in MODELS:
        try:
            r = analyze_model(path)
        except WattprintError:
            continue  # a clear user-facing error (recorded in the golden file)
        assert all(n.counted or n.note for n in r.nodes), path

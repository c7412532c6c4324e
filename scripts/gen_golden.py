"""Golden snapshot of what wattprint counts on every model shipped in onnx's backend test data.

``python scripts/gen_golden.py`` rewrites ``tests/golden/onnx_backend.json``: per model (path relative to
``onnx/backend/test/data``) its MACs, FLOPs, parameters, bytes read / written and not-counted ops, or the
one-line error wattprint gives. ``tests/test_golden.py`` recomputes it and compares, so any change in counting
shows as a diff of this file (regenerate it when the change is intended, and review the diff).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "onnx_backend.json"


def backend_dir() -> Path:
    import onnx

    return Path(onnx.__file__).parent / "backend" / "test" / "data"


def snapshot_one(path: Path) -> dict:
    from wattprint.errors import WattprintError
    from wattprint.model import analyze_model

    try:
        r = analyze_model(path)
    except WattprintError as e:  # the message names the file: keep it relative to the backend data folder
        return {"error": str(e).replace(str(path), path.relative_to(backend_dir()).as_posix())}
    return {
        "nodes": len(r.nodes),
        "macs": r.macs,
        "flops": r.flops,
        "params": r.params,
        "bytes_read": r.bytes_read,
        "bytes_written": r.bytes_written,
        "weight_bytes": r.weight_bytes,
        "not_counted": [[op, n, why] for op, n, why in r.not_counted],
    }


def snapshot() -> dict:
    import onnx

    base = backend_dir()
    models = {str(p.relative_to(base)): snapshot_one(p) for p in sorted(base.rglob("*.onnx"))}
    return {"onnx": onnx.__version__, "models": models}


def dumps(snap: dict) -> str:
    return json.dumps(snap, indent=1, sort_keys=True) + "\n"


def main() -> int:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(dumps(snapshot()))
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

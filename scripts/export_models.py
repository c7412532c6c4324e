"""Export the small real-exporter graphs used by the tests into a folder (weights stripped: shapes only).

    .venv/bin/pip install -e '.[export]'
    .venv/bin/python scripts/export_models.py OUT_DIR [NAME ...]

NAME is one of the exports in tests/exporters.py (default: all). The code is the tests' own (one
implementation); this script only adds a command line and prints what it wrote and how long each took.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from exporters import EXPORTS, Exporter, missing_export_deps  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write NAME.onnx into")
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"exports to make (default: all): {', '.join(EXPORTS)}")
    a = ap.parse_args(argv)
    unknown = [n for n in a.names if n not in EXPORTS]
    if unknown:
        ap.error(f"unknown export {unknown[0]!r}; choose from: {', '.join(EXPORTS)}")
    why = missing_export_deps()
    if why:
        print(f"export_models: {why}", file=sys.stderr)
        return 2
    ex = Exporter(a.out)
    for name in a.names or list(EXPORTS):
        path = ex(name)
        print(f"{path}  {ex.seconds[name]:.1f} s  ({ex.stripped_bytes[name]:,} weight bytes left out)  "
              f"{EXPORTS[name].exporter}")
    for family in sorted({EXPORTS[n].family for n in a.names or EXPORTS}):
        print(f"{ex.hf_config(family)}  (Hugging Face config of the {family} exports)")
    print(f"total {sum(ex.seconds.values()):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

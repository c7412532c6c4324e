"""Fit the inference energy model on the measured set and write its coefficients (and the validation tables).

    python scripts/fit_energy.py            # refit, write cli/wattprint/data/energy-coefficients.yaml
    python scripts/fit_energy.py --check    # exit 1 if the shipped coefficients differ from a refit

The fit (wattprint.energy.fit) minimises squared log-errors of energy, time and power per measured point with
ridge-penalised per-family offsets; see docs/validation.md. It then rewrites the generated part of
docs/validation.md from `wattprint validate --format markdown`.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "cli"))

from wattprint.datafiles import package_data  # noqa: E402
from wattprint.energy.device import Coefficients, coefficients_from_doc  # noqa: E402
from wattprint.measured import measured_path  # noqa: E402
from wattprint.validation import build_cases, fit_cases  # noqa: E402

OUT = package_data("energy-coefficients.yaml")
DOC = ROOT / "docs" / "validation.md"
BEGIN, END = "<!-- begin: wattprint validate --format markdown -->", "<!-- end: generated -->"
HEADER = """# Fitted by scripts/fit_energy.py on the measured set (wattprint/data/measured/measured-inference.csv).
# Do not edit by hand: rerun the script. docs/validation.md describes the model, the fit and its accuracy.
"""


def fingerprint() -> str:
    digest = hashlib.sha256(measured_path().read_bytes())
    for path in sorted((ROOT / "hwprofiles").rglob("*.yaml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def refit() -> dict:
    cases = build_cases()
    result = fit_cases(cases, cross_validate=True, basis="", data_version=fingerprint())
    co = result.coefficients
    n = len([c for c in cases if not c.point.exclude])
    basis = (f"fitted on {n} published measurements (MLPerf Inference v2.1/v3.0 power runs, ML.ENERGY v3) by "
             f"scripts/fit_energy.py; see docs/validation.md")
    doc = co.doc()
    doc["basis"] = basis
    return round_doc(doc)


def round_doc(value):
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: round_doc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [round_doc(v) for v in value]
    return value


def prompt_sensitivity(co: Coefficients, lengths=(128, 512, 2048)) -> str:
    """Markdown: geomean estimate/measured of the LLM rows at concurrency 64 for several assumed prompt lengths,
    with the coefficients ``co`` (the ones just fitted: the shipped file read earlier in this process is stale)."""
    from wattprint.hardware import load_hardware
    from wattprint.measured import load_measured
    from wattprint.validation import MODEL_FAMILY, _llm_case, geomean

    hardware = load_hardware(use_user_dir=False)
    rows = [p for p in load_measured() if p.source_kind != "mlperf" and p.concurrency == 64 and not p.exclude]
    lines = ["| prompt tokens | " + " | ".join(sorted({MODEL_FAMILY[p.benchmark] for p in rows})) + " | points |",
             "|---:|" + "---:|" * (len({MODEL_FAMILY[p.benchmark] for p in rows}) + 1)]
    for n in lengths:
        ratios: dict[str, list[float]] = {}
        for p in rows:
            est = _llm_case(p, hardware, prompt_tokens=n).estimate(co).energy_j
            ratios.setdefault(MODEL_FAMILY[p.benchmark], []).append(est / p.energy_j)
        cells = [f"{geomean(ratios[f]):.2f}" for f in sorted(ratios)]
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {len(rows)} |")
    return "\n".join(lines)


def write_tables(co: Coefficients) -> None:
    md = subprocess.run([sys.executable, "-m", "wattprint", "validate", "--format", "markdown"], check=True,
                        capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "cli"), "PATH": ""}).stdout
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    sens = prompt_sensitivity(co)
    DOC.write_text(f"{head}{BEGIN}\n{md}\n### Sensitivity to the assumed prompt length (LLM rows at concurrency 64, "
                   f"geomean estimate / measured)\n\n{sens}\n\n{END}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare a refit with the shipped coefficients")
    args = parser.parse_args()
    doc = refit()
    if args.check:
        shipped = coefficients_from_doc(yaml.safe_load(OUT.read_text(encoding="utf-8")))
        fresh = coefficients_from_doc(doc)
        same = shipped.data_version == fresh.data_version and shipped.families.keys() == fresh.families.keys()
        print("shipped coefficients are current" if same else "shipped coefficients are stale: rerun the script")
        return 0 if same else 1
    OUT.write_text(HEADER + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} (data {doc['data_version']})")
    write_tables(coefficients_from_doc(doc))
    print(f"wrote the tables of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

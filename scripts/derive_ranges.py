#!/usr/bin/env python3
"""Recompute the derived figures in cli/wattprint/data/ranges.yaml from ../shared/datasets.

    python scripts/derive_ranges.py [--datasets DIR]

Prints the grid year-to-year spread (Google Cloud region intensities) and the
LLMCarbon hardware-efficiency median and extremes; compare with ranges.yaml.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def grid_year_to_year(folder: Path) -> tuple[float, int]:
    by_region: dict[str, dict[int, float]] = {}
    for year in range(2021, 2025):
        with open(folder / f"{year}.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                col = next(c for c in row if "intensity" in c.lower())
                if row[col]:
                    by_region.setdefault(row["Google Cloud Region"], {})[year] = float(row[col])
    changes = [
        abs(v[y] / v[y - 1] - 1)
        for v in by_region.values()
        for y in range(2022, 2025)
        if y in v and y - 1 in v and v[y - 1] > 20  # skip near-zero grids, where ratios explode
    ]
    return statistics.median(changes), len(changes)


def llm_efficiency(path: Path) -> list[float]:
    with open(path, newline="") as fh:
        return sorted(float(r["hardware efficiency"]) for r in csv.DictReader(fh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=DEFAULT)
    args = parser.parse_args()
    median, n = grid_year_to_year(args.datasets / "gcp_region_carbon_info")
    print(f"grid_year_to_year.relative = {median:.3f}  ({n} region-years)")
    eff = llm_efficiency(args.datasets / "llmcarbon" / "database.csv")
    mid = statistics.median(eff)
    print(f"mfu: low {eff[0]} central {mid} high {eff[-1]}; ratios {eff[0] / mid:.3f} .. {eff[-1] / mid:.3f}")


if __name__ == "__main__":
    main()

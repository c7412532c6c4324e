"""Whole-process time of `wattprint validate` (issue target: under 60 s on 2 cores).

    python benchmarks/bench_validate.py [--repeat N]

Runs `wattprint validate --format json` (every measured point, with leave-one-family-out cross-validation)
and `--no-cv` as separate processes, N times each (default 1), and prints wall and CPU seconds. Record the
figures in docs/performance.md with the machine's load (the figure is only meaningful on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def run(args: list[str]) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "wattprint", *args], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for label, extra in (("validate (with cross-validation)", []), ("validate --no-cv", ["--no-cv"])):
        for _ in range(args.repeat):
            wall, cpu, doc = run(["validate", "--format", "json", "--summary-only", *extra])
            print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, {doc['overall']['points']} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

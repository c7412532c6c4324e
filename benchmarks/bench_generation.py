#!/usr/bin/env python
"""Speed of ``wattprint infer`` with an LLM generation workload (see docs/performance.md).

    python benchmarks/bench_generation.py [--reps N]

Runs, each as its own process, the done-when case of issue 11: the Llama-3.1-8B config at 512 prompt /
256 output tokens, concurrency 64, one H100, as a table and as JSON; target < 2 s per run. Reports the
median wall time and the process's own CPU time (user + sys, from os.wait4), which does not depend on
how busy the machine is. Also times the in-process estimate for the other shipped configs.
Results: a table on stdout and benchmarks/out/generation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TARGET_S = 2.0
CASE = ["llama-3.1-8b", "--prompt-tokens", "512", "--output-tokens", "256", "--concurrency", "64",
        "--hardware", "h100"]


def run(argv: list[str]) -> tuple[float, float, int]:
    """(wall s, cpu s, exit code) of one child process, its output discarded."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, dict(os.environ, COLUMNS="120"),
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("wattprint"))
    rows, results = [], {}
    for fmt in ("table", "json"):
        walls, cpus = [], []
        for _ in range(args.reps):
            wall, cpu, code = run([exe, "infer", *CASE, "--format", fmt])
            if code != 0:
                print(f"wattprint exited {code}", file=sys.stderr)
                return 1
            walls.append(wall)
            cpus.append(cpu)
        w, c = statistics.median(walls), statistics.median(cpus)
        results[fmt] = {"wall_s": walls, "cpu_s": cpus, "median_wall_s": w, "median_cpu_s": c}
        rows.append((f"infer {' '.join(CASE[:1])} ... --format {fmt}", w, c, "PASS" if w < TARGET_S else "FAIL"))

    from wattprint.carbon import choose_grid, choose_pue
    from wattprint.generation import GenerationWorkload, estimate_generation
    from wattprint.hardware import load_hardware
    from wattprint.llm_config import shipped_configs

    db = load_hardware()
    pue, grid = choose_pue(None, None), choose_grid(region=None, intensity=None, grid_file=None)
    estimate_generation("llama-3.1-8b", db.get("h100"), GenerationWorkload(16, 4), pue=pue, grid=grid)  # warm
    inproc = {}
    for name in shipped_configs():
        devices = 2 if name.startswith(("qwen3-32b", "qwen3-30b")) else 1  # (do not fit one H100 at 64 x 2000)
        t0 = time.perf_counter()
        estimate_generation(name, db.get("h100"), GenerationWorkload(1000, 1000, 64, devices), pue=pue, grid=grid)
        inproc[name] = time.perf_counter() - t0
    results["in_process_1000_1000_c64_s"] = inproc
    print(f"{'command':58} {'wall':>8} {'cpu':>8}  target < {TARGET_S:g} s")
    for name, w, c, verdict in rows:
        print(f"{name:58} {w:7.2f}s {c:7.2f}s  {verdict}")
    print("in-process estimate, 1000 prompt / 1000 output, concurrency 64, h100:")
    for name, t in inproc.items():
        print(f"  {name:32} {t:6.2f} s")
    OUT.mkdir(exist_ok=True)
    (OUT / "generation.json").write_text(json.dumps(results, indent=2))
    return 0 if all(r[3] == "PASS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

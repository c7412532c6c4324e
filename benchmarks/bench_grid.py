"""Grid files as a stream: a 10M-row hourly CSV through `wattprint train --grid-file`, with and without --best-start.

    python benchmarks/bench_grid.py [--rows N] [--keep]

Writes the series under benchmarks/out/ (about 330 MB for 10M rows; removed afterwards unless --keep),
then runs each command in its own process and reports wall time and that process's peak RSS
(``ru_maxrss`` of the child, read from ``os.wait4``). Targets (issue 12): < 10 s and < 300 MB each.
Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def write_series(path: Path, rows: int) -> None:
    """Hourly rows from 2000-01-01 with a daily cycle; written in blocks to keep this script small too."""
    import numpy as np

    t0 = np.datetime64("2000-01-01T00:00:00", "s")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("timestamp,intensity_gco2e_per_kwh\n")
        block = 1_000_000
        for a in range(0, rows, block):
            i = np.arange(a, min(a + block, rows))
            stamps = np.datetime_as_string(t0 + i * np.timedelta64(3600, "s"), unit="s")
            values = 90 + 80 * np.sin(2 * np.pi * (i % 24) / 24) + (i % 7) * 1.37  # 2- and 3-digit values
            fh.write("".join(f"{s}Z,{v:.2f}\n" for s, v in zip(stamps.tolist(), values.tolist())))


def run(cmd: list[str]) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak RSS MB, exit code, stderr tail) of one child process.

    CPU time (user + system) is reported beside wall time: on a shared machine wall time also
    counts the time other processes held the cores."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")[-300:]
    proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--write", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        write_series(Path(args.write), args.rows)
        return
    OUT.mkdir(exist_ok=True)
    path = OUT / f"grid_{args.rows}.csv"
    if not path.is_file():  # written by a child process: this one stays small for the RSS figures
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--write", str(path), "--rows", str(args.rows)], check=True)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    exe = [sys.executable, "-m", "wattprint"]
    base = [*exe, "train", "--hardware", "a100", "--hours", "24", "--grid-file", str(path), "--format", "json"]
    cases = {
        "mean of the series": base,
        "--start (one window)": [*base, "--start", "2500-07-01T00:00Z"],
        "--best-start (whole series)": [*base, "--best-start"],
    }
    results = {}
    floor = run([*exe, "--version"])
    print(f"{'case':32} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    print(f"{'python -m wattprint --version':32} {floor[0]:8.2f} {floor[1]:8.2f} {floor[2]:8.0f}")
    for name, cmd in cases.items():
        wall, cpu, rss, code, err = run(cmd)
        if code != 0:
            sys.exit(f"{name}: exit {code}: {err}")
        results[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss, 1)}
        print(f"{name:32} {wall:8.2f} {cpu:8.2f} {rss:8.0f}")
    (OUT / "grid_results.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=2) + "\n")
    if not args.keep:
        path.unlink()


if __name__ == "__main__":
    main()

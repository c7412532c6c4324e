"""Check the LLM energy estimate against every published ML.ENERGY run of the validated models, not only the
rows of the measured set.

    git clone https://github.com/ml-energy/leaderboard && git -C leaderboard checkout 0cd52dab
    python scripts/llm_sweep_check.py leaderboard/public/data/models

The measured set (wattprint/data/measured/measured-inference.csv) holds five concurrencies per model and GPU
configuration; the leaderboard publishes the whole sweep (8 to 4,096 sequences). For every stable run of the
five validated models on a GPU configuration that the measured set has, this builds the measured set's own
case (same prompt assumption, same steady-state batch from ``avg_batch_size``, the run's own mean output length)
and prints estimate / measured per run, and the share within 1.5x at concurrency 8-512 (the LLM target in
docs/validation.md). Nothing is fitted here: the shipped coefficients are used.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "cli"))

from wattprint.energy.device import default_coefficients  # noqa: E402
from wattprint.measured import load_measured  # noqa: E402
from wattprint.validation import build_cases, geomean  # noqa: E402

#: leaderboard file of each validated benchmark (the tasks the measured set's rows come from)
FILES = {
    "qwen3-8b": "Qwen__Qwen3-8B__lm-arena-chat.json",
    "qwen3-32b": "Qwen__Qwen3-32B__lm-arena-chat.json",
    "qwen3-30b-a3b": "Qwen__Qwen3-30B-A3B-Instruct-2507__lm-arena-chat.json",
    "gpt-oss-20b": "openai__gpt-oss-20b__gpqa.json",
    "gpt-oss-120b": "openai__gpt-oss-120b__gpqa.json",
}
GPU = {"B200": "b200", "H100": "h100-sxm"}
LOW, HIGH, BAND = 8, 512, 1.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", type=Path, help="public/data/models of an ml-energy/leaderboard checkout")
    args = ap.parse_args()
    co = default_coefficients()
    rows = {(p.benchmark, p.hardware, int(p.accelerator_count)): p
            for p in load_measured() if p.source_kind == "mlenergy"}
    ratios: list[tuple[str, int, float]] = []
    print("| model | GPUs | max_num_seqs | batch | measured mJ/token | estimated | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for bench, name in FILES.items():
        doc = json.loads((args.models / name).read_text(encoding="utf-8"))
        for c in sorted(doc["configurations"], key=lambda c: (c["gpu_model"], c["num_gpus"], c["max_num_seqs"])):
            key = (bench, GPU.get(c["gpu_model"], ""), int(c["num_gpus"]))
            if key not in rows:
                continue
            point = replace(
                rows[key], id=f"{bench}-{key[1]}x{key[2]}-{c['max_num_seqs']}", concurrency=int(c["max_num_seqs"]),
                notes=f"avg_batch_size(steady state)={c['avg_batch_size']}", output_len=float(c["avg_output_len"]),
                energy_j=float(c["energy_per_token_joules"]), throughput=float(c["output_throughput_tokens_per_sec"]),
                avg_power_w=float(c["avg_power_watts"]),
            )
            case = build_cases([point])[0]
            est = case.estimate(co).energy_j
            ratio = est / point.energy_j
            ratios.append((bench, point.concurrency or 0, ratio))
            print(f"| {bench} | {key[1]} x{key[2]} | {point.concurrency} | {case.batch} | {point.energy_j * 1e3:.1f} | "
                  f"{est * 1e3:.1f} | {ratio:.2f} |")
    inside = [r for b, n, r in ratios if LOW <= n <= HIGH]
    ok = sum(1 / BAND <= r <= BAND for r in inside)
    print(f"\nconcurrency {LOW}-{HIGH}: {ok} of {len(inside)} runs within {BAND}x "
          f"(geometric mean {geomean(inside):.2f}); all {len(ratios)} runs: "
          f"{sum(1 / BAND <= r <= BAND for _, _, r in ratios)} within {BAND}x")
    for bench in FILES:
        sel = [r for b, n, r in ratios if b == bench and LOW <= n <= HIGH]
        if sel:
            print(f"  {bench}: {sum(1 / BAND <= r <= BAND for r in sel)} of {len(sel)}, "
                  f"ratio {min(sel):.2f}-{max(sel):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

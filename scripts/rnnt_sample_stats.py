#!/usr/bin/env python3
"""Derive the RNN-T reference sample (wattprint.refgraphs) from MLPerf's LibriSpeech manifest.

    python scripts/rnnt_sample_stats.py PATH/TO/dev-clean-wav.json

The manifest is the one the MLPerf reference ships:
mlcommons/inference@b66003e10e2db4b8c36a448b0545ec90fcc6e9e9:
retired_benchmarks/speech_recognition/rnnt/dev-clean-wav.json (one entry per dev-clean
utterance: original_duration, original_num_samples, transcript). The reference's QSL keeps the
utterances of at most 15.0 s (QSL.py, max_duration); the featurizer gives each
ceil(ceil(num_samples / 160) / 3) encoder input frames (parts/features.py). Prints the counts that
cli/wattprint/refgraphs/__init__.py records (RNNT_UTTERANCES, RNNT_MEAN_*). Standard library only;
reads only the file named.
"""

from __future__ import annotations

import json
import sys

MAX_DURATION = 15.0
HOP, SPLICING, STACKING = 160, 3, 2


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def stats(entries: list[dict]) -> dict[str, float]:
    kept = [e for e in entries if float(e["original_duration"]) <= MAX_DURATION]
    n = len(kept)
    frames_in = [_ceil_div(_ceil_div(int(e["original_num_samples"]), HOP), SPLICING) for e in kept]
    return {
        "utterances_all": len(entries),
        "utterances": n,
        "mean_seconds": sum(float(e["original_duration"]) for e in kept) / n,
        "mean_frames_in": sum(frames_in) / n,
        "mean_frames_enc": sum(-(-f // STACKING) for f in frames_in) / n,
        "mean_characters": sum(len(e["transcript"]) for e in kept) / n,
        "mean_words": sum(len(e["transcript"].split()) for e in kept) / n,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as fh:
            entries = json.load(fh)
        result = stats(entries)
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        print(f"{argv[0]}: not a readable MLPerf RNN-T manifest ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    for k, v in result.items():
        print(f"{k}\t{v:.4f}" if isinstance(v, float) else f"{k}\t{v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

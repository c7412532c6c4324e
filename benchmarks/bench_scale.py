#!/usr/bin/env python
"""Per-node cost, start-up, and a 200,000-node graph (docs/performance.md, "Scale").

    python benchmarks/bench_scale.py [--reps N] [--src DIR] [--only pernode|process|scale] [--out F]

Measures, each in its own child process (a tiny fork/exec launcher reports the command's wall time,
its CPU time (user + system) and its own peak RSS from os.wait4()):

  pernode  in-process, after the model is loaded: ``analyze_proto`` on ``chain_graph`` (10,000 nodes)
           and on the decomposed BERT-base of tests/onnx_builders.py (696 nodes), best CPU time
           (``time.process_time``) of N runs, split into phases; target <= 10 us per node for the
           walk + costing;
  process  whole process, 10,000-node chain: ``python -m wattprint infer F --format json --batch 1``
           against a ``python -c`` onnx-tool load + shape_infer + profile, run alternately; target
           <= 0.1x onnx-tool; plus ``-X importtime`` of the infer command (self time per package);
  scale    a 200,000-node chain: the whole ``infer --format json`` command (stdout to a file) and,
           in one process, the time and memory of each phase (imports, load, analysis, estimate,
           the JSON document, its text); target < 4 s and < 400 MB peak RSS.

``--src DIR`` measures another checkout (its ``cli/`` is put first on PYTHONPATH of every child),
e.g. ``git archive <commit> cli | tar -x -C /tmp/before`` for a before/after table; CPU figures are the ones to
compare on a shared machine. Results: benchmarks/out/scale.json (``--out``). Models are built with
tests/onnx_builders.py under benchmarks/out/models/ and reused.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
MODELS = OUT / "models"
PY = sys.executable
CHAIN_INPUT = (1, 128, 64)

_LAUNCHER = (
    "import os, sys, time\n"
    "out, stdout, argv = sys.argv[1], sys.argv[2], sys.argv[3:]\n"
    "t0 = time.perf_counter()\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    try:\n"
    "        fd = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
    "        os.dup2(fd, 1)\n"
    "        os.execvp(argv[0], argv)\n"
    "    finally:\n"
    "        os._exit(127)\n"
    "_, st, ru = os.wait4(pid, 0)\n"
    "wall = time.perf_counter() - t0\n"
    "with open(out, 'w') as f:\n"
    "    f.write('%r %r %d %d' % (wall, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(st), ru.ru_maxrss))\n"
)


def run_child(cmd: list[str], env: dict | None = None, stdout: str | None = None) -> dict:
    """Wall time, CPU time, exit status and own peak RSS (MiB) of ``cmd``; its stdout goes to ``stdout``
    (a file) or is returned."""
    with tempfile.NamedTemporaryFile("r", suffix=".out") as so, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as ruf:
        proc = subprocess.run([PY, "-S", "-c", _LAUNCHER, ruf.name, stdout or so.name] + cmd, stderr=err,
                              cwd=ROOT, env=env)
        f = ruf.read().split()
        err.seek(0)
        r = {"wall_s": float(f[0]), "cpu_s": float(f[1]), "rc": int(f[2]) if f else proc.returncode,
             "maxrss_mib": int(f[3]) / 1024.0, "stderr": err.read().decode("utf-8", "replace")}
        if stdout is None:
            r["stdout"] = Path(so.name).read_text()
        if r["rc"] != 0:
            sys.stderr.write(r["stderr"][-3000:])
            raise SystemExit(f"benchmark command failed: {' '.join(cmd)} (rc={r['rc']})")
        return r


def child_env(src: Path | None) -> dict:
    env = dict(os.environ)
    # bytecode cached outside the tree, as a pip-installed wattprint has .pyc files
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    if src is not None:
        env["PYTHONPATH"] = str(src / "cli") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def ensure_models() -> dict[str, Path]:
    MODELS.mkdir(parents=True, exist_ok=True)
    want = {"chain_10000": MODELS / "chain_10000.onnx", "chain_200000": MODELS / "chain_200000.onnx",
            "bert_external": MODELS / "bert_base_external.onnx"}
    missing = [k for k, p in want.items() if not p.exists()]
    if missing:
        run_child([PY, str(Path(__file__).resolve()), "--_generate"] + missing, env=child_env(None))
    return want


def _generate_main(names: list[str]) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from onnx_builders import bert, chain_graph, save

    for name in names:
        if name.startswith("chain_"):
            m = chain_graph(int(name.split("_")[1]) // 4)
            fname = f"{name}.onnx"
        else:  # weights as external data that is absent: a 60 KB file, only shapes are read
            m = bert(weights="external").model()
            fname = "bert_base_external.onnx"
        tmp = save(m, MODELS, fname + ".tmp")
        os.replace(tmp, MODELS / fname)


# ----------------------------------------------------------------------------------------- workers

# (_inference_needed, _collect_types: whether onnx's inference is needed, and the declared types a walk without it
# checks; absent in checkouts before them, and then not timed)
_PHASES = ("check_structure", "_bind_dims", "_inference_needed", "_collect_types", "_run_shape_inference",
           "_shared_weights", "node_records")


def _pernode_worker(model: str, reps: int) -> dict:
    import functools

    from wattprint.model import analyze as A
    from wattprint.model import load_proto

    spent: dict[str, float] = {}
    for name in _PHASES:  # time the phases around the walk, by their names in the analyze module
        fn = getattr(A, name, None)
        if fn is None:
            continue

        def timed(*a, _fn=fn, _name=name, **k):
            t = time.process_time()
            try:
                return _fn(*a, **k)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.process_time() - t

        setattr(A, name, functools.wraps(fn)(timed))
    dims = {"sequence_length": 128} if "bert" in os.path.basename(model) else {}
    proto, warnings = load_proto(model)
    best = None
    for _ in range(reps):
        spent.clear()
        t = time.process_time()
        mc = A.analyze_proto(proto, model, dims=dims, batch=1, warnings=list(warnings))
        total = time.process_time() - t
        if best is None or total < best[0]:
            best = (total, dict(spent))
    n = len(mc.nodes)
    total, phases = best
    # walk + costing: what is not checks, shape inference or the tied-weight pass; reading the nodes'
    # fields out of the protobuf (node_records, where it exists) counts in it, and is also given alone
    read = phases.get("node_records", 0.0)
    walk = total - sum(phases.values()) + read
    return {"nodes": n, "analyze_s": total, "analyze_us_per_node": 1e6 * total / n,
            "walk_cost_s": walk, "walk_cost_us_per_node": 1e6 * walk / n,
            "walk_cost_without_node_read_us_per_node": 1e6 * (walk - read) / n,
            "phases_us_per_node": {k: 1e6 * v / n for k, v in phases.items()}}


def _rss_mib() -> tuple[float, float]:
    import resource

    with open("/proc/self/statm") as f:
        cur = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return cur, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _scale_worker(model: str) -> dict:
    """One ``infer --format json`` run, phase by phase, in this process (CPU time, current and peak RSS)."""
    out: dict = {}
    t = time.process_time()

    def mark(name):
        nonlocal t
        now = time.process_time()
        cur, peak = _rss_mib()
        out[name] = {"cpu_s": round(now - t, 3), "rss_mib": round(cur), "peak_rss_mib": round(peak)}
        t = time.process_time()

    import wattprint.estimate as E
    from wattprint.estimate import InferOptions  # noqa: F401  (what the command imports)
    from wattprint.model import analyze_model
    from wattprint.render import to_json
    from wattprint.render.infer import infer_doc

    mark("imports")
    captured = {}
    real = analyze_model

    def analyze_once(*a, **k):  # time the analysis inside infer_model
        t0 = time.process_time()
        mc = real(*a, **k)
        captured["analyze_cpu_s"] = time.process_time() - t0
        captured["rss_after_analyze"] = _rss_mib()
        captured["nodes"] = len(mc.nodes)
        return mc

    import wattprint.model as M

    M.analyze_model = analyze_once
    res = E.infer_model(model, E.InferOptions(batch=1))
    mark("infer_model")
    out["infer_model"]["analyze_cpu_s"] = round(captured["analyze_cpu_s"], 3)
    out["infer_model"]["estimate_cpu_s"] = round(out["infer_model"]["cpu_s"] - captured["analyze_cpu_s"], 3)
    out["infer_model"]["rss_after_analyze_mib"] = round(captured["rss_after_analyze"][0])
    out["infer_model"]["peak_after_analyze_mib"] = round(captured["rss_after_analyze"][1])
    doc = infer_doc(res)
    mark("json_document")
    text = to_json(doc)
    mark("json_text")
    with open(os.devnull, "w") as f:
        f.write(text)
    out["nodes"] = captured["nodes"]
    out["json_mb"] = round(len(text) / 1e6, 1)
    return out


# --------------------------------------------------------------------------------------- benchmarks


def bench_pernode(models: dict, env: dict, reps: int) -> dict:
    res = {}
    for key in ("chain_10000", "bert_external"):
        r = run_child([PY, str(Path(__file__).resolve()), "--_worker", "pernode", str(models[key]), str(reps)], env=env)
        res[key] = json.loads(r["stdout"].strip().splitlines()[-1])
        print(f"  {key}: {res[key]['nodes']} nodes, analyze_proto {res[key]['analyze_us_per_node']:.1f} us/node, "
              f"walk+cost {res[key]['walk_cost_us_per_node']:.1f} us/node "
              f"({res[key]['walk_cost_without_node_read_us_per_node']:.1f} without reading the node protos)", flush=True)
    return res


def bench_process(models: dict, env: dict, reps: int, use_onnx_tool: bool) -> dict:
    path = str(models["chain_10000"])
    wp = [PY, "-m", "wattprint", "infer", path, "--format", "json", "--batch", "1"]
    script = ("import sys, numpy as np, onnx_tool; m = onnx_tool.Model(sys.argv[1]); "
              f"m.graph.shape_infer({{'x': np.zeros({CHAIN_INPUT}, np.float32)}}); m.graph.profile()")
    cmds = {"wattprint": wp, "import_onnx": [PY, "-c", "import onnx"], "python": [PY, "-c", "pass"]}
    if use_onnx_tool:
        cmds["onnx_tool"] = [PY, "-c", script, path]
    runs: dict[str, list] = {k: [] for k in cmds}
    for i in range(reps + 1):  # one discarded warm-up round, then alternating rounds
        for name, cmd in cmds.items():
            r = run_child(cmd, env=env)
            if i:
                runs[name].append(r)
    out = {}
    for name, rs in runs.items():
        out[name] = {"wall_median_s": statistics.median(r["wall_s"] for r in rs),
                     "cpu_best_s": min(r["cpu_s"] for r in rs),
                     "cpu_median_s": statistics.median(r["cpu_s"] for r in rs),
                     "peak_rss_mib": max(r["maxrss_mib"] for r in rs),
                     "cpu_runs_s": [round(r["cpu_s"], 3) for r in rs]}
    if use_onnx_tool:
        out["ratio_cpu_best"] = out["wattprint"]["cpu_best_s"] / out["onnx_tool"]["cpu_best_s"]
        out["ratio_wall_median"] = out["wattprint"]["wall_median_s"] / out["onnx_tool"]["wall_median_s"]
    imp = run_child([PY, "-X", "importtime"] + wp[1:], env=env)
    per: dict[str, float] = {}
    for line in imp["stderr"].splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = line[len("import time:"):].split("|")
            try:
                us = int(parts[0])
            except ValueError:
                continue
            root = parts[2].strip().split(".")[0]
            per[root] = per.get(root, 0.0) + us / 1e6
    out["importtime_total_s"] = round(sum(per.values()), 3)
    out["importtime_top_s"] = {k: round(v, 3) for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:12]}
    for k in cmds:
        print(f"  {k}: CPU best {out[k]['cpu_best_s']:.3f} s, wall median {out[k]['wall_median_s']:.3f} s", flush=True)
    if use_onnx_tool:
        print(f"  ratio (CPU, best): {out['ratio_cpu_best']:.3f}x  (wall, median): {out['ratio_wall_median']:.3f}x")
    print(f"  -X importtime: {out['importtime_total_s']:.3f} s: {out['importtime_top_s']}", flush=True)
    return out


def bench_scale(models: dict, env: dict, reps: int) -> dict:
    path = str(models["chain_200000"])
    wp = [PY, "-m", "wattprint", "infer", path, "--format", "json", "--batch", "1"]
    runs = []
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        for _ in range(reps):
            runs.append(run_child(wp, env=env, stdout=f.name))
            print(f"  whole command: {runs[-1]['wall_s']:.2f} s wall, {runs[-1]['cpu_s']:.2f} s CPU, "
                  f"{runs[-1]['maxrss_mib'] * 1.048576:.0f} MB peak", flush=True)
        json_mb = os.path.getsize(f.name) / 1e6
    r = run_child([PY, str(Path(__file__).resolve()), "--_worker", "scale", path, "1"], env=env)
    phases = json.loads(r["stdout"].strip().splitlines()[-1])
    print(f"  phases: {phases}", flush=True)
    return {"wall_best_s": min(x["wall_s"] for x in runs), "cpu_best_s": min(x["cpu_s"] for x in runs),
            "peak_rss_mb": min(x["maxrss_mib"] for x in runs) * 1.048576,
            "runs": [{k: round(x[k], 3) for k in ("wall_s", "cpu_s", "maxrss_mib")} for x in runs],
            "json_output_mb": round(json_mb, 1), "phases_one_process": phases,
            "phases_process_peak_rss_mb": r["maxrss_mib"] * 1.048576}


def _git_rev(src: Path) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--_worker":
        kind, model, reps = sys.argv[2], sys.argv[3], int(sys.argv[4])
        out = _pernode_worker(model, reps) if kind == "pernode" else _scale_worker(model)
        print(json.dumps(out))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--_generate":
        return _generate_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="repetitions (default 5; the 200k command: 2)")
    ap.add_argument("--src", type=Path, default=None, help="measure the checkout at DIR instead of this one")
    ap.add_argument("--only", choices=["pernode", "process", "scale"], action="append")
    ap.add_argument("--no-onnx-tool", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT / "scale.json")
    ap.add_argument("--commit", default=None, help="commit to record for --src (when DIR is not a git checkout)")
    args = ap.parse_args()
    only = set(args.only or ["pernode", "process", "scale"])
    use_ot = not args.no_onnx_tool
    if use_ot:
        import importlib.util

        if importlib.util.find_spec("onnx_tool") is None:
            print("NOTICE: onnx-tool not installed (pip install -e '.[bench]'); skipping it", flush=True)
            use_ot = False
    src = args.src.resolve() if args.src else None
    env = child_env(src)
    models = ensure_models()
    res: dict = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "src": str(src or ROOT), "commit": args.commit or _git_rev(src or ROOT), "python": platform.python_version(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "loadavg_start": os.getloadavg(), "reps": args.reps,
    }
    if "pernode" in only:
        print("[pernode] analyze_proto after load, best CPU of", args.reps, flush=True)
        res["pernode"] = bench_pernode(models, env, args.reps)
    if "process" in only:
        print("[process] 10,000 nodes, whole process vs onnx-tool", flush=True)
        res["process"] = bench_process(models, env, args.reps, use_ot)
    if "scale" in only:
        print("[scale] 200,000 nodes, infer --format json", flush=True)
        res["scale"] = bench_scale(models, env, max(1, min(args.reps, 2)))
    res["loadavg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()

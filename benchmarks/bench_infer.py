#!/usr/bin/env python
"""Speed and memory benchmarks for ``wattprint infer`` (see docs/performance.md).

    python benchmarks/bench_infer.py [--quick] [--no-onnx-tool] [--reps N] [--regen]

Measures:
  1. whole-process time of ``wattprint infer BERT --format json`` against a bare
     ``python -c "import onnx; onnx.load(F)"`` on a BERT-base model with inline fp32
     weights (~110 M params, ~436 MB file); target ratio <= 1.3;
  2. wattprint vs onnx-tool (load + shape_infer + profile) on 10,000- and 40,000-node
     chain graphs, in-process and whole-process; target >= 10x, and wattprint
     scaling ~linear from 10k to 40k nodes;
  3. peak RSS of ``wattprint infer`` on a GPT-2 (124 M params) whose external-data
     file is absent; target < 150 MB; ``python -c "import onnx"`` as the floor.

Models are generated with tests/onnx_builders.py under benchmarks/out/models/ (reused
when present; --regen rebuilds them). Results: a table on stdout and
benchmarks/out/results.json. Every measured command runs as its own child process
started by a tiny fork/exec launcher that reports the command's own wall time and
ru_maxrss from os.wait4() (not RUSAGE_CHILDREN, which is the max over all children).
onnx-tool is optional (``pip install 'wattprint[bench]'`` or ``pip install onnx-tool
psutil``); without it the comparison is skipped with a notice.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
MODELS = OUT / "models"
PY = sys.executable

BERT_DIMS = ["--dim", "sequence_length=128", "--batch", "1"]
GPT2_DIMS = ["--dim", "seq=1", "--dim", "past_sequence_length=128", "--batch", "1"]
CHAIN_DIMS = ["--batch", "1"]
CHAIN_INPUT = (1, 128, 64)  # chain_graph input x: ["batch", 128, width=64]

TARGET_RATIO_LOAD = 1.3
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 150.0


# ---------------------------------------------------------------------------- child processes


#: Tiny launcher (python -S, no imports beyond os/time): forks, execs the command, and reports that
#: grandchild's own wall time and ru_maxrss. Needed because Linux records the hiwater RSS of the
#: address space a process exec()s *from*: a child spawned (fork, vfork or posix_spawn) straight
#: from this orchestrator would report max(orchestrator RSS, its own peak). The launcher's own
#: RSS (~9 MiB) is far below anything measured here, so it cannot mask a figure.
_LAUNCHER = (
    "import os, sys, time\n"
    "out, argv = sys.argv[1], sys.argv[2:]\n"
    "t0 = time.perf_counter()\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    try:\n"
    "        os.execvp(argv[0], argv)\n"
    "    finally:\n"
    "        os._exit(127)\n"
    "_, st, ru = os.wait4(pid, 0)\n"
    "wall = time.perf_counter() - t0\n"
    "with open(out, 'w') as f:\n"
    "    f.write('%r %d %d' % (wall, os.waitstatus_to_exitcode(st), ru.ru_maxrss))\n"
)


def run_child(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
    """Run ``cmd`` (through the launcher): wall time, exit status and its own peak RSS (MiB).

    stdout/stderr go to temporary files (no pipe to drain while timing)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as ruf:
        proc = subprocess.Popen([PY, "-S", "-c", _LAUNCHER, ruf.name] + cmd, stdout=out, stderr=err,
                                cwd=ROOT, env=env, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the launcher's session: launcher + measured command
            proc.wait()
            timed_out = True
        fields = ruf.read().split()
        out.seek(0)
        err.seek(0)
        return {
            "wall_s": float(fields[0]) if fields else float("nan"),
            "rc": int(fields[1]) if fields else proc.returncode,
            "timed_out": timed_out,
            "maxrss_mib": int(fields[2]) / 1024.0 if fields else float("nan"),  # Linux: KiB
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def check_ok(r: dict, what: str) -> None:
    if r["rc"] != 0 or r["timed_out"]:
        sys.stderr.write(r["stderr"][-3000:])
        raise SystemExit(f"benchmark command failed ({what}): rc={r['rc']} timed_out={r['timed_out']}")


def wattprint_cmd() -> list[str]:
    exe = Path(PY).parent / "wattprint"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("wattprint")
    return [found] if found else [PY, "-m", "wattprint"]


def summarize(times: list[float]) -> dict:
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "runs_s": [round(t, 4) for t in times]}


def interleaved(cmds: dict[str, list[str]], reps: int, warmup: int = 1, timeout: float | None = None,
                validate=None) -> dict:
    """Run the commands round-robin (A B A B ...), ``warmup`` discarded rounds first."""
    res: dict[str, dict] = {k: {"times": [], "rss": []} for k in cmds}
    for i in range(warmup + reps):
        for name, cmd in cmds.items():
            r = run_child(cmd, timeout=timeout)
            check_ok(r, name)
            if validate and i == 0:
                validate(name, r)
            if i >= warmup:
                res[name]["times"].append(r["wall_s"])
                res[name]["rss"].append(r["maxrss_mib"])
    return {k: {**summarize(v["times"]), "peak_rss_mib": max(v["rss"])} for k, v in res.items()}


def worker(kind: str, model: Path, reps: int, timeout: float | None = None) -> dict | None:
    """In-process timing in a fresh child (this script with --_worker)."""
    r = run_child([PY, str(Path(__file__).resolve()), "--_worker", kind, str(model), str(reps)], timeout=timeout)
    if r["timed_out"]:
        return None
    check_ok(r, f"worker {kind} {model.name}")
    d = json.loads(r["stdout"].strip().splitlines()[-1])
    d["peak_rss_mib"] = r["maxrss_mib"]
    return d


# ---------------------------------------------------------------------------- in-process workers


def _worker_main(kind: str, model: str, reps: int) -> None:
    t0 = time.perf_counter()
    times: list[float] = []
    info: dict = {}
    if kind == "wattprint":
        from wattprint.model import analyze_model

        t_import = time.perf_counter() - t0
        for _ in range(reps):
            t = time.perf_counter()
            mc = analyze_model(model, batch=1)
            times.append(time.perf_counter() - t)
        info["nodes"] = len(mc.nodes)
    elif kind == "onnx_tool":
        import numpy as np
        import onnx_tool

        t_import = time.perf_counter() - t0
        feed = {"x": np.zeros(CHAIN_INPUT, dtype=np.float32)}
        phases = []
        for _ in range(reps):
            t = time.perf_counter()
            m = onnx_tool.Model(model)
            t1 = time.perf_counter()
            m.graph.shape_infer(feed)
            t2 = time.perf_counter()
            m.graph.profile()
            t3 = time.perf_counter()
            times.append(t3 - t)
            phases.append({"load_s": t1 - t, "shape_infer_s": t2 - t1, "profile_s": t3 - t2})
            del m
        info["phases"] = phases
    elif kind == "phases":
        # where one `wattprint infer --format json` run spends its time (in-process, best effort:
        # uses internal entry points, so it reports an error instead of failing the benchmark)
        try:
            import onnx

            t_onnx = time.perf_counter()
            import wattprint.cli  # noqa: F401
            from wattprint.estimate import InferOptions, infer_model
            from wattprint.model import analyze_model
            from wattprint.render import to_json
            from wattprint.render.infer import infer_doc

            info["import_onnx_s"] = t_onnx - t0
            info["import_wattprint_s"] = time.perf_counter() - t_onnx
            dims = {"sequence_length": 128} if "bert" in os.path.basename(model) else {}

            best: dict[str, float] = {}

            def timed(key, fn):
                t = time.perf_counter()
                v = fn()
                best[key] = min(best.get(key, float("inf")), time.perf_counter() - t)
                return v

            for _ in range(3):  # best of 3: the first pass pays allocator / page-cache warm-up
                timed("onnx_load_s", lambda: onnx.load(model, load_external_data=False))
                timed("analyze_model_s", lambda: analyze_model(model, dims=dims, batch=1))
                res = timed("infer_model_s", lambda: infer_model(model, InferOptions(batch=1, dims=dims)))
                text = timed("render_json_s", lambda r=res: to_json(infer_doc(r)))  # (called at once: bound for B023)
            info.update(best)
            info["json_bytes"] = len(text.encode())
        except Exception as e:  # noqa: BLE001
            info["error"] = repr(e)
        print(json.dumps(info))
        return
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(json.dumps({"import_s": t_import, "first_s": times[0], **summarize(times), **info}))


def _generate_main(spec: str, path: str) -> None:
    """Build one model (in a child: keeps the orchestrator's memory small)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from onnx_builders import bert, chain_graph, gpt2_decode, save

    p = Path(path)
    if spec == "bert_inline":
        g = bert(weights="inline")
        m, params = g.model(), g.params
    elif spec == "gpt2_external":
        g = gpt2_decode(weights="external")
        m, params = g.model(), g.params
    elif spec.startswith("chain_"):
        n_nodes = int(spec.split("_")[1])
        m, params = chain_graph(n_nodes // 4), None
    else:
        raise SystemExit(f"unknown model {spec}")
    tmp = save(m, p.parent, p.name + ".tmp")
    os.replace(tmp, p)
    meta = {"spec": spec, "nodes": len(m.graph.node), "params": params, "bytes": p.stat().st_size,
            "initializers": len(m.graph.initializer),
            "external_initializers": sum(1 for t in m.graph.initializer if t.data_location == 1)}
    Path(str(p) + ".meta.json").write_text(json.dumps(meta))


def ensure_model(spec: str, name: str, regen: bool) -> tuple[Path, dict]:
    MODELS.mkdir(parents=True, exist_ok=True)
    p = MODELS / name
    meta_p = Path(str(p) + ".meta.json")
    if regen or not p.exists() or not meta_p.exists():
        t = time.perf_counter()
        r = run_child([PY, str(Path(__file__).resolve()), "--_generate", spec, str(p)])
        check_ok(r, f"generate {name}")
        print(f"  generated {name} in {time.perf_counter() - t:.1f} s", flush=True)
    meta = json.loads(meta_p.read_text())
    if meta["bytes"] != p.stat().st_size:
        raise SystemExit(f"{p} does not match its .meta.json; rerun with --regen")
    return p, meta


# ---------------------------------------------------------------------------- environment


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_gib": mem_gib,
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "onnx": _version("onnx"),
        "protobuf": _version("protobuf"),
        "numpy": _version("numpy"),
        "onnx_tool": _version("onnx-tool"),
        "wattprint": _version("wattprint"),
    }


def import_breakdown(cmd: list[str]) -> dict[str, float]:
    """Import time (s, self time summed per top-level package) of one run under -X importtime."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    r = run_child(cmd, env=env)
    check_ok(r, "importtime")
    per: dict[str, float] = {}
    for line in r["stderr"].splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        try:
            self_us = int(parts[0])
        except ValueError:  # the header line
            continue
        root = parts[2].strip().split(".")[0]
        per[root] = per.get(root, 0.0) + self_us / 1e6
    top = dict(sorted(per.items(), key=lambda kv: -kv[1])[:8])
    return {"total_s": round(sum(per.values()), 3), "top_s": {k: round(v, 3) for k, v in top.items()}}


# ---------------------------------------------------------------------------- benchmarks


def bench_load_ratio(bert: Path, reps: int) -> dict:
    wp = wattprint_cmd() + ["infer", str(bert), "--format", "json"] + BERT_DIMS
    bare = [PY, "-c", f"import onnx; onnx.load({str(bert)!r})"]

    def validate(name, r):
        if name == "wattprint":
            doc = json.loads(r["stdout"])
            assert doc["params"] > 100e6, doc["params"]

    res = interleaved({"onnx_load": bare, "wattprint": wp}, reps, validate=validate)
    ratio = res["wattprint"]["median_s"] / res["onnx_load"]["median_s"]
    # where the extra time goes: imports of one wattprint run, and the in-process analysis
    imports = import_breakdown(wp)
    onnx_imports = import_breakdown([PY, "-c", "import onnx"])
    phases = worker("phases", bert, 1)
    return {
        "model": bert.name, "model_mb": bert.stat().st_size / 1e6, "reps": reps,
        "cmd_wattprint": " ".join(wp), "cmd_onnx_load": " ".join(bare),
        "onnx_load": res["onnx_load"], "wattprint": res["wattprint"],
        "ratio_median": ratio, "ratio_min": res["wattprint"]["min_s"] / res["onnx_load"]["min_s"],
        "target": TARGET_RATIO_LOAD, "pass": ratio <= TARGET_RATIO_LOAD,
        "imports_wattprint": imports, "imports_import_onnx": onnx_imports,
        "phases_wattprint": phases,
    }


def bench_onnx_tool(chains: dict[int, Path], reps: int, use_onnx_tool: bool, ot_timeout: float,
                    quick: bool) -> dict:
    out: dict = {"onnx_tool": None, "sizes": {}}
    try:
        have_ot = use_onnx_tool and importlib.util.find_spec("onnx_tool") is not None
    except (ImportError, ValueError):
        have_ot = False
    if use_onnx_tool and not have_ot:
        print("  NOTICE: onnx-tool not installed; skipping the onnx-tool comparison "
              "(pip install onnx-tool psutil, or the 'bench' extra)", flush=True)
        out["onnx_tool_skipped"] = "not installed"
    elif not use_onnx_tool:
        out["onnx_tool_skipped"] = "--no-onnx-tool"
    else:
        out["onnx_tool"] = _version("onnx-tool")
    for n, path in sorted(chains.items()):
        print(f"  {n} nodes ...", flush=True)
        row: dict = {"model": path.name}
        row["wattprint_inproc"] = worker("wattprint", path, reps)
        wp = wattprint_cmd() + ["infer", str(path), "--format", "json"] + CHAIN_DIMS
        row["wattprint_process"] = interleaved({"wattprint": wp}, reps)["wattprint"]
        row["cmd_wattprint"] = " ".join(wp)
        row["wattprint_phases"] = worker("phases", path, 1)
        if have_ot:
            big = n > 10_000
            if big and quick:
                row["onnx_tool_inproc"] = {"skipped": "--quick"}
            else:
                ot = worker("onnx_tool", path, 1 if big else max(3, reps // 2), timeout=ot_timeout)
                if ot is None:
                    row["onnx_tool_inproc"] = {"stopped_after_s": ot_timeout}
                else:
                    row["onnx_tool_inproc"] = ot
                    row["speedup_inproc_median"] = ot["median_s"] / row["wattprint_inproc"]["median_s"]
                    row["speedup_inproc_first"] = ot["first_s"] / row["wattprint_inproc"]["first_s"]
            if not big:
                script = ("import sys, numpy as np, onnx_tool; m = onnx_tool.Model(sys.argv[1]); "
                          f"m.graph.shape_infer({{'x': np.zeros({CHAIN_INPUT}, np.float32)}}); m.graph.profile()")
                otp = [PY, "-c", script, str(path)]
                row["cmd_onnx_tool"] = " ".join(otp[:2]) + ' "..." ' + str(path)
                runs = [run_child(otp, timeout=ot_timeout) for _ in range(max(3, reps // 2))]
                if any(r["timed_out"] for r in runs):
                    row["onnx_tool_process"] = {"stopped_after_s": ot_timeout}
                else:
                    for r in runs:
                        check_ok(r, "onnx-tool process")
                    row["onnx_tool_process"] = {**summarize([r["wall_s"] for r in runs]),
                                                "peak_rss_mib": max(r["maxrss_mib"] for r in runs)}
                    row["speedup_process_median"] = (row["onnx_tool_process"]["median_s"]
                                                     / row["wattprint_process"]["median_s"])
        out["sizes"][n] = row
    if 10_000 in out["sizes"] and 40_000 in out["sizes"]:
        a, b = out["sizes"][10_000], out["sizes"][40_000]
        s_in = b["wattprint_inproc"]["median_s"] / a["wattprint_inproc"]["median_s"]
        s_pr = b["wattprint_process"]["median_s"] / a["wattprint_process"]["median_s"]
        out["wattprint_scaling_10k_to_40k"] = {
            "inproc_ratio": s_in, "inproc_exponent": math.log(s_in) / math.log(4),
            "process_ratio": s_pr, "process_exponent": math.log(s_pr) / math.log(4)}
        ot_a, ot_b = a.get("onnx_tool_inproc") or {}, b.get("onnx_tool_inproc") or {}
        if "median_s" in ot_a and "median_s" in ot_b:
            s = ot_b["median_s"] / ot_a["median_s"]
            out["onnx_tool_scaling_10k_to_40k"] = {"inproc_ratio": s, "inproc_exponent": math.log(s) / math.log(4)}
    ten = out["sizes"].get(10_000, {})
    out["target"] = TARGET_SPEEDUP
    if "speedup_inproc_median" in ten:
        out["pass_inproc"] = ten["speedup_inproc_median"] >= TARGET_SPEEDUP
        out["pass_process"] = ten["speedup_process_median"] >= TARGET_SPEEDUP
    return out


def bench_memory(gpt2: Path, reps: int) -> dict:
    data = gpt2.parent / "weights.data"
    if data.exists():
        raise SystemExit(f"{data} exists; the memory benchmark needs the external data absent")
    wp = wattprint_cmd() + ["infer", str(gpt2), "--format", "json"] + GPT2_DIMS
    floor = [PY, "-c", "import onnx"]
    rows = {}
    for name, cmd in (("wattprint", wp), ("import_onnx", floor),
                      ("onnx_load_no_external", [PY, "-c", f"import onnx; onnx.load({str(gpt2)!r}, "
                                                          "load_external_data=False)"])):
        rss, times = [], []
        for i in range(reps):
            r = run_child(cmd)
            check_ok(r, name)
            if name == "wattprint" and i == 0:
                doc = json.loads(r["stdout"])
                rows["params_reported"] = doc["params"]
                rows["stderr"] = r["stderr"].strip()
            rss.append(r["maxrss_mib"])
            times.append(r["wall_s"])
        rows[name] = {"peak_rss_mib": max(rss), "runs_mib": [round(x, 1) for x in rss],
                      "median_s": statistics.median(times)}
    gnu_time = "/usr/bin/time"
    if os.path.exists(gnu_time):  # cross-check of the wait4 figure
        r = run_child([gnu_time, "-f", "MAXRSS_KB=%M"] + wp)
        for line in r["stderr"].splitlines():
            if line.startswith("MAXRSS_KB="):
                rows["gnu_time_peak_rss_mib"] = int(line.split("=")[1]) / 1024.0
    peak_mb = rows["wattprint"]["peak_rss_mib"] * 1.048576  # MiB -> MB
    return {"model": gpt2.name, "model_kb": gpt2.stat().st_size / 1e3, "cmd_wattprint": " ".join(wp), **rows,
            "peak_rss_mb": peak_mb, "target_mb": TARGET_RSS_MB, "pass": peak_mb < TARGET_RSS_MB}


# ---------------------------------------------------------------------------- report


def report(res: dict) -> None:
    m = res["machine"]
    print()
    print(f"machine: {m['cpu']} ({m['cpus_usable']} usable CPUs), {m['mem_gib']} GiB, Python {m['python']}, "
          f"onnx {m['onnx']}, onnx-tool {m['onnx_tool']}, {m['date']}")
    rows = []
    a = res.get("load_ratio")
    if a:
        rows.append(("1 BERT inline: onnx.load process", f"{a['onnx_load']['median_s']:.2f} s", "", ""))
        rows.append(("1 BERT inline: wattprint infer process", f"{a['wattprint']['median_s']:.2f} s", "", ""))
        rows.append(("1 ratio wattprint / onnx.load", f"{a['ratio_median']:.2f}x", "<= 1.3x",
                     "PASS" if a["pass"] else "FAIL"))
    b = res.get("onnx_tool")
    if b:
        for n, row in sorted(b["sizes"].items(), key=lambda kv: int(kv[0])):
            rows.append((f"2 {n} nodes: wattprint analyze_model (in-proc)",
                         f"{row['wattprint_inproc']['median_s']:.3f} s", "", ""))
            rows.append((f"2 {n} nodes: wattprint infer (process)", f"{row['wattprint_process']['median_s']:.2f} s",
                         "", ""))
            ot = row.get("onnx_tool_inproc")
            if ot and "median_s" in ot:
                rows.append((f"2 {n} nodes: onnx-tool load+shape_infer+profile (in-proc)",
                             f"{ot['median_s']:.2f} s", "", ""))
                rows.append((f"2 {n} nodes: speed-up in-proc", f"{row['speedup_inproc_median']:.1f}x",
                             ">= 10x" if int(n) == 10_000 else "", _pf(row['speedup_inproc_median'] >= 10)
                             if int(n) == 10_000 else ""))
            elif ot and "stopped_after_s" in ot:
                rows.append((f"2 {n} nodes: onnx-tool (in-proc)", f"> {ot['stopped_after_s']:.0f} s, stopped", "", ""))
            if "speedup_process_median" in row:
                rows.append((f"2 {n} nodes: onnx-tool (process)", f"{row['onnx_tool_process']['median_s']:.2f} s",
                             "", ""))
                rows.append((f"2 {n} nodes: speed-up process", f"{row['speedup_process_median']:.1f}x", ">= 10x",
                             _pf(row["speedup_process_median"] >= 10)))
            elif "stopped_after_s" in (row.get("onnx_tool_process") or {}):
                rows.append((f"2 {n} nodes: onnx-tool (process)",
                             f"> {row['onnx_tool_process']['stopped_after_s']:.0f} s, stopped", "", ""))
        sc = b.get("wattprint_scaling_10k_to_40k")
        if sc:
            rows.append(("2 wattprint 10k->40k time ratio (in-proc)",
                         f"{sc['inproc_ratio']:.2f}x (n^{sc['inproc_exponent']:.2f})", "~4x (linear)",
                         _pf(sc["inproc_exponent"] < 1.25)))
        sc = b.get("onnx_tool_scaling_10k_to_40k")
        if sc:
            rows.append(("2 onnx-tool 10k->40k time ratio (in-proc)",
                         f"{sc['inproc_ratio']:.1f}x (n^{sc['inproc_exponent']:.2f})", "", ""))
        if b.get("onnx_tool_skipped"):
            rows.append(("2 onnx-tool comparison", f"skipped ({b['onnx_tool_skipped']})", "", ""))
    c = res.get("memory")
    if c:
        rows.append(("3 GPT-2 external absent: wattprint peak RSS", f"{c['peak_rss_mb']:.0f} MB", "< 150 MB",
                     _pf(c["pass"])))
        rows.append(("3 floor: python -c 'import onnx' peak RSS",
                     f"{c['import_onnx']['peak_rss_mib'] * 1.048576:.0f} MB", "", ""))
    w = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:>22}  {r[2]:>12}  {r[3]}")


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        return _worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if len(sys.argv) > 1 and sys.argv[1] == "--_generate":
        return _generate_main(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions, onnx-tool not run on 40k nodes")
    ap.add_argument("--no-onnx-tool", action="store_true", help="skip the onnx-tool comparison")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per measurement (default 5, quick 3)")
    ap.add_argument("--onnx-tool-timeout", type=float, default=150.0,
                    help="stop an onnx-tool run after this many seconds (default 150)")
    ap.add_argument("--out", type=Path, default=OUT / "results.json", help="results file (default %(default)s)")
    ap.add_argument("--regen", action="store_true", help="rebuild the generated models")
    ap.add_argument("--env-as-is", action="store_true",
                    help="keep PYTHONDONTWRITEBYTECODE etc. as they are (default: children cache bytecode "
                         "under benchmarks/out/pycache, as a normal install has .pyc files)")
    ap.add_argument("--only", choices=["load", "onnx-tool", "memory"], action="append",
                    help="run only this benchmark (repeatable)")
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 5)
    only = set(args.only or ["load", "onnx-tool", "memory"])
    t_start = time.perf_counter()
    if not args.env_as_is:
        # an editable install under PYTHONDONTWRITEBYTECODE=1 recompiles wattprint's sources on every
        # run; a pip-installed wattprint has .pyc files. Cache bytecode outside the source tree.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ.setdefault("PYTHONPYCACHEPREFIX", str(OUT / "pycache"))
    res: dict = {"machine": machine(), "argv": sys.argv[1:], "reps": reps,
                 "env": {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}}
    print("generating / reusing models under", MODELS.relative_to(ROOT), flush=True)
    models = {}
    if "load" in only:
        models["bert"] = ensure_model("bert_inline", "bert_base_inline.onnx", args.regen)
    if "memory" in only:
        models["gpt2"] = ensure_model("gpt2_external", "gpt2_external_absent.onnx", args.regen)
    chains = {}
    if "onnx-tool" in only:
        for n in (10_000, 40_000):
            p, meta = ensure_model(f"chain_{n}", f"chain_{n}.onnx", args.regen)
            models[f"chain_{n}"] = (p, meta)
            chains[n] = p
    res["models"] = {k: v[1] for k, v in models.items()}
    if "load" in only:
        print("[1] whole-process time: wattprint infer vs onnx.load on inline-weight BERT-base", flush=True)
        res["load_ratio"] = bench_load_ratio(models["bert"][0], reps)
    if "onnx-tool" in only:
        print("[2] wattprint vs onnx-tool on 10k / 40k-node graphs", flush=True)
        res["onnx_tool"] = bench_onnx_tool(chains, reps, not args.no_onnx_tool, args.onnx_tool_timeout, args.quick)
    if "memory" in only:
        print("[3] peak RSS: wattprint infer on GPT-2 with absent external data", flush=True)
        res["memory"] = bench_memory(models["gpt2"][0], reps)
    res["machine"]["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    res["total_s"] = time.perf_counter() - t_start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, default=str))
    report(res)
    print(f"\ntotal {res['total_s']:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()

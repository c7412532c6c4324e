"""Extract NVIDIA-harness MaxQ settings (gpu_batch_size, power_limit) from MLPerf results repos.

One-off research helper for scripts/build_measured.py: it reads a LOCAL git mirror of
mlcommons/inference_results_v2.1 / _v3.0 (``git show <commit>:<path>``; no network) and prints, for
each MLPerf row of the measured set, the config class that produced it and its gpu_batch_size /
dla_batch_size / power_limit, resolved through the class hierarchy statically (``ast``; the configs
are never imported or run). The output is pasted, checked by hand, into MLPERF_SETTINGS in
build_measured.py with the file path cited.

Usage: python scripts/extract_mlperf_configs.py MEASURED.csv REPO_V21_GIT_DIR REPO_V30_GIT_DIR
"""

from __future__ import annotations

import ast
import csv
import re
import subprocess
import sys

BENCH_DIR = {"resnet50": "resnet50", "bert-99": "bert", "bert-99.9": "bert", "retinanet": "retinanet",
             "rnnt": "rnnt", "3d-unet-99": "3d-unet", "3d-unet-99.9": "3d-unet"}
ATTRS = ("gpu_batch_size", "dla_batch_size", "power_limit", "system")


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def classes_in(repo: str, commit: str, folder: str, scenario: str) -> dict[str, dict]:
    """Classes of configs/<bench>/__init__.py, then configs/<bench>/<scenario>/*.py (later win)."""
    out: dict[str, dict] = {}
    names = git(repo, "ls-tree", "-r", "--name-only", commit, folder).split()
    names = [n for n in names if n == f"{folder}/__init__.py"] + sorted(
        n for n in names if n.startswith(f"{folder}/{scenario}/"))
    for path in names:
        if not path.endswith(".py"):
            continue
        try:
            tree = ast.parse(git(repo, "show", f"{commit}:{path}"))
        except SyntaxError as exc:
            print(f"# skipped {path}: {exc}", file=sys.stderr)
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            attrs = {}
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in ATTRS:
                    attrs[stmt.targets[0].id] = ast.unparse(stmt.value)
            decos = [ast.unparse(d) for d in node.decorator_list]
            out[node.name] = {"bases": [ast.unparse(b) for b in node.bases], "attrs": attrs, "decos": decos,
                              "path": path, "line": node.lineno}
    return out


def resolve(classes: dict[str, dict], name: str, attr: str):
    seen = set()
    while name in classes and name not in seen:
        seen.add(name)
        c = classes[name]
        if attr in c["attrs"]:
            return c["attrs"][attr], c["path"], c["line"]
        name = c["bases"][0] if c["bases"] else ""
    return None


def norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def main(csv_path: str, repo21: str, repo30: str) -> None:
    rows = [r for r in csv.DictReader(open(csv_path, encoding="utf-8")) if r["source_kind"] == "mlperf"]
    cache: dict[tuple, dict] = {}
    for r in rows:
        m = re.match(r"mlcommons/inference_results_(v[\d.]+)@([0-9a-f]+):closed/([^/]+)/results/([^/]+)/([^/]+)/([^/]+)/", r["provenance"])
        rnd, commit, sub, sysname, bench, scen = m.groups()
        repo = repo21 if rnd == "v2.1" else repo30
        folder = f"closed/{sub}/configs/{BENCH_DIR[bench]}"
        key = (repo, commit, folder, scen)
        if key not in cache:
            try:
                cache[key] = classes_in(repo, commit, folder, scen)
            except subprocess.CalledProcessError:
                cache[key] = {}
        classes = cache[key]
        acc = "k_99_9" if bench.endswith("99.9") else "k_99"
        want = norm(sysname.replace("_TRT", "").replace("MaxQ", ""))
        best = []
        for name, c in classes.items():
            if f"/{scen}/" not in c["path"]:
                continue
            d = " ".join(c["decos"])
            if "PowerSetting.MaxQ" not in d or f"AccuracyTarget.{acc})" not in d.replace(", PowerSetting.MaxQ", ")"):
                continue
            if "Triton" in d:
                continue
            sysattr = resolve(classes, name, "system")
            cand = norm((sysattr[0] if sysattr else "").replace("KnownSystem.", "").replace("MaxQ", ""))
            if cand and (cand in want or want.endswith(cand)):
                best.append((len(cand), name))
        if not best:
            print(r["id"], sysname, bench, scen, "-", sep="\t")
            continue
        name = max(best)[1]
        vals = {a: resolve(classes, name, a) for a in ("gpu_batch_size", "dla_batch_size", "power_limit")}
        cell = "; ".join(f"{a}={v[0]} ({v[1]}:{v[2]})" for a, v in vals.items() if v)
        print(r["id"], sysname, bench, scen, name, cell, sep="\t")


if __name__ == "__main__":
    main(*sys.argv[1:4])

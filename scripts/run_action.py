#!/usr/bin/env python3
"""Run the composite action's steps (action.yml) the way GitHub Actions runs them, without GitHub.

For each step with a ``run:`` script: the ``${{ inputs.* }}``, ``${{ github.action_path }}`` and
``${{ steps.*.outputs.* }}`` expressions in ``env:``, ``working-directory:`` and the script are evaluated
first (as the runner does), then the script runs under ``bash --noprofile --norc -eo pipefail`` with
GITHUB_ACTIONS, GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY set to files
that are read back afterwards. ``uses:`` steps (actions/setup-python) are skipped: the Python on PATH is used.

    python scripts/run_action.py --workdir examples/ci --input config=wattprint.yaml [--skip-install]

prints one JSON object: the action's outputs (mapped through its ``outputs:`` block), each step's exit
code, the step summary and the annotations. Exit status: the first failing step's, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _evaluate(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        expr = match.group(1)
        if expr not in context:
            raise SystemExit(f"run_action: unsupported expression ${{{{ {expr} }}}}")
        return context[expr]

    return EXPR.sub(value, str(text))


def _read_outputs(path: Path) -> dict[str, str]:
    """name=value lines (and name<<DELIM heredocs) as GitHub parses $GITHUB_OUTPUT."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delim = line.split("<<", 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, val = line.split("=", 1)
            out[name] = val
        i += 1
    return out


def run_action(action_dir: Path, workdir: Path, inputs: dict[str, str], *, skip_install: bool = False,
               env: dict[str, str] | None = None) -> dict:
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise SystemExit(f"run_action: unknown input(s) {sorted(unknown)}")
    values = {k: str(inputs.get(k, (spec or {}).get("default", ""))) for k, spec in declared.items()}
    tmp = Path(tempfile.mkdtemp(prefix="wattprint-action-"))
    summary = tmp / "step_summary.md"
    summary.touch()
    context = {f"inputs.{k}": v for k, v in values.items()}
    context["github.action_path"] = str(action_dir)
    base_env = {**(env if env is not None else os.environ), "GITHUB_ACTIONS": "true", "CI": "true",
                "GITHUB_ACTION_PATH": str(action_dir), "GITHUB_WORKSPACE": str(workdir),
                "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(tmp)}
    steps, step_outputs, failed = [], {}, 0
    for n, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            steps.append({"name": step.get("name"), "skipped": f"uses: {step['uses']}"})
            continue
        if skip_install and "pip install" in step["run"]:
            steps.append({"name": step.get("name"), "skipped": "--skip-install", "run": _evaluate(step["run"], context)})
            continue
        output_file = tmp / f"output_{n}"
        output_file.touch()
        step_env = {**base_env, "GITHUB_OUTPUT": str(output_file)}
        step_env.update({k: _evaluate(v, context) for k, v in (step.get("env") or {}).items()})
        cwd = workdir / _evaluate(step.get("working-directory", "."), context)
        run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _evaluate(step["run"], context)],
                             cwd=cwd, env=step_env, capture_output=True, text=True, timeout=600)
        outputs = _read_outputs(output_file)
        if step.get("id"):
            step_outputs[step["id"]] = outputs
            for k, v in outputs.items():
                context[f"steps.{step['id']}.outputs.{k}"] = v
        steps.append({"name": step.get("name"), "id": step.get("id"), "exit_code": run.returncode,
                      "stdout": run.stdout, "stderr": run.stderr, "outputs": outputs})
        if run.returncode != 0:
            failed = run.returncode
            break  # a failed step stops the job
    outputs = {}
    for k, spec in (action.get("outputs") or {}).items():
        expr = EXPR.search(spec["value"]).group(1)
        outputs[k] = context.get(expr, "")
    annotations = [line for s in steps for line in (s.get("stdout", "") + s.get("stderr", "")).splitlines()
                   if line.startswith("::")]
    return {"exit_code": failed, "outputs": outputs, "steps": steps, "step_summary": summary.read_text(),
            "annotations": annotations}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path.cwd(), help="the workspace (the repository checked out)")
    parser.add_argument("--action", type=Path, default=ROOT, help="the folder holding action.yml")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--skip-install", action="store_true", help="use the wattprint already on PATH")
    args = parser.parse_args()
    inputs = dict(item.split("=", 1) for item in args.input)
    result = run_action(args.action.resolve(), args.workdir.resolve(), inputs, skip_install=args.skip_install)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return result["exit_code"]


if __name__ == "__main__":
    sys.exit(main())

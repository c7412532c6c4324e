"""`wattprint check`: enforce a carbon budget (wattprint.yaml) in CI.

Exit codes: 0 every
error-level assertion holds, 1 a budget is exceeded, 2 usage/config/input
error, 3 internal error.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from wattprint.commands import options as o
from wattprint.commands.common import console as make_console
from wattprint.vocab import SUFFIX_FORMATS, FailOn, OutputFormat

CHECK_FORMATS = o.CHECK_FORMATS

#: the report formats `-o FILE` can write, by suffix
OUTPUT_FORMATS = {suffix: fmt for suffix, fmt in SUFFIX_FORMATS.items() if fmt in CHECK_FORMATS}


def check_report(report, fail_on: str, report_only: bool):
    """The check's :class:`~wattprint.render.formats.Report`: its JSON document and tables, and its own markdown
    (with the summary line) and JUnit XML."""
    from wattprint.render.check import check_doc, check_junit, check_markdown, check_sections
    from wattprint.render.formats import Report

    return Report(
        title=f"Carbon budget: {report.budget_file}",
        doc=lambda: check_doc(report),
        sections=lambda: check_sections(report),
        text={OutputFormat.markdown: lambda: check_markdown(report, fail_on, report_only) + "\n",
              OutputFormat.junit: lambda: check_junit(report, fail_on)},
    )


def _write(path: Path, text: str, what: str) -> None:
    from wattprint.errors import WattprintError

    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():  # never create folders: a PR must not make the check write elsewhere
        raise WattprintError(f"{path}: folder {parent} does not exist", hint=f"create it first, or write the {what} elsewhere")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WattprintError(f"{path}: cannot write the {what} ({exc.strerror or exc})") from None


def _append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        sys.stderr.write(f"wattprint: warning: cannot append to {path}: {exc.strerror or exc}\n")


def _short(path: Path) -> Path:
    """A path relative to the working directory when it lies inside it (shorter messages), else as is."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _in_actions() -> bool:
    """In GitHub Actions (GITHUB_ACTIONS set, and not to a false value)."""
    return os.environ.get("GITHUB_ACTIONS", "").strip().lower() not in ("", "0", "false")


def _annotation_path(budget: Path) -> str:
    """The budget file relative to the workspace (what GitHub needs to place an annotation)."""
    root = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    try:
        rel = os.path.relpath(budget.resolve(), Path(root).resolve())
    except ValueError:  # another drive on Windows
        return budget.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else budget.as_posix()


def check(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", metavar="PATH",
        help="Budget file (default: $WATTPRINT_CONFIG, else wattprint.yaml or carbon-budget.yaml found upward "
             "from here to the repository root).")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", metavar="FILE", help="Baseline JSON for max_increase checks (from --write-baseline or --format json). "
                                           "Missing: relative checks are skipped with a notice.")] = None,
    write_baseline: Annotated[Path | None, typer.Option(
        "--write-baseline", metavar="FILE", help="Write this run's results as a baseline JSON.")] = None,
    fmt: o.CheckFormat = OutputFormat.table,
    output: Annotated[list[Path] | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Also write the report to FILE (repeatable; .json, .md, .html or .xml for JUnit).")] = None,
    fail_on: o.FailOnOpt = FailOn.error,
    report_only: Annotated[bool, typer.Option("--report-only", help="Report, but never fail on budgets (exit 0).")] = False,
    hw_file: o.HwFile = None,
    allow_outside_paths: Annotated[bool, typer.Option(
        "--allow-outside-paths",
        help="Let the budget file name models, specs and grid files outside its own folder.")] = False,
) -> None:
    """Check models and training runs against a carbon budget (wattprint.yaml); exit 1 when one is exceeded."""
    from wattprint.check import exit_code, find_budget, load_baseline, load_budget, run_check
    from wattprint.errors import WattprintError
    from wattprint.render.check import (
        check_baseline_json,
        check_markdown,
        check_sections,
        escape_data,
        escape_property,
        github_annotations,
        github_outputs,
        summary_line,
    )
    from wattprint.render.formats import to_format

    targets_out = []
    for path in output or ():
        kind = OUTPUT_FORMATS.get(path.suffix.lower())
        if kind is None:
            raise WattprintError(f"-o {path}: cannot tell the format from {path.suffix or 'no extension'!r}",
                                 hint="use .json, .md, .html or .xml (JUnit)")
        targets_out.append((path, kind))

    budget_path = None
    try:
        budget_path = _short(find_budget(config, Path.cwd(), os.environ))
        budget = load_budget(budget_path, allow_outside_paths=allow_outside_paths)
        base_doc = load_baseline(baseline) if baseline is not None else None
        report = run_check(budget, base_doc, baseline_path=baseline, hw_files=tuple(hw_file or ()))
    except WattprintError as exc:
        if _in_actions():  # the error also shows as an annotation, and the step's outputs say so
            where = f"file={escape_property(_annotation_path(budget_path))}," if budget_path else ""
            sys.stdout.write(f"::error {where}title={escape_property('wattprint check: configuration error')}::{escape_data(str(exc))}\n")
            sys.stdout.flush()
            if os.environ.get("GITHUB_OUTPUT"):
                _append(os.environ["GITHUB_OUTPUT"], "status=error\nfailed=0\nwarnings=0\n")
        raise
    from wattprint.cli_errors import stop_progress

    stop_progress()  # before any output
    shown_path = _annotation_path(budget_path)
    report = dataclasses.replace(report, budget_file=Path(shown_path))
    fail = fail_on.value

    for path, kind in targets_out:
        _write(path, to_format(kind)(check_report(report, fail, report_only)), "report")
    if write_baseline is not None:
        _write(write_baseline, check_baseline_json(report), "baseline")

    machine = fmt.machine
    for target in report.targets:
        for w in target.warnings:
            sys.stderr.write(f"wattprint: warning: {target.name}: {w}\n")
    for notice in report.notices:
        sys.stderr.write(f"wattprint: notice: {notice}\n")
    if machine:
        sys.stdout.write(to_format(fmt)(check_report(report, fail, report_only)))
    else:
        from wattprint.render import print_tables

        print_tables(make_console(), f"Carbon budget: {shown_path}", check_sections(report))
    summary = summary_line(report, fail, report_only)
    if write_baseline is not None:
        summary += f"; baseline written to {write_baseline}"
    (sys.stderr if machine else sys.stdout).write(summary + "\n")
    sys.stdout.flush()

    if _in_actions():
        stream = sys.stderr if machine else sys.stdout
        for line in github_annotations(report, shown_path, fail, report_only):
            stream.write(line + "\n")
        stream.flush()
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            _append(os.environ["GITHUB_STEP_SUMMARY"], check_markdown(report, fail, report_only) + "\n")
        if os.environ.get("GITHUB_OUTPUT"):
            _append(os.environ["GITHUB_OUTPUT"], github_outputs(report))

    code = exit_code(report, fail, report_only)
    if code:
        raise typer.Exit(code)

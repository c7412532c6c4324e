"""Renderers for `wattprint check`: JSON document, tables, Markdown, JUnit XML, GitHub annotations.

They turn a :class:`~wattprint.check.CheckReport` into text; they never compute
budgets, print or exit.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from xml.etree import ElementTree as ET

from wattprint.check.evaluate import AssertionResult, CheckReport, TargetResult, fails_step
from wattprint.check.metrics import METRICS, fmt_delta, fmt_metric
from wattprint.render import Section
from wattprint.units import fmt_number
from wattprint.vocab import CheckStatus

STATUS_ICON = {CheckStatus.passed: "✅", CheckStatus.warn: "⚠️", CheckStatus.fail: "❌", CheckStatus.skipped: "⏭️"}
STATUS_STYLE = {CheckStatus.passed: "green", CheckStatus.warn: "yellow", CheckStatus.fail: "bold red", CheckStatus.skipped: "dim"}
#: the id of the JSON result document (``check --format json``, and the baseline format)
RESULT_SCHEMA = "https://wattprint.dev/schemas/check-result-1.json"
COLUMNS = ("metric", "actual", "limit", "baseline", "delta", "status")


# ----------------------------------------------------------------------------- pieces


def limit_cell(a: AssertionResult) -> str:
    if a.kind == "max":
        return fmt_metric(a.metric, a.limit)
    text = f"+{fmt_number(a.max_increase_pct or 0.0, 3)}%"
    if a.floor is not None:
        text += f" (floor {fmt_metric(a.metric, a.floor)})"
    if a.limit is not None:
        text += f" = {fmt_metric(a.metric, a.limit)}"
    return text


def status_cell(a: AssertionResult) -> str:
    """'pass', 'warn', 'fail', or 'skipped: why'."""
    if a.status is CheckStatus.skipped:
        return a.message
    if (a.status is CheckStatus.passed and a.kind == "max_increase" and a.delta_pct is not None
            and a.max_increase_pct is not None and a.delta_pct > a.max_increase_pct):
        return "pass (increase under the floor)"
    return a.status


def _row(a: AssertionResult) -> tuple[str, ...]:
    return (a.metric, fmt_metric(a.metric, a.actual), limit_cell(a), fmt_metric(a.metric, a.baseline),
            fmt_delta(a.delta_pct), status_cell(a))


def _target_title(t: TargetResult) -> str:
    return f"{t.name} ({t.kind} {t.path}, {t.assumptions.get('hardware')}, {t.assumptions.get('region')}): {t.status}"


def summary_line(report: CheckReport, fail_on: str = "error", report_only: bool = False) -> str:
    """'wattprint check: FAIL: 1 failed, 0 warnings, 3 passed, 1 skipped in 2 targets (wattprint.yaml)'."""
    counts = (f"{report.failed} failed, {report.warnings} warning{'s' if report.warnings != 1 else ''}, "
              f"{report.count(CheckStatus.passed)} passed, {report.count(CheckStatus.skipped)} skipped")
    n = len(report.targets)
    text = f"wattprint check: {report.status.upper()}: {counts} in {n} target{'s' if n != 1 else ''} ({report.budget_file})"
    if report_only and (report.failed or report.warnings):
        text += " [--report-only: not failing]"
    elif fail_on == "warn" and report.warnings and not report.failed:
        text += " [--fail-on warn: warnings fail]"
    return text


def what_to_do(t: TargetResult) -> str | None:
    return t.message if t.message and t.status in (CheckStatus.fail, CheckStatus.warn) else None


# ----------------------------------------------------------------------------- JSON


def _assertion_doc(a: AssertionResult) -> dict[str, Any]:
    return {
        "metric": a.metric,
        "unit": a.unit,
        "type": a.kind,
        "level": a.level,
        "limit_text": a.limit_text,
        "limit": a.limit,
        "max_increase_pct": a.max_increase_pct,
        "floor": a.floor,
        "actual": a.actual,
        "baseline": a.baseline,
        "delta_pct": a.delta_pct,
        "status": a.status,
        "message": a.message,
        "line": a.line,
    }


def check_doc(report: CheckReport) -> dict[str, Any]:
    """The JSON result; it is also the baseline format (--write-baseline / --baseline)."""
    from wattprint.render.common import provenance

    prov = provenance()
    return {
        "$schema": RESULT_SCHEMA,
        "kind": "check",
        "status": report.status,
        "budget_file": str(report.budget_file),
        "baseline_file": str(report.baseline_file) if report.baseline_file else None,
        "baseline_found": report.baseline_found,
        "baseline_mismatch": report.baseline_mismatch,
        "summary": {
            "targets": len(report.targets),
            "failed": report.failed,
            "warnings": report.warnings,
            "passed": report.count(CheckStatus.passed),
            "skipped": report.count(CheckStatus.skipped),
        },
        "notices": list(report.notices),
        "targets": [
            {
                "name": t.name,
                "kind": t.kind,
                "model" if t.kind == "model" else "spec": t.path,
                "status": t.status,
                "message": t.message,
                "metrics": dict(t.metrics),
                "units": {m: METRICS[m][1] for m in t.metrics},
                "inputs": dict(t.assumptions),
                "baseline_found": t.baseline_found,
                "baseline_mismatch": [{"field": m.field, "baseline": m.baseline, "current": m.current}
                                      for m in t.baseline_mismatch],
                "assertions": [_assertion_doc(a) for a in t.assertions],
                "warnings": list(t.warnings),
            }
            for t in report.targets
        ],
        "wattprint_version": prov["wattprint_version"],
        "data_version": report.data_version or prov["data_version"],
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def check_baseline_json(report: CheckReport) -> str:
    """The JSON result at full precision (``--format json`` rounds to 6 digits): what --write-baseline writes."""
    return json.dumps(_finite(check_doc(report)), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------- tables and Markdown


def check_sections(report: CheckReport) -> list[Section]:
    """One table per target: metric, actual, limit, baseline, delta, status."""
    sections = []
    for t in report.targets:
        caption = None
        if what_to_do(t):
            caption = f"What to do: {t.message}"
        sections.append(Section(
            title=_target_title(t),
            columns=COLUMNS,
            rows=tuple(_row(a) for a in t.assertions),
            numeric=(1, 2, 3, 4),
            styles=tuple(STATUS_STYLE[a.status] for a in t.assertions),
            caption=caption,
            optional=(3, 4),
        ))
    return sections


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def check_markdown(report: CheckReport, fail_on: str = "error", report_only: bool = False) -> str:
    """The report as GitHub-flavoured Markdown (also what goes to $GITHUB_STEP_SUMMARY)."""
    icon = STATUS_ICON[report.status]
    out = [f"## {icon} wattprint check: {report.status}", ""]
    out.append(_md(summary_line(report, fail_on, report_only).split(": ", 2)[2]))
    baseline = f"`{_md(report.baseline_file)}`" if report.baseline_found else "none"
    out += ["", f"Budget file: `{_md(report.budget_file)}`. Baseline: {baseline}.", ""]
    for notice in report.notices:
        out.append(f"> **Note:** {_md(notice)}")
        out.append("")
    for t in report.targets:
        out.append(f"### {STATUS_ICON[t.status]} {_md(t.name)}")
        out.append("")
        out.append(f"{t.kind} `{_md(t.path)}` on {_md(t.assumptions.get('hardware'))}, "
                   f"region {_md(t.assumptions.get('region'))}")
        out.append("")
        out.append("| " + " | ".join(COLUMNS) + " |")
        out.append("|---|---:|---:|---:|---:|---|")
        for a in t.assertions:
            cells = list(_row(a))
            cells[-1] = f"{STATUS_ICON[a.status]} {status_cell(a)}" + (" (warn)" if a.level == "warn" and a.status is CheckStatus.passed else "")
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
        if what_to_do(t):
            out += [f"**What to do:** {_md(t.message)}", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------- JUnit


def check_junit(report: CheckReport, fail_on: str = "error") -> str:
    """JUnit XML: one testsuite per target, one testcase per assertion; failures per --fail-on."""
    total = sum(len(t.assertions) for t in report.targets)
    failures = sum(fails_step(a, fail_on) for t in report.targets for a in t.assertions)
    skipped = report.count(CheckStatus.skipped)
    x = _xml_text
    root = ET.Element("testsuites", name="wattprint check", tests=str(total), failures=str(failures),
                      errors="0", skipped=str(skipped))
    for t in report.targets:
        t_fail = sum(fails_step(a, fail_on) for a in t.assertions)
        t_skip = sum(a.status is CheckStatus.skipped for a in t.assertions)
        suite = ET.SubElement(root, "testsuite", name=x(t.name), tests=str(len(t.assertions)), failures=str(t_fail),
                              errors="0", skipped=str(t_skip), file=x(report.budget_file))
        for a in t.assertions:
            case = ET.SubElement(suite, "testcase", classname=x(f"wattprint.{t.name}"),
                                 name=x(f"{a.metric} {a.kind} {a.limit_text}"), file=x(report.budget_file))
            if a.line:
                case.set("line", str(a.line))
            detail = x(a.message + (f"\nWhat to do: {t.message}" if t.message else ""))
            if fails_step(a, fail_on):
                failure = ET.SubElement(case, "failure", message=x(a.message), type=f"budget-{a.level}")
                failure.text = detail
            elif a.status is CheckStatus.skipped:
                ET.SubElement(case, "skipped", message=x(a.message))
            elif a.status is CheckStatus.warn:
                out = ET.SubElement(case, "system-out")
                out.text = f"warning: {detail}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


#: characters XML 1.0 cannot hold (controls other than tab, newline and carriage return; surrogates; U+FFFE/F)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: Any) -> str:
    """Text for a JUnit attribute or element: what XML cannot hold becomes U+FFFD (a path may hold anything)."""
    return _NOT_XML.sub("\ufffd", str(text))


# ----------------------------------------------------------------------------- GitHub Actions


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: CheckReport, budget_file: str, fail_on: str = "error", report_only: bool = False) -> list[str]:
    """`::error file=...,line=...,title=...::...` lines for failed/warned assertions, `::notice` for notices."""
    lines = []
    for t in report.targets:
        for a in t.assertions:
            if a.status not in (CheckStatus.fail, CheckStatus.warn):
                continue
            level = "error" if fails_step(a, fail_on) and not report_only else "warning"
            props = [f"file={escape_property(budget_file)}"]
            if a.line:
                props.append(f"line={a.line}")
            title = f"wattprint check: {t.name} {a.metric} over budget"
            props.append(f"title={escape_property(title)}")
            body = f"{t.name}: {a.metric} {a.message}"
            if t.message:
                body += f". What to do: {t.message}"
            lines.append(f"::{level} {','.join(props)}::{escape_data(body)}")
    for notice in report.notices:
        lines.append(f"::notice file={escape_property(budget_file)},title=wattprint check::{escape_data(notice)}")
    return lines


def github_outputs(report: CheckReport) -> str:
    """Lines for $GITHUB_OUTPUT: status, failed, warnings."""
    return f"status={report.status}\nfailed={report.failed}\nwarnings={report.warnings}\n"

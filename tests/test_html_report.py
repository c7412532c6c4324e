"""`--format html` / `-o report.html`: the SVG charts by hand, the CLI wiring, and the page in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wattprint.render import Section
from wattprint.render.html import bar_chart, generation_chart, parts_chart, stacked_bar, to_html


def _rect_widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]


def test_bar_lengths_are_proportional_to_values():
    svg = bar_chart([("a", 4.0, "4 J", "bar"), ("b", 1.0, "1 J", "bar"), ("c", 2.0, "2 J", "bar")])
    a, b, c = _rect_widths(svg)
    assert a == pytest.approx(4 * b, rel=0.02) and c == pytest.approx(2 * b, rel=0.02)
    assert bar_chart([]) == "" and bar_chart([("z", 0.0, "0", "bar")]) == ""


def test_stacked_bar_shares():
    svg = stacked_bar([("x", 1.0, "accelerator"), ("y", 3.0, "host")], "J", width=400)
    assert _rect_widths(svg) == [100.0, 300.0]
    assert "x: 1 J (25%)" in svg and "y: 3 J (75%)" in svg


def test_parts_chart_from_an_infer_document():
    doc = {"accelerator_energy_per_inference_j": 0.1, "system_energy_per_inference_j": 0.18,
           "energy_per_inference_j": 0.225}
    svg = parts_chart(doc)
    # 0.1 + 0.08 + 0.045 = 0.225 J: widths 480 * (0.1, 0.08, 0.045) / 0.225
    assert _rect_widths(svg) == pytest.approx([213.3, 170.7, 96.0], abs=0.1)
    assert "PUE overhead: 45 mJ (20%)" in svg


def test_generation_hook_renders_only_with_prefill_and_decode():
    assert generation_chart({"kind": "infer"}) == ""
    assert generation_chart({"generation": {"prefill": {"time_s": 1.0}}}) == ""
    doc = {"generation": {"prefill": {"time_s": 0.02, "energy_j": 3.0},
                          "decode": {"time_s": 0.5, "energy_j": 9.0}}}
    svg = generation_chart(doc)
    assert "Prefill vs decode" in svg and "prefill energy" in svg and "decode time" in svg
    widths = _rect_widths(svg)
    assert widths[0] == pytest.approx(widths[1] / 3, rel=0.02)  # 3 J vs 9 J


def test_page_escapes_user_text_and_has_no_external_reference():
    page = to_html("<script>x</script>", {"kind": "infer"}, [Section("T", ("a",), (("<b>&",),))])
    assert "<script>x" not in page and "&lt;b&gt;&amp;" in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)


def _report(cli, tmp_path, model, *extra) -> str:
    out = tmp_path / "report.html"
    code, stdout, err = cli("infer", model, "--rate", "1000/day", "--compare-region", "fr,pl", *extra, "-o", out)
    assert code == 0, err
    assert stdout == "" and f"wrote html to {out}" in err
    return out.read_text()


def test_infer_report_has_charts_and_every_table(cli, tmp_path, tiny_model):
    page = _report(cli, tmp_path, tiny_model)
    for title in ("Energy by layer", "Energy by op type", "Roofline bound", "Energy parts", "Low – high range",
                  "What if: regions", "Assumptions", "Totals", "intensity source"):
        assert title in page, title
    assert page.count("<svg") >= 6
    assert "fc1" in page and "Gemm" in page


def test_sci_chart_in_the_report(cli, tmp_path, tiny_model):
    page = _report(cli, tmp_path, tiny_model, "--functional-unit", "inference")
    assert "SCI per inference (ISO/IEC 21031:2024)" in page and "M (embodied):" in page


def test_html_on_stdout_and_format_from_suffix(cli, tmp_path, tiny_model):
    code, out, _ = cli("infer", tiny_model, "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    code, _, _ = cli("infer", tiny_model, "-o", tmp_path / "r.json")
    assert code == 0 and json.loads((tmp_path / "r.json").read_text())["kind"] == "infer"
    code, _, err = cli("infer", tiny_model, "-o", tmp_path / "missing-dir" / "r.html")
    assert code == 2 and err.count("\n") == 1 and "cannot write the report" in err


def test_train_and_lifecycle_reports(cli, tmp_path, tiny_model):
    code, _, err = cli("train", "--hardware", "a100", "--count", "8", "--hours", "10", "-o", tmp_path / "t.html")
    assert code == 0, err
    page = (tmp_path / "t.html").read_text()
    assert "Energy parts (whole run)" in page and "accelerators: 32 kWh (64%)" in page and "PUE overhead: 17.9 kWh (36%)" in page
    code, _, err = cli("lifecycle", "--model", tiny_model, "--hardware", "a100", "--count", "8", "--hours", "10",
                       "-o", tmp_path / "l.html")
    assert code == 0, err
    assert "Lifecycle CO2e by phase" in (tmp_path / "l.html").read_text()


def test_check_report(cli, tmp_path, tiny_model, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copy(tiny_model, tmp_path / "tiny.onnx")
    (tmp_path / "wattprint.yaml").write_text(
        "targets:\n  - name: tiny\n    model: tiny.onnx\n    assertions:\n      - {metric: macs, max: 1k}\n")
    code, _, _ = cli("check", "-o", "budget.html")
    assert code == 1
    page = (tmp_path / "budget.html").read_text()
    assert "tiny: actual / limit" in page and "947% of limit" in page  # 9,472 MACs against 1,000


# ----------------------------------------------------------------------------- in a real browser

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", "--window-size=1100,1300")
#: after layout, record each chart's rendered size and how many shapes it drew (only in a test copy: the report
#: itself forbids scripts through its Content-Security-Policy)
MEASURE = """<script>
for (const svg of document.querySelectorAll('svg')) {
  const r = svg.getBoundingClientRect();
  svg.setAttribute('data-rendered', Math.round(r.width) + 'x' + Math.round(r.height) + ':' +
    svg.querySelectorAll('rect,line,circle').length + ':' + Math.round(svg.getBBox().width));
}
</script>"""


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and not os.environ.get("CI"):
        pytest.skip("chromium is not installed (CI installs it: .ci/run)")
    assert found, "CI must have chromium (.ci/run installs it)"
    return found


def _browse(chromium: str, page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def test_report_in_headless_chromium(cli, tmp_path, tiny_model):
    chromium = _chromium()
    page = tmp_path / "report.html"
    page.write_text(_report(cli, tmp_path, tiny_model))

    shot = tmp_path / "shot.png"
    run = _browse(chromium, page, tmp_path / "profile1", f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # no console errors, no blocked loads, no CSP violations
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    measured = tmp_path / "measured.html"
    text = page.read_text()
    measured.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
                        .replace("</body>", MEASURE + "</body>"))
    run = _browse(chromium, measured, tmp_path / "profile2", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    sizes = re.findall(r'data-rendered="(\d+)x(\d+):(\d+):(\d+)"', run.stdout)
    assert len(sizes) == text.count("<svg") >= 6
    for w, h, shapes, drawn in sizes:
        assert int(w) > 100 and int(h) > 10 and int(shapes) >= 1 and int(drawn) > 0, (w, h, shapes, drawn)


def test_browser_test_sees_console_errors(tmp_path):
    """The console check above can fail: a page with a script error is caught."""
    chromium = _chromium()
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    run = _browse(chromium, bad, tmp_path / "profile", "--dump-dom")
    assert any(":CONSOLE" in line and "undefinedFunction" in line for line in run.stderr.splitlines())


def test_generation_report_has_prefill_vs_decode(cli, tmp_path):
    out = tmp_path / "gen.html"
    code, _, err = cli("infer", "llama-3.1-8b", "--prompt-tokens", "128", "--output-tokens", "64", "-o", out)
    assert code == 0, err
    page = out.read_text()
    assert "Prefill vs decode" in page and "prefill energy" in page and "decode time" in page

"""A self-contained HTML report: inline CSS and SVG charts drawn here, no script, no network.

Charts are built from the result *document* (the JSON form), so new keys in a result need no change
here to appear in the tables; charts draw what they find and skip what is absent:

- energy by layer (top N) and by op type, and the roofline bound of each shown layer (``layers``);
- energy parts: accelerator / rest of the server / PUE overhead (infer and train documents);
- the low / central / high range of every ``*_range`` figure;
- comparisons, and what-if alternatives (``what_if_*``) as bars;
- prefill vs decode when the result has a ``generation`` part (see :func:`generation_chart`);
- lifecycle phases and check assertions (actual vs limit).

Every section of the table output (assumptions, sources) follows the charts as an HTML table.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wattprint.render import Section

#: layers drawn in the by-layer charts
TOP_LAYERS = 15

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1040px;padding:24px;color:#1d2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d6dde3;padding-bottom:4px}
.meta{color:#5b6770;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px}
figure{margin:0;border:1px solid #e1e6ea;border-radius:6px;padding:10px 12px}
figcaption{font-weight:600;margin-bottom:6px}
svg{display:block;width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#1d2328}
.note{color:#5b6770;font-size:12px;margin-top:4px}
table{border-collapse:collapse;margin:6px 0 4px;width:100%}
th,td{border-bottom:1px solid #edf0f2;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f7f8}td.num{text-align:right;white-space:nowrap}
td.key{white-space:nowrap;color:#3a4650;width:1%}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
"""

PALETTE = {"bar": "#3b7dd8", "compute": "#d9822b", "memory": "#3b7dd8", "-": "#9aa5ad", "chosen": "#2f9e5b",
           "accelerator": "#3b7dd8", "host": "#8f6bd1", "overhead": "#d9822b", "prefill": "#3b7dd8",
           "decode": "#d9822b", "fail": "#c9372c", "warn": "#d9a52b", "pass": "#2f9e5b", "skipped": "#9aa5ad"}


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def fmt_si(value: float, unit: str) -> str:
    """3 significant digits with an SI prefix: 0.00123 J -> '1.23 mJ'."""
    if value == 0:
        return f"0 {unit}"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


# ----------------------------------------------------------------------------- SVG


def bar_chart(items: Sequence[tuple[str, float, str, str]], *, width: int = 480) -> str:
    """Horizontal bars: (label, value, value text, colour key). Empty when nothing is positive."""
    items = [it for it in items if it[1] is not None and it[1] >= 0]
    top = max((v for _, v, _, _ in items), default=0.0)
    if not items or top <= 0:
        return ""
    row, label_w = 20, 170
    text_w = 12 + 6.2 * max(len(text) for _, _, text, _ in items)  # room for the longest value text
    plot_w = max(60.0, width - label_w - text_w)
    h = row * len(items) + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" role="img" class="chart">']
    for i, (label, value, text, colour) in enumerate(items):
        y = 3 + i * row
        w = max(1.0, plot_w * value / top) if value > 0 else 0.0
        short = label if len(label) <= 28 else label[:26] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE.get(colour, colour)}">'
                   f'<title>{_e(label)}: {_e(text)}</title></rect>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{_e(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked_bar(parts: Sequence[tuple[str, float, str]], unit: str, *, width: int = 480) -> str:
    """One bar split into parts (label, value, colour key), with a legend."""
    parts = [p for p in parts if p[1] is not None and p[1] > 0]
    total = sum(p[1] for p in parts)
    if total <= 0:
        return ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 44" role="img" class="chart">']
    x = 0.0
    for label, value, colour in parts:
        w = width * value / total
        out.append(f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="22" fill="{PALETTE.get(colour, colour)}">'
                   f'<title>{_e(label)}: {_e(fmt_si(value, unit))}</title></rect>')
        x += w
    out.append(f'<text x="0" y="40">total {_e(fmt_si(total, unit))}</text></svg>')
    legend = "".join(f'<span><i style="background:{PALETTE.get(c, c)}"></i>{_e(label)}: {_e(fmt_si(v, unit))} '
                     f'({100 * v / total:.0f}%)</span>' for label, v, c in parts)
    return "".join(out) + f'<div class="legend">{legend}</div>'


def range_chart(rows: Sequence[tuple[str, Mapping[str, Any], str]], *, width: int = 480) -> str:
    """Low-high whiskers with the central value marked, one row per figure, each on its own scale."""
    rows = [(name, r, unit) for name, r, unit in rows
            if all(_num(r.get(k)) is not None for k in ("low", "central", "high")) and (_num(r.get("high")) or 0) > 0]
    if not rows:
        return ""
    row, label_w, text_w = 34, 170, 150
    plot_w = width - label_w - text_w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {row * len(rows) + 4}" role="img" class="chart">']

    def pos(v: float, hi: float) -> float:  # each row on its own scale: 0 to its high end
        return label_w + plot_w * v / hi

    for i, (name, r, unit) in enumerate(rows):
        lo, mid, hi = (float(r[k]) for k in ("low", "central", "high"))
        y = 4 + i * row + 12
        out.append(f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end">{_e(name)}</text>')
        out.append(f'<line x1="{pos(lo, hi):.1f}" y1="{y}" x2="{pos(hi, hi):.1f}" y2="{y}" stroke="#3b7dd8" stroke-width="6">'
                   f'<title>{_e(fmt_si(lo, unit))} to {_e(fmt_si(hi, unit))}</title></line>')
        out.append(f'<circle cx="{pos(mid, hi):.1f}" cy="{y}" r="5" fill="#d9822b"><title>central {_e(fmt_si(mid, unit))}</title></circle>')
        out.append(f'<text x="{label_w + plot_w + 6}" y="{y + 4}">{_e(fmt_si(lo, unit))} – {_e(fmt_si(hi, unit))}</text>')
    out.append("</svg>")
    return "".join(out)


# ----------------------------------------------------------------------------- charts from a document


def _figure(title: str, svg: str, note: str | None = None) -> str:
    if not svg:
        return ""
    extra = f'<div class="note">{_e(note)}</div>' if note else ""
    return f"<figure><figcaption>{_e(title)}</figcaption>{svg}{extra}</figure>"


def layer_charts(doc: Mapping[str, Any], top: int = TOP_LAYERS) -> list[str]:
    layers = [x for x in doc.get("layers") or () if isinstance(x, Mapping)]
    key = "accelerator_energy_per_inference_j"
    layers = [x for x in layers if _num(x.get(key)) is not None]
    if not layers:
        return []
    ranked = sorted(layers, key=lambda x: -x[key])[:top]
    out = [_figure(f"Energy by layer (top {len(ranked)}, per inference, at the accelerator)",
                   bar_chart([(str(x.get("name")), x[key], fmt_si(x[key], "J"), "bar") for x in ranked]))]
    by_op: dict[str, float] = {}
    for x in layers:
        by_op[str(x.get("op_type"))] = by_op.get(str(x.get("op_type")), 0.0) + x[key]
    ops = sorted(by_op.items(), key=lambda kv: -kv[1])[:top]
    out.append(_figure("Energy by op type (per inference, at the accelerator)",
                       bar_chart([(op, e, fmt_si(e, "J"), "bar") for op, e in ops])))
    timed = [x for x in ranked if _num(x.get("time_s")) is not None]
    legend = ('<div class="legend"><span><i style="background:#d9822b"></i>compute-bound</span>'
              '<span><i style="background:#3b7dd8"></i>memory-bound</span></div>')
    svg = bar_chart([(str(x.get("name")), x["time_s"], f"{fmt_si(x['time_s'], 's')} {x.get('bound', '-')}",
                      str(x.get("bound") or "-")) for x in timed])
    out.append(_figure("Roofline bound of each layer (time per batch)", svg + legend if svg else ""))
    return [x for x in out if x]


def parts_chart(doc: Mapping[str, Any]) -> str:
    """Accelerator / rest of the server / PUE overhead, from an infer or a train document."""
    if doc.get("kind") == "train" and _num(doc.get("accelerators_kwh")) is not None:
        parts = [("accelerators", doc["accelerators_kwh"] * 1000, "accelerator"),
                 ("host (CPU, DRAM)", (_num(doc.get("host_kwh")) or 0.0) * 1000, "host"),
                 ("PUE overhead", (_num(doc.get("pue_overhead_kwh")) or 0.0) * 1000, "overhead")]
        return _figure("Energy parts (whole run)", stacked_bar(parts, "Wh"))
    acc, system, wall = (_num(doc.get(k)) for k in ("accelerator_energy_per_inference_j",
                                                     "system_energy_per_inference_j", "energy_per_inference_j"))
    if acc is None or system is None or wall is None:
        return ""
    parts = [("accelerator", acc, "accelerator"), ("rest of the node (host, overhead, power supply)", max(0.0, system - acc), "host"),
             ("PUE overhead", max(0.0, wall - system), "overhead")]
    return _figure("Energy parts (per inference)", stacked_bar(parts, "J"))


_RANGE_UNITS = {"energy_per_inference_j_range": ("energy per inference", "J", 1.0),
                "co2e_per_inference_g_range": ("CO2e per inference", "g", 1.0),
                "energy_kwh_range": ("energy", "Wh", 1000.0),
                "co2e_kg_range": ("CO2e", "g", 1000.0)}


def ranges_chart(doc: Mapping[str, Any]) -> str:
    rows = []
    for key, value in doc.items():
        if key.endswith("_range") and isinstance(value, Mapping):
            name, unit, factor = _RANGE_UNITS.get(key, (key[:-6].replace("_", " "), "", 1.0))
            rows.append((name, {k: (_num(v) or 0.0) * factor for k, v in value.items()}, unit))
    return _figure("Low – high range (dot: central estimate)", range_chart(rows))


def comparisons_chart(doc: Mapping[str, Any]) -> str:
    items = [c for c in doc.get("comparisons") or () if isinstance(c, Mapping) and _num(c.get("amount")) is not None]
    if not items:
        return ""
    # each equivalent has its own unit: bars show the CO2e each one stands for (the same total), so draw amounts
    # on a log-free common scale only within one chart row each
    svg = bar_chart([(str(c.get("label")), 1.0, f"{c['amount']:.3g} {c.get('unit', '')}", "bar") for c in items])
    return _figure("The CO2e is about the same as", svg, "Each bar is the whole footprint, in another unit; sources in the table below.")


def whatif_charts(doc: Mapping[str, Any]) -> list[str]:
    out = []
    for key, value in doc.items():
        if key.startswith("what_if_") and isinstance(value, list):
            rows = [a for a in value if isinstance(a, Mapping) and _num(a.get("co2e_kg")) is not None]
            svg = bar_chart([(str(a.get("id")), a["co2e_kg"] * 1000, fmt_si(a["co2e_kg"] * 1000, "g"),
                              "chosen" if a.get("chosen") else "bar") for a in rows])
            out.append(_figure(f"What if: {key[8:].replace('_', ' ')} (CO2e; green: as chosen)", svg))
    return [x for x in out if x]


def generation_chart(doc: Mapping[str, Any]) -> str:
    """Prefill vs decode, when the result has a ``generation`` part.

    Reads ``generation.prefill`` and ``generation.decode``, each an object with ``time_s`` and an energy
    key (``energy_j``, or the first key starting with ``energy`` and ending ``_j``). Skipped otherwise.
    """
    gen = doc.get("generation")
    if not isinstance(gen, Mapping):
        return ""
    phases = [(name, p) for name in ("prefill", "decode") if isinstance(p := gen.get(name), Mapping)]
    if len(phases) < 2:
        return ""

    def energy(p: Mapping[str, Any]) -> float | None:
        if _num(p.get("energy_j")) is not None:
            return float(p["energy_j"])
        for k, v in p.items():
            if k.startswith("energy") and k.endswith("_j") and _num(v) is not None:
                return float(v)
        return None

    e = [(n, v) for n, p in phases if (v := energy(p)) is not None]
    t = [(n, v) for n, p in phases if (v := _num(p.get("time_s"))) is not None]
    svg = ""
    if len(e) == len(phases):
        svg += bar_chart([(f"{n} energy", v, fmt_si(v, "J"), n) for n, v in e])
    if len(t) == len(phases):
        svg += bar_chart([(f"{n} time", v, fmt_si(v, "s"), n) for n, v in t])
    return _figure("Prefill vs decode", svg)


def sci_chart(doc: Mapping[str, Any]) -> str:
    """SCI parts: E x I (operational) and M (embodied), per functional unit."""
    sci = doc.get("sci")
    if not isinstance(sci, Mapping) or _num(sci.get("operational_gco2e")) is None:
        return ""
    r = _num(sci.get("R")) or 1.0
    parts = [("E x I (operational)", sci["operational_gco2e"] / r, "accelerator")]
    if _num(sci.get("M_gco2e")) is not None:
        parts.append(("M (embodied)", sci["M_gco2e"] / r, "overhead"))
    note = None if sci.get("sci_gco2e_per_unit") is not None else f"SCI not known: {sci.get('missing')}"
    return _figure(f"SCI per {sci.get('functional_unit')} (ISO/IEC 21031:2024)", stacked_bar(parts, "gCO2e"), note)


def lifecycle_chart(doc: Mapping[str, Any]) -> str:
    if doc.get("kind") != "lifecycle":
        return ""
    rows = [(name, _num(doc.get(key))) for name, key in (("training", "training_co2e_kg"), ("serving", "serving_co2e_kg"))]
    return _figure("Lifecycle CO2e by phase",
                   bar_chart([(n, v * 1000, fmt_si(v * 1000, "g"), "bar") for n, v in rows if v is not None]))


def check_charts(doc: Mapping[str, Any]) -> list[str]:
    """Actual as a share of the limit, per assertion (1.0 = at the limit)."""
    out = []
    for t in doc.get("targets") or ():
        if not isinstance(t, Mapping):
            continue
        items = []
        for a in t.get("assertions") or ():
            actual, limit = _num(a.get("actual")), _num(a.get("limit"))
            if actual is None or not limit:
                continue
            items.append((str(a.get("metric")), actual / limit, f"{100 * actual / limit:.0f}% of limit", str(a.get("status"))))
        out.append(_figure(f"{t.get('name')}: actual / limit", bar_chart(items)))
    return [x for x in out if x]


def charts(doc: Mapping[str, Any], top: int = TOP_LAYERS) -> list[str]:
    """Every chart the document supports, in reading order."""
    out = [generation_chart(doc), parts_chart(doc), ranges_chart(doc), sci_chart(doc), lifecycle_chart(doc)]
    out += layer_charts(doc, top)
    out += whatif_charts(doc)
    out.append(comparisons_chart(doc))
    for sub in ("training", "inference"):
        if isinstance(doc.get(sub), Mapping):
            out.append(parts_chart(doc[sub]))
    out += check_charts(doc)
    return [x for x in out if x]


# ----------------------------------------------------------------------------- page


def _table(s: Section) -> str:
    out = [f"<h2>{_e(s.title)}</h2><table>"]
    if not s.key_value:
        out.append("<tr>" + "".join(f"<th>{_e(c)}</th>" for c in s.columns) + "</tr>")
    for row in s.rows:
        cells = []
        for i, c in enumerate(row):
            cls = ' class="key"' if s.key_value and i == 0 else (' class="num"' if i in s.numeric else "")
            cells.append(f"<td{cls}>{_e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if s.caption:
        out.append(f'<div class="note">{_e(s.caption)}</div>')
    return "".join(out)


def to_html(title: str, doc: Mapping[str, Any], sections: Iterable[Section], top: int = TOP_LAYERS) -> str:
    """The whole page: title, charts from ``doc``, then every table section."""
    version = doc.get("wattprint_version", "")
    data = doc.get("data_version", "")
    figs = charts(doc, top)
    body = [f"<h1>{_e(title)}</h1>",
            f'<div class="meta">wattprint {_e(version)}{", data " + _e(data) if data else ""}; '
            f"figures and their sources are listed in the tables below</div>"]
    if figs:
        body.append('<h2>Charts</h2><div class="charts">' + "".join(figs) + "</div>")
    body.extend(_table(s) for s in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")

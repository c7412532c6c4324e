"""`wattprint llm-configs`: the built-in LLM configs `infer` accepts by name."""

from __future__ import annotations

from wattprint.commands import options as o
from wattprint.commands.common import emit
from wattprint.vocab import OutputFormat


def llm_configs(fmt: o.Format = OutputFormat.table) -> None:
    """List the built-in LLM configs (Hugging Face config.json figures) that `infer` accepts by name."""
    from wattprint.llm_config import load_config, shipped_configs
    from wattprint.render import Section
    from wattprint.render.formats import Report
    from wattprint.units import fmt_count

    rows, docs = [], []
    for name, entry in shipped_configs().items():
        spec = load_config(name)
        total, active = spec.params()
        rows.append((name, entry["repo"], spec.model_type, fmt_count(total), fmt_count(active), str(spec.layers)))
        docs.append({"name": name, "repo": entry["repo"], "model_type": spec.model_type, "params": total,
                     "params_active": active, "layers": spec.layers, "source": entry["source"], "url": entry["url"]})
    emit(fmt, Report(
        title=f"Built-in LLM configs ({len(rows)})",
        doc=lambda: {"kind": "llm-configs", "configs": docs},
        sections=lambda: [Section("Configs", ("name", "repository", "type", "params", "active", "layers"), tuple(rows),
                                  numeric=(3, 4, 5), caption="Use a name as the model of `wattprint infer`.")],
        rows=lambda: (["name", "repo", "model_type", "params", "params_active", "layers"],
                      [[d["name"], d["repo"], d["model_type"], d["params"], d["params_active"], d["layers"]] for d in docs]),
    ))

"""ONNX model -> costed graph (docs/op-counting.md).

Module map:

* :mod:`.load`: parse (from a memory map), validate, confine external-data locations;
* :mod:`.dims`: bind symbolic input dims, evaluate derived dims (``past_sequence_length + 1``);
* :mod:`.infer`: onnx's own shape inference on a stripped copy, and whether the walk needs it;
* :mod:`.walk`: the graph walk (own shape/value propagation, subgraphs, functions);
* :mod:`.ops`: the op registry, one module per family: each op declared once with its shape rule, counting
  rule, weight inputs and fusion class (a new op goes in its family module as ``@op(...)`` on its rule);
* :mod:`.costing`: bytes, parameters and precision of one node from its rule's counts;
* :mod:`.tied`: tied / folded weights that are not distinct parameters;
* :mod:`.costs`: dtype tables and the results, :class:`NodeCost` and :class:`ModelCost`;
* :mod:`.analyze`: :func:`analyze_model`, :func:`analyze_proto`.

Importing this package imports neither numpy nor onnx: the names below load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["analyze_model", "analyze_proto", "load_proto", "ModelCost", "NodeCost"]

_WHERE = {
    "analyze_model": ".analyze",
    "analyze_proto": ".analyze",
    "load_proto": ".load",
    "ModelCost": ".costs",
    "NodeCost": ".costs",
}


def __getattr__(name: str) -> Any:  # (functions and classes, loaded on first use)
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value
    return value

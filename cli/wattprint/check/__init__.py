"""``wattprint check``'s core: carbon budgets, measured and evaluated; numbers and statuses only.

- :mod:`~wattprint.check.metrics`: the metrics (base units), limits as written, values as read by people;
- :mod:`~wattprint.check.schema`: the budget file's pydantic models and JSON Schema;
- :mod:`~wattprint.check.load`: finding and loading budget files (paths confined to the repository), baselines;
- :mod:`~wattprint.check.evaluate`: measuring targets, evaluating assertions, statuses and the exit code.

Renderers (tables, Markdown, JUnit, GitHub annotations, the JSON result) are in :mod:`wattprint.render.check`.
"""

from __future__ import annotations

from wattprint.check.evaluate import AssertionResult, CheckReport, TargetResult, exit_code, run_check
from wattprint.check.load import Baseline, Budget, find_budget, load_baseline, load_budget

__all__ = [
    "AssertionResult", "Baseline", "Budget", "CheckReport", "TargetResult", "exit_code", "find_budget", "load_baseline",
    "load_budget", "run_check",
]

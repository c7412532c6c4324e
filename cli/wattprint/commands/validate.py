"""`wattprint validate`: the energy model against every published measurement it ships."""

from __future__ import annotations

from typing import Annotated

import typer

from wattprint.commands import options as o
from wattprint.commands.common import emit
from wattprint.vocab import OutputFormat


def validate(
    points: Annotated[bool, typer.Option("--points/--summary-only", help="List every measured point, or only the summaries.")] = True,
    cross_validate: Annotated[bool, typer.Option("--cv/--no-cv", help="Leave-one-hardware-family-out cross-validation (refits the model).")] = True,
    source: Annotated[str | None, typer.Option("--source", metavar="SOURCE", help="Only the points of one source: mlperf or mlenergy.")] = None,
    fmt: o.Format = OutputFormat.table,
) -> None:
    """Compare the inference energy model with every published measurement it ships (docs/validation.md)."""
    from wattprint.errors import WattprintError
    from wattprint.measured import load_measured
    from wattprint.render.formats import Report
    from wattprint.render.validation import validation_csv, validation_doc, validation_sections
    from wattprint.validation import build_cases
    from wattprint.validation import validate as run_validation

    points_all = load_measured()
    sources = sorted({p.source_kind for p in points_all})
    if source is not None and source not in sources:
        raise WattprintError(f"--source {source!r} is not one of {', '.join(sources)}")
    chosen = [p for p in points_all if source is None or p.source_kind == source]
    report = run_validation(build_cases(chosen), cross_validate=cross_validate)
    emit(fmt, Report(
        title="Validation: estimated vs measured inference energy",
        doc=lambda: validation_doc(report),
        sections=lambda: validation_sections(report, points),
        rows=lambda: validation_csv(report),
    ))

"""`wattprint hardware list|show`: the hardware profiles, with the source of each figure."""

from __future__ import annotations

from typing import Annotated

import typer

from wattprint.commands import options as o
from wattprint.commands.common import emit, hardware_db
from wattprint.vocab import OutputFormat


def hardware_list(kind: o.HardwareKindOpt = None, fmt: o.Format = OutputFormat.table, hw_file: o.HwFile = None) -> None:
    """List hardware profiles."""
    from wattprint.render.formats import Report
    from wattprint.render.reference import hardware_list_csv, hardware_list_doc, hardware_list_sections

    profiles = hardware_db(hw_file).list(kind.value if kind else None)
    emit(fmt, Report(
        title=f"Hardware profiles ({len(profiles)})",
        doc=lambda: hardware_list_doc(profiles),
        sections=lambda: hardware_list_sections(profiles),
        rows=lambda: hardware_list_csv(profiles),
    ))


def hardware_show(
    profile_id: Annotated[str, typer.Argument(metavar="ID", help="Profile id or alias.")],
    fmt: o.Format = OutputFormat.table,
    hw_file: o.HwFile = None,
) -> None:
    """Show one hardware profile with the source of each figure."""
    from wattprint.render.formats import Report
    from wattprint.render.reference import profile_csv, profile_doc, profile_sections

    p = hardware_db(hw_file).get(profile_id)
    emit(fmt, Report(title=f"{p.id}: {p.name}", doc=lambda: profile_doc(p), sections=lambda: profile_sections(p),
                     rows=lambda: profile_csv(p)))

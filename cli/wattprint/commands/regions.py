"""`wattprint regions list|show`: the grid regions, with their carbon intensity and source."""

from __future__ import annotations

from typing import Annotated

import typer

from wattprint.commands import options as o
from wattprint.commands.common import emit
from wattprint.vocab import OutputFormat


def regions_list(search: o.Search = None, kind: o.RegionKindOpt = None, fmt: o.Format = OutputFormat.table) -> None:
    """List grid regions with their carbon intensity."""
    from wattprint.carbon import load_regions
    from wattprint.render.formats import Report
    from wattprint.render.reference import region_list_csv, region_list_doc, region_list_sections

    regions = load_regions().search(search, kind.value if kind else None)
    emit(fmt, Report(
        title=f"Grid regions ({len(regions)})",
        doc=lambda: region_list_doc(regions),
        sections=lambda: region_list_sections(regions),
        rows=lambda: region_list_csv(regions),
    ))


def regions_show(
    region_id: Annotated[str, typer.Argument(metavar="ID", help="Region id or alias (fr, fra, us-ca, aws-us-east-1...).")],
    fmt: o.Format = OutputFormat.table,
) -> None:
    """Show one grid region with its source."""
    from wattprint.carbon import load_regions
    from wattprint.render.formats import Report
    from wattprint.render.reference import region_doc, region_list_csv, region_sections

    r = load_regions().get(region_id)
    emit(fmt, Report(title=f"{r.id}: {r.name}", doc=lambda: region_doc(r), sections=lambda: region_sections(r),
                     rows=lambda: region_list_csv([r])))

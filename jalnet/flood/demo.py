"""Demo step: the sample flood (``flood_depth.tif``) over the sample scheme."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..registry.schema import LAYERS
from ..report.html import Section
from ..samples import sample_path
from .assess import assess_flood
from .events import FloodEvent
from .tables import ASSET_TYPES

if TYPE_CHECKING:
    from ..demo import DemoContext

#: Report sections the demo summary shows (the full report is flood_report.html).
SHOWN = ("Flood events", "Impact by scheme", "Assets out of service")


def run(ctx: DemoContext) -> None:
    out = ctx.out_dir
    depth = sample_path("flood_depth.tif")
    result = assess_flood(
        ctx.registry, [FloodEvent(depth=str(depth))], out / "flood_impact.gpkg",
        report=out / "flood_report.html", summary=out / "flood_summary.csv", overwrite=True, with_sections=True,
        feedback=ctx.feedback,
    )
    for section in result.sections:
        if section.title in SHOWN or section.title.startswith("Map"):
            ctx.sections.append(Section(f"Flood: {section.title}", section.body_html))
    styles = Path(__file__).resolve().parent.parent / "styles"
    for name in ASSET_TYPES:
        qml = styles / f"impact_{name}.qml"
        ctx.project_layers.append((f"{result.out}|layername=impact_{name}", f"Flood impact: {LAYERS[name].title}",
                                   str(qml) if qml.exists() else None))
    depth_qml = styles / "flood_depth.qml"
    ctx.project_layers.append((str(depth), "Flood depth (sample)", str(depth_qml) if depth_qml.exists() else None))
    t = result.totals()
    ctx.outputs.append(
        f"flood     {result.out.name}: {t['households_flooded']} households flooded, {t['households_losing_supply']} "
        f"losing supply, {t['assets_out_of_service']} assets out of service; report {result.report.name}, "
        f"summary {result.summary.name}"
    )
    _by_pressure(ctx, depth, t["households_losing_supply"])


def _by_pressure(ctx: DemoContext, depth: Path, by_connectivity: int) -> None:
    """The same flood with the hydraulic method: households below the service pressure at the peak hour."""
    try:
        import wntr  # noqa: F401
    except ImportError:
        return
    result = assess_flood(ctx.registry, [FloodEvent(depth=str(depth))], ctx.out_dir / "flood_impact_hydraulic.gpkg",
                          method="hydraulic", dem=sample_path("dem.tif"), overwrite=True, feedback=ctx.feedback)
    lost = result.totals()["households_losing_supply"]
    ctx.outputs.append(f"flood     {result.out.name}: {lost} households losing supply by pressure at the peak hour "
                       f"(hydraulic method; {by_connectivity} by connectivity)")

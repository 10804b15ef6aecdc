"""Flood job: impact of a flood on a registry's assets."""

from __future__ import annotations

from typing import Any

from ...errors import InputError
from ...feedback import Feedback
from ...flood import FloodEvent, assess_flood, events_from_csv
from ...flood.tables import class_table

#: Impact layers loaded into the project, top to bottom.
LOADED = ("sources", "pumps", "treatment_units", "tanks", "valves", "fhtc", "pipes")


def assess(registry: str, output: str, events_csv: str | None, depth: str | None, extent: str | None,
           extent_layer: str | None, event: str | None, date: str | None, summary: str | None, report: str | None,
           thresholds: str | None, classes: str | None, method: str, wet_threshold: float, repair_extent: bool,
           feedback: Feedback, nodata: float | None = None, no_nodata: bool = False,
           dem: str | None = None) -> dict[str, Any]:
    if events_csv:
        if depth or extent:
            raise InputError("Give either an events CSV or a raster/extent, not both")
        events = events_from_csv(events_csv)
    elif depth or extent:
        events = [FloodEvent(depth, extent, event, date, 1, extent_layer, nodata, no_nodata)]
    else:
        raise InputError("Give a flood depth raster, flood extent polygons or an events CSV")
    result = assess_flood(registry, events, output, report=report, summary=summary, thresholds=thresholds,
                          classes=classes, method=method, wet_threshold=wet_threshold, repair_extent=repair_extent,
                          overwrite=True, feedback=feedback, dem=dem)
    table = class_table(result.classes)
    for note in result.notes + [n for e in result.events for n in e.notes]:
        feedback.warning(note)
    for ev in result.events:
        t = result.totals(ev.name)
        feedback.info(f"{ev.name}: {t['schemes_affected']} scheme(s) affected, {t['households_flooded']} households "
                      f"flooded, {t['households_losing_supply']} losing supply, {t['assets_out_of_service']} assets "
                      "out of service")
    last = result.events[-1]
    raster = next((h.hazard.raster.path for h in result.hazards if h.name == last.name
                   and h.hazard.raster is not None), None)
    gpkg = str(result.out)
    t = result.totals()
    return {
        "outputs": {"OUTPUT": gpkg, "SUMMARY": summary, "REPORT": report,
                    "SCHEMES_AFFECTED": t["schemes_affected"], "HOUSEHOLDS_FLOODED": t["households_flooded"],
                    "HOUSEHOLDS_LOSING_SUPPLY": t["households_losing_supply"],
                    "HOUSEHOLDS_AFFECTED": t["households_affected"],
                    "ASSETS_OUT_OF_SERVICE": t["assets_out_of_service"]},
        "load": [{"uri": f"{gpkg}|layername=impact_{name}", "title": f"Flood impact: {name.replace('_', ' ')}",
                  "group": "impact", "style": {"kind": "flood", "layer": name, "classes": table}} for name in LOADED],
        "classes": table, "raster": str(raster) if raster else None,
        "subtitle": ", ".join(f"{e.name} {e.date or ''}" for e in result.events),
        "summary": f"{t['schemes_affected']} scheme(s) affected, {t['households_affected']} household(s) affected",
    }

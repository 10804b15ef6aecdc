"""Flood impact on water-supply assets: which assets a flood hit, how badly, who loses water.

Python API::

    from jalnet.flood import FloodEvent, assess_flood
    result = assess_flood("scheme.gpkg", [FloodEvent(depth="depth.tif", name="July wave", date="2024-07-03")],
                          "impact.gpkg", report="impact.html", summary="impact.csv")
    result.totals()            # schemes affected, households flooded / losing supply ...
    result.impacts["fhtc"]     # depth_m, severity, out_of_service, supply_status per tap connection

Inputs are depth rasters (any GDAL raster, any CRS, nodata honoured) and/or flood-extent
polygons, one or several events; the registry is never changed. See :mod:`.tables` for
the editable critical heights and severity classes, :mod:`.raster` for how depths are
read, and :mod:`.supply` for households losing supply (connectivity, or the hydraulic
engine when it is available).
"""

from .assess import FloodAssessment, assess, assess_flood, output_tables, write_outputs
from .assets import Assets, assets_from_frames, read_assets
from .events import FloodEvent, events_from_csv, open_event
from .supply import build_network, households_losing_supply, supply_status
from .tables import DEFAULT_CLASSES, DEFAULT_CRITICAL_HEIGHTS, classify, load_classes, load_critical_heights

__all__ = [
    "DEFAULT_CLASSES",
    "DEFAULT_CRITICAL_HEIGHTS",
    "Assets",
    "FloodAssessment",
    "FloodEvent",
    "assess",
    "assess_flood",
    "assets_from_frames",
    "build_network",
    "classify",
    "events_from_csv",
    "households_losing_supply",
    "load_classes",
    "load_critical_heights",
    "open_event",
    "output_tables",
    "read_assets",
    "supply_status",
    "write_outputs",
]

"""The printable flood-impact report (one HTML file) and the sections the demo summary reuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj

from ..registry.schema import LAYERS
from ..report.html import Section, esc, figure_png, page, table_html
from .summary import HEADERS
from .tables import ASSET_TYPES, class_table

if TYPE_CHECKING:
    from .assess import FloodAssessment

#: Scheme and district columns shown in the report (the CSV has them all).
SHOWN = ["event", "date", "scheme_id", "scheme_name", "district", "sources_hit", "pumps_hit", "treatment_units_hit",
         "tanks_hit", "pipes_flooded_km", "assets_out_of_service", "fhtc_flooded", "fhtc_lose_supply",
         "households_affected", "persons_affected", "assets_no_data"]
MAX_LISTED = 60
MAX_MAPS = 4


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in
            frame.to_dict("records")]


def flood_sections(result: FloodAssessment, maps: bool = True) -> list[Section]:
    """Events, schemes, districts, maps, out-of-service assets, history, tables used, method."""
    sections = [Section("Flood events", _events_html(result))]
    shown = [c for c in SHOWN if c in result.schemes.columns]
    affected = result.schemes[result.schemes["affected"]]
    body = (f"<p>{int(affected['scheme_id'].nunique())} of {result.schemes['scheme_id'].nunique()} scheme(s) "
            "affected. Households affected = flooded directly or losing supply.</p>")
    sections.append(Section("Impact by scheme", body + table_html(_records(affected[shown]), shown, HEADERS)))
    dcols = ["event", "date", "district", "schemes", "schemes_affected", "pipes_flooded_km", "assets_out_of_service",
             "fhtc_flooded", "fhtc_lose_supply", "households_affected", "persons_affected"]
    sections.append(Section("Impact by district", table_html(_records(result.districts[dcols]), dcols,
                                                             {**HEADERS, "schemes": "Schemes"})))
    if maps:
        for ev in result.events[:MAX_MAPS]:
            sections.append(Section(f"Map: {ev.name}", _map_html(result, ev)))
    sections.append(Section("Assets by severity", _severity_html(result)))
    sections.append(Section("Assets out of service", _out_of_service_html(result)))
    if len(result.events) > 1:
        sections.append(Section("Events over time", _timeline_html(result)))
    sections.append(Section("Critical heights and severity classes used", _tables_html(result)))
    sections.append(Section("Method", _method_html(result)))
    return sections


def report_html(result: FloodAssessment) -> str:
    names = ", ".join(f"{e.name} ({e.date})" if e.date else e.name for e in result.events)
    sections = result.sections or flood_sections(result)
    return page("Flood impact on water-supply assets", f"{names}; registry {result.registry}", sections)


def _events_html(result: FloodAssessment) -> str:
    rows = []
    for ev in result.events:
        totals = result.totals(ev.name)
        rows.append({"event": ev.name, "date": ev.date or "", "inputs": ev.source, **totals,
                     "notes": "; ".join(ev.notes)})
    cols = ["event", "date", "inputs", "schemes_affected", "households_flooded", "households_losing_supply",
            "households_affected", "assets_out_of_service", "notes"]
    heads = {"event": "Event", "date": "Date", "inputs": "Inputs", "schemes_affected": "Schemes affected",
             "households_flooded": "Households flooded", "households_losing_supply": "Households losing supply",
             "households_affected": "Households affected", "assets_out_of_service": "Assets out of service",
             "notes": "Notes"}
    notes = "".join(f"<p class='note'>{esc(n)}</p>" for n in result.notes)
    return table_html(rows, cols, heads) + notes


def _severity_html(result: FloodAssessment) -> str:
    codes = [r["severity"] for r in class_table(result.classes)]
    rows = []
    for name in ASSET_TYPES:
        frame = result.impacts[name]
        for event, part in frame.groupby("event", sort=False):
            counts = part["severity"].value_counts()
            rows.append({"layer": LAYERS[name].title, "event": event, **{c: int(counts.get(c, 0)) for c in codes}})
    return table_html(rows, ["layer", "event", *codes], {"layer": "Assets", "event": "Event"})


def _out_of_service_html(result: FloodAssessment) -> str:
    rows = []
    for name in (*ASSET_TYPES,):
        if name == "fhtc":
            continue
        frame = result.impacts[name]
        part = frame[frame["out_of_service"]]
        depth = "depth_m" if "depth_m" in part else "max_depth_m"
        for r in part.itertuples():
            rows.append({"event": r.event, "layer": LAYERS[name].title, "asset": getattr(r, LAYERS[name].key),
                         "scheme_id": r.scheme_id, "depth_m": getattr(r, depth), "critical_height_m": r.critical_height_m,
                         "component": r.critical_component, "severity": r.severity})
    more = ""
    if len(rows) > MAX_LISTED:
        more = f"<p class='note'>{len(rows) - MAX_LISTED} more in the impact GeoPackage.</p>"
        rows = rows[:MAX_LISTED]
    heads = {"event": "Event", "layer": "Assets", "asset": "ID", "scheme_id": "Scheme", "depth_m": "Depth (m)",
             "critical_height_m": "Critical height (m)", "component": "What floods", "severity": "Severity"}
    return table_html(rows, list(heads), heads) + more


def _timeline_html(result: FloodAssessment) -> str:
    parts = []
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        for scheme, part in result.schemes.groupby("scheme_id", sort=False):
            labels = [f"{e}\n{d or ''}" for e, d in zip(part["event"], part["date"])]
            ax.plot(labels, part["households_affected"], marker="o", label=str(scheme))
        ax.set_ylabel("Households affected")
        ax.legend(fontsize=8)
        ax.tick_params(labelsize=7)
        parts.append(figure_png(fig, "households affected per event"))
        plt.close(fig)
    points = result.history.get("history_points")
    if points is not None and not points.empty:
        top = points[points["times_flooded"] > 0].sort_values(["times_flooded", "max_depth_m"], ascending=False)
        cols = ["layer", "asset_id", "scheme_id", "times_flooded", "events_assessed", "first_flooded_event",
                "first_flooded_date", "max_depth_m", "worst_severity"]
        parts.append("<p>Point assets flooded most often:</p>" + table_html(_records(top[cols].head(MAX_LISTED)), cols))
    return "".join(parts)


def _tables_html(result: FloodAssessment) -> str:
    heights = [{"asset_type": h.asset_type, "subtype": h.subtype or "(any)", "critical_height_m": h.critical_height_m,
                "component": h.component, "basis": h.basis} for h in result.heights.values()]
    classes = class_table(result.classes)
    return (table_html(heights, ["asset_type", "subtype", "critical_height_m", "component", "basis"])
            + table_html(classes, ["severity", "label", "rule"]))


def _method_html(result: FloodAssessment) -> str:
    method = {
        "connectivity": "network connectivity: flooded sources, pumps, treatment units, tanks and mains are taken "
                        "out and households no longer connected to an in-service source lose supply (those still "
                        "on a cut-off tank lose it when the tank runs dry)",
        "hydraulic": "hydraulic simulation: households below service pressure with the flooded assets out",
    }[result.method]
    return (
        "<p>Depth at a point asset is the value of the raster cell that contains it (nearest cell, as QGIS's "
        "'Sample raster values'); assets off the raster or on nodata cells have no depth and severity "
        "<b>no_data</b>, never dry. Pipes are sampled every half cell: maximum depth, length-weighted mean depth "
        "and flooded length over the parts the raster covers. Inside extent polygons without depth, assets are "
        "'inundated, depth unknown' and sources, pumps, treatment units and tanks there are assumed out of "
        f"service. Households losing supply: {esc(method)}.</p>"
    )


# ---------------------------------------------------------------------------------------
# Map
# ---------------------------------------------------------------------------------------
def _map_html(result: FloodAssessment, ev: Any) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "<p class='note'>Install matplotlib for the map.</p>"
    colours = {r["severity"]: r["colour"] for r in class_table(result.classes)}
    fig, ax = plt.subplots(figsize=(9, 7))
    hazard = next((h.hazard for h in result.hazards if h.name == ev.name), None)
    bounds = _bounds(ev.impacts)
    if hazard is not None and hazard.raster is not None and bounds is not None:
        _raster_background(ax, hazard.raster, bounds, result.crs, fig)
    if hazard is not None and hazard.extent is not None:
        _extent_outline(ax, hazard.extent, result.crs)
    from matplotlib.collections import LineCollection

    pipes = ev.impacts["pipes"]
    for severity, part in pipes.groupby("severity"):
        lines = [np.asarray(g.coords) for g in part.geometry if g is not None and not g.is_empty]
        ax.add_collection(LineCollection(lines, colors=colours.get(severity, "#808080"), linewidths=1.6, zorder=3))
    for name, marker, size in (("fhtc", "o", 8), ("valves", "D", 18), ("sources", "^", 90), ("pumps", "P", 80),
                               ("treatment_units", "s", 80), ("tanks", "H", 110)):
        frame = ev.impacts[name]
        for severity, part in frame.groupby("severity"):
            ax.scatter(part.geometry.x, part.geometry.y, s=size, marker=marker, c=colours.get(severity, "#808080"),
                       edgecolors="#222222", linewidths=0.3, zorder=4 if name == "fhtc" else 5)
    from matplotlib.lines import Line2D

    present = [r for r in class_table(result.classes)
               if any((ev.impacts[n]["severity"] == r["severity"]).any() for n in ASSET_TYPES)]
    handles = [Line2D([], [], marker="o", linestyle="", color=r["colour"], label=r["label"]) for r in present]
    ax.legend(handles=handles, loc="upper left", fontsize=8, title="Severity", title_fontsize=8)
    if bounds is not None:
        pad = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 0.05 + 20
        ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
        ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_title(f"{ev.name} - {pyproj.CRS(result.crs).name}", fontsize=9)
    ax.tick_params(labelsize=7)
    img = figure_png(fig, f"flood impact map, {ev.name}")
    plt.close(fig)
    return img + "<p class='note'>Triangle source, plus pump, square treatment unit, hexagon tank, diamond valve, " \
                 "dot tap connection; lines pipes; blue shading flood depth.</p>"


def _bounds(impacts: dict[str, Any]) -> tuple[float, float, float, float] | None:
    boxes = [f.total_bounds for f in impacts.values() if len(f) and f.geometry.notna().any()]
    if not boxes:
        return None
    arr = np.array(boxes)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())


def _raster_background(ax: Any, raster: Any, bounds: tuple[float, ...], crs: Any, fig: Any, cells: int = 400) -> None:
    """Depth shading: a decimated read of the raster window under the assets, drawn cell by cell.

    Cell corners are transformed into the map's CRS (a display of the raster's own cells,
    not a warp), so a raster in any CRS shows where its cells really are.
    """
    to_raster = pyproj.Transformer.from_crs(crs, raster.crs, always_xy=True)
    to_map = pyproj.Transformer.from_crs(raster.crs, crs, always_xy=True)
    pad = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 0.05 + 20
    xs = np.linspace(bounds[0] - pad, bounds[2] + pad, 9)
    ys = np.linspace(bounds[1] - pad, bounds[3] + pad, 9)
    gx, gy = np.meshgrid(xs, ys)
    rx, ry = to_raster.transform(gx.ravel(), gy.ravel())
    rows, cols = raster.cells(np.asarray(rx), np.asarray(ry))
    r0, r1 = max(0, int(rows.min())), min(raster.height, int(rows.max()) + 1)
    c0, c1 = max(0, int(cols.min())), min(raster.width, int(cols.max()) + 1)
    if r1 <= r0 or c1 <= c0:
        return
    from rasterio.windows import Window

    nr, nc = min(cells, r1 - r0), min(cells, c1 - c0)
    data = raster._ds.read(raster.band, window=Window(c0, r0, c1 - c0, r1 - r0), out_shape=(nr, nc), masked=True)
    values = np.ma.masked_less_equal(np.ma.masked_invalid(data.astype(float)), 0)
    a, b, c, d, e, f = raster.coeffs
    jj, ii = np.meshgrid(c0 + np.linspace(0, c1 - c0, nc + 1), r0 + np.linspace(0, r1 - r0, nr + 1))
    mx, my = to_map.transform((c + a * jj + b * ii).ravel(), (f + d * jj + e * ii).ravel())
    mesh = ax.pcolormesh(np.reshape(mx, jj.shape), np.reshape(my, jj.shape), values, cmap="Blues", vmin=0,
                         shading="flat", zorder=1, alpha=0.8)
    fig.colorbar(mesh, ax=ax, shrink=0.6, label="Flood depth (m)")


def _extent_outline(ax: Any, extent: Any, crs: Any) -> None:
    """Extent polygons outlined, transformed into the map's CRS for display only."""
    import geopandas as gpd
    from matplotlib.collections import LineCollection

    rings = gpd.GeoSeries(extent.polygons, crs=extent.crs).to_crs(crs).boundary.explode(index_parts=False)
    lines = [np.asarray(g.coords) for g in rings if g is not None and not g.is_empty]
    ax.add_collection(LineCollection(lines, colors="#5e3c99", linewidths=0.8, linestyles="--", zorder=2))

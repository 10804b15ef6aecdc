"""``jalnet flood``: assess flood impact on a registry's assets, list events over time, edit the tables."""

from __future__ import annotations

import argparse
import csv
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..outputs import output_folder
from .common import add_registry, feedback, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flood", help="flood impact: which assets a flood hit, how badly, who loses water")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True

    c = cmds.add_parser(
        "assess", help="overlay flood depth rasters and/or extent polygons on the registry",
        description="Depth, severity and out-of-service per asset, households flooded and losing supply, per "
                    "scheme and district. Repeat --depth/--extent with --event/--date for several events (the "
                    "n-th --event names the n-th --depth), or list them in --events CSV.",
    )
    add_registry(c)
    c.add_argument("--depth", action="append", default=[], metavar="RASTER",
                   help="flood depth raster in metres (GeoTIFF or any GDAL raster, any CRS); repeatable")
    c.add_argument("--extent", action="append", default=[], metavar="POLYGONS",
                   help="flood extent polygons (GeoPackage, shapefile, KML...); alone or with --depth; repeatable")
    c.add_argument("--event", action="append", default=[], metavar="NAME",
                   help="event name (default: the raster's 'event' tag or the file name); repeatable")
    c.add_argument("--date", action="append", default=[], metavar="YYYY-MM-DD", help="event date; repeatable")
    c.add_argument("--events", metavar="CSV", help="events file with columns event, date, depth, extent")
    c.add_argument("--out", required=True, metavar="IMPACT.gpkg", help="impact GeoPackage to write")
    c.add_argument("--report", metavar="HTML", help="also write a printable HTML report")
    c.add_argument("--summary", metavar="CSV", help="also write the per-scheme and per-district summary")
    c.add_argument("--thresholds", metavar="FILE", help="critical heights per asset type (CSV or JSON)")
    c.add_argument("--classes", metavar="FILE", help="severity classes (CSV or JSON)")
    c.add_argument("--method", choices=("connectivity", "hydraulic"), default="connectivity",
                   help="how households losing supply are found (default: connectivity)")
    c.add_argument("--dem", metavar="RASTER",
                   help="hydraulic method: ground levels for junctions without an elevation (GeoTIFF)")
    c.add_argument("--band", type=int, default=1, help="raster band holding depth (default 1)")
    nodata = c.add_mutually_exclusive_group()
    nodata.add_argument("--nodata", type=float, metavar="VALUE",
                        help="the value that marks missing data in the depth raster(s), when they declare none "
                             "(or to override the declared one)")
    nodata.add_argument("--no-nodata", action="store_true",
                        help="the depth raster(s) declare no nodata value and every cell is a depth")
    c.add_argument("--extent-layer", metavar="LAYER", help="use only this layer of the extent file")
    c.add_argument("--wet-threshold", type=float, default=0.0, metavar="M",
                   help="depths at or below this are dry (default 0)")
    c.add_argument("--repair-extent", action="store_true",
                   help="repair invalid extent polygons (GEOS make_valid) instead of refusing them")
    c.add_argument("--overwrite", action="store_true", help="replace existing output files")
    c.add_argument("--json", action="store_true", help="print the summary as JSON")
    c.set_defaults(func=_assess)

    c = cmds.add_parser("timeline", help="events over time from an impact GeoPackage: per scheme and per asset")
    c.add_argument("--impact", required=True, metavar="IMPACT.gpkg", help="impact GeoPackage from 'flood assess'")
    c.add_argument("--csv", metavar="FILE", help="write the per-asset history (first flooded, times, max depth)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=_timeline)

    c = cmds.add_parser("tables", help="show the critical heights and severity classes, or write them for editing")
    c.add_argument("--thresholds", metavar="FILE", help="critical heights file to check and show")
    c.add_argument("--classes", metavar="FILE", help="severity classes file to check and show")
    c.add_argument("--write", metavar="FOLDER", help="write critical_heights.csv and severity_classes.csv here")
    c.set_defaults(func=_tables)


def _spread(values: list[str], n: int, flag: str) -> list[str | None]:
    if not values:
        return [None] * n
    if len(values) == n:
        return list(values)
    raise InputError(f"{len(values)} {flag} for {n} event(s); give one {flag} per event or none")


def build_events(args: argparse.Namespace) -> list:
    """Events from --events CSV or from the repeated --depth/--extent/--event/--date options."""
    from ..flood import FloodEvent, events_from_csv

    if args.events:
        if args.depth or args.extent:
            raise InputError("give events either with --events CSV or with --depth/--extent, not both")
        return [replace(e, nodata=args.nodata, no_nodata=args.no_nodata) for e in events_from_csv(args.events)]
    n = max(len(args.depth), len(args.extent))
    if n == 0:
        raise InputError("give a flood depth raster (--depth) or flood extent polygons (--extent)")
    depths, extents = _spread(args.depth, n, "--depth"), _spread(args.extent, n, "--extent")
    names, dates = _spread(args.event, n, "--event"), _spread(args.date, n, "--date")
    return [FloodEvent(d, e, name, date, args.band, args.extent_layer, args.nodata, args.no_nodata)
            for d, e, name, date in zip(depths, extents, names, dates)]


def _assess(args: argparse.Namespace) -> int:
    from ..flood import assess_flood

    result = assess_flood(
        args.registry, build_events(args), args.out, report=args.report, summary=args.summary,
        thresholds=args.thresholds, classes=args.classes, method=args.method, wet_threshold=args.wet_threshold,
        repair_extent=args.repair_extent, overwrite=args.overwrite, feedback=feedback(args), dem=args.dem,
    )
    if args.json:
        print_json({"events": {e.name: {"date": e.date, **result.totals(e.name)} for e in result.events},
                    "schemes": result.schemes.to_dict("records"), "outputs": _outputs(result)})
        return 0
    for note in result.notes + [n for e in result.events for n in e.notes]:
        print(f"note: {note}")
    rows = [{"event": e.name, "date": e.date or "", **result.totals(e.name)} for e in result.events]
    print(table(rows, ["event", "date", "schemes_affected", "households_flooded", "households_losing_supply",
                       "households_affected", "assets_out_of_service"]))
    affected = result.schemes[result.schemes["affected"]]
    if len(affected):
        print()
        print(table(affected.to_dict("records"), ["event", "scheme_id", "district", "sources_hit", "pumps_hit",
                                                  "treatment_units_hit", "tanks_hit", "pipes_flooded_km",
                                                  "fhtc_flooded", "fhtc_lose_supply", "assets_no_data"]))
    print()
    for what, path in _outputs(result).items():
        print(f"{what:<8} {path}")
    return 0


def _outputs(result: object) -> dict[str, str]:
    out = {"impact": result.out, "summary": result.summary, "report": result.report}  # type: ignore[attr-defined]
    return {k: str(v) for k, v in out.items() if v is not None}


def _timeline(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..flood.summary import read_timeline

    history, schemes = read_timeline(args.impact)
    assets = pd.concat([h.drop(columns="geometry") for h in history.values()], ignore_index=True)
    if args.csv:
        path = Path(args.csv)
        output_folder(path)
        assets.to_csv(path, index=False)
    if args.json:
        print_json({"schemes": schemes.to_dict("records"),
                    "assets": assets.astype(object).where(assets.notna(), None).to_dict("records")})
        return 0
    print(table(schemes.to_dict("records"), ["scheme_id", "date", "event", "affected", "fhtc_flooded",
                                             "fhtc_lose_supply", "households_affected", "assets_out_of_service"]))
    flooded = assets[assets["times_flooded"] > 0].sort_values(["times_flooded", "max_depth_m"], ascending=False)
    print(f"\n{len(flooded)} of {len(assets)} assets flooded at least once")
    rows = flooded.head(30).astype(object).where(flooded.head(30).notna(), None).to_dict("records")
    print(table(rows, ["layer", "asset_id", "scheme_id", "times_flooded", "events_assessed", "first_flooded_date",
                       "first_flooded_event", "max_depth_m", "worst_severity"]))
    if args.csv:
        print(f"\nper-asset history written to {args.csv}")
    return 0


def _tables(args: argparse.Namespace) -> int:
    from ..flood.tables import class_table, load_classes, load_critical_heights

    heights = load_critical_heights(args.thresholds)
    classes = load_classes(args.classes)
    height_rows = [vars(h) for h in heights.values()]
    class_rows = [vars(c) for c in classes]
    if args.write:
        folder = Path(args.write)
        if not folder.is_dir():
            raise InputError(f"folder {folder} does not exist; create it first")
        for name, rows in (("critical_heights.csv", height_rows), ("severity_classes.csv", class_rows)):
            with open(folder / name, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            print(f"wrote {folder / name}")
        return 0
    print(table(height_rows, ["asset_type", "subtype", "critical_height_m", "component"]))
    print()
    print(table(class_table(classes), ["severity", "label", "rule"]))
    return 0

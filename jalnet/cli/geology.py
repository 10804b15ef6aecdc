"""``jalnet geology``: import lithologs, validate them, draw strip logs and sections, export."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..registry import open_registry
from .common import add_fail_on, add_registry, feedback, findings_exit, table, warn


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("geology", help="borehole lithologs: import, validate, strip logs, cross-sections")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True
    c = cmds.add_parser("import", help="import borehole field sheets (CSV or Excel) and LAS logs",
                        description="Boreholes are stored whole or refused whole; refused ones are listed with file "
                        "and row (and written to --findings). Exit 0 when boreholes were imported (refused ones "
                        "are listed and warned about), 1 with findings at or over --fail-on, 2 when none could be "
                        "imported.")
    c.add_argument("boreholes", metavar="BOREHOLES", help="borehole sheet (.csv or .xlsx; a workbook may also hold "
                   "the intervals and construction sheets)")
    c.add_argument("intervals", metavar="INTERVALS", nargs="?", help="lithology interval sheet (.csv or .xlsx)")
    add_registry(c)
    c.add_argument("--construction", metavar="FILE", help="well construction sheet (casing, screen, gravel pack...)")
    c.add_argument("--las", metavar="FILE", action="append", default=[], help="LAS geophysical log (repeatable)")
    c.add_argument("--findings", metavar="CSV", help="write every finding (refused and flagged boreholes) here")
    c.add_argument("--map", metavar="TABLE:FIELD=COLUMN", action="append", default=[],
                   help="read FIELD from COLUMN, e.g. boreholes:collar_elev_m=\"RL (m)\" (repeatable)")
    c.add_argument("--term", metavar="WORD=CODE", action="append", default=[],
                   help="map a field lithology word to a code, e.g. clay=CI (repeatable)")
    c.add_argument("--crs", default="EPSG:4326", help="CRS of the borehole coordinates (default EPSG:4326 lon/lat)")
    c.add_argument("--replace", action="store_true", help="replace boreholes already in the registry")
    _max_source_distance(c)
    add_fail_on(c)
    c.set_defaults(func=_import)

    c = cmds.add_parser("validate", help="check every borehole; write the findings CSV")
    add_registry(c)
    c.add_argument("--out", required=True, metavar="CSV", help="findings: borehole_id, rule, severity, message")
    c.add_argument("--store", action="store_true", help="also store the findings on the boreholes (one batch)")
    _max_source_distance(c)
    add_fail_on(c)
    c.set_defaults(func=_validate)

    c = cmds.add_parser("striplog", help="strip logs (lithology, well construction, water level) as PNG and SVG")
    add_registry(c)
    c.add_argument("--out", required=True, metavar="DIR", help="folder for <borehole_id>.png/.svg")
    c.add_argument("--borehole", action="append", metavar="ID", help="only this borehole (repeatable; default all)")
    c.add_argument("--format", action="append", choices=["png", "svg"], help="file format (default both)")
    c.set_defaults(func=_striplog)

    c = cmds.add_parser("section", help="cross-section along a line through nearby boreholes")
    add_registry(c)
    c.add_argument("--out", required=True, metavar="FILE", help="output base name: FILE.png and FILE.svg")
    line = c.add_mutually_exclusive_group(required=True)
    line.add_argument("--through", metavar="ID,ID[,ID]", help="a line through these boreholes, in this order")
    line.add_argument("--line", metavar="WKT", help="the section line as WKT (in --line-crs)")
    line.add_argument("--line-file", metavar="FILE", help="a vector file with the section line")
    c.add_argument("--line-crs", metavar="CRS", help="CRS of --line (default: the registry's)")
    c.add_argument("--line-layer", metavar="LAYER", help="layer of --line-file")
    c.add_argument("--feature", type=int, default=0, metavar="N", help="which line of --line-file (0 = first)")
    c.add_argument("--dem", metavar="RASTER", help="DEM for the ground profile (any CRS)")
    c.add_argument("--corridor", type=float, default=250.0, metavar="M",
                   help="boreholes up to this distance from the line are projected onto it (default 250 m)")
    c.add_argument("--ve", type=float, metavar="N", help="vertical exaggeration (default: chosen to fit)")
    c.add_argument("--title", help="title of the section")
    c.add_argument("--format", action="append", choices=["png", "svg"], help="file format (default both)")
    c.set_defaults(func=_section)

    c = cmds.add_parser("export", help="export lithologs as CSV sheets (and LAS) that import back")
    add_registry(c)
    c.add_argument("--out", required=True, metavar="DIR", help="folder for boreholes.csv, intervals.csv, "
                   "construction.csv, las/")
    c.add_argument("--borehole", action="append", metavar="ID", help="only this borehole (repeatable; default all)")
    c.set_defaults(func=_export)


def _max_source_distance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-source-distance", type=float, default=100.0, metavar="M",
                        help="flag boreholes farther than this from their linked source (default 100 m)")


def _import(args: argparse.Namespace) -> int:
    from ..geology.importer import import_lithologs, parse_columns, parse_pairs

    with open_registry(args.registry) as reg:
        result = import_lithologs(
            reg, args.boreholes, args.intervals, args.construction, args.las, columns=parse_columns(args.map),
            terms=parse_pairs(args.term, "--term"), crs=args.crs, replace=args.replace, findings_path=args.findings,
            max_source_distance_m=args.max_source_distance, feedback=feedback(args),
        )
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.counts.items() if v)
    print(f"imported {len(result.imported)} borehole(s){': ' + counts if counts else ''}")
    rows = result.rows()
    if rows:
        shown = rows if args.findings is None else rows[:20]
        print(table(shown, ["borehole_id", "rule", "severity", "imported", "message"]))
        if len(shown) < len(rows):
            print(f"... {len(rows) - len(shown)} more in {args.findings}")
    if result.refused:
        print(f"refused {len(result.refused)} borehole(s): {', '.join(result.refused)}"
              + (f" (findings in {args.findings})" if args.findings else ""))
    if result.batch_id:
        print(f"batch {result.batch_id} (undo with: jalnet registry undo {args.registry} --batch {result.batch_id})")
    if result.refused and not result.imported:
        sys.stderr.write(f"jalnet: error: all {len(result.refused)} borehole(s) were refused; nothing was written\n")
        return 2
    if result.refused:
        warn(f"{len(result.refused)} borehole(s) refused: {', '.join(result.refused[:10])}"
             + (" ..." if len(result.refused) > 10 else ""))
    return findings_exit(Counter(f.severity for f in result.findings), args.fail_on)


def _validate(args: argparse.Namespace) -> int:
    from ..geology import validate_registry

    with open_registry(args.registry, readonly=not args.store) as reg:
        findings = validate_registry(reg, args.out, store=args.store, max_source_distance_m=args.max_source_distance,
                                     feedback=feedback(args))
    by_rule = Counter((f.rule, f.severity) for f in findings)
    print(table([{"rule": r, "severity": s, "findings": n} for (r, s), n in sorted(by_rule.items())],
                ["rule", "severity", "findings"]))
    print(f"{len(findings)} finding(s) on {len({f.borehole_id for f in findings})} borehole(s) written to {args.out}")
    return findings_exit(Counter(f.severity for f in findings), args.fail_on)


def _striplog(args: argparse.Namespace) -> int:
    from ..geology import write_striplogs

    with open_registry(args.registry, readonly=True) as reg:
        paths = write_striplogs(reg, args.out, args.borehole, args.format or ("png", "svg"), feedback=feedback(args))
    print(f"wrote {len(paths)} file(s) to {args.out}")
    return 0


def _section(args: argparse.Namespace) -> int:
    from ..geology.section import line_from_file, line_from_wkt, write_section

    with open_registry(args.registry, readonly=True) as reg:
        line = None
        if args.line:
            line = line_from_wkt(args.line, args.line_crs, reg.crs)
        elif args.line_file:
            line = line_from_file(args.line_file, reg.crs, args.line_layer, args.feature)
        through = [s.strip() for s in args.through.split(",") if s.strip()] if args.through else None
        section, paths = write_section(reg, args.out, line=line, through=through, dem=args.dem,
                                       corridor_m=args.corridor, vertical_exaggeration=args.ve, title=args.title,
                                       formats=tuple(args.format or ("png", "svg")), feedback=feedback(args))
    print(table([{"borehole": b.borehole_id, "chainage_m": f"{b.chainage:.0f}", "offset_m": f"{b.offset:.0f}",
                  "collar_m": f"{b.collar:.2f}"} for b in section.boreholes],
                ["borehole", "chainage_m", "offset_m", "collar_m"]))
    for note in section.notes:
        print(f"note: {note}")
    print(f"section {section.length:,.0f} m, vertical exaggeration x{section.vertical_exaggeration:g}: "
          + ", ".join(str(p) for p in paths))
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..geology import export_lithologs

    with open_registry(args.registry, readonly=True) as reg:
        paths = export_lithologs(reg, args.out, args.borehole)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0

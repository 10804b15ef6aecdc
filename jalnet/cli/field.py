"""``jalnet field``: offline field capture with QField (package a scheme, sync the field's edits back)."""

from __future__ import annotations

import argparse

from ..field import package_scheme, sync_package
from .common import add_registry, feedback, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("field", help="offline field capture with QField: package a scheme, sync the edits back")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True
    c = cmds.add_parser(
        "package",
        help="write a folder QField opens as it is: the scheme's layers, capture forms, photos folder, baseline",
        description="Writes DIR with field_capture.qgs (relative paths, forms from the registry's domains), "
        "field_data.gpkg (the scheme's assets read-only, capture layers for new pipes, taps, valves and notes), "
        "DCIM/ for photos, an optional DEM and hillshade, and jalnet_field.json (the baseline sync compares with). "
        "The package never holds the registry's address or credentials, nor personal fields.",
    )
    add_registry(c)
    c.add_argument("--scheme", required=True, metavar="ID", help="scheme_id of the scheme to package")
    c.add_argument("--out", required=True, metavar="DIR", help="new (or empty) folder to write")
    c.add_argument("--dem", metavar="TIF", help="DEM of the area: cut to the scheme, with a hillshade, as background")
    c.add_argument("--overwrite", action="store_true", help="replace DIR when it is not empty")
    c.add_argument("--no-project", action="store_true", help="write the data and manifest only (no QGIS needed)")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=_package)
    s = cmds.add_parser(
        "sync",
        help="bring a package's new pipes, taps, valves, edits and photos into the registry as one batch",
        description="Compares the package with its baseline: new pipe walks are cleaned, staged and snapped; new taps "
        "and valves are added; edits update the asset unless the registry changed it after packaging (a conflict, "
        "reported by ID and not applied); photos become attachments. Everything is one undoable batch; a second sync "
        "of the same package changes nothing. Exit 0 done, 1 when there were conflicts, 2 bad input.",
    )
    add_registry(s)
    s.add_argument("--package", required=True, metavar="DIR", help="the package folder copied back from the device")
    s.add_argument("--tolerance", type=float, default=None, metavar="M",
                   help="snapping tolerance for new pipes (m); default: derived from the walks, as network snap does")
    s.add_argument("--dry-run", action="store_true", help="compare and report, write nothing")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=_sync)


def _package(args: argparse.Namespace) -> int:
    result = package_scheme(args.registry, args.scheme, args.out, dem=args.dem, overwrite=args.overwrite,
                            project=not args.no_project, feedback=feedback(args))
    if args.json:
        print_json(result.to_dict())
        return 0
    print(table([{"layer": k, "features": v} for k, v in result.counts.items()], ["layer", "features"]))
    for note in result.notes:
        print(f"  {note}")
    print(f"field package of scheme {result.scheme_id} written to {result.folder}"
          + (f"; open {result.project.name} in QField" if result.project else ""))
    return 0


def _sync(args: argparse.Namespace) -> int:
    report = sync_package(args.registry, args.package, dry_run=args.dry_run, tolerance=args.tolerance,
                          feedback=feedback(args))
    if args.json:
        print_json(report.to_dict())
        return report.exit_code
    for message in report.messages:
        print(f"  {message}")
    if report.conflicts:
        print("conflicts (not applied):")
        print(table([c.__dict__ for c in report.conflicts], ["layer", "asset_id", "reason"]))
    print(report.summary_line())
    if report.batch_id:
        print(f"undo with: jalnet registry undo {report.registry} --batch {report.batch_id}")
    return report.exit_code

"""``jalnet tracks``: import contractor GPS tracks, KML/KMZ, CSV logs and vector files into staging."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ..report.html import page
from ..tracks import FieldMapping, ImportOptions, expand_paths, import_tracks
from ..tracks.report import COLUMNS, report_section
from .common import add_registry, feedback, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tracks", help="import and clean contractor GPS tracks and KML into staging layers")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True
    c = cmds.add_parser(
        "import",
        help="read, check and clean contractor files; stage pipe and point candidates as one registry batch",
        description="Reads GPX 1.0/1.1, KML, KMZ, CSV point logs, GeoJSON and any GDAL vector file; drops duplicate, "
        "standstill, spike and low-accuracy fixes, splits at gaps, smooths and simplifies; writes the pipe and "
        "point candidates of all files into staged_pipes and staged_points as one batch. A file that cannot be "
        "read, or from which nothing usable was read, is refused (listed with the reason); the other files are "
        "still imported. Exit 0 when any file was imported (refusals are warned about on stderr), 2 when none was "
        "(nothing is written).",
    )
    c.add_argument("files", nargs="+", metavar="FILE", help="files or folders of files to import")
    add_registry(c)
    c.add_argument("--mapping", metavar="FILE", help="JSON field mapping (fields, materials, kinds, columns)")
    c.add_argument("--map", action="append", default=[], metavar="FIELD=SOURCE",
                   help="take staged field FIELD from source attribute SOURCE, e.g. --map pipe_id=PIPE_NO (repeatable)")
    c.add_argument("--columns", action="append", default=[], metavar="ROLE=COLUMN,...",
                   help="CSV columns: lat, lon, time, date, accuracy, ele, track, e.g. --columns lat=Y,lon=X")
    c.add_argument("--max-accuracy", type=float, metavar="M",
                   help="drop fixes reporting a worse accuracy, in metres (default 25)")
    c.add_argument("--max-speed", type=float, metavar="M/S", help="faster jumps are spikes (default 5 m/s)")
    c.add_argument("--dry-run", action="store_true", help="read, clean and report, but write nothing")
    c.add_argument("--report", metavar="HTML", help="also write the import report as an HTML page")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    mapping = FieldMapping.from_any(args.mapping).with_pairs(args.map, args.columns)
    options = {"dry_run": args.dry_run}
    if args.max_accuracy is not None:
        options["max_accuracy_m"] = args.max_accuracy
    if args.max_speed is not None:
        options["max_speed_mps"] = args.max_speed
    files = expand_paths(args.files)
    if not files:
        raise InputError(f"no track files in {', '.join(args.files)}")
    report = import_tracks(args.registry, files, mapping, ImportOptions.from_any(options), feedback(args))
    if args.report:
        Path(args.report).write_text(page("Contractor files imported", report.registry, [report_section(report)]),
                                     encoding="utf-8")
    if args.json:
        print_json(report.to_dict())
    else:
        print(table(report.rows(), COLUMNS))
        for f in report.files:
            for message in f.messages:
                print(f"  {message}")
            if f.messages_left_off:
                print(f"  ... and {f.messages_left_off} more message(s) for {f.name}")
        print(report.summary_line())
        if report.batch_id:
            print(f"undo with: jalnet registry undo {report.registry} --batch {report.batch_id}")
    level = "warning" if report.imported else "error"
    for f in report.refused:
        sys.stderr.write(f"jalnet: {level}: refused: {f.reason}\n")
    if report.refused:
        sys.stderr.write(f"jalnet: {level}: {len(report.refused)} file(s) refused; "
                         + (f"the other files were imported (batch {report.batch_id})\n" if report.batch_id else
                            "the other files were read (dry run)\n" if report.imported else "nothing was written\n"))
    return report.exit_code

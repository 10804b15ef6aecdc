"""``jalnet network``: snap staged contractor pipes, validate the network, list rules, accept exceptions."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..topology import accept_exception, health_report, list_exceptions, read_findings, snap, validate
from ..topology.rules import PARAMS, RULES
from ..topology.snap import DEFAULT_TOLERANCE
from ..topology.validate import registry_access
from .common import add_registry, fail_on_exit, feedback, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("network", help="snap staged pipes into the network, validate it, report its data health")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True

    c = cmds.add_parser(
        "snap", help="snap staged contractor pipes into the registry's pipes (one undoable batch)",
        description="Pipe ends go to existing nodes first (tank, source, pump, treatment unit, valve, junction), else "
        "onto existing pipes (split there, with a new junction); gaps between pieces of one walk are closed, "
        "overshoots trimmed, and a track that repeats an existing pipe is conflated, not added. Existing geometry "
        "is not moved unless --allow-move-existing. Running it again changes nothing.")
    add_registry(c)
    c.add_argument("--batch", metavar="ID", help="only the candidates of this import batch (default: all staged)")
    c.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, metavar="M",
                   help=f"snapping distance in metres (default {DEFAULT_TOLERANCE:g}; phone GPS tracks need 10-15)")
    c.add_argument("--allow-move-existing", action="store_true",
                   help="also snap the registry's own loose pipe ends lying within the tolerance of the network")
    c.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    c.add_argument("--out", metavar="GPKG", help="also write the proposed changes to a GeoPackage, to look at in QGIS")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=_snap)

    c = cmds.add_parser(
        "validate", help="check the network against the rule catalogue; write error layers and a data-health report",
        description="Writes the findings as a GeoPackage with a point and a line layer (styled; open it in the JalNet "
        "findings panel) and, with --report/--csv, the data-health report per scheme and division, worst first. "
        "Findings accepted as exceptions are left out.")
    add_registry(c)
    c.add_argument("--scheme", metavar="ID", help="only this scheme")
    c.add_argument("--out", required=True, metavar="ERRORS.gpkg", help="error layers to write (replaced if present)")
    c.add_argument("--report", metavar="HTML", help="data-health report (HTML)")
    c.add_argument("--csv", metavar="CSV", help="data-health table per scheme (CSV)")
    c.add_argument("--rules", metavar="CODES", help="only these rules or groups, comma-separated (e.g. NET-012,Topology)")
    c.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="change a rule parameter, e.g. --param near_miss_m=10 (see 'jalnet network rules')")
    c.add_argument("--fail-on", choices=("error", "warning", "never"), default="never",
                   help="exit 1 when there are findings of this severity or worse (for scheduled checks)")
    c.add_argument("--json", action="store_true", help="print counts as JSON")
    c.set_defaults(func=_validate)

    c = cmds.add_parser("rules", help="list the validation rules and their parameters")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=_rules)

    c = cmds.add_parser("accept", help="accept a finding as a legitimate exception; it is not reported again")
    add_registry(c)
    c.add_argument("--fingerprint", required=True, metavar="F", help="the finding's fingerprint (error layer column)")
    c.add_argument("--note", required=True, help="why it is accepted")
    c.add_argument("--errors", metavar="ERRORS.gpkg", help="error layers to take the finding from (else re-validates)")
    c.set_defaults(func=_accept)

    c = cmds.add_parser("exceptions", help="list the accepted exceptions")
    add_registry(c)
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=_exceptions)


def _snap(args: argparse.Namespace) -> int:
    result = snap(args.registry, batch=args.batch, tolerance=args.tolerance, dry_run=args.dry_run,
                  allow_move_existing=args.allow_move_existing, feedback=feedback(args))
    if args.out:
        result.write(args.out)
    rows = result.candidates.drop(columns="geometry").astype(object).where(result.candidates.notna(), None)
    if args.json:
        print_json({"counts": result.counts, "batch_id": result.batch_id, "dry_run": result.dry_run,
                    "candidates": rows.to_dict("records")})
        return 0
    print(table(rows.to_dict("records"), ["candidate_id", "state", "result_pipe_id", "message"]))
    counts = result.counts
    print(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    if result.dry_run:
        print("dry run: nothing was written")
    elif result.batch_id:
        print(f"batch {result.batch_id} (undo with: jalnet registry undo {args.registry} --batch {result.batch_id})")
    else:
        print("nothing to snap")
    if args.out:
        print(f"proposed changes: {args.out}")
    return 0


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--param {item}: write NAME=VALUE, e.g. near_miss_m=10")
        out[name.strip()] = value.strip()
    return out


def _validate(args: argparse.Namespace) -> int:
    rules = [r for r in args.rules.split(",")] if args.rules else None
    result = validate(args.registry, scheme=args.scheme, rules=rules, params=_params(args.param),
                      feedback=feedback(args))
    out = result.write(args.out)
    if args.report or args.csv:
        html, frame = health_report(result, args.registry)
        if args.report:
            Path(args.report).write_text(html, encoding="utf-8")
        if args.csv:
            frame.to_csv(args.csv, index=False)
    counts = result.counts
    if args.json:
        print_json({"counts": counts, "accepted": result.accepted, "by_rule": result.by_rule().to_dict("records"),
                    "out": str(out)})
    else:
        by_rule = result.by_rule()
        print(table(by_rule[by_rule["findings"] > 0].to_dict("records"), ["rule", "severity", "title", "findings"]))
        print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
              + (f" ({result.accepted} accepted exceptions left out)" if result.accepted else "") + f" -> {out}")
        for path in (args.report, args.csv):
            if path:
                print(f"data health: {path}")
    return fail_on_exit(counts, args.fail_on)


def _rules(args: argparse.Namespace) -> int:
    rules = [{"rule": r.code, "severity": r.severity, "group": r.group, "title": r.title,
              "description": r.description, "parameters": ", ".join(r.params)} for r in RULES.values()]
    params = [{"parameter": p.name, "default": p.default, "unit": p.unit, "description": p.description}
              for p in PARAMS.values()]
    if args.json:
        print_json({"rules": rules, "parameters": params})
        return 0
    print(table(rules, ["rule", "severity", "title", "description"]))
    print()
    print(table(params, ["parameter", "default", "unit", "description"]))
    return 0


def _accept(args: argparse.Namespace) -> int:
    finding = None
    if args.errors:
        found = read_findings(args.errors)
        hit = found[found["fingerprint"] == args.fingerprint]
        if hit.empty:
            raise InputError(f"{args.errors} has no finding with fingerprint {args.fingerprint}")
        finding = hit.iloc[0].to_dict()
    with registry_access(args.registry, readonly=False) as reg:
        exception_id = accept_exception(reg, args.fingerprint, args.note, finding)
    print(f"accepted {args.fingerprint} as exception {exception_id}; validation will not report it again")
    return 0


def _exceptions(args: argparse.Namespace) -> int:
    with registry_access(args.registry, readonly=True) as reg:
        frame = list_exceptions(reg)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if args.json:
        print_json(rows)
    else:
        print(table(rows, ["exception_id", "rule", "fingerprint", "asset_ids", "note", "accepted_by", "accepted_at"]))
    return 0

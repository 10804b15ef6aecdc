"""``jalnet health``: every module's checks in one pass, scores per scheme, division and district, the trend."""

from __future__ import annotations

import argparse

from ..health import run_health
from .common import add_fail_on, add_registry, feedback, findings_exit, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "health", help="data health of the whole registry: all modules' checks, a score per scheme, the trend",
        description="Runs the network, registry, geology and PM Gati Shakti checks and the hydraulic service norms "
        "(from each scheme's last stored hydraulic run) in one pass, scores each scheme and rolls the scores up by "
        "division and district, keeps the run in the registry and compares it with the previous one (new, fixed, "
        "still open). Findings accepted as exceptions are left out.")
    add_registry(c)
    c.add_argument("--scheme", metavar="ID", help="only this scheme")
    c.add_argument("--out", metavar="HEALTH.gpkg", help="findings (points, lines), schemes by score and the tables")
    c.add_argument("--report", metavar="HTML", help="the dashboard (one offline HTML file)")
    c.add_argument("--no-store", action="store_true", help="do not keep the run in the registry (opens it read-only)")
    add_fail_on(c)
    c.add_argument("--json", action="store_true", help="print counts and scores as JSON")
    c.set_defaults(func=_health)


def _health(args: argparse.Namespace) -> int:
    result = run_health(args.registry, args.out, args.report, scheme=args.scheme, store=not args.no_store,
                        feedback=feedback(args))
    counts, trend = result.counts, result.trend_counts
    schemes = result.schemes[["scheme_id", "score", "errors", "warnings", "notes", "division", "district"]]
    if args.json:
        print_json({"counts": counts, "trend": trend, "run_id": result.run_id, "modules": result.modules,
                    "accepted": result.accepted, "schemes": schemes.astype(object).where(schemes.notna(), None)
                    .to_dict("records")})
    else:
        print(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes; {trend['new']} new, "
              f"{trend['fixed']} fixed, {trend['open']} still open since the previous run"
              + (f"; {result.accepted} accepted exceptions left out" if result.accepted else ""))
        for module, why in result.modules.items():
            if why != "checked":
                print(f"{module}: {why}" if why.startswith("checked") else f"skipped {module}: {why}")
        print(table(schemes.head(20).astype(object).where(schemes.notna(), None).to_dict("records"),
                    list(schemes.columns)))
        for path in (args.out, args.report):
            if path:
                print(f"wrote {path}")
    return findings_exit(counts, args.fail_on)

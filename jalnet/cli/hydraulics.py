"""``jalnet hydraulics``: build WNTR/EPANET models from the registry, exchange .inp files, run scenarios."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import InputError
from .common import add_registry, feedback, print_json, table
from .design import add_design


def parse_params(items: list[str]) -> dict[str, Any]:
    from ..hydraulics.build import parse_params as parse

    return parse(items)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hydraulics", help="hydraulic models (WNTR/EPANET) of schemes: build, .inp, scenarios, runs")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True

    def registry(c: argparse.ArgumentParser) -> None:
        add_registry(c)

    def model_options(c: argparse.ArgumentParser) -> None:
        c.add_argument("--dem", help="DEM for nodes without an elevation (any CRS; bilinear)")
        c.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="model parameter, e.g. lpcd=70, supply_hours=8, roughness_table=c.csv (repeatable)")

    c = cmds.add_parser("build", help="build a scheme's model from the registry and report on it")
    registry(c)
    c.add_argument("--scheme", required=True, help="scheme ID")
    c.add_argument("--out", metavar="NET.inp", help="also write the model as an EPANET .inp")
    model_options(c)
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=_build)

    c = cmds.add_parser("import-inp", help="import an EPANET .inp into the registry as a scheme")
    c.add_argument("inp", metavar="NET.inp")
    registry(c)
    c.add_argument("--crs", required=True, help="CRS of the .inp coordinates, e.g. EPSG:32646")
    c.add_argument("--scheme", help="scheme ID (default: the file name)")
    c.add_argument("--id-prefix", default="", help="prefix for asset IDs, when other schemes use the same IDs")
    c.add_argument("--replace", action="store_true", help="replace the scheme's assets if it exists")
    c.add_argument("--source-type", default="surface_intake", help="source_type for reservoirs (default surface_intake)")
    c.add_argument("--tank-type", default="GSR", help="tank_type for tanks (default GSR)")
    c.set_defaults(func=_import)

    c = cmds.add_parser("export-inp", help="write a scheme of the registry as an EPANET .inp")
    registry(c)
    c.add_argument("--scheme", help="scheme ID (optional when the registry has one scheme)")
    c.add_argument("--out", required=True, metavar="NET.inp")
    c.add_argument("--units", help="flow units of the file (default: the model's own, else LPS)")
    c.add_argument("--crs", help="write coordinates in this CRS (default: the registry's)")
    model_options(c)
    c.set_defaults(func=_export)

    c = cmds.add_parser("run", help="run scenarios of one scheme or of every scheme (in parallel with Dask)")
    registry(c)
    c.add_argument("--scheme", action="append", default=[], help="scheme ID (repeatable; default: every scheme)")
    c.add_argument("--scenario", action="append", default=[],
                   help="scenario name (repeatable; default: the scheme's stored scenarios, else the standard set)")
    c.add_argument("--out", required=True, metavar="RESULTS.gpkg", help="results GeoPackage (replaced)")
    model_options(c)
    c.add_argument("--norms", help="JSON file of service norms, e.g. {\"min_pressure_m\": 7}")
    c.add_argument("--start", help="date/time the runs start at, for the time fields (default today 00:00)")
    c.add_argument("--engine", choices=("dask", "serial"), default=None,
                   help="for several schemes: dask (default; a local cluster or --scheduler) or serial")
    c.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    c.add_argument("--workers", type=int, help="local Dask workers (default: one per CPU core)")
    c.add_argument("--no-store", action="store_true",
                   help="do not keep the runs in the registry (by default each run is stored for 'jalnet health')")
    c.set_defaults(func=_run)

    c = cmds.add_parser("scenario", help="list, store or delete a scheme's scenarios")
    registry(c)
    c.add_argument("--scheme", required=True)
    c.add_argument("action", choices=("list", "add", "delete", "standard"),
                   help="list; add (or replace) --name/--kind/--param; delete --name; standard: store the standard set")
    c.add_argument("--name")
    c.add_argument("--kind", help="peak_hour, eps, design_year, criticality, pump_outage, source_outage, water_age, "
                                  "chlorine")
    c.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="scenario parameter (repeatable)")
    c.add_argument("--description", default="")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_scenario)

    add_design(cmds)

    c = cmds.add_parser("roughness-table", help="write the editable pipe roughness table (material and age)")
    c.add_argument("--out", required=True, metavar="TABLE.csv")
    c.set_defaults(func=_roughness)


def _scheme_or_only(registry: str, scheme: str | None) -> str:
    if scheme:
        return scheme
    from ..hydraulics.build import scheme_ids
    from ..registry import open_registry

    with open_registry(registry, readonly=True) as reg:
        schemes = scheme_ids(reg)
    if len(schemes) != 1:
        raise InputError(f"registry {registry} has {len(schemes)} schemes ({', '.join(schemes[:8])}); choose one with "
                         "--scheme")
    return schemes[0]


def _build(args: argparse.Namespace) -> int:
    from ..hydraulics.build import build_model
    from ..hydraulics.epanet_io import export_inp

    fb = feedback(args)
    params = parse_params(args.param)
    if args.out:
        report = export_inp(args.registry, args.scheme, args.out, dem=args.dem, params=params, feedback=fb)
    else:
        _, report = build_model(args.registry, args.scheme, dem=args.dem, params=params, feedback=fb)
    info = {
        "scheme": report.scheme, "counts": report.counts, "demand_source": report.demand_source,
        "households": report.households, "persons": report.persons, "average_demand_lps": round(report.demand_lps, 3),
        "peak_factor": round(report.peak_factor, 3), "intermittent": report.intermittent,
        "growth_factor": None if report.growth_factor is None else round(report.growth_factor, 3),
        "elevations_from_dem": len(report.elevations_from_dem), "roughness_from_table": report.roughness_from_table,
        "lengths_from_geometry": report.lengths_from_geometry, "merged_into_tanks_or_sources": report.merged,
        "warnings": report.warnings,
    }
    if args.json:
        print_json(info)
        return 0
    for k, v in info.items():
        if k != "warnings":
            print(f"{k:<30} {v}")
    for w in report.warnings:
        print(f"warning: {w}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..hydraulics.epanet_io import import_inp

    report = import_inp(args.inp, args.registry, args.crs, scheme=args.scheme, feedback=feedback(args),
                        id_prefix=args.id_prefix, replace=args.replace, source_type=args.source_type,
                        tank_type=args.tank_type)
    print(table([{"layer": k, "imported": v} for k, v in report.counts.items()], ["layer", "imported"]))
    print(f"scheme {report.scheme}; batch {report.batch_id} (undo with: jalnet registry undo {args.registry} "
          f"--batch {report.batch_id})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..hydraulics.epanet_io import export_inp

    scheme = _scheme_or_only(args.registry, args.scheme)
    report = export_inp(args.registry, scheme, args.out, units=args.units, crs=args.crs, dem=args.dem,
                        params=parse_params(args.param), feedback=feedback(args))
    counts = ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)
    print(f"wrote {args.out}: scheme {scheme}, {counts}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ..hydraulics.parallel import run_all

    fb = feedback(args)
    scenarios = args.scenario or None
    engine = args.engine or ("serial" if len(args.scheme) == 1 else "dask")
    report = run_all(args.registry, schemes=args.scheme or None, scenarios=scenarios, out=args.out, dem=args.dem,
                     params=parse_params(args.param), norms=args.norms, engine=engine, address=args.scheduler,
                     workers=args.workers, feedback=fb, start=args.start, store=not args.no_store)
    rows = [dict(r) for r in report.summaries]
    columns = ["scheme_id", "scenario", "households", "households_inadequate", "demand_peak_lps", "peak_at",
               "pressure_min_m", "pressure_max_m", "velocity_max_ms", "errors", "warnings"]
    for row in rows:
        for c in ("demand_peak_lps", "pressure_min_m", "pressure_max_m", "velocity_max_ms"):
            if isinstance(row.get(c), float):
                row[c] = round(row[c], 2)
        if hasattr(row.get("peak_at"), "strftime"):
            row["peak_at"] = row["peak_at"].strftime("%H:%M")
    print(table(rows[:50], columns))
    if len(rows) > 50:
        print(f"... and {len(rows) - 50} more (see the comparison table in {args.out})")
    for f in report.failures[:20]:
        print(f"failed: scheme {f['scheme_id']} {f['scenario']}: {f['error']}")
    print(f"{report.scenarios_run} scenario run(s) of {report.schemes} scheme(s) in {report.seconds:.1f} s "
          f"({report.engine}, {report.workers} worker(s)); {len(report.failures)} failure(s); results in {report.out}")
    if report.run_ids:
        print(f"kept in the registry as run(s) {report.run_ids[0]}"
              + (f" to {report.run_ids[-1]}" if len(report.run_ids) > 1 else ""))
    return 0 if report.scenarios_run else 2


def _scenario(args: argparse.Namespace) -> int:
    from ..hydraulics import scenarios as sc

    if args.action == "list":
        items = sc.list_scenarios(args.registry, args.scheme)
        rows = [{"name": s.name, "kind": s.kind, "stored": s.stored, "parameters": json.dumps(s.parameters),
                 "description": s.description} for s in items]
        if args.json:
            print_json(rows)
        else:
            print(table(rows, ["name", "kind", "stored", "parameters", "description"]))
        return 0
    if args.action == "standard":
        batch = sc.store_standard(args.registry, args.scheme)
        print(f"stored the standard scenarios (batch {batch})" if batch else "the standard scenarios are all stored")
        return 0
    if not args.name:
        raise InputError(f"scenario {args.action} needs --name")
    if args.action == "delete":
        batch = sc.delete_scenario(args.registry, args.scheme, args.name)
        print(f"deleted scenario {args.name} (batch {batch})")
        return 0
    if not args.kind:
        raise InputError("scenario add needs --kind")
    batch = sc.save_scenario(args.registry, args.scheme, args.name, args.kind, parse_params(args.param),
                             args.description)
    print(f"stored scenario {args.name} ({args.kind}) of scheme {args.scheme} (batch {batch})")
    return 0


def _roughness(args: argparse.Namespace) -> int:
    from ..hydraulics.roughness import write_table

    print(f"wrote {write_table(args.out)}; edit it and pass --param roughness_table={args.out}")
    return 0

"""``jalnet gatishakti``: export registry layers for PM Gati Shakti, check them first, list profiles."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..gatishakti import bundled_profiles, check_export, export_package, load_profile
from ..gatishakti.package import PreflightFailed, check_output
from .common import add_fail_on, add_registry, feedback, findings_exit, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gatishakti", help="export layers for the PM Gati Shakti National Master Plan (checked, "
                                          "profile-driven, WGS 84)")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True

    c = cmds.add_parser("export", help="check the registry and write the package (zip)")
    _common(c)
    c.add_argument("--out", metavar="PACKAGE.zip", help="package to write (required unless --check)")
    c.add_argument("--overwrite", action="store_true", help="replace an existing package (once the new one is "
                                                            "complete)")
    c.add_argument("--check", action="store_true", help="only run the pre-flight check; write nothing; exit 0 "
                                                        "when clean, 1 with the report when there are faults")
    add_fail_on(c, "error")
    c.set_defaults(func=_export)

    c = cmds.add_parser("check", help="pre-flight check only: print the report, write nothing (exit 1 on faults)")
    _common(c)
    add_fail_on(c, "error")
    c.set_defaults(func=_check)

    c = cmds.add_parser("profiles", help="list the bundled profiles and their layers")
    c.add_argument("--profile", help="show the layers and fields of one profile (name or file)")
    c.set_defaults(func=_profiles)


def _common(c: argparse.ArgumentParser) -> None:
    add_registry(c)
    c.add_argument("--profile", metavar="FILE", help="profile: a bundled name (see 'jalnet gatishakti profiles') or "
                                                     "a .json/.yaml file (default: the bundled 'default')")
    c.add_argument("--format", dest="formats", metavar="LIST",
                   help="comma-separated formats: gpkg,shp,geojson,kml (default: the profile's)")
    c.add_argument("--scheme", metavar="ID", help="only the features of this scheme ID")
    c.add_argument("--layers", metavar="LIST", help="comma-separated target or registry layer names (default: the "
                                                    "profile's layers with include true); '+jjm_fhtc' adds a layer "
                                                    "to those")
    c.add_argument("--report", metavar="FILE.html", help="also write the pre-flight report as HTML")


def _layers(args: argparse.Namespace) -> list[str] | None:
    return [x.strip() for x in args.layers.split(",") if x.strip()] if args.layers else None


def _check(args: argparse.Namespace) -> int:
    result = check_export(args.registry, args.profile, args.scheme, _layers(args), args.formats,
                          feedback=feedback(args))
    print(result.text())
    if args.report:
        print(f"report    {result.write_report(args.report)}")
    return findings_exit({"error": len(result.faults)}, args.fail_on)  # every fault stops an export


def _export(args: argparse.Namespace) -> int:
    if args.check:
        return _check(args)
    if not args.out:
        raise InputError("give --out PACKAGE.zip (or --check to only check)")
    check_output(args.out, args.overwrite)
    try:
        result = export_package(args.registry, args.out, args.profile, args.scheme, _layers(args), args.formats,
                                overwrite=args.overwrite, report=args.report, feedback=feedback(args))
    except PreflightFailed as err:
        print(err.check.text())
        raise
    rows = [{"layer": m["name"], "source": m["source"], "features": m["features"],
             "repaired": m["repaired_geometries"], "withheld": ", ".join(m["withheld_fields"])}
            for m in result.manifest["layers"]]
    print(table(rows, ["layer", "source", "features", "repaired", "withheld"]))
    prof = result.manifest["profile"]
    print(f"package   {result.path}  ({len(result.files)} files; {', '.join(result.check.formats)}; profile "
          f"{prof['name']} v{prof['version']}; scheme(s) {', '.join(result.check.schemes)})")
    if result.report:
        print(f"report    {result.report}")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    if args.profile:
        prof = load_profile(args.profile)
        print(f"{prof.name} v{prof.version} ({prof.file}): {prof.title}")
        for lyr in prof.layers:
            print(f"\n{lyr.name} <- {lyr.source} ({lyr.geometry}{'' if lyr.include else ', off by default'})")
            rows = [{"field": f.name, "shp": f.shapefile_name, "type": f.type, "length": f.length or "",
                     "from": f.origin, "flags": ", ".join(x for x, on in (("mandatory", f.mandatory),
                                                                        ("unique", f.unique),
                                                                        ("codes", f.codes is not None),
                                                                        ("WITHHELD", f.sensitive)) if on)}
                    for f in lyr.fields]
            print(table(rows, ["field", "shp", "type", "length", "from", "flags"]))
        return 0
    rows = []
    for name, path in bundled_profiles().items():
        prof = load_profile(path)
        rows.append({"profile": name, "name": prof.name, "version": prof.version,
                     "layers": ", ".join(lyr.name + ("" if lyr.include else "*") for lyr in prof.layers)})
    print(table(rows, ["profile", "name", "version", "layers"]))
    print("* off by default; add with --layers +NAME")
    return 0

"""``jalnet registry``: create, inspect, load, copy, list the change log, undo."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..registry import content_digest, copy_registry, create_registry, load_layers, open_registry
from .common import feedback, print_json, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("registry", help="create and manage an asset registry (GeoPackage or PostGIS)")
    cmds = p.add_subparsers(dest="command", metavar="ACTION")
    cmds.required = True
    target_help = "registry: a .gpkg path or postgresql://user@host:port/db?schema=NAME"

    c = cmds.add_parser("create", help="create an empty registry")
    c.add_argument("target", metavar="REGISTRY", help=target_help)
    c.add_argument("--crs", default="EPSG:32646",
                   help="projected metric CRS of the registry (default EPSG:32646, UTM 46N for Assam)")
    c.add_argument("--overwrite", action="store_true", help="replace an existing registry")
    c.set_defaults(func=_create)

    c = cmds.add_parser("info", help="CRS, schema version and feature counts")
    c.add_argument("target", metavar="REGISTRY", help=target_help)
    c.add_argument("--json", action="store_true", help="print JSON")
    c.add_argument("--checksum", action="store_true", help="also print a content checksum per layer")
    c.set_defaults(func=_info)

    c = cmds.add_parser("load", help="load layers of a vector file whose names match registry layers")
    c.add_argument("target", metavar="REGISTRY", help=target_help)
    c.add_argument("source", metavar="SOURCE", help="GeoPackage, shapefile, GeoJSON or any OGR source")
    c.add_argument("--layer", action="append", default=[], metavar="SRC=LAYER",
                   help="load source layer SRC into registry layer LAYER (repeatable)")
    c.set_defaults(func=_load)

    c = cmds.add_parser("log", help="list edit batches, or the changes of one batch")
    c.add_argument("target", metavar="REGISTRY", help=target_help)
    c.add_argument("--batch", help="show the feature changes of this batch")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=_log)

    c = cmds.add_parser("undo", help="undo one edit batch exactly")
    c.add_argument("target", metavar="REGISTRY", help=target_help)
    c.add_argument("--batch", required=True, help="batch id (see 'jalnet registry log')")
    c.set_defaults(func=_undo)

    c = cmds.add_parser("copy", help="copy a registry, e.g. GeoPackage to PostGIS and back")
    c.add_argument("source", metavar="FROM", help=target_help)
    c.add_argument("destination", metavar="TO", help=target_help)
    c.add_argument("--overwrite", action="store_true", help="replace an existing destination")
    c.set_defaults(func=_copy)


def _create(args: argparse.Namespace) -> int:
    with create_registry(args.target, crs=args.crs, overwrite=args.overwrite) as reg:
        print(f"created {reg.target} ({reg.crs.name}, EPSG:{reg.epsg}, schema v{reg.schema_version})")
    return 0


def _info(args: argparse.Namespace) -> int:
    with open_registry(args.target, readonly=True) as reg:
        info = reg.info()
        if args.checksum:
            info["checksums"] = content_digest(reg)
    if args.json:
        print_json(info)
        return 0
    print(f"registry   {info['target']} ({info['kind']})")
    print(f"crs        {info['crs']} {info['crs_name']}")
    print(f"schema     v{info['schema_version']}, created {info['created']}")
    print(f"batches    {info['batches']}")
    print(table([{"layer": k, "features": v} for k, v in info["layers"].items()], ["layer", "features"]))
    for name, digest in info.get("checksums", {}).items():
        print(f"sha256 {name:<16} {digest}")
    return 0


def _load(args: argparse.Namespace) -> int:
    mapping = None
    if args.layer:
        mapping = {}
        for item in args.layer:
            src, sep, dst = item.partition("=")
            if not sep or not src or not dst:
                raise InputError(f"--layer {item}: write SOURCE_LAYER=REGISTRY_LAYER")
            mapping[src] = dst
    with open_registry(args.target) as reg:
        counts = load_layers(reg, args.source, mapping, feedback=feedback(args))
    batch = counts.pop("batch_id")
    print(table([{"layer": k, "loaded": v} for k, v in counts.items()], ["layer", "loaded"]))
    print(f"batch {batch} (undo with: jalnet registry undo {args.target} --batch {batch})" if batch else
          "nothing loaded")
    return 0


def _log(args: argparse.Namespace) -> int:
    with open_registry(args.target, readonly=True) as reg:
        frame = reg.changes(args.batch) if args.batch else reg.batches()
    if args.batch and frame.empty:
        raise InputError(f"no batch '{args.batch}' in {args.target}")
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if args.json:
        print_json(records)
    elif args.batch:
        print(table(records, ["seq", "op", "layer", "feature_fid", "feature_key", "time"]))
    else:
        print(table(records, ["batch_id", "started", "tool", "n_changes", "description", "undone_by"]))
    return 0


def _undo(args: argparse.Namespace) -> int:
    with open_registry(args.target) as reg:
        undo_id = reg.undo(args.batch, feedback=feedback(args))
    print(f"undid batch {args.batch} (as batch {undo_id})")
    return 0


def _copy(args: argparse.Namespace) -> int:
    counts = copy_registry(args.source, args.destination, overwrite=args.overwrite, feedback=feedback(args))
    total = sum(v for k, v in counts.items() if not k.startswith("jalnet"))
    print(f"copied {total} features and {counts.get('jalnet_changes', 0)} logged changes to {args.destination}")
    return 0

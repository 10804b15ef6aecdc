"""``jalnet hydraulics design``: least-cost pipe sizes of a scheme (added to the hydraulics group)."""

from __future__ import annotations

import argparse

from .common import add_registry, feedback, table


def add_design(cmds: argparse._SubParsersAction) -> None:
    c = cmds.add_parser("design", help="least-cost pipe sizes of a scheme to CPHEEO norms (LP, checked by EPANET)")
    add_registry(c)
    c.add_argument("--scheme", required=True, help="scheme ID")
    c.add_argument("--out", required=True, metavar="DESIGN.gpkg",
                   help="design GeoPackage (design_pipes, design_nodes); the BOQ (_boq.csv) and report (_report.html) "
                        "are written beside it")
    c.add_argument("--catalogue", metavar="PIPES.csv", help="pipe catalogue (default: the shipped one, indicative "
                                                            "costs; columns material,pressure_class,nominal_dia_mm,"
                                                            "inner_dia_mm,hw_c,cost_inr_per_m,max_pressure_m)")
    c.add_argument("--min-head", type=float, default=None, help="minimum residual head at every node (m; default 7)")
    c.add_argument("--max-velocity", type=float, default=None, help="velocity limit (m/s; default 3)")
    c.add_argument("--peak-factor", type=float, default=None,
                   help="peak factor on the average demand (default: CPHEEO's by design population; intermittent "
                        "supply 24 / supply hours)")
    c.add_argument("--apply", action="store_true", help="write the chosen pipes into the registry (one undoable batch)")
    c.add_argument("--dem", help="DEM for nodes without an elevation")
    c.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="model parameter, e.g. lpcd=70")
    c.set_defaults(func=_design)


def _design(args: argparse.Namespace) -> int:
    from ..design import design_scheme
    from .hydraulics import parse_params

    r = design_scheme(args.registry, args.scheme, out=args.out, catalogue=args.catalogue, min_head=args.min_head,
                      max_velocity=args.max_velocity, peak_factor=args.peak_factor, apply=args.apply, dem=args.dem,
                      params=parse_params(args.param), feedback=feedback(args))
    rows = [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in row.items()} for row in r.boq.to_dict("records")]
    print(table(rows, ["material", "pressure_class", "nominal_dia_mm", "length_m", "cost_inr"]))
    print(f"scheme {r.scheme}: {len(r.net.pipe_names)} pipe(s) in {len(r.pipes)} segment(s); least-cost design "
          f"Rs {r.cost_inr:,.0f}; conventional hand method Rs {r.hand.cost_inr:,.0f}; saving Rs {r.saving_inr:,.0f} "
          f"({r.saving_percent:.1f} %)")
    pressure = r.nodes["epanet_pressure_m"]
    print(f"EPANET at the design peak ({r.net.demand_lps.sum():.2f} l/s): lowest pressure {pressure.min():.2f} m "
          f"(minimum {r.min_head_m:g} m); largest difference from the design {r.check_max_diff_m:.4f} m; LP solved in "
          f"{r.solve_seconds:.2f} s")
    for note in r.notes:
        print(f"note: {note}")
    print(f"wrote {r.outputs['gpkg']}, {r.outputs['boq']}, {r.outputs['report']}")
    if r.batch_id:
        print(f"applied to the registry as batch {r.batch_id} (undo with: jalnet registry undo {args.registry} "
              f"--batch {r.batch_id})")
    return 0

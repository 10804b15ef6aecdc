"""Benchmark: least-cost design of a generated branched scheme of 2,000 pipes.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_design.py                 # 2,000 pipes
    python benchmarks/bench_design.py --pipes 500     # a quicker look

A village network is grown as a random tree from an elevated service reservoir (pipes of
60-180 m, ground rising and falling smoothly, 2-6 taps of 5 persons at every junction) and
written into a registry. The whole design then runs as a user runs it: model built from the
registry, LP, hand method, EPANET check, GeoPackage + BOQ + report written.

Printed: the LP solve time (target: under 10 s), the whole command's time, one EPANET run of
the designed network (the unit of the engineer's manual route: every upsizing of the hand
method is one such run), the hand method's upsizings and so the EPANET-run time the manual
route would spend, the costs and the saving, and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from shapely.geometry import LineString, Point  # noqa: E402

from jalnet.registry import create_registry  # noqa: E402

SCHEME = "BENCH"
X0, Y0 = 500_000.0, 2_930_000.0


def ground(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 50.0 + 4.0 * np.sin(x / 900.0) + 3.0 * np.cos(y / 700.0) + 0.002 * x


def generate(path: Path, n_pipes: int, seed: int = 7) -> None:
    """A random branched network: each new junction hangs off a recent one, so paths grow long like real lines."""
    rng = np.random.default_rng(seed)
    xy = [(0.0, 0.0)]
    parent = [-1]
    for k in range(1, n_pipes + 1):
        lo = max(0, k - 40)
        p = int(rng.integers(lo, k)) if rng.random() < 0.85 else int(rng.integers(0, k))
        angle = rng.uniform(0, 2 * math.pi)
        length = rng.uniform(60, 180)
        xy.append((xy[p][0] + length * math.cos(angle), xy[p][1] + length * math.sin(angle)))
        parent.append(p)
    xy_arr = np.array(xy)
    z = ground(xy_arr[:, 0], xy_arr[:, 1])
    names = [f"{SCHEME}-SRC"] + [f"{SCHEME}-J{k:05d}" for k in range(1, n_pipes + 1)]
    points = [Point(X0 + x, Y0 + y) for x, y in xy]
    crs = 32646
    with create_registry(path, crs=f"EPSG:{crs}", overwrite=True) as reg, reg.batch("bench", "generated") as b:
        b.insert("schemes", pd.DataFrame([{"scheme_id": SCHEME, "name": "generated", "lpcd": 55.0,
                                           "supply_hours": 24.0}]))
        b.insert("sources", gpd.GeoDataFrame({"source_id": [names[0]], "scheme_id": SCHEME,
                                              "source_type": "surface_intake", "head_m": [float(z.max()) + 40.0],
                                              "status": "in_service"}, geometry=[points[0]], crs=crs))
        b.insert("junctions", gpd.GeoDataFrame({"node_id": names[1:], "scheme_id": SCHEME, "node_type": "junction",
                                                "elevation_m": np.round(z[1:], 2)}, geometry=points[1:], crs=crs))
        b.insert("pipes", gpd.GeoDataFrame(
            {"pipe_id": [f"{SCHEME}-P{k:05d}" for k in range(1, n_pipes + 1)], "scheme_id": SCHEME,
             "material": "HDPE", "diameter_mm": 110.0, "status": "in_service", "geom_source": "design",
             "pipe_function": "distribution", "from_node": [names[parent[k]] for k in range(1, n_pipes + 1)],
             "to_node": names[1:]},
            geometry=[LineString([points[parent[k]], points[k]]) for k in range(1, n_pipes + 1)], crs=crs))
        taps, tap_pts = [], []
        for k in range(1, n_pipes + 1):
            for t in range(int(rng.integers(2, 7))):
                taps.append({"fhtc_id": f"{SCHEME}-F{k:05d}{t}", "scheme_id": SCHEME, "persons": 5,
                             "status": "functional"})
                tap_pts.append(Point(X0 + xy[k][0] + 3 + t, Y0 + xy[k][1] + 4))
        b.insert("fhtc", gpd.GeoDataFrame(taps, geometry=tap_pts, crs=crs))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pipes", type=int, default=2000)
    args = ap.parse_args()
    from jalnet.design import design_scheme
    from jalnet.design.check import simulate

    with tempfile.TemporaryDirectory(prefix="jalnet-bench-design-") as tmp:
        registry = Path(tmp) / "bench.gpkg"
        t0 = time.perf_counter()
        generate(registry, args.pipes)
        print(f"generated a branched scheme of {args.pipes} pipes in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        r = design_scheme(registry, SCHEME, out=Path(tmp) / "design.gpkg")
        total = time.perf_counter() - t0
        seg = r.segments
        t1 = time.perf_counter()
        simulate(r.net, seg.pipe, seg.length_m, r.catalogue.inner_dia_mm[seg.row], r.catalogue.hw_c[seg.row])
        epanet = time.perf_counter() - t1
    net = r.net
    print(f"network: {len(net.pipe_names)} pipes, {net.length_m.sum() / 1000:.1f} km, {len(net.node_names)} nodes, "
          f"peak demand {net.demand_lps.sum():.1f} l/s (population {net.population:,.0f}, peak factor "
          f"{net.peak_factor:g}); {len(r.pipes)} segments ({int((r.pipes['segment'] > 1).sum())} pipes split)")
    print(f"LP solve (HiGHS): {r.solve_seconds:.2f} s   (target < 10 s)")
    print(f"whole design (build, LP, hand method, EPANET check, outputs): {total:.1f} s")
    print(f"one EPANET run of the designed network (through WNTR): {epanet:.2f} s; "
          f"LP / EPANET run = {r.solve_seconds / epanet:.2f}")
    print(f"hand method: {r.hand.upsizings} upsizings = {r.hand.upsizings} EPANET runs by hand "
          f"(~{r.hand.upsizings * epanet:.0f} s of simulation alone); feasible: {r.hand.feasible}")
    print(f"cost: least-cost Rs {r.cost_inr:,.0f}; hand method Rs {r.hand.cost_inr:,.0f}; saving Rs {r.saving_inr:,.0f} "
          f"({r.saving_percent:.1f} %)")
    print(f"EPANET check: largest head difference {r.check_max_diff_m:.4f} m; lowest pressure "
          f"{r.nodes['epanet_pressure_m'].min():.2f} m (minimum {r.min_head_m:g} m)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

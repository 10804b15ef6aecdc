"""Benchmark: contractor walk sets from real networks, full size, imported and snapped with defaults.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_walks.py

For each network (tests/data/ky10.inp: 150 walked pipes, 3 m GPS error; tests/data/Net3.inp:
30 pipes, 4 m; tests/data/Net6.inp: 100 pipes, 3 m, a check of generality that no test asserts),
``tests/unit/walks_synth.py`` makes the registry, the contractor's GPX, KML and CSV files and the
truth; this script imports them, snaps with no options and prints the score against the targets
(ends on the right junctions >= 98 %, Hausdorff median <= 3 m and p95 <= 6 m, no pipe lost (a
parallel main walked in another's trench and rebuilt once with it is shown apart), >= 95 % of
points on the right pipe, a service line for every tap), the times and peak memory.
Add ``--tolerance M`` to see what a fixed tolerance would give, ``--seed N`` for other walks of
the same pipes' kind, ``--also Net1:10:3`` for a set from another network in tests/data (file
stem, pipes walked, GPS error in m).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tolerance", type=float, default=None, help="fixed snapping tolerance (default: derived)")
    p.add_argument("--seed", type=int, default=None, help="seed of every walk set (default: each set's own)")
    p.add_argument("--also", action="append", default=[], metavar="NET:PIPES:ERROR",
                   help="another walk set, e.g. Net1:10:3 (tests/data/Net1.inp, 10 pipes, 3 m GPS error)")
    args = p.parse_args()
    from dataclasses import replace

    from walks_synth import FULL, WalkSpec, make_walks, score

    from jalnet.topology import snap
    from jalnet.tracks import import_tracks

    sets = dict(FULL)
    for extra in args.also:
        net, pipes, error = extra.split(":")
        sets[net] = WalkSpec(f"{net}.inp", pipes=int(pipes), noise_m=float(error))
    if args.seed is not None:
        sets = {name: replace(spec, seed=args.seed) for name, spec in sets.items()}
    met = True
    for name, spec in sets.items():
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            registry, truth = make_walks(spec, Path(tmp))
            t1 = time.perf_counter()
            import_tracks(registry, truth.files)
            t2 = time.perf_counter()
            result = snap(registry, tolerance=args.tolerance)
            t3 = time.perf_counter()
            s = score(registry, truth)
        print(f"{name} ({spec.pipes} pipes walked, {spec.noise_m:g} m GPS error, seed {spec.seed}):")
        print(f"  tolerance {result.tolerance_why}")
        print(f"  {s.line()}")
        print(f"  made {t1 - t0:.1f} s, import {t2 - t1:.1f} s, snap {t3 - t2:.1f} s; {result.counts}; "
              f"{result.point_counts}")
        checks = {"ends >= 98 %": s.right_share >= 0.98, "Hausdorff median <= 3 m": s.median() <= 3.0,
                  "Hausdorff p95 <= 6 m": s.p95() <= 6.0, "no pipe lost": s.lost == 0,
                  "points >= 95 %": s.points_share >= 0.95, "every tap's service line": s.served == s.taps}
        print("  targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in checks.items()))
        met &= all(checks.values())
        for line in s.wrong[:10]:
            print(f"    {line}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

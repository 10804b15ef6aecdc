"""Benchmark: ``jalnet health`` (every module in one pass) next to ``jalnet network validate`` alone.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_health.py                 # 1.08 million pipes (1,760 schemes)
    python benchmarks/bench_health.py --scale 0.05    # a quick look (about 54,000 pipes)

Data: the district of ``bench_topology.py`` (village grids with its faults: missing pipes,
near misses, crossings, tees, duplicates, overlaps, stubs, missing diameters), loaded into
a registry once (into --workdir, default /tmp/jalnet_bench_health, and reused). Both routes
run as the CLI in their own process, on the same registry, writing their GeoPackage:

* ``jalnet network validate --out errors.gpkg`` (all network rules);
* ``jalnet health --out health.gpkg --report health.html``: the network rules, registry
  completeness, geology, the Gati Shakti pre-flight (pipes and tanks), scores, and the run
  kept in the registry (findings written as one change-log batch).

The target is health within 1.5 x validate. Peak memory is each child's ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def build_registry(work: Path, scale: float) -> tuple[Path, dict]:
    import bench_topology

    from jalnet.registry import create_registry, load_layers

    registry = work / f"registry_{scale:g}.gpkg"
    spec_path = work / f"spec_{scale:g}.json"
    if registry.exists() and spec_path.exists():
        return registry, json.loads(spec_path.read_text())
    network = work / f"network_{scale:g}.gpkg"
    print(f"generating the network (scale {scale:g}) ...", flush=True)
    spec = bench_topology.make_data(network, scale)
    print(f"loading {spec['pipes']:,} pipes into a registry ...", flush=True)
    tmp = registry.with_suffix(".part.gpkg")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with create_registry(tmp, crs=bench_topology.CRS) as reg:
        load_layers(reg, network, layers=["pipes", "tanks", "schemes"], tool="benchmark")
    spec["load_s"] = time.perf_counter() - t0
    tmp.rename(registry)
    spec_path.write_text(json.dumps(spec))
    return registry, spec


def timed(args: list[str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds and peak MiB of the child, its summary line) of one CLI run in its own process.

    The CPU time (user + system, all threads) is the steadier figure on a shared machine."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "-q", *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1) or "PEAK " not in proc.stdout:
        raise SystemExit(f"{args[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    _, peak, cpu = next(ln for ln in lines if ln.startswith("PEAK ")).split()
    said = [ln for ln in lines if not ln.startswith("PEAK ")] or [""]
    return seconds, float(cpu), float(peak), said[-1 if args[0] == "network" else 0]


#: The CLI in a child that prints its own peak memory.
_CHILD = ("import resource, sys\nfrom jalnet.cli import main\nrc = main(sys.argv[1:])\n"
          "u = resource.getrusage(resource.RUSAGE_SELF)\n"
          "print('PEAK', u.ru_maxrss / 1024, u.ru_utime + u.ru_stime)\nsys.exit(rc)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", default="/tmp/jalnet_bench_health")
    p.add_argument("--scale", type=float, default=1.0, help="share of the full 1.08 million pipes")
    p.add_argument("--runs", type=int, default=1, help="runs of each route (the best is kept)")
    args = p.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    registry, spec = build_registry(work, args.scale)
    print(f"{spec['pipes']:,} pipes in {spec['schemes']:,} schemes; registry {registry.stat().st_size / 2**20:.0f} MiB"
          + (f" (loaded in {spec['load_s']:.0f} s)" if "load_s" in spec else ""), flush=True)
    best: dict[str, tuple[float, float, float, str]] = {}
    for k in range(args.runs):
        for name, cli in (("validate", ["network", "validate", "--out", str(work / "errors.gpkg")]),
                          ("health", ["health", "--out", str(work / "health.gpkg"), "--report",
                                      str(work / "health.html")])):
            run = registry.with_name(f"run_{name}.gpkg")  # each route on its own copy: health keeps its runs
            shutil.copy(registry, run)
            print(f"{name} (run {k + 1}) ...", flush=True)
            got = timed([*cli[:2], "--registry", str(run), *cli[2:]] if name == "validate" else
                        [cli[0], "--registry", str(run), *cli[1:]])
            if name not in best or got[0] < best[name][0]:
                best[name] = got
            run.unlink()
    print()
    for name, (seconds, cpu, peak, line) in best.items():
        print(f"{name:<9} {seconds:8.1f} s wall {cpu:8.1f} s CPU   peak {peak:8,.0f} MiB   {line}")
    (hw, hc), (vw, vc) = best["health"][:2], best["validate"][:2]
    print(f"\nhealth / validate, wall: {hw:.1f} s / {vw:.1f} s = {hw / vw:.2f}; CPU: {hc:.1f} s / {vc:.1f} s = "
          f"{hc / vc:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

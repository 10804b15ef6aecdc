"""Benchmark: litholog import and validation at state scale, JalNet next to the GDAL route.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_geology.py                      # 20,000 boreholes, about 200,000 intervals
    python benchmarks/bench_geology.py --boreholes 2000     # a quick look

Data (generated into --workdir, default /tmp/jalnet_bench_geology): field sheets
``boreholes.csv``, ``intervals.csv`` (8-12 layers per hole, 3 % of holes with a gap, 2 %
with an overlap) and ``construction.csv`` (every fifth hole a production well with casing,
screens and gravel pack), in lon/lat across the Brahmaputra valley.

JalNet: ``import_lithologs`` (parse, map lithology words, validate, one logged registry
batch) into a new GeoPackage registry, then ``validate_registry`` over everything.
GDAL (what a GIS cell does today with QGIS/GDAL): ``ogr2ogr`` the three CSVs into a
GeoPackage (points reprojected to UTM 46N; no unit parsing, no vocabulary, no change
log), then one SQL query with window functions for the rules SQL can express (from >=
to, gaps, overlaps, below the drilled depth). The gap/overlap counts of both routes are
printed side by side as a cross-check. Strip logs and a section are timed for JalNet
only (neither QGIS nor GDAL draws them). Each part runs in its own process, so each peak
memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ["top_soil", "silty_clay", "fine_sand", "sandy_clay", "medium_sand", "clay", "coarse_sand", "gravel",
         "clay", "medium_sand", "clay", "coarse_sand"]
AQUIFER = {"fine_sand", "medium_sand", "coarse_sand", "gravel"}

SQL_RULES = """
WITH seq AS (
  SELECT borehole_id, from_m, to_m,
         MAX(to_m) OVER (PARTITION BY borehole_id ORDER BY from_m, to_m
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS deepest
  FROM intervals WHERE from_m < to_m
)
SELECT
  (SELECT count(*) FROM intervals WHERE NOT (from_m < to_m)) AS from_ge_to,
  (SELECT count(*) FROM seq WHERE from_m > deepest + 0.01) AS gaps_between,
  (SELECT count(*) FROM seq WHERE from_m < deepest - 0.01) AS overlaps,
  (SELECT count(*) FROM intervals i JOIN boreholes b USING (borehole_id) WHERE i.to_m > b.drilled_depth_m + 0.01)
    AS below_depth
"""


def make_data(workdir: Path, n: int, seed: int = 7) -> dict[str, int]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    lon = 89.9 + rng.random(n) * 5.8
    lat = 25.9 + rng.random(n) * 1.2
    depth = np.round(rng.uniform(60, 180, n), 1)
    ids = [f"AS-{k:06d}" for k in range(n)]
    holes = pd.DataFrame({
        "borehole_id": ids, "longitude": lon.round(7), "latitude": lat.round(7),
        "collar_elev_m": np.round(rng.uniform(40, 120, n), 2), "drilled_depth_m": depth,
        "swl_m": np.round(rng.uniform(1, 12, n), 1), "yield_lpm": np.round(rng.uniform(100, 900, n)),
        "drilled_date": "2021-01-18", "drilling_method": "direct_rotary", "arsenic_flag": "no",
        "fluoride_flag": "no", "iron_flag": rng.choice(["yes", "no"], n),
    })
    rows, cons = [], []
    gap = rng.random(n) < 0.03
    overlap = (rng.random(n) < 0.02) & ~gap
    for k, bid in enumerate(ids):
        layers = int(rng.integers(8, 13))
        cuts = np.sort(rng.uniform(1, depth[k] - 1, layers - 1)).round(1)
        edges = np.concatenate([[0.0], cuts, [depth[k]]])
        for j in range(layers):
            top, bottom = float(edges[j]), float(edges[j + 1])
            if gap[k] and j == 3:
                top = round(top + 0.5, 1)
            if overlap[k] and j == 5:
                top = round(top - 0.5, 1)
            word = WORDS[j]
            rows.append((bid, top, bottom, word, f"{word.replace('_', ' ')} layer", "yes" if word in AQUIFER else "no"))
        if k % 5 == 0:
            sand = [(float(edges[j]), float(edges[j + 1])) for j in range(layers) if WORDS[j] in AQUIFER and
                    edges[j + 1] - edges[j] > 3]
            cons.append((bid, 0.0, 6.0, "seal", "", 300))
            cons.append((bid, 0.0, sand[0][0] + 1 if sand else 20.0, "casing", "", 150))
            for top, bottom in sand[:2]:
                cons.append((bid, round(top + 1, 1), round(bottom - 1, 1), "screen", 1.0, 150))
    pd.DataFrame(rows, columns=["borehole_id", "from_m", "to_m", "lithology", "description", "aquifer"]).to_csv(
        workdir / "intervals.csv", index=False)
    pd.DataFrame(cons, columns=["borehole_id", "from_m", "to_m", "kind", "slot_mm", "diameter_mm"]).to_csv(
        workdir / "construction.csv", index=False)
    holes.to_csv(workdir / "boreholes.csv", index=False)
    return {"boreholes": n, "intervals": len(rows), "construction": len(cons)}


# ---------------------------------------------------------------------------------------
# The routes, each run in a child process
# ---------------------------------------------------------------------------------------
def jalnet_import(workdir: str) -> dict:
    from jalnet.geology import import_lithologs
    from jalnet.registry import create_registry

    w = Path(workdir)
    with create_registry(w / "jalnet.gpkg", crs="EPSG:32646", overwrite=True) as reg:
        result = import_lithologs(reg, w / "boreholes.csv", w / "intervals.csv", w / "construction.csv")
    return {"imported": len(result.imported), "refused": len(result.refused), **result.counts,
            "gaps": sum(f.rule == "interval_gap" for f in result.findings),
            "overlaps": sum(f.rule == "interval_overlap" for f in result.findings)}


def jalnet_validate(workdir: str) -> dict:
    from collections import Counter

    from jalnet.geology import validate_registry
    from jalnet.registry import open_registry

    with open_registry(Path(workdir) / "jalnet.gpkg", readonly=True) as reg:
        found = validate_registry(reg, Path(workdir) / "findings.csv")
    return dict(Counter(f.rule for f in found))


def jalnet_draw(workdir: str, n: int) -> dict:
    from jalnet.geology import read_lithologs
    from jalnet.geology.figures import save
    from jalnet.geology.section import build_section, line_through, section_figure
    from jalnet.geology.striplog import striplog_figure
    from jalnet.registry import open_registry

    w = Path(workdir)
    (w / "logs").mkdir(exist_ok=True)
    with open_registry(w / "jalnet.gpkg", readonly=True) as reg:
        data = read_lithologs(reg, [f"AS-{k:06d}" for k in range(n)])
        crs = reg.crs
    t0 = time.perf_counter()
    for bid in data.ids:
        save(striplog_figure(data, bid), w / "logs" / bid, ["png"])
    t1 = time.perf_counter()
    section = build_section(data, line_through(data, data.ids[:2]), crs, None, corridor_m=1e6)
    save(section_figure(data, section), w / "section", ["png"])
    return {"striplog_s_each": (t1 - t0) / len(data.ids), "section_s": time.perf_counter() - t1,
            "section_boreholes": len(section.boreholes)}


def gdal_import(workdir: str) -> dict:
    w = Path(workdir)
    out = w / "gdal.gpkg"
    out.unlink(missing_ok=True)
    common = ["ogr2ogr", "-f", "GPKG", "-oo", "AUTODETECT_TYPE=YES"]
    subprocess.run([*common, str(out), str(w / "boreholes.csv"), "-nln", "boreholes", "-oo",
                    "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude", "-s_srs", "EPSG:4326",
                    "-t_srs", "EPSG:32646"], check=True)
    for name in ("intervals", "construction"):
        subprocess.run([*common, "-update", str(out), str(w / f"{name}.csv"), "-nln", name], check=True)
    return {"gpkg_mb": round(out.stat().st_size / 1e6, 1)}


def gdal_validate(workdir: str) -> dict:
    out = subprocess.run(["ogrinfo", "-ro", "-q", str(Path(workdir) / "gdal.gpkg"), "-sql", SQL_RULES],
                         check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        if "=" in line and "(" in line:
            key, _, value = line.strip().partition(" (")
            counts[key.strip()] = int(value.split("=")[-1].strip())
    return counts


ROUTES = {"jalnet_import": jalnet_import, "jalnet_validate": jalnet_validate, "jalnet_draw": jalnet_draw,
          "gdal_import": gdal_import, "gdal_validate": gdal_validate}


def child(route: str, workdir: str, extra: list[str]) -> None:
    t = time.perf_counter()
    result = ROUTES[route](workdir, *[int(x) for x in extra])
    print(json.dumps({"seconds": time.perf_counter() - t, **result}))


def run(route: str, workdir: Path, *extra: object) -> tuple[dict, float]:
    """Run a route in its own process; returns (its result, its peak memory in MB)."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", route, "--workdir", str(workdir),
                             *[str(x) for x in extra]], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"{route} failed (status {status})")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boreholes", type=int, default=20000)
    ap.add_argument("--draw", type=int, default=20, help="strip logs to draw (the section goes through them)")
    ap.add_argument("--workdir", default="/tmp/jalnet_bench_geology")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args, extra = ap.parse_known_args()
    if args.child:
        child(args.child, args.workdir, extra)
        return 0
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    sizes = make_data(workdir, args.boreholes)
    print(f"data: {sizes['boreholes']:,} boreholes, {sizes['intervals']:,} intervals, "
          f"{sizes['construction']:,} construction rows ({time.perf_counter() - t:.1f} s to generate)")
    results = {}
    for route, extra_args in (("gdal_import", ()), ("gdal_validate", ()), ("jalnet_import", ()),
                              ("jalnet_validate", ()), ("jalnet_draw", (args.draw,))):
        results[route] = run(route, workdir, *extra_args)
        print(f"{route:<16} {results[route][0]['seconds']:8.2f} s  peak {results[route][1]:7.0f} MB  "
              f"{ {k: v for k, v in results[route][0].items() if k != 'seconds'} }")
    gi, gv = results["gdal_import"][0], results["gdal_validate"][0]
    ji, jv = results["jalnet_import"][0], results["jalnet_validate"][0]
    print()
    print(f"import   JalNet {ji['seconds']:.1f} s vs ogr2ogr {gi['seconds']:.1f} s: ratio "
          f"{ji['seconds'] / gi['seconds']:.1f}x (JalNet also parses units, maps the vocabulary, validates and "
          "logs every row for undo)")
    print(f"validate JalNet {jv['seconds']:.1f} s (11 rules) vs SQL {gv['seconds']:.1f} s (4 rules): ratio "
          f"{jv['seconds'] / gv['seconds']:.1f}x")
    sql_gaps = gv.get("gaps_between", -1)
    print(f"cross-check: gaps between intervals SQL {sql_gaps}, JalNet {jv.get('interval_gap', 0)} "
          f"(JalNet also counts unlogged tops/bottoms); overlaps SQL {gv.get('overlaps', -1)}, JalNet "
          f"{jv.get('interval_overlap', 0)}")
    d = results["jalnet_draw"][0]
    print(f"drawing  {d['striplog_s_each']:.2f} s per strip log (PNG); section through {d['section_boreholes']} "
          f"boreholes {d['section_s']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

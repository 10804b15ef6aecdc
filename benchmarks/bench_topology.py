"""Benchmark: network validation and snapping at district/state scale, JalNet next to the QGIS route.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_topology.py                 # 1.08 million pipes (1,760 schemes of 612)
    python benchmarks/bench_topology.py --scale 0.05    # a quick look (about 54,000 pipes)

Data (generated into --workdir, default /tmp/jalnet_bench_topology, and reused): a district
of village schemes laid out side by side, each a grid of village roads 60 m apart with a
tank at one corner; every pipe bends (2-3 segments). Faults as GIS cells find them: 3 %
of pipes missing (dangling ends, some parts cut off), near misses (ends 0.2-4 m short),
crossings without a node, tees onto unsplit pipes, duplicates, overlaps, tiny stubs,
missing diameters, reported lengths off. For snapping, 50,000 staged contractor lines
(scaled): branches starting 2-4 m off a pipe, walks of existing pipes (duplicates) and
lines overshooting a pipe by 2 m.

JalNet: ``validate_network`` on the frames read from the GeoPackage (read time shown
apart): (a) the checks the QGIS route makes (validity, zero length, self-intersection,
crossings, tees, overlaps: NET-001..006, NET-011..013), (b) all geometry, topology and
connectivity rules, (c) all rules; and ``plan_snap`` of the staged lines against the
network (the registry write is not timed: it is the registry's, per changed feature).
QGIS: ``qgis:checkvalidity`` (GEOS) + ``native:lineintersections`` (pipes against pipes)
for validation, ``native:snapgeometries`` (end points, prefer nodes, 5 m) for snapping,
on the same GeoPackage. The snapping comparisons run --repeat rounds (default 3), JalNet and
QGIS one after the other in each, and show the medians and each round's ratio. Each part runs
in its own process, so each peak memory
(ru_maxrss) is its own; the snapping parts also report their CPU seconds (steadier than wall
time when the machine is shared), and the snap plan the time it spent cutting the registry to the
batch's surroundings and numbering new ids; a QGIS part that exceeds --qgis-timeout is stopped, reported as
">T s", and also run on a 10 % subsample whose time is scaled up (labelled).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 18  # nodes per side of one village grid: 612 pipes per scheme
SPACING = 60.0
GAP = 400.0
SCHEMES_X, SCHEMES_Y = 44, 40  # 1,760 schemes: 1,077,120 grid pipes before faults
CRS = "EPSG:32646"
SAME_AS_QGIS = ["NET-001", "NET-002", "NET-003", "NET-004", "NET-006", "NET-011", "NET-012", "NET-013"]
TOPOLOGY = ["Geometry", "Topology", "Connectivity"]


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry over the parent's peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -----------------------------------------------------------------------------------------
# Data
# -----------------------------------------------------------------------------------------
def make_data(path: Path, scale: float, seed: int = 11) -> dict:
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyogrio
    import shapely

    rng = np.random.default_rng(seed)
    sx = max(1, round(SCHEMES_X * scale**0.5))
    sy = max(1, round(SCHEMES_Y * scale**0.5))
    side = (N - 1) * SPACING + GAP
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    horiz = np.column_stack([i[:-1, :].ravel(), j[:-1, :].ravel(), i[1:, :].ravel(), j[1:, :].ravel()])
    vert = np.column_stack([i[:, :-1].ravel(), j[:, :-1].ravel(), i[:, 1:].ravel(), j[:, 1:].ravel()])
    local = np.vstack([horiz, vert]).astype(float) * SPACING  # x0, y0, x1, y1 of one scheme
    ox, oy = np.meshgrid(np.arange(sx) * side + 330000.0, np.arange(sy) * side + 2900000.0, indexing="ij")
    origins = np.column_stack([ox.ravel(), oy.ravel()])
    n_s, n_e = len(origins), len(local)
    scheme = np.repeat(np.arange(n_s), n_e)
    a = local[np.tile(np.arange(n_e), n_s), :2] + origins[scheme]
    b = local[np.tile(np.arange(n_e), n_s), 2:] + origins[scheme]
    keep = rng.random(len(a)) > 0.03  # missing pipes: dangling ends, some parts cut off
    a, b, scheme = a[keep], b[keep], scheme[keep]
    # Near misses: the end stops 0.2-4 m short of its node.
    short = rng.random(len(a)) < 0.003
    d = b - a
    unit = d / np.hypot(d[:, :1], d[:, 1:])
    b = np.where(short[:, None], b - unit * rng.uniform(0.2, 4.0, len(a))[:, None], b)
    # Bends: one or two inner vertices a metre or two off the straight line.
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    two = rng.random(len(a)) < 0.35
    t1 = np.where(two, rng.uniform(0.2, 0.4, len(a)), rng.uniform(0.35, 0.65, len(a)))
    t2 = rng.uniform(0.6, 0.8, len(a))
    m1 = a + d * t1[:, None] + normal * rng.normal(0, 1.5, len(a))[:, None]
    m2 = a + d * t2[:, None] + normal * rng.normal(0, 1.5, len(a))[:, None]
    coords, owner = [], []
    for k_mask, pts in ((~two, [a, m1, b]), (two, [a, m1, m2, b])):
        idx = np.flatnonzero(k_mask)
        stacked = np.stack([p[idx] for p in pts], axis=1).reshape(-1, 2)
        coords.append(stacked)
        owner.append(np.repeat(idx, len(pts)))
    coords, owner = np.vstack(coords), np.concatenate(owner)
    order = np.argsort(owner, kind="stable")
    lines = shapely.linestrings(coords[order], indices=owner[order])
    mid = m1
    extra, extra_scheme = [], []

    def pick(p: float) -> np.ndarray:
        return np.flatnonzero(rng.random(len(lines)) < p)

    for k in pick(0.001):  # duplicates, reversed
        extra.append(shapely.reverse(lines[k]))
        extra_scheme.append(scheme[k])
    for k in pick(0.0005):  # overlaps: half of a pipe again
        extra.append(shapely.linestrings([a[k], m1[k]]))
        extra_scheme.append(scheme[k])
    for k in pick(0.001):  # tees onto a pipe's inner vertex, not split
        extra.append(shapely.linestrings([mid[k], mid[k] + normal[k] * 20.0]))
        extra_scheme.append(scheme[k])
    for k in pick(0.001):  # crossings: cell centre to cell centre across a pipe
        c = mid[k] - normal[k] * SPACING / 2
        extra.append(shapely.linestrings([c, c + normal[k] * SPACING]))
        extra_scheme.append(scheme[k])
    for k in pick(0.0002):  # tiny stubs at a node
        extra.append(shapely.linestrings([a[k], a[k] + normal[k] * 0.3]))
        extra_scheme.append(scheme[k])
    geoms = np.concatenate([lines, np.array(extra, dtype=object)])
    schemes = np.concatenate([scheme, np.array(extra_scheme, dtype=int)])
    drawn = shapely.length(geoms)
    dist_to_tank = np.hypot(*(shapely.get_coordinates(shapely.get_point(geoms, 0)) - origins[schemes]).T)
    # DI mains near the tank, plastic distribution further out (a scheme's own plastic: HDPE or uPVC)
    plastic = np.where(schemes % 3 == 0, "UPVC", "HDPE")
    material = np.where(dist_to_tank < 150, "DI", plastic)
    diameter = np.select([dist_to_tank < 150, dist_to_tank < 500], [150.0, 110.0], 75.0)
    diameter[rng.random(len(geoms)) < 0.005] = np.nan
    reported = np.round(drawn * (1 + rng.normal(0, 0.01, len(geoms))), 1)
    off = rng.random(len(geoms)) < 0.005
    reported[off] = np.round(drawn[off] * 1.25, 1)
    ids = np.char.add("S", np.char.zfill(schemes.astype(str), 4))
    pipes = gpd.GeoDataFrame({
        "pipe_id": np.char.add("P", np.char.zfill(np.arange(len(geoms)).astype(str), 7)), "scheme_id": ids,
        "material": material, "diameter_mm": diameter,
        "status": "in_service", "length_m": reported}, geometry=geoms, crs=CRS)
    tank_ids = np.char.add("S", np.char.zfill(np.arange(n_s).astype(str), 4))
    tanks = gpd.GeoDataFrame({"tank_id": np.char.add("T", tank_ids), "scheme_id": tank_ids, "tank_type": "OHT"},
                             geometry=shapely.points(origins), crs=CRS)
    schemes_table = pd.DataFrame({"scheme_id": tank_ids, "name": tank_ids,
                                  "division": [f"Division {k // 110 + 1}" for k in range(n_s)]})
    cands = make_candidates(rng, a, b, unit, normal, scheme, int(50_000 * scale), lines)
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(pipes, path, layer="pipes", driver="GPKG")
    pyogrio.write_dataframe(tanks, path, layer="tanks", driver="GPKG")
    pyogrio.write_dataframe(schemes_table, path, layer="schemes", driver="GPKG")
    pyogrio.write_dataframe(cands, path, layer="candidates", driver="GPKG")
    sample = pipes[pipes["scheme_id"].isin(tank_ids[: max(1, n_s // 10)])]
    pyogrio.write_dataframe(sample, path, layer="pipes_sample", driver="GPKG")
    cand_sample = cands[cands["scheme_id"].isin(tank_ids[: max(1, n_s // 10)])]
    pyogrio.write_dataframe(cand_sample, path, layer="candidates_sample", driver="GPKG")
    return {"scale": scale, "pipes": len(pipes), "segments": int(len(shapely.get_coordinates(geoms)) - len(geoms)),
            "schemes": n_s, "candidates": len(cands), "sample_pipes": len(sample), "sample_candidates": len(cand_sample),
            "faults": {"missing": int((~keep).sum()), "near_miss": int(short.sum()), "extra": len(extra)}}


def make_candidates(rng, a, b, unit, normal, scheme, n: int, lines):  # noqa: ANN001 - numpy arrays
    import geopandas as gpd
    import numpy as np
    import shapely

    k = rng.choice(len(a), n, replace=False)
    kind = rng.choice(["branch", "repeat", "overshoot"], n, p=[0.7, 0.15, 0.15])
    t = rng.uniform(0.25, 0.75, n)
    base = a[k] + (b[k] - a[k]) * t[:, None]
    side = rng.choice([-1.0, 1.0], n)[:, None] * normal[k]
    steps = np.arange(6)[None, :, None] * 5.0  # 6 fixes, 5 m apart, going into the cell
    start_off = np.where(kind == "overshoot", -2.0, rng.uniform(2.0, 4.0, n))[:, None, None]
    pts = base[:, None, :] + side[:, None, :] * (start_off + steps) + rng.normal(0, 0.8, (n, 6, 2))
    geoms = shapely.linestrings(pts)
    repeat = np.flatnonzero(kind == "repeat")
    walked = shapely.get_coordinates(lines[k[repeat]], return_index=True)
    jitter = walked[0] + rng.normal(0, 1.2, walked[0].shape)
    geoms[repeat] = shapely.linestrings(jitter, indices=walked[1])
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 6))
    return gpd.GeoDataFrame({
        "candidate_id": ids, "import_batch": "BENCH", "source_file": "bench.gpx", "source_ref": ids,
        "scheme_id": np.char.add("S", np.char.zfill(scheme[k].astype(str), 4)), "material": "HDPE",
        "diameter_mm": 63.0, "geom_source": "gps_track", "state": "staged", "kind": kind}, geometry=geoms, crs=CRS)


def make_grid(path: Path, segments: int, seed: int = 5) -> dict:
    """A street grid of two-vertex segments 60 m long, 20 % of their ends 0.5-3 m off the junction."""
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely

    rng = np.random.default_rng(seed)
    n = max(2, int(round((1 + (1 + 2 * segments) ** 0.5) / 2)))  # 2 n (n - 1) segments
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    horiz = np.column_stack([i[:-1, :].ravel(), j[:-1, :].ravel(), i[1:, :].ravel(), j[1:, :].ravel()])
    vert = np.column_stack([i[:, :-1].ravel(), j[:, :-1].ravel(), i[:, 1:].ravel(), j[:, 1:].ravel()])
    seg = np.vstack([horiz, vert]).astype(float) * SPACING + [330000.0, 2900000.0, 330000.0, 2900000.0]
    ends = [seg[:, :2].copy(), seg[:, 2:].copy()]
    for xy in ends:
        off = rng.random(len(xy)) < 0.2
        r, a = rng.uniform(0.5, 3.0, off.sum()), rng.uniform(0, 2 * np.pi, off.sum())
        xy[off] += np.column_stack([r * np.cos(a), r * np.sin(a)])
    geoms = shapely.linestrings(np.stack(ends, axis=1))
    ids = np.char.add("G", np.char.zfill(np.arange(len(geoms)).astype(str), 6))
    frame = gpd.GeoDataFrame({"candidate_id": ids, "import_batch": "GRID", "source_file": "grid.gpkg",
                              "source_ref": ids, "geom_source": "digitised", "state": "staged"}, geometry=geoms, crs=CRS)
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(frame, path, layer="grid", driver="GPKG")
    return {"segments": len(geoms)}


# -----------------------------------------------------------------------------------------
# Parts (each in its own process)
# -----------------------------------------------------------------------------------------
def load(path: Path, layers: tuple[str, ...]) -> tuple[dict, float]:
    import pyogrio

    t0 = time.perf_counter()
    frames = {name: pyogrio.read_dataframe(path, layer=name) for name in layers}
    return frames, time.perf_counter() - t0


def part_validate(path: Path, which: str) -> dict:
    from jalnet.topology import NetworkData, validate_network

    frames, read_s = load(path, ("pipes", "tanks", "schemes"))
    data = NetworkData(CRS, frames)
    rules = {"same": SAME_AS_QGIS, "topology": TOPOLOGY, "all": None}[which]
    t0 = time.perf_counter()
    result = validate_network(data, rules=rules)
    seconds = time.perf_counter() - t0
    by_rule = result.findings["rule"].value_counts().to_dict()
    return {"read_s": read_s, "s": seconds, "findings": len(result.findings), "by_rule": by_rule,
            "peak_mib": peak_mib()}


class _Timed:
    """Time spent in one function called by the plan (wall seconds), to show it apart."""

    def __init__(self, module: object, name: str) -> None:
        self.s, self.module, self.name = 0.0, module, name
        self.inner = getattr(module, name)
        setattr(module, name, self)

    def __call__(self, *args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.s += time.perf_counter() - t0


def timed_plan(data, staged, tolerance: float) -> tuple:  # noqa: ANN001 - frames
    """plan_snap with its wall and CPU seconds, and the seconds spent numbering new ids and cutting the
    registry to the batch's surroundings (shown apart: both are being reworked elsewhere / replaced by
    reading only near the batch)."""
    from jalnet.topology import snap_build, snap_plan

    ids = _Timed(snap_build, "next_ids")
    area = _Timed(snap_plan, "near_staged")
    t0, c0 = time.perf_counter(), time.process_time()
    plan = snap_plan.plan_snap(data, staged, tolerance=tolerance)
    return plan, time.perf_counter() - t0, time.process_time() - c0, ids.s, area.s


def part_snap(path: Path) -> dict:
    from jalnet.topology import NetworkData

    frames, read_s = load(path, ("pipes", "tanks", "schemes", "candidates"))
    staged = frames.pop("candidates")
    data = NetworkData(CRS, frames)
    plan, seconds, cpu, ids_s, area_s = timed_plan(data, staged, 5.0)
    states: dict[str, int] = {}
    for c in plan.candidates:
        states[c["state"]] = states.get(c["state"], 0) + 1
    return {"read_s": read_s, "s": seconds, "cpu_s": cpu, "ids_s": ids_s, "area_s": area_s, "states": states,
            "new_pipes": len(plan.new_pipes), "split_pipes": len({s["pipe_id"] for s in plan.splits}),
            "new_junctions": len(plan.new_junctions), "peak_mib": peak_mib()}


def part_grid(path: Path) -> dict:
    """Self-snap of the grid at 2 m: every segment a staged line, the registry empty."""
    from jalnet.topology import NetworkData

    frames, read_s = load(path, ("grid",))
    staged = frames["grid"]
    plan, seconds, cpu, ids_s, _ = timed_plan(NetworkData(CRS, {}), staged, 2.0)
    return {"read_s": read_s, "s": seconds, "cpu_s": cpu, "ids_s": ids_s, "new_pipes": len(plan.new_pipes),
            "new_junctions": len(plan.new_junctions), "peak_mib": peak_mib()}


def part_qgis(path: Path, which: str, sample: bool) -> dict:
    from qgis.core import QgsApplication, QgsProcessingFeedback, QgsVectorLayer

    from jalnet.plugin.project import ensure_qgis

    ensure_qgis()  # headless, offscreen
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    fb = QgsProcessingFeedback()
    suffix = "_sample" if sample else ""
    pipes = QgsVectorLayer(f"{path}|layername=pipes{suffix}", "pipes", "ogr")
    out: dict = {"features": pipes.featureCount()}
    t0, c0 = time.perf_counter(), time.process_time()
    if which == "validity":
        res = processing.run("qgis:checkvalidity", {"INPUT_LAYER": pipes, "METHOD": 2, "IGNORE_RING_SELF_INTERSECTION":
                                                    False, "VALID_OUTPUT": "TEMPORARY_OUTPUT", "INVALID_OUTPUT":
                                                    "TEMPORARY_OUTPUT", "ERROR_OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)
        out["invalid"] = res["INVALID_COUNT"] + res["ERROR_COUNT"]
    elif which == "grid":
        grid = QgsVectorLayer(f"{path}|layername=grid", "grid", "ogr")
        out["features"] = grid.featureCount()
        t0, c0 = time.perf_counter(), time.process_time()
        res = processing.run("native:snapgeometries", {"INPUT": grid, "REFERENCE_LAYER": grid, "TOLERANCE": 2.0,
                                                       "BEHAVIOR": 4, "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)
        out["snapped"] = res["OUTPUT"].featureCount()
    elif which == "intersections":
        res = processing.run("native:lineintersections", {"INPUT": pipes, "INTERSECT": pipes, "OUTPUT":
                                                          "TEMPORARY_OUTPUT"}, feedback=fb)
        out["points"] = res["OUTPUT"].featureCount()
    else:
        cands = QgsVectorLayer(f"{path}|layername=candidates{suffix}", "candidates", "ogr")
        out["candidates"] = cands.featureCount()
        res = processing.run("native:snapgeometries", {"INPUT": cands, "REFERENCE_LAYER": pipes, "TOLERANCE": 5.0,
                                                       "BEHAVIOR": 4, "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)
        out["snapped"] = res["OUTPUT"].featureCount()
    out["s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["peak_mib"] = peak_mib()
    return out


def run_part(args: list[str], timeout: float | None = None) -> dict | None:
    """Run a part in a fresh process; None when it ran out of time."""
    try:
        proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT "):])


def qgis_figure(work: Path, which: str, timeout: float, spec: dict) -> dict:
    """Full size within the time limit, else '>T' and the 10 % subsample scaled up."""
    full = run_part(["--part", f"qgis-{which}", "--workdir", str(work)], timeout)
    if full is not None:
        return {"s": full["s"], "cpu_s": full["cpu_s"], "label": f"{full['s']:.1f} s", "peak_mib": full["peak_mib"],
                "detail": full}
    part = run_part(["--part", f"qgis-{which}", "--sample", "--workdir", str(work)], timeout)
    size = spec["candidates"] if which == "snap" else spec["pipes"]
    done = part["candidates"] if which == "snap" else part["features"]
    scaled = part["s"] * size / max(1, done)
    return {"s": scaled, "cpu_s": part["cpu_s"] * size / max(1, done), "label": f">{timeout:.0f} s (stopped); 10 % "
            f"sample {part['s']:.1f} s -> {scaled:.0f} s scaled linearly", "peak_mib": part["peak_mib"], "detail": part}


def median_run(runs: list[dict]) -> dict:
    """The median wall and CPU seconds of a part's rounds (the highest peak memory), the rest of its first round."""
    import statistics

    out = dict(runs[0])
    out["s"] = statistics.median(r["s"] for r in runs)
    out["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
    out["peak_mib"] = max(r["peak_mib"] for r in runs)
    if "label" in out and not out["label"].startswith(">"):
        out["label"] = f"{out['s']:.1f} s"
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", default="/tmp/jalnet_bench_topology")
    p.add_argument("--scale", type=float, default=1.0, help="share of the full 1.08 million pipes")
    p.add_argument("--qgis-timeout", type=float, default=1200.0, help="seconds before a QGIS part is stopped")
    p.add_argument("--snap-only", action="store_true", help="only the two snapping comparisons (no validation)")
    p.add_argument("--grid-segments", type=int, default=100_000, help="segments of the self-snapped street grid")
    p.add_argument("--repeat", type=int, default=3, help="rounds of the snapping comparisons (medians are shown)")
    p.add_argument("--part", help=argparse.SUPPRESS)
    p.add_argument("--sample", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.workdir)
    data = work / "network.gpkg"
    grid = work / "grid.gpkg"
    if args.part:
        kind, _, which = args.part.partition("-")
        if kind == "validate":
            result = part_validate(data, which)
        elif kind == "snap":
            result = part_snap(data)
        elif kind == "grid":
            result = part_grid(grid)
        elif which == "grid":
            result = part_qgis(grid, which, False)
        else:
            result = part_qgis(data, which, args.sample)
        print("RESULT " + json.dumps(result), flush=True)
        os._exit(0)  # QGIS may crash tearing down its application; the result is out
    work.mkdir(parents=True, exist_ok=True)
    spec_path = work / "spec.json"
    if not spec_path.exists() or json.loads(spec_path.read_text()).get("scale") != args.scale:
        print(f"generating the network (scale {args.scale}) ...", flush=True)
        spec_path.write_text(json.dumps(make_data(data, args.scale)))
    spec = json.loads(spec_path.read_text())
    print(f"{spec['pipes']:,} pipes ({spec['segments']:,} straight segments) in {spec['schemes']:,} schemes; "
          f"faults {spec['faults']}; {spec['candidates']:,} staged lines; GeoPackage "
          f"{data.stat().st_size / 2**20:.0f} MiB", flush=True)
    grid_spec_path = work / "grid.json"
    if not grid_spec_path.exists() or json.loads(grid_spec_path.read_text()).get("asked") != args.grid_segments:
        print(f"generating the street grid ({args.grid_segments:,} segments) ...", flush=True)
        grid_spec_path.write_text(json.dumps({"asked": args.grid_segments, **make_grid(grid, args.grid_segments)}))
    grid_spec = json.loads(grid_spec_path.read_text())
    j, q = {}, {}
    if not args.snap_only:
        for which in ("same", "topology", "all"):
            print(f"JalNet validate ({which}) ...", flush=True)
            j[which] = run_part(["--part", f"validate-{which}", "--workdir", str(work)])
    if not args.snap_only:
        for which in ("validity", "intersections"):
            print(f"QGIS {which} ...", flush=True)
            q[which] = qgis_figure(work, which, args.qgis_timeout, spec)
    rounds: dict[str, list[dict]] = {"j-snap": [], "j-grid": [], "q-snap": [], "q-grid": []}
    for r in range(args.repeat):  # the two routes one after the other in each round, so both see the same load
        print(f"round {r + 1} of {args.repeat}: JalNet snap, QGIS snap, JalNet grid self-snap, QGIS grid ...", flush=True)
        rounds["j-snap"].append(run_part(["--part", "snap-plan", "--workdir", str(work)]))
        rounds["q-snap"].append(qgis_figure(work, "snap", args.qgis_timeout, spec))
        rounds["j-grid"].append(run_part(["--part", "grid-plan", "--workdir", str(work)]))
        rounds["q-grid"].append(run_part(["--part", "qgis-grid", "--workdir", str(work)]))
    j["snap"], q["snap"] = median_run(rounds["j-snap"]), median_run(rounds["q-snap"])
    j["grid"], q["grid"] = median_run(rounds["j-grid"]), median_run(rounds["q-grid"])
    spread = {what: [qr["s"] / jr["s"] for jr, qr in zip(rounds[f"j-{what}"], rounds[f"q-{what}"])]
              for what in ("snap", "grid")}
    print()
    from jalnet.topology.rules import RULES, select_rules

    n_same, n_topo, n_all = len(SAME_AS_QGIS), len(select_rules(TOPOLOGY)), len(RULES)
    print(f"{'part':<58} {'time':>10} {'peak MiB':>9}")
    rows = [] if args.snap_only else [
        ("read the GeoPackage (pyogrio), not counted below", j["all"]["read_s"], None),
        (f"JalNet validate: same checks as the QGIS route ({n_same} rules)", j["same"]["s"], j["same"]["peak_mib"]),
        (f"JalNet validate: geometry + topology + connectivity ({n_topo})", j["topology"]["s"],
         j["topology"]["peak_mib"]),
        (f"JalNet validate: all {n_all} rules", j["all"]["s"], j["all"]["peak_mib"]),
    ]
    rows += [(f"JalNet snap plan: {spec['candidates']:,} staged lines, 5 m", j["snap"]["s"], j["snap"]["peak_mib"]),
             (f"JalNet grid self-snap: {grid_spec['segments']:,} segments, 2 m", j["grid"]["s"],
              j["grid"]["peak_mib"])]
    for name, s, mib in rows:
        print(f"{name:<58} {s:>9.1f}s {'' if mib is None else f'{mib:>9,.0f}'}")
    names = [] if args.snap_only else [("QGIS qgis:checkvalidity (GEOS)", "validity"),
                                       ("QGIS native:lineintersections", "intersections")]
    for name, key in [*names, ("QGIS native:snapgeometries (ends, 5 m)", "snap")]:
        print(f"{name:<58} {q[key]['label']:>10} {q[key]['peak_mib']:>9,.0f}")
    print(f"{'QGIS native:snapgeometries grid onto itself (ends, 2 m)':<58} {q['grid']['s']:>9.1f}s "
          f"{q['grid']['peak_mib']:>9,.0f}")
    print()
    if not args.snap_only:
        qgis_validate = q["validity"]["s"] + q["intersections"]["s"]
        print(f"validation, same checks: QGIS {qgis_validate:,.0f} s / JalNet {j['same']['s']:.1f} s = "
              f"{qgis_validate / j['same']['s']:.0f}x")
        print(f"validation, JalNet's {n_topo} topology rules against the QGIS route's 2 tools: "
              f"{qgis_validate / j['topology']['s']:.0f}x; all {n_all} rules {qgis_validate / j['all']['s']:.0f}x")
        print(f"targets: 1M validated < 60 s: {j['topology']['s']:.1f} s "
              f"({'met' if j['topology']['s'] < 60 else 'MISSED'}); < 4 GB: "
              f"{max(j[k]['peak_mib'] for k in j) / 1024:.2f} GiB peak; >= 10x QGIS: "
              f"{qgis_validate / j['topology']['s']:.0f}x")
        print(f"findings (all rules): {j['all']['findings']:,}: {json.dumps(j['all']['by_rule'])}")
    walks = q["snap"]["s"] / j["snap"]["s"]
    grid_x = q["grid"]["s"] / j["grid"]["s"]
    rss = j["grid"]["peak_mib"] / q["grid"]["peak_mib"]
    print(f"snapping {spec['candidates']:,} walks into {spec['pipes']:,} pipes: QGIS {q['snap']['s']:,.1f} s / "
          f"JalNet {j['snap']['s']:.1f} s = {walks:.1f}x (target >= 10x: {'met' if walks >= 10 else 'MISSED'}; QGIS "
          "only moves the new lines' ends; JalNet also splits pipes, conflates, makes junctions and ids)")
    print(f"grid self-snap {grid_spec['segments']:,} segments at 2 m: QGIS {q['grid']['s']:.1f} s / JalNet "
          f"{j['grid']['s']:.1f} s = {grid_x:.1f}x (target >= 2x: {'met' if grid_x >= 2 else 'MISSED'}); peak memory "
          f"JalNet {j['grid']['peak_mib']:,.0f} MiB / QGIS {q['grid']['peak_mib']:,.0f} MiB = {rss:.2f} (target <= 2: "
          f"{'met' if rss <= 2 else 'MISSED'})")
    print(f"the same in CPU seconds (what each process itself used: steadier on a shared machine): walks QGIS "
          f"{q['snap']['cpu_s']:.1f} s / JalNet {j['snap']['cpu_s']:.1f} s = {q['snap']['cpu_s'] / j['snap']['cpu_s']:.1f}x;"
          f" grid QGIS {q['grid']['cpu_s']:.1f} s / JalNet {j['grid']['cpu_s']:.1f} s = "
          f"{q['grid']['cpu_s'] / j['grid']['cpu_s']:.1f}x")
    print(f"within JalNet's snap plan (wall): cutting the registry to the batch's surroundings {j['snap']['area_s']:.1f} s"
          f" (a registry read near the batch does this instead), numbering new ids {j['snap']['ids_s']:.1f} s (grid "
          f"{j['grid']['ids_s']:.1f} s); reading the GeoPackage is not counted: {j['snap']['read_s']:.1f} s and "
          f"{j['grid']['read_s']:.1f} s")
    print(f"snap: {j['snap']['states']}, {j['snap']['new_pipes']:,} new pipes, {j['snap']['split_pipes']:,} pipes "
          f"split, {j['snap']['new_junctions']:,} new junctions; grid: {j['grid']['new_pipes']:,} pipes, "
          f"{j['grid']['new_junctions']:,} junctions")
    print(f"{args.repeat} rounds, medians shown; each round's ratio (wall): walks "
          f"{', '.join(f'{x:.1f}x' for x in spread['snap'])}; grid {', '.join(f'{x:.1f}x' for x in spread['grid'])}")
    print(f"machine: {os.cpu_count()} cores (shared with other work while this ran), Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

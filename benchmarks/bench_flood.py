"""Benchmark: the flood overlay at state scale, JalNet next to the QGIS Processing route.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_flood.py                        # 1M points, 100,000 km of pipes, 20,000^2 raster
    python benchmarks/bench_flood.py --size 2000 --points 20000 --pipe-km 2000   # a quick look

Data (generated once into --workdir, default /tmp/jalnet_bench_flood, and reused):
a 20,000 x 20,000 float32 depth raster (10 m cells, EPSG:32646, tiled 512, DEFLATE with
the floating-point predictor, nodata rectangles), 1 million points (1 % off the raster)
and 200,000 pipes of about 500 m (100,000 km) in GeoPackages.

JalNet: read both layers with pyogrio and run the engine's overlay
(:func:`jalnet.flood.impact.impact_layers`: depth at every point, max / mean / flooded
length along every pipe sampled every half cell, severity, out of service).
QGIS: ``native:rastersampling`` on the points, and for the pipes the nearest Processing
equivalents: ``native:pointsalonglines`` every half cell + ``native:rastersampling`` +
``qgis:statisticsbycategories`` (max and mean per pipe), and ``native:zonalstatisticsfb``
on the pipes buffered by half a cell. The QGIS routes run on subsets (--qgis-points,
--qgis-pipe-km) when the full data would take too long or too much memory; their time is
scaled linearly to the full data for the ratio, and the output says so. Every part runs in
its own process, so each peak memory (ru_maxrss) is its own.
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

CRS = "EPSG:32646"
CELL = 10.0
X0, Y1 = 300000.0, 3100000.0  # top-left corner of the raster
NODATA = -9999.0
PIPE_SEGMENTS, PIPE_LENGTH = 3, 500.0


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
def depth_block(rows, cols):
    """Smooth flood depths (m, 2 decimals) with dry land and nodata rectangles."""
    import numpy as np

    x, y = cols * CELL, rows * CELL
    depth = (0.9 * np.sin(2 * np.pi * x / 7000) * np.sin(2 * np.pi * y / 5000)
             + 0.5 * np.sin(2 * np.pi * x / 1300 + y / 900) - 0.15)
    depth = np.round(np.clip(depth, 0, None), 2).astype("float32")
    hole = (cols % 4000 < 300) & (rows % 5000 < 200)
    return np.where(hole, np.float32(NODATA), depth)


def make_raster(path: Path, size: int) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import Affine
    from rasterio.windows import Window

    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32", "crs": CRS,
               "transform": Affine(CELL, 0, X0, 0, -CELL, Y1), "nodata": NODATA, "tiled": True, "blockxsize": 512,
               "blockysize": 512, "compress": "deflate", "predictor": 3, "BIGTIFF": "IF_SAFER"}
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(tmp, "w", **profile) as dst:
        for r0 in range(0, size, 512):
            for c0 in range(0, size, 512):
                h, w = min(512, size - r0), min(512, size - c0)
                cols, rows = np.meshgrid(np.arange(c0, c0 + w), np.arange(r0, r0 + h))
                dst.write(depth_block(rows, cols), 1, window=Window(c0, r0, w, h))
    tmp.rename(path)


def make_vectors(workdir: Path, size: int, n_points: int, pipe_km: float, qgis_points: int, qgis_km: float) -> None:
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(20261122)
    extent = size * CELL
    inside = n_points - n_points // 100
    x = np.r_[rng.uniform(X0, X0 + extent, inside), rng.uniform(X0 - 5000, X0, n_points - inside)]
    y = rng.uniform(Y1 - extent, Y1, n_points)
    points = gpd.GeoDataFrame({"fhtc_id": [f"F{i}" for i in range(n_points)], "scheme_id": "S"},
                              geometry=shapely.points(x, y), crs=CRS)
    points.to_file(workdir / "points.gpkg", layer="fhtc", engine="pyogrio")
    points.iloc[:qgis_points].to_file(workdir / "points_qgis.gpkg", layer="fhtc", engine="pyogrio")
    n_pipes = int(round(pipe_km * 1000 / PIPE_LENGTH))
    step = PIPE_LENGTH / PIPE_SEGMENTS
    start = np.c_[rng.uniform(X0 + 1000, X0 + extent - 1000, n_pipes), rng.uniform(Y1 - extent + 1000, Y1 - 1000,
                                                                                     n_pipes)]
    heading = rng.uniform(0, 2 * np.pi, n_pipes)
    coords = [start]
    for _ in range(PIPE_SEGMENTS):
        heading = heading + rng.normal(0, 0.5, n_pipes)
        coords.append(coords[-1] + step * np.c_[np.cos(heading), np.sin(heading)])
    lines = shapely.linestrings(np.stack(coords, axis=1))
    pipes = gpd.GeoDataFrame({"pipe_id": [f"P{i}" for i in range(n_pipes)], "scheme_id": "S",
                              "pipe_function": "distribution"}, geometry=lines, crs=CRS)
    pipes.to_file(workdir / "pipes.gpkg", layer="pipes", engine="pyogrio")
    n_sub = int(round(qgis_km * 1000 / PIPE_LENGTH))
    pipes.iloc[:n_sub].to_file(workdir / "pipes_qgis.gpkg", layer="pipes", engine="pyogrio")


def prepare(args: argparse.Namespace) -> dict:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    spec = {"size": args.size, "points": args.points, "pipe_km": args.pipe_km, "qgis_points": args.qgis_points,
            "qgis_pipe_km": args.qgis_pipe_km}
    stamp = work / "spec.json"
    if stamp.exists() and json.loads(stamp.read_text()) == spec and (work / "depth.tif").exists():
        print(f"reusing data in {work}")
        return spec
    for f in work.glob("*"):
        f.unlink()
    t = time.perf_counter()
    make_raster(work / "depth.tif", args.size)
    t_raster = time.perf_counter() - t
    make_vectors(work, args.size, args.points, args.pipe_km, args.qgis_points, args.qgis_pipe_km)
    stamp.write_text(json.dumps(spec))
    mb = (work / "depth.tif").stat().st_size / 2**20
    print(f"generated data in {time.perf_counter() - t:.0f} s (raster {t_raster:.0f} s, {mb:.0f} MiB on disk, "
          f"{args.size * args.size * 4 / 2**30:.2f} GiB as float32)")
    return spec


# ---------------------------------------------------------------------------------------
# The two routes, each in its own process
# ---------------------------------------------------------------------------------------
def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_jalnet(work: Path) -> dict:
    import numpy as np
    import pyogrio

    from jalnet.flood.assets import assets_from_frames
    from jalnet.flood.impact import impact_layers
    from jalnet.flood.overlay import Hazard
    from jalnet.flood.raster import open_depth_raster
    from jalnet.flood.tables import DEFAULT_CLASSES, load_critical_heights

    out: dict = {}
    t = time.perf_counter()
    points = pyogrio.read_dataframe(work / "points.gpkg", layer="fhtc")
    pipes = pyogrio.read_dataframe(work / "pipes.gpkg", layer="pipes")
    out["read_s"] = time.perf_counter() - t
    heights = load_critical_heights()
    for name, frames in (("points", {"fhtc": points}), ("pipes", {"pipes": pipes})):
        assets = assets_from_frames(frames, CRS)
        with open_depth_raster(work / "depth.tif") as raster:
            t = time.perf_counter()
            impacts, _ = impact_layers(assets, Hazard(raster), "bench", None, heights, DEFAULT_CLASSES)
            out[f"{name}_s"] = time.perf_counter() - t
        if name == "points":
            depth = impacts["fhtc"]["depth_m"].to_numpy()
            out["points_nan"] = int(np.isnan(depth).sum())
            out["points_wet"] = int((depth > 0).sum())
            np.save(work / "jalnet_points.npy", depth)
        else:
            frame = impacts["pipes"]
            out["pipe_km"] = float(frame["length_m"].sum() / 1000)
            out["pipes_flooded_km"] = float(frame["flooded_length_m"].sum() / 1000)
            np.save(work / "jalnet_pipes_max.npy", frame["max_depth_m"].to_numpy())
            np.save(work / "jalnet_pipes_mean.npy", frame["mean_depth_m"].to_numpy())
    out["peak_mib"] = peak_mib()
    return out


def part_qgis(work: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsProcessingFeedback, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
    import numpy as np
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    fb = QgsProcessingFeedback()
    raster = str(work / "depth.tif")
    out: dict = {}

    t = time.perf_counter()
    res = processing.run("native:rastersampling", {"INPUT": str(work / "points_qgis.gpkg"), "RASTERCOPY": raster,
                                                   "COLUMN_PREFIX": "d_", "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)
    out["points_s"] = time.perf_counter() - t
    layer: QgsVectorLayer = res["OUTPUT"]
    field = [f.name() for f in layer.fields() if f.name().startswith("d_")][0]
    ids = np.array([int(f["fhtc_id"][1:]) for f in layer.getFeatures()])
    vals = np.array([np.nan if f[field] is None else float(f[field]) for f in layer.getFeatures()])
    out["points_n"] = int(layer.featureCount())
    jalnet = np.load(work / "jalnet_points.npy")[ids]
    same = (np.isnan(vals) & np.isnan(jalnet)) | np.isclose(vals, jalnet, atol=1e-4)
    out["points_agree_pct"] = float(100 * same.mean())
    del layer, res

    half = CELL / 2
    pipes_src = str(work / "pipes_qgis.gpkg")
    t = time.perf_counter()
    pts = processing.run("native:pointsalonglines", {"INPUT": pipes_src, "DISTANCE": half, "START_OFFSET": half / 2,
                                                     "END_OFFSET": 0, "OUTPUT": "TEMPORARY_OUTPUT"},
                         feedback=fb)["OUTPUT"]
    sampled = processing.run("native:rastersampling", {"INPUT": pts, "RASTERCOPY": raster, "COLUMN_PREFIX": "d_",
                                                       "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)["OUTPUT"]
    stats = processing.run("qgis:statisticsbycategories", {"INPUT": sampled, "VALUES_FIELD_NAME": "d_1",
                                                           "CATEGORIES_FIELD_NAME": ["pipe_id"],
                                                           "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)["OUTPUT"]
    out["pipes_points_s"] = time.perf_counter() - t
    out["pipes_points_samples"] = int(sampled.featureCount())
    got = {f["pipe_id"]: (f["max"], f["mean"]) for f in stats.getFeatures()}
    jmax = np.load(work / "jalnet_pipes_max.npy")
    agree = [abs((got[k][0] if got[k][0] is not None else np.nan) - jmax[int(k[1:])]) <= 1e-4
             or (got[k][0] is None and np.isnan(jmax[int(k[1:])])) for k in got]
    out["pipes_max_agree_pct"] = float(100 * np.mean(agree)) if agree else float("nan")
    out["pipes_n"] = len(got)
    del pts, sampled, stats

    t = time.perf_counter()
    buffered = processing.run("native:buffer", {"INPUT": pipes_src, "DISTANCE": half, "SEGMENTS": 4,
                                                "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)["OUTPUT"]
    processing.run("native:zonalstatisticsfb", {"INPUT": buffered, "INPUT_RASTER": raster, "RASTER_BAND": 1,
                                                "COLUMN_PREFIX": "z_", "STATISTICS": [2, 5, 6],
                                                "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)
    out["pipes_zonal_s"] = time.perf_counter() - t
    del buffered
    out["peak_mib"] = peak_mib()
    return out


def run_part(part: str, work: Path) -> dict:
    cmd = [sys.executable, __file__, "--part", part, "--workdir", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{part} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT "):])


def report(spec: dict, j: dict, q: dict) -> None:
    n_pts, km = spec["points"], spec["pipe_km"]
    scale_pts = n_pts / max(1, q["points_n"])
    scale_km = km / max(1e-9, spec["qgis_pipe_km"])
    print()
    print(f"raster {spec['size']:,} x {spec['size']:,} cells ({spec['size'] * CELL / 1000:.0f} km square, "
          f"10 m), {n_pts:,} points, {j['pipe_km']:,.0f} km of pipes")
    print(f"JalNet: read GeoPackages {j['read_s']:.1f} s; points {j['points_s']:.1f} s "
          f"({n_pts / j['points_s']:,.0f} points/s); pipes {j['pipes_s']:.1f} s ({j['pipe_km'] / j['pipes_s']:,.0f} "
          f"km/s); peak memory {j['peak_mib']:,.0f} MiB")
    print(f"       {j['points_nan']:,} points without depth (off the raster or nodata), {j['points_wet']:,} wet; "
          f"{j['pipes_flooded_km']:,.0f} km of pipe flooded")
    subset = "" if q["points_n"] == n_pts else f" on a subset of {q['points_n']:,} points"
    print(f"QGIS native:rastersampling{subset}: {q['points_s']:.1f} s ({q['points_n'] / q['points_s']:,.0f} points/s); "
          f"values identical to JalNet for {q['points_agree_pct']:.2f} %")
    sub_km = "" if spec["qgis_pipe_km"] >= km else f" on a subset of {spec['qgis_pipe_km']:,.0f} km ({q['pipes_n']:,} pipes)"
    print(f"QGIS pointsalonglines + rastersampling + statisticsbycategories{sub_km}: {q['pipes_points_s']:.1f} s "
          f"({q['pipes_points_samples']:,} samples); max depth identical to JalNet for {q['pipes_max_agree_pct']:.2f} %")
    print(f"QGIS buffer + zonalstatisticsfb{sub_km}: {q['pipes_zonal_s']:.1f} s")
    print(f"QGIS peak memory {q['peak_mib']:,.0f} MiB")
    qp, ql, qz = q["points_s"] * scale_pts, q["pipes_points_s"] * scale_km, q["pipes_zonal_s"] * scale_km
    note = " (QGIS times scaled linearly from the subsets)" if scale_pts > 1 or scale_km > 1 else ""
    print(f"\nfull data{note}:")
    print(f"  points: JalNet {j['points_s']:.1f} s vs QGIS {qp:,.0f} s -> {qp / j['points_s']:.1f}x")
    print(f"  pipes:  JalNet {j['pipes_s']:.1f} s vs QGIS points route {ql:,.0f} s -> {ql / j['pipes_s']:.1f}x; "
          f"vs zonal statistics {qz:,.0f} s -> {qz / j['pipes_s']:.1f}x")
    print(f"  peak memory: JalNet {j['peak_mib']:,.0f} MiB, QGIS {q['peak_mib']:,.0f} MiB (on its subsets)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", default="/tmp/jalnet_bench_flood")
    p.add_argument("--size", type=int, default=20000, help="raster width and height in cells")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--pipe-km", type=float, default=100_000)
    p.add_argument("--qgis-points", type=int, default=100_000, help="points for the QGIS route")
    p.add_argument("--qgis-pipe-km", type=float, default=2_000, help="km of pipe for the QGIS routes")
    p.add_argument("--part", choices=("jalnet", "qgis"), help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.workdir)
    if args.part:
        result = part_jalnet(work) if args.part == "jalnet" else part_qgis(work)
        print("RESULT " + json.dumps(result))
        return 0
    args.qgis_points = min(args.qgis_points, args.points)
    args.qgis_pipe_km = min(args.qgis_pipe_km, args.pipe_km)
    spec = prepare(args)
    print("running JalNet ...", flush=True)
    j = run_part("jalnet", work)
    print("running QGIS ...", flush=True)
    q = run_part("qgis", work)
    report(spec, j, q)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: importing and cleaning contractor GPS tracks, JalNet next to the GDAL and QGIS routes.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_tracks.py                     # 100 walks of an hour at 1 fix/s: 360,000 fixes
    python benchmarks/bench_tracks.py --walks 10           # a quick look

Data (generated into --workdir, default /tmp/jalnet_bench_tracks, and reused): one GPX 1.1
file of phone walks near Nalbari (1 fix/s, about 1.1 m/s, 4 m correlated noise, 6 spikes
and two standstills per walk, one lost fix), as a district GIS cell receives in a month.

JalNet: ``import_tracks`` into a new registry: parse, check, clean (duplicates,
low accuracy, spikes, standstills, gaps, smoothing, simplification) and write the
candidates in one batch; also timed without the write (dry run).
GDAL: ``ogr2ogr`` of the GPX tracks and track points into a GeoPackage: reading only, no cleaning.
QGIS: the hand route a GIS cell uses today: the GPX tracks through ``native:reprojectlayer``,
``native:simplifygeometries`` (2.5 m) and ``native:smoothgeometry``; QGIS has no spike or
standstill removal, so its lines keep them. Every part runs in its own process, so each
peak memory (ru_maxrss) is its own.
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

FIXES_PER_WALK = 3600


def make_gpx(path: Path, walks: int) -> int:
    """Write the walks; returns the number of fixes."""
    import numpy as np
    import pyproj

    rng = np.random.default_rng(7)
    to_ll = pyproj.Transformer.from_crs(32646, 4326, always_xy=True)
    total = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
                'xmlns="http://www.topografix.com/GPX/1/1">\n')
        for w in range(walks):
            heading = np.cumsum(rng.normal(0, 0.02, FIXES_PER_WALK)) + rng.uniform(0, 6.3)
            step = np.clip(1.1 + rng.normal(0, 0.15, FIXES_PER_WALK), 0.4, 1.6)
            for k in rng.choice(np.arange(200, FIXES_PER_WALK - 200), 2, replace=False):
                step[k : k + 90] = 0.0  # standstills
            x0, y0 = 330000 + (w % 10) * 4000, 2920000 + (w // 10) * 4000
            x = x0 + np.cumsum(step * np.cos(heading))
            y = y0 + np.cumsum(step * np.sin(heading))
            noise = np.zeros((FIXES_PER_WALK, 2))
            for i in range(1, FIXES_PER_WALK):
                noise[i] = 0.85 * noise[i - 1] + rng.normal(0, 4 * np.sqrt(1 - 0.85**2), 2)
            x, y = x + noise[:, 0], y + noise[:, 1]
            for k in rng.choice(np.arange(50, FIXES_PER_WALK - 50), 6, replace=False):
                x[k] += rng.choice([-1, 1]) * rng.uniform(60, 250)
            t = 1710216000 + w * 7200 + np.arange(FIXES_PER_WALK)
            keep = np.ones(FIXES_PER_WALK, dtype=bool)
            keep[1800:1900] = False  # a lost fix
            lon, lat = to_ll.transform(x[keep], y[keep])
            stamps = np.datetime_as_string(t[keep].astype("datetime64[s]"), unit="s")
            f.write(f"<trk><name>W-{w:03d}</name><desc>HDPE 63 mm</desc><trkseg>\n")
            f.writelines(f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><ele>48.0</ele><time>{s}Z</time></trkpt>\n'
                         for lo, la, s in zip(lon, lat, stamps))
            f.write("</trkseg></trk>\n")
            total += int(keep.sum())
        f.write("</gpx>\n")
    return total


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_jalnet(work: Path) -> dict:
    from jalnet.registry import create_registry
    from jalnet.tracks import import_tracks

    gpx = work / "walks.gpx"
    out = {}
    with create_registry(work / "jalnet.gpkg", crs="EPSG:32646", overwrite=True) as reg:
        t0 = time.perf_counter()
        dry = import_tracks(reg, [gpx], options={"dry_run": True})
        out["dry_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = import_tracks(reg, [gpx])
        out["import_s"] = time.perf_counter() - t0
    f = report.files[0]
    out.update(fixes=f.points_read, kept=f.points_kept, dropped=dict(f.points_dropped), lines=report.pipes,
               dry_lines=dry.pipes, peak_mib=peak_mib())
    return out


def part_gdal(work: Path) -> dict:
    target = work / "gdal.gpkg"
    target.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["ogr2ogr", "-f", "GPKG", str(target), str(work / "walks.gpx"), "tracks", "track_points"])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit("ogr2ogr failed")
    return {"s": time.perf_counter() - t0, "peak_mib": usage.ru_maxrss / 1024}


def part_qgis(work: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsProcessingFeedback, QgsVectorLayer

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    fb = QgsProcessingFeedback()
    t0 = time.perf_counter()
    tracks = QgsVectorLayer(f"{work / 'walks.gpx'}|layername=tracks", "tracks", "ogr")
    step = processing.run("native:reprojectlayer", {"INPUT": tracks, "TARGET_CRS": "EPSG:32646",
                                                    "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)["OUTPUT"]
    step = processing.run("native:simplifygeometries", {"INPUT": step, "METHOD": 0, "TOLERANCE": 2.5,
                                                        "OUTPUT": "TEMPORARY_OUTPUT"}, feedback=fb)["OUTPUT"]
    out = work / "qgis.gpkg"
    out.unlink(missing_ok=True)
    processing.run("native:smoothgeometry", {"INPUT": step, "ITERATIONS": 1, "OFFSET": 0.25, "MAX_ANGLE": 180,
                                             "OUTPUT": str(out)}, feedback=fb)
    seconds = time.perf_counter() - t0
    layer = QgsVectorLayer(str(out), "out", "ogr")
    n = layer.featureCount()
    del layer, tracks, step
    return {"s": seconds, "lines": n, "peak_mib": peak_mib()}


def run_part(part: str, work: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--part", part, "--workdir", str(work)],
                          capture_output=True, text=True)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{part} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(line[-1][len("RESULT "):])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", default="/tmp/jalnet_bench_tracks")
    p.add_argument("--walks", type=int, default=100, help="walks of an hour at 1 fix/s")
    p.add_argument("--part", choices=("jalnet", "gdal", "qgis"), help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.workdir)
    if args.part:
        parts = {"jalnet": part_jalnet, "gdal": part_gdal, "qgis": part_qgis}
        print("RESULT " + json.dumps(parts[args.part](work)), flush=True)
        os._exit(0)  # QGIS may crash tearing down its application; the result is out
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "spec.json"
    if not spec.exists() or json.loads(spec.read_text()).get("walks") != args.walks:
        print(f"writing {args.walks} walks ...", flush=True)
        fixes = make_gpx(work / "walks.gpx", args.walks)
        spec.write_text(json.dumps({"walks": args.walks, "fixes": fixes}))
    info = json.loads(spec.read_text())
    size = (work / "walks.gpx").stat().st_size / 2**20
    results = {}
    for part in ("jalnet", "gdal", "qgis"):
        print(f"running {part} ...", flush=True)
        results[part] = run_part(part, work)
    j, g, q = results["jalnet"], results["gdal"], results["qgis"]
    print()
    print(f"{info['walks']} walks, {info['fixes']:,} fixes, GPX {size:.0f} MiB")
    print(f"JalNet import (parse, check, clean, write {j['lines']} candidates): {j['import_s']:.1f} s "
          f"({info['fixes'] / j['import_s']:,.0f} fixes/s); without the write {j['dry_s']:.1f} s; "
          f"peak memory {j['peak_mib']:,.0f} MiB")
    print(f"       kept {j['kept']:,} fixes; dropped {', '.join(f'{v:,} {k}' for k, v in sorted(j['dropped'].items()))}")
    print(f"GDAL ogr2ogr GPX -> GPKG (no cleaning): {g['s']:.1f} s, peak memory {g['peak_mib']:,.0f} MiB "
          f"-> JalNet / GDAL {j['import_s'] / g['s']:.1f}x")
    print(f"QGIS reproject + simplify + smooth (no spike/standstill removal): {q['s']:.1f} s, {q['lines']} lines, "
          f"peak memory {q['peak_mib']:,.0f} MiB -> QGIS / JalNet {q['s'] / j['import_s']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: peak memory of importing one huge contractor file (a million-fix walk), per format.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_inputs.py                  # 10^6 fixes per file: GPX, KML LineString, KML gx:Track, CSV
    python benchmarks/bench_inputs.py --fixes 200000    # a quicker look
    python benchmarks/bench_inputs.py --zip-bomb        # also a KMZ whose member inflates to 1 GB (refused)

Data (generated into --workdir, default /tmp/jalnet_bench_inputs, and reused): one phone walk
of --fixes fixes (1 fix/s, about 1.1 m/s, 4 m correlated noise) near Nalbari, written as a
single GPX track, a single KML LineString placemark, a single KML gx:Track (with <when>
times) and a CSV log: the worst case for a streaming reader, where one feature is the
whole file. Each import (``jalnet tracks import --dry-run`` through the Python API, so
parsing, checking and cleaning all run) is done in its own child process and its peak
resident memory is read from the child's rusage (ru_maxrss). The target is at most
400 MB for any file up to 100 MB. GDAL's ``ogr2ogr`` of the GPX is shown for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_MB = 400.0


def walk(n: int):
    """lon, lat, epoch seconds of one walk of *n* fixes."""
    import numpy as np
    import pyproj

    rng = np.random.default_rng(11)
    heading = np.cumsum(rng.normal(0, 0.01, n)) + 0.7
    step = np.clip(1.1 + rng.normal(0, 0.15, n), 0.4, 1.6)
    x = 330000 + np.cumsum(step * np.cos(heading))
    y = 2920000 + np.cumsum(step * np.sin(heading))
    noise = np.zeros((n, 2))
    e = rng.normal(0, 4 * np.sqrt(1 - 0.85**2), (n, 2))
    for i in range(1, n):  # AR(1) noise, as a phone's fix error drifts
        noise[i] = 0.85 * noise[i - 1] + e[i]
    lon, lat = pyproj.Transformer.from_crs(32646, 4326, always_xy=True).transform(x + noise[:, 0], y + noise[:, 1])
    return lon, lat, 1710216000 + np.arange(n)


def _stamps(t) -> list[str]:
    import numpy as np

    return [s + "Z" for s in np.datetime_as_string(t.astype("datetime64[s]"), unit="s")]


def make_files(work: Path, n: int) -> dict[str, Path]:
    files = {"GPX": work / f"walk_{n}.gpx", "KML LineString": work / f"walk_{n}_line.kml",
             "KML gx:Track": work / f"walk_{n}_track.kml", "CSV": work / f"walk_{n}.csv"}
    if all(p.exists() for p in files.values()):
        return files
    lon, lat, t = walk(n)
    stamps = _stamps(t)
    with files["GPX"].open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
                'xmlns="http://www.topografix.com/GPX/1/1">\n<trk><name>BR-01</name><desc>HDPE 63 mm</desc><trkseg>\n')
        f.writelines(f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><ele>48.0</ele><time>{s}</time></trkpt>\n'
                     for lo, la, s in zip(lon, lat, stamps))
        f.write("</trkseg></trk>\n</gpx>\n")
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" '
            'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><Folder><name>WO 117</name>\n'
            '<Placemark><name>BR-01 HDPE 63 mm</name>')
    with files["KML LineString"].open("w", encoding="utf-8") as f:
        f.write(head + "<LineString><coordinates>\n")
        f.writelines(f"{lo:.7f},{la:.7f},48\n" for lo, la in zip(lon, lat))
        f.write("</coordinates></LineString></Placemark></Folder></Document></kml>\n")
    with files["KML gx:Track"].open("w", encoding="utf-8") as f:
        f.write(head + "<gx:Track>\n")
        f.writelines(f"<when>{s}</when>\n" for s in stamps)
        f.writelines(f"<gx:coord>{lo:.7f} {la:.7f} 48</gx:coord>\n" for lo, la in zip(lon, lat))
        f.write("</gx:Track></Placemark></Folder></Document></kml>\n")
    with files["CSV"].open("w", encoding="utf-8") as f:
        f.write("track_id,latitude,longitude,time,accuracy,pipe_id\n")
        f.writelines(f"BR-01,{la:.7f},{lo:.7f},{s},4.0,P-1\n" for lo, la, s in zip(lon, lat, stamps))
    return files


def make_zip_bomb(work: Path) -> Path:
    """A KMZ whose doc.kml inflates to 1 GB of blank space inside a placemark (ratio about 1000)."""
    path = work / "bomb_1gb.kmz"
    if not path.exists():
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("doc.kml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><kml><Document><Placemark><name>')
            block = b" " * (1 << 20)
            for _ in range(1024):
                f.write(block)
            f.write(b"</name></Placemark></Document></kml>")
    return path


def child(path: str, registry: str) -> None:
    """Run in the child process: one dry-run import; prints one JSON line."""
    import resource

    from jalnet.tracks import import_tracks

    t0 = time.perf_counter()
    report = import_tracks(registry, [path], options={"dry_run": True})
    f = report.files[0]
    print(json.dumps({"s": time.perf_counter() - t0, "status": f.status, "reason": f.reason,
                      "fixes": f.points_read, "kept": f.points_kept, "pipes": f.pipes,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(path: Path, registry: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), str(registry)], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"import of {path} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def gdal_peak(path: Path, work: Path) -> float:
    target = work / "gdal.gpkg"
    target.unlink(missing_ok=True)
    proc = subprocess.Popen(["ogr2ogr", "-f", "GPKG", str(target), str(path), "tracks", "track_points"])
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024 if status == 0 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixes", type=int, default=1_000_000)
    ap.add_argument("--workdir", default="/tmp/jalnet_bench_inputs")
    ap.add_argument("--zip-bomb", action="store_true", help="also import a KMZ inflating to 1 GB (it must be refused)")
    ap.add_argument("--child", nargs=2, metavar=("FILE", "REGISTRY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    from jalnet.registry import create_registry

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    registry = work / "jalnet.gpkg"
    create_registry(registry, crs="EPSG:32646", overwrite=True).close()
    files = make_files(work, args.fixes)
    if args.zip_bomb:
        files["KMZ inflating to 1 GB"] = make_zip_bomb(work)
    print(f"{'file':<24}{'size MB':>9}{'fixes':>10}{'kept':>9}{'pipes':>7}{'time s':>8}{'peak MB':>9}  within "
          f"{LIMIT_MB:.0f} MB")
    worst = 0.0
    for kind, path in files.items():
        r = run_child(path, registry)
        worst = max(worst, r["peak_mb"])
        print(f"{kind:<24}{path.stat().st_size / 2**20:>9.1f}{r['fixes']:>10,}{r['kept']:>9,}{r['pipes']:>7}"
              f"{r['s']:>8.1f}{r['peak_mb']:>9.0f}  {'yes' if r['peak_mb'] <= LIMIT_MB else 'NO'}"
              + (f"  ({r['status']}: {r['reason'][-90:]})" if r["status"] != "imported" else ""))
    print(f"ogr2ogr of the GPX (reading only, for reference): peak {gdal_peak(files['GPX'], work):.0f} MB")
    print(f"worst peak {worst:.0f} MB: {'within' if worst <= LIMIT_MB else 'OVER'} the {LIMIT_MB:.0f} MB target")


if __name__ == "__main__":
    main()

"""Benchmark: the PM Gati Shakti export at district scale, JalNet next to the plain GDAL route.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_gatishakti.py                  # 200 copies of the sample scheme
    python benchmarks/bench_gatishakti.py --schemes 20     # a quick look

Data (built once into --workdir, default /tmp/jalnet_bench_gatishakti, and reused): the
sample scheme copied onto a grid of --schemes schemes with their own scheme and asset IDs,
loaded into one registry (200 schemes: 8,200 pipes, 86,000 household taps, 200 each of
sources, tanks, pumps and treatment units).

JalNet: ``export_package`` with the default profile plus the household taps, all four
formats: pre-flight check, reprojection, mapping, GeoPackage, Shapefile, GeoJSON, KML,
metadata, manifest, zip. GDAL: what a GIS cell does today, one ``ogr2ogr -t_srs EPSG:4326``
per layer and format with the same field selection and renaming in SQL (``-makevalid``,
UTF-8 shapefiles, RFC 7946 GeoJSON, KML with GDAL's KML driver as QGIS's "Save Features As"
does), then a zip; no check, code lists, derived fields, metadata or manifest. Each route
runs in its own process, so each peak memory (ru_maxrss, children included) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAYERS = ["jjm_pipeline", "jjm_source", "jjm_reservoir", "jjm_treatment", "jjm_pump", "jjm_fhtc"]
GRID = 20  # schemes per row of the grid
STEP = 0.06  # degrees between copies (the sample scheme is about 0.04 degrees across)
KEYS = {"villages": ["village_id"], "sources": ["source_id"], "pipes": ["pipe_id", "from_node", "to_node"],
        "junctions": ["node_id"], "valves": ["valve_id", "pipe_id"], "tanks": ["tank_id"],
        "pumps": ["pump_id", "source_id"], "treatment_units": ["unit_id"], "fhtc": ["fhtc_id", "village_id", "pipe_id"]}


def build_registry(workdir: Path, n_schemes: int) -> Path:
    import pandas as pd
    import pyogrio
    import shapely

    from jalnet.registry import create_registry, load_layers
    from jalnet.samples import sample_path

    registry = workdir / f"registry_{n_schemes}.gpkg"
    if registry.exists():
        return registry
    source = sample_path("sample_scheme.gpkg")
    staged = workdir / f"copies_{n_schemes}.gpkg"
    staged.unlink(missing_ok=True)
    schemes = pyogrio.read_dataframe(source, layer="schemes", read_geometry=False)
    rows = []
    for k in range(n_schemes):
        row = schemes.iloc[0].copy()
        row["scheme_id"] = str(4100000 + k)
        row["name"] = f"Bench scheme {k:04d}"
        rows.append(row)
    pyogrio.write_dataframe(pd.DataFrame(rows), staged, layer="schemes", driver="GPKG")
    for layer, keys in KEYS.items():
        frame = pyogrio.read_dataframe(source, layer=layer)
        copies = []
        for k in range(n_schemes):
            copy = frame.copy()
            copy["scheme_id"] = str(4100000 + k)
            for key in keys:  # LGD village codes stay digits that fit the 10-character field
                pattern = "{k}{v}" if key == "village_id" else "{k:04d}-{v}"
                copy[key] = copy[key].map(lambda v, k=k, p=pattern: None if v is None else p.format(k=k, v=v))
            dx, dy = (k % GRID) * STEP, (k // GRID) * STEP
            copy["geometry"] = shapely.transform(copy.geometry.values, lambda xy, dx=dx, dy=dy: xy + [dx, dy])
            copies.append(copy)
        pyogrio.write_dataframe(pd.concat(copies, ignore_index=True), staged, layer=layer, driver="GPKG")
    tmp = registry.with_suffix(".part.gpkg")
    tmp.unlink(missing_ok=True)
    with create_registry(tmp, crs="EPSG:32646") as reg:
        load_layers(reg, staged, tool="benchmark")
    tmp.rename(registry)
    return registry


def run_jalnet(registry: Path, out: Path) -> dict:
    from jalnet.gatishakti import check_export, export_package

    start = time.perf_counter()
    check = check_export(registry, layers=LAYERS)
    check_s = time.perf_counter() - start
    assert check.ok, check.summary()
    start = time.perf_counter()
    result = export_package(registry, out, layers=LAYERS, overwrite=True)
    total = time.perf_counter() - start
    return {"check_s": check_s, "export_s": total, "features": result.check.features, "files": len(result.files),
            "bytes": out.stat().st_size}


def gdal_sql(spec, shapefile: bool) -> str:
    parts = []
    for f in spec.exported:
        name = f.shapefile_name if shapefile else f.name
        if f.source is not None:
            parts.append(f'"{f.source}" AS "{name}"')
        elif f.value is not None:
            parts.append(f"'{f.value}' AS \"{name}\"")
    return f"SELECT {', '.join(parts)}, geom FROM \"{spec.source}\""


def run_gdal(registry: Path, out: Path) -> dict:
    from jalnet.gatishakti import load_profile

    profile = load_profile("default")
    work = out.with_suffix("")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    start = time.perf_counter()
    commands = 0
    for name in LAYERS:
        spec = profile.layer(name)
        for fmt, driver, path, options in (
            ("gpkg", "GPKG", work / "package.gpkg", ["-nln", name]),
            ("shp", "ESRI Shapefile", work / f"{name}.shp", ["-lco", "ENCODING=UTF-8"]),
            ("geojson", "GeoJSON", work / f"{name}.geojson", ["-lco", "RFC7946=YES"]),
            # QGIS's "Save Features As... KML" uses GDAL's KML driver, one file per layer (it cannot add to a
            # file); GDAL 3.6's LIBKML takes minutes for a few thousand lines.
            ("kml", "KML", work / f"{name}.kml", []),
        ):
            update = ["-update"] if path.exists() else []
            subprocess.run(["ogr2ogr", *update, "-f", driver, "-t_srs", "EPSG:4326", "-makevalid", "-dialect",
                            "SQLite", "-sql", gdal_sql(spec, fmt == "shp"), *options, str(path), str(registry)],
                           check=True, capture_output=True)
            commands += 1
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(work.iterdir()):
            zf.write(path, path.name)
    total = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    return {"export_s": total, "commands": commands, "bytes": out.stat().st_size}


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def child(route: str, registry: Path, out: Path) -> None:
    figures = run_jalnet(registry, out) if route == "jalnet" else run_gdal(registry, out)
    figures["peak_mb"] = peak_mb()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", type=int, default=200)
    parser.add_argument("--workdir", default="/tmp/jalnet_bench_gatishakti")
    parser.add_argument("--route", choices=["jalnet", "gdal"], help=argparse.SUPPRESS)
    parser.add_argument("--registry", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.route:
        child(args.route, Path(args.registry), Path(args.out))
        return
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    registry = build_registry(workdir, args.schemes)
    print(f"registry  {registry} ({os.path.getsize(registry) / 1e6:.1f} MB; built or reused in "
          f"{time.perf_counter() - start:.1f} s)")
    results = {}
    for route in ("jalnet", "gdal"):
        out = workdir / f"{route}.zip"
        done = subprocess.run([sys.executable, __file__, "--route", route, "--registry", str(registry), "--out",
                               str(out)], check=True, capture_output=True, text=True)
        results[route] = json.loads(done.stdout.strip().splitlines()[-1])
    j, g = results["jalnet"], results["gdal"]
    print(f"data      {args.schemes} schemes, {j['features']:,} features in {len(LAYERS)} layers, 4 formats")
    print(f"jalnet    {j['export_s']:7.2f} s (pre-flight check alone {j['check_s']:.2f} s), peak {j['peak_mb']:.0f} MB, "
          f"zip {j['bytes'] / 1e6:.1f} MB, {j['files']} files with metadata and manifest")
    print(f"gdal      {g['export_s']:7.2f} s ({g['commands']} ogr2ogr runs + zip, no check, no metadata), peak "
          f"{g['peak_mb']:.0f} MB, zip {g['bytes'] / 1e6:.1f} MB")
    print(f"ratio     JalNet / GDAL time {j['export_s'] / g['export_s']:.2f}, memory "
          f"{j['peak_mb'] / g['peak_mb']:.2f}")


if __name__ == "__main__":
    main()

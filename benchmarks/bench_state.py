"""Benchmark: a state-scale PostGIS registry, JalNet next to GDAL's ogr2ogr.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_state.py                  # about 1.05 million pipes
    python benchmarks/bench_state.py --scale 0.1      # a quick look
    python benchmarks/bench_state.py --dsn postgresql:///db   # an existing PostgreSQL with PostGIS

Data: the district of bench_topology.py (village schemes side by side, faults included),
put into a JalNet registry GeoPackage (generated into --workdir and reused). Without
--dsn a throw-away PostgreSQL cluster is started with Debian's pg_virtualenv, as the
tests do, and dropped afterwards.

Parts, each in its own process (so each peak memory is its own):

* copy: ``jalnet registry copy`` GeoPackage -> PostGIS (COPY protocol), rows/s; and
  ``ogr2ogr -f PostgreSQL`` of the same GeoPackage (all its layers, as GDAL loads them)
  into another schema, rows/s; the ratio.
* load: ``jalnet registry load`` of the generated layers into a new PostGIS registry (one
  logged, undoable batch: every feature also writes a change-log row), features/s.
* validate: ``jalnet network validate`` (all rules) on the PostGIS copy and on the
  GeoPackage: time, peak RSS, findings (they must be equal).
* snap: twenty contractor walks of one scheme staged into the PostGIS copy and snapped
  (5 m): time, and how many pipes the snap read (it reads what lies within reach).
* editors: ``benchmarks/bench_editors.py:run(registry, editors=20, workdir)`` on the PostGIS
  copy when that module exists (twenty editors importing and snapping their own scheme at once).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_topology import CRS, make_data, peak_mib  # noqa: E402


# -----------------------------------------------------------------------------------------
# Data
# -----------------------------------------------------------------------------------------
def make_registry(raw: Path, out: Path) -> dict:
    """The generated layers as a JalNet registry GeoPackage (rows as a migration would bring them, unlogged)."""
    import pyogrio

    from jalnet.registry import create_registry
    from jalnet.registry.schema import LAYERS
    from jalnet.registry.store import _insert_rows
    from jalnet.registry.values import normalise_column, normalise_geometry

    tmp = out.with_name(out.name + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    reg = create_registry(tmp, CRS)
    counts = {}
    with reg, reg._transaction():
        for name in ("schemes", "tanks", "pipes"):
            lyr = LAYERS[name]
            frame = pyogrio.read_dataframe(raw, layer=name, read_geometry=lyr.geometry is not None)
            geoms = None
            if lyr.geometry:
                geoms = frame.geometry.values
                frame = frame.drop(columns=frame.geometry.name)
            frame = frame.reset_index(drop=True)
            values = {n: normalise_column(lyr, n, frame[n], frame) for n in lyr.field_names if n in frame.columns}
            if geoms is not None:
                geoms = normalise_geometry(lyr, geoms, frame)
            _insert_rows(reg._b, reg.epsg, lyr, list(range(1, len(frame) + 1)), values, geoms)
            reg._b.after_write([lyr])
            counts[name] = len(frame)
    os.replace(tmp, out)
    return counts


# -----------------------------------------------------------------------------------------
# Parts (each run in a child process)
# -----------------------------------------------------------------------------------------
def part_copy(registry: Path, dsn: str) -> dict:
    from jalnet.registry import copy_registry

    t0 = time.perf_counter()
    counts = copy_registry(registry, f"{dsn}?schema=bench_state", overwrite=True)
    seconds = time.perf_counter() - t0
    return {"s": seconds, "rows": sum(counts.values()), "counts": counts, "peak_mib": peak_mib()}


def part_load(raw: Path, dsn: str) -> dict:
    """``registry load`` of the generated layers (one logged, undoable batch) into a new PostGIS registry."""
    from jalnet.registry import create_registry, load_layers

    with create_registry(f"{dsn}?schema=bench_load", CRS, overwrite=True) as reg:
        t0 = time.perf_counter()
        counts = load_layers(reg, raw, layers=["pipes", "tanks", "schemes"])
        seconds = time.perf_counter() - t0
    rows = sum(v for k, v in counts.items() if k != "batch_id")
    return {"s": seconds, "rows": rows, "peak_mib": peak_mib()}


def part_validate(target: str) -> dict:
    from jalnet.topology import validate

    t0 = time.perf_counter()
    result = validate(target)
    seconds = time.perf_counter() - t0
    frame = result.findings
    digest = sorted(zip(frame["rule"].astype(str), frame["fingerprint"].astype(str)))
    import hashlib

    return {"s": seconds, "findings": len(frame), "digest": hashlib.sha256(json.dumps(digest).encode()).hexdigest(),
            "peak_mib": peak_mib()}


def part_snap(target: str, raw: Path, walks: int = 20) -> dict:
    """Stage *walks* contractor lines of one scheme and snap them; rows of pipes the snap read."""
    import pyogrio

    from jalnet.registry import open_registry
    from jalnet.registry.reads import rows_read
    from jalnet.topology import snap

    cands = pyogrio.read_dataframe(raw, layer="candidates")
    scheme = cands["scheme_id"].iloc[len(cands) // 2]
    mine = cands[cands["scheme_id"] == scheme].head(walks).copy()
    batch = f"BENCH-{int(time.time())}"
    mine["import_batch"] = batch
    mine["candidate_id"] = [f"{batch}-{k:03d}" for k in range(len(mine))]
    mine["state"] = "staged"
    with open_registry(target) as reg:
        with reg.batch("bench", "stage walks") as b:
            b.insert("staged_pipes", mine.drop(columns=[c for c in ("kind",) if c in mine.columns]))
        total = reg.count("pipes")
        t0 = time.perf_counter()
        result = snap(reg, batch=batch, tolerance=5.0)
        seconds = time.perf_counter() - t0
        read = rows_read(reg)["pipes"]
    return {"s": seconds, "walks": len(mine), "pipes_read": int(read), "pipes": int(total),
            "added": int((result.candidates["state"] == "added").sum()), "peak_mib": peak_mib()}


def run_part(args: list[str], env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"part {args} failed:\n{proc.stderr[-3000:]}")


def ogr2ogr_copy(registry: Path, dsn: str) -> dict:
    """GDAL's route: every layer of the GeoPackage into a schema of its own (PG_USE_COPY is GDAL's default)."""
    import psycopg2

    url = dsn.split("?")[0]
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_ogr CASCADE; CREATE SCHEMA bench_ogr")
    conn.close()
    pg = _ogr_connection(url)
    t0 = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL", pg, str(registry), "-lco", "SCHEMA=bench_ogr",
                    "-lco", "OVERWRITE=YES", "-lco", "FID=fid", "-gt", "65536", "--config", "PG_USE_COPY", "YES"],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='bench_ogr'")
        rows = 0
        for (name,) in cur.fetchall():
            cur.execute(f'SELECT count(*) FROM bench_ogr."{name}"')
            rows += cur.fetchone()[0]
    conn.close()
    return {"s": seconds, "rows": rows}


def _ogr_connection(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    out = "PG:"
    dbname = parts.path.lstrip("/") or os.environ.get("PGDATABASE", "postgres")
    out += f"dbname={dbname}"
    if parts.hostname:
        out += f" host={parts.hostname}"
    if parts.port:
        out += f" port={parts.port}"
    if parts.username:
        out += f" user={parts.username}"
    return out


# -----------------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", default="/tmp/jalnet_bench_state")
    p.add_argument("--scale", type=float, default=1.0, help="share of the full ~1.05 million pipes")
    p.add_argument("--dsn", help="postgresql:// URL of a database with PostGIS (default: a throw-away cluster)")
    p.add_argument("--skip", default="", help="comma-separated parts to leave out: copy,load,ogr2ogr,validate,snap,editors")
    p.add_argument("--part", help=argparse.SUPPRESS)
    p.add_argument("--target", help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.workdir)
    registry = work / "registry.gpkg"
    if args.part:
        if args.part == "copy":
            result = part_copy(registry, args.dsn)
        elif args.part == "load":
            result = part_load(work / "raw.gpkg", args.dsn)
        elif args.part == "snap":
            result = part_snap(args.target, work / "raw.gpkg")
        else:
            result = part_validate(args.target)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if not args.dsn and "PGHOST" not in os.environ and shutil.which("pg_virtualenv"):
        env = dict(os.environ)
        env.pop("PGPORT", None)
        return subprocess.run(["pg_virtualenv", "-t", "--", sys.executable, __file__, *sys.argv[1:],
                               "--dsn", "postgresql:///bench_state"], env=env).returncode
    dsn = args.dsn or "postgresql:///bench_state"
    _ensure_database(dsn)
    work.mkdir(parents=True, exist_ok=True)
    spec_path = work / "spec.json"
    if not spec_path.exists() or json.loads(spec_path.read_text()).get("scale") != args.scale \
            or not registry.exists():
        print(f"generating the district (scale {args.scale}) ...", flush=True)
        t0 = time.perf_counter()
        spec = make_data(work / "raw.gpkg", args.scale)
        spec["registry"] = make_registry(work / "raw.gpkg", registry)
        spec_path.write_text(json.dumps(spec))
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    spec = json.loads(spec_path.read_text())
    skip = set(filter(None, args.skip.split(",")))
    print(f"{spec['pipes']:,} pipes in {spec['schemes']:,} schemes; registry GeoPackage "
          f"{registry.stat().st_size / 2**20:.0f} MiB; PostgreSQL {dsn}", flush=True)
    out: dict = {}
    pg_target = f"{dsn}?schema=bench_state"
    if "copy" not in skip:
        print("JalNet registry copy GeoPackage -> PostGIS ...", flush=True)
        out["copy"] = run_part(["--part", "copy", "--workdir", str(work), "--dsn", dsn])
        c = out["copy"]
        print(f"  {c['rows']:,} rows in {c['s']:.1f} s = {c['rows'] / c['s']:,.0f} rows/s, peak {c['peak_mib']:,.0f} MiB",
              flush=True)
    if "load" not in skip:
        print("JalNet registry load (generated layers -> new PostGIS registry, one logged batch) ...", flush=True)
        out["load"] = run_part(["--part", "load", "--workdir", str(work), "--dsn", dsn])
        ld = out["load"]
        print(f"  {ld['rows']:,} features in {ld['s']:.1f} s = {ld['rows'] / ld['s']:,.0f} features/s (each also a "
              f"change-log row), peak {ld['peak_mib']:,.0f} MiB", flush=True)
    if "ogr2ogr" not in skip and shutil.which("ogr2ogr"):
        print("ogr2ogr -f PostgreSQL (same GeoPackage) ...", flush=True)
        out["ogr2ogr"] = ogr2ogr_copy(registry, dsn)
        o = out["ogr2ogr"]
        print(f"  {o['rows']:,} rows in {o['s']:.1f} s = {o['rows'] / o['s']:,.0f} rows/s", flush=True)
    if "validate" not in skip:
        for name, target in (("PostGIS", pg_target), ("GeoPackage", str(registry))):
            if name == "PostGIS" and "copy" in skip:
                continue
            print(f"JalNet network validate on {name} ...", flush=True)
            out[f"validate_{name}"] = run_part(["--part", "validate", "--target", target, "--workdir", str(work)])
            v = out[f"validate_{name}"]
            print(f"  {v['findings']:,} findings in {v['s']:.1f} s, peak {v['peak_mib']:,.0f} MiB", flush=True)
    if "snap" not in skip and "copy" not in skip:
        print("JalNet network snap of 20 walks into the PostGIS copy ...", flush=True)
        out["snap"] = run_part(["--part", "snap", "--target", pg_target, "--workdir", str(work)])
        n = out["snap"]
        print(f"  {n['walks']} walks, {n['added']} added, {n['s']:.1f} s, read {n['pipes_read']:,} of "
              f"{n['pipes']:,} pipes, peak {n['peak_mib']:,.0f} MiB", flush=True)
    editors_path = ROOT / "benchmarks" / "bench_editors.py"
    if "editors" not in skip and "copy" not in skip:
        if editors_path.exists():
            spec_mod = importlib.util.spec_from_file_location("bench_editors", editors_path)
            mod = importlib.util.module_from_spec(spec_mod)
            spec_mod.loader.exec_module(mod)
            print("20 editors (bench_editors.run) on the PostGIS copy ...", flush=True)
            out["editors"] = mod.run(pg_target, editors=20, workdir=work / "editors")
        else:
            print("editors: not available (benchmarks/bench_editors.py is not there)", flush=True)
    print()
    if "copy" in out:
        c = out["copy"]
        rate = c["rows"] / c["s"]
        print(f"copy GeoPackage -> PostGIS: JalNet {rate:,.0f} rows/s (target >= 50,000: "
              f"{'met' if rate >= 50_000 else 'MISSED'}), peak {c['peak_mib']:,.0f} MiB")
        if "ogr2ogr" in out:
            o = out["ogr2ogr"]
            orate = o["rows"] / o["s"]
            print(f"copy: ogr2ogr {orate:,.0f} rows/s; JalNet / ogr2ogr = {rate / orate:.2f}x (JalNet also keeps "
                  "the registry's constraints, indexes, fids and change log)")
    if "load" in out:
        ld = out["load"]
        rate = ld["rows"] / ld["s"]
        print(f"load into PostGIS: {rate:,.0f} features/s = {2 * rate:,.0f} rows/s with the change log "
              f"(target >= 50,000 rows/s: {'met' if 2 * rate >= 50_000 else 'MISSED'}), peak {ld['peak_mib']:,.0f} MiB")
    if "snap" in out:
        n = out["snap"]
        print(f"snap of {n['walks']} walks: {n['s']:.1f} s, read {n['pipes_read']:,} of {n['pipes']:,} pipes")
    for name in ("PostGIS", "GeoPackage"):
        v = out.get(f"validate_{name}")
        if v:
            print(f"validate on {name}: {v['s']:.1f} s, peak {v['peak_mib']:,.0f} MiB (target <= 2048: "
                  f"{'met' if v['peak_mib'] <= 2048 else 'MISSED'}), {v['findings']:,} findings")
    if "validate_PostGIS" in out and "validate_GeoPackage" in out:
        same = out["validate_PostGIS"]["digest"] == out["validate_GeoPackage"]["digest"]
        print(f"findings PostGIS == GeoPackage: {same}")
    if "editors" in out:
        print(f"editors: {json.dumps(out['editors'], default=str)}")
    print(f"machine: {os.cpu_count()} cores (shared with other work while this ran), Python {sys.version.split()[0]}")
    return 0


def _ensure_database(dsn: str) -> None:
    """Create the database named in *dsn* with PostGIS when it is not there (a throw-away cluster starts empty)."""
    from urllib.parse import urlsplit

    import psycopg2

    name = urlsplit(dsn.split("?")[0]).path.lstrip("/")
    try:
        psycopg2.connect(dsn.split("?")[0]).close()
        return
    except psycopg2.Error:
        pass
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    conn = psycopg2.connect(dbname=name)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.close()


if __name__ == "__main__":
    sys.exit(main())

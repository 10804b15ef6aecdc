"""Benchmark: many editors importing and snapping at once into one PostGIS registry.

Each editor is a chain of real ``jalnet`` processes: ``tracks import`` of its own walk file
(branches off a scheme of the registry that is its alone), then ``network snap`` of that
import batch. All editors start together. Printed: throughput (batches/s, features written
per second), p50/p95 latency per command, commands that ended in a conflict (exit 2, one
line), and the largest peak RSS of the editor processes.

    python benchmarks/bench_editors.py "postgresql:///db?schema=state" --editors 20
    python benchmarks/bench_editors.py "postgresql:///db?schema=try" --build 50000   # make a registry first

``run()`` is the entry point other benchmarks call on their own registry (say ~1M pipes);
``--build N`` first replaces the target with N pipes in schemes of 100, written in one batch.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))


def _origins(dsn: str, editors: int) -> list[tuple[str, tuple[float, float]]]:
    """(scheme, first point of its first pipe) for *editors* schemes of the registry, read by scheme."""
    from jalnet.registry import open_registry

    out = []
    with open_registry(dsn, readonly=True) as reg:
        schemes = reg.read("schemes")["scheme_id"].dropna().tolist()
        for sid in schemes:
            pipes = reg.read("pipes", where={"scheme_id": sid})
            if len(pipes) >= 4:
                first = pipes.geometry.iloc[int(np.argmin(pipes.index))]
                out.append((str(sid), tuple(first.coords[0])))
            if len(out) == editors:
                break
    if len(out) < editors:
        raise SystemExit(f"bench_editors: the registry has {len(out)} schemes of 4 or more pipes; "
                         f"{editors} editors need one each (use --build)")
    return out


class _Sampler(threading.Thread):
    """What the editors' database sessions are doing, 4 times a second (pg_stat_activity): waiting
    for a lock another editor holds, working in the server, or waiting for their own process."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        from jalnet.registry.postgis import split_target

        self.url = split_target(dsn)[0]
        self.counts: dict[str, int] = {"lock wait": 0, "server working": 0, "in transaction, client busy": 0,
                                       "between transactions": 0}
        self.most_waiting = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url, application_name="bench_editors")
        conn.autocommit = True
        with conn.cursor() as cur:
            while not self.stop.wait(0.25):
                cur.execute("SELECT wait_event_type, state FROM pg_stat_activity WHERE application_name = 'jalnet' "
                            "AND datname = current_database()")
                waiting = 0
                for wait, state in cur.fetchall():
                    if wait == "Lock":
                        key, waiting = "lock wait", waiting + 1
                    elif state == "active":
                        key = "server working"
                    elif state and state.startswith("idle in transaction"):
                        key = "in transaction, client busy"
                    else:
                        key = "between transactions"
                    self.counts[key] += 1
                self.most_waiting = max(self.most_waiting, waiting)
        conn.close()

    def shares(self) -> dict[str, float]:
        total = max(1, sum(self.counts.values()))
        return {k: round(v / total, 3) for k, v in self.counts.items()}


def build(dsn: str, pipes: int, workdir: Path) -> dict[str, Any]:
    """Replace *dsn* with a registry of *pipes* pipes in schemes of 100 (one load batch)."""
    from editors_synth import make_base

    start = time.perf_counter()
    make_base(dsn, max(1, pipes // 100), mains=min(100, pipes))
    return {"pipes": pipes, "build_s": round(time.perf_counter() - start, 1)}


def run(dsn: str, editors: int = 20, workdir: Path | None = None, branches: int = 4) -> dict[str, Any]:
    """*editors* editors at once on the PostGIS registry *dsn*: each imports its walks and snaps them.

    Returns figures: wall time, batches and features written per second, p50/p95 latency per
    command (s), conflicts, peak RSS of the editor processes (MB), and each command's outcome."""
    from editors_synth import Command, batch_of, import_cmd, snap_cmd, walk_file

    from jalnet.registry import open_registry

    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench_editors-"))
    workdir.mkdir(parents=True, exist_ok=True)
    schemes = _origins(dsn, editors + 1)  # the last one for an editor working alone, first
    files = [walk_file(k, workdir, branches=branches, origin=origin) for k, (_, origin) in enumerate(schemes)]
    commands: list[Command] = []
    lock = threading.Lock()

    def editor(k: int, into: list[Command]) -> None:
        imp = import_cmd(k, dsn, files[k]).run(timeout=3600)
        done = [imp]
        batch = batch_of(imp)
        if batch:
            done.append(snap_cmd(k, dsn, batch).run(timeout=3600))
        with lock:
            into.extend(done)

    alone: list[Command] = []
    editor(editors, alone)
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    threads = [threading.Thread(target=editor, args=(k, commands)) for k in range(editors)]
    sampler = _Sampler(dsn)
    sampler.start()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    written = [b for b in (batch_of(c) for c in commands) if b]
    with open_registry(dsn, readonly=True) as reg:
        features = sum(len(reg.changes(b)) for b in written)
    latency = {}
    for what in ("import", "snap"):
        secs = np.array([c.seconds for c in commands if c.what == what and c.code == 0])
        solo = [c.seconds for c in alone if c.what == what and c.code == 0]
        latency[what] = {"n": int(len(secs)), "p50_s": round(float(np.percentile(secs, 50)), 2) if len(secs) else None,
                         "p95_s": round(float(np.percentile(secs, 95)), 2) if len(secs) else None,
                         "alone_s": round(solo[0], 2) if solo else None}
    return {
        "editors": editors, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "batches": len(written),
        "features": int(features),
        "batches_per_s": round(len(written) / wall, 3), "features_per_s": round(features / wall, 1),
        "latency": latency,
        "sessions": sampler.shares(), "most_waiting_on_locks": sampler.most_waiting,
        "conflicts": sum(c.conflict for c in commands),
        "failed": [f"{c.what} of editor {c.editor}: exit {c.code}: {c.err.strip()[-300:]}"
                   for c in commands if c.code != 0],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn", help="postgresql:// URL of the registry (with ?schema=...)")
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--branches", type=int, default=4, help="walked branches per editor")
    parser.add_argument("--build", type=int, metavar="PIPES", help="first replace the registry with this many pipes")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_editors-"))
    figures: dict[str, Any] = {}
    if args.build:
        figures["built"] = build(args.dsn, args.build, workdir)
    figures.update(run(args.dsn, args.editors, workdir, args.branches))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    if "built" in figures:
        print(f"registry: {figures['built']['pipes']} pipes built in {figures['built']['build_s']} s")
    print(f"{figures['editors']} editors, import + snap each, all at once: {figures['wall_s']} s wall")
    print(f"throughput: {figures['batches_per_s']} batches/s, {figures['features_per_s']} features/s "
          f"({figures['batches']} batches, {figures['features']} feature changes)")
    for what, lat in figures["latency"].items():
        ratio = f" ({lat['p95_s'] / lat['alone_s']:.1f} x)" if lat["alone_s"] and lat["p95_s"] else ""
        print(f"  {what:6s} n={lat['n']:3d}  p50 {lat['p50_s']} s  p95 {lat['p95_s']} s{ratio}; "
              f"one editor alone: {lat['alone_s']} s")
    print(f"CPU of the editor processes: {figures['cpu_s']} s in {figures['wall_s']} s wall "
          f"({figures['cpu_s'] / max(figures['wall_s'], 1e-9):.2f} cores busy)")
    print("editor database sessions (share of samples): " + ", ".join(
        f"{k} {100 * v:.1f} %" for k, v in figures["sessions"].items())
          + f"; at most {figures['most_waiting_on_locks']} waiting on a lock at once")
    print(f"conflicts (exit 2, one line): {figures['conflicts']}; failed: {len(figures['failed'])}; "
          f"peak RSS of one editor process: {figures['peak_rss_mb']} MB")
    for line in figures["failed"]:
        print(f"  {line}")
    return 0 if not figures["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())

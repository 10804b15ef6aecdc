"""Editors working on one registry at once: their schemes, their walk files, their commands.

Each editor has a scheme of its own (S01, S02...) laid out side by side near Nalbari: a main
of a few pipes numbered in one registry-wide series (P-0001..., J-0001...), so new keys of all
editors come from the same families. Each editor's GPX holds two walked branches: one from a
junction of its main, one teeing into the middle of a main pipe (the snap splits that pipe).
Commands run as separate ``jalnet`` processes (and a small Python editor for attribute edits,
which the CLI has no command for), so the registry sees real concurrent connections.

:func:`replay` rebuilds the final registry from the base and the change log, batch by batch,
to check nothing was lost or written twice.

Used by tests/unit/test_concurrent_editors.py and benchmarks/bench_editors.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from tracks_synth import ORIGIN, gpx11, walk

from jalnet.registry import create_registry, open_registry
from jalnet.registry import schema as reg_schema

CRS = 32646
MAIN = 4  # pipes on each scheme's main
STEP = 300.0  # metres between the main's junctions
SPACING = 2000.0  # metres between schemes
JALNET = [sys.executable, "-m", "jalnet", "-q"]
EDITOR = Path(__file__).resolve().parent / "registry_editor.py"


def scheme_id(k: int) -> str:
    return f"S{k + 1:02d}"


ROW = 400.0  # metres between the rows of a long main (schemes of many pipes)
PER_ROW = 6  # pipes in a row


def _origin(k: int, height: float = 0.0) -> tuple[float, float]:
    """The first junction of scheme *k*: 50 schemes a band, bands one under the other."""
    return ORIGIN[0] + (k % 50) * SPACING, ORIGIN[1] - (k // 50) * (height + 1000.0)


def network(schemes: int, mains: int = MAIN) -> dict[str, pd.DataFrame]:
    """The registry before the editors: per scheme a main of *mains* pipes, in rows of six running east."""
    pipes, junctions, rows = [], [], []
    height = ROW * ((mains - 1) // PER_ROW)
    for k in range(schemes):
        x0, y0 = _origin(k, height)
        sid = scheme_id(k)
        rows.append({"scheme_id": sid, "name": f"Scheme {sid}", "division": "D", "district": "Nalbari"})
        for r in range(0, mains, PER_ROW):
            n = min(PER_ROW, mains - r)
            y = y0 - ROW * (r // PER_ROW)
            first = len(junctions) + 1
            for j in range(n + 1):
                junctions.append({"node_id": f"J-{first + j:04d}", "scheme_id": sid, "node_type": "junction",
                                  "geometry": Point(x0 + j * STEP, y)})
            for j in range(n):
                pipes.append({"pipe_id": f"P-{len(pipes) + 1:04d}", "scheme_id": sid, "material": "HDPE",
                              "diameter_mm": 110.0, "pipe_function": "distribution", "status": "in_service",
                              "from_node": f"J-{first + j:04d}", "to_node": f"J-{first + j + 1:04d}",
                              "geometry": LineString([(x0 + j * STEP, y), (x0 + (j + 1) * STEP, y)])})
    return {"schemes": pd.DataFrame(rows), "junctions": gpd.GeoDataFrame(junctions, geometry="geometry", crs=CRS),
            "pipes": gpd.GeoDataFrame(pipes, geometry="geometry", crs=CRS)}


def make_base(target: str, schemes: int, mains: int = MAIN) -> None:
    """Create *target* (GeoPackage or PostGIS) holding :func:`network`, in one batch."""
    layers = network(schemes, mains)
    with create_registry(target, f"EPSG:{CRS}", overwrite=True) as reg, reg.batch("test", "base network") as b:
        for name in ("schemes", "junctions", "pipes"):
            b.insert(name, layers[name])


def walk_file(k: int, folder: Path, branches: int = 2, origin: tuple[float, float] | None = None) -> Path:
    """Editor *k*'s GPX: a branch north from its main's second junction, one south from the middle of its
    fourth pipe (a tee), and more branches north along the main when asked. *origin*: the first
    junction of its main, when the scheme is not one :func:`network` laid out."""
    x0, y0 = origin or _origin(k)
    lines = [LineString([(x0 + STEP, y0 + 2), (x0 + STEP + 10, y0 + 120), (x0 + STEP - 5, y0 + 260)]),
             LineString([(x0 + (MAIN - 0.5) * STEP, y0 - 2), (x0 + (MAIN - 0.5) * STEP + 15, y0 - 220)])]
    for extra in range(branches - 2):
        x = x0 + (extra % MAIN) * STEP + STEP / 3 + 20 * (extra // MAIN)
        lines.append(LineString([(x, y0 + 3), (x + 20, y0 + 150 + 10 * extra)]))
    walks = [(f"W{k}-{i}", "HDPE 63 mm", [walk(seed=100 * k + i, sigma=1.5, line=line)])
             for i, line in enumerate(lines[:branches])]
    return gpx11(folder / f"editor{k:02d}.gpx", walks)


@dataclass
class Command:
    editor: int
    what: str
    argv: list[str]
    code: int = -1
    out: str = ""
    err: str = ""
    seconds: float = 0.0

    def run(self, cwd: Path | None = None, timeout: float = 300.0) -> Command:
        start = time.perf_counter()
        proc = subprocess.run(self.argv, capture_output=True, text=True, timeout=timeout, cwd=cwd)
        self.seconds = time.perf_counter() - start
        self.code, self.out, self.err = proc.returncode, proc.stdout, proc.stderr
        return self

    @property
    def conflict(self) -> bool:
        """Exit 2 with one line saying another editor got there first."""
        lines = [ln for ln in self.err.strip().splitlines() if ln.strip()]
        return self.code == 2 and len(lines) == 1 and ("re-run" in lines[0] or "retry" in lines[0]) \
            and "Traceback" not in self.err


def import_cmd(k: int, target: str, gpx: Path) -> Command:
    return Command(k, "import", JALNET + ["tracks", "import", str(gpx), "--registry", target, "--json"])


def snap_cmd(k: int, target: str, batch: str) -> Command:
    return Command(k, "snap", JALNET + ["network", "snap", "--registry", target, "--batch", batch, "--json"])


def edit_cmd(k: int, target: str, pipe_id: str, values: dict[str, Any], barrier: Path | None = None,
             party: int = 1) -> Command:
    argv = [sys.executable, str(EDITOR), target, "pipes", pipe_id, json.dumps(values)]
    if barrier is not None:
        argv += ["--barrier", str(barrier), "--party", str(party)]
    return Command(k, "edit", argv)


def undo_cmd(k: int, target: str, batch: str) -> Command:
    return Command(k, "undo", JALNET + ["registry", "undo", target, "--batch", batch])


def batch_of(cmd: Command) -> str | None:
    """The batch a successful command wrote (JSON output of import and snap, last line of the editor)."""
    if cmd.code != 0:
        return None
    text = cmd.out.strip()
    if cmd.what == "edit":
        return text.splitlines()[-1].split()[-1] if text else None
    if cmd.what == "undo":
        return text.split("as batch ")[-1].rstrip(")") if "as batch" in text else None
    return json.loads(text[text.index("{"):]).get("batch_id")


@dataclass
class Editor:
    """One editor's session: import, snap of that import, an attribute edit, maybe an undo of it."""

    k: int
    target: str
    gpx: Path
    undo: bool = False
    commands: list[Command] = field(default_factory=list)

    def run(self) -> None:
        imp = import_cmd(self.k, self.target, self.gpx).run()
        self.commands.append(imp)
        batch = batch_of(imp)
        if batch is None:
            return
        self.commands.append(snap_cmd(self.k, self.target, batch).run())
        first_pipe = f"P-{self.k * MAIN + 1:04d}"
        edit = edit_cmd(self.k, self.target, first_pipe, {"diameter_mm": 90.0 + self.k}).run()
        self.commands.append(edit)
        if self.undo and batch_of(edit):
            self.commands.append(undo_cmd(self.k, self.target, str(batch_of(edit))).run())


# -----------------------------------------------------------------------------------------
def batch_order(target: str) -> list[str]:
    """Batches in the order they committed: by their last change id, which is taken after every row
    lock of the batch (two batches writing one row: the later one's ids come after the first's commit)."""
    with open_registry(target, readonly=True) as reg:
        changes = reg.read("jalnet_changes")
    last = changes.groupby("batch_id")["change_id"].max().sort_values()
    return [str(b) for b in last.index]


def replay(base_gpkg: Path, target: str, out: Path) -> Path:
    """A copy of the base registry with every batch of *target*'s change log applied in commit order."""
    shutil.copyfile(base_gpkg, out)
    with open_registry(target, readonly=True) as src:
        changes = src.read("jalnet_changes")
        base_batches = set(src.read("jalnet_batches")["batch_id"])
    with open_registry(out) as reg:
        done = set(reg.read("jalnet_batches")["batch_id"])
        for batch in batch_order(target):
            if batch in done:
                continue
            assert batch in base_batches
            rows = changes[changes["batch_id"] == batch].sort_values("seq")
            with reg.batch("replay", batch) as b:
                for ch in rows.itertuples(index=False):
                    lyr = reg_schema.layer(ch.layer)
                    if ch.op == "delete":
                        b.delete(ch.layer, [int(ch.feature_fid)])
                        continue
                    attrs = json.loads(ch.new_attrs)
                    geom = shapely.from_wkb(bytes.fromhex(ch.new_geom)) if lyr.geometry and ch.new_geom else None
                    if ch.op == "insert":
                        row = {"fid": int(ch.feature_fid), **attrs}
                        frame = gpd.GeoDataFrame([row], geometry=[geom], crs=reg.crs) if lyr.geometry \
                            else pd.DataFrame([row])
                        b.insert(ch.layer, frame, keep_fid=True)
                    else:
                        b.update(ch.layer, int(ch.feature_fid), attrs, geometry=geom)
    return out

"""Cancel during a long snap: the engine job is gone and the registry is as it was.

QGIS's Cancel reaches the engine as :func:`jalnet.engineclient.client.run_job`'s
``is_canceled``; here it turns true once the snap has reported progress, i.e. while the
engine is snapping 700-odd contractor pipes. Both ways of running a job are checked: the
warm worker's forked child and a process of its own.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from jalnet.engineclient import client
from jalnet.registry import create_registry, load_layers, open_registry
from jalnet.samples import sample_path
from jalnet.tracks import FieldMapping, ImportOptions, import_tracks

ENGINE = Path(sys.executable).with_name("jalnet")
pytestmark = pytest.mark.skipif(not ENGINE.exists() or not Path("/proc").is_dir(),
                                reason="needs this checkout's jalnet and /proc")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry with the sample scheme and a contractor file of ~700 short pipes beside it."""
    folder = tmp_path_factory.mktemp("cancel")
    reg_path = folder / "registry.gpkg"
    with create_registry(reg_path, crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
        pipes = reg.read("pipes")
    pieces = []
    for geom in pipes.geometry:
        n = max(1, int(geom.length // 15))
        for i in range(n):
            piece = shapely.ops.substring(geom, i * geom.length / n, (i + 1) * geom.length / n)
            pieces.append(shapely.affinity.translate(piece, 0.6, 0.4))
    contractor = folder / "contractor.geojson"
    gpd.GeoDataFrame({"pipe_id": [f"C{i}" for i in range(len(pieces))], "diameter": "110 mm"},
                     geometry=pieces, crs=pipes.crs).to_crs(4326).to_file(contractor, driver="GeoJSON")
    report = import_tracks(str(reg_path), [contractor], FieldMapping.from_any(None), ImportOptions.from_any({}))
    assert report.pipes > 500
    return reg_path, report.batch_id


def snapshot(reg_path: Path) -> dict[str, object]:
    with open_registry(reg_path, readonly=True) as reg:
        staged = reg.read("staged_pipes")
        return {"pipes": reg.count("pipes"), "junctions": reg.count("junctions"),
                "batches": reg.count("jalnet_batches"), "changes": reg.count("jalnet_changes"),
                "states": hashlib.sha1(staged["state"].astype(str).str.cat().encode()).hexdigest()}


def engine_processes() -> set[int]:
    """Processes running this checkout's engine (``jalnet engine run`` or a worker's job child)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(ENGINE) in cmdline and " engine " in cmdline:
            found.add(int(entry.name))
    return found


@pytest.mark.parametrize("warm", [True, False], ids=["warm-worker", "own-process"])
def test_cancel_during_snap_leaves_no_process_and_no_change(staged, warm: bool, monkeypatch) -> None:
    reg_path, batch = staged
    monkeypatch.setenv("JALNET_ENGINE", str(ENGINE))
    if warm:
        client.run_job("sleep", {"seconds": 0}, warm=True)  # the worker is up, as after a first call
    worker = {client._worker.proc.pid} if warm and client._worker else set()
    before = snapshot(reg_path)
    before_procs = engine_processes() - worker
    progress: list[float] = []
    started = time.monotonic()
    with pytest.raises(client.EngineCanceled):
        client.run_job("snapnetwork", {"registry": str(reg_path), "batch": batch, "tolerance": 5.0, "dry_run": False,
                                       "allow_move_existing": False, "output": None},
                       progress=progress.append, is_canceled=lambda: bool(progress), warm=warm)
    assert progress and max(progress) < 100  # canceled mid-snap, not after it
    assert time.monotonic() - started < client.CANCEL_GRACE_S  # stopped by SIGTERM, not by the kill fallback
    assert engine_processes() - worker - before_procs == set()  # the job's process is gone
    if warm:
        assert client._worker.alive()  # only the job died: the next call is still warm
    assert snapshot(reg_path) == before
    # and the registry still takes the same snap afterwards
    done = client.run_job("snapnetwork", {"registry": str(reg_path), "batch": batch, "tolerance": 5.0,
                                          "dry_run": True, "allow_move_existing": False, "output": None}, warm=warm)
    assert done["outputs"]["CONFLATED"] + done["outputs"]["ADDED"] > 500


def test_worker_ends_with_its_client() -> None:
    """Closing the client's side (QGIS quitting, however it quits) ends the worker: no orphan."""
    os.environ.setdefault("JALNET_ENGINE", str(ENGINE))
    worker = client.Worker(client.engine_command())
    pid = worker.proc.pid
    assert Path(f"/proc/{pid}").exists()
    worker.stop()
    assert not Path(f"/proc/{pid}").exists() and not Path(worker.socket_path).exists()

"""Ids from the database, business keys from its counter, no lost update, bounded retries, indexes, upgrade to v4.

Each on GeoPackage and PostGIS (two connections stand for two editors).
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time

import geopandas as gpd
import pytest
import shapely
from editors_synth import make_base, walk_file

from jalnet.errors import RegistryConflict, RegistryLocked
from jalnet.registry import create_registry, open_registry
from jalnet.registry.retry import StaleRead, retrying
from jalnet.registry.schema import LAYERS, SCHEMA_VERSION, indexes
from jalnet.topology import snap
from jalnet.tracks import import_tracks


@pytest.fixture
def base(registry_target):
    make_base(registry_target, 2)
    return registry_target


def _pipe(x: float, key: str | None = None) -> gpd.GeoDataFrame:
    row = {"pipe_id": key, "scheme_id": "S01"} if key else {"scheme_id": "S01"}
    return gpd.GeoDataFrame([row], geometry=[shapely.LineString([(500000 + x, 2925000), (500010 + x, 2925000)])],
                            crs=32646)


def test_two_open_batches_on_postgis_get_different_ids(pg_target):
    make_base(pg_target, 1)
    with open_registry(pg_target) as a, open_registry(pg_target) as b:
        with a.batch("test", "a") as ba:
            fa = ba.insert("pipes", _pipe(0, "P-A1"))
            with b.batch("test", "b") as bb:  # b writes while a's transaction is still open
                fb = bb.insert("pipes", _pipe(20, "P-B1"))
        assert set(fa).isdisjoint(fb) and ba.id != bb.id
        changes = a.read("jalnet_changes")
        assert changes["change_id"].is_unique and len(changes) == 1 + 5 + 4 + 2  # base: 1 scheme, 5 junctions, 4 pipes


def test_geopackage_writers_take_turns(tmp_path, monkeypatch):
    path = str(tmp_path / "r.gpkg")
    make_base(path, 1)
    monkeypatch.setenv("JALNET_LOCK_TIMEOUT", "0.2")
    monkeypatch.setenv("JALNET_WRITE_ATTEMPTS", "1")
    with open_registry(path) as a, open_registry(path) as b:
        with a.batch("test", "a") as ba:
            ba.insert("pipes", _pipe(0, "P-A1"))
            with pytest.raises(RegistryLocked, match="locked by another writer") as err:
                with b.batch("test", "b") as bb:
                    bb.insert("pipes", _pipe(20, "P-B1"))
            assert err.value.transient and "\n" not in str(err.value)
        with b.batch("test", "b") as bb:  # a is done: b's turn
            bb.insert("pipes", _pipe(20, "P-B1"))
        assert b.read("pipes")["pipe_id"].is_unique and b.count("pipes") == 6


def test_keys_come_from_the_counter(base):
    with open_registry(base) as a, open_registry(base) as b:
        assert a.allocate_keys("pipes", "P-", 4, 3) == ["P-0009", "P-0010", "P-0011"]  # base has P-0001..P-0008
        assert b.allocate_keys("pipes", "P-", 4, 2) == ["P-0012", "P-0013"]  # another editor: the next ones
        with a.batch("test", "typed by hand") as bt:
            bt.insert("pipes", _pipe(0, "P-0014"))
        assert b.allocate_keys("pipes", "P-", 4, 1) == ["P-0015"]  # skips a key written past the counter
        assert a.allocate_keys("junctions", "J-", 4, 1) == ["J-0011"]  # its own family
    with open_registry(base, readonly=True) as ro:
        assert ro.allocate_keys("pipes", "P-", 4, 1) is None  # a dry run numbers from what it read


def test_concurrent_allocations_never_overlap(base):
    got: list[list[str]] = []

    def take() -> None:
        with open_registry(base) as reg:
            for _ in range(5):
                got.append(retrying(reg.allocate_keys)("junctions", "J-", 4, 7))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [k for chunk in got for k in chunk]
    assert len(keys) == 4 * 5 * 7 and len(set(keys)) == len(keys)


def test_edit_from_a_stale_read_writes_nothing_and_says_who(base):
    with open_registry(base) as a, open_registry(base) as b:
        seen = a.read("pipes", where={"pipe_id": "P-0003"})
        fid = int(seen.index[0])
        with b.batch("attribute edit", "someone else") as bb:
            bb.update("pipes", fid, {"material": "DI"})
        with pytest.raises(StaleRead) as err, a.batch("attribute edit", "mine") as ba:
            ba.expect("pipes", seen)
            ba.update("pipes", fid, {"diameter_mm": 63.0})
        text = str(err.value)
        assert text.startswith(f"pipes P-0003 (fid {fid}) changed after this command read it: changed by batch "
                               f"{bb.id} (attribute edit, user ")
        assert "nothing was written; re-run" in text and not err.value.transient
        now = a.read("pipes", where={"pipe_id": "P-0003"})
        assert now["material"].iloc[0] == "DI" and now["diameter_mm"].iloc[0] == 110.0
        assert "mine" not in set(a.batches()["description"])
        # deleted meanwhile: the same, and a read that is still current goes through
        seen = a.read("pipes", where={"pipe_id": ["P-0004", "P-0005"]})
        with b.batch("test", "delete") as bb:
            bb.delete("pipes", [int(seen.index[0])])
        with pytest.raises(StaleRead, match=r"pipes P-0004 \(fid \d+\) was deleted after"), \
                a.batch("test", "x") as ba:
            ba.expect("pipes", seen)
            ba.delete("pipes", list(seen.index))
        with a.batch("test", "x") as ba:
            ba.expect("pipes", seen)
            ba.update("pipes", int(seen.index[1]), {"diameter_mm": 90.0})


def test_snap_plans_again_when_a_pipe_changed_under_it(registry_target, tmp_path, monkeypatch):
    make_base(registry_target, 1)
    batch = import_tracks(registry_target, [walk_file(0, tmp_path)]).batch_id
    snap_module = sys.modules["jalnet.topology.snap"]

    calls = []
    planner = snap_module.plan_snap

    def plan_then_edit(*args, **kwargs):
        plan = planner(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # another editor changes the pipe the snap is about to split
            with open_registry(registry_target) as other, other.batch("attribute edit", "meanwhile") as b:
                fid = int(other.read("pipes", where={"pipe_id": "P-0004"}).index[0])
                b.update("pipes", fid, {"material": "DI"})
        return plan

    monkeypatch.setattr(snap_module, "plan_snap", plan_then_edit)
    result = snap(registry_target, batch=batch)
    assert len(calls) == 2 and result.counts["split_pipes"] == 1
    with open_registry(registry_target, readonly=True) as reg:
        pipes = reg.read("pipes")
        split = pipes[pipes["pipe_id"].isin(result.splits["pipe_id"].tolist() + result.pipes["pipe_id"].tolist())]
        assert "P-0004" in set(result.splits["pipe_id"])
        assert pipes.loc[pipes["pipe_id"] == "P-0004", "material"].iloc[0] == "DI"  # the edit survived the snap
        assert len(split) >= 2 and pipes["pipe_id"].is_unique


def test_snap_gives_up_after_its_attempts_in_one_line(registry_target, tmp_path, monkeypatch):
    make_base(registry_target, 1)
    batch = import_tracks(registry_target, [walk_file(0, tmp_path)]).batch_id
    snap_module = sys.modules["jalnet.topology.snap"]

    planner = snap_module.plan_snap

    def plan_then_edit(*args, **kwargs):
        plan = planner(*args, **kwargs)
        with open_registry(registry_target) as other, other.batch("attribute edit", "meanwhile") as b:
            row = other.read("pipes", where={"pipe_id": "P-0004"})
            b.update("pipes", int(row.index[0]), {"diameter_mm": float(row["diameter_mm"].iloc[0]) + 1})
        return plan

    monkeypatch.setattr(snap_module, "plan_snap", plan_then_edit)
    monkeypatch.setenv("JALNET_WRITE_ATTEMPTS", "2")
    with pytest.raises(StaleRead, match=r"^pipes P-0004 \(fid \d+\) changed after this command read it: .*re-run"):
        snap(registry_target, batch=batch)
    with open_registry(registry_target, readonly=True) as reg:
        assert (reg.read("staged_pipes")["state"] == "staged").all()  # the snap wrote nothing
        assert reg.read("pipes", where={"pipe_id": "P-0004"})["diameter_mm"].iloc[0] == 112.0


def test_retries_are_bounded(monkeypatch):
    monkeypatch.setenv("JALNET_WRITE_ATTEMPTS", "3")
    tries = []

    def busy():
        tries.append(time.perf_counter())
        raise RegistryConflict("busy", transient=True)

    with pytest.raises(RegistryConflict):
        retrying(busy)()
    assert len(tries) == 3 and tries[-1] > tries[0]  # waited between tries
    tries.clear()

    def stale():
        tries.append(1)
        raise StaleRead("changed")

    with pytest.raises(StaleRead):
        retrying(stale)()  # an edit from a stale read is the user's to redo
    assert len(tries) == 1


def test_undo_twice_at_once_undoes_once(registry_target):
    make_base(registry_target, 1)
    with open_registry(registry_target) as reg, reg.batch("test", "edit") as b:
        b.update("pipes", 1, {"material": "DI"})
    outcomes: list[str] = []

    def undo() -> None:
        with open_registry(registry_target) as reg:
            try:
                outcomes.append(reg.undo(b.id))
            except RegistryConflict as err:  # the GeoPackage's writer lock, if the other one held it long
                outcomes.append(f"conflict {err}")
            except Exception as err:  # noqa: BLE001 - the message is what is checked
                outcomes.append(f"error {err}")

    threads = [threading.Thread(target=undo) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(not o.startswith(("error", "conflict")) for o in outcomes) == 1, outcomes
    assert any("already undone" in o for o in outcomes), outcomes
    with open_registry(registry_target, readonly=True) as reg:
        assert (reg.batches()["tool"] == "undo").sum() == 1
        assert reg.read("pipes").loc[1, "material"] == "HDPE"


def _indexes(reg) -> set[str]:
    if reg.kind == "gpkg":
        return {r[0] for r in reg._b.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    return {r[0] for r in reg._b.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                                         (reg._b.schema,)).fetchall()}


def test_indexes_on_scheme_batch_and_change_log(registry_target):
    with create_registry(registry_target, "EPSG:32646") as reg:
        have = _indexes(reg)
    for name in ("pipes_scheme_id_idx", "junctions_scheme_id_idx", "staged_pipes_import_batch_idx",
                 "staged_points_import_batch_idx", "jalnet_changes_batch_id_idx", "jalnet_changes_feature_idx"):
        assert name in have


def test_upgrade_from_version_3(registry_target):
    """A v3 registry (no key counter, no indexes) opened for writing becomes v4 with both."""
    make_base(registry_target, 1)
    with open_registry(registry_target) as reg:
        b = reg._b
        for lyr in LAYERS.values():
            for name, _ in indexes(lyr):
                b.execute(f'DROP INDEX IF EXISTS {b.table(name) if reg.kind == "postgis" else chr(34) + name + chr(34)}')
        b.execute(f"DROP TABLE {b.table('jalnet_keys')}")
        if reg.kind == "gpkg":
            for table in ("gpkg_contents", "gpkg_data_columns"):
                b.execute(f"DELETE FROM {table} WHERE table_name = 'jalnet_keys'")
        b.execute(f"UPDATE {b.table('jalnet_meta')} SET value = '3' WHERE key = 'schema_version'")
    with open_registry(registry_target, readonly=True) as ro:
        assert ro.schema_version == 3 and ro.allocate_keys("pipes", "P-", 4, 1) is None
        assert "pipes_scheme_id_idx" not in _indexes(ro)
    with open_registry(registry_target) as reg:
        assert reg.schema_version == SCHEMA_VERSION == 4 and reg.meta().get("upgraded_from_3")
        assert {"pipes_scheme_id_idx", "jalnet_changes_batch_id_idx", "staged_pipes_import_batch_idx"} <= \
            _indexes(reg)
        assert reg.allocate_keys("pipes", "P-", 4, 2) == ["P-0005", "P-0006"]
        with reg.batch("test", "after the upgrade") as bt:
            bt.insert("pipes", _pipe(0, "P-0005"))
    if not registry_target.startswith("postgresql"):
        conn = sqlite3.connect(registry_target)
        assert conn.execute("SELECT count(*) FROM gpkg_contents WHERE table_name='jalnet_keys'").fetchone()[0] == 1
        conn.close()


@pytest.mark.parametrize("code, transient", [("40001", True), ("40P01", True), ("55P03", True), ("23505", True),
                                             ("23514", False)])
def test_postgres_errors_another_writer_causes_are_retried(code, transient):
    from jalnet.registry.postgis import PostgisBackend

    class PgError(Exception):
        pgcode = code

    backend = PostgisBackend.__new__(PostgisBackend)
    backend.target = "postgresql://u:secret@host/db?schema=s"
    err = backend.translate_error(PgError("duplicate key value violates unique constraint \"pipes_pipe_id_key\"\nDETAIL"))
    assert isinstance(err, RegistryConflict) == transient and "secret" not in str(err) and "\n" not in str(err)
    if transient:
        assert err.transient and "re-run the command" in str(err)

"""What only a GeoPackage registry has: a file other programs open, locks, damaged files."""

from __future__ import annotations

import sqlite3
import subprocess

import geopandas as gpd
import pyogrio
import pytest
import shapely

from jalnet.errors import RegistryError, RegistryLocked
from jalnet.registry import content_digest, create_registry, open_registry


@pytest.fixture
def gpkg(tmp_path):
    path = tmp_path / "r.gpkg"
    reg = create_registry(path, "EPSG:32646")
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"], "material": ["DI", "HDPE"], "diameter_mm": [150, 90]},
        geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 50)])],
        crs=32646,
    )
    with reg.batch("test", "insert") as b:
        b.insert("pipes", pipes)
    reg.close()
    return path


def test_gdal_reads_layers_crs_and_domains(gpkg):
    info = pyogrio.read_info(str(gpkg), layer="pipes")
    assert info["features"] == 2
    assert "32646" in info["crs"]
    frame = pyogrio.read_dataframe(gpkg, layer="pipes")
    assert frame["material"].tolist() == ["DI", "HDPE"]
    out = subprocess.run(["ogrinfo", "-so", str(gpkg), "pipes"], capture_output=True, text=True, check=True).stdout
    assert "pipe_material" in out  # the coded-value domain GDAL exposes to QGIS


def test_spatial_index_follows_edits(gpkg):
    with open_registry(gpkg) as reg:
        with reg.batch("test", "move") as b:
            b.update("pipes", 1, geometry=shapely.LineString([(500, 500), (600, 700)]))
            b.delete("pipes", [2])
    conn = sqlite3.connect(gpkg)
    rows = conn.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_pipes_geom").fetchall()
    extent = conn.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='pipes'").fetchone()
    conn.close()
    assert len(rows) == 1
    assert rows[0][0] == 1 and rows[0][1:] == pytest.approx((500, 600, 500, 700), abs=1e-3)
    assert extent == pytest.approx((500, 500, 600, 700), abs=1e-3)


def test_not_a_geopackage(tmp_path):
    text = tmp_path / "notes.gpkg"
    text.write_text("pipes,diameter\n")
    with pytest.raises(RegistryError, match="not a GeoPackage"):
        open_registry(text)
    plain = tmp_path / "plain.gpkg"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(RegistryError, match="SQLite file but not a GeoPackage"):
        open_registry(plain)
    with pytest.raises(RegistryError, match="no registry at .*jalnet registry create"):
        open_registry(tmp_path / "missing.gpkg")


def test_plain_geopackage_is_not_a_registry(tmp_path):
    path = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326).to_file(path)
    with pytest.raises(RegistryError, match="not a JalNet registry"):
        open_registry(path)


def test_missing_layer_and_future_schema(gpkg):
    conn = sqlite3.connect(gpkg)
    conn.execute("UPDATE jalnet_meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    with pytest.raises(RegistryError, match="schema version 99, newer than this JalNet"):
        open_registry(gpkg)
    conn.execute("UPDATE jalnet_meta SET value='1' WHERE key='schema_version'")
    conn.execute("DROP TABLE valves")
    conn.commit()
    conn.close()
    with pytest.raises(RegistryError, match="missing layer 'valves'"):
        open_registry(gpkg)


def test_locked_registry_refuses_and_writes_nothing(gpkg, monkeypatch):
    monkeypatch.setenv("JALNET_LOCK_TIMEOUT", "0.2")
    before = content_digest(open_registry(gpkg, readonly=True))
    other = sqlite3.connect(gpkg, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer, mid-edit
    other.execute("DELETE FROM pipes WHERE fid = 2")
    try:
        with open_registry(gpkg) as reg:
            with pytest.raises(RegistryLocked, match=f"registry {gpkg} is locked by another writer"):
                with reg.batch("test", "blocked") as b:
                    b.delete("pipes", [1])
        other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("SELECT count(*) FROM pipes")
        other.execute("COMMIT")  # now holds the file exclusively: even opening is refused
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(RegistryLocked):
            open_registry(gpkg)
    finally:
        other.execute("ROLLBACK")
        other.close()
    after = open_registry(gpkg, readonly=True)
    assert after.count("pipes") == 1  # only the other writer's delete landed
    assert after.read("pipes").index.tolist() == [1]
    assert content_digest(after, include_log=True)["jalnet_batches"] == before["jalnet_batches"]


def test_failed_create_leaves_no_file(tmp_path):
    with pytest.raises(RegistryError):
        create_registry(tmp_path / "x.gpkg", "EPSG:4326")
    with pytest.raises(RegistryError, match="must end with .gpkg"):
        create_registry(tmp_path / "x.sqlite", "EPSG:32646")
    assert list(tmp_path.iterdir()) == []

"""Registry at scale: COPY into PostGIS, chunked loads and reads, index-backed filters, area reads for the snap."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jalnet.errors import InputError
from jalnet.registry import bulk, content_digest, copy_registry, create_registry, load_layers, loader, open_registry, reads
from jalnet.registry.reads import rows_read

CRS = 32646
ODD_TEXT = ["tab\there", "new\nline", "back\\slash \\N", "মেছাৰ্ছ ব্ৰহ্মপুত্ৰ", None, "cr\rend", "", "plain"]


def _grid_pipes(n: int, x0: float = 500000.0, y0: float = 2925000.0, prefix: str = "P-", scheme: str = "S1",
                start: int = 1) -> gpd.GeoDataFrame:
    """*n* pipes 10 m long on rows of 50, with awkward text, NULLs and numbers."""
    k = np.arange(n)
    xs = x0 + (k % 50) * 10.0
    ys = y0 + (k // 50) * 10.0
    geoms = shapely.linestrings(np.stack([np.column_stack([xs, ys]), np.column_stack([xs + 10, ys])], axis=1))
    return gpd.GeoDataFrame({
        "pipe_id": [f"{prefix}{i:05d}" for i in range(start, start + n)],
        "scheme_id": [scheme if i % 3 else "S2" for i in range(n)],
        "material": ["DI", "HDPE", None, "UPVC"] * (n // 4) + ["DI"] * (n % 4),
        "diameter_mm": [150.0, None, 110.0, 90.5] * (n // 4) + [75.0] * (n % 4),
        "laid_date": ["2024-03-01", None] * (n // 2) + [None] * (n % 2),
        "contractor": [ODD_TEXT[i % len(ODD_TEXT)] for i in range(n)],
    }, geometry=geoms, crs=CRS)


@pytest.fixture
def force_copy(monkeypatch):
    """COPY even for a handful of rows, in chunks of a few rows (so chunk edges are crossed)."""
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    monkeypatch.setattr(bulk, "COPY_CHUNK", 7)


def _source(tmp_path) -> str:
    path = tmp_path / "src.gpkg"
    with create_registry(path, f"EPSG:{CRS}") as reg:
        with reg.batch("test", "schemes") as b:
            b.insert("schemes", [{"scheme_id": "S1", "name": "One"}, {"scheme_id": "S2", "name": "Two\tTabs"}])
        with reg.batch("test", "pipes") as b:
            fids = b.insert("pipes", _grid_pipes(60))
            b.insert("junctions", gpd.GeoDataFrame(
                {"node_id": ["J-0001", "J-0002"], "scheme_id": ["S1", "S1"], "node_type": ["junction", "end_cap"]},
                geometry=[shapely.Point(500000, 2925000), shapely.Point(500010, 2925000)], crs=CRS))
        with reg.batch("test", "edit") as b:
            b.update("pipes", fids[3], {"material": "MS", "contractor": "edited\twith tab"})
            b.delete("pipes", [fids[5]])
    return str(path)


def test_copy_into_postgis_by_copy_is_identical_both_ways(tmp_path, pg_target, force_copy):
    src = _source(tmp_path)
    with open_registry(src) as reg:
        expected = content_digest(reg)
    counts = copy_registry(src, pg_target)
    assert counts["pipes"] == 59 and counts["jalnet_changes"] == 60 + 2 + 2 + 2
    copy_registry(pg_target, tmp_path / "back.gpkg")
    with open_registry(pg_target) as pg, open_registry(tmp_path / "back.gpkg") as back:
        assert content_digest(pg) == expected
        assert content_digest(back) == expected
        assert pg.read("pipes")["contractor"].tolist() == back.read("pipes")["contractor"].tolist()
        # the spatial index dropped for the copy is back, and the fid sequence is ahead of the copied fids
        assert pg._b.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexname = 'pipes_geom_idx'",
                            (pg._b.schema,)) == 1
        with pg.batch("test", "after copy") as b:
            new = b.insert("pipes", _grid_pipes(1, prefix="Q-"))
        assert new[0] > max(back.read("pipes").index)


def test_writes_by_copy_and_undo_match_the_insert_path(tmp_path, pg_target, monkeypatch):
    """A batch written by COPY (rows and change log) equals one written by INSERT, and undoes exactly."""
    frame = _grid_pipes(40)
    with create_registry(tmp_path / "ins.gpkg", f"EPSG:{CRS}") as ref, ref.batch("test", "i") as b:
        b.insert("pipes", frame)
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    monkeypatch.setattr(bulk, "COPY_CHUNK", 9)
    with create_registry(pg_target, f"EPSG:{CRS}") as pg:
        with pg.batch("test", "i") as b:
            b.insert("pipes", frame)
        with open_registry(tmp_path / "ins.gpkg") as ref:
            assert content_digest(pg, include_log=False) == content_digest(ref, include_log=False)
            mine, theirs = pg.changes(b.id), ref.changes(ref.batches()["batch_id"].iloc[0])
            cols = ["seq", "op", "layer", "feature_fid", "feature_key", "new_attrs", "new_geom"]
            pd.testing.assert_frame_equal(mine[cols], theirs[cols])
        pg.undo(b.id)
        assert pg.count("pipes") == 0


def test_copy_refusal_leaves_nothing(tmp_path, pg_target, force_copy, monkeypatch):
    """A COPY the database refuses (here a key that slipped past the checks) rolls the whole batch back."""
    from jalnet.errors import RegistryError
    from jalnet.registry.store import Batch

    with create_registry(pg_target, f"EPSG:{CRS}") as pg:
        with pg.batch("test", "first") as b:
            b.insert("pipes", _grid_pipes(10))
        monkeypatch.setattr(Batch, "_existing_keys", lambda self, lyr, keys: set())
        with pytest.raises(RegistryError, match="duplicate key"):
            with pg.batch("test", "second") as b:
                b.insert("pipes", _grid_pipes(20, start=5))
        assert pg.count("pipes") == 10 and len(pg.batches()) == 1


def _raw_layers(tmp_path, n: int) -> str:
    path = tmp_path / "raw.gpkg"
    import pyogrio

    pyogrio.write_dataframe(_grid_pipes(n), path, layer="pipes", driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame({"scheme_id": ["S1", "S2"], "name": ["One", "Two"]}), path,
                            layer="schemes", driver="GPKG")
    return str(path)


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_load_in_chunks_equals_load_whole(tmp_path, backend, request, monkeypatch):
    raw = _raw_layers(tmp_path, 230)
    with create_registry(tmp_path / "whole.gpkg", f"EPSG:{CRS}") as whole:
        load_layers(whole, raw)
        expected = content_digest(whole, include_log=False)
        expected_log = whole.changes(whole.batches()["batch_id"].iloc[0])[["seq", "feature_fid", "new_attrs"]]
    monkeypatch.setattr(loader, "LOAD_CHUNK", 50)
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    target = str(tmp_path / "chunks.gpkg") if backend == "gpkg" else request.getfixturevalue("pg_target")
    with create_registry(target, f"EPSG:{CRS}") as reg:
        counts = load_layers(reg, raw)
        assert counts["pipes"] == 230 and counts["schemes"] == 2
        assert content_digest(reg, include_log=False) == expected
        log = reg.changes(counts["batch_id"])[["seq", "feature_fid", "new_attrs"]]
        pd.testing.assert_frame_equal(log, expected_log)
        assert len(reg.batches()) == 1  # one batch, one undo
        reg.undo(counts["batch_id"])
        assert reg.count("pipes") == 0


def test_load_in_chunks_names_the_file_row_of_a_bad_feature(tmp_path, monkeypatch):
    import pyogrio

    frame = _grid_pipes(120)
    frame.loc[103, "pipe_id"] = frame.loc[7, "pipe_id"]  # a duplicate in a later chunk
    path = tmp_path / "dup.gpkg"
    pyogrio.write_dataframe(frame, path, layer="pipes", driver="GPKG")
    monkeypatch.setattr(loader, "LOAD_CHUNK", 50)
    with create_registry(tmp_path / "r.gpkg", f"EPSG:{CRS}") as reg:
        with pytest.raises(InputError, match=r"layer pipes: pipes row 104 \(pipe_id P-00008\).*appears twice"):
            load_layers(reg, path)
        assert reg.count("pipes") == 0
    frame = _grid_pipes(120)
    frame.loc[77, "material"] = "CHEESE"
    pyogrio.write_dataframe(frame, path, layer="pipes", driver="GPKG")
    with open_registry(tmp_path / "r.gpkg") as reg:
        with pytest.raises(InputError, match=r"pipes row 78 \(pipe_id P-00078\).*CHEESE"):
            load_layers(reg, path)
        assert reg.count("pipes") == 0


@pytest.fixture(params=["gpkg", "postgis"])
def filled(request, tmp_path):
    target = str(tmp_path / "f.gpkg") if request.param == "gpkg" else request.getfixturevalue("pg_target")
    with create_registry(target, f"EPSG:{CRS}") as reg, reg.batch("test", "fill") as b:
        b.insert("pipes", _grid_pipes(500))
    return target


def test_read_filters_match_filtering_the_whole_layer(filled, monkeypatch):
    with open_registry(filled, readonly=True) as reg:
        whole = reg.read("pipes")
        monkeypatch.setattr(reads, "READ_CHUNK", 37)  # many keyset pages
        assert reg.read("pipes").equals(whole)
        geoms = whole.geometry.values
        box = (500100.0, 2925020.0, 500200.0, 2925060.0)
        got = reg.read("pipes", bbox=box)
        want = whole[shapely.intersects(shapely.envelope(geoms), shapely.box(*box))]
        assert len(got) and got.equals(want)
        lines = np.array([shapely.LineString([(500005, 2925001), (500005, 2925030)]),
                          shapely.Point(500400, 2925090)], dtype=object)
        got = reg.read("pipes", near=lines, distance=4.0)
        want = whole[[bool(shapely.dwithin(g, lines, 4.0).any()) for g in geoms]]
        assert 0 < len(got) < 40 and got.equals(want)
        got = reg.read("pipes", schemes=["S2"], where={"material": ["DI", "HDPE"]}, bbox=box)
        want_mask = (whole["scheme_id"] == "S2") & whole["material"].isin(["DI", "HDPE"]) & \
            shapely.intersects(shapely.envelope(geoms), shapely.box(*box))
        assert len(got) and got.equals(whole[want_mask])
        assert reg.read("pipes", near=np.array([], dtype=object), distance=5).empty


def test_reads_are_counted_and_follow_the_filter(filled):
    with open_registry(filled, readonly=True) as reg:
        reg.read("pipes", bbox=(500000, 2925000, 500015, 2925005))
        assert 0 < rows_read(reg)["pipes"] <= 6
        reg.read("pipes")
        assert rows_read(reg)["pipes"] > 500


def test_network_from_registry_by_schemes_and_area(filled):
    from jalnet.topology import NetworkData

    with open_registry(filled, readonly=True) as reg:
        whole = NetworkData.from_registry(reg)
        some = NetworkData.from_registry(reg, schemes=["S2"])
        assert set(some.pipes["scheme_id"]) == {"S2"}
        assert len(some.pipes) == (whole.pipes["scheme_id"] == "S2").sum()
        one = NetworkData.from_registry(reg, "S2")
        assert one.pipes["fid"].tolist() == some.pipes["fid"].tolist()
        box = NetworkData.from_registry(reg, bbox=(500000, 2925000, 500100, 2925000))
        assert 0 < len(box.pipes) <= 12


# -----------------------------------------------------------------------------------------
# The snap reads only what lies within its reach
# -----------------------------------------------------------------------------------------
FAR = 60_000.0  # the rest of the "state", away from the walked scheme


def _walked_with_state(tmp_path_factory) -> tuple[str, str]:
    from walks_synth import SMALL, make_walks

    from jalnet.tracks import import_tracks

    folder = tmp_path_factory.mktemp("walked")
    registry, truth = make_walks(SMALL["ky10"], folder)
    assert import_tracks(registry, truth.files).exit_code == 0
    with open_registry(registry) as reg, reg.batch("test", "the rest of the state; no walks of points") as b:
        b.delete("staged_points", list(reg.read("staged_points").index))
        x0, y0 = reg.read("pipes").total_bounds[:2]
        rest = _grid_pipes(20_050, x0=x0 + FAR, y0=y0, prefix="P-9", scheme="S9")
        rest["contractor"] = None
        b.insert("pipes", rest)
    return registry, str(folder)


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    return _walked_with_state(tmp_path_factory)


def test_snap_reads_only_near_the_walks_and_plans_the_same(walked, tmp_path, pg_target, monkeypatch):
    import importlib

    from jalnet.topology import NetworkData, snap

    snap_module = importlib.import_module("jalnet.topology.snap")
    from jalnet.topology.network_near import network_near

    registry, _ = walked
    whole, near = tmp_path / "whole.gpkg", tmp_path / "near.gpkg"
    shutil.copy(registry, whole)
    shutil.copy(registry, near)
    copy_registry(registry, pg_target)
    monkeypatch.setattr(snap_module, "network_near", lambda reg, lines, reach: NetworkData.from_registry(reg))
    expected = snap(str(whole))
    monkeypatch.setattr(snap_module, "network_near", network_near)
    got = snap(str(near))
    for name in ("candidates", "pipes", "junctions", "splits", "moved"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)
    assert (expected.candidates["state"] == "added").sum() >= 10
    assert expected.pipes["pipe_id"].str.startswith("P-9").all()  # new ids continue the whole registry's numbering
    with open_registry(whole) as a, open_registry(near) as b_:
        assert content_digest(a, include_log=False) == content_digest(b_, include_log=False)
    with open_registry(pg_target) as pg:
        total = pg.count("pipes")
        result = snap(pg)
        assert rows_read(pg)["pipes"] < 300 < 20_000 < total  # the walked scheme's pipes, not the state's
        pd.testing.assert_frame_equal(result.pipes, expected.pipes)
        with open_registry(whole) as a:
            assert content_digest(pg, include_log=False) == content_digest(a, include_log=False)


def test_ewkb_from_any_wkb_is_what_geos_writes():
    geoms = [shapely.Point(1, 2), shapely.LineString([(0, 0), (3, 4)]), shapely.Point(1, 2, 3),
             shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])]
    want = [shapely.to_wkb(shapely.set_srid(shapely.force_2d(g), CRS), hex=True, byte_order=1, include_srid=True)
            for g in geoms]
    for order in (0, 1):
        wkbs = [shapely.to_wkb(g, byte_order=order) for g in geoms] + [None]
        assert [h.upper() for h in bulk.wkb_to_ewkb_hex(wkbs, CRS)[:-1]] == want
        assert bulk.wkb_to_ewkb_hex(wkbs, CRS)[-1] == "\\N"


def test_copy_of_an_older_schema_registry(tmp_path, pg_target, force_copy):
    """A source of an older schema version (no layers the newer one added) copies; those layers stay empty."""
    import sqlite3

    src = _source(tmp_path)
    conn = sqlite3.connect(src)
    for table in ("attachments", "health_runs", "health_findings"):
        conn.execute(f'DROP TABLE "{table}"')
    conn.execute("UPDATE jalnet_meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    counts = copy_registry(src, pg_target)
    assert counts["pipes"] == 59 and "attachments" not in counts
    with open_registry(pg_target) as pg:
        assert pg.count("attachments") == 0 and pg.count("pipes") == 59

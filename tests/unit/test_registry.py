"""The registry on GeoPackage and PostGIS alike: schema, writes, change log, undo."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from jalnet.errors import InputError, RegistryError
from jalnet.registry import content_digest, create_registry, open_registry
from jalnet.registry.schema import ASSET_LAYERS, DOMAINS, SCHEMA_VERSION


def _pipes(n: int = 3, crs: int = 32646, prefix: str = "P") -> gpd.GeoDataFrame:
    geoms = [shapely.LineString([(500000 + 10 * i, 2925000), (500000 + 10 * i + 10, 2925000)]) for i in range(n)]
    frame = gpd.GeoDataFrame(
        {
            "pipe_id": [f"{prefix}{i}" for i in range(n)],
            "scheme_id": ["4010457"] * n,
            "material": ["DI", "HDPE", None][:n] + ["UPVC"] * max(0, n - 3),
            "diameter_mm": [150.0, 110.0, None][:n] + [90.0] * max(0, n - 3),
            "laid_date": ["2024-03-01", None, "2023-01-05"][:n] + [None] * max(0, n - 3),
            "contractor": ["মেছাৰ্ছ ব্ৰহ্মপুত্ৰ কনষ্ট্ৰাকচন", "M/s Kamrup Infra", None][:n] + [None] * max(0, n - 3),
        },
        geometry=geoms,
        crs=32646,
    )
    return frame.to_crs(crs)


@pytest.fixture
def reg(registry_target):
    registry = create_registry(registry_target, "EPSG:32646")
    yield registry
    registry.close()


def test_create_gives_every_layer_empty(reg):
    info = reg.info()
    assert info["crs"] == "EPSG:32646"
    assert info["schema_version"] == SCHEMA_VERSION
    assert list(info["layers"]) == list(ASSET_LAYERS)
    assert all(count == 0 for count in info["layers"].values())


def test_insert_reads_back_identical_values(reg):
    data = _pipes()
    with reg.batch("test", "insert") as b:
        fids = b.insert("pipes", data)
    got = reg.read("pipes")
    assert list(got.index) == fids == [1, 2, 3]
    assert got["material"].tolist()[:2] == ["DI", "HDPE"] and got["material"].isna().iloc[2]
    assert got["laid_date"].tolist()[0] == "2024-03-01"
    assert got["contractor"].iloc[0] == "মেছাৰ্ছ ব্ৰহ্মপুত্ৰ কনষ্ট্ৰাকচন"
    assert got.crs.to_epsg() == 32646
    assert shapely.equals_exact(got.geometry.values, data.geometry.values, tolerance=0).all()


def test_insert_reprojects_from_lonlat(reg):
    lonlat = _pipes(crs=4326)
    with reg.batch("test", "insert") as b:
        b.insert("pipes", lonlat)
    got = reg.read("pipes")
    assert got.geometry.iloc[0].coords[0] == pytest.approx((500000, 2925000), abs=1e-3)


def test_update_delete_and_undo_restore_exactly(reg):
    with reg.batch("test", "insert") as b:
        fids = b.insert("pipes", _pipes())
    before = content_digest(reg, include_log=False)
    with reg.batch("test", "edit") as b2:
        b2.update("pipes", fids[0], {"material": "CI", "diameter_mm": 200}, geometry=shapely.LineString([(1, 1), (5, 5)]))
        b2.delete("pipes", [fids[2]])
    assert reg.read("pipes").loc[fids[0], "material"] == "CI"
    assert reg.count("pipes") == 2
    assert content_digest(reg, include_log=False) != before
    changes = reg.changes(b2.id)
    assert changes["op"].tolist() == ["update", "delete"]
    assert changes["feature_key"].tolist() == ["P0", "P2"]
    undo_id = reg.undo(b2.id)
    assert content_digest(reg, include_log=False) == before
    batches = reg.batches().set_index("batch_id")
    assert batches.loc[b2.id, "undone_by"] == undo_id
    assert batches.loc[undo_id, "undoes"] == b2.id
    with pytest.raises(RegistryError, match="already undone"):
        reg.undo(b2.id)


def test_undo_refuses_when_a_later_batch_changed_the_features(reg):
    with reg.batch("test", "insert") as b1:
        fids = b1.insert("pipes", _pipes())
    with reg.batch("test", "later edit") as b2:
        b2.update("pipes", fids[1], {"material": "GI"})
    with pytest.raises(RegistryError, match=f"changed after it .*by batch {b2.id}"):
        reg.undo(b1.id)
    reg.undo(b2.id)
    reg.undo(b1.id)
    assert reg.count("pipes") == 0


def test_undo_of_a_batch_mixing_spatial_and_attribute_tables(reg):
    before = content_digest(reg, include_log=False)
    with reg.batch("test", "mixed") as b:
        b.insert("pipes", _pipes())
        b.insert("schemes", pd.DataFrame([{"scheme_id": "4010457", "name": "Bhabanipur PWSS"}]))
    changes = reg.changes(b.id)
    assert changes["new_geom"].iloc[-1] is None  # NULL stays None, not NaN, on pandas 2 and 3
    reg.undo(b.id)
    assert content_digest(reg, include_log=False) == before


def test_failed_batch_leaves_registry_untouched(reg):
    with reg.batch("test", "insert") as b:
        b.insert("pipes", _pipes())
    before = content_digest(reg)
    with pytest.raises(RuntimeError):
        with reg.batch("test", "half") as b:
            b.insert("pipes", _pipes(prefix="Q"))
            b.delete("pipes", [1])
            raise RuntimeError("tool failed midway")
    assert content_digest(reg) == before
    assert len(reg.batches()) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"material": ["DI", "Plastic", "DI"]}, r"row 2 \(pipe_id P1\): material 'Plastic' is not a code of domain"),
        ({"diameter_mm": ["12,5 m", 100, 100]}, r"row 1 \(pipe_id P0\): diameter_mm '12,5 m' is not a number"),
        ({"diameter_mm": [5000, 100, 100]}, r"diameter_mm 5000 is above the allowed range"),
        ({"pipe_id": ["A", "A", "B"]}, r"pipe_id 'A' appears twice"),
        ({"pipe_id": ["A", None, "B"]}, r"row 2: required field 'pipe_id' is empty"),
        ({"laid_date": ["yesterday", None, None]}, r"laid_date 'yesterday' is not a date"),
        ({"colour": ["red"] * 3}, r"column\(s\) colour not in the registry schema"),
    ],
)
def test_bad_values_are_refused_with_row_and_field(reg, change, message):
    before = content_digest(reg)
    with pytest.raises(InputError, match=message):
        with reg.batch("test", "bad") as b:
            b.insert("pipes", _pipes().assign(**change))
    assert content_digest(reg) == before


def test_key_clash_with_registry_and_wrong_geometry_type(reg):
    with reg.batch("test", "insert") as b:
        b.insert("pipes", _pipes())
    with pytest.raises(InputError, match="pipe_id 'P1' already exists"):
        with reg.batch("test", "again") as b:
            b.insert("pipes", _pipes().iloc[1:2])
    points = gpd.GeoDataFrame({"pipe_id": ["X"]}, geometry=[shapely.Point(1, 1)], crs=32646)
    with pytest.raises(InputError, match="geometry is Point, layer pipes takes LineString"):
        with reg.batch("test", "points") as b:
            b.insert("pipes", points)
    assert reg.count("pipes") == 3


def test_polygon_becomes_multipolygon_and_domains_are_complete(reg):
    village = gpd.GeoDataFrame({"village_id": ["283746"], "name": ["Bhabanipur"], "name_local": ["ভবানীপুৰ"]},
                               geometry=[shapely.box(0, 0, 100, 100)], crs=32646)
    with reg.batch("test", "village") as b:
        b.insert("villages", village)
    got = reg.read("villages")
    assert got.geometry.iloc[0].geom_type == "MultiPolygon"
    assert got["name_local"].iloc[0] == "ভবানীপুৰ"
    with reg.batch("test", "scheme") as b:
        b.insert("schemes", pd.DataFrame([{"scheme_id": "4010457", "name": "Bhabanipur PWSS", "lpcd": 55}]))
    assert reg.read("schemes")["lpcd"].iloc[0] == 55.0
    assert set(DOMAINS["pipe_material"]) >= {"DI", "HDPE", "UPVC", "GI"}


def test_empty_batch_leaves_no_trace(reg):
    with reg.batch("test", "nothing"):
        pass
    assert reg.batches().empty


def test_create_refuses_geographic_crs_and_existing_target(registry_target):
    with pytest.raises(RegistryError, match="not a projected CRS in metres"):
        create_registry(registry_target, "EPSG:4326")
    create_registry(registry_target, "EPSG:32646").close()
    with pytest.raises(RegistryError, match="already exists"):
        create_registry(registry_target, "EPSG:32646")


def test_copy_round_trip_gpkg_postgis_gpkg_is_identical(tmp_path, pg_target):
    from jalnet.registry import copy_registry

    src = create_registry(tmp_path / "a.gpkg", "EPSG:32646")
    with src.batch("test", "insert") as b:
        fids = b.insert("pipes", _pipes(5))
    with src.batch("test", "edit") as b:
        b.update("pipes", fids[0], {"material": "MS"})
        b.delete("pipes", [fids[1]])
    src.undo(b.id)
    expected = content_digest(src)
    src.close()
    counts = copy_registry(tmp_path / "a.gpkg", pg_target)
    assert counts["pipes"] == 5
    copy_registry(pg_target, tmp_path / "b.gpkg")
    with open_registry(pg_target) as pg, open_registry(tmp_path / "b.gpkg") as back:
        assert content_digest(pg) == expected
        assert content_digest(back) == expected
        assert back.batches()["batch_id"].tolist() == pg.batches()["batch_id"].tolist()
        # the copy keeps fids, so an undo recorded in the source still applies in the copy
        last = back.batches()["batch_id"].iloc[0]
        back.undo(last)
        assert back.count("pipes") == 0


def test_postgis_unreachable_is_one_clear_line():
    with pytest.raises(RegistryError, match=r"cannot reach PostGIS at postgresql://u:\*\*\*@127.0.0.1:9/x") as err:
        open_registry("postgresql://u:secret@127.0.0.1:9/x")
    assert "secret" not in str(err.value)
    assert "\n" not in str(err.value)


def test_postgis_missing_schema_says_how_to_create(postgis_db):
    with pytest.raises(RegistryError, match="no registry in schema 'nosuch'.*jalnet registry create"):
        open_registry(f"{postgis_db}?schema=nosuch")


def test_upgrade_adds_layers_of_newer_schema(tmp_path, monkeypatch):
    from jalnet.registry import schema

    path = tmp_path / "old.gpkg"
    create_registry(path, "EPSG:32646").close()
    current = schema.SCHEMA_VERSION
    newer = schema.Layer("extra_things", "Extra", "POINT", "thing_id",
                         (schema.Field("thing_id", "TEXT", required=True, unique=True),), since=current + 1)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr("jalnet.registry.store.SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(schema.LAYERS, "extra_things", newer)
    with open_registry(path, readonly=True) as ro:
        assert ro.schema_version == current
        assert not ro._b.table_exists("extra_things")
    with open_registry(path) as reg:
        assert reg.schema_version == current + 1
        assert reg.count("extra_things") == 0
    monkeypatch.setattr("jalnet.registry.store.SCHEMA_VERSION", current)
    with pytest.raises(RegistryError, match=f"schema version {current + 1}, newer than this JalNet"):
        open_registry(path)

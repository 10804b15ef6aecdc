"""Change-log rows of inserts built a chunk at a time are the rows ``to_json`` writes feature by feature."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from jalnet.registry import bulk, changelog, create_registry, schema
from jalnet.registry.values import normalise_column, plain, to_json

CRS = 32646
ODD = ["tab\there", "new\nline", 'quote " and back\\slash \\N', "মেছাৰ্ছ ব্ৰহ্মপুত্ৰ", None, "cr\rend", "", "\u2028sep"]


@pytest.mark.parametrize("series", [
    pd.Series([1.5, np.nan, -0.0, 1e16, 1e-05, 12.0, 0.1 + 0.2]),
    pd.Series([1.0, np.inf, None, -np.inf]),
    pd.Series([3, None, -7, 2**40], dtype="Int64"),
    pd.Series([True, None, False], dtype="boolean"),
    pd.Series(ODD + [5, 2.5, True], dtype=object),
    pd.Series(ODD, dtype=object),
    pd.Series(["P-0001", None, "মেছাৰ্ছ", "a/b", "\x7f", "\u2028"], dtype=object),
    pd.Series([None, None], dtype=object),
    pd.Series([], dtype=float),
])
def test_json_values_are_what_json_dumps_writes(series):
    want = [json.dumps(plain(v), ensure_ascii=False) for v in series.tolist()]
    assert changelog.json_values(series) == want


def _schemes(n: int) -> pd.DataFrame:
    k = np.arange(n)
    return pd.DataFrame({
        "scheme_id": [f"S-{i:04d}" for i in k],
        "name": [ODD[i % len(ODD)] or "n" for i in k],
        "district": [ODD[(i + 3) % len(ODD)] for i in k],
        "design_year": pd.array([2030 + i % 20 if i % 4 else None for i in k], dtype="Int64"),
        "lpcd": [55.0 + i / 7 if i % 5 else np.nan for i in k],
    })


def test_attrs_json_is_to_json_row_by_row():
    lyr = schema.layer("schemes")
    frame = _schemes(40)
    values = {n: normalise_column(lyr, n, frame[n], frame) for n in frame.columns}
    rows = [{n: (plain(values[n].iloc[k]) if n in values else None) for n in lyr.field_names} for k in range(40)]
    assert changelog.attrs_json(lyr, values, 40) == [to_json(r) for r in rows]
    assert changelog.keys_text(lyr, values, 40) == [r["scheme_id"] for r in rows]


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_logged_inserts_hold_each_feature_as_written_and_undo(tmp_path, backend, request, monkeypatch):
    """Through INSERT (GeoPackage) and COPY in small chunks (PostGIS): the log row of each inserted
    feature holds its stored attributes and geometry; undo removes them all."""
    target = str(tmp_path / "r.gpkg") if backend == "gpkg" else request.getfixturevalue("pg_target")
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    monkeypatch.setattr(bulk, "COPY_CHUNK", 7)
    k = np.arange(30)
    pipes = gpd.GeoDataFrame({
        "pipe_id": [f"P-{i:03d}" for i in k], "scheme_id": ["S-0001"] * 30,
        "contractor": [ODD[i % len(ODD)] for i in k], "diameter_mm": [90.0 + i if i % 3 else np.nan for i in k],
    }, geometry=[shapely.LineString([(500000 + 10 * i, 2925000), (500010 + 10 * i, 2925000.5)]) for i in k], crs=CRS)
    with create_registry(target, f"EPSG:{CRS}") as reg:
        with reg.batch("test", "load") as b:
            b.insert("schemes", _schemes(3))
            b.update("schemes", 1, {"name": "renamed"})  # a row logged on its own between chunk-built ones
            fids = b.insert("pipes", pipes)
        log = reg.changes(b.id)
        assert list(log["seq"]) == list(range(1, 35)) and log["change_id"].is_monotonic_increasing
        assert list(log["op"]) == ["insert"] * 3 + ["update"] + ["insert"] * 30
        stored = reg.read("pipes")
        lyr = schema.layer("pipes")
        got = log[log["layer"] == "pipes"].set_index("feature_fid")
        assert sorted(got.index) == sorted(fids)
        for fid, row in stored.iterrows():
            attrs = {n: plain(row[n]) for n in lyr.field_names}
            assert got.loc[fid, "new_attrs"] == to_json(attrs)
            assert got.loc[fid, "feature_key"] == attrs["pipe_id"]
            assert got.loc[fid, "new_geom"] == shapely.to_wkb(row.geometry, byte_order=1, output_dimension=2).hex()
            assert got.loc[fid, "old_attrs"] is None or pd.isna(got.loc[fid, "old_attrs"])
        reg.undo(b.id)
        assert reg.count("pipes") == 0 and reg.count("schemes") == 0


@pytest.mark.parametrize("values", [["P-1", None, "মেছাৰ্ছ", "a/b"], ODD, ["x", 2.5, None, np.nan, True, pd.NA], [None]])
def test_copy_text_of_a_column_is_the_text_of_each_value(values):
    assert bulk.text_column(pd.Series(values, dtype=object)) == [bulk._text(plain(v)) for v in values]

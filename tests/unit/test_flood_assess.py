"""assess_flood end to end on a small scheme: depths, severities, out of service, households, outputs."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from flood_synth import CRS, PIPES, TAPS, frames, lonlat_raster, make_registry, nearest_cell

from jalnet.flood import FloodEvent, assess_flood, households_losing_supply
from jalnet.flood.tables import DEFAULT_CLASSES, classify, load_critical_heights
from jalnet.registry import open_registry

POINT_LAYERS = {"sources": "source_id", "pumps": "pump_id", "treatment_units": "unit_id", "tanks": "tank_id",
                "valves": "valve_id", "fhtc": "fhtc_id"}


@pytest.fixture
def scheme(tmp_path: Path) -> tuple[str, Path, np.ndarray, object]:
    reg = make_registry(tmp_path / "registry.gpkg")
    depth = tmp_path / "depth.tif"
    values, transform = lonlat_raster(depth)
    return reg, depth, values, transform


def expected_depths(values: np.ndarray, transform: object) -> dict[str, pd.Series]:
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    out = {}
    for layer, key in POINT_LAYERS.items():
        frame = frames()[layer]
        lon, lat = to_ll.transform(frame.geometry.x.tolist(), frame.geometry.y.tolist())
        out[layer] = pd.Series(nearest_cell(values, transform, lon, lat), index=frame[key].to_numpy())
    return out


def losing_supply_by_hand(out_pipes: set[str], source_out: bool) -> dict[str, str]:
    """Status per functional tap from the pipes' from/to nodes (not from geometry)."""
    g = nx.Graph()
    g.add_edges_from((a, b) for pid, a, b, _ in PIPES if pid not in out_pipes)
    status = {}
    for fhtc_id, _, pipe_id, tap_status, _ in TAPS:
        if tap_status != "functional":
            continue
        a, b = next((a, b) for pid, a, b, _ in PIPES if pid == pipe_id)
        reach = set() if pipe_id in out_pipes else nx.node_connected_component(g, a) if a in g else set()
        if not source_out and "S" in reach:
            status[fhtc_id] = "supplied"
        elif "T" in reach:
            status[fhtc_id] = "storage_only"
        else:
            status[fhtc_id] = "cut_off"
    return status


def test_depths_severities_and_households(scheme, tmp_path: Path) -> None:
    reg, depth, values, transform = scheme
    out = tmp_path / "impact.gpkg"
    result = assess_flood(reg, [FloodEvent(depth=str(depth), name="wave", date="2024-07-03")], out,
                          report=tmp_path / "r.html", summary=tmp_path / "s.csv")
    heights = load_critical_heights()
    expected = expected_depths(values, transform)
    for layer, key in POINT_LAYERS.items():
        got = pyogrio.read_dataframe(out, layer=f"impact_{layer}").set_index(key)
        want = expected[layer].reindex(got.index)
        assert np.array_equal(got["depth_m"].isna(), want.isna()), layer
        assert np.allclose(got["depth_m"].dropna(), want.dropna()), layer
        critical = got["critical_height_m"].to_numpy()
        assert list(got["severity"]) == list(classify(want.to_numpy(), critical, DEFAULT_CLASSES)), layer
        assert list(got["out_of_service"]) == list(np.nan_to_num(want.to_numpy(), nan=-1) >= critical), layer
    # the designed flood: 0.75 m at the source (borewell head 0.45 m), the submersible's panel (1.0 m) stays dry
    assert expected["sources"]["SRC-1"] == 0.75 and heights[("sources", "")].critical_height_m == 0.45
    fhtc = pyogrio.read_dataframe(out, layer="impact_fhtc").set_index("fhtc_id")
    assert np.isnan(fhtc.loc["F-5", "depth_m"]) and fhtc.loc["F-5", "severity"] == "no_data"  # off the raster
    assert np.isnan(fhtc.loc["F-4", "depth_m"]) and fhtc.loc["F-4", "severity"] == "no_data"  # nodata cell
    assert "household_head" not in fhtc.columns and "phone" not in fhtc.columns  # no personal data
    pipes = pyogrio.read_dataframe(out, layer="impact_pipes").set_index("pipe_id")
    assert pipes.loc["P-3", "max_depth_m"] == pytest.approx(1.25) and bool(pipes.loc["P-3", "out_of_service"])
    assert not pipes.loc[["P-2", "P-4", "P-5", "P-6"], "out_of_service"].any()  # distribution lines stay

    # households: source and IRP out, main P-3 out; computed by hand on the from/to nodes
    by_hand = losing_supply_by_hand({"P-3"}, source_out=True)
    got_status = fhtc["supply_status"].to_dict()
    assert {k: got_status[k] for k in by_hand} == by_hand
    assert got_status["F-6"] == "not_connected" and not fhtc.loc["F-6", "loses_supply"]
    losing = {k for k, v in by_hand.items() if v != "supplied"}
    assert set(fhtc.index[fhtc["loses_supply"]]) == losing
    row = result.schemes.iloc[0]
    flooded = {f for f in fhtc.index if fhtc.loc[f, "depth_m"] > 0}
    assert row["fhtc_flooded"] == len(flooded) == 1  # F-2 over the main
    assert row["fhtc_lose_supply"] == len(losing) == 5
    assert row["households_affected"] == len(flooded | losing)
    persons = {t[0]: t[4] for t in TAPS}
    assert row["persons_affected"] == sum(persons[f] for f in flooded | losing)
    assert result.districts.iloc[0]["district"] == "Nalbari"
    csv = pd.read_csv(tmp_path / "s.csv")
    assert set(csv["level"]) == {"scheme", "district"}
    assert (csv.loc[csv["level"] == "scheme", "fhtc_lose_supply"] == 5).all()
    html = (tmp_path / "r.html").read_text()
    assert "Impact by scheme" in html and "data:image/png;base64" in html


def test_only_the_main_out_when_the_plinths_are_raised(scheme, tmp_path: Path) -> None:
    reg, depth, _, _ = scheme
    raised = tmp_path / "raised.csv"
    raised.write_text("asset_type,critical_height_m\nsources,5\ntreatment_units,5\n")
    result = assess_flood(reg, [FloodEvent(depth=str(depth))], tmp_path / "i.gpkg", thresholds=raised)
    fhtc = result.impacts["fhtc"].set_index("fhtc_id")
    by_hand = losing_supply_by_hand({"P-3"}, source_out=False)
    assert {k: fhtc.loc[k, "supply_status"] for k in by_hand} == by_hand
    assert int(fhtc["loses_supply"].sum()) == sum(v != "supplied" for v in by_hand.values()) == 3


def test_extent_only(scheme, tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely
    from flood_synth import utm

    reg, _, _, _ = scheme
    square = shapely.Polygon([utm(-20, -20), utm(40, -20), utm(40, 60), utm(-20, 60)])
    extent = gpd.GeoDataFrame({"event": ["ASDMA map"], "date": ["2024-07-05"]}, geometry=[square], crs=CRS)
    path = tmp_path / "extent.gpkg"
    extent.to_crs("EPSG:4326").to_file(path, layer="flood", engine="pyogrio")
    result = assess_flood(reg, [FloodEvent(extent=str(path))], tmp_path / "i.gpkg")
    assert result.events[0].name == "ASDMA map" and result.events[0].date == "2024-07-05"  # from the file
    imp = result.impacts
    for layer in ("sources", "pumps", "treatment_units"):
        assert list(imp[layer]["severity"]) == ["unknown_depth"] and imp[layer]["depth_m"].isna().all()
        assert bool(imp[layer]["out_of_service"].iloc[0])  # assumed out: the worst case
    assert set(imp["fhtc"]["severity"]) == {"dry"} and imp["fhtc"]["depth_m"].isna().all()
    p1 = imp["pipes"].set_index("pipe_id").loc["P-1"]
    inside = shapely.intersection(frames()["pipes"].geometry.iloc[0], square).length  # 60 of the 200 m
    assert p1["severity"] == "unknown_depth" and np.isnan(p1["max_depth_m"])
    assert p1["flooded_length_m"] == pytest.approx(inside, abs=2.0)
    assert result.totals()["households_losing_supply"] == 5  # all functional taps left on the tank


def test_several_events_make_a_timeline(scheme, tmp_path: Path) -> None:
    reg, depth, values, transform = scheme
    second = tmp_path / "depth2.tif"
    lonlat_raster(second, shift=0.25)
    events = [FloodEvent(depth=str(depth), name="July", date="2024-07-03"),
              FloodEvent(depth=str(second), name="June", date="2024-06-01")]
    out = tmp_path / "impact.gpkg"
    result = assess_flood(reg, events, out)
    assert list(result.schemes["event"]) == ["June", "July"]  # by date
    hist = result.history["history_points"].set_index("asset_id")
    assert hist.loc["SRC-1", "times_flooded"] == 2 and hist.loc["SRC-1", "first_flooded_date"] == "2024-06-01"
    assert hist.loc["SRC-1", "max_depth_m"] == pytest.approx(1.0)  # 0.75 + 0.25 in June
    assert hist.loc["F-1", "times_flooded"] == 1 and hist.loc["F-1", "first_flooded_event"] == "June"
    assert hist.loc["F-1", "last_flooded_event"] == "June"
    assert hist.loc["F-5", "times_flooded"] == 0 and np.isnan(hist.loc["F-5", "max_depth_m"])  # off both rasters
    assert hist.loc["F-2", "worst_severity"] == "extreme"

    from jalnet.flood.summary import read_timeline

    history, timeline = read_timeline(str(out))
    again = history["history_points"].set_index("asset_id")
    assert again.loc["SRC-1", "times_flooded"] == 2 and again.loc["F-1", "first_flooded_event"] == "June"
    assert list(timeline["event"]) == ["June", "July"]
    pipes = history["history_pipes"].set_index("asset_id")
    assert pipes.loc["P-3", "times_flooded"] == 2 and pipes.loc["P-3", "max_depth_m"] == pytest.approx(1.5)


def test_hydraulic_seam(scheme, monkeypatch: pytest.MonkeyPatch) -> None:
    reg, _, _, _ = scheme
    calls = []
    fake = types.ModuleType("jalnet.hydraulics.service")

    def households_below_pressure(registry, scheme_id, out_of_service, dem=None):
        calls.append((scheme_id, {k: set(v) for k, v in out_of_service.items()}))
        return ["F-3", "F-5"]

    fake.households_below_pressure = households_below_pressure
    monkeypatch.setitem(sys.modules, "jalnet.hydraulics.service", fake)
    with open_registry(reg, readonly=True) as registry:
        got = households_losing_supply(registry, {"pipes": ["P-3"]}, method="hydraulic")
        assert calls == [("SCH-1", {"pipes": {"P-3"}})]
        assert set(got.index[got["loses_supply"]]) == {"F-3", "F-5"}
        assert set(got.loc[["F-3", "F-5"], "supply_status"]) == {"below_pressure"}
        conn = households_losing_supply(registry, {"pipes": ["P-3"]})
        assert set(conn.index[conn["loses_supply"]]) == {"F-2", "F-3", "F-5"}

        monkeypatch.setitem(sys.modules, "jalnet.hydraulics.service", types.ModuleType("empty"))
        from jalnet.errors import InputError

        with pytest.raises(InputError, match="needs the hydraulics engine"):
            households_losing_supply(registry, {"pipes": ["P-3"]}, method="hydraulic")


def test_same_assessment_from_geopackage_and_postgis(registry_target: str, tmp_path: Path) -> None:
    """The engine reads through the registry API, so both stores give the same impact."""
    reg = make_registry(registry_target)
    depth = tmp_path / "depth.tif"
    values, transform = lonlat_raster(depth)
    result = assess_flood(reg, [FloodEvent(depth=str(depth))], tmp_path / "i.gpkg")
    got = result.impacts["fhtc"].set_index("fhtc_id")["depth_m"]
    want = expected_depths(values, transform)["fhtc"].reindex(got.index)
    assert np.array_equal(got.isna(), want.isna()) and np.allclose(got.dropna(), want.dropna())
    assert result.totals()["households_losing_supply"] == 5


def test_empty_registry_is_refused(tmp_path: Path) -> None:
    from jalnet.errors import InputError
    from jalnet.registry import create_registry

    path = tmp_path / "empty.gpkg"
    create_registry(str(path), crs=CRS).close()
    depth = tmp_path / "depth.tif"
    lonlat_raster(depth)
    with pytest.raises(InputError, match="has no assets to assess"):
        assess_flood(str(path), [FloodEvent(depth=str(depth))], tmp_path / "i.gpkg")
    assert not (tmp_path / "i.gpkg").exists()

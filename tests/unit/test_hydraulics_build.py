"""Building a model from registry layers: demand, elevations from a DEM, roughness, and refusals."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point

pytest.importorskip("wntr")

from hydraulics_nets import (  # noqa: E402
    ELEV,
    NODES,
    SCHEME,
    TAPS,
    X0,
    Y0,
    pumped_village_registry,
    village_layers,
    village_registry,
    xy,
)

from jalnet.errors import InputError  # noqa: E402
from jalnet.hydraulics import scenarios  # noqa: E402
from jalnet.hydraulics.build import build_model  # noqa: E402
from jalnet.hydraulics.dem import sample_bilinear  # noqa: E402
from jalnet.hydraulics.roughness import DEFAULT_TABLE, roughness_for  # noqa: E402


@pytest.fixture
def village(tmp_path) -> str:
    return village_registry(str(tmp_path / "village.gpkg"))


def test_village_model_has_every_asset(village) -> None:
    wn, report = build_model(village, SCHEME)
    assert report.counts["junctions"] == 5 and report.counts["pipes"] == 6 and report.counts["reservoirs"] == 1
    assert wn.get_link("VIL-P1").start_node_name == "VIL-SRC"
    assert wn.get_link("VIL-P2").length == pytest.approx(100.0)  # drawn length
    assert set(report.valve_layer["valve_id"]) == {"VIL-V1", "VIL-V2", "VIL-V3"}
    assert report.valve_layer.set_index("valve_id").loc["VIL-V1", "node"] == "VIL-A"


def test_demand_is_households_times_persons_times_lpcd_at_the_nearest_junction(tmp_path) -> None:
    layers = village_layers()
    rng = np.random.default_rng(5)
    taps = layers["fhtc"].copy()
    # scatter the taps; give some no persons (default 5 applies) and one a non-functional status
    taps["geometry"] = [Point(X0 + rng.uniform(-20, 320), Y0 + rng.uniform(-120, 20)) for _ in range(len(taps))]
    taps["persons"] = [None if k % 4 == 0 else int(rng.integers(2, 9)) for k in range(len(taps))]
    taps.loc[taps.index[3], "status"] = "non_functional"
    path = village_registry(str(tmp_path / "r.gpkg"), fhtc=taps)
    wn, report = build_model(path, SCHEME, params={"lpcd": 70, "supply_hours": 24})

    # independently: nearest junction by brute force, persons x 70 l per day
    expected: dict[str, float] = {}
    for tap in taps.itertuples():
        if tap.status != "functional":
            continue
        best = min(ELEV, key=lambda n: math.hypot(tap.geometry.x - X0 - NODES[n][0], tap.geometry.y - Y0 - NODES[n][1]))
        persons = 5 if tap.persons is None or tap.persons != tap.persons else tap.persons
        expected[f"VIL-{best}"] = expected.get(f"VIL-{best}", 0.0) + persons * 70 / 86400
    for name in wn.junction_name_list:
        got = sum(d.base_value for d in wn.get_node(name).demand_timeseries_list) * 1000
        assert got == pytest.approx(expected.get(name, 0.0), abs=1e-12), name
    assert report.demand_lps == pytest.approx(sum(expected.values()))
    assert report.households == len(taps) - 1
    assert not report.intermittent and report.peak_factor == 3.0


def test_intermittent_supply_draws_the_day_in_the_windows(village) -> None:
    wn, report = build_model(village, SCHEME, params={"supply_hours": 6, "supply_windows": "06:00-09:00,18:00-21:00"})
    pattern = wn.get_pattern("jalnet-demand").multipliers
    assert report.intermittent and report.peak_factor == pytest.approx(4.0)
    assert [round(v, 6) for v in pattern] == [0] * 6 + [4] * 3 + [0] * 9 + [4] * 3 + [0] * 3
    assert sum(pattern) == pytest.approx(24.0)


def test_taps_are_not_given_to_a_junction_on_the_rising_main_only(tmp_path) -> None:
    def rising(pipes):
        pipes = pipes.copy()
        pipes.loc[pipes["pipe_id"] == "VIL-P1", "pipe_function"] = "rising_main"
        return pipes

    def tap_at_a(taps):
        taps = taps.copy()
        taps.loc[taps["fhtc_id"].str.startswith("VIL-FA"), "geometry"] = [xy("A", 0, 2)]
        return taps

    # A carries the rising main and P2: it still serves; make P1 and P2 rising so A serves nothing
    def both_rising(pipes):
        pipes = rising(pipes)
        pipes.loc[pipes["pipe_id"] == "VIL-P2", "pipe_function"] = "rising_main"
        return pipes

    path = village_registry(str(tmp_path / "r.gpkg"), pipes=both_rising, fhtc=tap_at_a)
    _, report = build_model(path, SCHEME)
    alloc = report.allocation.set_index("fhtc_id")
    assert alloc.loc["VIL-FA0", "node"] == "VIL-B"


def _write_dem(path, values: np.ndarray, west: float, north: float, res: float, nodata: float | None = None) -> None:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(west, north, res, res),
                       nodata=nodata) as dst:
        dst.write(values.astype("float32"), 1)


def _independent_bilinear(values: np.ndarray, west: float, north: float, res: float, lon: float, lat: float) -> float:
    col = (lon - west) / res - 0.5
    row = (north - lat) / res - 0.5
    c0, r0 = math.floor(col), math.floor(row)
    fc, fr = col - c0, row - r0
    v = values.astype("float32").astype(float)
    return ((v[r0, c0] * (1 - fc) + v[r0, c0 + 1] * fc) * (1 - fr)
            + (v[r0 + 1, c0] * (1 - fc) + v[r0 + 1, c0 + 1] * fc) * fr)


def test_elevations_come_from_the_dem_bilinear_in_its_own_crs(tmp_path) -> None:
    to_ll = pyproj.Transformer.from_crs(32646, 4326, always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 200, Y0 + 200)
    res = 0.0003
    rng = np.random.default_rng(11)
    values = 40 + rng.uniform(0, 10, (40, 40))
    dem = tmp_path / "dem.tif"
    _write_dem(dem, values, lon0, lat0, res)

    def no_elevation(junctions):
        junctions = junctions.copy()
        junctions["elevation_m"] = None
        return junctions

    path = village_registry(str(tmp_path / "r.gpkg"), junctions=no_elevation)
    wn, report = build_model(path, SCHEME, dem=dem)
    assert len(report.elevations_from_dem) == 5
    for name in ELEV:
        lon, lat = to_ll.transform(*xy(name).coords[0])
        expected = _independent_bilinear(values, lon0, lat0, res, lon, lat)
        assert wn.get_node(f"VIL-{name}").elevation == pytest.approx(expected, abs=1e-6)
    # the sampler itself, on points given in another CRS
    pts = np.array([xy(n).coords[0] for n in ELEV])
    got = sample_bilinear(dem, pts[:, 0], pts[:, 1], "EPSG:32646")
    assert got == pytest.approx([wn.get_node(f"VIL-{n}").elevation for n in ELEV])


def test_a_dem_that_does_not_cover_the_scheme_is_refused_naming_the_node(tmp_path) -> None:
    to_ll = pyproj.Transformer.from_crs(32646, 4326, always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 200, Y0 + 200)
    dem = tmp_path / "small.tif"
    _write_dem(dem, np.full((10, 10), 45.0), lon0, lat0, 0.0003)  # ~330 m: C and E fall outside

    def no_elevation(junctions):
        junctions = junctions.copy()
        junctions.loc[junctions["node_id"] == "VIL-E", "elevation_m"] = None
        return junctions

    path = village_registry(str(tmp_path / "r.gpkg"), junctions=no_elevation)
    with pytest.raises(InputError, match=r"small\.tif does not cover 1 node.*junctions VIL-E"):
        build_model(path, SCHEME, dem=dem)
    with pytest.raises(InputError, match=r"1 node\(s\) have no elevation \(junctions VIL-E\).*--dem"):
        build_model(path, SCHEME)


def test_roughness_from_material_and_age() -> None:
    di = DEFAULT_TABLE["DI"]
    today = dt.date(2030, 1, 1)
    laid = (today - dt.timedelta(days=round(15 * 365.25))).isoformat()
    assert roughness_for("DI", laid, "H-W", DEFAULT_TABLE, today) == pytest.approx(
        di.c_new - (di.c_new - di.c_old) * 15 / di.old_age_years, abs=0.01)
    assert roughness_for("DI", "1950-01-01", "H-W", DEFAULT_TABLE, today) == di.c_old
    assert roughness_for("HDPE", None, "D-W", DEFAULT_TABLE, today) == DEFAULT_TABLE["HDPE"].dw_mm


def test_roughness_table_can_be_edited(tmp_path, village) -> None:
    table = tmp_path / "c.csv"
    table.write_text("material,c_new,c_old,old_age_years,dw_mm,cm_n\nHDPE,101,101,30,0.1,0.01\n")
    wn, report = build_model(village, SCHEME, params={"roughness_table": str(table)})
    assert report.roughness_from_table == 6
    assert {wn.get_link(n).roughness for n in wn.pipe_name_list} == {101.0}


def test_tank_on_a_junction_takes_its_place_and_pump_fills_it(tmp_path) -> None:
    # a borewell with a pump at the source point, the tank standing on junction A
    path = pumped_village_registry(str(tmp_path / "r.gpkg"), head=40.0, capacity_kl=50.0, init_level=2.0,
                                   flow_lps=3.0)
    wn, report = build_model(path, SCHEME)
    assert report.merged == {"VIL-A": "VIL-OHT"}
    assert wn.get_link("VIL-P2").start_node_name == "VIL-OHT" and wn.get_link("VIL-P1").end_node_name == "VIL-OHT"
    tank = wn.get_node("VIL-OHT")
    assert tank.elevation == 62.0 and tank.diameter == pytest.approx(math.sqrt(4 * 50 / (math.pi * 2.5)))
    pump = wn.get_link("VIL-PMP")
    assert (pump.start_node_name, pump.end_node_name) == ("VIL-SRC", "VIL-S")
    assert wn.get_curve(pump.pump_curve_name).points == [(0.003, 30.0)]
    assert {"VIL-PMP on", "VIL-PMP off"} <= set(wn.control_name_list)


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_a_pressure_reducing_valve_splits_its_pipe(tmp_path) -> None:
    valves = gpd.GeoDataFrame([{"valve_id": "VIL-PRV", "scheme_id": SCHEME, "valve_type": "prv", "setting": 10.0,
                                "pipe_id": "VIL-P2", "normal_status": "open", "diameter_mm": 100.0,
                                "elevation_m": 50.0, "status": "in_service"}], geometry=[xy("A", 40, 0)], crs=32646)
    path = village_registry(str(tmp_path / "r.gpkg"), valves=valves)
    wn, report = build_model(path, SCHEME)
    assert wn.get_link("VIL-PRV").valve_type == "PRV"
    assert wn.get_link("VIL-P2").length == pytest.approx(40.0) and wn.get_link("VIL-P2~2").length == pytest.approx(60)
    result = scenarios.run_scenario(path, SCHEME, "peak_hour")[0]
    nodes = result.nodes.set_index("model_id")
    assert nodes.loc["VIL-PRV~d", "pressure_peak_m"] == pytest.approx(10.0, abs=0.05)
    assert nodes.loc["VIL-B", "pressure_peak_m"] < 11.0 < nodes.loc["VIL-A", "pressure_peak_m"]


@pytest.mark.parametrize("change, message", [
    ({"pipes": lambda f: f.assign(diameter_mm=[150.0, None, 90.0, 90.0, 75.0, 63.0])},
     r"pipe VIL-P2 has no diameter_mm"),
    ({"sources": lambda f: f.assign(head_m=[None])}, r"source VIL-SRC has no head_m"),
    ({"pipes": lambda f: f.assign(to_node=["VIL-A", "VIL-B", "VIL-C", "VIL-D", "VIL-E", "VIL-X"])},
     r"pipe VIL-P6 ends at node VIL-X, which is not"),
    ({"pipes": lambda f: f.assign(from_node=None, to_node=None,
                                  geometry=[LineString([xy("SRC"), xy("A")]), LineString([xy("A"), xy("B", 0, 7)])]
                                  + list(f.geometry[2:]))},
     r"pipe VIL-P2: its end at .* is 7\.00 m from the nearest node"),
    ({"pipes": lambda f: f[f["pipe_id"] != "VIL-P1"]}, r"5 node\(s\) are not connected to any source or tank"),
    ({"pipes": lambda f: f.assign(geometry=list(f.geometry[:2]) + [LineString()] + list(f.geometry[3:]))},
     r"pipe VIL-P3 has an empty geometry"),
])
def test_bad_input_is_refused_naming_the_asset_before_any_simulation(tmp_path, monkeypatch, change, message) -> None:
    import wntr

    def no_run(*args, **kwargs):
        raise AssertionError("a simulation was started on an invalid model")

    monkeypatch.setattr(wntr.sim.EpanetSimulator, "run_sim", no_run)
    path = village_registry(str(tmp_path / "r.gpkg"), **change)
    with pytest.raises(InputError, match=message):
        scenarios.run_scenario(path, SCHEME, "peak_hour")


def test_a_node_without_a_point_is_refused_by_name(village) -> None:
    # the registry refuses features without geometry, but a layer edited in QGIS directly can have one
    from jalnet.hydraulics.build import build_from_data, load_schemes
    from jalnet.registry import open_registry

    with open_registry(village, readonly=True) as reg:
        data = load_schemes(reg, [SCHEME])[SCHEME]
    junctions = data.layers["junctions"]
    data.layers["junctions"] = junctions.set_geometry([Point()] + list(junctions.geometry[1:]), crs=junctions.crs)
    with pytest.raises(InputError, match=f"junctions {junctions['node_id'].iloc[0]} has no point geometry"):
        build_from_data(data)


def test_tank_without_levels_and_pump_without_curve_are_refused(tmp_path) -> None:
    base = village_layers()
    tanks = gpd.GeoDataFrame([{"tank_id": "VIL-T", "scheme_id": SCHEME, "tank_type": "GSR", "capacity_kl": 50.0,
                               "ground_elev_m": 60.0, "status": "in_service"}], geometry=[xy("E", 50, 0)], crs=32646)
    pipes = base["pipes"]
    link = gpd.GeoDataFrame([{"pipe_id": "VIL-P7", "scheme_id": SCHEME, "diameter_mm": 90.0, "from_node": "VIL-E",
                              "to_node": "VIL-T"}], geometry=[LineString([xy("E"), xy("E", 50, 0)])], crs=32646)
    path = village_registry(str(tmp_path / "t.gpkg"), tanks=tanks, pipes=gpd.GeoDataFrame(pd_concat([pipes, link]),
                                                                                           crs=32646))
    with pytest.raises(InputError, match=r"tank VIL-T has no min_level_m/max_level_m"):
        build_model(path, SCHEME)
    pumps = gpd.GeoDataFrame([{"pump_id": "VIL-PMP", "scheme_id": SCHEME, "source_id": "VIL-SRC",
                               "status": "in_service"}], geometry=[xy("SRC")], crs=32646)
    path = village_registry(str(tmp_path / "p.gpkg"), pumps=pumps)
    with pytest.raises(InputError, match=r"pump VIL-PMP has no curve, no design point"):
        build_model(path, SCHEME)


def test_unknown_parameters_are_refused(village) -> None:
    with pytest.raises(InputError, match=r"unknown model parameter\(s\) lpdc"):
        build_model(village, SCHEME, params={"lpdc": 70})
    with pytest.raises(InputError, match=r"supply_hours=30"):
        build_model(village, SCHEME, params={"supply_hours": 30})


def test_taps_count_matches_the_layer(village) -> None:
    _, report = build_model(village, SCHEME)
    assert report.households == sum(TAPS.values())
    assert report.persons == 5 * sum(TAPS.values())

"""Scenarios: peak hour, criticality ranked by households, chlorine at the taps, outages, results files."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

pytest.importorskip("wntr")

from hydraulics_nets import (  # noqa: E402
    SCHEME,
    TAPS,
    pumped_village_registry,
    village_layers,
    village_registry,
    write_layers,
    xy,
)

from jalnet.errors import InputError  # noqa: E402
from jalnet.hydraulics import scenarios  # noqa: E402
from jalnet.hydraulics.results import combine, map_layers, write_results  # noqa: E402
from jalnet.registry import create_registry, open_registry  # noqa: E402

START = "2025-01-01T00:00"


@pytest.fixture
def village(tmp_path) -> str:
    return village_registry(str(tmp_path / "village.gpkg"))


def test_peak_hour_draws_the_peak_demand(village) -> None:
    (result,) = scenarios.run_scenario(village, SCHEME, "peak_hour", start=START)
    households = sum(TAPS.values())
    expected = households * 5 * 55 / 86400 * 3.0  # CPHEEO peak factor 3 for continuous supply
    assert result.summary["demand_peak_lps"] == pytest.approx(expected, rel=1e-5)
    assert result.summary["households"] == households and result.summary["households_inadequate"] == 0
    nodes = result.nodes.set_index("node_id")
    # static head 70 m less little friction over ground at about 50 m
    assert 19.0 < nodes.loc["VIL-B", "pressure_peak_m"] < 20.01
    assert "pressure_s" not in result.nodes.columns and "steps" not in result.links.columns  # steady: no series


def test_criticality_ranks_elements_by_households_cut_off(village) -> None:
    (result,) = scenarios.run_scenario(village, SCHEME, "criticality", start=START)
    crit = result.criticality
    got = {(r.element_type, r.element_id): r.households_cut_off for r in crit.itertuples()}
    # by hand: P1 feeds everything (15 households); P2 feeds B..E (2+3+4+5); the loop B-C-E-D keeps C, D and E
    # fed when P3, P4, P5 or P6 is closed. Valves V1 (P2 at A) and V2/V3 (P4/P3 at B) make two closable
    # segments: {P2, B} cuts B and all behind it (14); {P3, P4, P5, P6, C, D, E} cuts C, D, E (12).
    assert got[("pipe", "VIL-P1")] == 15 and got[("pipe", "VIL-P2")] == 14
    assert all(got[("pipe", f"VIL-P{k}")] == 0 for k in (3, 4, 5, 6))
    segments = {r.pipes: r.households_cut_off for r in crit.itertuples() if r.element_type == "segment"}
    assert segments == {"VIL-P2": 14, "VIL-P3,VIL-P4,VIL-P5,VIL-P6": 12}
    ranked = crit.sort_values("rank")
    assert list(ranked["households_cut_off"]) == sorted(ranked["households_cut_off"], reverse=True)
    assert ranked.iloc[0]["element_id"] == "VIL-P1" and ranked.iloc[0]["rank"] == 1
    assert ranked.iloc[0]["persons_cut_off"] == 75
    p2 = crit.set_index("element_id").loc["VIL-P2"]
    assert p2["fhtc_ids"].split(",") == sorted(f"VIL-F{n}{k}" for n in "BCDE" for k in range(TAPS[n]))
    seg = crit[(crit["pipes"] == "VIL-P2") & (crit["element_type"] == "segment")].iloc[0]
    assert seg["valves_to_close"] == "VIL-V1,VIL-V2,VIL-V3"
    assert result.summary["most_critical"] == "pipe VIL-P1"


def _chlorine_net(path: str) -> str:
    """R -> P1 (100 m) -> A (0.5 l/s) -> P2 (1834 m, 100 mm) -> B (0.2 l/s), constant demands."""
    layers = village_layers()
    crs = 32646
    junctions = layers["junctions"][layers["junctions"]["node_id"].isin(["VIL-A", "VIL-B"])].copy()
    junctions["geometry"] = [xy("A"), Point(xy("A").x + 1834.0, xy("A").y)]
    junctions["elevation_m"] = 50.0
    pipes = gpd.GeoDataFrame(
        [{"pipe_id": "VIL-P1", "scheme_id": SCHEME, "diameter_mm": 100.0, "roughness": 140.0, "from_node": "VIL-SRC",
          "to_node": "VIL-A"},
         {"pipe_id": "VIL-P2", "scheme_id": SCHEME, "diameter_mm": 100.0, "roughness": 140.0, "from_node": "VIL-A",
          "to_node": "VIL-B"}],
        geometry=[LineString([xy("SRC"), xy("A")]), LineString([xy("A"), junctions.geometry.iloc[1]])], crs=crs)
    demand = {"VIL-A": 0.5e-3, "VIL-B": 0.2e-3}
    elements = pd.DataFrame([{"element_key": f"junctions/{n}", "scheme_id": SCHEME, "layer": "junctions",
                              "asset_id": n, "properties": json.dumps({"demand_timeseries_list": [
                                  {"base_val": q, "pattern_name": None, "category": None}]})}
                             for n, q in demand.items()])
    layers.update(junctions=junctions, pipes=pipes, hyd_elements=elements, valves=None, fhtc=None)
    with create_registry(path, "EPSG:32646") as reg:
        write_layers(reg, layers)
    return path


def test_chlorine_below_the_norm_is_found_where_the_water_is_old(tmp_path) -> None:
    path = _chlorine_net(str(tmp_path / "cl.gpkg"))
    with open_registry(path) as reg:
        scenarios.save_scenario(reg, SCHEME, "chlorine", "chlorine",
                                {"duration_h": 72, "dose_mg_l": 1.0, "bulk_per_day": -3.0, "wall_m_per_day": 0.0})
    (result,) = scenarios.run_scenario(path, SCHEME, "chlorine", start=START)
    nodes = result.nodes.set_index("node_id")
    # plug flow: travel time = pipe volume / flow; first-order decay exp(kb * t)
    area = math.pi / 4 * 0.1**2
    t_a = 100 * area / 0.7e-3 / 86400
    t_b = t_a + 1834 * area / 0.2e-3 / 86400
    assert nodes.loc["VIL-A", "chlorine_min_mg_l"] == pytest.approx(math.exp(-3 * t_a), abs=0.01)
    assert nodes.loc["VIL-B", "chlorine_min_mg_l"] == pytest.approx(math.exp(-3 * t_b), abs=0.01)
    low = result.findings[result.findings["rule"] == "low_chlorine"]
    assert list(low["asset_id"]) == ["VIL-B"] and low.iloc[0]["limit"] == 0.2
    assert result.summary["chlorine_min_mg_l"] == pytest.approx(math.exp(-3 * t_b), abs=0.01)


def test_pump_outage_drains_the_tank_and_cuts_households_off(tmp_path) -> None:
    path = pumped_village_registry(str(tmp_path / "r.gpkg"), head=45.0, capacity_kl=5.0, init_level=1.5,
                                   flow_lps=2.0)
    (base,) = scenarios.run_scenario(path, SCHEME, "eps_24h", start=START)
    assert base.summary["households_inadequate"] == 0 and base.summary["tanks_drained"] == 0
    (out,) = scenarios.run_scenario(path, SCHEME, "pump_outage", start=START)
    crit = out.criticality
    assert list(crit["element_id"]) == ["VIL-PMP"]
    assert crit.iloc[0]["households_cut_off"] == sum(TAPS.values())
    drained = out.findings[out.findings["rule"] == "tank_drains"]
    assert list(drained["asset_id"]) == ["VIL-OHT"] and drained.iloc[0]["time"] > pd.Timestamp(START)
    # where the tank is empty the village is cut off: no pressure is made up for those hours
    assert out.nodes.set_index("node_id").loc["VIL-E", "cut_off_steps"] > 0
    assert out.nodes["steps"].eq(len(out.nodes.iloc[0]["pressure_s"].split(","))).all()


def test_cut_off_nodes_get_no_pressure(village) -> None:
    (result,) = scenarios.run_scenario(village, SCHEME, "peak_hour", params={}, start=START)
    assert result.nodes["pressure_peak_m"].notna().all()
    with open_registry(village) as reg:
        scenarios.save_scenario(reg, SCHEME, "p2_closed", "peak_hour", {"closed": ["VIL-P2"]})
    (result,) = scenarios.run_scenario(village, SCHEME, "p2_closed", start=START)
    nodes = result.nodes.set_index("node_id")
    assert np.isnan(nodes.loc[["VIL-B", "VIL-C", "VIL-D", "VIL-E"], "pressure_peak_m"]).all()
    assert nodes.loc["VIL-A", "pressure_peak_m"] > 19
    cut = result.findings[result.findings["rule"] == "disconnected"]
    assert sorted(cut["asset_id"]) == ["VIL-B", "VIL-C", "VIL-D", "VIL-E"]
    hh = result.households.set_index("fhtc_id")
    assert not hh.loc["VIL-FB0", "adequate"] and hh.loc["VIL-FA0", "adequate"]
    assert result.summary["households_inadequate"] == 14


def test_scenarios_are_stored_with_their_parameters(village) -> None:
    with open_registry(village) as reg:
        scenarios.store_standard(reg, SCHEME)
        scenarios.save_scenario(reg, SCHEME, "growth", "design_year", {"growth_factor": 2.5, "lpcd": 70})
        assert reg.count("hyd_scenarios") == len(scenarios.STANDARD) + 1
        with pytest.raises(InputError, match=r"unknown parameter\(s\) grwth"):
            scenarios.save_scenario(reg, SCHEME, "bad", "design_year", {"grwth": 2})
        with pytest.raises(InputError, match=r"kind 'flood' unknown"):
            scenarios.save_scenario(reg, SCHEME, "bad", "flood", {})
    listed = {s.name: s for s in scenarios.list_scenarios(village, SCHEME)}
    assert listed["growth"].parameters == {"growth_factor": 2.5, "lpcd": 70} and listed["growth"].stored
    (result,) = scenarios.run_scenario(village, SCHEME, "growth", start=START)
    expected = sum(TAPS.values()) * 5 * 70 / 86400 * 3.0 * 2.5
    assert result.summary["demand_peak_lps"] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(InputError, match=r"has no scenario 'nope'"):
        scenarios.run_scenario(village, SCHEME, "nope")
    with open_registry(village) as reg:
        scenarios.delete_scenario(reg, SCHEME, "growth")
        assert reg.count("hyd_scenarios") == len(scenarios.STANDARD)


def test_design_year_uses_the_design_population(village) -> None:
    (result,) = scenarios.run_scenario(village, SCHEME, "design_year", start=START)
    # design population 150 over 75 persons served: twice the demand
    assert result.summary["demand_peak_lps"] == pytest.approx(150 * 55 / 86400 * 3.0, rel=1e-5)


def test_results_are_the_same_written_through_arrow_or_row_by_row(village, tmp_path, monkeypatch) -> None:
    pytest.importorskip("pyarrow")
    from jalnet import outputs

    layers = combine(scenarios.run_scenario(village, SCHEME, ["peak_hour", "eps_24h"], start=START), [])
    written = {}
    for arrow in (True, False):
        monkeypatch.setattr(outputs, "arrow_write", lambda arrow=arrow: arrow)
        written[arrow] = write_results(layers, tmp_path / f"arrow_{arrow}.gpkg")
    names = [name for name, _ in pyogrio.list_layers(written[True])]
    assert names == [name for name, _ in pyogrio.list_layers(written[False])]
    assert {"nodes", "links", "findings", "households", "comparison"} <= set(names)
    for name in names:
        a, b = (pyogrio.read_info(written[arrow], layer=name) for arrow in (True, False))
        assert list(a["fields"]) == list(b["fields"]) and list(a["dtypes"]) == list(b["dtypes"]), name
        assert a["features"] == b["features"] == len(layers[name]) and a["geometry_type"] == b["geometry_type"], name
        pd.testing.assert_frame_equal(pyogrio.read_dataframe(written[True], layer=name),
                                      pyogrio.read_dataframe(written[False], layer=name), obj=name)


def test_results_file_has_styled_layers_and_time_series(village, tmp_path) -> None:
    results = scenarios.run_scenario(village, SCHEME, ["peak_hour", "eps_24h"], start=START)
    out = tmp_path / "res.gpkg"
    write_results(combine(results, [{"scheme_id": "X", "scenario": "peak_hour", "error": "boom"}]), out)
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"nodes", "links", "findings", "households", "comparison", "failures"} <= layers
    nodes = pyogrio.read_dataframe(out, layer="nodes")
    assert nodes.query("scenario == 'peak_hour'")[["pressure_s", "steps", "t_start"]].isna().all().all()
    row = nodes.query("scenario == 'eps_24h' and node_id == 'VIL-E'").iloc[0]
    series = [float(v) for v in row["pressure_s"].split(",")]
    assert len(series) == row["steps"] == 25 and row["step_s"] == 3600
    start = pd.Timestamp(START, tz="UTC")
    assert row["t_start"] == start and row["t_end"] == start + pd.Timedelta(hours=25)
    assert min(series) == pytest.approx(row["pressure_min_m"], abs=0.01)
    links = pyogrio.read_dataframe(out, layer="links").query("scenario == 'eps_24h'")
    flows = np.array([[float(v) for v in text.split(",")] for text in links["flow_s"]])
    assert flows.shape == (len(links), 25)
    assert np.abs(flows).max(axis=1) == pytest.approx(links["flow_max_lps"].to_numpy(), abs=0.001)
    over_time = [title for _, title, _ in map_layers(out, SCHEME, "eps_24h")]
    assert "Pressure over time (m) [eps_24h]" in over_time and "Velocity over time (m/s) [eps_24h]" in over_time
    assert not any("over time" in title for _, title, _ in map_layers(out, SCHEME, "peak_hour"))
    comparison = pyogrio.read_dataframe(out, layer="comparison")
    assert list(comparison["scenario"]) == ["peak_hour", "eps_24h"]
    assert pyogrio.read_dataframe(out, layer="failures")["error"].tolist() == ["boom"]
    assert pyogrio.read_info(out, layer="links")["geometry_type"] == "LineString"
    households = pyogrio.read_dataframe(out, layer="households")
    assert "household_head" not in households.columns and "phone" not in households.columns

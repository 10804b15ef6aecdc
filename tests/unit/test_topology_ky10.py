"""Validation on a real network: the Kentucky KY10 EPANET model (tests/data/ky10.inp, from the WNTR 1.5.0 wheel).

The expected findings are worked out here independently, from the model's own link
topology (which nodes each pipe, pump and valve joins) rather than from geometry.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from jalnet.topology import NetworkData, validate_network

wntr = pytest.importorskip("wntr")

INP = Path(__file__).resolve().parents[1] / "data" / "ky10.inp"
FT = 0.3048  # the model's coordinates are in feet
CRS = "EPSG:3088"  # NAD83 / Kentucky Single Zone, metres


@pytest.fixture(scope="module")
def model():
    wn = wntr.network.WaterNetworkModel(str(INP))
    return wn, wn.to_gis()  # wntr 1.3: the pipes with their [VERTICES]


def metres(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.transform(frame.geometry.values, lambda c: c * FT)


@pytest.fixture(scope="module")
def result(model):
    _, g = model
    pipes = gpd.GeoDataFrame({
        "pipe_id": g.pipes.index, "scheme_id": "KY10", "diameter_mm": (g.pipes["diameter"] * 1000).round(1),
        "length_m": g.pipes["length"].round(2), "status": "in_service",
        "from_node": g.pipes["start_node_name"], "to_node": g.pipes["end_node_name"]}, geometry=metres(g.pipes), crs=CRS)
    junctions = gpd.GeoDataFrame({"node_id": g.junctions.index, "scheme_id": "KY10", "node_type": "junction"},
                                 geometry=metres(g.junctions), crs=CRS)
    tanks = gpd.GeoDataFrame({"tank_id": g.tanks.index, "scheme_id": "KY10", "tank_type": "GSR"},
                             geometry=metres(g.tanks), crs=CRS)
    sources = gpd.GeoDataFrame({"source_id": g.reservoirs.index, "scheme_id": "KY10", "source_type": "surface_intake"},
                               geometry=metres(g.reservoirs), crs=CRS)
    # pumps and valves are links between two nodes at one place: a point asset there
    pumps = gpd.GeoDataFrame({"pump_id": g.pumps.index, "scheme_id": "KY10", "pump_type": "booster"},
                             geometry=shapely.get_point(metres(g.pumps), 0), crs=CRS)
    valves = gpd.GeoDataFrame({"valve_id": g.valves.index, "scheme_id": "KY10", "valve_type": "prv"},
                              geometry=shapely.get_point(metres(g.valves), 0), crs=CRS)
    schemes = pd.DataFrame({"scheme_id": ["KY10"], "name": ["Kentucky KY10"], "division": ["KY"]})
    data = NetworkData(CRS, {"pipes": pipes, "junctions": junctions, "tanks": tanks, "sources": sources,
                             "pumps": pumps, "valves": valves, "schemes": schemes})
    return validate_network(data), pipes


def by_rule(found: pd.DataFrame, code: str) -> pd.DataFrame:
    return found[found["rule"] == code]


def test_model_is_what_we_think(model) -> None:
    wn, g = model
    assert len(g.pipes) == 1043 and len(g.tanks) == 13 and len(g.reservoirs) == 2
    assert len(g.pumps) == 13 and len(g.valves) == 5


def test_connected_parts_match_the_model_topology(model, result) -> None:
    wn, _ = model
    found, _ = result
    g = nx.Graph()
    for name in wn.link_name_list:
        link = wn.get_link(name)
        g.add_edge(link.start_node_name, link.end_node_name)
    parts = list(nx.connected_components(g))
    supplied = [p for p in parts if p & set(wn.tank_name_list + wn.reservoir_name_list)]
    assert len(by_rule(found.findings, "NET-030")) == len(parts) - 1
    assert len(by_rule(found.findings, "NET-031")) == (0 if len(supplied) == len(parts) else 1)


def test_loose_ends_are_the_model_dead_ends(model, result) -> None:
    wn, _ = model
    found, _ = result
    degree: dict[str, int] = {}
    for name in wn.link_name_list:
        link = wn.get_link(name)
        for n in (link.start_node_name, link.end_node_name):
            degree[n] = degree.get(n, 0) + 1
    expected = set()
    for name in wn.pipe_name_list:
        pipe = wn.get_link(name)
        for node, where in ((pipe.start_node_name, "start"), (pipe.end_node_name, "end")):
            if degree[node] == 1 and node in wn.junction_name_list:
                expected.add((name, where))
    loose = found.findings[found.findings["rule"].isin(["NET-020", "NET-021", "NET-022"])]
    got = {(ids.split(", ")[0], msg.split(" of ")[0]) for ids, msg in zip(loose["asset_ids"], loose["message"])}
    assert len(expected) > 200
    assert got == expected
    # two of the dead ends lie within a few metres of another pipe: near misses worth a look
    assert len(by_rule(found.findings, "NET-022")) == 2


def test_node_references_match_the_geometry(result) -> None:
    found, _ = result
    assert by_rule(found.findings, "NET-024").empty  # the model's from/to nodes are where its pipes start and end


def test_every_geos_crossing_is_reported(result) -> None:
    found, pipes = result
    geoms = pipes.geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    crossing = shapely.relate_pattern(geoms[i], geoms[j], "0********")
    expected = {tuple(sorted((pipes["pipe_id"].iloc[a], pipes["pipe_id"].iloc[b]))) for a, b in
                zip(i[crossing], j[crossing])}
    reported = found.findings[found.findings["rule"].isin(["NET-011", "NET-012"])]
    got = {tuple(sorted(ids.split(", "))) for ids in reported["asset_ids"]}
    assert expected <= got
    for a, b in got:  # and nothing reported that does not touch
        assert shapely.intersects(pipes.set_index("pipe_id").geometry[a], pipes.set_index("pipe_id").geometry[b])


def test_attribute_rules_on_the_model(result) -> None:
    found, pipes = result
    assert len(by_rule(found.findings, "NET-041")) == len(pipes)  # EPANET models carry no material
    assert by_rule(found.findings, "NET-040").empty
    drawn = shapely.length(pipes.geometry.values)
    diff = np.abs(pipes["length_m"].to_numpy() - drawn)
    mismatch = (diff > 0.05 * drawn) & (diff > 5.0)
    assert len(by_rule(found.findings, "NET-046")) == int(mismatch.sum())
    grows = by_rule(found.findings, "NET-044")
    assert 0 < len(grows) < len(pipes) / 5

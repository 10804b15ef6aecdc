"""Small hand-built networks for the topology tests.

The base network is a correct little scheme "S1" in metres (EPSG:32646):

    T1/J1 (0,0) ==P1 160 mm== J2 (100,0) --P2 110 mm-- J3 (200,0) end cap
                               |
                               P3 90 mm
                               |
                              J4 (100,100) end cap

with a village around it and one tap connection 10 m from P2. Each test changes one
thing in it and checks that exactly the rule concerned reacts.
"""

from __future__ import annotations

import copy
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, Polygon

from jalnet.topology import NetworkData

CRS = "EPSG:32646"


def base() -> dict[str, list[dict[str, Any]]]:
    pipe = {"scheme_id": "S1", "material": "HDPE", "pressure_class": "PN6", "pipe_function": "distribution",
            "status": "in_service", "contractor": "A", "laid_date": "2022-01-01"}
    return {
        "schemes": [{"scheme_id": "S1", "name": "Scheme one", "division": "Div A", "district": "D"}],
        "villages": [{"village_id": "V1", "name": "V one", "scheme_id": "S1",
                      "geometry": Polygon([(-50, -50), (250, -50), (250, 150), (-50, 150)])}],
        "tanks": [{"tank_id": "T1", "scheme_id": "S1", "tank_type": "OHT", "geometry": Point(0, 0)}],
        "pipes": [
            {**pipe, "pipe_id": "P1", "diameter_mm": 160.0, "from_node": "J1", "to_node": "J2", "length_m": 101.0,
             "geometry": LineString([(0, 0), (50, 0), (100, 0)])},
            {**pipe, "pipe_id": "P2", "diameter_mm": 110.0, "from_node": "J2", "to_node": "J3", "length_m": 99.0,
             "geometry": LineString([(100, 0), (200, 0)])},
            {**pipe, "pipe_id": "P3", "diameter_mm": 90.0, "from_node": "J2", "to_node": "J4", "length_m": 100.0,
             "geometry": LineString([(100, 0), (100, 100)])},
        ],
        "junctions": [
            {"node_id": "J1", "scheme_id": "S1", "node_type": "junction", "geometry": Point(0, 0)},
            {"node_id": "J2", "scheme_id": "S1", "node_type": "junction", "geometry": Point(100, 0)},
            {"node_id": "J3", "scheme_id": "S1", "node_type": "end_cap", "geometry": Point(200, 0)},
            {"node_id": "J4", "scheme_id": "S1", "node_type": "end_cap", "geometry": Point(100, 100)},
        ],
        "fhtc": [{"fhtc_id": "F1", "scheme_id": "S1", "pipe_id": "P2", "geometry": Point(150, 10)}],
    }


def variant(**changes: Any) -> dict[str, list[dict[str, Any]]]:
    """The base network with some layers replaced."""
    layers = copy.deepcopy(base())
    layers.update(copy.deepcopy(changes))
    return layers


def pipe(layers: dict[str, list[dict[str, Any]]], pipe_id: str) -> dict[str, Any]:
    return next(p for p in layers["pipes"] if p["pipe_id"] == pipe_id)


def data(layers: dict[str, list[dict[str, Any]]]) -> NetworkData:
    frames: dict[str, pd.DataFrame] = {}
    for name, rows in layers.items():
        if name == "schemes":
            frames[name] = pd.DataFrame(rows)
        elif rows:
            frames[name] = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)
    return NetworkData(CRS, frames)


def split_pipe(layers: dict[str, list[dict[str, Any]]], pipe_id: str, at: tuple[float, float], new_id: str,
               node_id: str, node_type: str = "junction") -> None:
    """Split a straight two-point pipe of *layers* at *at*, adding a junction there."""
    p = pipe(layers, pipe_id)
    start, end = p["geometry"].coords[0], p["geometry"].coords[-1]
    second = {**p, "pipe_id": new_id, "from_node": node_id, "geometry": LineString([at, end])}
    p["geometry"], p["to_node"] = LineString([start, at]), node_id
    p["length_m"] = second["length_m"] = None
    layers["pipes"].append(second)
    layers["junctions"].append({"node_id": node_id, "scheme_id": p["scheme_id"], "node_type": node_type,
                                "geometry": Point(at)})


def make_registry(path: str, layers: dict[str, list[dict[str, Any]]]) -> str:
    """A GeoPackage registry holding *layers* (loaded in one batch); returns its path."""
    from jalnet.registry import create_registry

    with create_registry(path, crs=CRS) as reg, reg.batch("test", "network") as b:
        for name in ("schemes", "villages", "tanks", "sources", "pipes", "junctions", "valves", "fhtc"):
            rows = layers.get(name) or []
            if not rows:
                continue
            frame = pd.DataFrame(rows) if name == "schemes" else gpd.GeoDataFrame(pd.DataFrame(rows),
                                                                                   geometry="geometry", crs=CRS)
            b.insert(name, frame)
    return path


def stage(path: str, lines: list[dict[str, Any]], batch: str = "IMP-1") -> None:
    """Staged pipe candidates as import would leave them (state 'staged')."""
    from jalnet.registry import open_registry

    rows = []
    for i, line in enumerate(lines, 1):
        row = {"candidate_id": f"{batch}-L{i:04d}", "import_batch": batch, "source_file": "walk.gpx",
               "source_ref": f"trk {i}", "geom_source": "gps_track", "state": "staged", "material": "HDPE",
               "diameter_mm": 63.0}
        row.update(line)
        rows.append(row)
    with open_registry(path) as reg, reg.batch("test", "stage") as b:
        b.insert("staged_pipes", gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS))

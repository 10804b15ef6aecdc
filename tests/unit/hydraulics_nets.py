"""Small hand-made schemes for the hydraulics tests, written into a registry.

The village (``village``): a source at head 70 m feeding junctions A..E at about 50 m
through pipes P1..P6, with a loop B-C-E-D-B closed by P6, isolation valves V1 (on P2 at A)
and V3/V2 (on P3 and P4 at B), and 1..5 household taps at A..E (5 persons each)::

    SRC --P1-- A --P2-- B --P3-- C
                        |        |
                        P4       P6
                        |        |
                        D --P5-- E
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point

from jalnet.registry import Registry, create_registry

X0, Y0 = 500_000.0, 2_930_000.0
SCHEME = "VIL"
NODES = {"SRC": (0, 0), "A": (100, 0), "B": (200, 0), "C": (300, 0), "D": (200, -100), "E": (300, -100)}
ELEV = {"A": 50.0, "B": 50.0, "C": 49.5, "D": 50.5, "E": 50.0}
PIPES = [("P1", "SRC", "A", 150.0), ("P2", "A", "B", 110.0), ("P3", "B", "C", 90.0), ("P4", "B", "D", 90.0),
         ("P5", "D", "E", 75.0), ("P6", "C", "E", 63.0)]
TAPS = {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}


def xy(name: str, dx: float = 0.0, dy: float = 0.0) -> Point:
    x, y = NODES[name]
    return Point(X0 + x + dx, Y0 + y + dy)


def village_layers(scheme: str = SCHEME, head: float = 70.0) -> dict[str, Any]:
    crs = 32646
    junctions = gpd.GeoDataFrame(
        {"node_id": [f"{scheme}-{n}" for n in ELEV], "scheme_id": scheme, "node_type": "junction",
         "elevation_m": list(ELEV.values())},
        geometry=[xy(n) for n in ELEV], crs=crs)
    sources = gpd.GeoDataFrame({"source_id": [f"{scheme}-SRC"], "scheme_id": scheme, "source_type": "spring",
                                "head_m": [head], "status": "in_service"}, geometry=[xy("SRC")], crs=crs)
    rows, geoms = [], []
    for pid, a, b, dia in PIPES:
        rows.append({"pipe_id": f"{scheme}-{pid}", "scheme_id": scheme, "material": "HDPE", "diameter_mm": dia,
                     "from_node": f"{scheme}-{a}", "to_node": f"{scheme}-{b}", "laid_date": "2022-01-01",
                     "status": "in_service", "geom_source": "survey",
                     "pipe_function": "gravity_main" if pid == "P1" else "distribution"})
        geoms.append(LineString([xy(a), xy(b)]))
    pipes = gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)
    valves = gpd.GeoDataFrame(
        {"valve_id": [f"{scheme}-V1", f"{scheme}-V2", f"{scheme}-V3"], "scheme_id": scheme, "valve_type": "sluice",
         "normal_status": "open", "pipe_id": [f"{scheme}-P2", f"{scheme}-P4", f"{scheme}-P3"],
         "status": "in_service"},
        geometry=[xy("A", 5, 0), xy("B", 0, -5), xy("B", 5, 0)], crs=crs)
    taps, pts = [], []
    for node, n in TAPS.items():
        for k in range(n):
            taps.append({"fhtc_id": f"{scheme}-F{node}{k}", "scheme_id": scheme, "persons": 5,
                         "status": "functional"})
            pts.append(xy(node, 3.0 + 2 * k, 10.0))
    fhtc = gpd.GeoDataFrame(taps, geometry=pts, crs=crs)
    schemes = pd.DataFrame([{"scheme_id": scheme, "name": "Test village", "lpcd": 55.0, "supply_hours": 24.0,
                             "design_population": 150}])
    return {"schemes": schemes, "sources": sources, "junctions": junctions, "pipes": pipes, "valves": valves,
            "fhtc": fhtc}


def write_layers(reg: Registry, layers: dict[str, Any]) -> None:
    with reg.batch("test", "test network") as b:
        for name in ("schemes", "sources", "tanks", "pumps", "junctions", "pipes", "valves", "fhtc", "hyd_elements",
                     "hyd_patterns", "hyd_models"):
            frame = layers.get(name)
            if frame is not None and len(frame):
                b.insert(name, frame)


def village_registry(path: str, **changes: Any) -> str:
    """A registry holding the village; *changes* replace layers (name -> frame or callable(frame))."""
    layers = village_layers()
    for name, change in changes.items():
        layers[name] = change(layers[name]) if callable(change) else change
    with create_registry(path, "EPSG:32646") as reg:
        write_layers(reg, layers)
    return path


def pumped_village_registry(path: str, head: float, capacity_kl: float, init_level: float, flow_lps: float) -> str:
    """The village fed by a borewell pump (at the source point, into junction VIL-S) filling an OHT on A."""
    layers = village_layers()
    crs = 32646
    sources = layers["sources"].assign(source_type="borewell", head_m=head)
    tanks = gpd.GeoDataFrame([{"tank_id": f"{SCHEME}-OHT", "scheme_id": SCHEME, "tank_type": "OHT",
                               "capacity_kl": capacity_kl, "ground_elev_m": 50.0, "staging_m": 12.0,
                               "min_level_m": 0.5, "max_level_m": 3.0, "init_level_m": init_level,
                               "status": "in_service"}], geometry=[xy("A")], crs=crs)
    pumps = gpd.GeoDataFrame([{"pump_id": f"{SCHEME}-PMP", "scheme_id": SCHEME, "design_flow_lps": flow_lps,
                               "design_head_m": 30.0, "source_id": f"{SCHEME}-SRC", "status": "in_service"}],
                             geometry=[xy("SRC")], crs=crs)
    start = gpd.GeoDataFrame([{"node_id": f"{SCHEME}-S", "scheme_id": SCHEME, "node_type": "junction",
                               "elevation_m": 48.0}], geometry=[xy("SRC")], crs=crs)
    junctions = gpd.GeoDataFrame(pd.concat([start, layers["junctions"]], ignore_index=True), crs=crs)
    pipes = layers["pipes"].copy()
    pipes.loc[pipes["pipe_id"] == f"{SCHEME}-P1", ["from_node", "pipe_function"]] = [f"{SCHEME}-S", "rising_main"]
    layers.update(sources=sources, tanks=tanks, pumps=pumps, junctions=junctions, pipes=pipes)
    with create_registry(path, "EPSG:32646") as reg:
        write_layers(reg, layers)
    return path

"""Build phase: junctions, sources (reservoirs) and tanks, with their elevations from the
layers or a DEM; a tank or source placed on a junction no pipe names stands in for it.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ..errors import InputError
from .build_state import BuildState
from .dem import sample_bilinear
from .roughness import is_missing
from .wntr_compat import apply_properties


def nodes(s: BuildState) -> None:
    J, T, S = s.layers["junctions"], s.layers["tanks"], s.layers["sources"]
    ids: dict[str, str] = {}
    for layer, key in _NODE_KEYS.items():
        for asset_id in s.layers[layer][key]:
            if asset_id in ids:
                raise InputError(f"node ID {asset_id} is used in both {ids[asset_id]} and {layer}; node IDs must "
                                 "be unique across junctions, tanks and sources within a scheme")
            ids[asset_id] = layer
    _elevations(s, J, T)
    referenced = set(s.layers["pipes"]["from_node"].dropna()) | set(s.layers["pipes"]["to_node"].dropna())
    pumped = set(s.layers["pumps"]["source_id"].dropna())
    for el in s.x.elements.values():
        if el.layer in ("pumps", "valves"):
            referenced |= {el.start_node, el.end_node}
    # tanks and sources placed on a junction, that no pipe names, stand in for that junction
    absorb: dict[int, str] = {}
    jxy = _xy(J, "junctions")
    for layer, frame in (("tanks", T), ("sources", S)):
        for asset_id, (x, y) in zip(frame[_NODE_KEYS[layer]], _xy(frame, layer).tolist()):
            if asset_id in referenced or len(J) == 0 or (layer == "sources" and asset_id in pumped):
                continue
            d = np.hypot(jxy[:, 0] - x, jxy[:, 1] - y)
            k = int(np.argmin(d))
            if d[k] <= s.p.snap_tolerance_m and k not in absorb:
                absorb[k] = s.model_name(layer, asset_id)
    elev = s.elev["junctions"]
    for k, (node_id, (x, y)) in enumerate(zip(J["node_id"], jxy.tolist())):
        if k in absorb:
            s.lookup[node_id] = absorb[k]
            s.report.merged[node_id] = absorb[k]
            continue
        name = s.model_name("junctions", node_id)
        s.add("node", name, s.wn.add_junction, name, base_demand=0.0, elevation=float(elev[node_id]),
                  coordinates=(x, y))
        node = s.wn.get_node(name)
        node.demand_timeseries_list.clear()
        props = s.props("junctions", node_id)
        if props:
            apply_properties(node, props, f"junction {node_id}", s.report.warnings)
        s.register_node(name, "junctions", node_id, x, y, "Junction")
    for row, xy in zip(S.itertuples(), _xy(S, "sources").tolist()):
        _add_reservoir(s, row, *xy)
    for row, xy in zip(T.itertuples(), _xy(T, "tanks").tolist()):
        _add_tank(s, row, *xy)


def _elevations(s: BuildState, J: gpd.GeoDataFrame, T: gpd.GeoDataFrame) -> None:
    """Elevation of every junction and tank floor, from the layer or the DEM."""
    s.elev: dict[str, dict[str, float]] = {"junctions": {}, "tanks": {}}
    need: list[tuple[str, str, float, float]] = []
    for layer, frame, key, col in (("junctions", J, "node_id", "elevation_m"), ("tanks", T, "tank_id",
                                                                                 "ground_elev_m")):
        for asset_id, value, (x, y) in zip(frame[key], frame[col], _xy(frame, layer).tolist()):
            if is_missing(value):
                value = s.props(layer, asset_id).get("elevation")
            if is_missing(value):
                need.append((layer, asset_id, x, y))
            else:
                s.elev[layer][asset_id] = float(value)
    if not need:
        return
    if s.dem is None:
        names = ", ".join(f"{layer} {a}" for layer, a, *_ in need[:5])
        raise InputError(f"{len(need)} node(s) have no elevation ({names}{'…' if len(need) > 5 else ''}); "
                         "fill elevation_m / ground_elev_m, or give a DEM to take them from (--dem; in QGIS, the "
                         "DEM field)")
    z = sample_bilinear(s.dem, np.array([n[2] for n in need]), np.array([n[3] for n in need]), s.data.crs)
    bad = [need[i] for i in np.flatnonzero(np.isnan(z))]
    if bad:
        names = ", ".join(f"{layer} {a} ({x:.1f}, {y:.1f})" for layer, a, x, y in bad[:5])
        raise InputError(f"DEM {s.dem} does not cover {len(bad)} node(s) without an elevation, or has nodata "
                         f"there: {names}; give a DEM that covers the scheme or fill their elevations")
    for (layer, asset_id, *_), value in zip(need, z):
        s.elev[layer][asset_id] = float(value)
        s.report.elevations_from_dem.append(f"{layer}/{asset_id}")


def _add_reservoir(s: BuildState, row: Any, x: float, y: float) -> None:
    props = s.props("sources", row.source_id)
    head = row.head_m if not is_missing(row.head_m) else props.get("base_head")
    if is_missing(head):
        raise InputError(
            f"source {row.source_id} has no head_m: give the hydraulic head the source supplies (m above MSL; "
            "for a borewell, ground elevation minus the pumping water level)"
        )
    name = s.model_name("sources", row.source_id)
    s.add("node", name, s.wn.add_reservoir, name, base_head=float(head),
              head_pattern=props.get("head_pattern_name"), coordinates=(x, y))
    node = s.wn.get_node(name)
    apply_properties(node, {k: v for k, v in props.items() if k not in ("base_head", "head_pattern_name")},
                     f"source {row.source_id}", s.report.warnings)
    s.register_node(name, "sources", row.source_id, x, y, "Reservoir")


def _add_tank(s: BuildState, row: Any, x: float, y: float) -> None:
    props = s.props("tanks", row.tank_id)
    label = f"tank {row.tank_id}"
    levels = {}
    for col, key in (("min_level_m", "min_level"), ("max_level_m", "max_level"), ("init_level_m", "init_level")):
        value = getattr(row, col)
        levels[key] = props.get(key) if is_missing(value) else float(value)
    if is_missing(levels["min_level"]) or is_missing(levels["max_level"]):
        raise InputError(f"{label} has no min_level_m/max_level_m; give the tank's operating levels above its "
                         "floor (m) before simulating")
    if levels["max_level"] <= levels["min_level"]:
        raise InputError(f"{label}: max_level_m {levels['max_level']} must be above min_level_m "
                         f"{levels['min_level']}")
    if is_missing(levels["init_level"]):
        levels["init_level"] = levels["max_level"]
        s.warn(f"{label} has no init_level_m; simulations start it full ({levels['max_level']} m)")
    staging = row.staging_m
    if is_missing(staging):
        if row.tank_type == "OHT":
            raise InputError(f"{label} is an overhead tank without staging_m (ground to tank floor, m); fill it")
        staging = 0.0
    elevation = s.elev["tanks"][row.tank_id] + float(staging)
    diameter = row.diameter_m if not is_missing(row.diameter_m) else props.get("diameter")
    vol_curve = props.get("vol_curve_name")
    if is_missing(diameter) or (not diameter and not vol_curve):
        if not is_missing(row.capacity_kl) and row.capacity_kl > 0:
            diameter = math.sqrt(4 * float(row.capacity_kl) / (math.pi * (levels["max_level"] - levels["min_level"])))
        elif vol_curve:
            diameter = 0.0
        else:
            raise InputError(f"{label} has neither diameter_m nor capacity_kl; give one")
    name = s.model_name("tanks", row.tank_id)
    s.add("node", name, s.wn.add_tank, name, elevation=elevation, init_level=levels["init_level"],
              min_level=levels["min_level"], max_level=levels["max_level"], diameter=float(diameter),
              min_vol=float(props.get("min_vol") or 0.0), vol_curve=vol_curve,
              overflow=bool(props.get("overflow", False)), coordinates=(x, y))
    node = s.wn.get_node(name)
    rest = {k: v for k, v in props.items() if k not in ("min_vol", "vol_curve_name", "overflow", "elevation",
                                                        "diameter", "min_level", "max_level", "init_level")}
    apply_properties(node, rest, label, s.report.warnings)
    s.register_node(name, "tanks", row.tank_id, x, y, "Tank")


_NODE_KEYS = {"junctions": "node_id", "tanks": "tank_id", "sources": "source_id"}


def _xy(frame: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    """(x, y) of a node layer's features, row for row (one array call: per-feature Point.x costs
    more than adding the node to the model); a feature without a point is refused by name."""
    geoms = np.asarray(frame.geometry.values)
    if not len(geoms):
        return np.zeros((0, 2))
    xy = np.full((len(geoms), 2), np.nan)
    coords, row = shapely.get_coordinates(geoms, return_index=True)  # none for a missing or empty point
    xy[row] = coords
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        raise InputError(f"{layer} {frame[_NODE_KEYS[layer]].iloc[bad[0]]} has no point geometry; place it on the map "
                         "or delete it")
    return xy

"""Build phase: pumps and valves. Isolation valves stay on their pipe (for segments); control
valves split their pipe where they stand.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from ..errors import InputError
from .build_state import CONTROL_VALVES, ISOLATION_VALVES, BuildState
from .extras import Element
from .roughness import is_missing
from .wntr_compat import apply_properties


def pumps(s: BuildState) -> None:
    for row in s.layers["pumps"].itertuples():
        props = s.props("pumps", row.pump_id)
        el = s.element("pumps", row.pump_id)
        label = f"pump {row.pump_id}"
        name = s.model_name("pumps", row.pump_id)
        ptype = str(props.get("pump_type") or "").upper()
        curve = props.get("pump_curve_name")
        if ptype == "HEAD" and curve:
            if curve not in s.wn.curve_name_list:
                raise InputError(f"{label} uses curve {curve}, which is not in hyd_curves of the scheme")
            param, ptype = curve, "HEAD"
        elif not is_missing(row.design_flow_lps) and not is_missing(row.design_head_m) and row.design_flow_lps > 0:
            param = f"{name}-H" if name in s.wn.curve_name_list else name
            s.wn.add_curve(param, "HEAD", [(row.design_flow_lps / 1000.0, float(row.design_head_m))])
            ptype = "HEAD"
        elif not is_missing(row.power_kw) and row.power_kw > 0:
            param, ptype = float(row.power_kw) * 1000.0, "POWER"
        elif not is_missing(props.get("power")):
            param, ptype = float(props["power"]), "POWER"
        else:
            raise InputError(f"{label} has no curve, no design point (design_flow_lps and design_head_m) and no "
                             "power_kw; give one of them")
        if el is not None and el.start_node and el.end_node:
            a, b = _node_of(s, label, el.start_node), _node_of(s, label, el.end_node)
        else:
            a, b = _native_pump_ends(s, row)
        s.add("link", name, s.wn.add_pump, name, a, b, pump_type=ptype, pump_parameter=param,
                  speed=float(props.get("base_speed", 1.0) or 1.0), pattern=props.get("speed_pattern_name"),
                  initial_status=props.get("initial_status", "OPEN"))
        link = s.wn.get_link(name)
        rest = {k: v for k, v in props.items() if k not in ("pump_type", "pump_curve_name", "power", "base_speed",
                                                            "speed_pattern_name", "initial_status", "efficiency")}
        apply_properties(link, rest, label, s.report.warnings)
        efficiency = props.get("efficiency")
        if isinstance(efficiency, str):
            if efficiency not in s.wn.curve_name_list:
                raise InputError(f"{label} uses efficiency curve {efficiency}, which is not in hyd_curves")
            link.efficiency = s.wn.get_curve(efficiency)
        link.vertices = [tuple(v) for v in props.get("vertices", [])]
        s.report.link_assets[name] = ("pumps", row.pump_id)
        s.report.link_geoms[name] = LineString([s.report.node_xy[a], *link.vertices, s.report.node_xy[b]])
        if el is None or not el.start_node:
            s.native_pumps.append(name)


def _node_of(s: BuildState, label: str, asset_id: str) -> str:
    if asset_id not in s.lookup:
        raise InputError(f"{label} connects node {asset_id}, which is not a node of the scheme in service")
    return s.lookup[asset_id]


def _native_pump_ends(s: BuildState, row: Any) -> tuple[str, str]:
    label = f"pump {row.pump_id}"
    pt = row.geometry
    if isinstance(row.source_id, str) and row.source_id:
        a = _node_of(s, label, row.source_id)
    else:
        a = _nearest(s, pt, ("Reservoir", "Tank"), label, "source or tank to draw from (set source_id)")
    b = _nearest(s, pt, ("Junction",), label, "junction to deliver into", exclude=a)
    return a, b


def _nearest(s: BuildState, pt: Point, kinds: tuple[str, ...], label: str, what: str, exclude: str | None = None) -> str:
    best, best_d = None, math.inf
    for name, kind in s.node_kind.items():
        if kind not in kinds or name == exclude:
            continue
        x, y = s.report.node_xy[name]
        d = math.hypot(x - pt.x, y - pt.y)
        if d < best_d:
            best, best_d = name, d
    if best is None or best_d > s.p.snap_tolerance_m:
        raise InputError(f"{label}: no {what} within {s.p.snap_tolerance_m} m of the pump; place the pump on the "
                         "node where its rising main starts")
    return best


def valves(s: BuildState) -> None:
    iso_rows = []
    for row in s.layers["valves"].itertuples():
        el = s.element("valves", row.valve_id)
        if el is not None and el.start_node and el.end_node:
            _model_valve(s, row, el)
            continue
        vtype = row.valve_type
        pipe = _pipe_of_valve(s, row)
        if pipe is None:
            continue
        if vtype in CONTROL_VALVES:
            _split_for_valve(s, row, pipe)
        elif vtype == "non_return":
            s.wn.get_link(pipe).check_valve = True
        elif vtype in ISOLATION_VALVES:
            link = s.wn.get_link(pipe)
            along = shapely.line_locate_point(s.report.link_geoms[pipe], row.geometry)
            near = link.start_node_name if along <= s.report.link_geoms[pipe].length / 2 else link.end_node_name
            iso_rows.append({"valve_id": row.valve_id, "link": pipe, "node": near})
            if row.normal_status == "closed":
                link.initial_status = "CLOSED"
    s.report.valve_layer = pd.DataFrame(iso_rows, columns=["valve_id", "link", "node"])


def _pipe_of_valve(s: BuildState, row: Any) -> str | None:
    by_id = {r.pipe_id: name for name, r in s.pipe_rows.items()}
    if isinstance(row.pipe_id, str) and row.pipe_id:
        if row.pipe_id in by_id:
            return by_id[row.pipe_id]
        s.warn(f"valve {row.valve_id} sits on pipe {row.pipe_id}, which is not in the model; valve ignored")
        return None
    names = list(s.pipe_rows)
    if not names:
        return None
    geoms = np.array([s.report.link_geoms[n] for n in names], dtype=object)
    d = shapely.distance(geoms, row.geometry)
    k = int(np.argmin(d))
    if d[k] > s.p.snap_tolerance_m:
        s.warn(f"valve {row.valve_id} has no pipe_id and no pipe within {s.p.snap_tolerance_m} m; ignored")
        return None
    return names[k]


def _valve_setting(s: BuildState, row: Any, vtype: str, props: dict[str, Any]) -> float:
    if is_missing(row.setting):
        value = props.get("initial_setting")
        if is_missing(value):
            raise InputError(f"valve {row.valve_id} ({vtype}) has no setting: give the pressure (m) for a PRV/PSV, "
                             "the flow (l/s) for an FCV or the loss coefficient for a TCV")
        return float(value)
    return float(row.setting) / 1000.0 if vtype == "FCV" else float(row.setting)


def _model_valve(s: BuildState, row: Any, el: Element) -> None:
    props = dict(el.properties)
    label = f"valve {row.valve_id}"
    a, b = _node_of(s, label, el.start_node), _node_of(s, label, el.end_node)
    vtype = str(props.get("valve_type") or CONTROL_VALVES.get(row.valve_type, "")).upper()
    if vtype not in ("PRV", "PSV", "PBV", "FCV", "TCV", "GPV"):
        raise InputError(f"{label}: valve_type {row.valve_type} is not a control valve EPANET can model")
    diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else props.get("diameter")
    if is_missing(diameter) or diameter <= 0:
        raise InputError(f"{label} has no diameter_mm")
    setting = 0.0 if vtype == "GPV" else _valve_setting(s, row, vtype, props)
    status = "CLOSED" if row.normal_status == "closed" else props.get("initial_status", "ACTIVE")
    name = s.model_name("valves", row.valve_id)
    s.add("link", name, s.wn.add_valve, name, a, b, diameter=float(diameter), valve_type=vtype,
              minor_loss=float(props.get("minor_loss", 0.0) or 0.0), initial_setting=setting,
              initial_status=status)
    link = s.wn.get_link(name)
    if vtype == "GPV" and props.get("headloss_curve_name"):
        link.headloss_curve_name = props["headloss_curve_name"]
    rest = {k: v for k, v in props.items() if k not in ("valve_type", "diameter", "minor_loss", "initial_setting",
                                                        "initial_status", "headloss_curve_name")}
    apply_properties(link, rest, label, s.report.warnings)
    link.vertices = [tuple(v) for v in props.get("vertices", [])]
    s.report.link_assets[name] = ("valves", row.valve_id)
    s.report.link_geoms[name] = LineString([s.report.node_xy[a], *link.vertices, s.report.node_xy[b]])


def _split_for_valve(s: BuildState, row: Any, pipe: str) -> None:
    """Cut the pipe at the valve and put the control valve between the two parts."""
    label = f"valve {row.valve_id}"
    vtype = CONTROL_VALVES[row.valve_type]
    setting = _valve_setting(s, row, vtype, {})
    link = s.wn.get_link(pipe)
    geom = s.report.link_geoms[pipe]
    along = float(shapely.line_locate_point(geom, row.geometry))
    along = min(max(along, 0.02), geom.length - 0.02)
    pos = geom.interpolate(along)
    elevation = row.elevation_m
    if is_missing(elevation):
        start_node = s.wn.get_node(link.start_node_name)
        elevation = getattr(start_node, "elevation", None)
    if is_missing(elevation):
        raise InputError(f"{label} has no elevation_m; fill it")
    up, down = f"{row.valve_id}~u", f"{row.valve_id}~d"
    for node in (up, down):
        s.add("node", node, s.wn.add_junction, node, base_demand=0.0, elevation=float(elevation),
                  coordinates=(pos.x, pos.y))
        s.wn.get_node(node).demand_timeseries_list.clear()
        s.node_kind[node] = "Junction"
        s.report.node_assets[node] = ("valves", row.valve_id)
        s.report.node_xy[node] = (pos.x, pos.y)
    keep = {k: getattr(link, k) for k in ("diameter", "roughness", "initial_status", "check_valve", "bulk_coeff",
                                          "wall_coeff", "tag")}
    total, start, end, minor = link.length, link.start_node_name, link.end_node_name, link.minor_loss
    second = f"{pipe}~2"
    s.wn.remove_link(pipe)
    fraction = along / geom.length
    for name, a, b, length, loss in ((pipe, start, up, total * fraction, minor),
                                     (second, down, end, total * (1 - fraction), 0.0)):
        s.add("link", name, s.wn.add_pipe, name, a, b, length=length, diameter=keep["diameter"],
                  roughness=keep["roughness"], minor_loss=loss, initial_status=keep["initial_status"],
                  check_valve=keep["check_valve"])
        new = s.wn.get_link(name)
        new.bulk_coeff, new.wall_coeff, new.tag = keep["bulk_coeff"], keep["wall_coeff"], keep["tag"]
    diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else keep["diameter"]
    status = "CLOSED" if row.normal_status == "closed" else "ACTIVE"
    name = s.model_name("valves", row.valve_id)
    s.add("link", name, s.wn.add_valve, name, up, down, diameter=float(diameter), valve_type=vtype,
              initial_setting=setting, initial_status=status)
    s.report.link_geoms[pipe] = substring(geom, 0, along)
    s.report.link_geoms[second] = substring(geom, along, geom.length)
    s.report.link_assets[second] = s.report.link_assets[pipe]
    s.report.link_geoms[name] = LineString([(pos.x, pos.y), (pos.x, pos.y)])
    s.report.link_assets[name] = ("valves", row.valve_id)
    s.pipe_rows[second] = s.pipe_rows[pipe]
    if pipe in s.rising:
        s.rising.add(second)

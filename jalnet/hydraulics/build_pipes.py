"""Build phase: pipes between the nodes (named ends, else the node each end is snapped to),
with length, diameter and roughness from the layer, the stored properties or the material table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import shapely

from ..errors import InputError
from .build_state import BuildState
from .roughness import is_missing, load_table, roughness_for
from .wntr_compat import apply_properties


def _end(s: BuildState, pipe_id: str, given: Any, point: list[float]) -> str:
    """The model node at one end of a pipe: the named node, else the node its end (x, y) is snapped to."""
    if isinstance(given, str) and given:
        if given not in s.lookup:
            raise InputError(f"pipe {pipe_id} ends at node {given}, which is not a junction, tank or source of "
                             f"scheme {s.data.scheme} in service; add the node or correct from_node/to_node")
        return s.lookup[given]
    if s._snap_nodes is None:  # every node is in by now
        listed = list(s.report.node_xy)
        s._snap_nodes = (listed, np.array([s.report.node_xy[n] for n in listed]).reshape(-1, 2))
    names, xy = s._snap_nodes
    x, y = float(point[0]), float(point[1])
    d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    k = int(np.argmin(d))
    if d[k] > s.p.snap_tolerance_m:
        raise InputError(
            f"pipe {pipe_id}: its end at ({x:.2f}, {y:.2f}) is {d[k]:.2f} m from the nearest node "
            f"({s.report.node_assets[names[k]][1]}); snap the network (jalnet network) or fill from_node/to_node"
        )
    return names[k]


def pipes(s: BuildState) -> None:
    P = s.layers["pipes"]
    if P.empty:
        raise InputError(f"scheme {s.data.scheme} has no pipes in service to model")
    today = dt.date.fromisoformat(s.p.reference_date) if s.p.reference_date else dt.date.today()
    table = load_table(s.p.roughness_table)
    s.rising: set[str] = set()
    s.pipe_rows: dict[str, Any] = {}
    geoms = np.asarray(P.geometry.values)
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    first = np.searchsorted(owner, np.arange(len(P))).tolist()
    last = (np.searchsorted(owner, np.arange(len(P)), side="right") - 1).tolist()
    ends = xy.tolist()
    lengths = shapely.length(geoms).tolist()
    for k, row in enumerate(P.drop(columns=P.geometry.name).itertuples()):
        pid = row.pipe_id
        props = s.props("pipes", pid)
        label = f"pipe {pid}"
        if last[k] <= first[k]:
            raise InputError(f"{label} has an empty geometry; draw it or delete it")
        a = _end(s, pid, row.from_node, ends[first[k]])
        b = _end(s, pid, row.to_node, ends[last[k]])
        if a == b:
            raise InputError(f"{label} starts and ends at the same node ({a}); delete it or correct its ends")
        diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else props.get("diameter")
        if is_missing(diameter) or diameter <= 0:
            raise InputError(f"{label} has no diameter_mm; fill it before simulating")
        length = _length(s, row, props, lengths[k])
        roughness = _roughness(s, row, props, table, today)
        minor = row.minor_loss if not is_missing(row.minor_loss) else props.get("minor_loss", s.p.minor_loss)
        status = props.get("initial_status", "OPEN")
        name = s.model_name("pipes", pid)
        s.add("link", name, s.wn.add_pipe, name, a, b, length=float(length), diameter=float(diameter),
                  roughness=float(roughness), minor_loss=float(minor or 0.0), initial_status=status,
                  check_valve=bool(props.get("check_valve", False)))
        link = s.wn.get_link(name)
        if props:
            rest = {k: v for k, v in props.items() if k not in ("diameter", "length", "roughness", "minor_loss",
                                                                "initial_status", "check_valve")}
            apply_properties(link, rest, label, s.report.warnings)
        if last[k] - first[k] > 1:
            link.vertices = [tuple(c) for c in ends[first[k] + 1 : last[k]]]
        s.report.link_assets[name] = ("pipes", pid)
        s.report.link_geoms[name] = geoms[k]
        s.pipe_rows[name] = row
        if row.pipe_function == "rising_main":
            s.rising.add(name)


def _length(s: BuildState, row: Any, props: dict[str, Any], geom_len: float) -> float:
    attr = row.length_m if not is_missing(row.length_m) else props.get("length")
    mode = s.p.pipe_length
    if mode == "auto":
        mode = "attribute" if row.geom_source == "epanet" and not is_missing(attr) else "geometry"
    if mode == "geometry" and geom_len > 0:
        s.report.lengths_from_geometry += 1
        if not is_missing(attr) and abs(attr - geom_len) > 0.1 * geom_len and attr > 0:
            s.warn(f"pipe {row.pipe_id}: length_m {attr:.1f} differs from its drawn length {geom_len:.1f} m by "
                      "more than 10 %; the drawn length is used")
        return geom_len
    if is_missing(attr) or attr <= 0:
        raise InputError(f"pipe {row.pipe_id} has no length: no length_m and a zero-length geometry")
    return float(attr)


def _roughness(s: BuildState, row: Any, props: dict[str, Any], table: dict, today: dt.date) -> float:
    if s.headloss == "H-W" and not is_missing(row.roughness):
        return float(row.roughness)
    if not is_missing(props.get("roughness")):
        return float(props["roughness"])
    if s.headloss != "H-W" and not is_missing(row.roughness):
        s.warn(f"pipe {row.pipe_id}: roughness {row.roughness} is a Hazen-Williams C but the model uses "
                  f"{s.headloss}; the material table is used instead")
    s.report.roughness_from_table += 1
    return roughness_for(row.material, row.laid_date, s.headloss, table, today)

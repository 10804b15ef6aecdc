"""Staged contractor points become assets: taps (FHTC) on their distribution pipe, valves on their pipe.

Runs after the staged pipes are placed (inside the same batch, against the network as it
now is), so a tap beside a pipe walked the same day finds it.

* A valve goes on the nearest pipe within reach, at the point of the pipe nearest to the
  fix; the pipe is split there at a new junction, the node between the parts (their
  from/to_node name it), and the valve stands on that junction. Near a pipe end it stands
  at that end, nothing split. Nodes are junctions, tanks and sources, as everywhere in the
  registry: a hydraulic model or a trace reads the valve as an asset on its pipe.
* A tap connection goes to the nearest distribution pipe within reach (service lines,
  rising and gravity mains are not tapped); its ``pipe_id`` names it, and its service line
  is drawn from the nearest point of that pipe (where the ferrule is) to the tap.
* A point whose ID (or, for a tap, household: ``household_id`` or the head's name) is
  already in the registry updates that asset (its pipe, where it has none) instead of
  adding a second one; so does a point of the same kind within a GPS error of an existing
  one. A matched tap without a service line gets one.

Every staged point gets its state and a one-line reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .ids import next_ids
from .lines import split_at
from .network import NetworkData, located

#: Farthest a tap connection is taken from its pipe (m): a house service line.
TAP_REACH_M = 40.0
#: Valve kinds told by words in the point's name or description (else a sluice valve).
VALVE_WORDS = (("scour", "scour"), ("drain", "scour"), ("air", "air_release"), ("prv", "prv"),
               ("pressure reducing", "prv"), ("butterfly", "butterfly"), ("non return", "non_return"),
               ("nrv", "non_return"), ("check", "non_return"), ("flow control", "fcv"))


@dataclass
class PointPlan:
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"fhtc": [], "valves": [],
                                                                               "junctions": [], "service_lines": []})
    updates: dict[str, dict[int, dict[str, Any]]] = field(default_factory=lambda: {"fhtc": {}, "valves": {}, "pipes": {},
                                                                                   "service_lines": {}})
    new_pipes: list[dict[str, Any]] = field(default_factory=list)
    staged: dict[int, dict[str, Any]] = field(default_factory=dict)  # position in staged_points -> state, message
    assets: dict[int, str] = field(default_factory=dict)  # position -> ID of the asset it added or repeats

    @property
    def counts(self) -> dict[str, int]:
        states = pd.Series([r["state"] for r in self.staged.values()], dtype=object).value_counts()
        return {"points_added": int(states.get("added", 0)), "points_conflated": int(states.get("conflated", 0)),
                "points_rejected": int(states.get("rejected", 0))}


def plan_points(data: NetworkData, points: pd.DataFrame, error: float,
                service_lines: pd.DataFrame | None = None) -> PointPlan:
    """Where each staged point (rows of staged_points, positional) goes; *error*: GPS error (m).

    *service_lines*: the registry's service lines (``service_line_id``, ``fhtc_id``), so a
    matched tap that has one is not given another, and new lines are numbered after them.
    """
    plan = PointPlan()
    if points.empty:
        return plan
    kind = points["kind"].astype(object).to_numpy()
    geoms = np.asarray(points.geometry.values, dtype=object)
    ok = located(geoms)
    for k in np.flatnonzero(~ok):
        plan.staged[int(k)] = {"state": "rejected", "message": "rejected: no location"}
    for k in np.flatnonzero(ok & ~np.isin(kind, ["fhtc", "valve"])):
        plan.staged[int(k)] = {"state": "rejected", "message": "not a tap connection or a valve: left for a person"}
    pipes = data.pipes
    lines = np.asarray(pipes.geometry.values, dtype=object).copy()
    usable = np.flatnonzero(data.usable)
    valves = np.flatnonzero(ok & (kind == "valve"))
    taps = np.flatnonzero(ok & (kind == "fhtc"))
    reach = max(3.0 * error, 5.0)
    _valves(plan, data, points.iloc[valves], valves, lines, usable, reach, error)
    _taps(plan, data, points.iloc[taps], taps, lines, usable, error, service_lines)
    return plan


def _asset_id(row: Any) -> str | None:
    value = row.get("asset_id") if hasattr(row, "get") else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _match(frame: pd.DataFrame, key: str, asset_id: str | None, geom: Any, error: float) -> tuple[int, str]:
    """Row of an existing asset this point repeats (-1 if none), and how it was matched."""
    if frame.empty:
        return -1, ""
    if asset_id is not None:
        hit = np.flatnonzero(frame[key].astype(object).to_numpy() == asset_id)
        if len(hit):
            return int(hit[0]), f"ID {asset_id}"
    where = np.asarray(frame.geometry.values, dtype=object)
    present = np.flatnonzero(located(where))
    if len(present):
        d = shapely.distance(where[present], geom)
        best = int(np.argmin(d))
        if d[best] <= error:
            return int(present[best]), f"{d[best]:.1f} m from it"
    return -1, ""


def _valves(plan: PointPlan, data: NetworkData, rows: pd.DataFrame, positions: np.ndarray, lines: np.ndarray,
            usable: np.ndarray, reach: float, error: float) -> None:
    if not len(positions):
        return
    existing = data["valves"]
    pipes = data.pipes
    tree = shapely.STRtree(lines[usable])
    ids = next_ids(existing["valve_id"], len(positions), "V-")
    marks: dict[int, list[tuple[float, str]]] = {}
    for n, (k, row) in enumerate(zip(positions, rows.to_dict("records"))):
        geom = row["geometry"]
        asset_id = _asset_id(row)
        hit, how = _match(existing, "valve_id", asset_id, geom, error)
        idx, dist = tree.query_nearest(geom, max_distance=reach, return_distance=True, all_matches=False)
        pos = int(usable[idx[0]]) if len(idx) else -1
        if hit >= 0:
            update = {} if isinstance(existing["pipe_id"].iloc[hit], str) or pos < 0 else \
                {"pipe_id": str(pipes["pipe_id"].iloc[pos])}
            if update:
                plan.updates["valves"][hit] = update
            plan.assets[int(k)] = str(existing["valve_id"].iloc[hit])
            plan.staged[int(k)] = {"state": "conflated", "message": f"repeats valve {existing['valve_id'].iloc[hit]} "
                                   f"({how}); not added" + (f"; its pipe set to {update['pipe_id']}" if update else "")}
            continue
        if pos < 0:
            plan.staged[int(k)] = {"state": "rejected", "message": f"rejected: no pipe within {reach:g} m"}
            continue
        valve_id = asset_id or ids[n]
        line = lines[pos]
        along = float(shapely.line_locate_point(line, geom))
        at = shapely.line_interpolate_point(line, along)
        keep_end = min(error, line.length / 4)
        if along <= keep_end or line.length - along <= keep_end:  # at the pipe's end: the node, no split
            at = shapely.get_point(line, 0 if along <= keep_end else -1)
            where = "at its end"
        else:
            marks.setdefault(pos, []).append((along, valve_id))
            where = "split there"
        plan.inserts["valves"].append({
            "valve_id": valve_id, "scheme_id": pipes["scheme_id"].iloc[pos], "valve_type": _valve_type(row),
            "diameter_mm": _number(pipes["diameter_mm"].iloc[pos]), "pipe_id": str(pipes["pipe_id"].iloc[pos]),
            "status": "in_service", "geometry": at})
        plan.assets[int(k)] = valve_id
        plan.staged[int(k)] = {"state": "added", "message": f"added as valve {valve_id} on "
                               f"{pipes['pipe_id'].iloc[pos]} ({float(dist[0]):.1f} m), {where}"}
    _split(plan, data, marks, lines)


def _split(plan: PointPlan, data: NetworkData, marks: dict[int, list[tuple[float, str]]], lines: np.ndarray) -> None:
    """Each pipe cut at its valves; the first part keeps the pipe's row, a new junction at each
    valve is the node between the parts."""
    if not marks:
        return
    pipes = data.pipes
    n_new = sum(len(m) for m in marks.values())
    ids = iter(next_ids(pipes["pipe_id"], n_new, "P-"))
    node_ids = iter(next_ids(data["junctions"]["node_id"], n_new, "J-"))
    for pos, got in sorted(marks.items()):
        got.sort()
        line = lines[pos]
        parts = split_at(line, [a for a, _ in got])
        row = pipes.iloc[pos]
        between = [next(node_ids) for _ in got]
        for node_id, part in zip(between, parts[1:]):
            plan.inserts["junctions"].append({"node_id": node_id, "scheme_id": row["scheme_id"],
                                              "node_type": "junction", "geometry": shapely.get_point(part, 0)})
        nodes = [row["from_node"], *between, row["to_node"]]
        reported = _number(row.get("length_m"))
        share = [p.length / line.length for p in parts]
        first = {"geometry": parts[0], "to_node": nodes[1]}
        if reported is not None:
            first["length_m"] = round(reported * share[0], 1)
        plan.updates["pipes"][pos] = first
        base = {c: (None if _blank(row[c]) else row[c]) for c in pipes.columns
                if c not in ("fid", "pipe_id", pipes.geometry.name)}
        for part, a, b, s in zip(parts[1:], nodes[1:-1], nodes[2:], share[1:]):
            pid = next(ids)
            values = {**base, "pipe_id": pid, "from_node": a, "to_node": b, "geometry": part}
            if reported is not None:
                values["length_m"] = round(reported * s, 1)
            plan.new_pipes.append({**values, "_part_of": str(row["pipe_id"])})
        lines[pos] = parts[0]


def _taps(plan: PointPlan, data: NetworkData, rows: pd.DataFrame, positions: np.ndarray, lines: np.ndarray,
          usable: np.ndarray, error: float, service_lines: pd.DataFrame | None) -> None:
    pipes = data.pipes
    function = pipes["pipe_function"].astype(object).where(pipes["pipe_function"].notna(), None).to_numpy()
    pipe_ids = pipes["pipe_id"].astype(str).to_numpy()
    tapped = usable[pd.isna(function[usable]) | (function[usable] == "distribution")]
    geoms, owners = [lines[tapped]], [pipe_ids[tapped]]
    schemes = [pipes["scheme_id"].to_numpy(dtype=object)[tapped]]
    for p in plan.new_pipes:  # parts made by valves
        geoms.append(np.array([p["geometry"]], dtype=object))
        owners.append(np.array([p["pipe_id"]], dtype=object))
        schemes.append(np.array([p.get("scheme_id")], dtype=object))
    targets, owner, scheme = np.concatenate(geoms), np.concatenate(owners), np.concatenate(schemes)
    existing = data["fhtc"]
    lines_now = service_lines if service_lines is not None else pd.DataFrame(columns=["service_line_id", "fhtc_id"])
    _follow_splits(plan, existing, targets, owner, lines_now)
    if not len(positions):
        return
    if not len(targets):
        for k in positions:
            plan.staged[int(k)] = {"state": "rejected", "message": "rejected: no distribution pipe in the registry"}
        return
    tree = shapely.STRtree(targets)
    ids = next_ids(existing["fhtc_id"], len(positions), "F-")
    line_ids = iter(next_ids(lines_now["service_line_id"], len(positions), "SL-"))
    served = set(lines_now["fhtc_id"].dropna().astype(str))
    index_of: dict[str, int] | None = None
    households = _households(existing)
    for n, (k, row) in enumerate(zip(positions, rows.to_dict("records"))):
        geom = row["geometry"]
        asset_id = _asset_id(row)
        hit, how = _match(existing, "fhtc_id", asset_id, geom, error)
        household = _household(row)
        if hit < 0 and household and household in households:  # the same household, at the same place
            there = existing.geometry.iloc[households[household]]
            if there is not None and not there.is_empty and there.distance(geom) <= TAP_REACH_M:
                hit, how = households[household], f"household {household}, {there.distance(geom):.0f} m away"
        idx, dist = tree.query_nearest(geom, max_distance=TAP_REACH_M, return_distance=True, all_matches=False)
        pipe_id = str(owner[idx[0]]) if len(idx) else None
        if hit >= 0:
            had = existing["pipe_id"].iloc[hit]
            update: dict[str, Any] = {"pipe_id": pipe_id} if pipe_id and not isinstance(had, str) else {}
            if update:
                plan.updates["fhtc"].setdefault(hit, {}).update(update)
            fhtc_id = str(existing["fhtc_id"].iloc[hit])
            plan.assets[int(k)] = fhtc_id
            drawn = ""
            line_pipe = had if isinstance(had, str) else pipe_id
            if fhtc_id not in served and line_pipe is not None:
                if index_of is None:  # built once, and only when a matched tap needs a line
                    index_of = {str(o): i for i, o in enumerate(owner)}
                if line_pipe in index_of:
                    drawn = _service_line(plan, next(line_ids), fhtc_id, line_pipe, targets[index_of[line_pipe]],
                                          existing.geometry.iloc[hit], existing["scheme_id"].iloc[hit])
                served.add(fhtc_id)
            plan.staged[int(k)] = {"state": "conflated", "message": f"repeats tap connection "
                                   f"{fhtc_id} ({how}); not added"
                                   + (f"; taken from {pipe_id}" if "pipe_id" in update else "") + drawn}
            continue
        if pipe_id is None:
            plan.staged[int(k)] = {"state": "rejected", "message": f"rejected: no distribution pipe within "
                                   f"{TAP_REACH_M:g} m"}
            continue
        fhtc_id = asset_id or ids[n]
        who = _household_fields(row)
        plan.inserts["fhtc"].append({"fhtc_id": fhtc_id, "scheme_id": scheme[idx[0]], "pipe_id": pipe_id,
                                     "status": "functional", **who, "geometry": geom})
        plan.assets[int(k)] = fhtc_id
        drawn = _service_line(plan, next(line_ids), fhtc_id, pipe_id, targets[idx[0]], geom, scheme[idx[0]])
        served.add(fhtc_id)
        plan.staged[int(k)] = {"state": "added", "message": f"added as tap connection {fhtc_id} taken from "
                               f"{pipe_id} ({float(dist[0]):.1f} m)" + drawn}


def _service_line(plan: PointPlan, line_id: str, fhtc_id: str, pipe_id: str, pipe: Any, tap: Any,
                  scheme: Any) -> str:
    """The service line from the nearest point of the pipe (*pipe_id*, its line *pipe*) to the tap;
    what to add to the point's message."""
    if tap is None or tap.is_empty:
        return ""
    ferrule = shapely.line_interpolate_point(pipe, shapely.line_locate_point(pipe, tap))
    length = float(shapely.distance(ferrule, tap))
    if length < 0.01:  # the tap stands on the pipe: nothing to draw
        return ""
    plan.inserts["service_lines"].append({
        "service_line_id": line_id, "scheme_id": scheme if isinstance(scheme, str) else None, "fhtc_id": fhtc_id,
        "pipe_id": pipe_id, "length_m": round(length, 1), "geometry": shapely.linestrings([
            shapely.get_coordinates(ferrule)[0], shapely.get_coordinates(tap)[0]])})
    return f"; service line {line_id} drawn ({length:.1f} m)"


def _follow_splits(plan: PointPlan, existing: pd.DataFrame, targets: np.ndarray, owner: np.ndarray,
                   service_lines: pd.DataFrame) -> None:
    """Existing taps on a pipe split at a valve (and their service lines) now name the part they are beside."""
    line_of = {str(f): i for i, f in enumerate(service_lines["fhtc_id"]) if isinstance(f, str)}
    split = {str(v["pipe_id"]) for v in plan.inserts["valves"]} & {str(p) for p in
                                                                   existing["pipe_id"].dropna().astype(str)}
    for row in np.flatnonzero(existing["pipe_id"].astype(object).isin(split).to_numpy()):
        pid = str(existing["pipe_id"].iloc[row])
        family = {pid} | {p["pipe_id"] for p in plan.new_pipes if p.get("_part_of") == pid}
        mine = np.flatnonzero(np.isin(owner.astype(str), list(family)))
        if not len(mine):
            continue
        best = mine[int(np.argmin(shapely.distance(targets[mine], existing.geometry.iloc[row])))]
        if str(owner[best]) != pid:
            plan.updates["fhtc"].setdefault(int(row), {})["pipe_id"] = str(owner[best])
            line = line_of.get(str(existing["fhtc_id"].iloc[row]))
            if line is not None:
                plan.updates["service_lines"][line] = {"pipe_id": str(owner[best])}


def _households(existing: pd.DataFrame) -> dict[str, int]:
    """Existing taps by household: its ID (``household_id``) or its head's name, lower case."""
    out: dict[str, int] = {}
    for column in ("household_head", "household_id"):  # an ID wins over a name
        if existing.empty or column not in existing.columns:
            continue
        names = existing[column].astype(object).to_numpy()
        out.update({str(v).strip().lower(): i for i, v in enumerate(names) if isinstance(v, str) and v.strip()})
    return out


def _household_attrs(row: dict[str, Any]) -> dict[str, str]:
    """The point's attributes that name its household (key -> value), as the source gives them."""
    try:
        attrs = json.loads(row.get("attributes") or "{}")
    except (TypeError, ValueError):
        return {}
    if not isinstance(attrs, dict):
        return {}
    out = {}
    for key, value in attrs.items():
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if text and ("household" in key.lower() or key.lower() in ("hh_id", "hhid")):
            out[key] = text
    return out


def _household(row: dict[str, Any]) -> str | None:
    """The household a point names (ID first, else the head's name), lower case, for matching."""
    attrs = _household_attrs(row)
    ids = [v for k, v in attrs.items() if _is_id(k)]
    names = [v for k, v in attrs.items() if not _is_id(k)]
    value = (ids or names or [None])[0]
    return value.lower() if value else None


def _household_fields(row: dict[str, Any]) -> dict[str, str | None]:
    """``household_id`` and ``household_head`` for a new tap, from the point's attributes."""
    attrs = _household_attrs(row)
    ids = [v for k, v in attrs.items() if _is_id(k)]
    names = [v for k, v in attrs.items() if not _is_id(k)]
    return {"household_id": ids[0] if ids else None, "household_head": names[0] if names else None}


def _is_id(key: str) -> bool:
    key = key.lower()
    return key.endswith("id") or key.endswith("_no") or "code" in key


def _valve_type(row: dict[str, Any]) -> str:
    text = " ".join(str(row.get(k) or "") for k in ("name", "description")).lower().replace("-", " ")
    return next((kind for word, kind in VALVE_WORDS if word in text), "sluice")


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))

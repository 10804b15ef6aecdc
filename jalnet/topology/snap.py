"""Snapping staged contractor pipes into the registry's network, as one reviewable, undoable batch.

:func:`snap` reads the staged candidates and the network, asks :mod:`.snap_plan` where
everything goes, and writes the plan in one change-log batch: new pipes and junctions,
split pipes, junction types that changed (an end cap that now continues), valves and taps
moved to the part of a split pipe they are on, and every staged row's new state. With
``dry_run`` nothing is written and the result shows what would be. Candidates already
snapped are not staged any more, so a second run finds nothing to do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import gpkg_output, write_gpkg_layer
from ..registry import Registry
from ..registry.retry import retrying
from ..registry.store import Batch
from ..registry.values import plain
from .ids import keys_from
from .network import NetworkData, positional
from .network_near import network_near
from .snap_model import AHEAD_FACTOR
from .snap_plan import Plan, plan_snap
from .snap_points import PointPlan, plan_points
from .snap_tolerance import SnapTolerance, fit_tolerance
from .validate import registry_access


@dataclass
class SnapResult:
    """What snapping did (or, for a dry run, would do)."""

    candidates: gpd.GeoDataFrame  # candidate_id, state, result_pipe_id, message; geometry as staged
    pipes: gpd.GeoDataFrame  # new pipes: pipe_id, made_from (candidate or split pipe), from/to node, geometry
    junctions: gpd.GeoDataFrame  # new junctions
    splits: gpd.GeoDataFrame  # where existing pipes were split
    moved: gpd.GeoDataFrame  # existing ends moved (only with allow_move_existing)
    tolerance: float
    dry_run: bool
    batch_id: str | None = None
    tolerance_why: str = ""  # how the tolerance was chosen (derived from the staged lines, or given)
    points: gpd.GeoDataFrame | None = None  # staged points: candidate_id, kind, state, message

    @property
    def point_counts(self) -> dict[str, int]:
        states = self.points["state"].value_counts() if self.points is not None else pd.Series(dtype=int)
        return {f"points_{k}": int(states.get(k, 0)) for k in ("added", "conflated", "rejected")}

    @property
    def counts(self) -> dict[str, int]:
        states = self.candidates["state"].value_counts()
        return {"added": int(states.get("added", 0)), "conflated": int(states.get("conflated", 0)),
                "rejected": int(states.get("rejected", 0)), "new_pipes": len(self.pipes),
                "new_junctions": len(self.junctions), "split_pipes": self.splits["pipe_id"].nunique(),
                "moved_ends": len(self.moved)}

    @property
    def changes(self) -> gpd.GeoDataFrame:
        """Every proposed change on one frame (lines and points): change, layer, id, message."""
        rows = [
            self.candidates.assign(change=self.candidates["state"], layer="staged_pipes",
                                   id=self.candidates["candidate_id"]),
            self.pipes.assign(change="new pipe", layer="pipes", id=self.pipes["pipe_id"],
                              message="from " + self.pipes["made_from"].astype(str)),
            self.junctions.assign(change="new junction", layer="junctions", id=self.junctions["node_id"],
                                  message=self.junctions["node_type"]),
            self.splits.assign(change="split", layer="pipes", id=self.splits["pipe_id"],
                               message="split at " + self.splits["node_id"].astype(str)),
            self.moved.assign(change="moved end", layer="pipes", id=self.moved["pipe_id"]),
        ]
        cols = ["change", "layer", "id", "message", "geometry"]
        frame = pd.concat([r[cols] for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else \
            pd.DataFrame(columns=cols)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=self.candidates.crs)


    def write(self, path: str | os.PathLike) -> Path:
        """The proposed changes as a GeoPackage: ``snap_lines`` (candidates, new pipes) and ``snap_points``."""
        out = gpkg_output(path, "snap changes file")
        out.unlink(missing_ok=True)
        changes = self.changes
        lines = changes.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
        for name, part, gtype in (("snap_lines", changes[lines], "LineString"), ("snap_points", changes[~lines],
                                                                                 "Point")):
            write_gpkg_layer(part.reset_index(drop=True), out, name, geometry_type=gtype)
        return out


def snap(registry: Registry | str | os.PathLike, batch: str | None = None, tolerance: float | None = None,
         dry_run: bool = False, allow_move_existing: bool = False, feedback: Feedback | None = None) -> SnapResult:
    """Snap the staged pipes (of one import *batch*, or all) into the registry's network.

    Without a *tolerance* it is derived from the staged lines (:mod:`.snap_tolerance`);
    the result says which was used and why. Editors snapping at once: new ids come from the
    registry's key counter, and a write finding a feature changed since the plan read it
    (or another transient conflict) plans again on the current data, a few times at most.
    """
    if tolerance is not None and not 0 < tolerance <= 100:
        raise InputError(f"snapping tolerance {tolerance} m must be above 0 and at most 100 m")
    with registry_access(registry, readonly=dry_run) as reg:
        return retrying(_snap, replan=True)(reg, batch, tolerance, dry_run, allow_move_existing, feedback)


def _snap(reg: Registry, batch: str | None, tolerance: float | None, dry_run: bool, allow_move_existing: bool,
          feedback: Feedback | None) -> SnapResult:
    steps = Steps(feedback, 3)
    with keys_from(reg):
        steps.next("reading the staged pipes and the network")
        where: dict[str, Any] = {"state": "staged"}
        if batch:
            where["import_batch"] = batch
            if reg.read("staged_pipes", where={"import_batch": batch}).empty and \
                    reg.read("staged_points", where={"import_batch": batch}).empty:
                raise InputError(f"nothing staged comes from import batch {batch} in {reg.target}; list the batches "
                                 "with 'jalnet registry log'")
        staged = reg.read("staged_pipes", where=where)
        points = positional(reg.read("staged_points", where=where))
        fit = fit_tolerance(staged, tolerance)
        tolerance = fit.tolerance
        if points.empty and not allow_move_existing:  # only what the plan can reach (the cut snap_area makes)
            data = network_near(reg, staged.geometry.values, tolerance * AHEAD_FACTOR + 1.0)
        else:
            data = NetworkData.from_registry(reg)
        steps.next(f"snapping {len(staged)} staged pipe(s) within {fit.why}")
        plan = plan_snap(data, staged, tolerance, allow_move_existing, steps=steps, error=fit.error)
        result = _result(plan, staged, data, fit, dry_run)
        if dry_run or (plan.empty and points.empty):
            if len(points):  # against the network as it is: the new pipes are not there yet
                result.points = _point_rows(plan_points(data, points, fit.error, service_lines(reg)), points,
                                            data.crs)
            steps.done()
            return result
        steps.next("writing to the registry")
        what = f"snap {len(staged)} staged pipe(s)" + (f" and {len(points)} point(s)" if len(points) else "") + \
            (f" of import {batch}" if batch else "") + f" within {tolerance:g} m"
        with reg.batch("network snap", what) as b:
            _apply(b, plan, data, staged)
            if len(points):  # against the network with the new pipes, in the same batch
                result.points = promote_in_batch(b, points, fit.error)[1]
        result.batch_id = b.id if b.n_changes else None
    steps.done()
    return result


_KEYS = {"valves": "valve_id", "fhtc": "fhtc_id"}


def promote_in_batch(b: Batch, points: gpd.GeoDataFrame, error: float,
                     carry: dict[int, dict[str, Any]] | None = None) -> tuple[PointPlan, gpd.GeoDataFrame]:
    """Promote staged *points* (staged_points rows, positional) inside an open batch.

    Planned against the network re-read in the batch, so the pipes it already wrote are
    tapped and split. *carry* (position -> values) gives a new asset values the point's
    source knows better than the promotion's defaults (a field form's valve type, status);
    ``None`` values and the asset's pipe are left to the promotion. Returns the plan (its
    ``assets`` name what each point became) and the points' states and reasons."""
    data = NetworkData.from_registry(b.reg)
    lines = service_lines(b.reg)
    with keys_from(b.reg):
        plan = plan_points(data, points, error, lines)
    for pos, values in (carry or {}).items():
        if plan.staged.get(pos, {}).get("state") != "added":
            continue
        name = "valves" if points["kind"].iloc[pos] == "valve" else "fhtc"
        row = next(r for r in plan.inserts[name] if r[_KEYS[name]] == plan.assets[pos])
        row.update({k: v for k, v in values.items() if v is not None and k not in ("pipe_id", "geometry")})
    _apply_points(b, plan, data, points, lines)
    return plan, _point_rows(plan, points, data.crs)


def _apply_points(b: Batch, plan: PointPlan, data: NetworkData, points: gpd.GeoDataFrame,
                  lines: pd.DataFrame) -> None:
    crs = data.crs
    for name in ("pipes", "valves", "fhtc"):  # rows as planned on: changed since, and the write stops
        b.expect(name, data[name])
    b.expect("staged_points", points)
    if plan.inserts["junctions"]:  # the nodes the split pipes and their valves stand on, first
        b.insert("junctions", gpd.GeoDataFrame(plan.inserts["junctions"], geometry="geometry", crs=crs))
    if plan.updates["pipes"]:
        b.update_many("pipes", _updates(data.pipes, plan.updates["pipes"]))
    if plan.new_pipes:
        rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in plan.new_pipes]
        b.insert("pipes", gpd.GeoDataFrame(rows, geometry="geometry", crs=crs))
    for layer in ("valves", "fhtc"):
        if plan.inserts[layer]:
            b.insert(layer, gpd.GeoDataFrame(plan.inserts[layer], geometry="geometry", crs=crs))
        if plan.updates[layer]:
            b.update_many(layer, _updates(data[layer], plan.updates[layer]))
    if plan.inserts["service_lines"]:  # after the taps they serve
        b.insert("service_lines", gpd.GeoDataFrame(plan.inserts["service_lines"], geometry="geometry", crs=crs))
    if plan.updates["service_lines"]:
        b.update_many("service_lines", _updates(lines, plan.updates["service_lines"]))
    if plan.staged:
        b.update_many("staged_points", _updates(points, plan.staged))


def service_lines(reg: Registry) -> pd.DataFrame:
    """The registry's service lines (positional, fid kept), or none in a registry older than the layer."""
    if "service_lines" not in reg.layer_names():
        return pd.DataFrame(columns=["fid", "service_line_id", "fhtc_id", "pipe_id"])
    return positional(reg.read("service_lines"))


def _point_rows(plan: PointPlan, points: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    rows = pd.DataFrame([{"candidate_id": points["candidate_id"].iloc[k], "kind": points["kind"].iloc[k], **v}
                         for k, v in sorted(plan.staged.items())], columns=["candidate_id", "kind", "state", "message"])
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(points.geometry.values[sorted(plan.staged)], crs=crs))


def snap_in_batch(b: Batch, staged: gpd.GeoDataFrame, tolerance: float | None = None,
                  allow_move_existing: bool = False) -> SnapResult:
    """Snap *staged* (staged_pipes rows, indexed by fid) inside a batch another tool has open.

    For tools whose own writes and the snap must be one undoable batch (field sync). Without
    a *tolerance* it is derived from the staged lines, as :func:`snap` does."""
    data = NetworkData.from_registry(b.reg)
    fit = fit_tolerance(staged, tolerance)
    with keys_from(b.reg):
        plan = plan_snap(data, staged, fit.tolerance, allow_move_existing, error=fit.error)
    result = _result(plan, staged, data, fit, False)
    if not plan.empty:
        _apply(b, plan, data, staged)
        result.batch_id = b.id
    return result


def _apply(b: Batch, plan: Plan, data: NetworkData, staged: gpd.GeoDataFrame) -> None:
    crs = data.crs
    for name in ("junctions", "pipes", *plan.asset_updates):  # rows as planned on: changed since, the write stops
        b.expect(name, data[name])
    b.expect("staged_pipes", staged)
    if plan.new_junctions:
        b.insert("junctions", gpd.GeoDataFrame(plan.new_junctions, geometry="geometry", crs=crs))
    junctions = data["junctions"]
    if plan.junction_updates:
        b.update_many("junctions", _updates(junctions, plan.junction_updates))
    if plan.junction_deletes:
        b.delete("junctions", [int(junctions["fid"].iloc[r]) for r in sorted(set(plan.junction_deletes))])
    if plan.pipe_updates:
        b.update_many("pipes", _updates(data.pipes, plan.pipe_updates))
    if plan.new_pipes:
        rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in plan.new_pipes]
        b.insert("pipes", gpd.GeoDataFrame(rows, geometry="geometry", crs=crs))
    for layer, updates in plan.asset_updates.items():
        b.update_many(layer, _updates(data[layer], updates))
    rows = {c["position"]: {k: c[k] for k in ("state", "result_pipe_id", "message")} for c in plan.candidates}
    if rows:
        b.update_many("staged_pipes", _updates(positional(staged), rows))


def _updates(frame: pd.DataFrame, updates: dict[int, dict[str, Any]]) -> pd.DataFrame:
    """An update frame indexed by fid; a column some rows do not change keeps their current value."""
    columns = sorted({k for u in updates.values() for k in u if k != "geometry"})
    has_geometry = any("geometry" in u for u in updates.values())
    records = []
    for pos, values in updates.items():
        row = {c: values.get(c, plain(frame[c].iloc[pos])) for c in columns}
        if has_geometry:
            row["geometry"] = values.get("geometry", frame.geometry.iloc[pos])
        records.append(row)
    index = pd.Index([int(frame["fid"].iloc[pos]) for pos in updates], name="fid")
    if has_geometry:
        return gpd.GeoDataFrame(records, index=index, geometry="geometry", crs=frame.crs)
    return pd.DataFrame(records, index=index, columns=columns)


def _result(plan: Plan, staged: gpd.GeoDataFrame, data: NetworkData, fit: SnapTolerance, dry_run: bool
            ) -> SnapResult:
    crs = data.crs
    staged = positional(staged)
    cand = pd.DataFrame(plan.candidates, columns=["position", "fid", "candidate_id", "state", "result_pipe_id",
                                                  "message"])
    candidates = gpd.GeoDataFrame(cand.drop(columns=["position"]),
                                  geometry=gpd.GeoSeries(staged.geometry.values[cand["position"].to_numpy(dtype=int)],
                                                         crs=crs))
    ids = staged["candidate_id"].astype(str).to_numpy()
    pipe_ids = data.pipes["pipe_id"].astype(str).to_numpy()
    made = [ids[r["_candidate"]] if "_candidate" in r else f"split of {pipe_ids[r['_split_of']]}" for r in plan.new_pipes]
    pipes = _frame([{"pipe_id": r["pipe_id"], "made_from": m, "from_node": r.get("from_node"),
                     "to_node": r.get("to_node"), "diameter_mm": r.get("diameter_mm"), "material": r.get("material"),
                     "geometry": r["geometry"]} for r, m in zip(plan.new_pipes, made)],
                   ["pipe_id", "made_from", "from_node", "to_node", "diameter_mm", "material"], crs)
    junctions = _frame(plan.new_junctions, ["node_id", "scheme_id", "node_type"], crs)
    splits = _frame(plan.splits, ["pipe_id", "node_id"], crs)
    moved = _frame(plan.moved, ["pipe_id", "end", "distance_m", "message"], crs)
    return SnapResult(candidates, pipes, junctions, splits, moved, fit.tolerance, dry_run, tolerance_why=fit.why)


def _frame(rows: list[dict[str, Any]], columns: list[str], crs: Any) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=[*columns, "geometry"])
    return gpd.GeoDataFrame(frame.drop(columns=["geometry"]), geometry=gpd.GeoSeries(list(frame["geometry"]), crs=crs))

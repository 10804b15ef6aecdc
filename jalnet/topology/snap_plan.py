"""Where each staged pipe goes: the snapping plan, computed on frames, nothing written.

For every staged candidate, in order:

1. refuse what cannot be a pipe (no, empty, invalid or tiny geometry);
2. conflate it when it follows existing pipes (or an earlier candidate) for most of
   its length: it is the same pipe walked again, so it is not added, it only fills
   attributes the existing pipe lacks;
3. trim an end that crosses an existing pipe and runs on for less than the tolerance
   (overshoot);
4. take each end to the best target within the tolerance: an existing node or point
   asset by priority (tank, source, pump, treatment unit, valve, junction, bare pipe
   end), else the nearest existing pipe (which is split there, with a new junction);
5. join the ends still free to other candidates (gap closing between pieces of one
   walk, or a tee onto another new pipe), else cap them with an end_cap junction.

Existing pipes are split where new pipes join them, and never moved, unless
``allow_move_existing`` is set: then the registry's own loose ends near the network are
snapped too. Everything spatial runs on shapely's STRtree over arrays.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from ..feedback import Steps
from .attributes import pipe_values
from .conflate import SHARE, chain_share, pair_share
from .ids import next_ids
from .lines import cut_many, project, set_end, split_at, with_ends
from .network import NetworkData, Nodes, end_coords, legit_dead_ends, located, network_nodes, positional
from .rules import resolve_params
from .snap_area import near_staged, to_whole
from .spatial import nearest_other

#: Snapping priority of point assets (lower first); a bare pipe end comes last.
PRIORITY: dict[str, int] = {"tanks": 0, "sources": 1, "pumps": 2, "treatment_units": 3, "valves": 4, "junctions": 5}
BARE_NODE = 6
_KIND = {"tanks": "tank", "sources": "source", "pumps": "pump", "treatment_units": "treatment unit",
         "valves": "valve", "junctions": "junction"}
#: Attributes a conflated candidate may fill on the existing pipe when it has none.
FILLABLE = ("material", "diameter_mm", "pressure_class", "laid_date", "contractor")
#: Import cuts a walk where the fix was lost and marks the pieces "... [piece i/n]" in source_ref.
PIECE = re.compile(r"\s*\[piece (\d+)/(\d+)\]\s*$")
#: An end's heading is taken over this much of the line (m): long enough to see through GPS noise.
HEADING_M = 15.0
#: A node straight ahead of (or behind) an end counts as this many times nearer than it is;
#: a node to the side, this many times farther: ends run short or long along their walk, not sideways.
AHEAD_FACTOR = 1.5
#: How much nearer (m) a node counts per step of priority over a bare pipe end (a tank 3 m, a junction 0.5 m).
PRIORITY_M = 0.5
#: New lines are simplified within this many GPS errors: the wander goes, bends larger than it stay.
WANDER_ERRORS = 1.5
#: Longest gap in the fix bridged between consecutive pieces of one walk (m): a few minutes' walk.
PIECE_GAP_MAX = 250.0


@dataclass
class End:
    """One pipe end to snap: of a candidate (``cand``) or, when allowed, of an existing pipe."""

    owner: int
    at_start: bool
    xy: tuple[float, float]
    existing: bool = False
    kind: str = "free"  # node | pipe | join | tee | free
    node: int = -1  # NodeBook key
    pipe: int = -1  # existing pipe position (kind pipe) or candidate position (kind tee)
    along: float = 0.0
    note: str = ""
    heading: tuple[float, float] = (0.0, 0.0)  # unit vector out of the line at this end (0, 0: unknown)

    @property
    def label(self) -> str:
        return "start" if self.at_start else "end"


class NodeBook:
    """The nodes new pipes connect at: existing junctions, and new junctions made on the way."""

    def __init__(self, junctions: pd.DataFrame, tol: float) -> None:
        self.tol = tol
        self.junctions = junctions
        geoms = np.asarray(junctions.geometry.values, dtype=object) if len(junctions) else np.array([], dtype=object)
        ok = np.flatnonzero(located(geoms)) if len(geoms) else geoms
        self._tree_pos = np.asarray(ok, dtype=np.int64)
        self._tree = shapely.STRtree(geoms[self._tree_pos]) if len(self._tree_pos) else None
        self.xy: list[tuple[float, float]] = []
        self.junction: list[int] = []  # row of the existing junction, -1 for a new one
        self.scheme: list[str | None] = []
        self.attached: list[int] = []  # new pipe ends attached here
        self.capped: list[bool] = []  # made for a free end
        self._by_junction: dict[int, int] = {}
        self._grid: dict[tuple[int, int], list[int]] = {}

    def _cell(self, xy: tuple[float, float]) -> tuple[int, int]:
        size = max(self.tol, 1e-6) * 2
        return int(math.floor(xy[0] / size)), int(math.floor(xy[1] / size))

    def _add(self, xy: tuple[float, float], junction: int, scheme: str | None, capped: bool = False) -> int:
        key = len(self.xy)
        self.xy.append((float(xy[0]), float(xy[1])))
        self.junction.append(junction)
        self.scheme.append(scheme)
        self.attached.append(0)
        self.capped.append(capped)
        if junction >= 0:
            self._by_junction[junction] = key
        cx, cy = self._cell(xy)
        self._grid.setdefault((cx, cy), []).append(key)
        return key

    def of_junction(self, row: int) -> int:
        if row not in self._by_junction:
            geom = self.junctions.geometry.iloc[row]
            scheme = self.junctions["scheme_id"].iloc[row]
            self._add((geom.x, geom.y), row, scheme if isinstance(scheme, str) else None)
        return self._by_junction[row]

    def at(self, xy: tuple[float, float], scheme: str | None, capped: bool = False) -> int:
        """The node at *xy* (within the tolerance), made if there is none."""
        cx, cy = self._cell(xy)
        best, best_d = -1, self.tol
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for key in self._grid.get((cx + dx, cy + dy), ()):
                    d = math.hypot(self.xy[key][0] - xy[0], self.xy[key][1] - xy[1])
                    if d <= best_d:
                        best, best_d = key, d
        if best >= 0:
            return best
        if self._tree is not None:
            hits = self._tree.query(Point(xy), predicate="dwithin", distance=self.tol)
            if len(hits):
                return self.of_junction(int(self._tree_pos[hits[0]]))
        return self._add(xy, -1, scheme, capped)


@dataclass
class Plan:
    """Everything snapping would write; positions refer to the frames the plan was made from."""

    candidates: list[dict[str, Any]] = field(default_factory=list)  # per staged row: state, result, message
    new_pipes: list[dict[str, Any]] = field(default_factory=list)
    pipe_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    new_junctions: list[dict[str, Any]] = field(default_factory=list)
    junction_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    junction_deletes: list[int] = field(default_factory=list)
    asset_updates: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    splits: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.candidates or self.pipe_updates or self.new_pipes or self.junction_updates)


def plan_snap(data: NetworkData, staged: gpd.GeoDataFrame, tolerance: float = 5.0,
              allow_move_existing: bool = False, params: dict[str, Any] | None = None,
              steps: Steps | None = None, error: float | None = None) -> Plan:
    """The snapping plan for the *staged* candidates (a frame of staged_pipes rows) against *data*.

    *error*: the lines' typical GPS error (m); a walk is a repeat of a pipe only when it lies
    within 1.5 errors of it (default: a quarter of the tolerance). *steps*: the caller's
    progress, advanced within its current step (and checked for cancel).
    """
    staged = positional(staged)
    cut = None if allow_move_existing else near_staged(data, staged.geometry.values, tolerance * AHEAD_FACTOR + 1.0)
    planner = _Planner(cut[0] if cut else data, staged, tolerance, allow_move_existing, resolve_params(params))
    planner.id_pool = {"P-": data.pipes["pipe_id"], "J-": data["junctions"]["node_id"]}  # numbering of the whole
    planner.repeat_m = min(tolerance / 2, 1.5 * (error if error else tolerance / 4))
    planner.wander_m = WANDER_ERRORS * error if error else 0.0
    plan = planner.run(steps)
    if cut:
        to_whole(plan, cut[1])
    return plan


class _Planner:
    def __init__(self, data: NetworkData, staged: gpd.GeoDataFrame, tolerance: float, allow_move: bool,
                 p: dict[str, float]) -> None:
        self.data = data
        self.staged = staged
        self.tol = float(tolerance)
        self.allow_move = allow_move
        self.id_pool = {"P-": data.pipes["pipe_id"], "J-": data["junctions"]["node_id"]}  # ids new ones continue
        self.repeat_m = self.tol / 2  # typical distance of a repeat walk from its pipe, at most
        self.wander_m = 0.0  # GPS wander taken out of the new lines (simplification tolerance)
        self.node_tol = p["node_tolerance_m"]
        self.asset_tol = p["asset_tolerance_m"]
        self.min_part = p["tiny_length_m"]
        self.pipes = data.pipes
        self.geoms = np.asarray(self.pipes.geometry.values, dtype=object)
        self.usable = np.flatnonzero(data.usable)
        self.tree = shapely.STRtree(self.geoms[self.usable])
        self.nodes: Nodes = network_nodes(data, self.node_tol, self.asset_tol)
        self.pipe_ids = self.pipes["pipe_id"].astype(object).to_numpy()
        self.pipe_scheme = np.array([v if isinstance(v, str) else None
                                     for v in self.pipes["scheme_id"].to_numpy(dtype=object)], dtype=object)
        self.cand_ids = staged["candidate_id"].astype(str).to_numpy()
        self._columns: dict[str, np.ndarray] = {}
        self._asset_ids = {layer: data[layer][_key(layer)].astype(str).to_numpy() for layer in PRIORITY}
        self._at_index = {layer: _Lookup(self.nodes.at[layer]) for layer in PRIORITY}
        self._end_index = _Lookup(np.concatenate([self.nodes.start, self.nodes.end]))
        self.schemes = set(data["schemes"]["scheme_id"].dropna().astype(str))
        self.book = NodeBook(data["junctions"], self.node_tol)
        self.plan = Plan()
        n = len(staged)
        self.cand_geom = np.asarray(staged.geometry.values, dtype=object).copy()
        self.state = np.full(n, "", dtype=object)
        self.result = [""] * n
        self.notes: list[list[str]] = [[] for _ in range(n)]
        self.values: list[dict[str, Any]] = []
        self.ends: list[End] = []
        self.splits: dict[int, list[tuple[float, End]]] = {}  # existing pipe -> (along, end)

    # ------------------------------------------------------------------------------------
    def run(self, steps: Steps | None = None) -> Plan:
        # pieces of a walk are joined first, so a repeat is judged on the whole walk
        stages = (self._attributes, self._refuse_bad_geometry, self._join_pieces, self._conflate_with_network,
                  self._conflate_with_each_other, self._trim_overshoots, self._collect_ends,
                  self._snap_to_network, self._resolve_pipe_splits, self._join_free_ends, self._build)
        for i, stage in enumerate(stages):
            if steps is not None:
                steps.sub(i / len(stages))  # raises Canceled when the user stopped it
            stage()
        return self.plan

    def _live(self) -> np.ndarray:
        return np.flatnonzero(self.state == "")

    # -- 1. attributes and refusals ---------------------------------------------------------
    def _attributes(self) -> None:
        names = [c for c in self.staged.columns if c != self.staged.geometry.name]
        columns = [self.staged[c].to_numpy(dtype=object) for c in names]
        for k, row in enumerate(zip(*columns)):
            values, notes = pipe_values(dict(zip(names, row)), self.schemes)
            self.values.append(values)
            self.notes[k] += notes

    def _refuse_bad_geometry(self) -> None:
        g = self.cand_geom
        missing = shapely.is_missing(g)
        single = ~missing & (shapely.get_type_id(g) == shapely.GeometryType.LINESTRING)
        single[single] &= ~shapely.is_empty(g[single])
        valid = single.copy()
        valid[single] = shapely.is_valid(g[single])
        length = np.zeros(len(g))
        length[valid] = shapely.length(g[valid])
        for k in np.flatnonzero(missing):
            self._reject(k, "no geometry")
        for k in np.flatnonzero(~missing & ~single):
            self._reject(k, "geometry is empty or not a single line")
        for k in np.flatnonzero(single & ~valid):
            self._reject(k, f"geometry is not valid ({shapely.is_valid_reason(g[k])})")
        for k in np.flatnonzero(valid & (length < self.min_part)):
            self._reject(k, f"only {length[k]:.2f} m long")

    def _reject(self, k: int, why: str) -> None:
        self.state[k] = "rejected"
        self.notes[k].insert(0, f"rejected: {why}")

    # -- 2. conflation ------------------------------------------------------------------------
    def _conflate_with_network(self) -> None:
        """A walk repeating existing pipes (see :mod:`.conflate`) only fills what they lack."""
        live = self._live()
        if not len(live) or not len(self.usable):
            return
        lines = self.cand_geom[live]
        src, dst = self.tree.query(lines, predicate="dwithin", distance=self.tol)
        if not len(src):
            return
        targets = self.geoms[self.usable]
        # cheap first: a pipe much longer than the walk cannot be covered by it
        fits = shapely.length(targets[dst]) <= shapely.length(lines[src]) / SHARE + 2 * self.tol
        src, dst = src[fits], dst[fits]
        # a pipe the walk covers has both its ends near the walk (two point-line distances, no sampling)
        first, last = end_coords(targets[dst])
        ends_near = (shapely.distance(shapely.points(first), lines[src]) <= self.tol) & \
            (shapely.distance(shapely.points(last), lines[src]) <= self.tol)
        src, dst = src[ends_near], dst[ends_near]
        covered, _, _ = pair_share(targets, lines, dst, src, self.tol)  # each pipe covered by the walk
        src, dst, covered = src[covered >= SHARE], dst[covered >= SHARE], covered[covered >= SHARE]
        share, median, apart = chain_share(lines, targets, src, dst, self.tol)
        same = (share >= SHARE) & (median <= self.repeat_m) & (apart <= self.tol)
        covers = covered * shapely.length(targets[dst])  # the pipe a walk covers most is the one it repeats
        order = np.lexsort((-covers, src))
        head = np.r_[True, src[order][1:] != src[order][:-1]] if len(order) else np.zeros(0, dtype=bool)
        by_walk = dict(zip(src[order][head].tolist(), dst[order][head].tolist()))
        for j in np.flatnonzero(same):
            k = live[j]
            target = int(self.usable[by_walk[int(j)]])
            self.state[k] = "conflated"
            self.result[k] = str(self.pipe_ids[target])
            filled = self._fill(target, self.values[k])
            text = (f"duplicates {self.pipe_ids[target]} ({100 * share[j]:.0f} % of it within {self.tol:g} m, "
                    f"typically {median[j]:.1f} m off); not added")
            self.notes[k].insert(0, text + (f"; filled {', '.join(filled)} from the track" if filled else ""))

    def _column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            self._columns[name] = self.pipes[name].to_numpy()
        return self._columns[name]

    def _fill(self, pos: int, values: dict[str, Any]) -> list[str]:
        update = self.plan.pipe_updates.setdefault(pos, {})
        filled = []
        for name in FILLABLE:
            current = update.get(name, self._column(name)[pos])
            if _empty(current) and not _empty(values.get(name)):
                update[name] = values[name]
                filled.append(name)
        if not update:
            del self.plan.pipe_updates[pos]
        return filled

    def _conflate_with_each_other(self) -> None:
        """Two walks of one pipe (a re-walk): the later one is a duplicate of the first."""
        live = self._live()
        if len(live) < 2:
            return
        order = live[np.argsort(self.cand_ids[live], kind="stable")]
        lines = self.cand_geom[order]
        a, b = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=self.tol)
        keep = a < b
        a, b = a[keep], b[keep]
        length = shapely.length(lines)
        similar = np.abs(length[a] - length[b]) <= (1 - SHARE) * np.maximum(length[a], length[b]) + 2 * self.tol
        a, b = a[similar], b[similar]
        # cheap, in numpy: a repeat starts and ends near where the first walk does (either way round)
        first, last = end_coords(lines)
        slack = self.tol + (1 - SHARE) * np.maximum(length[a], length[b])
        same_way = np.maximum(_gap(first[a], first[b]), _gap(last[a], last[b]))
        other_way = np.maximum(_gap(first[a], last[b]), _gap(last[a], first[b]))
        near = np.minimum(same_way, other_way) <= slack
        a, b = a[near], b[near]
        if not len(a):
            return
        b_in_a, b_off, b_apart = pair_share(lines, lines, b, a, self.tol)
        a_in_b, a_off, a_apart = pair_share(lines, lines, a, b, self.tol)
        same = (b_in_a >= SHARE) & (a_in_b >= SHARE) & (b_off <= self.repeat_m) & (a_off <= self.repeat_m) & \
            (np.maximum(a_apart, b_apart) <= self.tol)
        for i, j in zip(a[same], b[same]):
            first, later = order[i], order[j]
            if self.state[first] or self.state[later]:
                continue
            self.state[later] = "conflated"
            self.result[later] = f"#{first}"  # resolved to the first one's pipe id when ids are given
            self.notes[later].insert(0, f"duplicates candidate {self.cand_ids[first]}; not added")

    def _join_pieces(self) -> None:
        """Consecutive pieces of one walk (cut where the fix was lost) become one line across the gap."""
        refs = self.staged["source_ref"].astype(object).to_numpy()
        batches = self.staged["import_batch"].astype(object).to_numpy()
        files = self.staged["source_file"].astype(object).to_numpy()
        walks: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
        for k in self._live():
            match = PIECE.search(refs[k]) if isinstance(refs[k], str) else None
            if match:
                key = (batches[k], files[k], refs[k][: match.start()])
                walks.setdefault(key, []).append((int(match.group(1)), int(k)))
        ids = self.cand_ids
        self.merged_into: dict[int, int] = {}
        for pieces in walks.values():
            pieces.sort()
            head = pieces[0][1]
            for (n_prev, _), (n, k) in zip(pieces[:-1], pieces[1:]):
                line, nxt = self.cand_geom[head], self.cand_geom[k]
                gap = Point(line.coords[-1]).distance(Point(nxt.coords[0]))
                if n != n_prev + 1 or gap > PIECE_GAP_MAX:
                    head = k
                    continue
                self.cand_geom[head] = LineString([*line.coords, *nxt.coords])
                self.state[k] = "merged"
                self.merged_into[k] = head
                self.notes[k].insert(0, f"piece {n} of the walk joined to {ids[head]}")
                self.notes[head].append(f"piece {n} ({ids[k]}) joined across a {gap:.0f} m gap without GPS fixes "
                                        "(straight line: check it on imagery)")

    # -- 3. overshoots ---------------------------------------------------------------------------
    def _trim_overshoots(self) -> None:
        live = self._live()
        if not len(live) or not len(self.usable):
            return
        lines = self.cand_geom[live]
        src, dst = self.tree.query(lines, predicate="intersects")
        if not len(src):
            return
        hits = shapely.intersection(lines[src], self.geoms[self.usable[dst]])
        parts, owner = shapely.get_parts(hits, return_index=True)
        stretch = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
        points = np.where(stretch, shapely.get_point(parts, 0), parts)  # for a shared stretch, its first point
        found = located(points)
        points, owner = points[found], owner[found]
        cand, pipe = src[owner], self.usable[dst[owner]]
        along = shapely.line_locate_point(lines[cand], points)
        order = np.lexsort((along, cand))
        cand, pipe, along = cand[order], pipe[order], along[order]
        first = np.r_[True, cand[1:] != cand[:-1]]
        last = np.r_[cand[1:] != cand[:-1], True]
        which, a_first, a_last = cand[first], along[first], along[last]
        length = shapely.length(lines[which])
        trim_start = (self.node_tol < a_first) & (a_first <= self.tol)
        start = np.where(trim_start, a_first, 0.0)
        trim_end = (self.node_tol < length - a_last) & (length - a_last <= self.tol) & (a_last > start)
        stop = np.where(trim_end, a_last, length)
        chosen = np.flatnonzero(trim_start | trim_end)
        if not len(chosen):
            return
        trimmed = cut_many(lines, which[chosen], start[chosen], stop[chosen])
        for i, geom in zip(chosen, trimmed):
            k = live[which[i]]
            if trim_start[i]:
                self.notes[k].append(f"trimmed {start[i]:.1f} m overshoot at the start across "
                                     f"{self.pipe_ids[pipe[first][i]]}")
            if trim_end[i]:
                self.notes[k].append(f"trimmed {length[i] - stop[i]:.1f} m overshoot at the end across "
                                     f"{self.pipe_ids[pipe[last][i]]}")
            self.cand_geom[k] = geom
            if geom.length < self.min_part:
                self._reject(k, "nothing left after trimming overshoots")

    # -- 4. ends onto the network ---------------------------------------------------------------
    def _collect_ends(self) -> None:
        live = self._live()
        if len(live):
            lines = self.cand_geom[live]
            length = shapely.length(lines)
            back = np.minimum(HEADING_M, length / 2)
            for at_start, reach in ((True, back), (False, length - back)):
                tip = shapely.get_coordinates(shapely.get_point(lines, 0 if at_start else -1))
                inner = shapely.get_coordinates(shapely.line_interpolate_point(lines, reach))
                out = tip - inner
                norm = np.hypot(out[:, 0], out[:, 1])
                unit = np.divide(out, norm[:, None], out=np.zeros_like(out), where=norm[:, None] > 0)
                for k, xy, u in zip(live, tip, unit):
                    self.ends.append(End(int(k), at_start, (float(xy[0]), float(xy[1])),
                                         heading=(float(u[0]), float(u[1]))))
            self.ends.sort(key=lambda e: (e.owner, not e.at_start))
        if self.allow_move:
            self._collect_loose_existing_ends()

    def _collect_loose_existing_ends(self) -> None:
        nodes = self.nodes
        legit = legit_dead_ends(nodes, self.data["junctions"])
        for at_start, node_of in ((True, nodes.start), (False, nodes.end)):
            node = node_of[self.usable]
            loose = self.usable[(nodes.degree[node] == 1) & ~legit[node]]
            for pos, xy in zip(loose, nodes.xy[node_of[loose]]):
                self.ends.append(End(int(pos), at_start, (float(xy[0]), float(xy[1])), existing=True))

    def _targets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, int]]]:
        """Snap targets: pipe-end nodes, and point assets not at a pipe end. (points, priority, own node, refs)."""
        nodes = self.nodes
        prio = np.full(nodes.count, BARE_NODE)
        for layer, rank in PRIORITY.items():
            prio[nodes.has(layer)] = np.minimum(prio[nodes.has(layer)], rank)
        points = [shapely.points(nodes.xy)]
        ranks = [prio]
        own = [np.arange(nodes.count)]
        refs: list[tuple[str, int]] = [("node", n) for n in range(nodes.count)]
        for layer, rank in PRIORITY.items():
            frame = self.data[layer]
            if frame.empty:
                continue
            geoms = np.asarray(frame.geometry.values, dtype=object)
            loose = np.flatnonzero((nodes.at[layer] < 0) & located(geoms))
            points.append(geoms[loose])
            ranks.append(np.full(len(loose), rank))
            own.append(np.full(len(loose), -1))
            refs += [(layer, int(r)) for r in loose]
        return np.concatenate(points), np.concatenate(ranks), np.concatenate(own), refs

    def _snap_to_network(self) -> None:
        if not self.ends:
            return
        points, ranks, own_node, refs = self._targets()
        end_pts = shapely.points([e.xy for e in self.ends])
        owner_node = np.array([self._own_node(e) for e in self.ends])
        if len(points):
            src, dst = shapely.STRtree(points).query(end_pts, predicate="dwithin", distance=self.tol * AHEAD_FACTOR)
            mine = own_node[dst] == owner_node[src]
            src, dst = src[~mine], dst[~mine]
            dist = shapely.distance(end_pts[src], points[dst])
            reach = self._reach(src, shapely.get_coordinates(points[dst]))
            near = reach <= self.tol
            src, dst, dist, reach = src[near], dst[near], dist[near], reach[near]
            order = np.lexsort((dist, reach - PRIORITY_M * (BARE_NODE - ranks[dst]), src))
            src, dst, dist = src[order], dst[order], dist[order]
            first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, dtype=bool)
            for i, t, d in zip(src[first], dst[first], dist[first]):
                self._to_target(self.ends[i], refs[t], points[t], float(d))
        free = [i for i, e in enumerate(self.ends) if e.kind == "free"]
        if not free or not len(self.usable):
            return
        src, dst = self.tree.query(end_pts[free], predicate="dwithin", distance=self.tol)
        pipe = self.usable[dst]
        mine = np.array([self.ends[free[s]].existing and self.ends[free[s]].owner == p for s, p in zip(src, pipe)],
                        dtype=bool)
        src, pipe = src[~mine], pipe[~mine]
        dist = shapely.distance(end_pts[np.asarray(free)[src]], self.geoms[pipe]) if len(src) else np.zeros(0)
        order = np.lexsort((dist, src))
        src, pipe, dist = src[order], pipe[order], dist[order]
        first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, dtype=bool)
        src, pipe, dist = src[first], pipe[first], dist[first]
        if not len(src):
            return
        along = shapely.line_locate_point(self.geoms[pipe], end_pts[np.asarray(free)[src]])
        xy = shapely.get_coordinates(shapely.line_interpolate_point(self.geoms[pipe], along))
        length = shapely.length(self.geoms[pipe])
        for s, p, d, a, point, total in zip(src, pipe, dist, along, xy, length):
            self._to_pipe(self.ends[free[s]], int(p), float(d), float(a), (float(point[0]), float(point[1])),
                          float(total))

    def _reach(self, src: np.ndarray, xy: np.ndarray) -> np.ndarray:
        return _reach([self.ends[i] for i in src], xy)

    def _own_node(self, end: End) -> int:
        if not end.existing:
            return -2
        return int((self.nodes.start if end.at_start else self.nodes.end)[end.owner])

    def _scheme_of(self, end: End) -> str | None:
        if end.existing:
            return self.pipe_scheme[end.owner]
        return self.values[end.owner]["scheme_id"]

    def _to_target(self, end: End, ref: tuple[str, int], point: shapely.Geometry, dist: float) -> None:
        layer, row = ref
        if layer == "node":
            junction = self._junction_at_node(row)
            end.xy = tuple(self.nodes.xy[row])
            end.node = self.book.of_junction(junction) if junction >= 0 else self.book.at(end.xy, self._scheme_of(end))
            kinds = [_KIND[lyr] + " " + str(i) for lyr, i in self._assets_at_node(row)]
            end.note = f"{end.label} joined to {kinds[0] if kinds else 'the end of ' + self._pipe_at_node(row)}" \
                       f" ({dist:.1f} m)"
        else:
            end.xy = (point.x, point.y)
            asset_id = self._asset_ids[layer][row]
            end.note = f"{end.label} joined to {_KIND[layer]} {asset_id} ({dist:.1f} m)"
            on_pipe = self._on_pipe(end.xy)
            if on_pipe is not None:  # e.g. a valve in the middle of a pipe: split the pipe there
                end.kind, end.pipe, end.along = "pipe", on_pipe[0], on_pipe[1]
                self.splits.setdefault(on_pipe[0], []).append((on_pipe[1], end))
                return
            end.node = self.book.of_junction(row) if layer == "junctions" else self.book.at(end.xy, self._scheme_of(end))
        end.kind = "node"

    def _junction_at_node(self, node: int) -> int:
        hits = self._at_index["junctions"].rows(node)
        return int(hits[0]) if len(hits) else -1

    def _assets_at_node(self, node: int) -> list[tuple[str, str]]:
        return [(layer, self._asset_ids[layer][row]) for layer in sorted(PRIORITY, key=PRIORITY.get)
                for row in self._at_index[layer].rows(node)]

    def _pipe_at_node(self, node: int) -> str:
        hits = self._end_index.rows(node) % len(self.pipe_ids)
        return str(self.pipe_ids[hits[0]]) if len(hits) else "a pipe"

    def _on_pipe(self, xy: tuple[float, float]) -> tuple[int, float] | None:
        """(pipe, distance along) when *xy* lies on the inside of an existing pipe."""
        if not len(self.usable):
            return None
        _, dst = self.tree.query_nearest([Point(xy)], max_distance=self.asset_tol, all_matches=False)
        if not len(dst):
            return None
        pos = int(self.usable[dst[0]])
        along, _ = project(self.geoms[pos], xy)
        if along <= self.node_tol or self.geoms[pos].length - along <= self.node_tol:
            return None
        return pos, along

    def _to_pipe(self, end: End, pos: int, dist: float, along: float, xy: tuple[float, float], length: float) -> None:
        near_start, near_end = along < self.min_part, length - along < self.min_part
        if near_start or near_end:  # a split would leave a sliver: use that end of the pipe instead
            node = int((self.nodes.start if near_start else self.nodes.end)[pos])
            self._to_target(end, ("node", node), Point(self.nodes.xy[node]), float(np.hypot(*(np.array(end.xy) -
                                                                                            self.nodes.xy[node]))))
            return
        end.kind, end.pipe, end.along, end.xy = "pipe", pos, along, xy
        end.note = f"{end.label} joined to {self.pipe_ids[pos]}, split there ({dist:.1f} m)"
        self.splits.setdefault(pos, []).append((along, end))

    def _resolve_pipe_splits(self) -> None:
        """Split points on one pipe closer than the tiny length become one junction."""
        groups: list[tuple[int, float, list[End]]] = []
        for pos, marks in self.splits.items():
            marks.sort(key=lambda m: m[0])
            for along, end in marks:
                if not groups or groups[-1][0] != pos or along - groups[-1][1] >= self.min_part:
                    groups.append((pos, along, []))
                groups[-1][2].append(end)
        if not groups:
            return
        points = shapely.get_coordinates(shapely.line_interpolate_point(
            self.geoms[[g[0] for g in groups]], np.array([g[1] for g in groups])))
        for (pos, along, ends), (x, y) in zip(groups, points):
            node = self.book.at((float(x), float(y)), self.pipe_scheme[pos])
            for end in ends:
                end.along, end.xy, end.node = along, self.book.xy[node], node

    # -- 5. free ends: other candidates, or a cap ------------------------------------------------
    def _join_free_ends(self) -> None:
        free = [e for e in self.ends if e.kind == "free" and not e.existing]
        if not free:
            return
        pts = shapely.points([e.xy for e in free])
        # Free ends close to each other (a walk cut in two, two walks meeting): one new junction.
        # Each must reach the other, reckoned along its heading (both may stop short of the node).
        a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=self.tol * AHEAD_FACTOR)
        keep = (a < b) & np.array([free[i].owner != free[j].owner for i, j in zip(a, b)], dtype=bool)
        a, b = a[keep], b[keep]
        xy = np.array([e.xy for e in free], dtype=float).reshape(-1, 2)
        keep = np.maximum(_reach([free[i] for i in a], xy[b]), _reach([free[j] for j in b], xy[a])) <= self.tol
        crossing = self._crossing_ends(free, a[~keep], b[~keep], xy)
        for i, j in crossing:
            keep[np.flatnonzero((a == i) & (b == j))] = True
        from .graph import component_labels

        labels = component_labels(len(free), a[keep], b[keep])
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            members = [free[i] for i in group]
            at = [crossing[(i, j)] for i in group for j in group if (i, j) in crossing]
            xy = at[0] if at else tuple(np.mean([m.xy for m in members], axis=0))
            node = self.book.at(xy, self._scheme_of(members[0]))
            for m in members:
                others = ", ".join(self.cand_ids[o.owner] for o in members if o is not m)
                m.kind, m.node, m.xy = "join", node, xy
                m.note = f"{m.label} joined to {others} (gap closed)"
        # Still free: onto a placed end of another candidate, or onto another candidate's line.
        still = [e for e in free if e.kind == "free"]
        placed = [e for e in self.ends if e.kind not in ("free", "tee") and not e.existing]
        near, dist = nearest_other([e.xy for e in still], [e.owner for e in still], [e.xy for e in placed],
                                    [e.owner for e in placed], self.tol)
        live = self._live()
        hosts, _ = nearest_other([e.xy for e in still], [e.owner for e in still], self.cand_geom[live], live, self.tol)
        ids = self.cand_ids
        for end, j, d, h in zip(still, near, dist, hosts):
            if j >= 0:
                target = placed[j]
                end.kind, end.node, end.xy = "join", target.node, target.xy
                end.note = f"{end.label} joined to {ids[target.owner]} ({d:.1f} m)"
            elif h >= 0:
                end.kind, end.pipe = "tee", int(live[h])
                end.note = f"{end.label} joined to {ids[live[h]]}, split there"
            else:
                end.node = self.book.at(end.xy, self._scheme_of(end), capped=True)
                end.kind = "cap"
                end.note = f"{end.label} free: end cap"

    def _crossing_ends(self, free: list[End], a: np.ndarray, b: np.ndarray, xy: np.ndarray
                       ) -> dict[tuple[int, int], tuple[float, float]]:
        """Pairs of ends whose walks cross within reach of both (each ran past the node): where they cross."""
        if not len(a):
            return {}
        lines_a = self.cand_geom[[free[i].owner for i in a]]
        lines_b = self.cand_geom[[free[j].owner for j in b]]
        meet = shapely.intersects(lines_a, lines_b)
        out: dict[tuple[int, int], tuple[float, float]] = {}
        for i, j, la, lb in zip(a[meet], b[meet], lines_a[meet], lines_b[meet]):
            pts = shapely.get_coordinates(shapely.intersection(la, lb))
            if not len(pts):
                continue
            pick = pts[np.argmin(np.hypot(*(pts - xy[i]).T) + np.hypot(*(pts - xy[j]).T))]
            if np.hypot(*(pick - xy[i])) <= self.tol and np.hypot(*(pick - xy[j])) <= self.tol:
                out[(int(i), int(j))] = (float(pick[0]), float(pick[1]))
        return out

    # -- 6. the plan -------------------------------------------------------------------------
    def _build(self) -> None:
        ends_of: dict[tuple[bool, int], dict[bool, End]] = {}
        for e in self.ends:
            ends_of.setdefault((e.existing, e.owner), {})[e.at_start] = e
        self._move_existing_ends(ends_of)
        lines = self._final_candidate_lines(ends_of)
        tees = self._tee_splits(lines, ends_of)
        pieces = self._candidate_pieces(lines, tees, ends_of)
        self._split_existing_pipes()
        self._give_ids(pieces)
        self._node_types()
        self._candidate_rows()
        for rows in (self.plan.splits, self.plan.new_junctions):  # points made at once, not one by one
            if rows:
                for row, point in zip(rows, shapely.points(np.array([r.pop("xy") for r in rows], dtype=float))):
                    row["geometry"] = point

    def _final_candidate_lines(self, ends_of: dict) -> dict[int, LineString]:
        """Each candidate cut where it passes nearest its targets (overshoot), then joined to them."""
        live = self._live()
        if not len(live):
            return {}
        lines = self.cand_geom[live]
        length = shapely.length(lines)
        targets = {}
        for at_start in (True, False):
            ends = [ends_of[(False, int(k))][at_start] for k in live]
            targets[at_start] = np.array([(np.nan, np.nan) if e.kind == "tee" else e.xy for e in ends], dtype=float)
        along = {key: np.full(len(live), np.nan) for key in (True, False)}
        for at_start, xy in targets.items():
            given = ~np.isnan(xy[:, 0])
            along[at_start][given] = shapely.line_locate_point(lines[given], shapely.points(xy[given]))
        a_start, a_end = np.nan_to_num(along[True], nan=0.0), np.nan_to_num(along[False], nan=length)
        cut_start = (self.node_tol < a_start) & (a_start <= self.tol) & (a_start < length - self.min_part)
        start = np.where(cut_start, a_start, 0.0)
        tail = length - a_end
        cut_end = (self.node_tol < tail) & (tail <= self.tol) & (tail < length - self.min_part) & (a_end > start)
        stop = np.where(cut_end, a_end, length)
        final = with_ends(cut_many(lines, np.arange(len(live)), start, stop), targets[True], targets[False],
                          self.node_tol)
        if self.wander_m > 0:  # GPS wander out, bends bigger than it kept; the ends stay where they were put
            final = shapely.simplify(final, self.wander_m, preserve_topology=False)
        firsts = shapely.get_point(final, 0)
        lasts = shapely.get_point(final, -1)
        bad = (shapely.length(final) < self.min_part) | (shapely.distance(firsts, lasts) <= self.node_tol)
        out: dict[int, LineString] = {}
        for k, geom, refuse in zip(live, final, bad):
            if refuse:
                self._reject(int(k), "both ends snap to the same place")
                continue
            out[int(k)] = geom
            self.notes[k] += [ends_of[(False, int(k))][True].note, ends_of[(False, int(k))][False].note]
        return out

    def _tee_splits(self, lines: dict[int, LineString], ends_of: dict) -> dict[int, list[tuple[float, End]]]:
        """Ends resting on another candidate: a node on it (split there), or its end when that is closer than a sliver.

        An end may rest near the end of a candidate whose own end is a tee still to be
        placed; that one is placed first, so every end has its node before pieces are cut.
        """
        tees: dict[int, list[tuple[float, End]]] = {}
        placing: set[int] = set()

        def place(e: End) -> None:
            if e.kind != "tee":
                return
            if e.pipe not in lines:
                e.kind, e.note = "cap", f"{e.label} free: end cap"
                e.node = self.book.at(e.xy, self._scheme_of(e), capped=True)
                return
            along, xy = project(lines[e.pipe], e.xy)
            host_len = lines[e.pipe].length
            if along < self.min_part or host_len - along < self.min_part:
                host_end = ends_of[(False, e.pipe)][along < self.min_part]
                if host_end.kind == "tee" and id(host_end) not in placing:
                    placing.add(id(e))
                    place(host_end)
                if host_end.kind == "tee":  # two ends resting on each other: one node where they are
                    node = self.book.at(e.xy, self._scheme_of(e))
                    e.kind, e.node, e.xy = "join", node, self.book.xy[node]
                else:
                    e.kind, e.node, e.xy = "join", host_end.node, host_end.xy
                said = self.notes[e.owner]
                if e.note in said:
                    said[said.index(e.note)] = e.note = f"{e.label} joined to the end of {self.cand_ids[e.pipe]}"
            else:
                e.node = self.book.at(xy, self._scheme_of(e))
                e.xy = xy
                e.kind = "tee placed"
                tees.setdefault(e.pipe, []).append((along, e))
            lines[e.owner] = set_end(lines[e.owner], e.xy, e.at_start, self.node_tol)

        for e in self.ends:
            if e.kind == "tee" and not e.existing and e.owner in lines:
                place(e)
        return tees

    def _candidate_pieces(self, lines: dict[int, LineString], tees: dict, ends_of: dict) -> dict[int, list[dict]]:
        pieces: dict[int, list[dict]] = {}
        for k, line in lines.items():
            marks = sorted(tees.get(k, []), key=lambda m: m[0])
            distances = [m[0] for m in marks]
            parts = split_at(line, distances) if distances else [line]
            start_node = ends_of[(False, k)][True].node
            end_node = ends_of[(False, k)][False].node
            inner = [m[1].node for m in marks]
            bounds = [start_node, *inner, end_node]
            reported = self.values[k].get("length_m")
            rows = []
            for part, a, b in zip(parts, bounds[:-1], bounds[1:]):
                values = dict(self.values[k])
                if reported is None:  # the contractor gave none: the length as drawn
                    values["length_m"] = round(part.length, 1)
                elif len(parts) > 1:
                    values["length_m"] = round(reported * part.length / line.length, 1)
                if values["scheme_id"] is None:
                    values["scheme_id"] = self.book.scheme[a] or self.book.scheme[b]
                rows.append({**values, "geometry": part, "_from": a, "_to": b, "_candidate": k})
                for node in (a, b):
                    self.book.attached[node] += 1
                    self.book.scheme[node] = self.book.scheme[node] or values["scheme_id"]
            pieces[k] = rows
        return pieces

    def _split_existing_pipes(self) -> None:
        if not self.splits:
            return
        marks = [(pos, end) for pos, ends in self.splits.items() for _, end in ends]
        pos = np.array([m[0] for m in marks], dtype=np.int64)
        lines = np.array([self.plan.pipe_updates.get(p, {}).get("geometry", self.geoms[p]) for p in pos],
                         dtype=object)
        along = np.round(shapely.line_locate_point(lines, shapely.points([m[1].xy for m in marks])), 9)
        node = np.array([m[1].node for m in marks], dtype=np.int64)
        order = np.lexsort((along, pos))
        pos, along, node, lines = pos[order], along[order], node[order], lines[order]
        fresh = np.r_[True, (pos[1:] != pos[:-1]) | (along[1:] != along[:-1])]  # one cut per place
        pos, along, node, lines = pos[fresh], along[fresh], node[fresh], lines[fresh]
        head = np.r_[True, pos[1:] != pos[:-1]]
        tail = np.r_[pos[1:] != pos[:-1], True]
        length = shapely.length(lines)
        begin = np.where(head, 0.0, np.r_[0.0, along[:-1]])
        # parts: before each cut, and after the last cut of each pipe
        part_owner = np.concatenate([np.arange(len(pos)), np.flatnonzero(tail)])
        part_begin = np.concatenate([begin, along[tail]])
        part_end = np.concatenate([along, length[tail]])
        part_rank = np.concatenate([np.arange(len(pos)), np.flatnonzero(tail) + 0.5])
        sequence = np.argsort(part_rank, kind="stable")
        parts = cut_many(lines, part_owner[sequence], part_begin[sequence], part_end[sequence])
        fields = [f for f in self.pipes.columns if f not in ("fid", "geometry", self.pipes.geometry.name, "pipe_id")]
        columns = {f: self._column(f) for f in fields}
        cursor = 0
        for a, b in zip(np.flatnonzero(head), np.flatnonzero(tail)):
            p = int(pos[a])
            mine = parts[cursor : cursor + (b - a) + 2]
            cursor += (b - a) + 2
            line_len = float(length[a])
            row = {f: (None if _empty(col[p]) else col[p]) for f, col in columns.items()}
            bounds = [row["from_node"], *node[a : b + 1].tolist(), row["to_node"]]
            reported = row["length_m"]
            update = self.plan.pipe_updates.setdefault(p, {})
            update["geometry"], update["to_node"] = mine[0], bounds[1]
            if reported is not None:
                update["length_m"] = round(float(reported) * mine[0].length / line_len, 1)
            for part, a_node, b_node in zip(mine[1:], bounds[1:-1], bounds[2:]):
                values = dict(row)
                if reported is not None:
                    values["length_m"] = round(float(reported) * part.length / line_len, 1)
                values.update({"from_node": a_node, "to_node": b_node, "geometry": part, "_split_of": p})
                self.plan.new_pipes.append(values)
            for node_key in bounds[1:-1]:
                self.book.attached[node_key] += 2
                self.plan.splits.append({"pipe_id": self.pipe_ids[p], "node": node_key, "xy": self.book.xy[node_key]})

    def _move_existing_ends(self, ends_of: dict) -> None:
        for (existing, pos), pair in ends_of.items():
            if not existing:
                continue
            geom = self.plan.pipe_updates.get(pos, {}).get("geometry", self.geoms[pos])
            for at_start, end in pair.items():
                if end.kind not in ("node", "pipe"):
                    continue
                old = Point(geom.coords[0] if at_start else geom.coords[-1])
                geom = set_end(geom, end.xy, at_start, self.tol)
                update = self.plan.pipe_updates.setdefault(pos, {})
                update["geometry"] = geom
                update["from_node" if at_start else "to_node"] = end.node
                self.book.attached[end.node] += 1
                node = int((self.nodes.start if at_start else self.nodes.end)[pos])
                for row in np.flatnonzero(self.nodes.at["junctions"] == node):
                    self.plan.junction_deletes.append(int(row))
                self.plan.moved.append({"pipe_id": self.pipe_ids[pos], "end": end.label,
                                        "distance_m": round(old.distance(Point(end.xy)), 3),
                                        "message": end.note, "geometry": Point(end.xy)})

    def _give_ids(self, pieces: dict[int, list[dict]]) -> None:
        new_nodes = [k for k in range(len(self.book.xy)) if self.book.junction[k] < 0]
        node_ids = next_ids(self.id_pool["J-"], len(new_nodes), "J-")
        self.node_id = {k: node_ids[i] for i, k in enumerate(new_nodes)}
        for k, row in enumerate(self.book.junction):
            if row >= 0:
                self.node_id[k] = str(self.data["junctions"]["node_id"].iloc[row])
        rows = [r for k in sorted(pieces) for r in pieces[k]]
        all_new = self.plan.new_pipes + rows
        pipe_ids = next_ids(self.id_pool["P-"], len(all_new), "P-")
        for row, pid in zip(all_new, pipe_ids):
            row["pipe_id"] = pid
        for row in all_new:
            for ref in ("from_node", "to_node"):
                if isinstance(row.get(ref), (int, np.integer)):
                    row[ref] = self.node_id[int(row[ref])]
            if "_from" in row:
                row["from_node"], row["to_node"] = self.node_id[row.pop("_from")], self.node_id[row.pop("_to")]
        for update in self.plan.pipe_updates.values():
            for ref in ("from_node", "to_node"):
                if isinstance(update.get(ref), (int, np.integer)):
                    update[ref] = self.node_id[int(update[ref])]
        self.plan.new_pipes = all_new
        for k, rows_k in pieces.items():
            self.result[k] = ", ".join(r["pipe_id"] for r in rows_k)
        for k in np.flatnonzero(self.state == "conflated"):
            if self.result[k].startswith("#"):
                self.result[k] = self.result[int(self.result[k][1:])]
        for k, head in self.merged_into.items():
            self.result[k] = self.result[head]
            self.state[k] = self.state[head] or "merged"
        for split in self.plan.splits:
            split["node_id"] = self.node_id[split.pop("node")]
        self._reassign_assets()

    def _reassign_assets(self) -> None:
        """Valves and taps referring to a split pipe now refer to the part they are on."""
        parts: dict[str, list[tuple[str, LineString]]] = {}
        for pos, update in self.plan.pipe_updates.items():
            if "geometry" in update:
                parts.setdefault(str(self.pipe_ids[pos]), []).append((str(self.pipe_ids[pos]), update["geometry"]))
        for row in self.plan.new_pipes:
            if "_split_of" in row:
                parts.setdefault(str(self.pipe_ids[row["_split_of"]]), []).append((row["pipe_id"], row["geometry"]))
        if not parts:
            return
        for layer in ("valves", "fhtc"):
            frame = self.data[layer]
            for pos in np.flatnonzero(frame["pipe_id"].isin(list(parts)).to_numpy()) if len(frame) else []:
                candidates = parts[frame["pipe_id"].iloc[pos]]
                geom = frame.geometry.iloc[pos]
                best = min(candidates, key=lambda c: c[1].distance(geom))[0]
                if best != frame["pipe_id"].iloc[pos]:
                    self.plan.asset_updates.setdefault(layer, {})[int(pos)] = {"pipe_id": best}

    def _node_types(self) -> None:
        diameters: dict[int, list[float]] = {}
        for row in self.plan.new_pipes:
            for ref in ("from_node", "to_node"):
                key = self._key_of(row[ref])
                if key is not None and not _empty(row.get("diameter_mm")):
                    diameters.setdefault(key, []).append(float(row["diameter_mm"]))
        for key in range(len(self.book.xy)):
            if self.book.attached[key] == 0 and not self.book.capped[key]:
                continue
            row = self.book.junction[key]
            existing_degree = 0
            if row >= 0:
                node = self.nodes.at["junctions"][row]
                existing_degree = int(self.nodes.degree[node]) if node >= 0 else 0
            degree = existing_degree + self.book.attached[key]
            dias = set(diameters.get(key, []))
            if row >= 0:
                current = self.data["junctions"]["node_type"].iloc[row]
                if current == "end_cap" and degree > 1:
                    new_type = "reducer" if degree == 2 and self._two_sizes(key, row, dias) else "junction"
                    self.plan.junction_updates[row] = {"node_type": new_type}
                continue
            if self.book.capped[key] and degree <= 1:
                node_type = "end_cap"
            else:
                node_type = "reducer" if degree == 2 and len(dias) == 2 else "junction"
            self.plan.new_junctions.append({"node_id": self.node_id[key], "scheme_id": self.book.scheme[key],
                                            "node_type": node_type, "xy": self.book.xy[key]})

    def _two_sizes(self, key: int, row: int, dias: set[float]) -> bool:
        node = self.nodes.at["junctions"][row]
        old = self._column("diameter_mm").astype(float)[self._end_index.rows(node) % len(self.pipe_ids)]
        return len(dias | {float(d) for d in old if not math.isnan(d)}) == 2

    def _key_of(self, node_id: Any) -> int | None:
        if not hasattr(self, "_keys"):
            self._keys = {v: k for k, v in self.node_id.items()}
        return self._keys.get(node_id)

    def _candidate_rows(self) -> None:
        fids = self.staged["fid"].to_numpy()
        for k in range(len(self.staged)):
            state = "added" if self.state[k] in ("", "merged") else self.state[k]
            self.plan.candidates.append({
                "position": k, "fid": int(fids[k]), "candidate_id": self.cand_ids[k], "state": state,
                "result_pipe_id": self.result[k] or None, "message": "; ".join(n for n in self.notes[k] if n),
            })


def _gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def _reach(ends: list[End], xy: np.ndarray) -> np.ndarray:
    """How far each point counts from its end: along the end's heading shortened, sideways as it is.

    A walk that stops short of its node (or runs past it) is off along its own line, so a
    node straight ahead is reached from farther than one beside the end. Ends without a
    heading get the plain distance.
    """
    exy = np.array([e.xy for e in ends], dtype=float).reshape(-1, 2)
    head = np.array([e.heading for e in ends], dtype=float).reshape(-1, 2)
    d = np.asarray(xy, dtype=float).reshape(-1, 2) - exy
    along = d[:, 0] * head[:, 0] + d[:, 1] * head[:, 1]
    side = np.abs(d[:, 0] * head[:, 1] - d[:, 1] * head[:, 0])
    known = np.hypot(head[:, 0], head[:, 1]) > 0
    return np.where(known, np.hypot(along / AHEAD_FACTOR, side), np.hypot(d[:, 0], d[:, 1]))


class _Lookup:
    """Rows of an integer array holding a given value, by binary search (the array is sorted once)."""

    def __init__(self, values: np.ndarray) -> None:
        self.order = np.argsort(values, kind="stable")
        self.sorted = values[self.order]

    def rows(self, value: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.sorted, [value, value + 1])
        return self.order[lo:hi]


def _key(layer: str) -> str:
    from ..registry.schema import LAYERS

    return LAYERS[layer].key


def _empty(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""


"""Where each staged pipe goes: the snapping plan, computed on frames, nothing written.

For every staged candidate, in order:

1. refuse what cannot be a pipe (no, empty, invalid or tiny geometry); join the pieces
   of a walk cut where the fix was lost;
2. conflate it when it repeats existing pipes (or an earlier candidate), judged part by
   part (:mod:`.conflate`): it is the same pipe walked again, so it is not added, it only
   fills attributes the existing pipe lacks;
3. trim an end that crosses an existing pipe and runs on for less than the tolerance
   (overshoot);
4. take each end to the best target within reach (:mod:`.snap_ends`): the nearest
   existing node or point asset, reckoned along the end's heading, priority breaking
   near ties (tank, source, pump, treatment unit, valve, junction, bare pipe end), else
   the nearest existing pipe (which is split there, with a new junction);
5. join the ends still free to other candidates (gap closing between pieces of one
   walk, walks meeting, or a tee onto another new pipe), else cap them with an end_cap
   junction;
6. build the plan (:mod:`.snap_build`): lines cut to their ends and cleaned of GPS
   wander, pipes split, ids given, node types set.

The plan is made on what lies within reach of the staged lines (:mod:`.snap_area`).
Existing pipes are split where new pipes join them, and never moved, unless
``allow_move_existing`` is set: then the registry's own loose ends near the network are
snapped too. Everything spatial runs on shapely's STRtree over arrays.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from itertools import repeat
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from ..feedback import Steps
from .attributes import CARRIED, pipe_values
from .conflate import SHARE, chain_share, pair_share
from .lines import crossings, cut_many, point_distances
from .network import NetworkData, Nodes, end_coords, located, network_nodes, positional
from .rules import resolve_params
from .snap_area import near_staged, to_whole
from .snap_build import BuildPhase
from .snap_ends import EndsPhase
from .snap_model import (
    AHEAD_FACTOR,
    BARE_NODE,
    FILLABLE,
    PIECE,
    PIECE_GAP_MAX,
    PRIORITY,
    WANDER_ERRORS,
    End,
    Lookup,
    NodeBook,
    Plan,
    empty,
    end_headings,
    gap,
    layer_key,
    reach_xy,
)
from .snap_tolerance import walked_lines
from .spatial import box_pairs, diagonals, points_within
from .walk_average import average_lines

#: The staged columns a new pipe's values are made from (see :func:`.attributes.pipe_values`).
ATTRIBUTE_INPUTS = (*CARRIED, "scheme_id", "geom_source")

__all__ = ["BARE_NODE", "PRIORITY", "End", "NodeBook", "Plan", "plan_snap"]


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
    with _no_cycle_collection():  # from the start: setting up makes a few objects per staged line too
        planner = _Planner(cut[0] if cut else data, staged, tolerance, allow_move_existing, resolve_params(params))
        planner.id_pool = data.id_pool or {"P-": data.pipes["pipe_id"], "J-": data["junctions"]["node_id"]}  # whole
        planner.error_m = error if error else tolerance / 4
        planner.repeat_m = min(tolerance / 2, 1.5 * planner.error_m)
        planner.wander_m = WANDER_ERRORS * error if error else 0.0
        plan = planner.run(steps)
    if cut:
        to_whole(plan, cut[1])
    return plan


def _value_keys(column: np.ndarray) -> list[tuple[type, Any] | None]:
    """Per value of an object column: None when missing (None or NaN), else the value with its type (1 is not
    1.0). Pairs made in C; only the values pandas takes for missing are looked at one by one."""
    keys: list[tuple[type, Any] | None] = list(zip(map(type, column), column))
    for i in np.flatnonzero(pd.isna(column)).tolist():
        v = column[i]
        if v is None or (isinstance(v, float) and v != v):
            keys[i] = None
    return keys


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The plan makes a few objects per staged end (no reference cycles): Python's cycle collector,
    set off by every so many allocations, would otherwise walk the whole heap again and again.
    Afterwards what lives on is frozen (left out of later collections; freed as usual when no longer
    used) instead of all being walked by the first young collection."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


class _Planner(EndsPhase, BuildPhase):
    def __init__(self, data: NetworkData, staged: gpd.GeoDataFrame, tolerance: float, allow_move: bool,
                 p: dict[str, float]) -> None:
        self.data = data
        self.staged = staged
        self.tol = float(tolerance)
        self.allow_move = allow_move
        self.id_pool = {"P-": data.pipes["pipe_id"], "J-": data["junctions"]["node_id"]}  # ids new ones continue
        self.error_m = self.tol / 4  # typical GPS error of the lines
        self.repeat_m = self.tol / 2  # typical distance of a repeat walk from its pipe, at most
        self.wander_m = 0.0  # GPS wander taken out of the new lines (simplification tolerance)
        self.meet_m = self.tol / 2  # farthest an existing node or pipe walks end on from where they meet
        self.node_tol = p["node_tolerance_m"]
        self.asset_tol = p["asset_tolerance_m"]
        self.min_part = p["tiny_length_m"]
        self.pipes = data.pipes
        self.geoms = np.asarray(self.pipes.geometry.values, dtype=object)
        self.usable = np.flatnonzero(data.usable)
        self.tree = shapely.STRtree(self.geoms[self.usable])
        self.nodes: Nodes = network_nodes(data, self.node_tol, self.asset_tol)
        self.pipe_ids = self.pipes["pipe_id"].astype(object).to_numpy()
        schemes = self.pipes["scheme_id"].to_numpy(dtype=object)  # text kept, anything else None (checked in C)
        self.pipe_scheme = np.where(np.fromiter(map(isinstance, schemes, repeat(str)), dtype=bool, count=len(schemes)),
                                    schemes, None).astype(object)
        self.cand_ids = staged["candidate_id"].astype(str).to_numpy()
        self._columns: dict[str, np.ndarray] = {}
        self._asset_ids = {layer: data[layer][layer_key(layer)].astype(str).to_numpy() for layer in PRIORITY}
        self._at_index = {layer: Lookup(self.nodes.at[layer]) for layer in PRIORITY}
        self._end_index = Lookup(np.concatenate([self.nodes.start, self.nodes.end]))
        self.schemes = set(data["schemes"]["scheme_id"].dropna().astype(str))
        self.book = NodeBook(data["junctions"], self.node_tol)
        self.plan = Plan()
        n = len(staged)
        self.cand_geom = np.asarray(staged.geometry.values, dtype=object).copy()
        self.walked = walked_lines(staged)  # fitted again with their ends on their nodes
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
        """Pipe values per candidate; a batch repeats a few attribute sets, so each is worked out once."""
        names = [c for c in ATTRIBUTE_INPUTS if c in self.staged.columns]
        columns = [self.staged[c].to_numpy(dtype=object) for c in names]
        n = len(self.staged)
        # each row's key (missing values alike, a value with its type), made column by column
        keys = list(zip(*map(_value_keys, columns))) if columns else [()] * n
        first_rows: dict[tuple[Any, ...], int] = {}
        first_of = list(map(first_rows.setdefault, keys, range(n)))  # per row, its key's first row (one hash a row)
        seen: dict[int, tuple[dict[str, Any], list[str]]] = {
            row: pipe_values({name: column[row] for name, column in zip(names, columns)}, self.schemes)
            for row in first_rows.values()}  # worked out in row order, as met
        said = list(map(seen.__getitem__, first_of))
        self.values += [values for values, _ in said]  # shared by the candidates alike: read only (pieces copy it)
        if any(notes for _, notes in seen.values()):
            for k, (_, notes) in enumerate(said):
                if notes:
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
        box = shapely.bounds(lines) + np.array([-self.tol, -self.tol, self.tol, self.tol])
        src, dst = self.tree.query(diagonals(box))  # boxes only: no distance worked out yet
        if not len(src):
            return
        targets = self.geoms[self.usable]
        # cheap first: a pipe much longer than the walk cannot be covered by it
        pipe_len = self._pipe_length[self.usable]
        fits = pipe_len[dst] <= shapely.length(lines)[src] / SHARE + 2 * self.tol
        src, dst = src[fits], dst[fits]
        # a pipe the walk covers has both its ends near the walk: in its box first (numpy), then
        # two point-line distances (no sampling)
        first, last = (xy[self.usable[dst]] for xy in self._pipe_ends)
        inside = np.ones(len(src), dtype=bool)
        for xy in (first, last):
            inside &= (xy[:, 0] >= box[src, 0]) & (xy[:, 0] <= box[src, 2]) & (xy[:, 1] >= box[src, 1]) & \
                (xy[:, 1] <= box[src, 3])
        src, dst, first, last = src[inside], dst[inside], first[inside], last[inside]
        ends_near = (point_distances(first, lines, src) <= self.tol) & (point_distances(last, lines, src) <= self.tol)
        src, dst = src[ends_near], dst[ends_near]
        covered, _, _ = pair_share(targets, lines, dst, src, self.tol)  # each pipe covered by the walk
        src, dst, covered = src[covered >= SHARE], dst[covered >= SHARE], covered[covered >= SHARE]
        share, median, apart = chain_share(lines, targets, src, dst, self.tol)
        same = (share >= SHARE) & (median <= self.repeat_m) & (apart <= self.tol)
        covers = covered * pipe_len[dst]  # the pipe a walk covers most is the one it repeats
        order = np.lexsort((-covers, src))
        head = np.r_[True, src[order][1:] != src[order][:-1]] if len(order) else np.zeros(0, dtype=bool)
        by_walk = dict(zip(src[order][head].tolist(), dst[order][head].tolist()))
        walks = np.flatnonzero(same)
        repeated = self.usable[np.array([by_walk[j] for j in walks.tolist()], dtype=int)]
        beside = self._walk_neighbours(lines[walks], repeated)
        for j, target in zip(walks[~beside].tolist(), repeated[~beside].tolist()):
            k = live[j]
            self.state[k] = "conflated"
            self.result[k] = str(self.pipe_ids[target])
            filled = self._fill(target, self.values[k])
            text = (f"duplicates {self.pipe_ids[target]} ({100 * share[j]:.0f} % of it within {self.tol:g} m, "
                    f"typically {median[j]:.1f} m off); not added")
            self.notes[k].insert(0, text + (f"; filled {', '.join(filled)} from the track" if filled else ""))

    @cached_property
    def _pipe_length(self) -> np.ndarray:
        """Each pipe's length, worked out once (phases ask for many pipes' lengths, some again and again)."""
        return shapely.length(self.geoms)

    @cached_property
    def _pipe_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Each usable pipe's first and last vertex (xy; NaN for the others), read once."""
        first, last = np.full((len(self.geoms), 2), np.nan), np.full((len(self.geoms), 2), np.nan)
        first[self.usable], last[self.usable] = end_coords(self.geoms[self.usable])
        return first, last

    @cached_property
    def _node_tree(self) -> shapely.STRtree:
        """An index of the registry's nodes, made when a conflation first asks where a walk ends."""
        return shapely.STRtree(shapely.points(self.nodes.xy))

    @cached_property
    def _joined(self) -> set[tuple[int, int]]:
        """The node pairs an existing pipe joins (lower node first)."""
        nodes = self.nodes
        return set(zip(np.minimum(nodes.start, nodes.end)[self.usable].tolist(),
                       np.maximum(nodes.start, nodes.end)[self.usable].tolist()))

    def _walk_neighbours(self, lines: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Per line: True when it, though it runs along existing pipe *targets* (its own), is the walk of
        a pipe beside it.

        Two mains a few metres apart have the same shape within the GPS error, and a short pipe can lie
        along a longer walk from the same node; the walk of the pipe missing from the registry ends at
        other nodes than its target (one or both nearer to the walk's end than the end of the target
        is, by a repeat's distance) which no existing pipe joins yet: it is that pipe, not the target
        again. All lines at once: one index query for every tip, distances as arrays.
        """
        nodes = self.nodes
        out = np.zeros(len(lines), dtype=bool)
        own = np.stack([nodes.start[targets], nodes.end[targets]], axis=1).astype(np.int64)
        rows = np.flatnonzero(own.min(axis=1) >= 0) if len(own) else np.zeros(0, dtype=np.int64)
        if not len(rows):
            return out
        first, last = end_coords(lines[rows])
        tip_xy = np.concatenate([first, last])
        tips = shapely.points(tip_xy)  # first tips, then last tips
        mine = np.concatenate([own[rows], own[rows]])
        gaps = shapely.distance(tips[:, None], shapely.points(nodes.xy[mine]))
        beside = mine[np.arange(len(mine)), np.argmin(gaps, axis=1)]  # else the nearer end of the target
        reach = gaps.min(axis=1) - self.repeat_m  # nodes nearer than the target's end
        ask = np.flatnonzero(reach > 0)
        tip, hit, apart = points_within(self._node_tree, tip_xy[ask], np.minimum(reach[ask], self.tol), nodes.xy)
        tip = ask[tip]
        keep = (hit != mine[tip, 0]) & (hit != mine[tip, 1])
        tip, hit, apart = tip[keep], hit[keep], apart[keep]
        order = np.lexsort((np.arange(len(tip)), apart, tip))  # nearest per tip, the first met on ties
        tip, hit = tip[order], hit[order]
        head = np.r_[True, tip[1:] != tip[:-1]] if len(tip) else np.zeros(0, dtype=bool)
        beside[tip[head]] = hit[head]
        m = len(rows)
        a, b = np.minimum(beside[:m], beside[m:]), np.maximum(beside[:m], beside[m:])
        lo, hi = own[rows].min(axis=1), own[rows].max(axis=1)
        joined = self._joined
        out[rows] = ((a != lo) | (b != hi)) & (a != b) & np.array(
            [pair not in joined for pair in zip(a.tolist(), b.tolist())], dtype=bool)
        return out

    def _column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            self._columns[name] = self.pipes[name].to_numpy()
        return self._columns[name]

    @cached_property
    def _fillable(self) -> list[np.ndarray]:
        """The columns a conflated walk may fill, in ``FILLABLE`` order (read once, not per walk)."""
        return [self._column(name) for name in FILLABLE]

    def _fill(self, pos: int, values: dict[str, Any]) -> list[str]:
        update = self.plan.pipe_updates.setdefault(pos, {})
        filled = []
        for name, column in zip(FILLABLE, self._fillable):
            current = update[name] if name in update else column[pos]
            if empty(current) and not empty(values.get(name)):
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
        # boxes grown by the tolerance first: a repeat lies within it of the first walk, which the
        # shares below check, so no distance is worked out for the many pairs that only touch
        box = shapely.bounds(lines) + np.array([-self.tol / 2, -self.tol / 2, self.tol / 2, self.tol / 2])
        cell = float(np.median(np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])))
        a, b = box_pairs(*box.T, max(cell, self.tol, 1e-6))  # grid hashing, each pair once (a < b)
        by_first = np.lexsort((b, a))
        a, b = a[by_first], b[by_first]
        length = shapely.length(lines)
        similar = np.abs(length[a] - length[b]) <= (1 - SHARE) * np.maximum(length[a], length[b]) + 2 * self.tol
        a, b = a[similar], b[similar]
        # cheap, in numpy: a repeat starts and ends near where the first walk does (either way round)
        first, last = end_coords(lines)
        slack = self.tol + (1 - SHARE) * np.maximum(length[a], length[b])
        same_way = np.maximum(gap(first[a], first[b]), gap(last[a], last[b]))
        other_way = np.maximum(gap(first[a], last[b]), gap(last[a], first[b]))
        near = np.minimum(same_way, other_way) <= slack
        a, b = a[near], b[near]
        if not len(a):
            return
        b_in_a, b_off, b_apart = pair_share(lines, lines, b, a, self.tol)
        a_in_b, a_off, a_apart = pair_share(lines, lines, a, b, self.tol)
        off = self.repeat_m * np.sqrt(2)  # two walks, each as far off its pipe as a repeat is: sqrt(2) times apart
        same = (b_in_a >= SHARE) & (a_in_b >= SHARE) & (b_off <= off) & (a_off <= off) & \
            (np.maximum(a_apart, b_apart) <= self.tol)
        for i, j in zip(a[same], b[same]):
            first, later = order[i], order[j]
            if self.state[first] or self.state[later]:
                continue
            if self._lead_apart(lines[i], lines[j]):
                continue
            self.state[later] = "conflated"
            self.result[later] = f"#{first}"  # resolved to the first one's pipe id when ids are given
            self.cand_geom[first] = average_lines(self.cand_geom[first], self.cand_geom[later], self.wander_m)
            self.notes[later].insert(0, f"duplicates candidate {self.cand_ids[first]}; not added")

    def _lead_apart(self, one: LineString, other: LineString) -> bool:
        """True when two walks alike in shape lead to different existing nodes: two pipes, not one walked twice.

        Two pipes from one node to two existing nodes a few metres apart lie within the GPS error of each
        other all along; what tells them apart is where they end. Each walk's end is matched to the
        other's nearer to it, and an end pair leads apart when the existing node each end reaches first
        (reckoned along its heading, and short of a stub lying along it, as the ends are snapped:
        :func:`.snap_model.reach_xy`, :meth:`_stub_near`) is a different one for each, both ends within
        the GPS error of theirs (a re-walk heads for the same node as the first walk).
        """
        nodes = self.nodes
        if not nodes.count:
            return False
        tips, head = (v.transpose(1, 0, 2).reshape(-1, 2) for v in end_headings(np.array([one, other], dtype=object)))
        # tips and head in the order: one's start, other's start, one's end, other's end
        src, dst = self._node_tree.query(shapely.points(tips), predicate="dwithin", distance=self.tol * AHEAD_FACTOR)
        reach = reach_xy(tips[src], head[src], nodes.xy[dst])
        ok = reach <= self.tol
        src, dst, reach = src[ok], dst[ok], reach[ok]
        near = np.full(4, -1)
        order = np.lexsort((reach, src))[::-1]  # the least reach of each tip written last
        near[src[order]] = dst[order]
        near = np.array([self._stub_near(int(n), head[i], tips[i]) if n >= 0 else -1 for i, n in enumerate(near)])
        # only an end standing within the GPS error of its node tells (one short or past it may be trimmed
        # or drawn to another node yet)
        near[(near >= 0) & (gap(tips, nodes.xy[np.maximum(near, 0)]) > self.error_m)] = -1
        a_tips, b_tips = near[[0, 2]], near[[1, 3]]
        if gap(tips[[0, 2]], tips[[1, 3]]).max() > gap(tips[[0, 2]], tips[[3, 1]]).max():
            b_tips = b_tips[::-1]
        return bool(((a_tips >= 0) & (b_tips >= 0) & (a_tips != b_tips)).any())

    def _join_pieces(self) -> None:
        """Consecutive pieces of one walk (cut where the fix was lost) become one line across the gap."""
        refs = self.staged["source_ref"].astype(object).to_numpy()
        batches = self.staged["import_batch"].astype(object).to_numpy()
        files = self.staged["source_file"].astype(object).to_numpy()
        walks: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
        live = self._live()
        marked = [k for k, ref in zip(live.tolist(), refs[live].tolist())
                  if isinstance(ref, str) and "[piece " in ref]  # only these can match PIECE: no regex for the rest
        for k in marked:
            match = PIECE.search(refs[k])
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
        src, dst = self.tree.query(lines)  # boxes, in the order an "intersects" query keeps
        if not len(src):
            return
        pipes = self.geoms[self.usable[dst]]
        xy, pair, unsure = crossings(lines[src], pipes)  # clean crossings in numpy
        xy, pair = xy[~unsure[pair]], pair[~unsure[pair]]
        ask = np.flatnonzero(unsure)  # through a vertex or along a stretch: GEOS
        parts, owner = shapely.get_parts(shapely.intersection(lines[src[ask]], pipes[ask]), return_index=True)
        stretch = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
        points = np.where(stretch, shapely.get_point(parts, 0), parts)  # for a shared stretch, its first point
        found = located(points)
        by_pair = np.argsort(np.concatenate([pair, ask[owner[found]]]), kind="stable")
        points = np.concatenate([shapely.points(xy), points[found]])[by_pair]
        owner = np.concatenate([pair, ask[owner[found]]])[by_pair]
        if not len(owner):  # boxes meet, lines do not
            return
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
        left = shapely.length(trimmed).tolist()
        across_start, across_end = self.pipe_ids[pipe[first]], self.pipe_ids[pipe[last]]  # not a copy per line
        for i, geom, geom_len in zip(chosen, trimmed, left):
            k = live[which[i]]
            if trim_start[i]:
                self.notes[k].append(f"trimmed {start[i]:.1f} m overshoot at the start across {across_start[i]}")
            if trim_end[i]:
                self.notes[k].append(f"trimmed {length[i] - stop[i]:.1f} m overshoot at the end across "
                                     f"{across_end[i]}")
            self.cand_geom[k] = geom
            if geom_len < self.min_part:
                self._reject(k, "nothing left after trimming overshoots")

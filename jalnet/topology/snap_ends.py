"""Snap plan, placing the ends: onto existing nodes and pipes, then onto each other or capped.

A mixin of :class:`.snap_plan._Planner` (its state: ``ends``, ``book``, ``splits``, ...).
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import attrgetter

import numpy as np
import shapely
from shapely.geometry import Point

from .graph import component_labels
from .lines import crossings, interpolate, point_distances, project
from .network import legit_dead_ends, located
from .snap_meet import crossing_along, last_runs, meeting_points
from .snap_model import (
    _KIND,
    AHEAD_FACTOR,
    BARE_NODE,
    PRIORITY,
    PRIORITY_M,
    End,
    close_pairs,
    end_headings,
    heads_of,
    near_cells,
    new_ends,
    of_kind,
    others_in_groups,
    owners_of,
    pick,
    reach_xy,
    set_each,
    xy_of,
)
from .spatial import boxes_around, nearest_of_pairs, nearest_other, points_within, single_points_xy

_AT_START = attrgetter("at_start")
_CAP_NOTE = {True: "start free: end cap", False: "end free: end cap"}
#: Least spread of the headings of walks meeting (smaller eigenvalue of the sum of their outer
#: products: 1 - |cos| for two) for their meeting point to rule out a node away from it: 30 degrees.
MEET_SPREAD = 0.13
#: GPS errors a walk's line may lie beside the node or pipe it ends on (the reach's own two errors,
#: see :mod:`.snap_tolerance`): the rest of the reach is the overrun, which is along the walk.
SIDE_ERRORS = 2.0


class EndsPhase:
    # -- 4. ends onto the network ---------------------------------------------------------------
    def _collect_ends(self) -> None:
        """Two ends per live candidate, start then end, in candidate order; their points, headings and
        owners also kept as arrays (``end_xy``, ``end_head``, ``end_owner``) for the bulk phases."""
        live = self._live()
        tips, heads = end_headings(self.cand_geom[live])
        # interleaved: the start and end of each candidate in turn
        self.end_xy = tips.reshape(-1, 2)
        self.end_head = heads.reshape(-1, 2)
        self.end_owner = np.repeat(live, 2)
        self.ends = new_ends(self.end_owner, self.end_xy, self.end_head)
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
        if not len(points) and not len(self.usable):  # nothing in the registry to snap to
            return
        # the candidates' ends as collected (arrays), then the registry's loose ends when they may move
        extra = self.ends[len(self.end_owner):]
        xy = np.vstack([self.end_xy, np.array([e.xy for e in extra], dtype=float).reshape(-1, 2)])
        head = np.vstack([self.end_head, np.zeros((len(extra), 2))])
        existing = np.r_[np.zeros(len(self.end_owner), dtype=bool), np.ones(len(extra), dtype=bool)]
        owner = np.r_[self.end_owner, np.array([e.owner for e in extra], dtype=np.int64)]
        owner_node = np.r_[np.full(len(self.end_owner), -2), np.array([self._own_node(e) for e in extra],
                                                                       dtype=np.int64)]
        end_pts = shapely.points(xy)
        centre, lead, axis = self._meeting_centres(len(xy))
        if len(points):
            tree, all_xy = shapely.STRtree(points), single_points_xy(points)
            if all_xy is not None:  # the pairs and distances in numpy, as GEOS has them
                src, dst, dist = points_within(tree, xy, self.tol * AHEAD_FACTOR, all_xy)
            else:
                src, dst = tree.query(end_pts, predicate="dwithin", distance=self.tol * AHEAD_FACTOR)
                dist = shapely.distance(end_pts[src], points[dst])
            mine = own_node[dst] == owner_node[src]
            src, dst, dist = src[~mine], dst[~mine], dist[~mine]
            target_xy = shapely.get_coordinates(points[dst])
            reach = reach_xy(xy[src], head[src], target_xy)
            away = self._away_from_meeting(xy[src], centre[src], target_xy, axis[src])
            near = (reach <= self.tol) & ~away
            src, dst, dist, reach = src[near], dst[near], dist[near], reach[near]
            order = np.lexsort((dist, reach - PRIORITY_M * (BARE_NODE - ranks[dst]), src))
            src, dst, dist = src[order], dst[order], dist[order]
            first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, dtype=bool)
            for i, t, d in zip(src[first].tolist(), dst[first].tolist(), dist[first].tolist()):
                if refs[t][0] == "node":
                    t = self._short_of_stub(self.ends[i], t, refs)
                    d = float(np.hypot(*(np.array(self.ends[i].xy) - self.nodes.xy[refs[t][1]])))
                self._to_target(self.ends[i], refs[t], points[t], d)
        free = np.flatnonzero([e.kind == "free" for e in self.ends])
        if not len(free) or not len(self.usable):
            return
        # the pipes within reach: the boxes a "dwithin" query looks in (the same pairs, in its order), the
        # distances in numpy as GEOS works them out (then needed anyway), not a GEOS test per pair
        src, dst = self.tree.query(boxes_around(xy[free], self.tol))
        pipe = self.usable[dst]
        dist = point_distances(xy[free[src]], self.geoms, pipe)
        keep = (dist <= self.tol) & ~(existing[free[src]] & (owner[free[src]] == pipe))
        src, pipe, dist = src[keep], pipe[keep], dist[keep]
        meets = np.flatnonzero(~np.isnan(lead[free[src], 0]))
        if len(meets):  # walks meeting away from the pipe meet each other, not on it
            at = lead[free[src[meets]]]
            off = point_distances(at, self.geoms, pipe[meets]) > self._side_m
            keep = np.ones(len(src), dtype=bool)
            keep[meets[off]] = False
            src, pipe, dist = src[keep], pipe[keep], dist[keep]
        order = np.lexsort((dist, src))  # each end's pipes, nearest first (equals in the query's order)
        src, pipe, dist = src[order], pipe[order], dist[order]
        met, along, at = self._first_met(src, pipe, xy[free], head[free], end_pts[free])
        src, pipe, dist, along, at = src[met], pipe[met], dist[met], along[met], at[met]
        if not len(src):
            return
        length = self._pipe_length[pipe]
        near_start = along < self.min_part
        sliver = near_start | (length - along < self.min_part)  # a split would leave a sliver
        ends, splits = self.ends, self.splits
        for i, p, at_start in zip(free[src[sliver]].tolist(), pipe[sliver].tolist(), near_start[sliver].tolist()):
            self._to_pipe_end(ends[i], p, at_start)
        cut = ~sliver  # the many split there: set in bulk (the splits touch no node yet)
        members, p, a = pick(ends, free[src[cut]]), pipe[cut].tolist(), along[cut].tolist()
        set_each(members, "kind", repeat("pipe"))
        set_each(members, "pipe", p)
        set_each(members, "along", a)
        set_each(members, "xy", map(tuple, at[cut].tolist()))
        set_each(members, "note", [f"{'start' if at_start else 'end'} joined to {pid}, split there ({d:.1f} m)"
                                   for at_start, pid, d in zip(map(_AT_START, members), self.pipe_ids[pipe[cut]].tolist(),
                                                               dist[cut].tolist())])
        for pos, along_pos, end in zip(p, a, members):
            splits.setdefault(pos, []).append((along_pos, end))

    def _first_met(self, src: np.ndarray, pipe: np.ndarray, xy: np.ndarray, head: np.ndarray, pts: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per end, the first of its pipes (*src*, *pipe*: by end, nearest first) that it meets ahead of it (or
        just behind), beside its line by the GPS error only: which pair, how far along the pipe, and the point
        (pairs not met: along and point 0). Where on a pipe is worked out for each end's nearest pipe first,
        then only for the ends that one fails, and so on (each pair on its own: the same answers)."""
        rank = np.arange(len(src)) - np.searchsorted(src, src)  # place among its end's pipes
        met = np.zeros(len(src), dtype=bool)
        along, at = np.zeros(len(src)), np.zeros((len(src), 2))
        done = np.zeros(len(xy), dtype=bool)
        for r in range(int(rank.max()) + 1 if len(rank) else 0):
            ask = np.flatnonzero((rank == r) & ~done[src])
            if not len(ask):
                continue
            end, on = src[ask], pipe[ask]
            a = crossing_along(self.geoms[on], xy[end], head[end], self.tol,
                               shapely.line_locate_point(self.geoms[on], pts[end]))
            p = interpolate(self.geoms, on, a)
            h = head[end]
            ok = np.abs((p[:, 0] - xy[end, 0]) * h[:, 1] - (p[:, 1] - xy[end, 1]) * h[:, 0]) <= self._side_m
            met[ask[ok]], along[ask[ok]], at[ask[ok]] = True, a[ok], p[ok]
            done[end[ok]] = True
        return met, along, at

    def _meeting_centres(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per end (*n*: the candidates' ends first): where it meets ends of other walks within reach of it
        (:func:`.snap_meet.meeting_points`), NaN for an end no other walk's end reaches; twice, by how
        sure the walks are of it.

        Several walks ending together make a junction where their lines point to; an existing node or
        pipe they each reach but which lies away from that point is not where they end. A node is
        where walks joining the network usually end, so it is ruled out only by a point two ends or
        more stand within ``meet_m`` of (first array), for them and for every other end whose line
        leads there (one that ran past the point is held by it too). A pipe passing by is ruled out
        already by a point two walks' lines lead to, their ends short of it or past it by up to
        ``meet_m`` reckoned along their heading, as reach is (second array). Walks meeting in line
        (``MEET_SPREAD``) fix no point along their common line, only beside it: the third array is that
        line's direction for their ends (0 for walks meeting at an angle), and a node ahead or behind
        on it is not ruled out. The ends of the second kind are marked with their group (``End.meeting``):
        their splits of one pipe are one node (:meth:`_resolve_pipe_splits`).
        """
        stand, lead, axis = np.full((n, 2), np.nan), np.full((n, 2), np.nan), np.zeros((n, 2))
        xy, head = self.end_xy, self.end_head
        a, b, reached = self._pairs_in_reach(xy, head, self.end_owner)
        a, b = a[reached], b[reached]
        if not len(a):
            return stand, lead, axis
        labels = component_labels(len(xy), a, b)
        grouped = np.flatnonzero(np.bincount(labels)[labels] >= 2)
        # only where the walks come in at an angle is the point sure; walks in line meet anywhere along it
        spread = np.zeros((int(labels.max()) + 1, 2, 2))
        np.add.at(spread, labels[grouped], head[grouped][:, :, None] * head[grouped][:, None, :])
        values, vectors = np.linalg.eigh(spread)
        angled = values[:, 0] >= MEET_SPREAD
        centres = meeting_points(xy[grouped], head[grouped], last_runs(self.cand_geom, pick(self.ends, grouped)),
                                 labels[grouped], int(labels.max()) + 1)
        at = centres[labels[grouped]]
        n_groups = len(centres)

        def two_or_more(ends: np.ndarray) -> np.ndarray:
            return ends[np.bincount(labels[ends], minlength=n_groups)[labels[ends]] >= 2]

        standing = two_or_more(grouped[np.hypot(*(xy[grouped] - at).T) <= self.meet_m])  # ends near the point
        leading = grouped[reach_xy(xy[grouped], head[grouped], at) <= self.meet_m]  # ends whose lines lead there
        sure = np.zeros(n_groups, dtype=bool)
        sure[labels[standing]] = True
        held = np.union1d(standing, leading[sure[labels[leading]]])  # the point two ends stand near holds them all
        stand[held] = centres[labels[held]]
        led = two_or_more(leading[angled[labels[leading]]])
        lead[led] = centres[labels[led]]
        for k in led.tolist():  # ends whose lines lead to one point: their splits of one pipe are one node
            self.ends[k].meeting = int(labels[k])
        inline = grouped[~angled[labels[grouped]]]
        axis[inline] = vectors[labels[inline], :, 1]  # the main direction of their headings
        return stand, lead, axis

    def _pairs_in_reach(self, xy: np.ndarray, head: np.ndarray, owner: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (a, b) of ends of different walks near each other, and whether each pair is in reach: each
        end reaches the other, reckoned along its heading (both may stop short of the node)."""
        a, b = close_pairs(xy, self.tol * AHEAD_FACTOR)
        keep = owner[a] != owner[b]
        a, b = a[keep], b[keep]
        return a, b, np.maximum(reach_xy(xy[a], head[a], xy[b]), reach_xy(xy[b], head[b], xy[a])) <= self.tol

    @property
    def _side_m(self) -> float:
        """Farthest a walk's line lies beside the node or pipe it ends on (m): its GPS error, not the overrun
        (that is along the walk), ``SIDE_ERRORS`` of them; so is a point where walks meet (at most half the
        tolerance)."""
        return min(self.meet_m, SIDE_ERRORS * self.error_m)

    def _away_from_meeting(self, xy: np.ndarray, centre: np.ndarray, target_xy: np.ndarray, axis: np.ndarray
                           ) -> np.ndarray:
        """Targets farther than ``_side_m`` from the meeting point of their end's walks (NaN: none), and
        farther from that point than the end is (an end between the point and a node ran past the
        point); for walks meeting in line (unit *axis*, else 0), farther beside their line."""
        with np.errstate(invalid="ignore"):
            d = target_xy - centre
            beyond = np.hypot(d[:, 0], d[:, 1]) > np.hypot(*(xy - centre).T)
            inline = np.hypot(axis[:, 0], axis[:, 1]) > 0.5
            off = np.where(inline, np.abs(d[:, 0] * axis[:, 1] - d[:, 1] * axis[:, 0]), np.hypot(d[:, 0], d[:, 1]))
            return (off > self._side_m) & beyond

    def _short_of_stub(self, end: End, target: int, refs: list[tuple[str, int]]) -> int:
        """The near node of an existing pipe that runs on from the end's walk to *target*, else *target*.

        Two nodes joined by a short pipe lying along the walk's own direction (a stub left for the
        extension, a fitting drawn as a pipe) are both within the GPS error of the end; a walk
        ending at the far one would lay the new pipe over the existing one, so it ends at the near one.
        So does a walk that ran past its node along a longer existing pipe and stopped nearer that
        pipe's far node (the near one within reach behind it): whatever the pipe's length, the new
        pipe would lie over it.
        Not when the far one is the loose end of that pipe and the near one a junction of others: a
        stub is extended from its loose end, and a pipe coming in at an angle to it ends there too.
        """
        node = refs[target][1]
        if end.existing or not any(end.heading):
            return target
        return self._stub_near(node, np.array(end.heading), np.array(end.xy))  # node k is target k

    def _stub_near(self, node: int, head: np.ndarray, xy: np.ndarray) -> int:
        """The node a walk ending at *xy* along unit *head* takes for existing *node* (see :meth:`_short_of_stub`).

        A fitting drawn as two short pipes (a tee and a bend a few metres apart) counts as one: a node
        two short pipes behind is found as one pipe behind is, the two together shorter than the reach.
        """
        loose = self.nodes.degree[node] == 1
        first = [o for o in self._neighbours(node) if not (loose and self.nodes.degree[o] > 1)]
        for other in first:
            if self._behind(node, other, head, xy):
                return other
        for mid in first:
            hop = float(np.hypot(*(self.nodes.xy[mid] - self.nodes.xy[node])))
            for other in self._neighbours(mid):
                if other != node and hop + float(np.hypot(*(self.nodes.xy[other] - self.nodes.xy[mid]))) <= self.tol \
                        and self._behind(node, other, head, xy):
                    return other
        return node

    def _neighbours(self, node: int) -> list[int]:
        """The nodes one existing pipe away from *node*."""
        npipes = len(self.pipe_ids)
        out = []
        for pos in self._end_index.rows(node) % npipes:
            other = int(self.nodes.end[pos] if self.nodes.start[pos] == node else self.nodes.start[pos])
            if other >= 0 and other != node:
                out.append(other)
        return out

    def _behind(self, node: int, other: int, head: np.ndarray, xy: np.ndarray) -> bool:
        """Whether *other* lies straight behind *node* for a walk ending at *xy* along *head*, within reach of it."""
        v = self.nodes.xy[other] - self.nodes.xy[node]
        span = float(np.hypot(*v))
        return 0 < span and float(v @ head) < -0.9 * span and float(np.hypot(*(self.nodes.xy[other] - xy))) <= self.tol

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

    def _to_pipe_end(self, end: End, pos: int, at_start: bool) -> None:
        """An end meeting pipe *pos* within the tiny length of its start or end goes onto that node of the
        pipe: a split there would leave a sliver."""
        node = int((self.nodes.start if at_start else self.nodes.end)[pos])
        self._to_target(end, ("node", node), Point(self.nodes.xy[node]), float(np.hypot(*(np.array(end.xy) -
                                                                                        self.nodes.xy[node]))))

    def _resolve_pipe_splits(self) -> None:
        """Split points on one pipe closer than the tiny length become one junction; so do those of
        other walks' ends within a repeat's distance (``repeat_m``) of each other, walks meeting on the
        pipe, each as far off as its GPS error, and those of walks whose lines lead to one meeting point
        (the junction at the middle of them)."""
        # the groups as columns: pipe, first split point (the middle, once a group of walks meeting is
        # complete), ends
        g_pos: list[int] = []
        g_along: list[float] = []
        g_ends: list[list[End]] = []
        for pos, marks in self.splits.items():
            if len(marks) == 1:  # the usual case: one end on the pipe, a group of its own
                g_pos.append(pos)
                g_along.append(marks[0][0])
                g_ends.append([marks[0][1]])
                continue
            marks.sort(key=lambda m: m[0])
            for along, end in marks:
                same = bool(g_pos) and g_pos[-1] == pos
                gap = along - g_along[-1] if same else 0.0
                walks_meet = same and not end.existing and \
                    all(not e.existing and e.owner != end.owner for e in g_ends[-1]) and \
                    (gap <= self.repeat_m or (end.meeting >= 0 and any(e.meeting == end.meeting for e in g_ends[-1])))
                if not same or (gap >= self.min_part and not walks_meet):
                    g_pos.append(pos)
                    g_along.append(along)
                    g_ends.append([])
                g_ends[-1].append(end)
        if not g_pos:
            return
        size = list(map(len, g_ends))
        for i in [i for i, k in enumerate(size) if k > 1]:  # a group of walks meeting: its middle
            if any(e.along != g_along[i] for e in g_ends[i]):
                g_along[i] = float(np.mean([e.along for e in g_ends[i]]))
        points = interpolate(self.geoms, np.array(g_pos, dtype=np.int64), np.array(g_along, dtype=float))
        nodes = self.book.at_many(points, pick(self.pipe_scheme, g_pos))
        # each group's ends take its place and node, set in bulk
        members, node_each = list(chain.from_iterable(g_ends)), np.repeat(nodes, size).tolist()
        set_each(members, "along", chain.from_iterable(map(repeat, g_along, size)))
        set_each(members, "xy", pick(self.book.xy, node_each))
        set_each(members, "node", node_each)

    # -- 5. free ends: other candidates, or a cap ------------------------------------------------
    def _join_free_ends(self) -> None:
        idx = [i for i, e in enumerate(self.ends) if e.kind == "free" and not e.existing]
        if not idx:
            return
        free = [self.ends[i] for i in idx]
        xy = self.end_xy[idx]
        head, owner = self.end_head[idx], self.end_owner[idx]
        # Free ends close to each other (a walk cut in two, two walks meeting): one new junction.
        a, b, keep = self._pairs_in_reach(xy, head, owner)
        loose = np.flatnonzero(~keep)
        meet, meet_xy = self._crossing_ends(owner, a[loose], b[loose], xy)
        keep[loose[meet]] = True
        labels = component_labels(len(free), a[keep], b[keep])
        count = np.bincount(labels)
        grouped = np.flatnonzero(count[labels] >= 2)
        if len(grouped):
            self._close_gaps(free, owner, grouped, labels, count, xy, a[loose[meet]], b[loose[meet]], meet_xy)
        self._rest_free_ends(free)

    def _close_gaps(self, free: list[End], owner: np.ndarray, grouped: np.ndarray, labels: np.ndarray,
                    count: np.ndarray, xy: np.ndarray, ca: np.ndarray, cb: np.ndarray, cxy: np.ndarray) -> None:
        """Each group of free ends meets at one new node: where two of its walks cross, else where their
        lines point to (:func:`.snap_meet.meeting_points`)."""
        n_groups = len(count)
        grouped_ends = pick(free, grouped)
        centre = meeting_points(xy[grouped], heads_of(grouped_ends), last_runs(self.cand_geom, grouped_ends),
                                labels[grouped], n_groups)
        if len(ca):  # a crossing wins: the first pair of the group (lowest end, then its partner)
            order = np.lexsort((cb, ca, labels[ca]))
            lab = labels[ca][order]
            first = np.r_[True, lab[1:] != lab[:-1]]
            centre[lab[first]] = cxy[order][first]
        groups = np.unique(labels[grouped])
        lead = np.full(n_groups, len(free), dtype=np.int64)
        np.minimum.at(lead, labels[grouped], grouped)  # the lowest member of each group
        nodes = np.full(n_groups, -1, dtype=np.int64)
        values = self.values  # free ends are candidates' ends: their scheme is their candidate's
        nodes[groups] = self.book.at_many(centre[groups], [values[k]["scheme_id"] for k in owner[lead[groups]].tolist()])
        order = grouped[np.argsort(labels[grouped], kind="stable")]  # by group, members in end order
        lab = labels[order]
        bounds = np.r_[np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]), len(order)].tolist()
        members, names = pick(free, order), self.cand_ids[owner[order]].tolist()
        heads = lab[bounds[:-1]]  # one node and point per group, not per member
        # the members' values made in bulk, then set with C-level loops (no Python loop per member)
        size = np.diff(bounds)
        others = others_in_groups(names, np.array(bounds[:-1], dtype=np.int64), size)
        at = list(map(tuple, centre[heads].tolist()))
        set_each(members, "kind", repeat("join"))
        set_each(members, "node", np.repeat(nodes[heads], size).tolist())
        set_each(members, "xy", chain.from_iterable(map(repeat, at, size.tolist())))
        set_each(members, "note", [f"{'start' if at_start else 'end'} joined to {other} (gap closed)"
                                   for at_start, other in zip(map(_AT_START, members), others)])

    def _rest_free_ends(self, free: list[End]) -> None:
        """Still free: onto a placed end of another candidate, or onto another candidate's line, else capped."""
        still = of_kind(free, ("free",))
        placed = of_kind(self.ends, ("free", "tee"), keep=False, candidates_only=True)
        still_xy, still_owner = xy_of(still), owners_of(still)
        placed_xy = xy_of(placed)
        some = np.flatnonzero(near_cells(placed_xy, still_xy, self.tol))  # only these may be in reach
        near, dist = nearest_other(still_xy, still_owner, placed_xy[some], owners_of([placed[i] for i in some]),
                                   self.tol)
        near[near >= 0] = some[near[near >= 0]]
        live = self._live()
        hosts = np.full(len(still), -1, dtype=np.int64)
        ask = np.flatnonzero(near < 0)  # only ends no placed end took look for a line to rest on
        if len(ask):  # the pairs of these ends and lines within reach: a tree of the ends' boxes, not of every line;
            # the distances in numpy, as GEOS works them out
            lines, exy = self.cand_geom[live], still_xy[ask]
            line, end = shapely.STRtree(boxes_around(exy, self.tol)).query(lines)
            other = live[line] != still_owner[ask][end]
            line, end = line[other], end[other]
            d = point_distances(exy[end], lines, line)
            within = d <= self.tol
            hosts[ask] = nearest_of_pairs(end[within], line[within], d[within], len(ask))[0]
        ids = self.cand_ids
        for i in np.flatnonzero(near >= 0).tolist():  # the few joined or resting on a line, one by one
            end, target = still[i], placed[near[i]]
            end.kind, end.node, end.xy = "join", target.node, target.xy
            end.note = f"{end.label} joined to {ids[target.owner]} ({dist[i]:.1f} m)"
        for i in np.flatnonzero((near < 0) & (hosts >= 0)).tolist():
            end, h = still[i], hosts[i]
            end.kind, end.pipe = "tee", int(live[h])
            end.note = f"{end.label} joined to {ids[live[h]]}, split there"
        capped = np.flatnonzero((near < 0) & (hosts < 0))  # the many: in bulk (free ends are candidates')
        caps, values = pick(still, capped), self.values
        keys = self.book.at_many(still_xy[capped], [values[k]["scheme_id"] for k in still_owner[capped].tolist()],
                                 capped=True)
        set_each(caps, "node", keys.tolist())
        set_each(caps, "kind", repeat("cap"))
        set_each(caps, "note", map(_CAP_NOTE.__getitem__, map(_AT_START, caps)))

    def _crossing_ends(self, owner: np.ndarray, a: np.ndarray, b: np.ndarray, xy: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of ends whose walks cross within reach of both (each ran past the node): which pairs
        (indices into *a*/*b*), and where they cross."""
        none = (np.zeros(0, dtype=np.int64), np.zeros((0, 2)))
        if not len(a):
            return none
        lines_a, lines_b = self.cand_geom[owner[a]], self.cand_geom[owner[b]]
        box_a, box_b = shapely.bounds(lines_a), shapely.bounds(lines_b)
        boxes_meet = (np.maximum(box_a[:, 0], box_b[:, 0]) <= np.minimum(box_a[:, 2], box_b[:, 2])) & \
            (np.maximum(box_a[:, 1], box_b[:, 1]) <= np.minimum(box_a[:, 3], box_b[:, 3]))
        meet = np.flatnonzero(boxes_meet)  # boxes first, then clean crossings in numpy, then GEOS for the rest
        near, pair, unsure = crossings(lines_a[meet], lines_b[meet])
        slack = self.tol + 1e-6  # a pair whose every clean crossing is out of reach of an end is not asked
        within = (np.hypot(*(near - xy[a[meet[pair]]]).T) <= slack) & (np.hypot(*(near - xy[b[meet[pair]]]).T) <= slack)
        ask = unsure.copy()
        ask[pair[within]] = True
        meet = meet[ask]
        meet = meet[shapely.intersects(lines_a[meet], lines_b[meet])]
        if not len(meet):
            return none
        pts, pair = shapely.get_coordinates(shapely.intersection(lines_a[meet], lines_b[meet]), return_index=True)
        if not len(pts):
            return none
        ea, eb = xy[a[meet][pair]], xy[b[meet][pair]]
        da, db = np.hypot(*(pts - ea).T), np.hypot(*(pts - eb).T)
        order = np.lexsort((da + db, pair))  # per pair the point nearest to both ends (first of equals)
        first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]]
        ok = (da[first] <= self.tol) & (db[first] <= self.tol)
        return meet[pair[first][ok]], pts[first][ok]

"""Snap plan, placing the ends: onto existing nodes and pipes, then onto each other or capped.

A mixin of :class:`.snap_plan._Planner` (its state: ``ends``, ``book``, ``splits``, ...).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point

from .graph import component_labels
from .lines import project
from .network import legit_dead_ends, located
from .snap_meet import crossing_along, last_runs, meeting_point
from .snap_model import _KIND, AHEAD_FACTOR, BARE_NODE, HEADING_M, PRIORITY, PRIORITY_M, End, reach
from .spatial import nearest_other


class EndsPhase:
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
                if refs[t][0] == "node":
                    t = self._short_of_stub(self.ends[i], int(t), refs)
                    d = float(np.hypot(*(np.array(self.ends[i].xy) - self.nodes.xy[refs[t][1]])))
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
        along = crossing_along(self.geoms[pipe], np.array([self.ends[free[s]].xy for s in src]),
                               np.array([self.ends[free[s]].heading for s in src]), self.tol, along)
        xy = shapely.get_coordinates(shapely.line_interpolate_point(self.geoms[pipe], along))
        length = shapely.length(self.geoms[pipe])
        for s, p, d, a, point, total in zip(src, pipe, dist, along, xy, length):
            self._to_pipe(self.ends[free[s]], int(p), float(d), float(a), (float(point[0]), float(point[1])),
                          float(total))

    def _short_of_stub(self, end: End, target: int, refs: list[tuple[str, int]]) -> int:
        """The near node of an existing pipe that runs on from the end's walk to *target*, else *target*.

        Two nodes joined by a short pipe lying along the walk's own direction (a stub left for the
        extension, a fitting drawn as a pipe) are both within the GPS error of the end; a walk
        ending at the far one would lay the new pipe over the existing one, so it ends at the near one.
        """
        node = refs[target][1]
        if end.existing or not any(end.heading):
            return target
        head = np.array(end.heading)
        npipes = len(self.pipe_ids)
        for pos in self._end_index.rows(node) % npipes:
            other = int(self.nodes.end[pos] if self.nodes.start[pos] == node else self.nodes.start[pos])
            if other < 0 or other == node:
                continue
            v = self.nodes.xy[other] - self.nodes.xy[node]
            span = float(np.hypot(*v))
            if 0 < span <= self.tol and float(v @ head) < -0.9 * span \
                    and float(np.hypot(*(self.nodes.xy[other] - np.array(end.xy)))) <= self.tol:
                return other  # refs list every node first, in order: node k is target k
        return target

    def _reach(self, src: np.ndarray, xy: np.ndarray) -> np.ndarray:
        return reach([self.ends[i] for i in src], xy)

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
        keep = np.maximum(reach([free[i] for i in a], xy[b]), reach([free[j] for j in b], xy[a])) <= self.tol
        crossing = self._crossing_ends(free, a[~keep], b[~keep], xy)
        for i, j in crossing:
            keep[np.flatnonzero((a == i) & (b == j))] = True
        labels = component_labels(len(free), a[keep], b[keep])
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            members = [free[i] for i in group]
            at = [crossing[(i, j)] for i in group for j in group if (i, j) in crossing]
            xy = at[0] if at else meeting_point(np.array([m.xy for m in members]),
                                                np.array([m.heading for m in members]), self.tol,
                                                last_runs(self.cand_geom, members))
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

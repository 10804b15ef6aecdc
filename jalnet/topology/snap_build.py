"""Snap plan, building it: candidate lines cut to their ends, pipes split, ids given, node types set.

A mixin of :class:`.snap_plan._Planner`, run last.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import ItemsView
from itertools import chain, compress, repeat
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from .ids import next_ids
from .lines import cut_many, end_vertices, project, set_end, vertices_with_ends, with_ends
from .snap_model import End, geom_array, kinds_of, nodes_of, notes_of, of_kind, pick, set_items, xy_of
from .walk_refit import refit_vertices


class _EndsOf:
    """(existing, owner) -> {at_start: End}. The candidates' ends lie in pairs (start, end) at the head of
    the ends list, so they are found by position; only the registry's movable ends go into a dict."""

    def __init__(self, ends: list[End], n_candidate_ends: int, owners: np.ndarray) -> None:
        self.ends = ends
        self.slot = dict(zip(owners[::2].tolist(), range(0, n_candidate_ends, 2)))
        self.existing: dict[tuple[bool, int], dict[bool, End]] = {}
        for e in ends[n_candidate_ends:]:
            self.existing.setdefault((e.existing, e.owner), {})[e.at_start] = e

    def __getitem__(self, key: tuple[bool, int]) -> dict[bool, End]:
        existing, owner = key
        if existing:
            return self.existing[key]
        i = self.slot[owner]
        return {True: self.ends[i], False: self.ends[i + 1]}

    def nodes_of(self, owners: list[int]) -> tuple[list[int], list[int]]:
        """The start and end nodes of these candidates, without a dict per candidate."""
        at = np.array(list(map(self.slot.__getitem__, owners)), dtype=np.int64)
        return nodes_of(pick(self.ends, at)), nodes_of(pick(self.ends, at + 1))

    def existing_items(self) -> ItemsView[tuple[bool, int], dict[bool, End]]:
        return self.existing.items()


def distinct_rows(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of an (n, 2) array, sorted: as ``np.unique(pairs, axis=0)``, which sorts a
    structured copy and is several times slower."""
    if not len(pairs):
        return pairs.reshape(0, 2)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return pairs[np.r_[True, (pairs[1:] != pairs[:-1]).any(axis=1)]]


def _node_ids_in(row: dict[str, Any], node_id: dict[int, str]) -> None:
    """The row's from/to nodes given as NodeBook keys turned into node ids (others, ids already, kept)."""
    a, b = row.get("from_node"), row.get("to_node")
    if isinstance(a, _KEY):
        row["from_node"] = node_id[int(a)]
    if isinstance(b, _KEY):
        row["to_node"] = node_id[int(b)]


_KEY = (int, np.integer)


class BuildPhase:
    # -- 6. the plan -------------------------------------------------------------------------
    def _build(self) -> None:
        ends_of = _EndsOf(self.ends, len(self.end_owner), self.end_owner)
        self._move_existing_ends(ends_of)
        lines = self._final_candidate_lines(ends_of)
        tees = self._tee_splits(lines, ends_of)
        pieces = self._candidate_pieces(lines, tees, ends_of)
        self._name_nodes()  # every node is in the book now: the pipes' rows take the names at once
        self._split_existing_pipes()
        self._give_ids(pieces)
        self._node_types()
        self._candidate_rows()
        for rows in (self.plan.splits, self.plan.new_junctions):  # points made at once, not one by one
            if rows:
                xy = np.fromiter(chain.from_iterable(map(dict.pop, rows, repeat("xy"))), dtype=float, count=2 * len(rows))
                deque(map(dict.__setitem__, rows, repeat("geometry"), shapely.points(xy.reshape(-1, 2))), maxlen=0)

    def _final_candidate_lines(self, ends_of: _EndsOf) -> dict[int, LineString]:
        """Each candidate cut where it passes nearest its targets (overshoot), then joined to them."""
        live = self._live()
        if not len(live):
            return {}
        lines = self.cand_geom[live]
        length = shapely.length(lines)
        own = self._own_ends(live, ends_of)
        targets = {}
        for at_start, ends in own.items():
            targets[at_start] = xy_of(ends)
            targets[at_start][np.array(kinds_of(ends)) == "tee"] = np.nan  # a tee's end is placed later, on its host
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
        cut = np.flatnonzero(cut_start | cut_end)  # only lines that overshoot are cut
        lines = lines.copy()
        lines[cut] = cut_many(lines, cut, start[cut], stop[cut])
        final = with_ends(lines, targets[True], targets[False], self.node_tol)
        walked = np.flatnonzero(self.walked[live])
        if len(walked):
            final[walked] = self._refit_walks(lines[walked], final[walked], targets[True][walked],
                                              targets[False][walked], [own[True][i] for i in walked],
                                              [own[False][i] for i in walked])
        if self.wander_m > 0:  # GPS wander out, bends bigger than it kept; the ends stay where they were put
            final = shapely.simplify(final, self.wander_m, preserve_topology=False)
        coords, _, first, last = end_vertices(final)
        span = coords[last] - coords[first]
        apart = np.sqrt(span[:, 0] * span[:, 0] + span[:, 1] * span[:, 1])  # as GEOS measures two points
        bad = (shapely.length(final) < self.min_part) | (apart <= self.node_tol)
        for k in live[bad].tolist():
            self._reject(k, "both ends snap to the same place")
        good = ~bad
        keys, keep = live[good].tolist(), good.tolist()
        said = zip(compress(notes_of(own[True]), keep), compress(notes_of(own[False]), keep))
        deque(map(list.extend, pick(self.notes, keys), said), maxlen=0)  # each line's notes += its ends' notes
        return dict(zip(keys, final[good]))

    def _refit_walks(self, drawn: np.ndarray, moved: np.ndarray, start_xy: np.ndarray, end_xy: np.ndarray,
                     starts: list[End], ends: list[End]) -> np.ndarray:
        """Walks fitted again with their ends pinned where they land on the registry (an existing node or
        pipe, placed exactly), rather than bent over to it at the last vertex. An end on a node the walks
        make (placed from the walks themselves, as uncertain as the walk) is not pinned: within the GPS
        error of it, the end vertex is moved there (an offset that small is the walk's own error at its
        end, not a bend anyone laid); farther, it keeps its place and is joined to the node.

        A refit that strays from the walk farther than the plain end move does (a line folding back
        over an end it ran past) is not taken.
        """
        pins = []
        junction = np.array([*self.book.junction, -1], dtype=np.int64)  # the last: for an end with no node
        for xy, own in ((start_xy, starts), (end_xy, ends)):
            kind = np.array(kinds_of(own), dtype=object)
            known = (kind == "node") | (kind == "pipe") | (junction[np.array(nodes_of(own), dtype=np.int64)] >= 0)
            pins.append(np.where(known[:, None], xy, np.nan))
        fitted = refit_vertices(drawn, *pins)  # the ends placed on the fit's vertices, the lines made once
        within = max(self.node_tol, self.error_m)
        refit = with_ends(drawn, start_xy, end_xy, within) if fitted is None else \
            vertices_with_ends(*fitted, len(drawn), start_xy, end_xy, within)
        better = shapely.hausdorff_distance(refit, drawn) <= shapely.hausdorff_distance(moved, drawn) + 0.01
        return np.where(better, refit, moved)

    def _own_ends(self, live: np.ndarray, ends_of: _EndsOf) -> dict[bool, list[End]]:
        """Start and end of each live candidate: straight from the ends list while it is in candidate order."""
        n = len(live)
        if len(self.ends) >= 2 * n and np.array_equal(self.end_owner[::2], live):
            return {True: self.ends[0 : 2 * n : 2], False: self.ends[1 : 2 * n : 2]}
        keys = live.tolist()
        return {at_start: [ends_of[(False, k)][at_start] for k in keys] for at_start in (True, False)}

    def _tee_splits(self, lines: dict[int, LineString], ends_of: _EndsOf) -> dict[int, list[tuple[float, End]]]:
        """Ends resting on another candidate: a node on it (split there), or its end when that is closer than a sliver.

        An end may rest near the end of a candidate whose own end is a tee still to be
        placed; that one is placed first, so every end has its node before pieces are cut.
        """
        tees: dict[int, list[tuple[float, End]]] = {}
        placing: set[int] = set()
        moved: dict[int, list[End]] = {}  # ends moved onto their node, the lines not yet redrawn

        edited: set[int] = set()
        # where each end falls on its host as drawn, all at once; worked out again only for a host
        # whose own ends have moved since
        tee_ends = [e for e in of_kind(self.ends, ("tee",), candidates_only=True) if e.owner in lines]
        first_look = self._tee_projections(lines, tee_ends)

        def line(k: int) -> LineString:
            """Candidate *k*'s line with the ends placed so far (redrawn only when read)."""
            for e in moved.pop(k, []):
                lines[k] = set_end(lines[k], e.xy, e.at_start, self.node_tol)
                edited.add(k)
            return lines[k]

        def place(e: End) -> None:
            if e.kind != "tee":
                return
            if e.pipe not in lines:
                e.kind, e.note = "cap", f"{e.label} free: end cap"
                e.node = self.book.at(e.xy, self._scheme_of(e), capped=True)
                return
            host = line(e.pipe)
            if e.pipe in edited or id(e) not in first_look:
                along, xy = project(host, e.xy)
                host_len = host.length
            else:
                along, xy, host_len = first_look[id(e)]
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
            moved.setdefault(e.owner, []).append(e)

        for e in tee_ends:
            place(e)
        self._redraw_ends(lines, moved)
        return tees

    def _tee_projections(self, lines: dict[int, LineString], tee_ends: list[End]
                         ) -> dict[int, tuple[float, tuple[float, float], float]]:
        """Per tee end (by id): distance along its host line, the point there, and the host's length."""
        tee = [e for e in tee_ends if e.pipe in lines]
        if not tee:
            return {}
        hosts = geom_array(lines[e.pipe] for e in tee)
        along = shapely.line_locate_point(hosts, shapely.points(xy_of(tee)))
        xy = shapely.get_coordinates(shapely.line_interpolate_point(hosts, along)).tolist()
        return {id(e): (a, (p[0], p[1]), total) for e, a, p, total in
                zip(tee, along.tolist(), xy, shapely.length(hosts).tolist())}

    def _redraw_ends(self, lines: dict[int, LineString], moved: dict[int, list[End]]) -> None:
        """The moved ends of the lines not read since, all at once."""
        if not moved:
            return
        keys = list(moved)
        start, end = np.full((len(keys), 2), np.nan), np.full((len(keys), 2), np.nan)
        for i, k in enumerate(keys):
            for e in moved[k]:
                (start if e.at_start else end)[i] = e.xy
        for k, geom in zip(keys, with_ends(geom_array(lines[k] for k in keys), start, end,
                                           self.node_tol)):
            lines[k] = geom

    def _candidate_pieces(self, lines: dict[int, LineString], tees: dict, ends_of: _EndsOf) -> dict[int, list[dict]]:
        """The new pipes: each candidate line, cut where other candidates' ends rest on it (all cuts at once)."""
        keys = list(lines)
        geoms = geom_array(lines.values())
        total = shapely.length(geoms)
        marks = {k: sorted(marked, key=lambda m: m[0]) for k, marked in tees.items() if k in lines}
        is_cut = np.isin(np.array(keys, dtype=np.int64), np.array(list(marks), dtype=np.int64))
        cut = np.flatnonzero(is_cut).tolist()
        owner, begin, stop = [], [], []
        for i in cut:
            bounds = [0.0, *(m[0] for m in marks[keys[i]]), float(total[i])]
            owner += [i] * (len(bounds) - 1)
            begin += bounds[:-1]
            stop += bounds[1:]
        all_parts = cut_many(geoms, np.array(owner, dtype=np.int64), np.array(begin), np.array(stop))
        cut_parts, cut_lengths = iter(all_parts), iter(shapely.length(all_parts).tolist())
        values = self.values
        first_nodes, last_nodes = ends_of.nodes_of(keys)
        # the usual case, a whole line as one piece, row by row in one comprehension; its length as drawn
        # when the contractor gave none
        whole = np.flatnonzero(~is_cut).tolist()
        whole_keys = [keys[i] for i in whole]
        rows = [{**values[k], "geometry": line, "_candidate": k} for k, line in zip(whole_keys, geoms[whole])]
        drawn = list(map(round, total[whole].tolist(), repeat(1)))
        unmeasured = [row.get("length_m") is None for row in rows]
        deque(map(dict.__setitem__, compress(rows, unmeasured), repeat("length_m"), compress(drawn, unmeasured)),
              maxlen=0)
        pieces: dict[int, list[dict]] = dict(zip(whole_keys, ([row] for row in rows)))
        piece_ends: dict[int, list[tuple[int, int]]] = {  # book keys of each piece's nodes
            keys[i]: [(first_nodes[i], last_nodes[i])] for i in whole}
        self._piece_ends = piece_ends
        for i in cut:  # lines other ends rest on: one piece between each two nodes
            k, line_len = keys[i], float(total[i])
            base = values[k]
            reported = base.get("length_m")
            inner = [m[1].node for m in marks[k]]
            parts = [next(cut_parts) for _ in range(len(inner) + 1)]
            lengths = [next(cut_lengths) for _ in parts]
            bounds = [first_nodes[i], *inner, last_nodes[i]]
            rows = []
            for part, part_len in zip(parts, lengths):
                row = {**base, "geometry": part, "_candidate": k}
                if reported is None:
                    row["length_m"] = round(part_len, 1)
                else:
                    row["length_m"] = round(reported * part_len / line_len, 1)
                rows.append(row)
            pieces[k] = rows
            piece_ends[k] = list(zip(bounds[:-1], bounds[1:]))
        self._pass_schemes(keys, pieces, piece_ends)
        # every piece's two nodes count one more pipe attached, added up in numpy
        self.book.attach(np.fromiter(chain.from_iterable(chain.from_iterable(piece_ends.values())), dtype=np.int64))
        return pieces

    def _pass_schemes(self, keys: list[int], pieces: dict[int, list[dict]],
                      piece_ends: dict[int, list[tuple[int, int]]]) -> None:
        """A piece without a scheme takes its nodes', a node without one its first piece's (in candidate order).
        Nothing to pass on when neither the pieces nor the nodes have one (a batch without schemes)."""
        scheme = self.book.scheme
        if scheme.count(None) == len(scheme) and all(self.values[k]["scheme_id"] is None for k in keys):
            return
        for k in keys:
            for row, (a, b) in zip(pieces[k], piece_ends[k]):
                if row["scheme_id"] is None:
                    row["scheme_id"] = scheme[a] or scheme[b]
                if not scheme[a]:
                    scheme[a] = row["scheme_id"]
                if not scheme[b]:
                    scheme[b] = row["scheme_id"]

    def _split_existing_pipes(self) -> None:
        """Existing pipes cut where new pipes join them: the first part keeps the pipe (an update), each
        other part is a new pipe with the old one's values. Cuts, parts and rows are made in bulk."""
        if not self.splits:
            return
        ends = [end for marked in self.splits.values() for _, end in marked]
        pos = np.repeat(np.fromiter(self.splits, dtype=np.int64, count=len(self.splits)),
                        np.fromiter(map(len, self.splits.values()), dtype=np.int64, count=len(self.splits)))
        lines = self.geoms[pos]
        redrawn = {p: u["geometry"] for p, u in self.plan.pipe_updates.items() if "geometry" in u}
        for i in np.flatnonzero(np.isin(pos, np.fromiter(redrawn, dtype=np.int64, count=len(redrawn)))).tolist():
            lines[i] = redrawn[int(pos[i])]  # a pipe whose end moved is cut as moved
        along = np.round(shapely.line_locate_point(lines, shapely.points(xy_of(ends))), 9)
        node = np.array(nodes_of(ends), dtype=np.int64)
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
        part_len = shapely.length(parts)
        split = pos[head]
        cuts = np.flatnonzero(tail) - np.flatnonzero(head) + 1  # per split pipe
        kept = np.cumsum(cuts + 1) - (cuts + 1)  # each pipe's first part: the pipe itself, shortened
        is_new = np.ones(len(parts), dtype=bool)
        is_new[kept] = False
        columns = self._columns_of(split)
        reported = columns["length_m"]
        line_len, node_l = length[head].tolist(), node.tolist()
        # the split pipes: the first part and the first new node (plain lists: one pass, no numpy scalars)
        updates, names = self.plan.pipe_updates, self.node_names
        for p, part, to_node, km, whole, part_m in zip(split.tolist(), parts[kept], pick(names, node[head]), reported,
                                                       line_len, part_len[kept].tolist()):
            update = updates.setdefault(p, {})
            update["geometry"], update["to_node"] = part, to_node
            if km is not None:
                update["length_m"] = round(float(km) * part_m / whole, 1)
        # the new parts, in order: each from a cut to the next cut, the last to the pipe's own end
        owner = np.repeat(np.arange(len(split)), cuts)
        values = {name: pick(column, owner) for name, column in columns.items()}
        named = pick(names, node_l)
        to_nodes = [*named[1:], None]
        node_id = self.node_id
        for t, at in zip(np.flatnonzero(tail).tolist(), owner[tail].tolist()):  # the last part: the pipe's own end
            b = columns["to_node"][at]
            to_nodes[t] = node_id[int(b)] if isinstance(b, _KEY) else b
        values["length_m"] = [None if km is None else round(float(km) * part_m / whole, 1) for km, part_m, whole in
                              zip(values["length_m"], part_len[is_new].tolist(), length.tolist())]
        values.update({"from_node": named, "to_node": to_nodes, "geometry": list(parts[is_new]),
                       "_split_of": pos.tolist()})
        names = list(values)
        self.plan.new_pipes += [dict(zip(names, row)) for row in zip(*values.values())]
        self.book.attach(node, each=2)  # a cut joins two parts
        book_xy, ids = self.book.xy, self.pipe_ids[pos].tolist()
        self.plan.splits += [{"pipe_id": pipe_id, "node_id": name, "xy": book_xy[key]}
                             for pipe_id, name, key in zip(ids, named, node_l)]
        self._split_nodes = (node, np.array([*node_l[1:], -1], dtype=np.int64), np.flatnonzero(tail))

    def _columns_of(self, positions: np.ndarray) -> dict[str, list[Any]]:
        """The attributes of existing pipes (geometry and id aside), empty values as None, column by column."""
        fields = [f for f in self.pipes.columns if f not in ("fid", "geometry", self.pipes.geometry.name, "pipe_id")]
        columns = {}
        for f in fields:
            values = self._column(f)[positions]
            if values.dtype.kind == "f":
                gone = np.isnan(values)
            elif values.dtype.kind == "O":
                gone = pd.isna(values) | pd.Series(values, dtype=object).isin([""]).to_numpy()
            else:
                gone = np.zeros(len(values), dtype=bool)
            columns[f] = list(values)  # the array's own scalars, as iterating it gives them
            set_items(columns[f], np.flatnonzero(gone).tolist(), repeat(None))
        return columns

    def _move_existing_ends(self, ends_of: _EndsOf) -> None:
        self._moved_pipes: list[int] = []  # their updates' nodes are book keys until named
        for (_, pos), pair in ends_of.existing_items():
            geom = self.plan.pipe_updates.get(pos, {}).get("geometry", self.geoms[pos])
            for at_start, end in pair.items():
                if end.kind not in ("node", "pipe"):
                    continue
                old = Point(geom.coords[0] if at_start else geom.coords[-1])
                geom = set_end(geom, end.xy, at_start, self.tol)
                update = self.plan.pipe_updates.setdefault(pos, {})
                update["geometry"] = geom
                update["from_node" if at_start else "to_node"] = end.node
                self._moved_pipes.append(pos)
                self.book.attached[end.node] += 1
                node = int((self.nodes.start if at_start else self.nodes.end)[pos])
                for row in np.flatnonzero(self.nodes.at["junctions"] == node):
                    self.plan.junction_deletes.append(int(row))
                self.plan.moved.append({"pipe_id": self.pipe_ids[pos], "end": end.label,
                                        "distance_m": round(old.distance(Point(end.xy)), 3),
                                        "message": end.note, "geometry": Point(end.xy)})

    def _name_nodes(self) -> None:
        """The book's nodes' ids: new ones numbered on from the registry's, existing junctions keep theirs
        (``node_id`` by key, and ``node_names`` a list by key)."""
        junction = np.array(self.book.junction, dtype=np.int64)
        new_nodes = np.flatnonzero(junction < 0).tolist()
        node_ids = next_ids(self.id_pool["J-"], len(new_nodes), "J-")
        self.node_id = dict(zip(new_nodes, node_ids))
        for k in np.flatnonzero(junction >= 0).tolist():
            self.node_id[k] = str(self.data["junctions"]["node_id"].iloc[int(junction[k])])
        self.node_names = list(map(self.node_id.__getitem__, range(len(junction))))
        self._split_nodes = None

    def _give_ids(self, pieces: dict[int, list[dict]]) -> None:
        rows = [r for k in sorted(pieces) for r in pieces[k]]
        split_rows = self.plan.new_pipes
        all_new = split_rows + rows
        pipe_ids = next_ids(self.id_pool["P-"], len(all_new), "P-")
        deque(map(dict.__setitem__, all_new, repeat("pipe_id"), pipe_ids), maxlen=0)
        node_id = self.node_id
        # the candidates' pieces' nodes by book key (kept for typing the nodes)
        piece_ends = [ab for k in sorted(pieces) for ab in self._piece_ends[k]]
        self._piece_nodes = np.array(piece_ends, dtype=np.int64).reshape(-1, 2)
        for name, column in (("from_node", 0), ("to_node", 1)):  # every row has both: the order of keys as set one by one
            deque(map(dict.__setitem__, rows, repeat(name), pick(self.node_names, self._piece_nodes[:, column])),
                  maxlen=0)
        for pos in self._moved_pipes:  # the split ones have their names already
            _node_ids_in(self.plan.pipe_updates[pos], node_id)
        self.plan.new_pipes = all_new
        for k, rows_k in pieces.items():
            self.result[k] = rows_k[0]["pipe_id"] if len(rows_k) == 1 else ", ".join(r["pipe_id"] for r in rows_k)
        for k in np.flatnonzero(self.state == "conflated"):
            if self.result[k].startswith("#"):
                self.result[k] = self.result[int(self.result[k][1:])]
        for k, head in self.merged_into.items():
            self.result[k] = self.result[head]
            self.state[k] = self.state[head] or "merged"
        self._reassign_assets()

    def _reassign_assets(self) -> None:
        """Valves and taps referring to a split pipe now refer to the part they are on."""
        if not any(len(self.data[layer]) for layer in ("valves", "fhtc")):
            return
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
        """New nodes typed from what meets there (end cap, reducer between two sizes, junction), in numpy."""
        book = self.book
        n = len(book.xy)
        pieces = self._piece_nodes
        split_rows = self.plan.new_pipes[: len(self.plan.new_pipes) - len(pieces)]
        ends = np.vstack([self._split_row_nodes(split_rows), pieces])
        dia = pd.to_numeric(pd.Series([row.get("diameter_mm") for row in self.plan.new_pipes], dtype=object),
                            errors="coerce").to_numpy(dtype=float)
        pairs = np.column_stack([ends.ravel(), np.repeat(dia, 2)])
        pairs = distinct_rows(pairs[(pairs[:, 0] >= 0) & ~np.isnan(pairs[:, 1])])  # distinct sizes per node
        sizes = np.bincount(pairs[:, 0].astype(np.int64), minlength=n)
        attached, capped = np.array(book.attached, dtype=np.int64), np.array(book.capped, dtype=bool)
        junction = np.array(book.junction, dtype=np.int64)
        used = (attached > 0) | capped
        for key in np.flatnonzero(used & (junction >= 0)).tolist():  # existing junctions: few
            row = int(junction[key])
            node = self.nodes.at["junctions"][row]
            degree = (int(self.nodes.degree[node]) if node >= 0 else 0) + int(attached[key])
            if self.data["junctions"]["node_type"].iloc[row] == "end_cap" and degree > 1:
                dias = set(pairs[pairs[:, 0] == key, 1].tolist())
                new_type = "reducer" if degree == 2 and self._two_sizes(key, row, dias) else "junction"
                self.plan.junction_updates[row] = {"node_type": new_type}
        new = np.flatnonzero(used & (junction < 0))
        kind = np.where(capped[new] & (attached[new] <= 1), "end_cap",
                        np.where((attached[new] == 2) & (sizes[new] == 2), "reducer", "junction"))
        self.plan.new_junctions += [{"node_id": name, "scheme_id": scheme, "node_type": t, "xy": xy} for name, scheme, t, xy
                                    in zip(pick(self.node_names, new), pick(book.scheme, new), kind.tolist(),
                                           pick(book.xy, new))]

    def _two_sizes(self, key: int, row: int, dias: set[float]) -> bool:
        node = self.nodes.at["junctions"][row]
        old = self._column("diameter_mm").astype(float)[self._end_index.rows(node) % len(self.pipe_ids)]
        return len(dias | {float(d) for d in old if not math.isnan(d)}) == 2

    def _split_row_nodes(self, split_rows: list[dict[str, Any]]) -> np.ndarray:
        """The book keys of the split parts' nodes ((n, 2), -1: not in the book), read back from their ids.

        Ids name one node each (the usual case): the keys the parts were cut at are used as they are, only
        each pipe's own far end is looked up.
        """
        names = self.node_names
        back = dict(zip(names, range(len(names)))) if split_rows else {}
        if len(back) == len(names) and self._split_nodes is not None:
            first, second, tails = self._split_nodes
            second = second.copy()
            second[tails] = [back.get(split_rows[t]["to_node"], -1) for t in tails.tolist()]
            return np.column_stack([first, second])
        keys = {v: k for k, v in self.node_id.items()}  # an id named twice: the last key, as the names were given
        return np.fromiter(chain.from_iterable((keys.get(row["from_node"], -1), keys.get(row["to_node"], -1))
                                               for row in split_rows), dtype=np.int64,
                           count=2 * len(split_rows)).reshape(-1, 2)

    def _candidate_rows(self) -> None:
        """One row per staged candidate, its columns made first (in bulk) and then zipped."""
        fids = self.staged["fid"].to_numpy().astype(np.int64).tolist()
        state = self.state.copy()
        state[(state == "") | (state == "merged")] = "added"
        results = [result or None for result in self.result]
        messages = list(map("; ".join, map(filter, repeat(None), self.notes)))  # the notes said, in order
        self.plan.candidates += [{
            "position": k, "fid": fid, "candidate_id": cid, "state": st, "result_pipe_id": result, "message": message,
        } for k, fid, cid, st, result, message in zip(range(len(fids)), fids, self.cand_ids.tolist(), state.tolist(),
                                                      results, messages)]

"""What the snap plan is made of: the ends to place, the book of nodes they meet at, the plan itself.

Shared by the phases of :mod:`.snap_plan` (conflation and trimming), :mod:`.snap_ends`
(placing ends) and :mod:`.snap_build` (cutting, splitting, naming).
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import attrgetter, not_
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from .cell_grid import CellGrid, nearest_index
from .lines import end_vertices
from .network import located
from .spatial import box_pairs

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
#: A node straight ahead of (or just behind) an end counts as this many times nearer than it is:
#: ends run short or long along their walk, not sideways.
AHEAD_FACTOR = 1.5
#: How much nearer (m) a node counts per step of priority over a bare pipe end (a tank 3 m, a junction 0.5 m).
PRIORITY_M = 0.5
#: New lines are simplified within this many GPS errors: the wander goes, bends larger than it stay.
WANDER_ERRORS = 0.75
#: Longest gap in the fix bridged between consecutive pieces of one walk (m): a few minutes' walk.
PIECE_GAP_MAX = 250.0


@dataclass(slots=True)
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
    meeting: int = -1  # the walks' meeting its end belongs to (see EndsPhase._meeting_centres), -1 none

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
        self._grid = CellGrid(max(self.tol, 1e-6) * 2)
        self._indexed = 0  # nodes [0, _indexed) are in the grid

    def attach(self, keys: np.ndarray, each: int = 1) -> None:
        """*each* more pipe ends at the node of every key (a key counts as often as it comes), in numpy."""
        count = np.bincount(np.asarray(keys, dtype=np.int64), minlength=len(self.attached))
        self.attached[:] = (np.array(self.attached, dtype=np.int64) + each * count).tolist()

    def _add(self, xy: tuple[float, float], junction: int, scheme: str | None, capped: bool = False) -> int:
        key = len(self.xy)
        self.xy.append((float(xy[0]), float(xy[1])))
        self.junction.append(junction)
        self.scheme.append(scheme)
        self.attached.append(0)
        self.capped.append(capped)
        if junction >= 0:
            self._by_junction[junction] = key
        return key

    def _index(self) -> None:
        """Nodes added since the last look-up go into the grid (added in bulk, indexed when asked)."""
        if len(self.xy) - self._indexed < 64:  # one or a few made since: no numpy round trip
            for key in range(self._indexed, len(self.xy)):
                self._grid.add(key, self.xy[key])
        else:
            self._grid.add_many(self._indexed, np.array(self.xy[self._indexed:], dtype=float))
        self._indexed = len(self.xy)

    def of_junction(self, row: int) -> int:
        if row not in self._by_junction:
            geom = self.junctions.geometry.iloc[row]
            scheme = self.junctions["scheme_id"].iloc[row]
            self._add((geom.x, geom.y), row, scheme if isinstance(scheme, str) else None)
        return self._by_junction[row]

    def at(self, xy: tuple[float, float], scheme: str | None, capped: bool = False) -> int:
        """The node at *xy* (within the tolerance), made if there is none."""
        self._index()
        cx, cy = self._grid.cell(xy)
        best, best_d = -1, self.tol
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for key in self._grid.keys((cx + dx, cy + dy)):
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


    def at_many(self, xy: np.ndarray, schemes: list[str | None], capped: bool = False) -> np.ndarray:
        """:meth:`at` for many points in order, the same nodes made in the same order, without a look-up each.

        A point with no other point of the batch within two tolerances cannot meet a node the
        batch makes, so its answer comes from one bulk query of the nodes there were before;
        the rare crowded ones are placed one by one.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        keys = np.full(n, -1, dtype=np.int64)
        if not n:
            return keys
        pts = shapely.points(xy)
        busy = np.zeros(n, dtype=bool)
        busy[np.concatenate(close_pairs(xy, 2 * self.tol))] = True
        if self.xy:  # the nearest node in reach: by cells, the index asked only where that is unsure
            keys = nearest_index(xy, np.array(self.xy), self.tol)
        junction = np.full(n, -1, dtype=np.int64)
        if self._tree is not None:
            ask = np.flatnonzero(keys < 0)
            src, dst = self._tree.query(pts[ask], predicate="dwithin", distance=self.tol)
            first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, dtype=bool)
            junction[ask[src[first]]] = self._tree_pos[dst[first]]
        if not busy.any() and not (junction >= 0).any():  # the usual case: all new or found, in bulk
            new = np.flatnonzero(keys < 0)
            keys[new] = np.arange(len(self.xy), len(self.xy) + len(new))
            self.xy += list(map(tuple, xy[new].tolist()))
            self.junction += [-1] * len(new)
            self.scheme += pick(schemes, new)
            self.attached += [0] * len(new)
            self.capped += [capped] * len(new)
            return keys
        for i in range(n):
            if busy[i]:
                keys[i] = self.at((float(xy[i, 0]), float(xy[i, 1])), schemes[i], capped)
            elif keys[i] < 0:
                keys[i] = self.of_junction(int(junction[i])) if junction[i] >= 0 else \
                    self._add((float(xy[i, 0]), float(xy[i, 1])), -1, schemes[i], capped)
        return keys


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


def xy_of(ends: list[End]) -> np.ndarray:
    """The ends' points as an (n, 2) array, read in one pass (numpy's list-of-tuples conversion is slow)."""
    return np.fromiter(chain.from_iterable(map(_XY, ends)), dtype=float, count=2 * len(ends)).reshape(-1, 2)


_XY, _HEADING, _OWNER, _KIND_OF, _NOTE, _EXISTING, _NODE = (
    attrgetter(name) for name in ("xy", "heading", "owner", "kind", "note", "existing", "node"))


def kinds_of(ends: list[End]) -> list[str]:
    return list(map(_KIND_OF, ends))


def nodes_of(ends: list[End]) -> list[int]:
    return list(map(_NODE, ends))


def of_kind(ends: list[End], kinds: tuple[str, ...], keep: bool = True, candidates_only: bool = False) -> list[End]:
    """The ends of one of *kinds* (or, with *keep* False, of none of them), optionally only candidates'
    (not ``existing``): selected in C, no Python loop over the ends."""
    said = map(frozenset(kinds).__contains__, map(_KIND_OF, ends))
    out = list(compress(ends, said if keep else map(not_, said)))
    return list(compress(out, map(not_, map(_EXISTING, out)))) if candidates_only else out


def notes_of(ends: list[End]) -> list[str]:
    return list(map(_NOTE, ends))


def new_ends(owner: np.ndarray, xy: np.ndarray, head: np.ndarray) -> list[End]:
    """Free ends of candidates, start and end of each in turn (*owner*, points *xy*, headings *head*, in
    that order), made without a Python loop (the fields passed in :class:`End`'s order)."""
    x, y, hx, hy = xy[:, 0].tolist(), xy[:, 1].tolist(), head[:, 0].tolist(), head[:, 1].tolist()
    return list(map(End, owner.tolist(), [True, False] * (len(owner) // 2), zip(x, y), repeat(False),
                    repeat("free"), repeat(-1), repeat(-1), repeat(0.0), repeat(""), zip(hx, hy)))


def heads_of(ends: list[End] | tuple[End, ...]) -> np.ndarray:
    """The ends' headings as an (n, 2) array, read in one pass."""
    return np.fromiter(chain.from_iterable(map(_HEADING, ends)), dtype=float, count=2 * len(ends)).reshape(-1, 2)


def pick(items: list[Any], idx: np.ndarray) -> list[Any]:
    """``[items[i] for i in idx]``, looked up in C."""
    idx = np.asarray(idx).tolist()
    return list(map(items.__getitem__, idx))


def set_each(items: list[Any], name: str, values: Any) -> None:
    """``item.<name> = value`` for each item and value in turn, looped in C."""
    deque(map(setattr, items, repeat(name), values), maxlen=0)


def owners_of(ends: list[End]) -> np.ndarray:
    return np.fromiter(map(_OWNER, ends), dtype=np.int64, count=len(ends))


def geom_array(items: Any) -> np.ndarray:
    """An object array of geometries from a list, without numpy probing each one as a sequence (100x faster)."""
    items = list(items)
    try:
        return np.fromiter(items, dtype=object, count=len(items))
    except (TypeError, ValueError):  # numpy before 1.23: one by one, still without probing
        out = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):
            out[i] = item
        return out


def close_pairs(xy: np.ndarray, within: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j, sorted) of points at most *within* apart: grid hashing and numpy, no GEOS call."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    half = within / 2
    i, j = box_pairs(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half, max(4 * within, 1e-6))
    keep = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1]) <= within
    i, j = i[keep], j[keep]
    order = np.lexsort((j, i))
    return i[order], j[order]


def others_of(group: list[str]) -> list[str]:
    """For each member of a group, the other members' names joined (in a pair, the partner's name).

    Groups of up to four (ends meeting at a street corner) are written out, not sliced and joined.
    """
    n = len(group)
    if n == 2:
        return [group[1], group[0]]
    if n == 3:
        a, b, c = group
        return [f"{b}, {c}", f"{a}, {c}", f"{a}, {b}"]
    if n == 4:
        a, b, c, d = group
        return [f"{b}, {c}, {d}", f"{a}, {c}, {d}", f"{a}, {b}, {d}", f"{a}, {b}, {c}"]
    return [", ".join(group[:k] + group[k + 1:]) for k in range(n)]


def others_in_groups(names: list[str], start: np.ndarray, size: np.ndarray) -> list[str]:
    """:func:`others_of` for many groups lying one after another in *names* (first member *start*, *size*
    members each): groups of one size at a time, column by column, not a call per group."""
    out: list[str] = [""] * len(names)
    for n in np.unique(size).tolist():
        first = start[size == n]
        if n > 4:
            for lo in first.tolist():
                out[lo : lo + n] = others_of(names[lo : lo + n])
            continue
        columns = [pick(names, first + j) for j in range(n)]  # the j-th member's name of each group
        for j in range(n):
            rest = [column for i, column in enumerate(columns) if i != j]
            texts = rest[0] if len(rest) == 1 else list(map(", ".join, zip(*rest))) if rest else [""] * len(first)
            set_items(out, (first + j).tolist(), texts)
    return out


def set_items(items: list[Any], positions: list[int], values: Any) -> None:
    """``items[p] = value`` for each position and value in turn, looped in C."""
    deque(map(items.__setitem__, positions, values), maxlen=0)


def near_cells(xy: np.ndarray, around: np.ndarray, within: float) -> np.ndarray:
    """Which points of *xy* may lie within *within* of a point of *around*: those in a grid cell next to
    one of theirs (a superset, found in numpy), so a spatial index need only hold these."""
    xy, around = np.asarray(xy, dtype=float).reshape(-1, 2), np.asarray(around, dtype=float).reshape(-1, 2)
    keep = ~np.isfinite(xy).all(axis=1)  # nothing to judge by: kept
    ok, ok_around = np.flatnonzero(~keep), around[np.isfinite(around).all(axis=1)]
    if not len(ok) or not len(ok_around):
        return keep
    size = max(2 * within, 1e-6)
    cells, near = np.floor(xy[ok] / size).astype(np.int64), np.floor(ok_around / size).astype(np.int64)
    lo = np.minimum(cells.min(axis=0), near.min(axis=0)) - 1
    cells, near = cells - lo, near - lo
    span = int(max(cells[:, 1].max(), near[:, 1].max())) + 2
    known = np.unique(np.concatenate([(near[:, 0] + dx) * span + near[:, 1] + dy
                                      for dx in (-1, 0, 1) for dy in (-1, 0, 1)]))
    keep[ok] = np.isin(cells[:, 0] * span + cells[:, 1], known)
    return keep


def gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def end_headings(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each line's end points and the unit directions out of them ((n, 2, 2) each: [line, start/end]),
    a heading taken over the last ``HEADING_M`` of the line (half of a shorter one); 0 for a line of
    no length."""
    length = shapely.length(lines)
    back = np.minimum(HEADING_M, length / 2)
    coords, _, first, last = end_vertices(lines)
    tips, units = [], []
    for tip_at, inward in ((first, back), (last, length - back)):
        tip = coords[tip_at]
        out = tip - shapely.get_coordinates(shapely.line_interpolate_point(lines, inward))
        norm = np.hypot(out[:, 0], out[:, 1])
        tips.append(tip)
        units.append(np.divide(out, norm[:, None], out=np.zeros_like(out), where=norm[:, None] > 0))
    return np.stack(tips, axis=1), np.stack(units, axis=1)


def reach_xy(exy: np.ndarray, head: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """How far each point *xy* counts from its end (points *exy*, unit headings *head*; (n, 2) each):
    along the end's heading shortened, sideways as it is.

    A walk that stops short of its node (or runs past it) is off along its own line, so a
    node straight ahead is reached from farther than one beside the end. Ends without a
    heading get the plain distance.
    """
    d = np.asarray(xy, dtype=float).reshape(-1, 2) - exy
    along = d[:, 0] * head[:, 0] + d[:, 1] * head[:, 1]
    side = np.abs(d[:, 0] * head[:, 1] - d[:, 1] * head[:, 0])
    known = np.hypot(head[:, 0], head[:, 1]) > 0
    return np.where(known, np.hypot(along / AHEAD_FACTOR, side), np.hypot(d[:, 0], d[:, 1]))


class Lookup:
    """Rows of an integer array holding a given value, by binary search (the array is sorted once)."""

    def __init__(self, values: np.ndarray) -> None:
        self.order = np.argsort(values, kind="stable")
        self.sorted = values[self.order]

    def rows(self, value: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.sorted, [value, value + 1])
        return self.order[lo:hi]


def layer_key(layer: str) -> str:
    from ..registry.schema import LAYERS

    return LAYERS[layer].key


def empty(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""

"""Small line edits the snapper needs: cut, split at distances, move or extend an end."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString

#: Segments closer than this to parallel (sine of their angle) may share a stretch, and crossings
#: within this share of a segment of its end may be at a vertex: such pairs are left to GEOS.
_FLAT = 1e-5
_EDGE = 1e-7
#: Vertices this close (m) to a cut are dropped for the cut point: the running length over many lines
#: cut at once is only that exact.
_AT_CUT = 1e-6


def cut(line: LineString, start: float, end: float) -> LineString:
    """The part of *line* between two distances along it (start < end)."""
    return cut_many(np.array([line], dtype=object), np.array([0]), np.array([start]), np.array([end]))[0]


def split_at(line: LineString, distances: list[float]) -> list[LineString]:
    """*line* cut into consecutive parts at the given (sorted, inside) distances."""
    marks = np.array([0.0, *distances, line.length])
    return list(cut_many(np.array([line], dtype=object), np.zeros(len(marks) - 1, dtype=np.int64), marks[:-1],
                         marks[1:]))


def set_end(line: LineString, xy: tuple[float, float], at_start: bool, replace_within: float) -> LineString:
    """*line* with its start (or end) at *xy*: the end vertex moved if it is that close, else a vertex added."""
    target = np.array([xy], dtype=float)
    keep = np.full((1, 2), np.nan)
    start, end = (target, keep) if at_start else (keep, target)
    return with_ends(np.array([line], dtype=object), start, end, replace_within)[0]


def project(line: LineString, xy: tuple[float, float]) -> tuple[float, tuple[float, float]]:
    """Distance along *line* of the point nearest to *xy*, and that point."""
    along = float(shapely.line_locate_point(line, shapely.Point(xy)))
    point = shapely.line_interpolate_point(line, along)
    return along, (point.x, point.y)


def cut_many(lines: np.ndarray, owner: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Parts of ``lines[owner[k]]`` from distance ``start[k]`` to ``end[k]`` along it, all at once."""
    owner = np.asarray(owner, dtype=np.int64)
    if not len(owner):
        return np.array([], dtype=object)
    used, local = np.unique(owner, return_inverse=True)
    coords, idx = shapely.get_coordinates(lines[used], return_index=True)
    step = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    first = np.searchsorted(idx, np.arange(len(used)))
    step[first] = 0.0
    cum = np.cumsum(step)
    cum -= cum[first][idx]
    count = np.bincount(idx, minlength=len(used))
    length = cum[first + count - 1]
    start = np.clip(np.asarray(start, dtype=float), 0.0, length[local])
    end = np.clip(np.asarray(end, dtype=float), 0.0, length[local])
    n = len(owner)
    rep = np.repeat(np.arange(n), count[local])
    vertex = first[local][rep] + np.arange(len(rep)) - np.repeat(np.cumsum(count[local]) - count[local], count[local])
    # a vertex at the cut (within rounding of the running length over many lines) is the cut point itself
    inside = (cum[vertex] > start[rep] + _AT_CUT) & (cum[vertex] < end[rep] - _AT_CUT)
    start_xy, stop_xy = np.split(interpolate(lines, np.r_[owner, owner], np.r_[start, end]), 2)
    if not (start - 1e-9 <= end + 1e-9).all():  # a part running backwards: its points sorted along the line
        part = np.concatenate([np.arange(n), rep[inside], np.arange(n)])
        key = np.concatenate([start - 1e-9, cum[vertex[inside]], end + 1e-9])
        xy = np.vstack([start_xy, coords[vertex[inside]], stop_xy])
        order = np.lexsort((key, part))
        return shapely.linestrings(xy[order], indices=part[order])
    # each part: its start, the vertices inside (in order along it, grouped by part), its end, laid out
    # where they go (what sorting by part and distance along would give, without the sort)
    kept = rep[inside]
    inner = np.bincount(kept, minlength=n)
    size = inner + 2
    head = np.cumsum(size) - size
    xy = np.empty((int(size.sum()), 2))
    xy[head] = start_xy
    xy[head + size - 1] = stop_xy
    xy[head[kept] + 1 + np.arange(len(kept)) - (np.cumsum(inner) - inner)[kept]] = coords[vertex[inside]]
    return shapely.linestrings(xy, indices=np.repeat(np.arange(n), size))


def with_ends(lines: np.ndarray, start_xy: np.ndarray, end_xy: np.ndarray, replace_within: float) -> np.ndarray:
    """*lines* reaching *start_xy*/*end_xy* (NaN: leave that end): moved when that close, else a vertex added."""
    return vertices_with_ends(*shapely.get_coordinates(lines, return_index=True), len(lines), start_xy, end_xy,
                              replace_within)


def vertices_with_ends(coords: np.ndarray, idx: np.ndarray, n: int, start_xy: np.ndarray, end_xy: np.ndarray,
                       replace_within: float) -> np.ndarray:
    """:func:`with_ends` for *n* lines given by their vertices *coords* and the line of each *idx* (ascending)."""
    first = np.searchsorted(idx, np.arange(n))
    last = np.searchsorted(idx, np.arange(n), side="right") - 1
    coords = coords.copy()
    extra: list[tuple[np.ndarray, np.ndarray]] = []  # per end: the lines given a vertex there, and its point
    for target, vertex in ((np.asarray(start_xy, dtype=float), first), (np.asarray(end_xy, dtype=float), last)):
        given = ~np.isnan(target).any(axis=1)
        near = given & (np.hypot(*(coords[vertex] - target).T) <= replace_within)
        coords[vertex[near]] = target[near]
        add = np.flatnonzero(given & ~near)
        extra.append((add, target[add]))
    # each line: a vertex added before its start, its own vertices, one added after its end, laid out where
    # they go
    (add_start, start_pts), (add_end, end_pts) = extra
    count = np.bincount(idx, minlength=n)
    before = np.zeros(n, dtype=np.int64)
    before[add_start] = 1
    size = count + before
    size[add_end] += 1
    head = np.cumsum(size) - size
    xy = np.empty((int(size.sum()), 2))
    xy[head[add_start]] = start_pts
    xy[head[idx] + before[idx] + np.arange(len(coords)) - (np.cumsum(count) - count)[idx]] = coords
    xy[head[add_end] + size[add_end] - 1] = end_pts
    return shapely.linestrings(xy, indices=np.repeat(np.arange(n), size))


def crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where line ``a[i]`` crosses line ``b[i]``, segment by segment in numpy: (points, pair of each, unsure).

    Only clean crossings are answered: a pair is *unsure* (for GEOS to decide) when two of
    its segments run near parallel with their boxes meeting (they may share a stretch), or
    meet within rounding of a segment's end (at a vertex, the answer hinges on the last bit).
    A pair with no point and not unsure does not meet.
    """
    n = len(a)
    ca, ia = shapely.get_coordinates(a, return_index=True)
    cb, ib = shapely.get_coordinates(b, return_index=True)
    seg_a = np.flatnonzero(ia[1:] == ia[:-1])  # segment k: vertices k and k + 1 of one line
    seg_b = np.flatnonzero(ib[1:] == ib[:-1])
    na, nb = np.bincount(ia[seg_a], minlength=n), np.bincount(ib[seg_b], minlength=n)
    first_a, first_b = np.cumsum(na) - na, np.cumsum(nb) - nb
    combos = na * nb
    pair = np.repeat(np.arange(n), combos)
    k = np.arange(len(pair)) - np.repeat(np.cumsum(combos) - combos, combos)
    sa, sb = seg_a[first_a[pair] + k // nb[pair]], seg_b[first_b[pair] + k % nb[pair]]
    p, r = ca[sa], ca[sa + 1] - ca[sa]
    q, s = cb[sb], cb[sb + 1] - cb[sb]
    denom = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    w = q - p
    flat = np.abs(denom) <= _FLAT * np.hypot(r[:, 0], r[:, 1]) * np.hypot(s[:, 0], s[:, 1])
    safe = np.where(flat, 1.0, denom)
    t = (w[:, 0] * s[:, 1] - w[:, 1] * s[:, 0]) / safe  # along a's segment
    u = (w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / safe  # along b's segment
    boxes_meet = (np.minimum(q, q + s) <= np.maximum(p, p + r) + _EDGE).all(axis=1) & \
        (np.maximum(q, q + s) >= np.minimum(p, p + r) - _EDGE).all(axis=1)
    near = ~flat & (t >= -_EDGE) & (t <= 1 + _EDGE) & (u >= -_EDGE) & (u <= 1 + _EDGE)
    clean = near & (t > _EDGE) & (t < 1 - _EDGE) & (u > _EDGE) & (u < 1 - _EDGE)
    unsure = np.zeros(n, dtype=bool)
    unsure[pair[(flat & boxes_meet) | (near & ~clean)]] = True
    return q[clean] + u[clean, None] * s[clean], pair[clean], unsure


def point_distances(xy: np.ndarray, lines: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Distance from point ``xy[i]`` to ``lines[which[i]]``, as GEOS works it out, to the last bit.

    GEOS takes the least of the point's distances to each segment (the foot on the segment, else
    the nearer end), with the same arithmetic as here; done over all pairs in numpy it saves a
    point object and a GEOS call per pair. Lines other than plain LineStrings go to GEOS.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    which = np.asarray(which, dtype=np.int64)
    if not len(which):
        return np.zeros(0)
    plain = _plain_lines(lines, which)
    if plain is None:
        return shapely.distance(shapely.points(xy), np.asarray(lines, dtype=object)[which])
    coords, count, local = plain
    segs = (count - 1)[local]  # segments of each point's line
    point = np.repeat(np.arange(len(which)), segs)
    first = (np.cumsum(count) - count)[local]
    start = np.cumsum(segs) - segs
    seg = first[point] + np.arange(len(point)) - start[point]
    px, py = xy[point, 0], xy[point, 1]
    ax, ay, bx, by = coords[seg, 0], coords[seg, 1], coords[seg + 1, 0], coords[seg + 1, 1]
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    pax, pay = px - ax, py - ay
    pbx, pby = px - bx, py - by
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (pax * dx + pay * dy) / len2
        s = ((ay - py) * dx - (ax - px) * dy) / len2
        foot = np.abs(s) * np.sqrt(len2)
    to_a = np.sqrt(pax * pax + pay * pay)
    to_b = np.sqrt(pbx * pbx + pby * pby)
    d = np.where((ax == bx) & (ay == by) | (r <= 0.0), to_a, np.where(r >= 1.0, to_b, foot))
    return np.fmin.reduceat(d, start)


def _plain_lines(lines: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The vertices of the distinct lines *which* refers to, their vertex counts, and each query's line
    among them; None when one is not a plain LineString of two vertices or more (left to GEOS)."""
    used, local = np.unique(which, return_inverse=True)
    geoms = np.asarray(lines, dtype=object)[used]
    count = shapely.get_num_coordinates(geoms)
    if (shapely.get_type_id(geoms) != shapely.GeometryType.LINESTRING).any() or (count < 2).any():
        return None
    return shapely.get_coordinates(geoms), count, local


def end_vertices(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every vertex of *lines* (coordinates, and the line each belongs to) and the positions of each
    line's first and last vertex among them: the ends of many lines from one GEOS call."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    n = np.arange(len(lines))
    return coords, idx, np.searchsorted(idx, n), np.searchsorted(idx, n, side="right") - 1


def _line_arrays(lines: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                                 np.ndarray] | None:
    """The vertices of the lines *which* refers to, and per vertex the length of the segment ending
    there and the running length from its line's start, added segment by segment as GEOS adds them
    (a cumulative sum over many lines would differ in the last bits): (coords, first vertex and
    vertex count of each query's line, segment lengths, running lengths). None when a line is not a
    plain LineString of two vertices or more (left to GEOS)."""
    plain = _plain_lines(lines, which)
    if plain is None:
        return None
    coords, count, local = plain
    start = np.cumsum(count) - count
    step = np.zeros(len(coords))
    d = coords[1:] - coords[:-1]
    step[1:] = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])
    step[start] = 0.0
    run = np.zeros(len(coords))
    rank = np.arange(len(coords)) - np.repeat(start, count)  # vertex number within its line
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(1, int(count.max()) + 1))
    for k in range(1, len(bounds)):  # vertex k of every line at once: one addition each, in GEOS's order
        at = order[bounds[k - 1] : bounds[k]]
        run[at] = run[at - 1] + step[at]
    return coords, start[local], count[local], step, run


def interpolate(lines: np.ndarray, which: np.ndarray, along: np.ndarray) -> np.ndarray:
    """The point (xy) at distance ``along[i]`` along ``lines[which[i]]``, as GEOS's
    line_interpolate_point places it, to the last bit, without a GEOS call or point per query.

    GEOS walks the segments adding their lengths until the next one passes the distance, then
    goes that fraction along it; here the segment is found by bisection on the running lengths.
    Negative or missing distances and other geometries go to GEOS.
    """
    which = np.asarray(which, dtype=np.int64)
    along = np.asarray(along, dtype=float)
    if not len(which):
        return np.zeros((0, 2))
    got = _line_arrays(lines, which) if not (np.isnan(along) | (along < 0)).any() else None
    if got is None:
        return shapely.get_coordinates(shapely.line_interpolate_point(np.asarray(lines, dtype=object)[which], along))
    coords, first, count, step, run = got
    # the first vertex m past the line's start with run[m] > along (GEOS: totalLength + segLen > length)
    lo, hi = first + 1, first + count
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        past = open_ & (run[np.minimum(mid, len(run) - 1)] > along)
        hi = np.where(past, mid, hi)
        lo = np.where(open_ & ~past, mid + 1, lo)
    inside = lo < first + count
    out = coords[first + count - 1].copy()  # at or past the line's end: its last vertex
    out[along <= 0.0] = coords[first[along <= 0.0]]
    m = lo[inside & (along > 0.0)]
    sel = np.flatnonzero(inside & (along > 0.0))
    p0, p1 = coords[m - 1], coords[m]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (along[sel] - run[m - 1]) / step[m]
    xy = (p1 - p0) * frac[:, None] + p0
    xy[frac <= 0.0] = p0[frac <= 0.0]
    xy[frac >= 1.0] = p1[frac >= 1.0]
    out[sel] = xy
    return out

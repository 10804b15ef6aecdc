"""Finding what is near what, for millions of boxes, points and segments, in numpy.

GEOS answers one pair at a time; asking it whether each of a few million touching pipe
pairs meets only at its shared node costs minutes. Here boxes go into a uniform grid
(hashing), candidate pairs come out of each cell, and the segment-by-segment geometry
(distance of a vertex to a segment, proper crossings, collinear overlaps) is plain
vectorised arithmetic. GEOS (shapely) is kept for what is rare or needs exact answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from .graph import component_labels

_EMPTY = np.zeros(0, dtype=np.int64)
_CHUNK = 2_000_000


def box_pairs(minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray,
              cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of boxes that overlap or touch, each pair once."""
    n = len(minx)
    if n < 2:
        return _EMPTY, _EMPTY
    ox, oy = float(np.min(minx)), float(np.min(miny))
    cx0 = np.floor((minx - ox) / cell).astype(np.int64)
    cy0 = np.floor((miny - oy) / cell).astype(np.int64)
    ncx = np.floor((maxx - ox) / cell).astype(np.int64) - cx0 + 1
    ncy = np.floor((maxy - oy) / cell).astype(np.int64) - cy0 + 1
    per_box = ncx * ncy
    box = np.repeat(np.arange(n, dtype=np.int64), per_box)
    k = np.arange(len(box), dtype=np.int64) - np.repeat(np.cumsum(per_box) - per_box, per_box)
    ex = cx0[box] + k % ncx[box]
    ey = cy0[box] + k // ncx[box]
    height = int(ey.max()) + 2
    key = ex * height + ey
    order = np.argsort(key)
    key, box, ex, ey = key[order], box[order], ex[order], ey[order]
    n_entries = len(key)
    group_end = np.append(np.flatnonzero(np.diff(key)) + 1, n_entries)
    group_of = np.repeat(np.arange(len(group_end)), np.diff(np.append(0, group_end)))
    partners = group_end[group_of] - np.arange(n_entries) - 1
    first = np.repeat(np.arange(n_entries, dtype=np.int64), partners)
    second = first + 1 + np.arange(len(first), dtype=np.int64) - np.repeat(np.cumsum(partners) - partners, partners)
    i, j = box[first], box[second]
    # Keep a pair only in the cell holding the lower-left corner of the boxes' overlap,
    # so a pair sharing several cells is reported once; drop boxes that do not overlap.
    lx, ly = np.maximum(minx[i], minx[j]), np.maximum(miny[i], miny[j])
    keep = (lx <= np.minimum(maxx[i], maxx[j])) & (ly <= np.minimum(maxy[i], maxy[j]))
    keep &= (np.floor((lx - ox) / cell).astype(np.int64) == ex[first])
    keep &= np.floor((ly - oy) / cell).astype(np.int64) == ey[first]
    i, j = i[keep], j[keep]
    return np.minimum(i, j), np.maximum(i, j)


def cluster_points(xy: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """(label per point, representative xy per label): points closer than *tol* chained into one."""
    if len(xy) == 0:
        return _EMPTY, np.zeros((0, 2))
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    sorted_xy = xy[order]
    new = np.r_[True, np.any(sorted_xy[1:] != sorted_xy[:-1], axis=1)]
    uniq = sorted_xy[new]
    inverse = np.empty(len(xy), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    if tol > 0 and len(uniq) > 1:
        half = tol / 2.0
        i, j = box_pairs(uniq[:, 0] - half, uniq[:, 1] - half, uniq[:, 0] + half, uniq[:, 1] + half, 4.0 * tol)
        near = np.hypot(uniq[i, 0] - uniq[j, 0], uniq[i, 1] - uniq[j, 1]) <= tol
        labels = component_labels(len(uniq), i[near], j[near])
    else:
        labels = np.arange(len(uniq), dtype=np.int64)
    first = np.unique(labels, return_index=True)[1]
    return labels[inverse], uniq[first]


@dataclass
class Contacts:
    """How pipes meet away from shared nodes (indices are positions in the input array)."""

    cross_a: np.ndarray  # interiors meet at a point
    cross_b: np.ndarray
    cross_xy: np.ndarray
    tee_end: np.ndarray  # pipe whose end lies on the interior of tee_other
    tee_at_start: np.ndarray  # that end is the pipe's start (else its end)
    tee_other: np.ndarray
    tee_xy: np.ndarray
    overlap_a: np.ndarray  # pipes sharing a stretch, and its length
    overlap_b: np.ndarray
    overlap_len: np.ndarray


def _point_on_segment(px: np.ndarray, py: np.ndarray, ax: np.ndarray, ay: np.ndarray, dx: np.ndarray,
                      dy: np.ndarray, seg_len: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of points to segments, and the distance along the segment of the nearest point."""
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (seg_len * seg_len), 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy)), t * seg_len


def pipe_contacts(geoms: np.ndarray, eps: float) -> Contacts:
    """Crossings, unsplit tees and overlaps between different pipes, vertex roles taken into account.

    Two pipes may touch only where an end of one meets an end of the other (a node),
    within *eps*. Anything else is reported: interiors meeting (crossing or touching),
    an end resting on the other pipe's interior (a tee whose pipe was not split), or
    collinear stretches (overlap).
    """
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return _empty_contacts()
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    is_end = first | last
    seg = np.flatnonzero(~last)
    ax, ay = coords[seg, 0], coords[seg, 1]
    dx, dy = coords[seg + 1, 0] - ax, coords[seg + 1, 1] - ay
    seg_len = np.hypot(dx, dy)
    keep = seg_len > 0
    seg, ax, ay, dx, dy, seg_len = seg[keep], ax[keep], ay[keep], dx[keep], dy[keep], seg_len[keep]
    if len(seg) < 2:
        return _empty_contacts()
    i, j = _segment_pairs(ax, ay, dx, dy, seg_len, line[seg], eps)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("cross", "tee", "overlap")}
    for start in range(0, len(i), _CHUNK):
        si, sj = i[start : start + _CHUNK], j[start : start + _CHUNK]
        _classify(parts, si, sj, seg, coords, ax, ay, dx, dy, seg_len, line, is_end, first, eps)
    return _gather(parts, eps)


def _segment_pairs(ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray, seg_len: np.ndarray,
                   seg_line: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of segments of different pipes whose boxes (grown by eps) meet."""
    cell = max(2.0 * float(np.median(seg_len)), 8.0 * eps, 1e-6)  # measured: 2x the median is fastest
    pieces = np.maximum(1, np.ceil(seg_len / cell)).astype(np.int64)  # long segments: several boxes
    owner = np.repeat(np.arange(len(seg_len), dtype=np.int64), pieces)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0, t1 = k / pieces[owner], (k + 1) / pieces[owner]
    x0, x1 = ax[owner] + t0 * dx[owner], ax[owner] + t1 * dx[owner]
    y0, y1 = ay[owner] + t0 * dy[owner], ay[owner] + t1 * dy[owner]
    pi, pj = box_pairs(np.minimum(x0, x1) - eps, np.minimum(y0, y1) - eps, np.maximum(x0, x1) + eps,
                       np.maximum(y0, y1) + eps, cell)
    i, j = owner[pi], owner[pj]
    differ = seg_line[i] != seg_line[j]
    i, j = np.minimum(i[differ], j[differ]), np.maximum(i[differ], j[differ])
    if len(i) and pieces.max() > 1:
        key = np.unique(i * len(seg_len) + j)
        i, j = key // len(seg_len), key % len(seg_len)
    return i, j


def _classify(parts: dict[str, list[np.ndarray]], i: np.ndarray, j: np.ndarray, seg: np.ndarray, coords: np.ndarray,
              ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray, seg_len: np.ndarray,
              line: np.ndarray, is_end: np.ndarray, first: np.ndarray, eps: float) -> None:
    pax, pay, pdx, pdy, plen = ax[i], ay[i], dx[i], dy[i], seg_len[i]
    qax, qay, qdx, qdy, qlen = ax[j], ay[j], dx[j], dy[j], seg_len[j]
    pbx, pby, qbx, qby = pax + pdx, pay + pdy, qax + qdx, qay + qdy
    # Signed distances of Q's ends from P's line and of P's ends from Q's line.
    sc = (pdx * (qay - pay) - pdy * (qax - pax)) / plen
    sd = (pdx * (qby - pay) - pdy * (qbx - pax)) / plen
    sa = (qdx * (pay - qay) - qdy * (pax - qax)) / qlen
    sb = (qdx * (pby - qay) - qdy * (pbx - qax)) / qlen
    collinear = (np.abs(sc) <= eps) & (np.abs(sd) <= eps) | (np.abs(sa) <= eps) & (np.abs(sb) <= eps)
    # Collinear: the stretch the two segments share, measured along P.
    tc = ((qax - pax) * pdx + (qay - pay) * pdy) / plen
    td = ((qbx - pax) * pdx + (qby - pay) * pdy) / plen
    shared = np.minimum(np.maximum(tc, td), plen) - np.maximum(np.minimum(tc, td), 0.0)
    overlap = collinear & (shared > eps)
    if overlap.any():
        parts["overlap"].append(np.column_stack([line[seg[i[overlap]]], line[seg[j[overlap]]], shared[overlap]]))
    rest = ~overlap
    # Each segment end lying on the other segment: (vertex, its pipe, other segment's vertices, position).
    touched = np.zeros(len(i), dtype=bool)
    for vx, vy, vert, oax, oay, odx, ody, olen, oseg in (
        (pax, pay, seg[i], qax, qay, qdx, qdy, qlen, seg[j]),
        (pbx, pby, seg[i] + 1, qax, qay, qdx, qdy, qlen, seg[j]),
        (qax, qay, seg[j], pax, pay, pdx, pdy, plen, seg[i]),
        (qbx, qby, seg[j] + 1, pax, pay, pdx, pdy, plen, seg[i]),
    ):
        dist, along = _point_on_segment(vx, vy, oax, oay, odx, ody, olen)
        on = rest & (dist <= eps)
        touched |= on
        if not on.any():
            continue
        at_first = along <= eps
        at_second = (olen - along) <= eps
        other_end = (at_first & is_end[oseg]) | (at_second & is_end[oseg + 1])
        mine_end = is_end[vert]
        tee = on & mine_end & ~other_end
        if tee.any():
            v = vert[tee]
            parts["tee"].append(np.column_stack([line[v], first[v], line[oseg[tee]], coords[v]]))
        # Interior vertex on the other's interior (or on an interior vertex): interiors meet.
        cross = on & ~mine_end & ~other_end
        if cross.any():
            v = vert[cross]
            parts["cross"].append(np.column_stack([line[v], line[oseg[cross]], coords[v]]))
    proper = rest & ~touched & (sc * sd < 0) & (sa * sb < 0)
    if proper.any():
        t = sa[proper] / (sa[proper] - sb[proper])
        x, y = pax[proper] + t * pdx[proper], pay[proper] + t * pdy[proper]
        parts["cross"].append(np.column_stack([line[seg[i[proper]]], line[seg[j[proper]]], x, y]))


def _gather(parts: dict[str, list[np.ndarray]], eps: float) -> Contacts:
    cross = np.concatenate(parts["cross"]) if parts["cross"] else np.zeros((0, 4))
    tee = np.concatenate(parts["tee"]) if parts["tee"] else np.zeros((0, 5))
    over = np.concatenate(parts["overlap"]) if parts["overlap"] else np.zeros((0, 3))
    ca, cb = cross[:, 0].astype(np.int64), cross[:, 1].astype(np.int64)
    ca, cb = np.minimum(ca, cb), np.maximum(ca, cb)
    cross_key = np.column_stack([ca, cb, np.round(cross[:, 2] / max(eps, 1e-9)), np.round(cross[:, 3] / max(eps, 1e-9))])
    _, keep = np.unique(cross_key, axis=0, return_index=True)
    tee_key = tee[:, :3].astype(np.int64)
    _, tkeep = np.unique(tee_key, axis=0, return_index=True)
    oa, ob = over[:, 0].astype(np.int64), over[:, 1].astype(np.int64)
    oa, ob = np.minimum(oa, ob), np.maximum(oa, ob)
    okey, inv = np.unique(np.column_stack([oa, ob]), axis=0, return_inverse=True)
    olen = np.bincount(inv.ravel(), weights=over[:, 2], minlength=len(okey)) if len(okey) else np.zeros(0)
    okey = okey.reshape(-1, 2)
    return Contacts(
        ca[keep], cb[keep], cross[keep, 2:4],
        tee[tkeep, 0].astype(np.int64), tee[tkeep, 1].astype(bool), tee[tkeep, 2].astype(np.int64), tee[tkeep, 3:5],
        okey[:, 0].astype(np.int64), okey[:, 1].astype(np.int64), olen,
    )


def diagonals(box: np.ndarray) -> np.ndarray:
    """A line corner to corner of each box (minx, miny, maxx, maxy): the same envelope, for an index or a
    box query, made far quicker than the box polygon."""
    return shapely.linestrings(box.reshape(-1, 2, 2))


def boxes_around(xy: np.ndarray, reach: float | np.ndarray) -> np.ndarray:
    """The box of each point of *xy* grown by *reach* (one for all, or an (n, 1) column), as diagonals: what
    an index's "dwithin" query looks in."""
    return diagonals(np.hstack([xy - reach, xy + reach]))


def point_gaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between paired points ((n, 2) each) as GEOS measures two points: the square root of the
    summed squares (not hypot, whose last bit may differ), so numpy and GEOS answers compare exactly."""
    d = a - b
    return np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])


def single_points_xy(geoms: np.ndarray) -> np.ndarray | None:
    """The xy of each geometry when every one is a single 2D point (else None: left to GEOS)."""
    if not (shapely.get_type_id(geoms) == shapely.GeometryType.POINT).all() or shapely.has_z(geoms).any():
        return None
    xy = shapely.get_coordinates(geoms)
    return xy if len(xy) == len(geoms) else None


def points_within(tree: shapely.STRtree, xy: np.ndarray, distance: float | np.ndarray, tree_xy: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (point of *xy*, point of the *tree*) at most *distance* apart (one for all, or one per
    point), as ``tree.query(points, predicate="dwithin", distance=distance)`` gives them, in its order,
    and their distances, as GEOS measures two points (*tree_xy*: the tree's points).

    The query looks in each point's box grown by its distance, then tests each pair in GEOS; here the
    same boxes are looked in and the test is numpy arithmetic on the distances, which are wanted anyway.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    reach = np.broadcast_to(np.asarray(distance, dtype=float), (len(xy),))
    src, dst = tree.query(boxes_around(xy, reach[:, None]))
    d = point_gaps(xy[src], tree_xy[dst])
    keep = d <= reach[src]
    return src[keep], dst[keep], d[keep]


def nearest_other(points: Any, owners: Any, targets: Any, target_owners: Any, within: float,
                  tree: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the nearest target of another owner within *within*: (target index or -1, distance).

    *points* and *targets* are geometries or xy pairs; *tree*, when given, indexes *targets*.
    """
    if not len(points) or not len(targets):
        return np.full(len(points), -1, dtype=np.int64), np.full(len(points), np.inf)
    if tree is None and not isinstance(points[0], shapely.Geometry) and not isinstance(targets[0], shapely.Geometry):
        # points as xy both: the pairs and distances in numpy (the ties go by target, whatever the order)
        xy = np.asarray(targets, dtype=float).reshape(-1, 2)
        src, dst, d = points_within(shapely.STRtree(shapely.points(xy)), points, within, xy)
        other = np.asarray(owners)[src] != np.asarray(target_owners)[dst]
        return nearest_of_pairs(src[other], dst[other], d[other], len(points))
    pts = _as_geoms(points)
    geoms = _as_geoms(targets)
    src, dst = (tree or shapely.STRtree(geoms)).query(pts, predicate="dwithin", distance=within)
    other = np.asarray(owners)[src] != np.asarray(target_owners)[dst]
    src, dst = src[other], dst[other]
    return nearest_of_pairs(src, dst, shapely.distance(pts[src], geoms[dst]), len(pts))


def nearest_of_pairs(src: np.ndarray, dst: np.ndarray, d: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of *n* points, the nearest of its pairs (point *src*, target *dst*, distance *d*): (target or -1,
    distance); for pairs already found, e.g. by a query the other way round."""
    near = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    if not len(src):
        return near, dist
    order = np.lexsort((dst, d, src))  # equally near: the first target, whatever the tree's order
    src, dst, d = src[order], dst[order], d[order]
    first = np.r_[True, src[1:] != src[:-1]]
    near[src[first]], dist[src[first]] = dst[first], d[first]
    return near, dist


def _as_geoms(values: Any) -> np.ndarray:
    if len(values) and not isinstance(values[0], shapely.Geometry):
        return shapely.points(np.asarray(values, dtype=float).reshape(-1, 2))
    return np.asarray(values, dtype=object)


def _empty_contacts() -> Contacts:
    z2 = np.zeros((0, 2))
    return Contacts(_EMPTY, _EMPTY, z2, _EMPTY, np.zeros(0, dtype=bool), _EMPTY, z2, _EMPTY, _EMPTY, np.zeros(0))

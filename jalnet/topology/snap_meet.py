"""Where walks that meet at a new junction really meet: weighed over every walk's line and end.

A walk stops short of the junction or runs past it by several metres along its own line
(the walker stops at the trench end, not at the fitting), so its end says little about
where along its line the junction is; its line, fitted over many fixes, says much more about
where beside it the junction is. Each walk is one measurement of the junction: its line
(the side error is the GPS error of the fitted line) and its end along that line (the
over- or undershoot plus that error, one and a half to two times as large). The junction is the point of
least weighted squares over all of them: where two walks cross at a good angle it is close
to the crossing; two walks continuing one another fix the line, and along it the midpoint
of their ends; lines at a narrow angle, whose crossing would swing far with a metre of
side error, lean on the ends as much as they deserve. No case needs its own rule or a fallback.
"""

from __future__ import annotations

import numpy as np

#: A walk's line closer than this to parallel to the pipe it meets (sine of the angle) does not cross it.
MIN_SINE = 0.34  # about 20 degrees
#: How much less an end tells along its line than beside it, for a last run of MIN_RUN_M: the spread
#: of the stop (over- or undershoot of a few metres plus the GPS error) over the side error of the line.
ALONG_SPREAD = 1.5
#: Last run (m) the side weight is reckoned from. A longer run averages more fixes, but their errors
#: drift together and pipes bend, so its weight grows only as the square root of its length; a
#: shorter one (a few fixes at the end) gives its direction badly: the weight falls as the square.
MIN_RUN_M = 30.0


def meeting_point(xy: np.ndarray, heading: np.ndarray, run: np.ndarray | None = None) -> tuple[float, float]:
    """The junction the walks ending at *xy* along *heading* ((k, 2) each; unit vectors, 0 when unknown) meet at.

    *run*: length (m) of each walk's last straight run (MIN_RUN_M when not given). The weighing is
    relative, so no distance scale enters.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    run = np.full(len(xy), MIN_RUN_M) if run is None else np.asarray(run, dtype=float)
    out = meeting_points(xy, heading, run, np.zeros(len(xy), dtype=np.int64), 1)
    return float(out[0, 0]), float(out[0, 1])


def meeting_points(xy: np.ndarray, heading: np.ndarray, run: np.ndarray, group: np.ndarray, n_groups: int
                   ) -> np.ndarray:
    """The meeting point of each group of ends ((n_groups, 2); rows of groups without ends are 0).

    Each end weighs the squared distance beside its line by its side weight (see MIN_RUN_M) and
    along it by 1 / ALONG_SPREAD^2 (an end without a heading, or whose run is so short its side
    says less than its end, weighs the same every way). The normal equations are summed per group
    and each 2 x 2 system solved in closed form, so a group of one is its end and all groups,
    of any size, are solved at once.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    head = np.asarray(heading, dtype=float).reshape(-1, 2)
    run = np.asarray(run, dtype=float).reshape(-1)
    group = np.asarray(group, dtype=np.int64)
    norm = np.hypot(head[:, 0], head[:, 1])
    known = norm > 0.5
    d = np.where(known[:, None], head / np.where(known, norm, 1.0)[:, None], 0.0)
    along_w = 1.0 / ALONG_SPREAD**2
    share = np.maximum(run, 0.0) / MIN_RUN_M
    side_w = np.where(share >= 1.0, np.sqrt(np.minimum(share, 1e6)), share**2)
    side_w = np.where(known, np.maximum(side_w, along_w), along_w)  # never less than the end itself
    # weight matrix of each end: side_w (I - d d^T) + along_w d d^T = side_w I + (along_w - side_w) d d^T
    dd = d[:, :, None] * d[:, None, :]
    w = side_w[:, None, None] * np.eye(2)[None] + (along_w - side_w)[:, None, None] * dd
    matrix = np.zeros((n_groups, 2, 2))
    rhs = np.zeros((n_groups, 2))
    np.add.at(matrix, group, w)
    np.add.at(rhs, group, np.einsum("kij,kj->ki", w, xy))
    det = matrix[:, 0, 0] * matrix[:, 1, 1] - matrix[:, 0, 1] * matrix[:, 1, 0]
    ok = det > 0
    safe = np.where(ok, det, 1.0)
    out = np.zeros((n_groups, 2))
    out[:, 0] = (matrix[:, 1, 1] * rhs[:, 0] - matrix[:, 0, 1] * rhs[:, 1]) / safe
    out[:, 1] = (matrix[:, 0, 0] * rhs[:, 1] - matrix[:, 1, 0] * rhs[:, 0]) / safe
    out[~ok] = 0.0
    return out


def crossing_along(pipes: np.ndarray, xy: np.ndarray, heading: np.ndarray, reach: float,
                   along: np.ndarray) -> np.ndarray:
    """Distance along each pipe where the walk ending at *xy* (out along *heading*) crosses it.

    A walk that stops short of the pipe it tees into, or runs past it, meets it where its
    line crosses, not at the foot of its end; *along* (the foot) is kept where the line
    does not cross within *reach* of the end or runs near parallel to the pipe.
    """
    import shapely

    from .lines import crossings, interpolate

    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    head = np.asarray(heading, dtype=float).reshape(-1, 2)
    along = np.asarray(along, dtype=float)
    out = along.copy()
    known = np.hypot(head[:, 0], head[:, 1]) > 0.5
    if not known.any():
        return out
    k = np.flatnonzero(known)
    ray_a, ray_b = xy[k] - head[k] * reach, xy[k] + head[k] * reach
    pts, which, unsure = crossings(shapely.linestrings(np.stack([ray_a, ray_b], axis=1)), pipes[k])
    if unsure.any():  # near parallel, or through a vertex: GEOS decides (a stretch along the pipe keeps the foot)
        ask = np.flatnonzero(unsure)
        pts, which = pts[~unsure[which]], which[~unsure[which]]
        hit = shapely.intersection(shapely.linestrings(np.stack([ray_a[ask], ray_b[ask]], axis=1)), pipes[k[ask]])
        kind = shapely.get_type_id(hit)
        crossed = ((kind == shapely.GeometryType.POINT) | (kind == shapely.GeometryType.MULTIPOINT)) & \
            ~shapely.is_empty(hit)
        more, owner = shapely.get_coordinates(hit[crossed], return_index=True)
        pts, which = np.vstack([pts, more]), np.concatenate([which, ask[crossed][owner]])
        by_end = np.argsort(which, kind="stable")
        pts, which = pts[by_end], which[by_end]
    if not len(which):
        return out
    near = np.hypot(*(pts - xy[k][which]).T)
    order = np.lexsort((near, which))  # per end the crossing nearest it (the first of equals)
    first = order[np.r_[True, which[order][1:] != which[order][:-1]]]
    k, pick = k[which[first]], pts[first]
    # the pipe's direction at the foot: a walk near parallel to it fixes no crossing
    lines = pipes[k]
    foot, ahead = np.split(interpolate(pipes, np.r_[k, k], np.r_[along[k], along[k] + 1.0]), 2)
    tangent = ahead - foot
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    sine = np.abs(tangent[:, 0] * head[k, 1] - tangent[:, 1] * head[k, 0]) / np.where(norm > 0, norm, 1.0)
    steep = ~((norm > 0) & (sine < MIN_SINE))
    out[k[steep]] = shapely.line_locate_point(lines[steep], shapely.points(pick[steep]))
    return out


def last_runs(lines: np.ndarray, ends: list) -> np.ndarray:
    """Length (m) of the straight run each end (``owner``, ``at_start``) finishes: its line's first or last leg.

    All lines' vertices are read in one call; the leg is the first two or the last two of them.
    """
    import shapely

    out = np.zeros(len(ends))
    if not len(ends):
        return out
    owner = np.fromiter((e.owner for e in ends), dtype=np.int64, count=len(ends))
    at_start = np.fromiter((e.at_start for e in ends), dtype=bool, count=len(ends))
    coords, idx = shapely.get_coordinates(lines[owner], return_index=True)
    count = np.bincount(idx, minlength=len(ends))
    first = np.r_[0, np.cumsum(count)[:-1]]
    legged = count >= 2
    a = np.where(at_start, first, first + count - 2)[legged]
    leg = coords[a + 1] - coords[a]
    out[legged] = np.hypot(leg[:, 0], leg[:, 1])
    return out

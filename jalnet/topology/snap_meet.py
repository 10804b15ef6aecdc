"""Where walks that meet at a new junction really meet: where their lines cross, not the mean of their ends.

A walk stops short of the junction or runs past it by several metres along its own line
(the walker stops at the trench end, not at the fitting), so the mean of the ends is off
by about that much. The lines themselves point at the junction: the point nearest all of
them (least squares over their last runs) is it, when they are not near parallel.
"""

from __future__ import annotations

import numpy as np

#: Lines closer than this to parallel (sine of the angle between the two most different) do not fix a point.
MIN_SINE = 0.34  # about 20 degrees
#: Farthest the meeting point may lie beside a walk's line, as a share of the reach (the reach is
#: two GPS errors plus an overrun: a quarter of it is about one GPS error).
SIDE_SHARE = 0.25
#: Shortest last run of a walk whose direction is used (m): twice the stretch a heading is taken over.
MIN_RUN_M = 30.0


def meeting_point(xy: np.ndarray, heading: np.ndarray, reach: float, run: np.ndarray | None = None
                  ) -> tuple[float, float]:
    """The point nearest the lines through *xy* along *heading* ((k, 2) each; unit vectors, 0 when unknown).

    *run*: length (m) of each walk's last straight run; a line from a run shorter than
    ``MIN_RUN_M`` is not used (a few fixes at the end give no direction to trust).

    A line the point lies far beside (a walk whose end drifted sideways) is left out and the
    rest tried again. Falls back to the mean of the ends when fewer than two lines are left,
    when they are near parallel, or when the point found is farther than *reach* from an end.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    head = np.asarray(heading, dtype=float).reshape(-1, 2)
    mean = xy.mean(axis=0)
    known = np.hypot(head[:, 0], head[:, 1]) > 0.5
    if run is not None:
        known &= np.asarray(run, dtype=float) >= MIN_RUN_M
    p, d = xy[known], head[known] / np.hypot(head[known, 0], head[known, 1])[:, None]
    while len(p) >= 2:
        sine = np.abs(d[:, None, 0] * d[None, :, 1] - d[:, None, 1] * d[None, :, 0])
        if sine.max() < MIN_SINE:
            break
        # sum over lines of (I - d d^T): the normal equations of the squared distances to the lines
        proj = np.eye(2)[None, :, :] - d[:, :, None] * d[:, None, :]
        at = np.linalg.solve(proj.sum(axis=0), np.einsum("kij,kj->i", proj, p))
        side = np.abs((at - p)[:, 0] * d[:, 1] - (at - p)[:, 1] * d[:, 0])
        if side.max() <= SIDE_SHARE * reach:
            if np.hypot(*(xy - at).T).max() > reach:
                break
            return float(at[0]), float(at[1])
        worst = int(np.argmax(side))
        p, d = np.delete(p, worst, axis=0), np.delete(d, worst, axis=0)
    return float(mean[0]), float(mean[1])


def meeting_points(xy: np.ndarray, heading: np.ndarray, run: np.ndarray, group: np.ndarray, n_groups: int,
                   reach: float) -> np.ndarray:
    """:func:`meeting_point` of each group of ends ((n_groups, 2); rows of groups without ends are 0).

    Pairs, the usual case (two walks meeting), are solved all at once: two lines meet where
    they cross, so the point is the crossing unless either line is unknown or too short, the
    two are near parallel, or the crossing lies beyond *reach* of an end; then the mean. Larger
    groups go through :func:`meeting_point` one by one.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    head = np.asarray(heading, dtype=float).reshape(-1, 2)
    group = np.asarray(group, dtype=np.int64)
    size = np.bincount(group, minlength=n_groups)
    out = np.zeros((n_groups, 2))
    order = np.argsort(group, kind="stable")
    starts = np.r_[0, np.cumsum(size)[:-1]]
    pairs = np.flatnonzero(size == 2)
    if len(pairs):
        i, j = order[starts[pairs]], order[starts[pairs] + 1]
        mean = (xy[i] + xy[j]) / 2
        norm_i, norm_j = np.hypot(*head[i].T), np.hypot(*head[j].T)
        known = (norm_i > 0.5) & (norm_j > 0.5) & (np.asarray(run)[i] >= MIN_RUN_M) & (np.asarray(run)[j] >= MIN_RUN_M)
        di = head[i] / np.where(norm_i > 0, norm_i, 1.0)[:, None]
        dj = head[j] / np.where(norm_j > 0, norm_j, 1.0)[:, None]
        cross = di[:, 0] * dj[:, 1] - di[:, 1] * dj[:, 0]
        solvable = known & (np.abs(cross) >= MIN_SINE)
        # p_i + s d_i = p_j + u d_j  ->  s = cross(p_j - p_i, d_j) / cross(d_i, d_j)
        w = xy[j] - xy[i]
        s = (w[:, 0] * dj[:, 1] - w[:, 1] * dj[:, 0]) / np.where(solvable, cross, 1.0)
        at = xy[i] + s[:, None] * di
        far = np.maximum(np.hypot(*(xy[i] - at).T), np.hypot(*(xy[j] - at).T)) > reach
        out[pairs] = np.where((solvable & ~far)[:, None], at, mean)
    run = np.asarray(run, dtype=float)
    done = np.zeros(n_groups, dtype=bool)
    for m in np.unique(size[size > 2]).tolist():  # groups of one size at once: the first try of meeting_point
        g = np.flatnonzero(size == m)
        k = order[starts[g][:, None] + np.arange(m)[None, :]]  # (groups, m) ends
        ok = _first_try(xy[k], head[k], run[k], reach)
        out[g[ok[0]]] = ok[1][ok[0]]
        done[g[ok[0]]] = True
    for g in np.flatnonzero((size > 2) & ~done).tolist():  # lines left out, or some unknown: one by one
        k = order[starts[g]: starts[g] + size[g]]
        out[g] = meeting_point(xy[k], head[k], reach, run[k])
    for g in np.flatnonzero(size == 1).tolist():
        out[g] = xy[order[starts[g]]]
    return out


def _first_try(xy: np.ndarray, heading: np.ndarray, run: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`meeting_point` for many groups of one size (g, m, 2) whose lines are all known.

    (settled, point): the groups with an unknown or too short line, or a near-singular
    system, are left unsettled for :func:`meeting_point` itself. Each try solves all the
    groups still open at once; a group whose point lies far beside a line drops that line
    (the one farthest beside) and tries again, as :func:`meeting_point` does. Same arithmetic,
    stacked.
    """
    g, m = xy.shape[:2]
    mean = xy.mean(axis=1)
    norm = np.hypot(heading[:, :, 0], heading[:, :, 1])
    known = ((norm > 0.5) & (run >= MIN_RUN_M)).all(axis=1)
    settled = np.zeros(g, dtype=bool)
    point = mean.copy()
    rows = np.flatnonzero(known)
    p = xy[rows]
    d = heading[rows] / np.where(norm[rows] > 0, norm[rows], 1.0)[:, :, None]
    while len(rows) and p.shape[1] >= 2:
        sine = np.abs(d[:, :, None, 0] * d[:, None, :, 1] - d[:, :, None, 1] * d[:, None, :, 0])
        parallel = sine.max(axis=(1, 2)) < MIN_SINE
        settled[rows[parallel]] = True  # the mean
        proj = np.eye(2)[None, None, :, :] - d[:, :, :, None] * d[:, :, None, :]
        matrix = proj.sum(axis=1)
        solvable = ~parallel & (np.abs(np.linalg.det(matrix)) > 0)
        s = np.flatnonzero(solvable)
        at = np.linalg.solve(matrix[s], np.einsum("gkij,gkj->gi", proj[s], p[s]))
        rel = at[:, None, :] - p[s]
        side = np.abs(rel[:, :, 0] * d[s, :, 1] - rel[:, :, 1] * d[s, :, 0])
        beside_ok = side.max(axis=1) <= SIDE_SHARE * reach
        whole = at[:, None, :] - xy[rows[s]]  # how far from every end, the left-out ones too
        far = np.hypot(whole[:, :, 0], whole[:, :, 1]).max(axis=1) > reach
        done = s[beside_ok]
        settled[rows[done]] = True
        point[rows[s[beside_ok & ~far]]] = at[beside_ok & ~far]
        again = s[~beside_ok]  # one line left out, the one farthest beside
        keep = np.ones((len(again), p.shape[1]), dtype=bool)
        keep[np.arange(len(again)), np.argmax(side[~beside_ok], axis=1)] = False
        width = p.shape[1] - 1
        rows, p, d = rows[again], p[again][keep].reshape(-1, width, 2), d[again][keep].reshape(-1, width, 2)
    settled[rows] = True  # fewer than two lines left: the mean
    return settled, point


def crossing_along(pipes: np.ndarray, xy: np.ndarray, heading: np.ndarray, reach: float,
                   along: np.ndarray) -> np.ndarray:
    """Distance along each pipe where the walk ending at *xy* (out along *heading*) crosses it.

    A walk that stops short of the pipe it tees into, or runs past it, meets it where its
    line crosses, not at the foot of its end; *along* (the foot) is kept where the line
    does not cross within *reach* of the end or runs near parallel to the pipe.
    """
    import shapely

    from .lines import crossings

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
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, along[k]))
    tangent = shapely.get_coordinates(shapely.line_interpolate_point(lines, along[k] + 1.0)) - foot
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

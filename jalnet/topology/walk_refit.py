"""A walk's line fitted again with its ends on their nodes, rather than bent over to them at the last vertex.

The import fits a walk as straight runs between its bends, every vertex free, the ends
included (see :mod:`jalnet.tracks.fit`). Where the snap puts an end on an existing node or
pipe, that end is known far better than the fixes placed it: moving only the end vertex
(or adding a jog to the node) leaves the runs near it where the GPS drift put them. Here
the line is fitted again with such ends pinned: the fit's own line stands in for its fixes
(samples every ``STEP_M`` along each run, so each metre weighs the same), and the free
vertices settle where they best follow it with the ends where they must be. An end that
stopped short of its node gets its last run stretched along the walk; one sideways off its
node turns the runs near it, less and less farther in. All lines are solved at once, in
one banded system (the cost grows with the length walked).
"""

from __future__ import annotations

import numpy as np
import shapely

from ..tracks.fit import least_squares

#: Spacing (m) of the samples of a run that stand in for its fixes.
STEP_M = 2.0
#: Fit passes (each fix's place along its run is taken from the previous one).
PASSES = 3


def refit_to_ends(lines: np.ndarray, start_xy: np.ndarray, end_xy: np.ndarray) -> np.ndarray:
    """*lines* with their first/last vertex pinned at *start_xy*/*end_xy* (NaN: that end is fitted too).

    Consecutive duplicate vertices are dropped first (a run must have a direction).
    """
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    n = len(lines)
    if not n or not len(coords):
        return lines
    step = np.r_[True, (idx[1:] != idx[:-1]) | (np.hypot(*np.diff(coords, axis=0).T) > 1e-9)]
    coords, idx = coords[step], idx[step]
    first = np.searchsorted(idx, np.arange(n))
    last = np.searchsorted(idx, np.arange(n), side="right") - 1
    if np.any(last <= first):  # a line reduced to one point: nothing to fit
        return lines
    # runs: vertex j to j + 1 within one line
    seg = np.flatnonzero(idx[:-1] == idx[1:])
    length = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    count = np.maximum(2, np.ceil(length / STEP_M)).astype(np.int64)
    run = np.repeat(seg, count)
    offset = np.arange(len(run)) - np.repeat(np.cumsum(count) - count, count)
    u = (offset + 0.5) / np.repeat(count, count)
    x = coords[run, 0] + u * (coords[run + 1, 0] - coords[run, 0])
    y = coords[run, 1] + u * (coords[run + 1, 1] - coords[run, 1])
    w = np.repeat(length / count, count)  # each metre of the line weighs the same
    verts = coords.copy()
    pinned = np.zeros(len(verts), dtype=bool)
    for target, vertex in ((np.asarray(start_xy, dtype=float), first), (np.asarray(end_xy, dtype=float), last)):
        given = ~np.isnan(target).any(axis=1)
        verts[vertex[given]] = target[given]
        pinned[vertex[given]] = True
    for _ in range(PASSES):
        verts = least_squares(x, y, run, verts, w, pinned)
    return shapely.linestrings(verts, indices=idx)

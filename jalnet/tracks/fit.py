"""A walk as straight runs between its bends, fitted to the fixes: GPS wander out, real bends kept.

A phone's fix drifts slowly (tens of seconds), so a walk wanders a few metres off its
trench for tens of metres at a time; local smoothing cannot remove that, and simplifying
the smoothed line keeps the farthest fixes of the wander as vertices. Here the bends are
found on the smoothed line (a simplification within a couple of GPS errors: a bend must
move the line more than the drift does), then every vertex is placed by least squares
on all the fixes between its neighbours (each fix pulls the two vertices of the run it
lies on, in proportion to where along the run it is). The result is the continuous
polyline with those bends nearest the fixes; one reweighting pass stops a stray fix
from pulling a run.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.linalg import solve_banded

#: Bends are kept where they move the line more than this many GPS errors.
BEND_ERRORS = 1.5
#: Fixes farther than this many GPS errors from the first fit count less in the second (Huber weights).
HUBER_ERRORS = 2.0


def fit_runs(x: np.ndarray, y: np.ndarray, shape: np.ndarray, error: float) -> np.ndarray:
    """Vertices of *shape* ((k, 2), the smoothed line) simplified to its bends and fitted to the fixes (x, y).

    *error*: the walk's GPS error (m); the bends kept move the line more than ``BEND_ERRORS``
    of it. The first and last vertex are fitted too (the ends of a walk are as noisy as
    the rest); the snap moves them onto their nodes afterwards.
    """
    line = shapely.simplify(shapely.linestrings(shape), BEND_ERRORS * error, preserve_topology=False)
    verts = shapely.get_coordinates(line)
    if len(verts) < 2 or len(x) < 2 * len(verts):
        return verts
    weights = np.ones(len(x))
    for _ in range(2):
        verts = _least_squares(x, y, shape, verts, weights)
        d = shapely.distance(shapely.points(np.column_stack([x, y])), shapely.linestrings(verts))
        cut = HUBER_ERRORS * error
        weights = np.where(d > cut, cut / np.maximum(d, 1e-9), 1.0)
    return verts


def _least_squares(x: np.ndarray, y: np.ndarray, shape: np.ndarray, verts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Vertices minimising the weighted squared distance, along their run, of each fix to the polyline.

    Each fix is tied to the point of the current polyline its smoothed place projects to
    (run k, share u of the way; never back along the line: the walker went forward); the
    normal equations are tridiagonal in the vertices, summed over the fixes without an
    n-by-k matrix (a walk may have a million fixes). A vertex few fixes see is held near
    where it was.
    """
    line = shapely.linestrings(verts)
    at = np.maximum.accumulate(shapely.line_locate_point(line, shapely.points(shape)))
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(verts, axis=0).T))])
    k = np.clip(np.searchsorted(cum, at, side="right") - 1, 0, len(verts) - 2)
    span = np.maximum(cum[k + 1] - cum[k], 1e-9)
    u = np.clip((at - cum[k]) / span, 0.0, 1.0)
    a, b = (1 - u) * w, u * w
    m = len(verts)
    diag = np.bincount(k, a * (1 - u), m) + np.bincount(k + 1, b * u, m)
    off = np.bincount(k, a * u, m - 1)
    rhs = np.column_stack([np.bincount(k, a * x, m) + np.bincount(k + 1, b * x, m),
                           np.bincount(k, a * y, m) + np.bincount(k + 1, b * y, m)])
    hold = 1e-3 * max(float(diag.max()), 1.0)  # keeps a vertex no fix sees where it was
    bands = np.zeros((3, m))
    bands[0, 1:], bands[1], bands[2, :-1] = off, diag + hold, off
    return solve_banded((1, 1), bands, rhs + hold * verts)

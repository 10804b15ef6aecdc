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
    """Vertices of *shape* ((n, 2), the smoothed fixes) simplified to its bends and fitted to the fixes (x, y).

    *error*: the walk's GPS error (m); the bends kept move the line more than ``BEND_ERRORS``
    of it. The first and last vertex are fitted too (the ends of a walk are as noisy as
    the rest); the snap moves them onto their nodes afterwards. Each fix belongs to the run
    between the bends its smoothed place lies between (the walker went forward), so the
    cost grows with the fixes, not with fixes times bends.
    """
    line = shapely.simplify(shapely.linestrings(shape), BEND_ERRORS * error, preserve_topology=False)
    verts = shapely.get_coordinates(line)
    if len(verts) < 2 or len(x) < 2 * len(verts):
        return verts
    at = _vertex_index(shape, verts)
    if at is None:
        return verts
    run = np.clip(np.searchsorted(at, np.arange(len(x)), side="right") - 1, 0, len(verts) - 2)
    weights = np.ones(len(x))
    for _ in range(2):
        verts = _least_squares(x, y, run, verts, weights)
        d = _distance(x, y, verts[run], verts[run + 1])
        cut = HUBER_ERRORS * error
        weights = np.where(d > cut, cut / np.maximum(d, 1e-9), 1.0)
    return verts


def _vertex_index(shape: np.ndarray, verts: np.ndarray) -> np.ndarray | None:
    """Index in *shape* of each vertex its simplification kept (in order), or None if one is not found."""
    key = shape[:, 0] + 1j * shape[:, 1]
    want = verts[:, 0] + 1j * verts[:, 1]
    where = np.flatnonzero(np.isin(key, want))
    out = np.zeros(len(verts), dtype=np.int64)
    j = 0
    for i, v in enumerate(want):
        while j < len(where) and key[where[j]] != v:
            j += 1
        if j == len(where):
            return None
        out[i] = where[j]
    return out


def _share(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far along segment a-b (0 to 1) each fix projects."""
    d = b - a
    span = np.maximum(d[:, 0] ** 2 + d[:, 1] ** 2, 1e-12)
    return np.clip(((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / span, 0.0, 1.0)


def _distance(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    u = _share(x, y, a, b)
    return np.hypot(x - (a[:, 0] + u * (b[:, 0] - a[:, 0])), y - (a[:, 1] + u * (b[:, 1] - a[:, 1])))


def _least_squares(x: np.ndarray, y: np.ndarray, k: np.ndarray, verts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Vertices minimising the weighted squared distance, along their run, of each fix to the polyline.

    Fix i lies on run k[i], a share u of the way along it (its projection on the current
    run); the normal equations are tridiagonal in the vertices, summed over the fixes
    without an n-by-k matrix (a walk may have a million fixes).
    """
    u = _share(x, y, verts[k], verts[k + 1])
    a, b = (1 - u) * w, u * w
    m = len(verts)
    diag = np.bincount(k, a * (1 - u), m) + np.bincount(k + 1, b * u, m)
    off = np.bincount(k, a * u, m - 1)
    rhs = np.column_stack([np.bincount(k, a * x, m) + np.bincount(k + 1, b * x, m),
                           np.bincount(k, a * y, m) + np.bincount(k + 1, b * y, m)])
    return solve_chain(diag, off, rhs, verts)


def solve_chain(diag: np.ndarray, off: np.ndarray, rhs: np.ndarray, verts: np.ndarray,
                pinned: np.ndarray | None = None) -> np.ndarray:
    """The vertices of a polyline from its tridiagonal normal equations (diagonal, off-diagonal, (m, 2) sums).

    A vertex few fixes see is held near where it was (*verts*). *pinned* (a mask over the
    vertices) keeps those where they are and fits the others around them (an end placed on
    its node). Several polylines can be solved at once: a zero off-diagonal between the last
    vertex of one and the first of the next keeps them apart.
    """
    m = len(verts)
    hold = 1e-3 * max(float(diag.max()), 1.0)
    diag = diag + hold
    rhs = rhs + hold * verts
    if pinned is not None and pinned.any():
        fixed = np.flatnonzero(pinned)
        below, above = fixed[fixed > 0] - 1, fixed[fixed < m - 1]  # couplings (i - 1, i) and (i, i + 1)
        rhs[below] -= off[below, None] * verts[below + 1]  # a free neighbour gets the pinned vertex's pull
        rhs[above + 1] -= off[above, None] * verts[above]
        off = off.copy()
        off[below] = off[above] = 0.0
        diag[fixed], rhs[fixed] = 1.0, verts[fixed]
    bands = np.zeros((3, m))
    bands[0, 1:], bands[1], bands[2, :-1] = off, diag, off
    return solve_banded((1, 1), bands, rhs)

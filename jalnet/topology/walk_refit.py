"""A walk's line fitted again with its ends on their nodes, rather than bent over to them at the last vertex.

The import fits a walk as straight runs between its bends, every vertex free, the ends
included (see :mod:`jalnet.tracks.fit`). Where the snap puts an end on an existing node or
pipe, that end is known far better than the fixes placed it: moving only the end vertex
(or adding a jog to the node) leaves the runs near it where the GPS drift put them. Here
the line is fitted again with such ends pinned: the fit's own line stands in for its fixes
(spread evenly along each run, each metre weighing the same, so the sums of the least
squares are integrals over the runs, worked out exactly), and the free vertices settle
where they best follow it with the ends where they must be. An end that stopped short of
its node gets its last run stretched along the walk; one sideways off its node turns the
runs near it, less and less farther in. All lines are solved at once, in one banded
system: the cost grows with the vertices, not with the length walked.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..tracks.fit import solve_chain
from .lines import end_vertices


def refit_to_ends(lines: np.ndarray, start_xy: np.ndarray, end_xy: np.ndarray) -> np.ndarray:
    """*lines* with their first/last vertex pinned at *start_xy*/*end_xy* (NaN: that end is fitted too)."""
    fitted = refit_vertices(lines, start_xy, end_xy)
    return lines if fitted is None else shapely.linestrings(fitted[0], indices=fitted[1])


def refit_vertices(lines: np.ndarray, start_xy: np.ndarray, end_xy: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`refit_to_ends` as the refitted lines' vertices and the line of each (for more edits before the
    lines are made); None when there is nothing to fit."""
    coords, idx, first, last = end_vertices(lines)
    if not len(lines) or not len(coords):
        return None
    m = len(coords)
    coords = coords.copy()
    targets = [(np.asarray(start_xy, dtype=float), first, first + 1), (np.asarray(end_xy, dtype=float), last, last - 1)]
    for target, vertex, nxt in targets:  # an end short of or past its node: its run stretched or cut to it first
        _along(coords, target, vertex, nxt)
    # each run A-B, its points p(u) = A + u (B - A) weighing its length L: the integrals of
    # (1 - u)^2, u (1 - u), u^2 are 1/3, 1/6, 1/3, and of (1 - u) p, u p are A/3 + B/6, A/6 + B/3
    joined = idx[:-1] == idx[1:]
    length = np.where(joined, np.hypot(*np.diff(coords, axis=0).T), 0.0)
    diag = np.r_[length / 3, 0.0] + np.r_[0.0, length / 3]
    off = length / 6  # zero between two lines: they are solved apart
    a, b = coords[:-1], coords[1:]
    rhs = np.zeros((m, 2))
    rhs[:-1] += length[:, None] * (a / 3 + b / 6)
    rhs[1:] += length[:, None] * (a / 6 + b / 3)
    verts = coords.copy()
    pinned = np.zeros(m, dtype=bool)
    for target, vertex, _ in targets:
        given = ~np.isnan(target).any(axis=1)
        verts[vertex[given]] = target[given]
        pinned[vertex[given]] = True
    return solve_chain(diag, off, rhs, verts, pinned), idx


def _along(coords: np.ndarray, target: np.ndarray, vertex: np.ndarray, nxt: np.ndarray) -> None:
    """End vertices moved, in place, along their run to where their target is abreast of them.

    What is left of the move is sideways: the refit turns the runs for it. Without this, the
    evenly spread points of a run that is stretched would slide its far vertex (a bend) along.
    """
    given = ~np.isnan(target).any(axis=1) & (nxt >= 0) & (nxt < len(coords))
    i, j, p = vertex[given], nxt[given], target[given]
    d = coords[i] - coords[j]
    span = np.einsum("ij,ij->i", d, d)
    t = np.einsum("ij,ij->i", p - coords[j], d) / np.maximum(span, 1e-12)
    ok = (span > 1e-12) & (t > 0)  # the node ahead of the run's other vertex, not behind it
    coords[i[ok]] = coords[j[ok]] + t[ok, None] * d[ok]

"""Is a walked line the same pipe as another? Compared point by point, both ways, in bulk.

A walk is a duplicate of a pipe (or of a chain of pipes end to end) when the pipes it
passes are each covered by it almost whole, and it is itself almost whole within reach of
them, lying at a typical distance of GPS noise, not of a neighbouring street. A walk that
only partly runs along a pipe fails the first test (the pipe is covered) or the second
(the rest of the walk is far); a parallel pipe a street away fails the third.

Lines are sampled every few metres and distances taken from the samples to the other
lines with one vectorised GEOS call per batch: no buffers, no intersections.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Share of a line that must lie within reach of the other for the two to be one pipe.
SHARE = 0.8
#: Sample spacing along the lines (m).
STEP = 2.0


def samples(lines: np.ndarray, step: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Points every *step* metres along each line (its vertices included): (xy, index of the line)."""
    if not len(lines):
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    return shapely.get_coordinates(shapely.segmentize(lines, step), return_index=True)


def pair_share(lines: np.ndarray, targets: np.ndarray, src: np.ndarray, dst: np.ndarray, reach: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: share of ``lines[src]`` within *reach* of ``targets[dst]``, and its median distance."""
    share, median = np.zeros(len(src)), np.full(len(src), np.inf)
    if not len(src):
        return share, median
    used, local = np.unique(src, return_inverse=True)
    xy, owner = samples(lines[used])
    count = np.bincount(owner, minlength=len(used))
    first = np.r_[0, np.cumsum(count)[:-1]]
    per_pair = count[local]
    pair = np.repeat(np.arange(len(src)), per_pair)
    point = first[local][pair] + np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    d = shapely.distance(shapely.points(xy[point]), targets[dst][pair])
    share = np.bincount(pair, weights=d <= reach, minlength=len(src)) / np.maximum(per_pair, 1)
    order = np.lexsort((d, pair))
    mid = np.r_[0, np.cumsum(per_pair)[:-1]] + per_pair // 2
    median = d[order][np.minimum(mid, len(d) - 1)]
    return share, median


def chain_share(lines: np.ndarray, targets: np.ndarray, src: np.ndarray, dst: np.ndarray, reach: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per line (``src`` values, 0..len(lines)-1): share within *reach* of the nearest of its paired
    targets at each sample, and the median of those distances (inf for a line with no pair)."""
    share, median = np.zeros(len(lines)), np.full(len(lines), np.inf)
    if not len(src):
        return share, median
    xy, owner = samples(lines)
    count = np.bincount(owner, minlength=len(lines))
    first = np.r_[0, np.cumsum(count)[:-1]]
    per_pair = count[src]
    pair = np.repeat(np.arange(len(src)), per_pair)
    point = first[src][pair] + np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    d = shapely.distance(shapely.points(xy[point]), targets[dst][pair])
    best = np.full(len(xy), np.inf)
    np.minimum.at(best, point, d)
    has = np.zeros(len(lines), dtype=bool)
    has[src] = True
    seen = has[owner]
    share = np.bincount(owner[seen], weights=best[seen] <= reach, minlength=len(lines)) / np.maximum(count, 1)
    for k in np.flatnonzero(has):  # one median per walk with a pair: few, and numpy's partition is fast
        median[k] = float(np.median(best[first[k]:first[k] + count[k]]))
    return share, median

"""Is a walked line the same pipe as another? Compared point by point, both ways, in bulk.

A walk is a duplicate of a pipe (or of a chain of pipes end to end) when the pipes it
passes are each covered by it almost whole, it is itself almost whole within reach of
them with no stretch out of reach longer than an overshoot, and it lies at a typical
distance of GPS noise, not of a neighbouring street. A walk that only partly runs along a
pipe has a stretch of its own far from it (compared part by part, not by the share of
length alone); a parallel pipe a street away is too far typically.

Lines are sampled every few metres and distances taken from the samples to the other
lines with one vectorised GEOS call per batch: no buffers, no intersections.
"""

from __future__ import annotations

import numpy as np
import shapely

from .lines import point_distances

#: Share of a line that must lie within reach of the other for the two to be one pipe.
SHARE = 0.8
#: Sample spacing along the lines (m).
STEP = 2.0


def samples(lines: np.ndarray, step: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """Points every *step* metres along each line (its vertices included): (xy, index of the line)."""
    if not len(lines):
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    return shapely.get_coordinates(shapely.segmentize(lines, step), return_index=True)


def _pair_distances(lines: np.ndarray, targets: np.ndarray, local: np.ndarray, dst: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Samples of each line, and for pair *i* (``lines[local[i]]`` against ``targets[dst[i]]``) the distance
    of each of its line's samples: (samples per line, first sample of each line, owner of each sample,
    pair and sample of each distance, distance)."""
    xy, owner = samples(lines)
    count = np.bincount(owner, minlength=len(lines))
    first = np.r_[0, np.cumsum(count)[:-1]]
    per_pair = count[local]
    pair = np.repeat(np.arange(len(local)), per_pair)
    point = first[local][pair] + np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    return count, first, owner, pair, point, point_distances(xy[point], targets, dst[pair])


def _longest_run(far: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Per group (0..n-1): the longest stretch (m) of consecutive samples out of reach."""
    out = np.zeros(n)
    if not far.any():
        return out
    start = np.r_[True, (far[1:] != far[:-1]) | (group[1:] != group[:-1])]
    run = np.cumsum(start) - 1
    np.maximum.at(out, group[start], np.bincount(run, weights=far))
    return out * STEP


def pair_share(lines: np.ndarray, targets: np.ndarray, src: np.ndarray, dst: np.ndarray, reach: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: share of ``lines[src]`` within *reach* of ``targets[dst]``, its median distance, and
    the longest stretch of it out of reach (m)."""
    share, median = np.zeros(len(src)), np.full(len(src), np.inf)
    if not len(src):
        return share, median, np.zeros(0)
    used, local = np.unique(src, return_inverse=True)
    count, _, _, pair, _, d = _pair_distances(lines[used], targets, local, dst)
    per_pair = count[local]
    share = np.bincount(pair, weights=d <= reach, minlength=len(src)) / np.maximum(per_pair, 1)
    order = np.lexsort((d, pair))
    mid = np.r_[0, np.cumsum(per_pair)[:-1]] + per_pair // 2
    median = d[order][np.minimum(mid, len(d) - 1)]
    return share, median, _longest_run(d > reach, pair, len(src))


def chain_share(lines: np.ndarray, targets: np.ndarray, src: np.ndarray, dst: np.ndarray, reach: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line (``src`` values, 0..len(lines)-1): share within *reach* of the nearest of its paired
    targets at each sample, the median of those distances, and the longest stretch of it out of reach
    of them all (m); 0, inf and inf for a line with no pair. Only the paired lines are sampled (a
    batch of walks has a few repeats among many)."""
    share, median, apart = np.zeros(len(lines)), np.full(len(lines), np.inf), np.full(len(lines), np.inf)
    if not len(src):
        return share, median, apart
    used, local = np.unique(src, return_inverse=True)
    share[used], median[used], apart[used] = _chain_share(lines[used], targets, local, dst, reach)
    return share, median, apart


def _chain_share(lines: np.ndarray, targets: np.ndarray, src: np.ndarray, dst: np.ndarray, reach: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`chain_share` for lines that all have a pair."""
    share, median = np.zeros(len(lines)), np.full(len(lines), np.inf)
    count, first, owner, _, point, d = _pair_distances(lines, targets, src, dst)
    best = np.full(len(owner), np.inf)
    np.minimum.at(best, point, d)
    has = np.zeros(len(lines), dtype=bool)
    has[src] = True
    seen = has[owner]
    share = np.bincount(owner[seen], weights=best[seen] <= reach, minlength=len(lines)) / np.maximum(count, 1)
    walks = np.flatnonzero(has & (count > 0))  # the median of each walk's distances, all at once
    if len(walks):
        mine = np.flatnonzero(has[owner])
        ranked = mine[np.lexsort((best[mine], owner[mine]))]  # by walk, then distance
        start = np.searchsorted(owner[ranked], walks)
        low, high = ranked[start + (count[walks] - 1) // 2], ranked[start + count[walks] // 2]
        median[walks] = (best[low] + best[high]) / 2
    return share, median, _longest_run(best > reach, owner, len(lines))

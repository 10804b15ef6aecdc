"""Point keys by grid cell, for finding the points near one: a snap's book of nodes asks a few hundred
times among tens of thousands of points.

Keys added one by one go into a dict of lists; many added at once go into arrays sorted by cell
(no Python object per point: the dict would cost more to fill than all the look-ups save). A cell's
keys come back in the order they were added, from either.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

import numpy as np
import shapely

from .spatial import point_gaps

#: Cells are coded ``cx * _SHIFT + cy`` in the arrays; cells farther out than _LIMIT go to the dict.
_SHIFT = 2**32
_LIMIT = 2**30


class CellGrid:
    """Integer keys of points by the square cell (side *size*) each point falls in."""

    def __init__(self, size: float) -> None:
        self.size = size
        self._dict: dict[tuple[int, int], list[int]] = {}
        self._codes: list[int] = []  # sorted by code, then key (lists: a look-up is a bisection, no numpy call)
        self._keys: list[int] = []

    def cell(self, xy: tuple[float, float]) -> tuple[int, int]:
        return int(math.floor(xy[0] / self.size)), int(math.floor(xy[1] / self.size))

    def add(self, key: int, xy: tuple[float, float]) -> None:
        self._dict.setdefault(self.cell(xy), []).append(key)

    def add_many(self, first_key: int, xy: np.ndarray) -> None:
        """Keys first_key, first_key + 1, ... at the points *xy* ((n, 2)), cells found as :meth:`cell` finds them."""
        cells = np.floor(np.asarray(xy, dtype=float).reshape(-1, 2) / self.size).astype(np.int64)
        keys = np.arange(first_key, first_key + len(cells), dtype=np.int64)
        if len(cells) and np.abs(cells).max() >= _LIMIT:  # out of the code's range: the dict takes them
            for key, (cx, cy) in zip(keys.tolist(), cells.tolist()):
                self._dict.setdefault((cx, cy), []).append(key)
            return
        codes = np.concatenate([np.array(self._codes, dtype=np.int64), cells[:, 0] * _SHIFT + cells[:, 1]])
        keys = np.concatenate([np.array(self._keys, dtype=np.int64), keys])
        order = np.lexsort((keys, codes))
        self._codes, self._keys = codes[order].tolist(), keys[order].tolist()

    def keys(self, cell: tuple[int, int]) -> list[int] | tuple[int, ...]:
        """The keys in *cell*, in the order they were added."""
        found = self._dict.get(cell, ())
        if not len(self._codes) or abs(cell[0]) >= _LIMIT or abs(cell[1]) >= _LIMIT:
            return found
        code = cell[0] * _SHIFT + cell[1]
        lo = bisect_left(self._codes, code)
        if lo == len(self._codes) or self._codes[lo] != code:
            return found
        many = self._keys[lo : bisect_right(self._codes, code, lo)]
        return sorted([*found, *many]) if found else many


def nearest_within(xy: np.ndarray, targets: np.ndarray, within: float
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """For each point of *xy*, the nearest of *targets* ((n, 2) each) at most *within* away, as an index's
    nearest-neighbour query finds it (distances as GEOS measures two points), -1 for none; and whether
    the answer is unsure: another target as near, or exactly *within* away (for the index to decide,
    since which of equals it gives is its own). None when the points lie too far out for the cells.

    The targets are sorted by cell once; each point looks in the nine cells around its own.
    """
    xy, targets = np.asarray(xy, dtype=float).reshape(-1, 2), np.asarray(targets, dtype=float).reshape(-1, 2)
    near = np.full(len(xy), -1, dtype=np.int64)
    unsure = np.zeros(len(xy), dtype=bool)
    if not len(xy) or not len(targets):
        return near, unsure
    size = 2 * max(within, 1e-9)  # cells wider than the reach: a target in reach is in a cell next to the point's
    cells, around = np.floor(targets / size), np.floor(xy / size)
    if not (np.isfinite(cells).all() and np.isfinite(around).all()) or \
            max(np.abs(cells).max(), np.abs(around).max()) >= _LIMIT - 2:
        return None
    cells, around = cells.astype(np.int64), around.astype(np.int64)
    order = np.argsort(cells[:, 0] * _SHIFT + cells[:, 1], kind="stable")
    codes = (cells[:, 0] * _SHIFT + cells[:, 1])[order]
    # the points in cell order (sorted needles search faster); a column of three cells next to each other
    # is one run of the sorted codes
    mine = around[:, 0] * _SHIFT + around[:, 1]
    by_cell = np.argsort(mine, kind="stable")
    mine = mine[by_cell]
    src, dst = [], []
    for dx in (-1, 0, 1):
        lo = np.searchsorted(codes, mine + dx * _SHIFT - 1)
        count = np.searchsorted(codes, mine + dx * _SHIFT + 1, side="right") - lo
        src.append(np.repeat(by_cell, count))
        dst.append(order[np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)])
    src, dst = np.concatenate(src), np.concatenate(dst)
    d = point_gaps(xy[src], targets[dst])
    keep = d <= within
    src, dst, d = src[keep], dst[keep], d[keep]
    if not len(src):
        return near, unsure
    best = np.full(len(xy), np.inf)
    np.minimum.at(best, src, d)
    at_best = d == best[src]
    ties = np.bincount(src[at_best], minlength=len(xy))
    near[src[at_best]] = dst[at_best]
    unsure[(ties > 1) | (best == within)] = True
    return near, unsure


def nearest_index(xy: np.ndarray, targets: np.ndarray, within: float) -> np.ndarray:
    """Per point of *xy*, the nearest of the points *targets* at most *within* away (-1 for none), as
    ``STRtree(targets).query_nearest(points, max_distance=within, all_matches=False)`` gives it: by cells
    (:func:`nearest_within`), the index made and asked only for the points where that is unsure."""
    xy, targets = np.asarray(xy, dtype=float).reshape(-1, 2), np.asarray(targets, dtype=float).reshape(-1, 2)
    found = nearest_within(xy, targets, within)
    near = np.full(len(xy), -1, dtype=np.int64) if found is None else found[0]
    ask = np.arange(len(xy)) if found is None else np.flatnonzero(found[1])
    near[ask] = -1
    if len(ask) and len(targets):
        src, dst = shapely.STRtree(shapely.points(targets)).query_nearest(
            shapely.points(xy[ask]), max_distance=within, all_matches=False)
        near[ask[src]] = dst
    return near

"""The part of the registry a snap can touch: what lies within reach of the staged lines.

A batch of walks touches a few streets of a district registry. Planning on the pipes and
assets within reach of the staged lines (an end reaches at most 1.5 tolerances; every pipe
with an end at a node an end can reach lies within that of the line) makes the plan's cost
follow the batch, not the registry. Positions in the plan are mapped back to the whole frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from .network import NETWORK_LAYERS, POINT_LAYERS, NetworkData, located

#: Registries with fewer pipes are planned whole (cutting out costs more than it saves).
WHOLE_BELOW = 20_000
_NEAR_LAYERS = ("pipes", *POINT_LAYERS)
#: Cells along the longer side of the coarse grid, at most (the grid's cells are at least 4 reaches wide).
_CELLS = 2048


def near_staged(data: NetworkData, staged_lines: np.ndarray, reach: float
                ) -> tuple[NetworkData, dict[str, np.ndarray]] | None:
    """The layers cut to what lies within *reach* of the lines, and the rows kept; None: plan it whole."""
    if len(data.pipes) < WHOLE_BELOW:
        return None
    lines = np.asarray(staged_lines, dtype=object)
    lines = lines[located(lines)] if len(lines) else lines
    rows: dict[str, np.ndarray] = {}
    coarse = _Coverage(shapely.bounds(lines), reach) if len(lines) else None
    for name in _NEAR_LAYERS:
        frame = data[name]
        geoms = np.asarray(frame.geometry.values, dtype=object) if len(frame) else np.array([], dtype=object)
        present = coarse.touching(shapely.bounds(geoms)) if coarse is not None and len(geoms) else \
            np.zeros(0, dtype=np.int64)
        present = present[located(geoms[present])]
        if not len(present) or not len(lines):
            rows[name] = np.zeros(0, dtype=np.int64)
            continue
        _, hit = shapely.STRtree(geoms[present]).query(lines, predicate="dwithin", distance=reach)
        rows[name] = present[np.unique(hit)]
    taps = data["fhtc"]
    if len(taps):  # taps of a pipe that may be split follow their part
        ids = set(data.pipes["pipe_id"].iloc[rows["pipes"]].astype(str))
        on = np.flatnonzero(taps["pipe_id"].astype(str).isin(ids).to_numpy())
        rows["fhtc"] = np.union1d(rows["fhtc"], on)
    layers = {name: data[name].iloc[rows[name]].reset_index(drop=True) if name in rows else data[name]
              for name in NETWORK_LAYERS}
    return NetworkData(data.crs, layers), rows


class _Coverage:
    """Grid cells the staged lines' boxes (grown by the reach) cover, with a summed-area table, so
    whether a box meets any of them is four look-ups: millions of pipes sorted out in numpy before
    GEOS sees the few near the batch."""

    def __init__(self, bounds: np.ndarray, reach: float) -> None:
        box = bounds[np.isfinite(bounds).all(axis=1)] + np.array([-reach, -reach, reach, reach])
        self.origin = box[:, :2].min(axis=0) if len(box) else np.zeros(2)
        span = box[:, 2:].max(axis=0) - self.origin if len(box) else np.zeros(2)
        self.cell = max(4.0 * reach, float(span.max()) / _CELLS, 1e-6)
        self.shape = (np.floor(span / self.cell).astype(np.int64) + 1) if len(box) else np.zeros(2, dtype=np.int64)
        nx, ny = (int(v) for v in self.shape)
        lo, hi = self._cells(box)
        diff = np.zeros((nx + 1, ny + 1), dtype=np.int32)  # rectangles marked by their corners, then summed
        for dx, dy, sign in ((0, 0, 1), (1, 0, -1), (0, 1, -1), (1, 1, 1)):
            np.add.at(diff, (hi[:, 0] + 1 if dx else lo[:, 0], hi[:, 1] + 1 if dy else lo[:, 1]), sign)
        covered = (diff.cumsum(axis=0).cumsum(axis=1)[:nx, :ny] > 0).astype(np.int32)
        self.table = np.zeros((nx + 1, ny + 1), dtype=np.int32)
        self.table[1:, 1:] = covered.cumsum(axis=0).cumsum(axis=1)

    def _cells(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.floor((box[:, :2] - self.origin) / self.cell).astype(np.int64),
                np.floor((box[:, 2:] - self.origin) / self.cell).astype(np.int64))

    def touching(self, bounds: np.ndarray) -> np.ndarray:
        """Rows of *bounds* whose box meets a covered cell (a superset of those within reach)."""
        ok = np.flatnonzero(np.isfinite(bounds).all(axis=1))
        lo, hi = self._cells(bounds[ok])
        inside = (hi >= 0).all(axis=1) & (lo < self.shape).all(axis=1)
        ok, lo, hi = ok[inside], np.maximum(lo[inside], 0), np.minimum(hi[inside], self.shape - 1)
        t = self.table
        count = t[hi[:, 0] + 1, hi[:, 1] + 1] - t[lo[:, 0], hi[:, 1] + 1] - t[hi[:, 0] + 1, lo[:, 1]] + \
            t[lo[:, 0], lo[:, 1]]
        return ok[count > 0]


def to_whole(plan: Any, rows: dict[str, np.ndarray]) -> None:
    """Positions in *plan* (made on the cut layers) turned into positions in the whole layers."""
    pipes, junctions = rows["pipes"], rows["junctions"]
    plan.pipe_updates = {int(pipes[k]): v for k, v in plan.pipe_updates.items()}
    plan.junction_updates = {int(junctions[k]): v for k, v in plan.junction_updates.items()}
    plan.junction_deletes = [int(junctions[k]) for k in plan.junction_deletes]
    plan.asset_updates = {layer: {int(rows[layer][k]): v for k, v in updates.items()}
                          for layer, updates in plan.asset_updates.items()}
    for row in plan.new_pipes:
        if "_split_of" in row:
            row["_split_of"] = int(pipes[row["_split_of"]])

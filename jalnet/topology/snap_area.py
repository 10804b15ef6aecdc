"""The part of the registry a snap can touch: what lies within reach of the staged lines.

A batch of walks touches a few streets of a district registry. Planning on the pipes and
assets within reach of the staged lines (an end reaches at most 1.5 tolerances; every pipe
with an end at a node an end can reach lies within that of the line) makes the plan's cost
follow the batch, not the registry. Positions in the plan are mapped back to the whole frames.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .network import NETWORK_LAYERS, POINT_LAYERS, NetworkData, located
from .spatial import diagonals

#: Registries with fewer pipes are planned whole (cutting out costs more than it saves).
WHOLE_BELOW = 20_000
_NEAR_LAYERS = ("pipes", *POINT_LAYERS)


def near_staged(data: NetworkData, staged_lines: np.ndarray, reach: float
                ) -> tuple[NetworkData, dict[str, np.ndarray]] | None:
    """The layers cut to what lies within *reach* of the lines, and the rows kept; None: plan it whole."""
    if len(data.pipes) < WHOLE_BELOW:
        return None
    lines = np.asarray(staged_lines, dtype=object)
    lines = lines[located(lines)] if len(lines) else lines
    rows: dict[str, np.ndarray] = {}
    for name in _NEAR_LAYERS:
        frame = data[name]
        geoms = np.asarray(frame.geometry.values, dtype=object) if len(frame) else np.array([], dtype=object)
        present = np.flatnonzero(located(geoms)) if len(geoms) else np.zeros(0, dtype=np.int64)
        if not len(present) or not len(lines):
            rows[name] = np.zeros(0, dtype=np.int64)
            continue
        rows[name] = present[within_reach(geoms[present], lines, reach)]
    taps = data["fhtc"]
    if len(taps):  # taps of a pipe that may be split follow their part
        ids = set(data.pipes["pipe_id"].iloc[rows["pipes"]].astype(str))
        on = np.flatnonzero(taps["pipe_id"].astype(str).isin(ids).to_numpy())
        rows["fhtc"] = np.union1d(rows["fhtc"], on)
    layers = {name: data[name].iloc[rows[name]].reset_index(drop=True) if name in rows else data[name]
              for name in NETWORK_LAYERS}
    pipes = layers["pipes"]
    if len(pipes):  # see packed()
        pipes[pipes.geometry.name] = gpd.GeoSeries(packed(pipes.geometry.values), index=pipes.index, crs=pipes.crs)
    return NetworkData(data.crs, layers), rows


def packed(geoms: np.ndarray) -> np.ndarray:
    """The same geometries (to the last bit, through WKB) made again one after another in memory.

    The pipes kept are a few scattered among a million read at once; every GEOS pass over them
    (coordinates, lengths, index queries) then waits on memory, several times longer than over
    geometries lying together, as a copy made here does.
    """
    return shapely.from_wkb(shapely.to_wkb(np.asarray(geoms, dtype=object)))


def within_reach(geoms: np.ndarray, lines: np.ndarray, reach: float) -> np.ndarray:
    """Positions (sorted) of the *geoms* within *reach* of any of the *lines*.

    The index is built on the lines' boxes grown by the reach (a batch: small), not on the
    registry's geometries (a million pipes cost more to index than to look up once); the
    exact distance is then worked out only for the pairs whose boxes meet.
    """
    if len(geoms) <= len(lines):
        _, hit = shapely.STRtree(geoms).query(lines, predicate="dwithin", distance=reach)
        return np.unique(hit)
    box = shapely.bounds(lines) + np.array([-reach, -reach, reach, reach])
    near, line = shapely.STRtree(diagonals(box)).query(geoms)
    return np.unique(near[shapely.dwithin(geoms[near], lines[line], reach)])


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

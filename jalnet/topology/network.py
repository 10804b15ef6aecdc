"""The network as the rules and the snapper see it: registry layers plus derived nodes.

:class:`NetworkData` holds the registry layers involved (pipes, point assets, villages,
schemes) as frames with positional indexes and the registry ``fid`` kept as a column.
:class:`Nodes` derives the nodes from the pipe ends (ends closer than the node tolerance
are one node) and tells which point assets stand at which node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..registry.schema import LAYERS
from .cell_grid import nearest_index
from .spatial import cluster_points, single_points_xy

#: Point layers that can stand at a pipe end, in snapping priority (first wins).
POINT_LAYERS: tuple[str, ...] = ("tanks", "sources", "pumps", "treatment_units", "valves", "junctions", "fhtc")
#: Everything the validation reads.
NETWORK_LAYERS: tuple[str, ...] = ("schemes", "villages", "pipes") + POINT_LAYERS


def located(geoms: np.ndarray) -> np.ndarray:
    """True where a feature has a geometry that is not empty."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def end_coords(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) vertex of each line as xy arrays, without making point objects."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    first = np.searchsorted(index, np.arange(len(lines)))
    last = np.searchsorted(index, np.arange(len(lines)), side="right") - 1
    return coords[first], coords[last]


def empty_layer(name: str, crs: Any) -> pd.DataFrame:
    """A frame with the layer's columns and no rows (plus ``fid``), for layers a caller does not have."""
    lyr = LAYERS[name]
    frame = pd.DataFrame({"fid": pd.Series(dtype="int64"), **{f: pd.Series(dtype=object) for f in lyr.field_names}})
    if lyr.geometry is None:
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs))


@dataclass
class NetworkData:
    """Registry layers, each with a 0..n-1 index and the registry fid in column ``fid``."""

    crs: Any
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in NETWORK_LAYERS:
            frame = self.layers.get(name)
            if frame is None:
                self.layers[name] = empty_layer(name, self.crs)
            else:
                frame = positional(frame)
                missing = [f for f in LAYERS[name].field_names if f not in frame.columns]
                for f in missing:  # frames built by callers may leave out fields they do not have
                    frame[f] = None
                self.layers[name] = frame

    #: Keys of the whole layers ("P-": pipe_ids, "J-": junction node_ids) when the frames hold only an area of
    #: the registry, so new ids continue the registry's numbering; None: the frames are whole.
    id_pool: dict[str, pd.Series] | None = None

    @classmethod
    def from_registry(cls, registry: Any, scheme: str | None = None, schemes: list[str] | None = None,
                      bbox: tuple[float, float, float, float] | None = None) -> NetworkData:
        """The network layers of *registry*: all of them, one *scheme* or several *schemes*, or what overlaps *bbox*.

        Filters are answered by the registry's indexes (scheme_id, the spatial index), so a
        scheme or an area costs what it holds, not what the registry holds. Villages and
        schemes are read whole unless a scheme filter applies.
        """
        wanted = [scheme] if scheme is not None else (list(schemes) if schemes is not None else None)
        layers = {}
        for name in NETWORK_LAYERS:
            fields = LAYERS[name].field_names
            where = None
            if wanted is not None and name != "villages" and "scheme_id" in fields:
                where = {"scheme_id": wanted}
            area = bbox if bbox is not None and LAYERS[name].geometry and name not in ("villages", "schemes") else None
            layers[name] = registry.read(name, where=where, bbox=area)
        if wanted is not None:
            layers["villages"] = layers["villages"][layers["villages"]["scheme_id"].isin(wanted)]
        return cls(registry.crs, layers)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.layers[name]

    @property
    def pipes(self) -> gpd.GeoDataFrame:
        return self.layers["pipes"]

    @cached_property
    def usable(self) -> np.ndarray:
        """Pipes whose geometry is a non-empty, finite LineString with length: the ones with ends."""
        geoms = np.asarray(self.pipes.geometry.values, dtype=object)
        line = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
        ok = line & ~shapely.is_empty(geoms)
        ok[ok] &= np.isfinite(shapely.bounds(geoms[ok])).all(axis=1) & (shapely.length(geoms[ok]) > 0)
        return ok


def positional(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if "fid" not in frame.columns:
        frame.insert(0, "fid", frame.index.to_numpy() if frame.index.name == "fid" else np.arange(len(frame)))
    return frame.reset_index(drop=True)


@dataclass
class Nodes:
    """Nodes from pipe ends, and the point assets standing at them.

    ``start``/``end``: node of each usable pipe's first/last vertex (-1 for unusable pipes).
    ``at``: per point layer, the node each feature stands at (-1: at no pipe end).
    """

    xy: np.ndarray
    start: np.ndarray
    end: np.ndarray
    degree: np.ndarray
    at: dict[str, np.ndarray]

    @property
    def count(self) -> int:
        return len(self.xy)

    def has(self, layer: str, mask: np.ndarray | None = None) -> np.ndarray:
        """Boolean per node: a feature of *layer* (optionally only those in *mask*) stands here."""
        at = self.at[layer] if mask is None else self.at[layer][mask]
        out = np.zeros(self.count, dtype=bool)
        out[at[at >= 0]] = True
        return out


def network_nodes(data: NetworkData, node_tolerance: float, asset_tolerance: float) -> Nodes:
    """Cluster the pipe ends into nodes and place the point assets on them."""
    geoms = np.asarray(data.pipes.geometry.values, dtype=object)
    usable = data.usable
    ends = np.vstack(end_coords(geoms[usable]))
    labels, xy = cluster_points(ends, node_tolerance)
    k = int(usable.sum())
    start = np.full(len(geoms), -1, dtype=np.int64)
    end = np.full(len(geoms), -1, dtype=np.int64)
    start[usable], end[usable] = labels[:k], labels[k:]
    degree = np.bincount(labels, minlength=len(xy))
    at = {name: _nearest_node(data[name], xy, asset_tolerance) for name in POINT_LAYERS}
    return Nodes(xy, start, end, degree, at)


def _nearest_node(frame: pd.DataFrame, node_xy: np.ndarray, tol: float) -> np.ndarray:
    out = np.full(len(frame), -1, dtype=np.int64)
    if len(frame) == 0 or len(node_xy) == 0:
        return out
    pts = np.asarray(frame.geometry.values, dtype=object)
    ok = located(pts)
    plain = single_points_xy(pts[ok])
    if plain is not None:  # plain points: by cells
        out[ok] = nearest_index(plain, node_xy, tol)
        return out
    tree = shapely.STRtree(shapely.points(node_xy))
    src, node = tree.query_nearest(pts[ok], max_distance=tol, all_matches=False)
    out[np.flatnonzero(ok)[src]] = node
    return out


#: Assets at which a pipe may legitimately end (besides an end_cap junction).
DEAD_END_LAYERS = ("tanks", "sources", "pumps", "treatment_units", "valves", "fhtc")


def legit_dead_ends(nodes: Nodes, junctions: pd.DataFrame) -> np.ndarray:
    """Per node: a pipe may end here (an end cap, tap, valve, tank, source, pump or treatment unit stands there)."""
    ok = np.zeros(nodes.count, dtype=bool)
    for layer in DEAD_END_LAYERS:
        ok |= nodes.has(layer)
    if len(junctions):
        ok |= nodes.has("junctions", (junctions["node_type"] == "end_cap").to_numpy())
    return ok

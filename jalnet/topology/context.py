"""What the checks share during one validation: the data, parameters, derived topology, findings.

Derived structures (nodes, contacts between pipes, the pipe index) are computed once, on
first use, so a run of a single rule only pays for what that rule needs.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import shapely

from ..registry.schema import LAYERS
from .findings import FindingList
from .network import NetworkData, Nodes, located, network_nodes
from .spatial import Contacts, pipe_contacts


class Context:
    def __init__(self, data: NetworkData, params: dict[str, float], codes: list[str]) -> None:
        self.data = data
        self.p = params
        self.codes = set(codes)
        self.out = FindingList()

    def wants(self, code: str) -> bool:
        return code in self.codes

    # -- identifiers --------------------------------------------------------------------------
    def ids(self, layer: str) -> np.ndarray:
        """Business id of each feature, or 'fid N' where it is empty."""
        frame = self.data[layer]
        key = LAYERS[layer].key
        values = frame[key].astype(object).to_numpy() if key in frame.columns else np.full(len(frame), None)
        fids = frame["fid"].to_numpy()
        return np.array([v if isinstance(v, str) and v else f"fid {f}" for v, f in zip(values, fids)], dtype=object)

    @cached_property
    def pipe_ids(self) -> np.ndarray:
        return self.ids("pipes")

    def scheme_of(self, layer: str) -> np.ndarray:
        frame = self.data[layer]
        if "scheme_id" not in frame.columns:
            return np.full(len(frame), None, dtype=object)
        return frame["scheme_id"].astype(object).where(frame["scheme_id"].notna(), None).to_numpy()

    @cached_property
    def pipe_scheme(self) -> np.ndarray:
        return self.scheme_of("pipes")

    # -- pipes and topology --------------------------------------------------------------------
    @cached_property
    def geoms(self) -> np.ndarray:
        return np.asarray(self.data.pipes.geometry.values, dtype=object)

    @cached_property
    def usable_idx(self) -> np.ndarray:
        """Positions of the pipes that have two ends (valid, non-empty, single-part, with length)."""
        return np.flatnonzero(self.data.usable)

    @cached_property
    def lengths(self) -> np.ndarray:
        out = np.zeros(len(self.geoms))
        present = located(self.geoms)
        out[present] = shapely.length(self.geoms[present])
        return out

    @cached_property
    def nodes(self) -> Nodes:
        return network_nodes(self.data, self.p["node_tolerance_m"], self.p["asset_tolerance_m"])

    @cached_property
    def contacts(self) -> Contacts:
        """Crossings, tees and overlaps; indices are pipe positions in the data."""
        got = pipe_contacts(self.geoms[self.usable_idx], self.p["node_tolerance_m"])
        u = self.usable_idx
        got.cross_a, got.cross_b = u[got.cross_a], u[got.cross_b]
        got.tee_end, got.tee_other = u[got.tee_end], u[got.tee_other]
        got.overlap_a, got.overlap_b = u[got.overlap_a], u[got.overlap_b]
        return got

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the usable pipes (query results are positions in :attr:`usable_idx`)."""
        return shapely.STRtree(self.geoms[self.usable_idx])

    @cached_property
    def end_table(self) -> pd.DataFrame:
        """One row per end of a usable pipe: pipe position, which end, node, point."""
        u = self.usable_idx
        n = self.nodes
        return pd.DataFrame({
            "pipe": np.concatenate([u, u]),
            "where": np.array(["start"] * len(u) + ["end"] * len(u), dtype=object),
            "node": np.concatenate([n.start[u], n.end[u]]),
        })

    def node_points(self, nodes: np.ndarray) -> np.ndarray:
        return shapely.points(self.nodes.xy[nodes]) if len(nodes) else np.array([], dtype=object)

    @cached_property
    def supply_nodes(self) -> np.ndarray:
        """Nodes where a tank or source stands."""
        return np.flatnonzero(self.nodes.has("tanks") | self.nodes.has("sources"))

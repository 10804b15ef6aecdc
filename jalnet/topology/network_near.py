"""Reading only the part of a registry's network a snap can touch.

A snap of a few walks into a state registry plans on the pipes and assets within reach
of the staged lines (:mod:`.snap_area`). Reading just those rows (the spatial index
answers a few boxes around the lines, then an exact distance test) gives the planner the
same frames the cut of the whole network would, without fetching every pipe. New ids must
still continue the whole registry's numbering, so the id pools are summarised in SQL
(count and highest key per "prefix + digits" pattern), not read key by key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import snap_area
from .network import NETWORK_LAYERS, POINT_LAYERS, NetworkData

#: Entries of a summarised id pool (pattern counts scaled to this many).
_POOL_SIZE = 2_000


def network_near(registry: Any, lines: np.ndarray, reach: float) -> NetworkData:
    """The network within *reach* of *lines* (as snap_area cuts it), or whole for small registries."""
    if registry.count("pipes") < snap_area.WHOLE_BELOW:
        return NetworkData.from_registry(registry)
    lines = np.asarray(lines, dtype=object)
    layers: dict[str, pd.DataFrame] = {}
    for name in ("schemes", "villages"):
        layers[name] = registry.read(name)
    for name in ("pipes", *POINT_LAYERS):
        layers[name] = registry.read(name, near=lines, distance=reach)
    pipe_ids = layers["pipes"]["pipe_id"].dropna().astype(str).unique().tolist()
    if pipe_ids:  # taps of a pipe that may be split follow their part
        taps = registry.read("fhtc", where={"pipe_id": pipe_ids})
        extra = taps[~taps.index.isin(layers["fhtc"].index)]
        if len(extra):
            layers["fhtc"] = pd.concat([layers["fhtc"], extra]).sort_index()
    data = NetworkData(registry.crs, {n: layers[n] for n in NETWORK_LAYERS})
    data.id_pool = {"P-": id_pool(registry, "pipes", "pipe_id", layers["pipes"]["pipe_id"]),
                    "J-": id_pool(registry, "junctions", "node_id", layers["junctions"]["node_id"])}
    return data


def id_pool(registry: Any, layer: str, column: str, near: pd.Series) -> pd.Series:
    """Keys standing in for the whole column when numbering new ones: the *near* keys, plus, per
    "prefix + N digits" pattern, its highest key repeated in proportion to how common the pattern is."""
    backend = registry._b
    col = f'"{column}"'
    digits = "'0123456789'"
    rows = backend.execute(
        f"SELECT rtrim({col}, {digits}), length({col}) - length(rtrim({col}, {digits})), count(*), max({col}) "
        f"FROM {backend.table(layer)} WHERE {col} IS NOT NULL AND {col} <> '' GROUP BY 1, 2"
    ).fetchall()
    rows = [r for r in rows if int(r[1]) > 0]
    total = sum(int(r[2]) for r in rows) or 1
    keys: list[str] = []
    for _prefix, _width, count, top in rows:
        keys += [str(top)] * max(1, round(int(count) * _POOL_SIZE / total))
    return pd.Series(list(near.dropna().astype(str)) + keys, dtype=object)


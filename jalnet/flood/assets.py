"""The registry assets a flood assessment looks at, without personal data.

Impact layers go to disaster teams and dashboards, so the household head's name and phone
number (fields marked ``sensitive`` in the schema) never enter them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from ..errors import InputError
from ..registry import Registry
from ..registry.schema import LAYERS
from .tables import ASSET_TYPES

#: Registry fields carried into the impact layers, besides the key, scheme and subtype.
CARRIED: dict[str, tuple[str, ...]] = {
    "sources": ("name", "status"),
    "pumps": ("source_id", "status"),
    "treatment_units": ("name", "status"),
    "tanks": ("name", "capacity_kl", "status"),
    "valves": ("pipe_id", "status"),
    "fhtc": ("village_id", "persons", "pipe_id", "status"),
    "pipes": ("material", "diameter_mm", "status"),
}


@dataclass
class Assets:
    """Asset layers (GeoDataFrames in ``crs``, index = registry fid) and the schemes table."""

    crs: pyproj.CRS
    layers: dict[str, gpd.GeoDataFrame]
    schemes: pd.DataFrame = field(default_factory=pd.DataFrame)
    label: str = "in memory"

    def key(self, layer: str) -> str:
        return LAYERS[layer].key

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        boxes = [g.total_bounds for g in self.layers.values() if len(g) and g.geometry.notna().any()]
        if not boxes:
            raise InputError(f"registry {self.label} has no assets to assess (no sources, pumps, treatment units, "
                             "tanks, valves, tap connections or pipes)")
        arr = np.array(boxes, dtype=float)
        return (float(np.nanmin(arr[:, 0])), float(np.nanmin(arr[:, 1])), float(np.nanmax(arr[:, 2])),
                float(np.nanmax(arr[:, 3])))

    @property
    def centre(self) -> tuple[float, float]:
        b = self.bounds
        return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2

    def district_of(self) -> dict[str, str]:
        """scheme_id -> district, from the schemes table."""
        if self.schemes.empty or "district" not in self.schemes:
            return {}
        return {str(s): (str(d) if isinstance(d, str) and d else "") for s, d in
                zip(self.schemes["scheme_id"], self.schemes["district"])}


def columns_for(layer: str) -> list[str]:
    """Key, scheme, subtype and carried fields of *layer*, never a sensitive one."""
    lyr = LAYERS[layer]
    wanted = [lyr.key, "scheme_id"]
    if ASSET_TYPES[layer]:
        wanted.append(ASSET_TYPES[layer])
    wanted += [c for c in CARRIED[layer] if c not in wanted]
    return [c for c in wanted if not lyr.field(c).sensitive]


def assets_from_frames(frames: dict[str, gpd.GeoDataFrame], crs: str | int | pyproj.CRS,
                       schemes: pd.DataFrame | None = None, label: str = "in memory") -> Assets:
    """Assets from GeoDataFrames shaped like registry layers (missing layers are empty)."""
    crs = pyproj.CRS.from_user_input(crs)
    layers = {}
    for name in ASSET_TYPES:
        cols = columns_for(name)
        frame = frames.get(name)
        if frame is None:
            frame = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in cols}, geometry=gpd.GeoSeries([], crs=crs))
        else:
            if frame.crs is not None and not pyproj.CRS.from_user_input(frame.crs).equals(crs):
                frame = frame.to_crs(crs)
            for c in cols:
                if c not in frame.columns:
                    frame = frame.assign(**{c: None})
            frame = gpd.GeoDataFrame(frame[cols], geometry=frame.geometry.values, crs=crs)
        layers[name] = frame
    return Assets(crs, layers, schemes if schemes is not None else pd.DataFrame(), label)


def read_assets(reg: Registry) -> Assets:
    """The assessed layers of a registry."""
    frames = {name: reg.read(name) for name in ASSET_TYPES}
    return assets_from_frames(frames, reg.crs, reg.read("schemes"), reg.target)

"""One event's impact layers: depth, critical height, severity and out-of-service per asset."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..feedback import check_canceled
from .assets import Assets, columns_for
from .overlay import Hazard, Sampler, pipe_depths, pipe_step, point_depths
from .tables import (
    ASSET_TYPES,
    DRY,
    NO_DATA,
    POINT_TYPES,
    UNKNOWN_DEPTH,
    CriticalHeight,
    SeverityClass,
    classify,
    critical_heights_for,
)

#: Assets whose failure stops water reaching households (the network check removes them).
SUPPLY_TYPES = ("sources", "pumps", "treatment_units", "tanks")
#: Pipe functions taken out of service when flooded beyond the pipes' critical height.
MAINS = ("rising_main", "gravity_main")


def impact_layers(
    assets: Assets,
    hazard: Hazard,
    event: str,
    date: str | None,
    heights: dict[tuple[str, str], CriticalHeight],
    classes: tuple[SeverityClass, ...],
    feedback: Any = None,
    unknown_depth_out_of_service: bool = True,
) -> tuple[dict[str, gpd.GeoDataFrame], Sampler]:
    """Impact frames per asset type (same index as the registry layers) and the sampler used.

    With extent polygons only, an inundated source, pump, treatment unit or tank is taken
    as out of service (the worst case a disaster team plans for) unless
    *unknown_depth_out_of_service* is False.
    """
    sampler = Sampler(hazard, assets.crs, feedback)
    out: dict[str, gpd.GeoDataFrame] = {}
    for name in ASSET_TYPES:
        check_canceled(feedback)
        frame = assets.layers[name]
        base = pd.DataFrame(frame[columns_for(name)].copy())
        base.insert(0, "event", event)
        base.insert(1, "date", date)
        geoms = frame.geometry.to_numpy()
        subtype = frame[ASSET_TYPES[name]] if ASSET_TYPES[name] else pd.Series([None] * len(frame), index=frame.index)
        critical, component = critical_heights_for(name, subtype.reset_index(drop=True), heights)
        if name in POINT_TYPES:
            depth, inundated = point_depths(sampler, geoms)
            base["depth_m"] = depth
        else:
            stats = pipe_depths(sampler, geoms, pipe_step(hazard, assets.crs, assets.centre))
            for column in ("length_m", "sampled_length_m", "max_depth_m", "mean_depth_m", "flooded_length_m"):
                base[column] = stats[column].to_numpy()
            depth = stats["max_depth_m"].to_numpy()
            inundated = stats["inundated"].to_numpy() if hazard.extent is not None else None
        severity = classify(depth, critical, classes, hazard.wet_threshold, inundated)
        if hazard.raster is None:  # an extent map alone: outside its polygons is dry
            severity[severity == NO_DATA] = DRY
        above = ~np.isnan(depth) & (depth >= critical - 1e-9)
        if name in SUPPLY_TYPES and unknown_depth_out_of_service:
            above |= severity == UNKNOWN_DEPTH
        if name == "pipes":
            above &= frame["pipe_function"].isin(MAINS).to_numpy()
        base["critical_height_m"] = critical
        base["critical_component"] = component
        base["exceedance_m"] = np.round(depth - critical, 3)
        base["severity"] = severity
        base["out_of_service"] = above
        out[name] = gpd.GeoDataFrame(base, geometry=frame.geometry.values, crs=assets.crs, index=frame.index)
    return out, sampler


def hit(frame: pd.DataFrame) -> np.ndarray:
    """Assets the flood reached: wet at any depth, or inside the extent with the depth unknown."""
    return ~frame["severity"].isin(["dry", "no_data"]).to_numpy()

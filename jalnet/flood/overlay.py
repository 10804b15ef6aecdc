"""Depth at point assets and depth statistics along pipes, for one flood event.

Assets stay in the registry's CRS; only their sample coordinates are transformed into
the raster's (and the extent polygons') CRS. Pipes are densified in the registry's
metric CRS at half a raster cell (so no cell a pipe crosses is skipped), each piece is
sampled at its midpoint, and its length counts towards that cell's depth: the mean depth
is length-weighted and the flooded length is the length of pieces deeper than the wet
threshold. Lengths are exact in metres whatever the raster's CRS; the attribution of a
piece that straddles a cell edge is off by at most a quarter cell per crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import InputError
from .extent import FloodExtent
from .raster import DepthRaster

#: Sampling step along pipes when only extent polygons are given (metres).
EXTENT_STEP_M = 2.0
#: Decimals kept from raster values (0.1 mm).
DECIMALS = 4
#: Samples held in memory at once while walking pipes.
BATCH_SAMPLES = 2_000_000


@dataclass
class Hazard:
    """What is known about one event: a depth raster, extent polygons, or both."""

    raster: DepthRaster | None = None
    extent: FloodExtent | None = None
    wet_threshold: float = 0.0

    def describe(self) -> str:
        parts = []
        if self.raster is not None:
            parts.append(f"depth raster {self.raster.path}")
        if self.extent is not None:
            parts.append(f"extent {self.extent.path}")
        return " and ".join(parts)


def _transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer | None:
    return None if src.equals(dst) else pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _to(transformer: pyproj.Transformer | None, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if transformer is None:
        return x, y
    n = len(x)
    if n == 1:  # pyproj takes a 1-element array for a scalar (a numpy deprecation); give it two
        x, y = np.r_[x, x], np.r_[y, y]
    tx, ty = transformer.transform(x, y)
    return np.asarray(tx, dtype=float)[:n], np.asarray(ty, dtype=float)[:n]


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def check_overlap(hazard: Hazard, bounds: tuple[float, float, float, float], crs: pyproj.CRS, label: str) -> None:
    """Refuse inputs that cannot touch the assets, before any work is done."""
    for what, obj in (("depth raster", hazard.raster), ("flood extent", hazard.extent)):
        if obj is None:
            continue
        t = _transformer(crs, obj.crs)
        box = bounds if t is None else t.transform_bounds(*bounds, densify_pts=21)
        if not all(np.isfinite(box)) or not _overlaps(box, obj.bounds):
            raise InputError(
                f"{what} {obj.path} and registry {label} do not overlap: the assets lie in "
                f"{_fmt(box)} and the {what} covers {_fmt(obj.bounds)} ({obj.crs.name}); check that the "
                f"{what} is for this area and that its CRS is right"
            )


def _fmt(box: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4f}" if abs(v) < 1000 else f"{v:.0f}" for v in box) + ")"


class Sampler:
    """Depth (and inundation) at coordinates given in the registry's CRS."""

    def __init__(self, hazard: Hazard, crs: pyproj.CRS, feedback: Any = None) -> None:
        self.hazard = hazard
        self.feedback = feedback
        self.to_raster = _transformer(crs, hazard.raster.crs) if hazard.raster is not None else None
        self.to_extent = _transformer(crs, hazard.extent.crs) if hazard.extent is not None else None
        self.inside = 0  # samples that fell on the raster, nodata or not
        self.valid = 0  # samples that got a depth (not nodata, not off the raster)
        self.negative_min = 0.0

    def depth(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raster = self.hazard.raster
        if raster is None:
            return np.full(len(x), np.nan)
        rx, ry = _to(self.to_raster, x, y)
        rows, cols = raster.cells(rx, ry)
        self.inside += int(raster.inside(rows, cols).sum())
        # float32 rasters store 0.7 as 0.69999999; depths finer than 0.1 mm mean nothing
        values = np.round(raster.read_cells(rows, cols, self.feedback), DECIMALS)
        self.valid += int(np.isfinite(values).sum())
        negative = values < 0
        if negative.any():
            self.negative_min = min(self.negative_min, float(np.nanmin(values[negative])))
            values[negative] = 0.0  # below ground level: dry
        return values

    def inundated(self, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        extent = self.hazard.extent
        if extent is None:
            return None
        ex, ey = _to(self.to_extent, x, y)
        return extent.contains(ex, ey)


def point_depths(sampler: Sampler, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(depth m or NaN, inside-extent flags or None) at point geometries."""
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    x, y = np.where(bad, np.nan, x), np.where(bad, np.nan, y)
    depth = sampler.depth(x, y)
    inundated = sampler.inundated(x, y)
    if inundated is not None:
        inundated &= ~bad
    return depth, inundated


def _batches(geoms: np.ndarray, step: float, chunk_m: float) -> list[np.ndarray]:
    """Pipe indices in spatial order, cut into batches of about BATCH_SAMPLES samples."""
    n = len(geoms)
    if n == 0:
        return []
    start = shapely.get_point(geoms, 0)
    sx, sy = np.nan_to_num(shapely.get_x(start)), np.nan_to_num(shapely.get_y(start))
    order = np.lexsort((np.floor(sx / chunk_m), np.floor(sy / chunk_m)))
    samples = np.cumsum(shapely.length(geoms)[order] / step + 2)
    cut = np.searchsorted(samples, np.arange(BATCH_SAMPLES, samples[-1] + BATCH_SAMPLES, BATCH_SAMPLES))
    bounds = np.unique(np.r_[0, np.minimum(cut + 1, n), n])
    return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _group_max(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Max per group of *values* sorted by *group* (NaN ignored; NaN when a group has none)."""
    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    m = np.maximum.reduceat(np.where(np.isnan(values), -np.inf, values), starts)
    out[group[starts]] = np.where(np.isneginf(m), np.nan, m)
    return out


def pipe_depths(sampler: Sampler, geoms: np.ndarray, step: float, chunk_m: float = 5000.0) -> pd.DataFrame:
    """Per pipe: length, sampled length, max and length-weighted mean depth, flooded length, inundated.

    Pieces on nodata or off the raster count in neither the mean nor the flooded length;
    ``sampled_length_m`` says how much of the pipe the raster covered, and a pipe with none
    gets NULL statistics, never zeros.
    """
    n = len(geoms)
    wet_threshold = sampler.hazard.wet_threshold
    length = np.zeros(n)
    sampled = np.zeros(n)
    weighted = np.zeros(n)
    flooded = np.zeros(n)
    in_extent = np.zeros(n)
    maximum = np.full(n, np.nan)
    for batch in _batches(geoms, step, chunk_m):
        dense = shapely.segmentize(geoms[batch], step)
        parts, part_pipe = shapely.get_parts(dense, return_index=True)
        coords, part_of = shapely.get_coordinates(parts, return_index=True)
        same = part_of[1:] == part_of[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        seg_pipe = part_pipe[part_of[:-1][same]]  # position within the batch
        seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        mx, my = (a[:, 0] + b[:, 0]) / 2, (a[:, 1] + b[:, 1]) / 2
        depth = sampler.depth(mx, my)
        known = ~np.isnan(depth)
        k = len(batch)
        length[batch] = np.bincount(seg_pipe, seg_len, k)
        sampled[batch] = np.bincount(seg_pipe, np.where(known, seg_len, 0.0), k)
        weighted[batch] = np.bincount(seg_pipe, np.where(known, seg_len * np.nan_to_num(depth), 0.0), k)
        wet = known & (depth > wet_threshold)
        inside = sampler.inundated(mx, my)
        if inside is not None:
            in_extent[batch] = np.bincount(seg_pipe, np.where(inside, seg_len, 0.0), k)
            wet |= ~known & inside  # depth unknown but inside the extent: flooded
        flooded[batch] = np.bincount(seg_pipe, np.where(wet, seg_len, 0.0), k)
        maximum[batch] = _group_max(depth, seg_pipe, k)
    covered = sampled > 0
    if sampler.hazard.extent is not None:
        covered |= in_extent > 0
        if sampler.hazard.raster is None:
            covered |= length > 0  # an extent map says dry everywhere outside its polygons
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(sampled > 0, weighted / np.where(sampled > 0, sampled, 1.0), np.nan)
    return pd.DataFrame({
        "length_m": np.round(length, 3),
        "sampled_length_m": np.round(sampled, 3) if sampler.hazard.raster is not None else np.full(n, np.nan),
        "max_depth_m": maximum,
        "mean_depth_m": np.round(mean, DECIMALS),
        "flooded_length_m": np.where(covered, np.round(flooded, 3), np.nan),
        "inundated": in_extent > 0 if sampler.hazard.extent is not None else np.zeros(n, dtype=bool),
    })


def pipe_step(hazard: Hazard, crs: pyproj.CRS, centre: tuple[float, float]) -> float:
    """Sampling step along pipes: half a raster cell, or EXTENT_STEP_M for extents only."""
    if hazard.raster is None:
        return EXTENT_STEP_M
    return max(0.01, hazard.raster.pixel_size_m(centre, crs) / 2.0)

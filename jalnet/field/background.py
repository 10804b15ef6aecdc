"""The offline background of a field package: the scheme's DEM cut out, and its hillshade.

QField draws rasters offline, so a DEM cut to the scheme (plus a margin) and a hillshade
of it give the field worker terrain to walk by where there is no network for web maps.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyproj
import rasterio
from rasterio.windows import from_bounds

from ..errors import InputError

#: Margin around the scheme's extent (m).
MARGIN_M = 300.0


def write_background(dem: str | os.PathLike, folder: Path, crs: pyproj.CRS,
                     extent: tuple[float, float, float, float] | None) -> list[Path]:
    """``dem.tif`` (the DEM cut to the scheme) and ``hillshade.tif`` in *folder*; returns their paths."""
    try:
        src = rasterio.open(dem)
    except rasterio.errors.RasterioIOError as err:
        raise InputError(f"DEM {dem} cannot be read ({err}); give a GeoTIFF") from None
    with src:
        if extent is None:
            window = None
        else:
            to_dem = pyproj.Transformer.from_crs(crs, src.crs, always_xy=True)
            x0, y0, x1, y1 = to_dem.transform_bounds(extent[0] - MARGIN_M, extent[1] - MARGIN_M,
                                                     extent[2] + MARGIN_M, extent[3] + MARGIN_M)
            window = from_bounds(x0, y0, x1, y1, src.transform).round_offsets().round_lengths()
            window = window.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        data = src.read(1, window=window, masked=True).astype("float32")
        transform = src.window_transform(window) if window is not None else src.transform
        profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
                   "crs": src.crs, "transform": transform, "compress": "deflate"}
        res = _resolution_m(src, transform)
    dem_out = folder / "dem.tif"
    with rasterio.open(dem_out, "w", dtype="float32", nodata=-9999.0, **profile) as dst:
        dst.write(data.filled(-9999.0), 1)
    shade_out = folder / "hillshade.tif"
    with rasterio.open(shade_out, "w", dtype="uint8", nodata=0, **profile) as dst:
        dst.write(hillshade(data, *res), 1)
    return [dem_out, shade_out]


def _resolution_m(src: rasterio.DatasetReader, transform: rasterio.Affine) -> tuple[float, float]:
    """Pixel size in metres (degrees converted at the raster's latitude)."""
    dx, dy = abs(transform.a), abs(transform.e)
    if src.crs is not None and src.crs.is_geographic:
        lat = np.radians(transform.f)
        return dx * 111_320.0 * float(np.cos(lat)), dy * 110_540.0
    return dx, dy


def hillshade(z: np.ma.MaskedArray, dx: float, dy: float, azimuth: float = 315.0, altitude: float = 45.0) -> np.ndarray:
    """Lambertian hillshade (1..255, 0 where there is no data), light from the north-west."""
    filled = z.filled(np.nan) if np.ma.isMaskedArray(z) else np.asarray(z, dtype=float)
    gy, gx = np.gradient(filled, dy, dx)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)
    az, alt = np.radians(360.0 - azimuth + 90.0), np.radians(altitude)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    out = np.clip(1 + 254 * np.nan_to_num(shade, nan=0.0), 1, 255).astype("uint8")
    out[~np.isfinite(filled)] = 0
    return out

"""Ground elevation of nodes from a DEM: bilinear between cell centres, in any CRS.

Nodes without a surveyed elevation get one from the DEM (SRTM/CartoDEM, often in
EPSG:4326). A node the DEM does not cover, or whose neighbouring cells are nodata, gets
NaN, and the caller refuses to build: a pressure computed from a guessed elevation
would be a silent wrong answer.
"""

from __future__ import annotations

import os

import numpy as np
import pyproj

from ..errors import InputError


def transform_xy(transformer: pyproj.Transformer, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays (pyproj treats one-element arrays as scalars, with a warning)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 1:
        tx, ty = transformer.transform(float(x.ravel()[0]), float(y.ravel()[0]))
        return np.array([tx]), np.array([ty])
    tx, ty = transformer.transform(x, y)
    return np.asarray(tx), np.asarray(ty)


def sample_bilinear(dem_path: str | os.PathLike, x: np.ndarray, y: np.ndarray, crs: str | int | pyproj.CRS
                    ) -> np.ndarray:
    """Elevations at points (*x*, *y* in *crs*); NaN off the raster or next to nodata."""
    import rasterio
    from rasterio.windows import Window

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.full(len(x), np.nan)
    if len(x) == 0:
        return out
    path = str(dem_path)
    if not os.path.exists(path):
        raise InputError(f"DEM {path} does not exist")
    try:
        src = rasterio.open(path)
    except Exception as err:  # noqa: BLE001 - rasterio raises several error types
        raise InputError(f"cannot read DEM {path}: {str(err).splitlines()[0]}") from None
    with src:
        if src.crs is None:
            raise InputError(f"DEM {path} has no CRS; assign one (e.g. EPSG:4326 for SRTM) with gdal_edit.py -a_srs")
        if src.transform.b != 0 or src.transform.d != 0:
            raise InputError(f"DEM {path} is rotated; warp it to a north-up grid first (gdalwarp)")
        to_dem = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), src.crs, always_xy=True)
        dx, dy = transform_xy(to_dem, x, y)
        inv = ~src.transform
        col, row = inv * (np.asarray(dx), np.asarray(dy))
        h, w = src.height, src.width
        inside = (col >= 0) & (col <= w) & (row >= 0) & (row <= h) & np.isfinite(col) & np.isfinite(row)
        if not inside.any():
            return out
        # cell-centre coordinates; clamp to the edge cells within half a cell of the border
        cc = np.clip(col - 0.5, 0, w - 1)
        rr = np.clip(row - 0.5, 0, h - 1)
        c0 = np.floor(cc[inside]).astype(int)
        r0 = np.floor(rr[inside]).astype(int)
        c1 = np.minimum(c0 + 1, w - 1)
        r1 = np.minimum(r0 + 1, h - 1)
        fc = cc[inside] - c0
        fr = rr[inside] - r0
        win_c0, win_r0 = int(c0.min()), int(r0.min())
        win = Window(win_c0, win_r0, int(c1.max()) - win_c0 + 1, int(r1.max()) - win_r0 + 1)
        band = src.read(1, window=win, masked=True).astype(float)
        values = band.filled(np.nan)
        if src.nodata is not None and not np.isnan(src.nodata):
            values[band.data == src.nodata] = np.nan
        c0, c1, r0, r1 = c0 - win_c0, c1 - win_c0, r0 - win_r0, r1 - win_r0
        top = values[r0, c0] * (1 - fc) + values[r0, c1] * fc
        bottom = values[r1, c0] * (1 - fc) + values[r1, c1] * fc
        out[inside] = top * (1 - fr) + bottom * fr
    return out

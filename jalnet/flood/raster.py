"""Reading depths from a flood raster in its own CRS, a window at a time.

Why windows: a state-wide depth raster (20,000 x 20,000 cells is 1.6 GB as float32) does
not fit in memory next to a million assets, and warping it to the registry's CRS would
resample the depths. So asset coordinates are transformed into the raster's CRS, each
sample is mapped to its cell, samples are grouped by the chunk of blocks holding their
cells, and every chunk is read once (an LRU cache keeps recently read chunks for pipes
that cross chunk edges; GDAL's own block cache is held small while reading). Memory stays
at a few chunks whatever the raster size.

Sampling is nearest cell: the value of the cell that contains the point, as QGIS's
"Sample raster values" and the identify tool report it. Depth rasters are piecewise
constant model output, so interpolating between cells would invent depths at wet/dry
edges and next to nodata. A cell that is nodata, NaN or masked, and a point off the
raster, give NaN, never 0.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
from rasterio.windows import Window

from ..errors import InputError

#: Target cells per chunk read (4 MiB of float32); rounded to whole blocks.
CHUNK_CELLS = 1 << 20
#: Chunks kept in memory between reads.
CACHE_CHUNKS = 16
#: GDAL's own block cache while reading chunks (bytes). JalNet keeps decoded chunks itself;
#: GDAL's default (5 % of RAM) would add over a gigabyte of tiles read once and never again.
GDAL_CACHE_BYTES = 64 * 2**20


@dataclass
class DepthRaster:
    """An open depth raster band; use as a context manager."""

    path: str
    band: int
    crs: pyproj.CRS
    width: int
    height: int
    coeffs: tuple[float, float, float, float, float, float]  # a, b, c, d, e, f (GDAL order as in affine)
    nodata: float | None
    chunk: tuple[int, int]  # rows, cols per chunk
    tags: dict[str, str]
    _ds: Any = None

    def __enter__(self) -> DepthRaster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._ds is not None:
            self._ds.close()
            self._ds = None
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the raster in its CRS."""
        a, b, c, d, e, f = self.coeffs
        xs = [c, c + a * self.width, c + b * self.height, c + a * self.width + b * self.height]
        ys = [f, f + d * self.width, f + e * self.height, f + d * self.width + e * self.height]
        return min(xs), min(ys), max(xs), max(ys)

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the cells containing points given in the raster's CRS (may be off the raster).

        The inverse of the geotransform is computed here rather than with ``~Affine``, which
        some affine releases cannot do on Python 3.11.
        """
        a, b, c, d, e, f = self.coeffs
        det = a * e - b * d
        dx, dy = np.asarray(x, dtype=float) - c, np.asarray(y, dtype=float) - f
        col = (e * dx - b * dy) / det
        row = (-d * dx + a * dy) / det
        with np.errstate(invalid="ignore"):
            return np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)

    def inside(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return (rows >= 0) & (rows < self.height) & (cols >= 0) & (cols < self.width)

    def pixel_size_m(self, at_xy: tuple[float, float], crs: pyproj.CRS) -> float:
        """Smaller side of one cell in metres, measured in the (metric) *crs* near *at_xy*."""
        to_raster = pyproj.Transformer.from_crs(crs, self.crs, always_xy=True)
        back = pyproj.Transformer.from_crs(self.crs, crs, always_xy=True)
        x, y = to_raster.transform(*at_xy)
        a, b, _, d, e, _ = self.coeffs
        px, py = back.transform([x, x + a, x + b], [y, y + d, y + e])
        sides = [math.hypot(px[1] - px[0], py[1] - py[0]), math.hypot(px[2] - px[0], py[2] - py[0])]
        sides = [s for s in sides if math.isfinite(s) and s > 0]
        if not sides:
            raise InputError(f"raster {self.path}: cannot measure its cell size at the assets; check its CRS")
        return min(sides)

    # -- reading --------------------------------------------------------------------------
    def _read_chunk(self, key: tuple[int, int]) -> np.ndarray:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        ch, cw = self.chunk
        r0, c0 = key[0] * ch, key[1] * cw
        window = Window(c0, r0, min(cw, self.width - c0), min(ch, self.height - r0))
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            data = self._ds.read(self.band, window=window, masked=True)
        values = np.ma.filled(data.astype("float64"), np.nan)
        if self.nodata is not None and self.nodata != self._ds.nodatavals[self.band - 1]:
            values[data.data == self.nodata] = np.nan  # the nodata value the user gave, not the file's
        scale = self._ds.scales[self.band - 1] if self._ds.scales else 1.0
        offset = self._ds.offsets[self.band - 1] if self._ds.offsets else 0.0
        if scale not in (None, 1.0) or offset not in (None, 0.0):
            values = values * (scale or 1.0) + (offset or 0.0)
        self._cache[key] = values
        if len(self._cache) > CACHE_CHUNKS:
            self._cache.popitem(last=False)
        return values

    def read_cells(self, rows: np.ndarray, cols: np.ndarray, feedback: Any = None) -> np.ndarray:
        """Values at (row, col); NaN off the raster and on nodata. Each chunk is read once."""
        out = np.full(len(rows), np.nan)
        ok = np.flatnonzero(self.inside(rows, cols))
        if len(ok) == 0:
            return out
        ch, cw = self.chunk
        n_chunk_cols = (self.width + cw - 1) // cw
        keys = (rows[ok] // ch) * n_chunk_cols + cols[ok] // cw
        order = np.argsort(keys, kind="stable")
        ok, keys = ok[order], keys[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        for n, (s, e) in enumerate(zip(starts, ends)):
            if feedback is not None and n % 64 == 0 and feedback.is_canceled():
                from ..feedback import check_canceled

                check_canceled(feedback)
            key = (int(keys[s] // n_chunk_cols), int(keys[s] % n_chunk_cols))
            values = self._read_chunk(key)
            idx = ok[s:e]
            out[idx] = values[rows[idx] - key[0] * ch, cols[idx] - key[1] * cw]
        return out

    def sample(self, x: np.ndarray, y: np.ndarray, feedback: Any = None) -> np.ndarray:
        """Depth at points given in the raster's CRS."""
        rows, cols = self.cells(x, y)
        return self.read_cells(rows, cols, feedback)


def _chunk_shape(block: tuple[int, int], height: int, width: int) -> tuple[int, int]:
    """Whole blocks, about CHUNK_CELLS cells, never larger than the raster."""
    bh, bw = max(1, block[0]), max(1, block[1])
    per_side = max(1, int(math.sqrt(CHUNK_CELLS / (bh * bw))))
    if bw >= width:  # strips: take as many strips as fit
        return min(height, max(bh, (CHUNK_CELLS // max(1, width)) // bh * bh)), width
    return min(height, bh * per_side), min(width, bw * per_side)


def open_depth_raster(path: str | Path, band: int = 1, nodata: float | None = None, no_nodata: bool = False) -> DepthRaster:
    """Open and check a depth raster: it must exist, be a raster, have a CRS, a geotransform and a known nodata.

    A raster that declares no nodata value is refused unless the caller says what nodata
    is (*nodata*, which also overrides a declared value) or confirms there is none
    (*no_nodata*): guessing would read a missing-data value such as -9999 as "dry".
    """
    path = str(path)
    if not Path(path).exists() and "://" not in path and not path.startswith("/vsi"):
        raise InputError(f"depth raster {path} does not exist")
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        raise InputError(f"cannot read {path} as a raster: {str(err).splitlines()[0]}") from None
    try:
        if ds.crs is None or not ds.crs.to_wkt():
            raise InputError(
                f"depth raster {path} has no coordinate reference system; assign the one it was made in "
                f"(e.g. gdal_edit.py -a_srs EPSG:32646 {Path(path).name}) and run again"
            )
        t = ds.transform
        if (t.a, t.b, t.c, t.d, t.e, t.f) == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0) or (t.a * t.e - t.b * t.d) == 0:
            raise InputError(f"depth raster {path} has no georeferencing (no geotransform); georeference it first")
        if not 1 <= band <= ds.count:
            raise InputError(f"depth raster {path} has {ds.count} band(s); band {band} does not exist")
        if np.dtype(ds.dtypes[band - 1]).kind not in "fiu":
            raise InputError(f"depth raster {path} band {band} holds {ds.dtypes[band - 1]}, not numbers")
        missing = ds.nodatavals[band - 1] if nodata is None else float(nodata)
        if missing is None and not no_nodata:
            raise InputError(
                f"depth raster {path} declares no nodata value, so missing cells cannot be told from dry ones; say "
                "which value marks missing data (--nodata VALUE, e.g. --nodata -9999) or confirm that every cell is a "
                "depth (--no-nodata)"
            )
        crs = pyproj.CRS.from_wkt(ds.crs.to_wkt())
        block = ds.block_shapes[band - 1] if ds.block_shapes else (256, 256)
        tags = {**ds.tags(), **ds.tags(band)}
    except BaseException:
        ds.close()
        raise
    raster = DepthRaster(path, band, crs, ds.width, ds.height, (t.a, t.b, t.c, t.d, t.e, t.f), missing,
                         _chunk_shape(block, ds.height, ds.width), tags)
    raster._ds = ds
    raster._cache = OrderedDict()
    return raster

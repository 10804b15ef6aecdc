"""GeoPackage geometry blobs (spec 2.1.3) and the SQL functions its R-tree triggers call.

The registry writes GeoPackages with Python's sqlite3, not GDAL, so that every tool's
write is one SQLite transaction with its change log. The spec's R-tree triggers call
``ST_IsEmpty``/``ST_MinX``..., which GDAL provides inside QGIS; :func:`register_functions`
provides them on our own connections so the spatial index stays right whoever writes.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence

import numpy as np
import shapely

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geoms: Sequence[shapely.Geometry | None] | np.ndarray, srs_id: int) -> list[bytes | None]:
    """Shapely geometries to GeoPackage blobs with an XY envelope (None stays NULL)."""
    arr = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    present = ~shapely.is_missing(arr)
    if not present.any():
        return out
    geoms_present = arr[present]
    wkbs = shapely.to_wkb(geoms_present, byte_order=1, output_dimension=2)
    bounds = shapely.bounds(geoms_present)
    empty = shapely.is_empty(geoms_present)
    empty_header = b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", srs_id)
    env_flags = b"GP\x00" + bytes([0b00000011]) + struct.pack("<i", srs_id)
    pack = struct.Struct("<4d").pack
    idx = np.flatnonzero(present)
    for k, i in enumerate(idx):
        if empty[k]:
            out[i] = empty_header + wkbs[k]
        else:
            minx, miny, maxx, maxy = bounds[k]
            out[i] = env_flags + pack(minx, maxx, miny, maxy) + wkbs[k]
    return out


def wkb_of(blob: bytes | None) -> bytes | None:
    """The WKB inside a GeoPackage blob."""
    if blob is None:
        return None
    blob = bytes(blob)
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    env = (blob[3] >> 1) & 0b111
    return blob[8 + _ENVELOPE_BYTES[env] :]


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """GeoPackage blobs to an array of shapely geometries."""
    return shapely.from_wkb([wkb_of(b) for b in blobs])


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    if blob is None:
        return None
    blob = bytes(blob)
    if (blob[3] >> 4) & 1:
        return None
    env = (blob[3] >> 1) & 0b111
    if env:
        order = "<" if blob[3] & 1 else ">"
        minx, maxx, miny, maxy = struct.unpack(order + "4d", blob[8:40])
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(wkb_of(blob))
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _st_isempty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return 1 if _envelope(blob) is None else 0


def _coord(i: int):
    def fn(blob: bytes | None) -> float | None:
        env = _envelope(blob)
        return None if env is None else env[i]

    return fn


def register_functions(conn: sqlite3.Connection) -> None:
    """Provide the functions the GeoPackage R-tree triggers call."""
    conn.create_function("ST_IsEmpty", 1, _st_isempty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _coord(i), deterministic=True)

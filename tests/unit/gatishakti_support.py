"""Shared by the PM Gati Shakti tests: a sample registry, and readers that do not use JalNet or pyogrio.

The package is read back with the standard library only (zipfile, sqlite3, struct, json,
ElementTree), so a fault in the writers cannot hide behind the same library reading it.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
from pathlib import Path

from jalnet.registry import create_registry, load_layers
from jalnet.samples import sample_path

SCHEME = "4010457"


def make_sample_registry(path: Path) -> Path:
    """The sample scheme loaded into a UTM 46N registry, as the demo does."""
    with create_registry(path, crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"), tool="test")
    return path


def copy_registry_file(base: Path, folder: Path, name: str = "registry.gpkg") -> Path:
    target = folder / name
    shutil.copyfile(base, target)
    return target


def sql(path: Path, query: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def dbf_fields(data: bytes) -> tuple[int, list[tuple[str, str, int, int]]]:
    """(record count, [(name, type, length, decimals)]) from a dBase III header."""
    n_records = struct.unpack("<I", data[4:8])[0]
    header_len = struct.unpack("<H", data[8:10])[0]
    fields = []
    for offset in range(32, header_len - 1, 32):
        if data[offset] == 0x0D:
            break
        name = data[offset:offset + 11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, chr(data[offset + 11]), data[offset + 16], data[offset + 17]))
    return n_records, fields


def dbf_records(data: bytes) -> list[dict[str, str]]:
    """Every record as text values (stripped), decoded as UTF-8."""
    n_records, fields = dbf_fields(data)
    header_len, record_len = struct.unpack("<HH", data[8:12])
    rows = []
    for i in range(n_records):
        start = header_len + i * record_len + 1  # skip the deletion flag
        row, pos = {}, start
        for name, _, length, _ in fields:
            row[name] = data[pos:pos + length].decode("utf-8").strip()
            pos += length
        rows.append(row)
    return rows


def shp_bbox(data: bytes) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) from a .shp main file header."""
    return struct.unpack("<4d", data[36:68])


def gpkg_lonlat_bounds(path: Path, table: str, where: str = "") -> tuple[float, float, float, float]:
    """(west, south, east, north) of a registry layer: its GeoPackage geometry blobs parsed here and every
    vertex reprojected to WGS 84 with pyproj."""
    import numpy as np
    import pyproj
    import shapely

    epsg = sql(path, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,))[0][0]
    blobs = [row[0] for row in sql(path, f'SELECT geom FROM "{table}" {where}')]
    envelope_bytes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    geoms = [shapely.from_wkb(b[8 + envelope_bytes[(b[3] >> 1) & 0x07]:]) for b in blobs]
    xy = shapely.get_coordinates(np.array(geoms, dtype=object))
    lon, lat = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def drop_unique(path: Path, table: str) -> None:
    """Rebuild a registry table without its UNIQUE constraints, as another tool that rewrote the layer would."""
    con = sqlite3.connect(path)
    try:
        create = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
        con.execute(create.replace(" UNIQUE", ""))
        con.execute(f'INSERT INTO "{table}" SELECT * FROM "{table}_old"')
        con.execute(f'DROP TABLE "{table}_old"')
        con.commit()
    finally:
        con.close()

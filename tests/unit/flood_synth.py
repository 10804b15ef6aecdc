"""Small synthetic schemes and rasters for the flood tests, with expectations computed by hand.

The scheme (EPSG:32646, local metres from ORIGIN)::

    C(105,305)
      | P-4 (distribution)
    T(5,205)--P-2--A(105,205)==P-3 gravity main==B(205,205)--P-5--D(305,205)--P-6--E(405,205)
      |
      | P-1 rising main
    S(5,5)  source SRC-1 + submersible pump PMP-1; treatment unit IRP-1 at (5,20)

Taps: F-1 on P-2, F-2 on P-3, F-3 on P-5, F-4 on P-4, F-5 on P-6 (off the raster),
F-6 on P-2 but non-functional. The tank OHT-1 is at T, valve V-1 at A.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
from rasterio.transform import Affine
from shapely.geometry import LineString, Point

from jalnet.registry import create_registry

ORIGIN = (500000.0, 2925000.0)
CRS = "EPSG:32646"
NODES = {"S": (5, 5), "T": (5, 205), "A": (105, 205), "B": (205, 205), "C": (105, 305), "D": (305, 205),
         "E": (405, 205)}
PIPES = [("P-1", "S", "T", "rising_main"), ("P-2", "T", "A", "distribution"), ("P-3", "A", "B", "gravity_main"),
         ("P-4", "A", "C", "distribution"), ("P-5", "B", "D", "distribution"), ("P-6", "D", "E", "distribution")]
TAPS = [("F-1", (55, 215), "P-2", "functional", 4), ("F-2", (155, 215), "P-3", "functional", 5),
        ("F-3", (255, 215), "P-5", "functional", 3), ("F-4", (115, 255), "P-4", "functional", 6),
        ("F-5", (395, 215), "P-6", "functional", 2), ("F-6", (65, 195), "P-2", "non_functional", 7)]
SCHEME = "SCH-1"


def utm(x: float, y: float) -> tuple[float, float]:
    return ORIGIN[0] + x, ORIGIN[1] + y


def frames() -> dict[str, gpd.GeoDataFrame]:
    """Registry layers of the small scheme, in EPSG:32646."""

    def gdf(rows: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)

    pipes = gdf([{"pipe_id": pid, "scheme_id": SCHEME, "pipe_function": fn, "material": "HDPE", "diameter_mm": 110.0,
                  "status": "in_service", "from_node": a, "to_node": b,
                  "geometry": LineString([utm(*NODES[a]), utm(*NODES[b])])} for pid, a, b, fn in PIPES])
    return {
        "schemes": None,
        "sources": gdf([{"source_id": "SRC-1", "scheme_id": SCHEME, "source_type": "borewell", "status": "in_service",
                         "geometry": Point(utm(*NODES["S"]))}]),
        "pumps": gdf([{"pump_id": "PMP-1", "scheme_id": SCHEME, "pump_type": "submersible", "source_id": "SRC-1",
                       "status": "in_service", "geometry": Point(utm(*NODES["S"]))}]),
        "treatment_units": gdf([{"unit_id": "IRP-1", "scheme_id": SCHEME, "unit_type": "iron_removal",
                                 "status": "in_service", "geometry": Point(utm(5, 20))}]),
        "tanks": gdf([{"tank_id": "OHT-1", "scheme_id": SCHEME, "tank_type": "OHT", "status": "in_service",
                       "geometry": Point(utm(*NODES["T"]))}]),
        "valves": gdf([{"valve_id": "V-1", "scheme_id": SCHEME, "valve_type": "sluice", "status": "in_service",
                        "geometry": Point(utm(*NODES["A"]))}]),
        "fhtc": gdf([{"fhtc_id": f, "scheme_id": SCHEME, "pipe_id": p, "status": s, "persons": n,
                      "household_head": "Name Withheld", "phone": "9000000000", "geometry": Point(utm(*xy))}
                     for f, xy, p, s, n in TAPS]),
        "pipes": pipes,
    }


def make_registry(path: Path | str) -> str:
    with create_registry(str(path), crs=CRS) as reg, reg.batch("test", "small scheme") as b:
        b.insert("schemes", [{"scheme_id": SCHEME, "name": "Test scheme", "district": "Nalbari"}])
        for name, frame in frames().items():
            if frame is not None:
                b.insert(name, frame)
    return str(path)


def depth_at_local(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The designed flood: 0.7 m around the source, 1.25 m over the main P-3, dry elsewhere."""
    depth = np.zeros(np.broadcast(x, y).shape)
    depth[(np.abs(x - 5) <= 40) & (np.abs(y - 12) <= 40)] = 0.75
    depth[(x >= 120) & (x <= 200) & (y >= 185) & (y <= 235)] = 1.25
    return depth


NODATA_BOX = (95.0, 235.0, 140.0, 275.0)  # local xmin, ymin, xmax, ymax around F-4


def lonlat_raster(path: Path, shift: float = 0.0, crs: str | None = "EPSG:4326", nodata: float = -9999.0,
                  far: bool = False, tiled: bool = False) -> tuple[np.ndarray, Affine]:
    """A depth raster in lon/lat (not the registry's CRS) with a nodata hole over F-4.

    It covers local x -60..350 and y -60..360, so F-5 and E (x 395-405) are off it.
    *shift* is added to every depth (wet everywhere); *far* moves it 10 degrees west.
    """
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    lon0, lat1 = to_ll.transform(*utm(-60, 360))
    lon1, lat0 = to_ll.transform(*utm(350, -60))
    res = 0.0001
    width, height = int(np.ceil((lon1 - lon0) / res)), int(np.ceil((lat1 - lat0) / res))
    transform = Affine(res, 0, lon0 - (10 if far else 0), 0, -res, lat1)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    clon, clat = lon0 + (cols + 0.5) * res, lat1 - (rows + 0.5) * res
    ux, uy = to_utm.transform(clon, clat)
    lx, ly = ux - ORIGIN[0], uy - ORIGIN[1]
    values = depth_at_local(lx, ly) + shift
    hole = (lx >= NODATA_BOX[0]) & (lx <= NODATA_BOX[2]) & (ly >= NODATA_BOX[1]) & (ly <= NODATA_BOX[3])
    values = np.where(hole, nodata, values).astype("float32")
    write_raster(path, values, transform, crs, nodata, tiled)
    return values, transform


def write_raster(path: Path, values: np.ndarray, transform: Affine, crs: str | None, nodata: float | None = -9999.0,
                 tiled: bool = False, block: int = 16) -> None:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": str(values.dtype), "transform": transform, "nodata": nodata}
    if crs:
        profile["crs"] = crs
    if tiled:
        profile.update(tiled=True, blockxsize=block, blockysize=block, compress="deflate")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)


def nearest_cell(values: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray,
                 nodata: float = -9999.0) -> np.ndarray:
    """Independent nearest-cell lookup for a north-up raster: NaN off the raster and on nodata."""
    col = np.floor((np.asarray(x) - transform.c) / transform.a).astype(int)
    row = np.floor((np.asarray(y) - transform.f) / transform.e).astype(int)
    out = np.full(len(col), np.nan)
    ok = (row >= 0) & (row < values.shape[0]) & (col >= 0) & (col < values.shape[1])
    got = values[row[ok], col[ok]].astype(float)
    out[ok] = np.where(got == nodata, np.nan, got)
    return out

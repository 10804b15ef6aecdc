#!/usr/bin/env python3
"""Generate JalNet's synthetic sample data: one small rural piped-water scheme in Assam.

Why this exists: JalNet's tests, tutorials and the QGIS plugin's demo need a scheme that
looks like the real thing (a borewell with an iron removal plant on the Brahmaputra
floodplain, a DI rising main to an overhead tank, HDPE/uPVC distribution along village
roads, a few hundred household taps, contractor GPS files full of the usual faults, a
flood-depth raster and lithologs), but no real data can be shipped: PHED asset registers
are not public and household names and phone numbers are personal data. So everything
here is invented, seeded and regenerable:

    python scripts/make_sample_data.py            # writes jalnet/data/
    python scripts/make_sample_data.py --seed 7 --out /tmp/sample

The place is Nalbari district, Assam (around 91.43 E, 26.44 N); geometry is designed in
metres in UTM 46N (EPSG:32646) and written in the CRS each product arrives in from the
field (lon/lat for the registry GeoPackage, DEM and contractor files). The registry
layers follow ``jalnet.registry.schema`` exactly. The script ends by checking the network
and the files it wrote and raises if anything is wrong. ``jalnet/data/README.md`` lists
the files and the deliberate faults in the contractor files.
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import shapes
from rasterio.transform import Affine
from shapely.affinity import translate
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import split, unary_union

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "jalnet" / "data"
DEFAULT_SEED = 20261122

WORK_EPSG = 32646  # UTM 46N: all geometry is designed here (as local metres from ORIGIN)
ORIGIN_LONLAT = (91.43, 26.44)
SCALE = 0.8  # design sketch units -> metres
SCHEME_ID = "4010457"
IST = timezone(timedelta(hours=5, minutes=30))
NODATA = -9999.0
N_FHTC = 430

_TO_LL = Transformer.from_crs(WORK_EPSG, 4326, always_xy=True)
_TO_UTM = Transformer.from_crs(4326, WORK_EPSG, always_xy=True)
_OX, _OY = (round(v) for v in _TO_UTM.transform(*ORIGIN_LONLAT))
ORIGIN_UTM = (float(_OX), float(_OY))

Xy = tuple[float, float]
Record = dict[str, Any]


# ---------------------------------------------------------------------------------------
# Small helpers: random streams, coordinates
# ---------------------------------------------------------------------------------------
def sub_rng(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so editing one part leaves the rest."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def scaled(p: Xy) -> Xy:
    return (p[0] * SCALE, p[1] * SCALE)


def local_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_LL.transform(np.asarray(x) + ORIGIN_UTM[0], np.asarray(y) + ORIGIN_UTM[1])
    return np.asarray(lon), np.asarray(lat)


def lonlat_to_local(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _TO_UTM.transform(lon, lat)
    return np.asarray(x) - ORIGIN_UTM[0], np.asarray(y) - ORIGIN_UTM[1]


def _ll_coords(c: np.ndarray) -> np.ndarray:
    lon, lat = local_to_lonlat(c[:, 0], c[:, 1])
    return np.column_stack([lon, lat])


def geom_to_lonlat(g: Any) -> Any:
    return shapely.transform(g, _ll_coords)


def geom_to_utm(g: Any) -> Any:
    return shapely.transform(g, lambda c: c + np.array(ORIGIN_UTM))


def chaikin(coords: list[Xy], iterations: int) -> list[Xy]:
    """Corner-cutting smoothing that keeps both ends."""
    pts = np.asarray(coords, dtype=float)
    for _ in range(iterations):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return [tuple(p) for p in pts]


def wiggle(coords: list[Xy], rng: np.random.Generator, min_len: float = 105.0, sd: float = 3.0) -> list[Xy]:
    """Insert a slightly offset vertex into long straight runs, as village roads bend."""
    out = [coords[0]]
    for a, b in zip(coords[:-1], coords[1:]):
        (ax, ay), (bx, by) = a, b
        length = math.hypot(bx - ax, by - ay)
        if length > min_len:
            f = rng.uniform(0.35, 0.65)
            off = rng.normal(0.0, sd)
            nx_, ny_ = -(by - ay) / length, (bx - ax) / length
            out.append((ax + f * (bx - ax) + off * nx_, ay + f * (by - ay) + off * ny_))
        out.append(b)
    return [(round(x, 2), round(y, 2)) for x, y in out]


def iso(d: date) -> str:
    return d.isoformat()


def random_date(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


# ---------------------------------------------------------------------------------------
# Landscape: stream, terrain, scheme area and villages
# ---------------------------------------------------------------------------------------
STREAM_DESIGN = [
    (830, 1800), (820, 1300), (760, 950), (880, 600), (760, 250), (700, -100),
    (820, -450), (650, -800), (560, -1100), (600, -1400), (640, -2000),
]  # fmt: skip
AREA_DESIGN = (-1500.0, -1380.0, 1500.0, 1150.0)  # xmin, ymin, xmax, ymax
WEST_BOUNDARY_X = -470.0  # local metres: Kalitapara | Bhabanipur

MOUNDS_DESIGN = [  # raised homestead land and the OHT site: x, y, radius, height (m)
    (0, -100, 260, 1.6), (-930, 30, 300, 0.8), (0, 450, 320, 0.9), (1150, 380, 280, 0.8), (-300, 0, 250, 0.5),
]  # fmt: skip


@dataclass(frozen=True)
class Terrain:
    """Ground elevation (m above MSL) of the floodplain at local coordinates."""

    stream: LineString
    waves: np.ndarray  # kx, ky, phase, amplitude
    mounds: np.ndarray  # x, y, radius, height

    def __call__(self, x: Any, y: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        shp = x.shape
        x, y = x.ravel(), y.ravel()
        relief = np.zeros_like(x)
        for kx, ky, ph, amp in self.waves:
            relief += amp * np.sin(kx * x + ky * y + ph)
        for mx, my, r, h in self.mounds:
            relief += h * np.exp(-((x - mx) ** 2 + (y - my) ** 2) / (2 * r * r))
        d = shapely.distance(shapely.points(x, y), self.stream)
        # the stream has graded its bed and banks: no relief there, so the bed falls steadily south
        z = 48.6 + 0.0022 * y + relief * (1.0 - np.exp(-((d / 80.0) ** 2)))  # rises toward the north
        incision = 2.0 + 1.5 * np.clip((y + 700.0) / 1600.0, 0.0, 1.0)  # deeper upstream (north)
        levee = 0.9 * np.exp(-((d / 90.0) ** 2))  # natural levees: banks stand above the backswamps
        z = z + levee - incision * np.exp(-((d / 14.0) ** 2))
        return z.reshape(shp)


def make_stream() -> LineString:
    return LineString(chaikin([scaled(p) for p in STREAM_DESIGN], 4))


def make_terrain(seed: int, stream: LineString) -> Terrain:
    rng = sub_rng(seed, "terrain")
    waves = []
    for _ in range(6):
        wavelength, angle = rng.uniform(350, 1400), rng.uniform(0, 2 * math.pi)
        k = 2 * math.pi / wavelength
        waves.append((k * math.cos(angle), k * math.sin(angle), rng.uniform(0, 2 * math.pi), rng.uniform(0.12, 0.35)))
    mounds = [(x * SCALE, y * SCALE, r * SCALE, h) for x, y, r, h in MOUNDS_DESIGN]
    return Terrain(stream, np.array(waves), np.array(mounds, dtype=float))


def make_area(seed: int) -> Polygon:
    """The scheme's service area: a rectangle with field-boundary irregularities."""
    rng = sub_rng(seed, "area")
    x0, y0, x1, y1 = (v * SCALE for v in AREA_DESIGN)
    ring = LineString([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
    dists = np.arange(0.0, ring.length, 90.0)
    pts = [ring.interpolate(d) for d in dists]
    coords = [(round(p.x + rng.normal(0, 12), 2), round(p.y + rng.normal(0, 12), 2)) for p in pts]
    return shapely.make_valid(Polygon(coords))


def boundary_line(seed: int, area: Polygon) -> LineString:
    rng = sub_rng(seed, "west-boundary")
    ys = np.arange(area.bounds[3] + 100, area.bounds[1] - 101, -110.0)
    return LineString([(round(WEST_BOUNDARY_X + rng.normal(0, 22), 2), float(y)) for y in ys])


VILLAGES = [  # village_id, name, name_local, gram_panchayat, households, population
    ("300509", "Kalitapara", "কলিতাপাৰা", "Bhabanipur Gaon Panchayat", 360, 1720),
    ("300514", "Bhabanipur", "ভবানীপুৰ", "Bhabanipur Gaon Panchayat", 430, 2080),
    ("300521", "Dighalighat", "দীঘলীঘাট", "Dighali Gaon Panchayat", 290, 1390),
]
BLOCK = "Pub Nalbari"


def split_villages(seed: int, area: Polygon, stream: LineString) -> list[Polygon]:
    """West | central | east: a cadastral boundary line, then the stream."""
    west_cut = split(area, boundary_line(seed, area))
    parts = sorted(west_cut.geoms, key=lambda g: g.centroid.x)
    if len(parts) != 2:
        raise RuntimeError("village split failed (west boundary)")
    rest = sorted(split(parts[1], stream).geoms, key=lambda g: g.centroid.x)
    if len(rest) != 2:
        raise RuntimeError("village split failed (stream)")
    return [parts[0], rest[0], rest[1]]


def village_records(polys: list[Polygon]) -> list[Record]:
    recs = []
    for poly, (vid, name, local, gp, hh, pop) in zip(polys, VILLAGES):
        recs.append({
            "village_id": vid, "name": name, "name_local": local, "scheme_id": SCHEME_ID,
            "gram_panchayat": gp, "block": BLOCK, "district": "Nalbari", "state": "Assam",
            "households": hh, "population": pop, "geometry": MultiPolygon([poly]),
        })  # fmt: skip
    return recs


# ---------------------------------------------------------------------------------------
# DEM (EPSG:4326, like SRTM) and a bilinear sampler for asset elevations
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """A north-up raster: values, affine transform, CRS."""

    values: np.ndarray
    transform: Affine
    crs: str

    def colrow(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Fractional column and row of map coordinates (north-up grids only)."""
        t = self.transform
        return (np.asarray(x, dtype=float) - t.c) / t.a, (np.asarray(y, dtype=float) - t.f) / t.e

    def bilinear(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        col, row = self.colrow(x, y)
        col, row = col - 0.5, row - 0.5
        h, w = self.values.shape
        c0 = np.clip(np.floor(col).astype(int), 0, w - 2)
        r0 = np.clip(np.floor(row).astype(int), 0, h - 2)
        fc, fr = np.clip(col - c0, 0, 1), np.clip(row - r0, 0, 1)
        v = self.values.astype(float)
        top = v[r0, c0] * (1 - fc) + v[r0, c0 + 1] * fc
        bottom = v[r0 + 1, c0] * (1 - fc) + v[r0 + 1, c0 + 1] * fc
        return top * (1 - fr) + bottom * fr


def make_dem(area: Polygon, terrain: Terrain, margin: float = 300.0, res: float = 1e-4) -> Grid:
    x0, y0, x1, y1 = area.buffer(margin).bounds
    xs = np.array([x0, x1, x1, x0, (x0 + x1) / 2, (x0 + x1) / 2])
    ys = np.array([y0, y0, y1, y1, y0, y1])
    lon, lat = local_to_lonlat(xs, ys)
    i0, i1 = math.floor(lon.min() / res), math.ceil(lon.max() / res)
    k0, k1 = math.floor(lat.min() / res), math.ceil(lat.max() / res)
    cols, rows = np.arange(i1 - i0), np.arange(k1 - k0)
    lon_c = (i0 + cols + 0.5) / round(1 / res)
    lat_c = (k1 - rows - 0.5) / round(1 / res)
    glon, glat = np.meshgrid(lon_c, lat_c)
    lx, ly = lonlat_to_local(glon.ravel(), glat.ravel())
    z = np.round(terrain(lx, ly), 2).reshape(glon.shape).astype("float32")
    transform = Affine(res, 0.0, i0 / round(1 / res), 0.0, -res, k1 / round(1 / res))
    return Grid(z, transform, "EPSG:4326")


def elevation_at(dem: Grid, x: Any, y: Any) -> np.ndarray:
    """Elevation of local points as a GIS would read it: bilinear from dem.tif, 0.01 m."""
    lon, lat = local_to_lonlat(np.atleast_1d(x), np.atleast_1d(y))
    return np.round(dem.bilinear(lon, lat), 2)


# ---------------------------------------------------------------------------------------
# The network: nodes and pipes as designed along the village roads
# ---------------------------------------------------------------------------------------
# S borewell/pump, O overhead tank, BM bulk meter, A* the main road (A0 where the tank's main meets
# it), W* Kalitapara lanes, C*/N*/SB* Bhabanipur, X* the stream crossing, AE*/E* Dighalighat.
NODES_DESIGN: dict[str, Xy] = {
    "S": (430, -1300), "O": (0, -120), "BM": (0, -105), "A0": (0, 0),
    "AW1": (-450, 6), "AWR": (-690, 12), "AW2": (-930, 18), "AW3": (-1370, 42),
    "WN1": (-920, 420), "WN2": (-900, 830), "WNW": (-1320, 445),
    "WG1": (-925, -150), "WG2": (-926, -172), "WS1": (-905, -400), "WS2": (-880, -790), "WSW": (-1290, -425),
    "CW": (-450, 402), "N1": (12, 380), "N2": (-18, 720), "N3": (5, 1030), "CE": (330, 368),
    "CS1": (-440, -500), "CS2": (-430, -880), "CSE": (-110, -520),
    "AE1": (330, -12), "AE2": (575, -28), "XW": (665, -33), "XE": (760, -37), "AE3": (860, -40),
    "AE3S": (905, -520), "AE4": (1160, -18), "AE5": (1390, 22),
    "EN1": (1170, 400), "EN2": (1150, 860), "ENW": (930, 425),
    "ES1": (1175, -450), "ES2": (1150, -900), "ESE": (1420, -480),
    "SB1": (585, -420), "SB2": (530, -820),
}  # fmt: skip

# from, to, material, diameter (mm), works zone, hand-drawn bends (design units)
EDGES_DESIGN: list[tuple[str, str, str, float, str, list[Xy]]] = [
    ("S", "O", "DI", 150, "R", [(415, -1000), (330, -660), (200, -410), (70, -235)]),
    ("O", "BM", "HDPE", 200, "C", []),
    ("BM", "A0", "HDPE", 200, "C", []),
    ("A0", "AW1", "HDPE", 160, "C", [(-220, 9)]),
    ("AW1", "AWR", "HDPE", 140, "C", []),
    ("AWR", "AW2", "UPVC", 110, "W", []),
    ("AW2", "AW3", "UPVC", 75, "W", [(-1150, 22)]),
    ("AW2", "WN1", "UPVC", 90, "W", []),
    ("WN1", "WN2", "UPVC", 63, "W", [(-915, 640)]),
    ("WN1", "WNW", "UPVC", 63, "W", []),
    ("AW2", "WG1", "UPVC", 90, "W", []),
    ("WG1", "WG2", "GI", 80, "W", []),
    ("WG2", "WS1", "UPVC", 75, "W", []),
    ("WS1", "WS2", "UPVC", 63, "W", [(-895, -600)]),
    ("WS1", "WSW", "UPVC", 63, "W", []),
    ("AW1", "CW", "HDPE", 90, "C", []),
    ("CW", "N1", "HDPE", 75, "C", [(-210, 395)]),
    ("A0", "N1", "HDPE", 110, "C", []),
    ("N1", "N2", "HDPE", 90, "C", []),
    ("N2", "N3", "HDPE", 75, "C", [(-5, 880)]),
    ("N1", "CE", "HDPE", 75, "C", [(170, 372)]),
    ("AW1", "CS1", "HDPE", 90, "C", [(-448, -240)]),
    ("CS1", "CS2", "HDPE", 63, "C", []),
    ("CS1", "CSE", "HDPE", 63, "C", [(-280, -508)]),
    ("A0", "AE1", "HDPE", 160, "C", [(170, -4)]),
    ("AE1", "CE", "HDPE", 75, "C", [(335, 180)]),
    ("AE1", "AE2", "HDPE", 140, "C", []),
    ("AE2", "SB1", "HDPE", 90, "C", [(590, -220)]),
    ("SB1", "SB2", "HDPE", 63, "C", [(560, -620)]),
    ("AE2", "XW", "HDPE", 110, "E", []),
    ("XW", "XE", "GI", 100, "E", []),
    ("XE", "AE3", "HDPE", 90, "E", []),
    ("AE3", "AE3S", "HDPE", 63, "E", [(890, -280)]),
    ("AE3", "AE4", "HDPE", 90, "E", [(1010, -30)]),
    ("AE4", "AE5", "HDPE", 63, "E", []),
    ("AE4", "EN1", "HDPE", 75, "E", [(1166, 190)]),
    ("EN1", "EN2", "HDPE", 63, "E", [(1160, 640)]),
    ("EN1", "ENW", "HDPE", 63, "E", []),
    ("AE4", "ES1", "HDPE", 75, "E", [(1168, -230)]),
    ("ES1", "ES2", "HDPE", 63, "E", [(1163, -680)]),
    ("ES1", "ESE", "HDPE", 63, "E", []),
]

CONTRACTORS = {
    "R": "M/s Brahmaputra Infra Projects Pvt. Ltd.",
    "C": "M/s Brahmaputra Infra Projects Pvt. Ltd.",
    "W": "M/s Kamrupa Constructions",
    "E": "M/s Nalbari Pipeline Works",
}
LAID_WINDOWS = {
    "R": (date(2021, 11, 15), date(2022, 1, 31)),
    "C": (date(2021, 12, 1), date(2022, 6, 30)),
    "W": (date(2022, 1, 10), date(2022, 8, 31)),
    "E": (date(2022, 3, 1), date(2022, 10, 31)),
}


def pressure_class(material: str, diameter: float) -> str:
    if material == "DI":
        return "K9"
    if material == "GI":
        return "HEAVY" if diameter >= 100 else "MEDIUM"
    if material == "HDPE":
        return "PN8" if diameter >= 160 else ("PN10" if diameter <= 63 else "PN6")
    return "PN6"


def pipe_function(a: str, b: str) -> str:
    if a == "S":
        return "rising_main"
    if {a, b} <= {"O", "BM", "A0"}:
        return "gravity_main"
    return "distribution"


@dataclass
class Network:
    """The built network: nodes by design name (coordinates, node_id), pipe and junction records."""

    node_xy: dict[str, Xy]
    node_id: dict[str, str]
    pipes: list[Record]
    junctions: list[Record]
    graph: nx.Graph

    def pipe(self, a: str, b: str) -> Record:
        for p in self.pipes:
            if {p["a"], p["b"]} == {a, b}:
                return p
        raise KeyError((a, b))


def jitter_nodes(seed: int) -> dict[str, Xy]:
    rng = sub_rng(seed, "nodes")
    out = {}
    for name, p in NODES_DESIGN.items():
        x, y = scaled(p)
        out[name] = (round(x + rng.normal(0, 2.5), 2), round(y + rng.normal(0, 2.5), 2))
    return out


def build_pipe_geoms(seed: int, node_xy: dict[str, Xy]) -> list[LineString]:
    rng = sub_rng(seed, "pipes-geom")
    geoms = []
    for a, b, _m, _d, _z, via in EDGES_DESIGN:
        bends = [scaled(v) for v in via]
        bends = [(round(x + rng.normal(0, 2.0), 2), round(y + rng.normal(0, 2.0), 2)) for x, y in bends]
        coords = wiggle([node_xy[a], *bends, node_xy[b]], rng)
        geoms.append(LineString(coords))
    return geoms


def reported_length(rng: np.random.Generator, length: float, source: str) -> float:
    """The contractor's or surveyor's figure: off by up to 2 %, rounded as they do."""
    value = length * (1.0 + rng.uniform(-0.02, 0.02))
    return round(value, 1) if source == "survey" else float(round(value))


def pipe_records(seed: int, node_xy: dict[str, Xy], node_id: dict[str, str]) -> list[Record]:
    rng = sub_rng(seed, "pipes-attr")
    recs = []
    for i, (geom, (a, b, mat, dia, zone, _via)) in enumerate(zip(build_pipe_geoms(seed, node_xy), EDGES_DESIGN), 1):
        source = "survey" if zone in "RC" or dia >= 90 else "contractor_kml"
        recs.append({
            "pipe_id": f"P-{i:04d}", "scheme_id": SCHEME_ID, "material": mat, "diameter_mm": float(dia),
            "pressure_class": pressure_class(mat, dia), "pipe_function": pipe_function(a, b),
            "laid_date": iso(random_date(rng, *LAID_WINDOWS[zone])), "contractor": CONTRACTORS[zone],
            "status": "in_service", "geom_source": source, "length_m": reported_length(rng, geom.length, source),
            "from_node": node_id[a], "to_node": node_id[b], "geometry": geom, "a": a, "b": b,
        })  # fmt: skip
    return recs


def node_type(name: str, g: nx.Graph) -> str:
    if name == "BM":
        return "bulk_meter"
    if name in ("S", "O"):  # pump outlet and tank: connected to an asset, not a dead end
        return "junction"
    deg = g.degree(name)
    if deg == 1:
        return "end_cap"
    diameters = {d["diameter_mm"] for _, _, d in g.edges(name, data=True)}
    if deg == 2 and len(diameters) > 1:
        return "reducer"
    return "junction"


def build_network(seed: int, dem: Grid) -> Network:
    node_xy = jitter_nodes(seed)
    order: list[str] = []
    for a, b, *_ in EDGES_DESIGN:
        order += [n for n in (a, b) if n not in order]
    node_id = {name: f"J-{i:04d}" for i, name in enumerate(order, 1)}
    pipes = pipe_records(seed, node_xy, node_id)
    g = nx.Graph()
    for p in pipes:
        g.add_edge(p["a"], p["b"], pipe_id=p["pipe_id"], diameter_mm=p["diameter_mm"], length=p["geometry"].length)
    xs = np.array([node_xy[n][0] for n in order])
    ys = np.array([node_xy[n][1] for n in order])
    elev = elevation_at(dem, xs, ys)
    junctions = [
        {"node_id": node_id[n], "scheme_id": SCHEME_ID, "node_type": node_type(n, g), "elevation_m": float(z),
         "geometry": Point(node_xy[n]), "name": n}
        for n, z in zip(order, elev)
    ]  # fmt: skip
    return Network(node_xy, node_id, pipes, junctions, g)


# ---------------------------------------------------------------------------------------
# Point assets: source, pump, treatment, tank, valves
# ---------------------------------------------------------------------------------------
IRP_OFFSET = (-18.0, 12.0)
OHT = {"capacity_kl": 150.0, "staging_m": 15.0, "min_level_m": 0.5, "max_level_m": 4.0, "init_level_m": 3.0}
PUMP_FLOW_LPS = 9.0
PUMPING_HOURS = 16.0
PUMPING_WATER_LEVEL_M = 7.5  # below ground, while pumping


def oht_diameter() -> float:
    usable = OHT["max_level_m"] - OHT["min_level_m"]
    return round(math.sqrt(OHT["capacity_kl"] / usable * 4 / math.pi), 1)


def hazen_williams_loss(length_m: float, flow_lps: float, diameter_mm: float, c: float = 130.0) -> float:
    q, d = flow_lps / 1000.0, diameter_mm / 1000.0
    return 10.67 * length_m * q**1.852 / (c**1.852 * d**4.87)


def point_assets(net: Network, dem: Grid) -> dict[str, list[Record]]:
    s, o = net.node_xy["S"], net.node_xy["O"]
    irp = (round(s[0] + IRP_OFFSET[0], 2), round(s[1] + IRP_OFFSET[1], 2))
    z_s, z_irp, z_o = (float(v) for v in elevation_at(dem, [s[0], irp[0], o[0]], [s[1], irp[1], o[1]]))
    head = round(z_s - PUMPING_WATER_LEVEL_M, 2)
    rm = net.pipe("S", "O")
    full_level = z_o + OHT["staging_m"] + OHT["max_level_m"]
    friction = hazen_williams_loss(rm["geometry"].length, PUMP_FLOW_LPS, 150)
    design_head = round(full_level - head + friction + 2.5)  # + 2.5 m through the IRP filters and fittings
    power = PUMP_FLOW_LPS / 1000 * 9.81 * 1000 * design_head / 0.55 / 1000  # kW at 55 % wire-to-water
    motor = min(m for m in (3.7, 5.5, 7.5, 9.3, 11.0) if m >= power)
    return {
        "sources": [{
            "source_id": "SRC-01", "scheme_id": SCHEME_ID, "name": "Bhabanipur PWSS production borewell BW-1",
            "source_type": "borewell", "depth_m": 120.0, "yield_lpm": 600.0, "elevation_m": z_s, "head_m": head,
            "status": "in_service", "commissioned": "2023-03-28", "geometry": Point(s),
        }],
        "pumps": [{
            "pump_id": "PMP-01", "scheme_id": SCHEME_ID, "pump_type": "submersible", "power_kw": motor,
            "design_head_m": float(design_head), "design_flow_lps": PUMP_FLOW_LPS, "source_id": "SRC-01",
            "pumping_hours": PUMPING_HOURS, "elevation_m": z_s, "status": "in_service", "geometry": Point(s),
        }],
        "treatment_units": [{
            "unit_id": "IRP-01", "scheme_id": SCHEME_ID, "name": "Bhabanipur iron removal plant (pressure filters)",
            "unit_type": "iron_removal", "capacity_kld": round(PUMP_FLOW_LPS * 3.6 * PUMPING_HOURS / 10) * 10.0,
            "elevation_m": z_irp, "status": "in_service", "geometry": Point(irp),
        }],
        "tanks": [{
            "tank_id": "OHT-01", "scheme_id": SCHEME_ID, "name": "Bhabanipur OHT 150 KL", "tank_type": "OHT",
            **OHT, "ground_elev_m": z_o, "diameter_m": oht_diameter(), "status": "in_service", "geometry": Point(o),
        }],
    }  # fmt: skip


@dataclass(frozen=True)
class ValveSpec:
    valve_type: str
    edge: tuple[str, str]
    at: str  # "near:<node>" (3-12 m along the pipe from that node), "high" or "low"
    offset_m: float = 3.0
    diameter_mm: float | None = None


VALVES = [
    ValveSpec("non_return", ("S", "O"), "near:S", 6.0),
    ValveSpec("sluice", ("S", "O"), "near:S", 12.0),
    ValveSpec("air_release", ("S", "O"), "high", diameter_mm=80),
    ValveSpec("scour", ("S", "O"), "low", diameter_mm=80),
    ValveSpec("sluice", ("O", "BM"), "near:O", 4.0),
    ValveSpec("sluice", ("AW1", "CW"), "near:AW1"),
    ValveSpec("sluice", ("AW1", "CS1"), "near:AW1"),
    ValveSpec("sluice", ("AW2", "WN1"), "near:AW2"),
    ValveSpec("sluice", ("AW2", "WG1"), "near:AW2"),
    ValveSpec("sluice", ("A0", "N1"), "near:A0"),
    ValveSpec("sluice", ("AE2", "SB1"), "near:AE2"),
    ValveSpec("sluice", ("AE3", "AE3S"), "near:AE3"),
    ValveSpec("sluice", ("AE4", "EN1"), "near:AE4"),
    ValveSpec("sluice", ("AE4", "ES1"), "near:AE4"),
    ValveSpec("sluice", ("CS1", "CSE"), "near:CS1"),
    ValveSpec("scour", ("XW", "XE"), "low", diameter_mm=80),
    ValveSpec("scour", ("SB1", "SB2"), "near:SB2"),
]


def line_extreme(line: LineString, dem: Grid, highest: bool, skip: float = 40.0) -> float:
    """Distance along the line of its highest/lowest ground, away from the ends."""
    ds = np.arange(min(skip, line.length / 4), line.length - min(skip, line.length / 4), 2.0)
    pts = shapely.line_interpolate_point(line, ds)
    z = elevation_at(dem, shapely.get_x(pts), shapely.get_y(pts))
    return float(ds[np.argmax(z)] if highest else ds[np.argmin(z)])


def valve_position(spec: ValveSpec, pipe: Record, dem: Grid) -> Point:
    line: LineString = pipe["geometry"]
    if spec.at.startswith("near:"):
        node = spec.at.split(":", 1)[1]
        d = spec.offset_m if pipe["a"] == node else line.length - spec.offset_m
    else:
        d = line_extreme(line, dem, spec.at == "high")
    p = line.interpolate(d)
    return Point(round(p.x, 3), round(p.y, 3))


def valve_records(net: Network, dem: Grid) -> list[Record]:
    recs = []
    for i, spec in enumerate(VALVES, 1):
        pipe = net.pipe(*spec.edge)
        pos = valve_position(spec, pipe, dem)
        dia = spec.diameter_mm or pipe["diameter_mm"]
        recs.append({
            "valve_id": f"V-{i:03d}", "scheme_id": SCHEME_ID, "valve_type": spec.valve_type,
            "diameter_mm": float(min(dia, pipe["diameter_mm"])),
            "normal_status": "closed" if spec.valve_type == "scour" else "open", "pipe_id": pipe["pipe_id"],
            "elevation_m": float(elevation_at(dem, pos.x, pos.y)[0]), "status": "in_service", "geometry": pos,
        })  # fmt: skip
    return recs


# ---------------------------------------------------------------------------------------
# Households with tap connections (FHTC)
# ---------------------------------------------------------------------------------------
HAMLETS_DESIGN = [  # x, y, weight: where houses cluster along the roads
    (-930, 20, 1.2), (-1150, 430, 0.8), (-900, -390, 1.0), (-1250, -420, 0.5), (-910, 700, 0.6),
    (-250, 5, 1.0), (0, 420, 1.2), (-10, 820, 0.7), (-440, -560, 0.9), (250, -10, 0.8), (-300, 400, 0.6),
    (560, -500, 1.0), (1000, -30, 1.0), (1170, 420, 1.0), (1170, -520, 1.0), (900, -350, 0.6), (1350, 10, 0.5),
]  # fmt: skip

FIRST_NAMES = [  # Latin, Assamese
    ("Ramen", "ৰমেন"), ("Dipen", "দীপেন"), ("Bhupen", "ভূপেন"), ("Hemanta", "হেমন্ত"), ("Jogen", "যোগেন"),
    ("Nripen", "নৃপেন"), ("Pranab", "প্ৰণৱ"), ("Biren", "বীৰেন"), ("Dilip", "দিলীপ"), ("Mukul", "মুকুল"),
    ("Nabin", "নবীন"), ("Tarun", "তৰুণ"), ("Kamal", "কমল"), ("Gautam", "গৌতম"), ("Utpal", "উৎপল"),
    ("Ranjit", "ৰঞ্জিত"), ("Anjali", "অঞ্জলি"), ("Rina", "ৰীণা"), ("Junu", "জুনু"), ("Nirmali", "নিৰ্মালী"),
    ("Pranati", "প্ৰণতি"), ("Bornali", "বৰ্ণালী"), ("Minoti", "মিনতি"), ("Dipali", "দীপালী"), ("Jonali", "জোনালী"),
]  # fmt: skip
SURNAMES = [
    ("Kalita", "কলিতা"), ("Das", "দাস"), ("Deka", "ডেকা"), ("Baishya", "বৈশ্য"), ("Sarma", "শৰ্মা"),
    ("Talukdar", "তালুকদাৰ"), ("Medhi", "মেধি"), ("Nath", "নাথ"), ("Barman", "বৰ্মন"), ("Bhuyan", "ভূঞা"),
    ("Choudhury", "চৌধুৰী"), ("Rajbongshi", "ৰাজবংশী"),
]  # fmt: skip
MUSLIM_FIRST = [("Nurul", "নুৰুল"), ("Jahirul", "জহিৰুল"), ("Abdul", "আব্দুল"), ("Rafiqul", "ৰফিকুল"), ("Anowara", "আনোৱাৰা")]
MUSLIM_SURNAMES = [("Ali", "আলী"), ("Haque", "হক"), ("Ahmed", "আহমেদ")]


def person_name(rng: np.random.Generator) -> str:
    if rng.random() < 0.12:
        first, last = MUSLIM_FIRST[rng.integers(len(MUSLIM_FIRST))], MUSLIM_SURNAMES[rng.integers(len(MUSLIM_SURNAMES))]
    else:
        first, last = FIRST_NAMES[rng.integers(len(FIRST_NAMES))], SURNAMES[rng.integers(len(SURNAMES))]
    script = 1 if rng.random() < 0.35 else 0
    return f"{first[script]} {last[script]}"


def phone_number(rng: np.random.Generator) -> str:
    first = rng.choice(["9", "8", "7", "6"], p=[0.45, 0.25, 0.2, 0.1])
    return first + "".join(str(d) for d in rng.integers(0, 10, 9))


def house_density(x: float, y: float) -> float:
    d = 0.15
    for hx, hy, w in HAMLETS_DESIGN:
        d += w * math.exp(-((x - hx * SCALE) ** 2 + (y - hy * SCALE) ** 2) / (2 * (160 * SCALE) ** 2))
    return d


def serves_houses(p: Record) -> bool:
    return p["pipe_function"] == "distribution" and p["material"] != "GI"


def candidate_house(rng: np.random.Generator, pipe: LineString) -> Point:
    d = rng.uniform(3.0, pipe.length - 3.0)
    a, b = pipe.interpolate(max(d - 1.0, 0.0)), pipe.interpolate(min(d + 1.0, pipe.length))
    length = math.hypot(b.x - a.x, b.y - a.y)
    nx_, ny_ = -(b.y - a.y) / length, (b.x - a.x) / length
    off = rng.uniform(5.0, 26.0) * rng.choice([-1.0, 1.0])
    p = pipe.interpolate(d)
    return Point(round(p.x + off * nx_, 2), round(p.y + off * ny_, 2))


@dataclass
class HouseSite:
    """Where a house may stand: near a serving pipe, not in the stream, not on a road."""

    pipes: list[Record]
    tree: shapely.STRtree
    area: Polygon
    stream: LineString

    def nearest_pipe(self, pt: Point) -> tuple[Record, float]:
        idx = int(self.tree.nearest(pt))
        return self.pipes[idx], float(self.pipes[idx]["geometry"].distance(pt))

    def ok(self, pt: Point) -> bool:
        if not self.area.contains(pt) or pt.distance(self.stream) < 35.0:
            return False
        pipe, dist = self.nearest_pipe(pt)
        return serves_houses(pipe) and 5.0 <= dist <= 27.0


class SpacingGrid:
    """Keeps houses at least ``spacing`` metres apart (a hash grid, fast enough for a few hundred)."""

    def __init__(self, spacing: float) -> None:
        self.spacing = spacing
        self.cells: dict[tuple[int, int], list[Point]] = {}

    def _cell(self, p: Point) -> tuple[int, int]:
        return int(p.x // self.spacing), int(p.y // self.spacing)

    def free(self, p: Point) -> bool:
        cx, cy = self._cell(p)
        near = (q for dx in (-1, 0, 1) for dy in (-1, 0, 1) for q in self.cells.get((cx + dx, cy + dy), []))
        return all(q.distance(p) >= self.spacing for q in near)

    def add(self, p: Point) -> None:
        self.cells.setdefault(self._cell(p), []).append(p)


def place_houses(seed: int, net: Network, area: Polygon, stream: LineString) -> list[Point]:
    rng = sub_rng(seed, "houses")
    site = HouseSite(net.pipes, shapely.STRtree([p["geometry"] for p in net.pipes]), area, stream)
    serving = [p for p in net.pipes if serves_houses(p)]
    weights = np.array([p["geometry"].length for p in serving])
    weights /= weights.sum()
    d_max = max(house_density(hx * SCALE, hy * SCALE) for hx, hy, _ in HAMLETS_DESIGN)
    houses: list[Point] = []
    spacing = SpacingGrid(9.0)
    for _ in range(200000):
        if len(houses) >= N_FHTC:
            break
        pt = candidate_house(rng, serving[rng.choice(len(serving), p=weights)]["geometry"])
        if rng.random() * d_max > house_density(pt.x, pt.y) or not site.ok(pt) or not spacing.free(pt):
            continue
        houses.append(pt)
        spacing.add(pt)
    if len(houses) < N_FHTC:
        raise RuntimeError(f"could only place {len(houses)} houses")
    return houses


def fhtc_records(seed: int, net: Network, villages: list[Record], houses: list[Point]) -> list[Record]:
    rng = sub_rng(seed, "fhtc-attr")
    tree = shapely.STRtree([p["geometry"] for p in net.pipes])
    laid = {p["pipe_id"]: date.fromisoformat(p["laid_date"]) for p in net.pipes}
    rows = []
    for h in houses:
        pipe = net.pipes[int(tree.nearest(h))]
        village = next(v for v in villages if v["geometry"].contains(h))
        rows.append((village["village_id"], pipe["pipe_id"], pipe["geometry"].project(h), h))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    recs = []
    for i, (vid, pid, _, h) in enumerate(rows, 1):
        start = max(laid[pid] + timedelta(days=45), date(2022, 5, 1))
        recs.append({
            "fhtc_id": f"F-{i:04d}", "scheme_id": SCHEME_ID, "village_id": vid, "household_head": person_name(rng),
            "phone": phone_number(rng), "persons": int(min(max(rng.poisson(4.8), 1), 14)),
            "connected": iso(random_date(rng, start, date(2024, 2, 29))),
            "status": str(rng.choice(["functional", "non_functional", "disconnected"], p=[0.93, 0.05, 0.02])),
            "pipe_id": pid, "household_id": f"HH-{vid}-{i:04d}", "geometry": h,
        })  # fmt: skip
    return recs


# ---------------------------------------------------------------------------------------
# Flood depth (EPSG:32646, 10 m) and extent
# ---------------------------------------------------------------------------------------
FLOOD_CUT = (1080.0, 800.0)  # local x, y beyond which the flood model has no cells (east, north)
NODATA_PATCH = (690.0, -430.0, 830.0, -330.0)  # local xmin, ymin, xmax, ymax: a model hole
SOURCE_DEPTH_M = 0.7
FLOOD_EVENT = "Nalbari flood, first monsoon wave, July 2024 (synthetic)"


def flood_grid_frame(area: Polygon) -> tuple[Affine, int, int]:
    x0, y0, _, _ = area.bounds
    ux0 = math.floor((x0 - 40 + ORIGIN_UTM[0]) / 10) * 10
    uy0 = math.floor((y0 - 40 + ORIGIN_UTM[1]) / 10) * 10
    ux1 = math.ceil((FLOOD_CUT[0] + ORIGIN_UTM[0]) / 10) * 10
    uy1 = math.ceil((FLOOD_CUT[1] + ORIGIN_UTM[1]) / 10) * 10
    return Affine(10.0, 0.0, ux0, 0.0, -10.0, uy1), (ux1 - ux0) // 10, (uy1 - uy0) // 10


@dataclass(frozen=True)
class FloodModel:
    """Ground on the flood grid, and where each cell is (north, distance from the stream)."""

    ground: Grid
    lx: np.ndarray
    ly: np.ndarray
    d_stream: np.ndarray

    def depth(self, source: Xy, along: float, across: float) -> np.ndarray:
        """Water surface through the borewell site at SOURCE_DEPTH_M, rising *along* m/m
        upstream (north) and falling *across* m/m away from the channel; depth below 0.1 m is dry."""
        r, c = rowcol(self.ground, *source)
        ws = (self.ground.values[r, c] + SOURCE_DEPTH_M + along * (self.ly - self.ly[r, c])
              - across * (self.d_stream - self.d_stream[r, c]))  # fmt: skip
        depth = np.round(ws - self.ground.values, 2)
        return np.where(depth < 0.1, 0.0, depth)


def flood_model(area: Polygon, terrain: Terrain) -> FloodModel:
    transform, w, h = flood_grid_frame(area)
    cols, rows = np.meshgrid(np.arange(w), np.arange(h))
    ux, uy = transform.c + (cols + 0.5) * transform.a, transform.f + (rows + 0.5) * transform.e
    lx, ly = ux - ORIGIN_UTM[0], uy - ORIGIN_UTM[1]
    d = shapely.distance(shapely.points(lx.ravel(), ly.ravel()), terrain.stream).reshape(lx.shape)
    return FloodModel(Grid(terrain(lx, ly), transform, f"EPSG:{WORK_EPSG}"), lx, ly, d)


def rowcol(grid: Grid, x: float, y: float) -> tuple[int, int]:
    """Cell of a local point in a UTM grid."""
    col, row = grid.colrow(x + ORIGIN_UTM[0], y + ORIGIN_UTM[1])
    return int(math.floor(row)), int(math.floor(col))


def sample_nearest(grid: Grid, pts: list[Point]) -> np.ndarray:
    """Cell value under each local point; NaN off the raster or on nodata."""
    out = np.full(len(pts), np.nan)
    h, w = grid.values.shape
    for i, p in enumerate(pts):
        r, c = rowcol(grid, p.x, p.y)
        if 0 <= r < h and 0 <= c < w and grid.values[r, c] != NODATA:
            out[i] = grid.values[r, c]
    return out


def make_flood(area: Polygon, terrain: Terrain, source: Xy, oht: Xy, fhtc: list[Point]) -> tuple[Grid, float, float]:
    """Pick the water-surface slopes that flood ~30 % of the taps, keep the OHT dry and
    the deepest water (in the channel) at about 2.5 m."""
    model = flood_model(area, terrain)
    lx, ly = model.lx, model.ly
    hole = (lx >= NODATA_PATCH[0]) & (lx <= NODATA_PATCH[2]) & (ly >= NODATA_PATCH[1]) & (ly <= NODATA_PATCH[3])
    best, best_score = None, math.inf
    for along in np.round(np.arange(0.0, 0.00221, 0.0001), 4):
        for across in np.round(np.arange(0.0, 0.00121, 0.0001), 4):
            depth = model.depth(source, float(along), float(across))
            grid = Grid(np.where(hole, NODATA, depth).astype("float32"), model.ground.transform, model.ground.crs)
            if sample_nearest(grid, [Point(oht)])[0] != 0.0 or depth.max() > 2.6:
                continue
            score = abs(float(np.mean(np.nan_to_num(sample_nearest(grid, fhtc)) > 0)) - 0.30)
            if score < best_score - 1e-9:
                best, best_score = (grid, float(along), float(across)), score
    if best is None:
        raise RuntimeError("no water surface keeps the OHT dry")
    return best


def flood_extent(flood: Grid) -> list[Record]:
    wet = ((flood.values > 0) & (flood.values != NODATA)).astype("uint8")
    recs = []
    for geom, _ in shapes(wet, mask=wet.astype(bool), transform=flood.transform):
        poly = translate(shape(geom), -ORIGIN_UTM[0], -ORIGIN_UTM[1])
        recs.append({
            "event": FLOOD_EVENT, "date": "2024-07-03", "source": "synthetic ASDMA-style",
            "area_ha": round(poly.area / 1e4, 2), "geometry": MultiPolygon([poly]),
        })  # fmt: skip
    recs.sort(key=lambda r: -r["area_ha"])
    return recs


# ---------------------------------------------------------------------------------------
# Contractor files: new branches walked with a phone GPS, and one duplicate re-walk
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Branch:
    """A new branch pipe as really laid (the truth the GPS files approximate)."""

    branch_id: str
    source_file: str
    attach: str  # "end:<node>", "node:<node>" or "tee:<a>-<b>"
    start_design: Xy | None
    path_design: list[Xy]
    diameter_mm: float
    material: str
    laid: date


BRANCHES = [
    Branch("BR-01", "tracks_2024-03.gpx", "end:WS2", None, [(-872, -1060), (-1180, -1085)], 63, "UPVC",
           date(2024, 3, 11)),
    Branch("BR-02", "tracks_2024-03.gpx", "tee:WN1-WNW", (-1130, 432), [(-1135, 760), (-1350, 780)], 63, "HDPE",
           date(2024, 3, 13)),
    Branch("BR-03", "route_old.gpx", "node:N2", None, [(330, 735), (355, 980)], 75, "HDPE", date(2023, 12, 5)),
    Branch("BR-04", "contractor_export.kml", "tee:ES1-ES2", (1163, -680), [(1400, -700), (1410, -1060)], 63, "HDPE",
           date(2024, 3, 20)),
    Branch("BR-05", "contractor_export.kml", "end:CS2", None, [(-425, -1090), (-160, -1110)], 63, "HDPE",
           date(2024, 3, 22)),
    Branch("BR-06", "contractor_export.kmz", "tee:EN1-EN2", (1160, 640), [(960, 655), (955, 900)], 63, "HDPE",
           date(2024, 3, 26)),
]
DUPLICATE_EDGE = ("CS1", "CSE")  # the registry pipe re-walked in gps_log.csv


def branch_start(br: Branch, net: Network) -> tuple[Xy, str]:
    kind, ref = br.attach.split(":")
    if kind in ("end", "node"):
        return net.node_xy[ref], net.node_id[ref]
    pipe = net.pipe(*ref.split("-"))
    line: LineString = pipe["geometry"]
    p = line.interpolate(line.project(Point(scaled(br.start_design))))
    return (round(p.x, 3), round(p.y, 3)), pipe["pipe_id"]


def branch_truth(seed: int, net: Network) -> list[Record]:
    rng = sub_rng(seed, "branches")
    recs = []
    for br in BRANCHES:
        start, attach_to = branch_start(br, net)
        bends = [(x + rng.normal(0, 2.0), y + rng.normal(0, 2.0)) for x, y in map(scaled, br.path_design)]
        line = LineString([start, *wiggle([start, *bends], rng)[1:]])
        recs.append({
            "branch_id": br.branch_id, "source_file": br.source_file, "diameter_mm": float(br.diameter_mm),
            "material": br.material, "attach_kind": br.attach.split(":")[0], "attach_to": attach_to,
            "length_m": round(line.length, 1), "geometry": line,
        })  # fmt: skip
    return recs


@dataclass(frozen=True)
class WalkSpec:
    """How a walk was logged, and the faults in it (counts fixed, positions seeded)."""

    dt_s: int
    sigma_m: float
    spikes: int
    standstills: tuple[tuple[float, int], ...]  # (fraction of the walk, seconds standing)
    gap: tuple[float, float, int] | None  # (from fraction, to fraction, minutes of lost fix)
    start_off_m: float
    overshoot_m: float
    start: datetime  # local time (IST)
    reverse: bool = False


WALKS = {
    "BR-01": WalkSpec(1, 3.5, 3, ((0.42, 90),), None, 4.0, 12.0, datetime(2024, 3, 12, 10, 5, 14, tzinfo=IST)),
    "BR-02": WalkSpec(2, 4.0, 2, ((0.2, 60),), (0.46, 0.54, 26), 6.0, 15.0,
                      datetime(2024, 3, 14, 9, 41, 2, tzinfo=IST)),
    "BR-03": WalkSpec(5, 5.0, 1, (), None, 5.0, 8.0, datetime(2023, 12, 6, 15, 12, 40, tzinfo=IST)),
    "BR-04": WalkSpec(3, 4.0, 2, ((0.55, 75),), None, 5.0, 10.0, datetime(2024, 3, 21, 11, 20, 0, tzinfo=IST)),
    "BR-05": WalkSpec(2, 3.0, 1, ((0.3, 120),), None, 3.0, 18.0, datetime(2024, 3, 22, 8, 55, 31, tzinfo=IST)),
    "BR-06": WalkSpec(5, 4.0, 2, (), None, 7.0, 7.0, datetime(2024, 3, 27, 14, 2, 9, tzinfo=IST)),
    "DUP": WalkSpec(1, 3.5, 2, ((0.6, 45),), None, 4.0, 6.0, datetime(2024, 3, 19, 16, 30, 45, tzinfo=IST), True),
}


@dataclass
class Walk:
    """A simulated GPS log in local metres."""

    x: np.ndarray
    y: np.ndarray
    t: list[datetime]
    ele: np.ndarray
    acc: np.ndarray
    seg: np.ndarray  # segment index (a new one after a gap)
    spike: np.ndarray  # bool
    split_at: int  # index after the first standstill (where a field app may cut the line)


def ar1(rng: np.random.Generator, n: int, sigma: float, phi: float = 0.85) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0, sigma)
    step = sigma * math.sqrt(1 - phi * phi)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, step)
    return e


def walk_path(line: LineString, spec: WalkSpec, rng: np.random.Generator) -> LineString:
    """The route actually walked: from a few metres off the network to past the end."""
    coords = list(line.coords)[::-1] if spec.reverse else list(line.coords)
    (ax, ay), (bx, by) = coords[0], coords[1]
    ln = math.hypot(bx - ax, by - ay)
    side = rng.choice([-1.0, 1.0])
    start = (ax - (by - ay) / ln * spec.start_off_m * side, ay + (bx - ax) / ln * spec.start_off_m * side)
    (px, py), (qx, qy) = coords[-2], coords[-1]
    lq = math.hypot(qx - px, qy - py)
    end = (qx + (qx - px) / lq * spec.overshoot_m, qy + (qy - py) / lq * spec.overshoot_m)
    return LineString([start, *coords[1:], end])


def walk_distances(path: LineString, spec: WalkSpec, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    speed = np.clip(1.0 + ar1(rng, int(path.length / spec.dt_s) * 3 + 10, 0.15, 0.9), 0.6, 1.5)
    s = np.concatenate([[0.0], np.cumsum(speed * spec.dt_s)])
    s = np.append(s[s < path.length], path.length)
    split_at = 0
    for frac, secs in sorted(spec.standstills, reverse=True):
        k = int(np.searchsorted(s, frac * path.length))
        s = np.concatenate([s[:k], np.full(secs // spec.dt_s, s[k]), s[k:]])
        split_at = k + secs // spec.dt_s
    return s, split_at


def spike_fix(rng: np.random.Generator, path: LineString, x: float, y: float) -> tuple[float, float]:
    """A multipath outlier: 50-300 m from the true fix and at least 40 m off the route walked."""
    while True:
        r, a = rng.uniform(50, 300), rng.uniform(0, 2 * math.pi)
        sx, sy = x + r * math.cos(a), y + r * math.sin(a)
        if path.distance(Point(sx, sy)) >= 40.0:
            return sx, sy


def simulate_walk(line: LineString, spec: WalkSpec, rng: np.random.Generator, terrain: Terrain) -> Walk:
    path = walk_path(line, spec, rng)
    s, split_at = walk_distances(path, spec, rng)
    secs = np.arange(len(s)) * spec.dt_s
    seg = np.zeros(len(s), dtype=int)
    if spec.gap:
        keep = (s < spec.gap[0] * path.length) | (s > spec.gap[1] * path.length)
        after = s > spec.gap[1] * path.length
        secs = np.where(after, secs + spec.gap[2] * 60, secs)
        seg = np.where(after, 1, 0)
        s, secs, seg = s[keep], secs[keep], seg[keep]
    pts = shapely.line_interpolate_point(path, s)
    tx, ty = shapely.get_x(pts), shapely.get_y(pts)
    x, y = tx + ar1(rng, len(s), spec.sigma_m), ty + ar1(rng, len(s), spec.sigma_m)
    spike = np.zeros(len(s), dtype=bool)
    moving = np.flatnonzero(np.diff(s, prepend=-1.0) > 0)
    for k in rng.choice(moving[6:-6], size=spec.spikes, replace=False):
        x[k], y[k] = spike_fix(rng, path, x[k], y[k])
        spike[k] = True
    ele = np.round(terrain(tx, ty) + 1.2 + ar1(rng, len(s), 2.5, 0.95), 1)
    acc = np.round(2.0 + 0.3 * spec.sigma_m + np.abs(rng.normal(0, 1.5, len(s))), 1)
    acc[spike] = np.round(rng.uniform(8, 60, spike.sum()), 1)
    times = [spec.start + timedelta(seconds=int(v)) for v in secs]
    return Walk(np.round(x, 2), np.round(y, 2), times, ele, acc, seg, spike, split_at)


def make_walks(seed: int, truth: list[Record], net: Network, terrain: Terrain) -> dict[str, Walk]:
    lines = {r["branch_id"]: r["geometry"] for r in truth}
    lines["DUP"] = net.pipe(*DUPLICATE_EDGE)["geometry"]
    return {name: simulate_walk(lines[name], spec, sub_rng(seed, f"walk-{name}"), terrain) for name, spec in WALKS.items()}


def new_houses(seed: int, truth: list[Record], branch_id: str, n: int) -> list[Point]:
    """Houses along a new branch (not in the registry yet), as the app recorded them."""
    rng = sub_rng(seed, f"new-houses-{branch_id}")
    line = next(r["geometry"] for r in truth if r["branch_id"] == branch_id)
    out = []
    for d in np.sort(rng.uniform(20, line.length - 10, n)):
        p, q = line.interpolate(d - 1), line.interpolate(d + 1)
        ln = math.hypot(q.x - p.x, q.y - p.y)
        off = rng.uniform(8, 25) * rng.choice([-1.0, 1.0]) + rng.normal(0, 3)
        c = line.interpolate(d)
        out.append(Point(round(c.x - (q.y - p.y) / ln * off, 2), round(c.y + (q.x - p.x) / ln * off, 2)))
    return out


# --- writers ---------------------------------------------------------------------------
def utc_z(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ll(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = local_to_lonlat(np.atleast_1d(x), np.atleast_1d(y))
    return np.round(lon, 7), np.round(lat, 7)


def attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def gpx_points(walk: Walk, tag: str, idx: np.ndarray) -> list[str]:
    lon, lat = ll(walk.x[idx], walk.y[idx])
    return [
        f'      <{tag} lat="{la:.7f}" lon="{lo:.7f}"><ele>{e:.1f}</ele><time>{utc_z(walk.t[i])}</time></{tag}>'
        for lo, la, e, i in zip(lon, lat, walk.ele[idx], idx)
    ]


def gpx_waypoint(name: str, desc: str, p: Point, ele: float, t: datetime) -> str:
    lon, lat = ll(p.x, p.y)
    return (f'  <wpt lat="{lat[0]:.7f}" lon="{lon[0]:.7f}"><ele>{ele:.1f}</ele><time>{utc_z(t)}</time>'
            f"<name>{escape(name)}</name><desc>{escape(desc)}</desc><sym>Flag, Blue</sym></wpt>")


def write_gpx11(path: Path, walks: dict[str, Walk], truth: list[Record], seed: int, terrain: Terrain) -> None:
    rng = sub_rng(seed, "gpx-waypoints")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="GPS Logger for Android 3.2.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">',
        "  <metadata>",
        "    <name>Bhabanipur PWSS - branch lines laid March 2024</name>",
        f"    <time>{utc_z(WALKS['BR-01'].start)}</time>",
        "  </metadata>",
    ]
    for r in truth[:2]:
        walk = walks[r["branch_id"]]
        p = r["geometry"].interpolate(3.0)
        p = Point(p.x + rng.normal(0, 3), p.y + rng.normal(0, 3))
        z = float(terrain(p.x, p.y)) + 1.2
        desc = f"Sluice valve {r['diameter_mm']:.0f} mm at start of {r['branch_id']}"
        lines.append(gpx_waypoint(f"SV {r['branch_id']}", desc, p, z, walk.t[2]))
    for r in truth[:2]:
        walk = walks[r["branch_id"]]
        lines += ["  <trk>", f"    <name>{r['branch_id']}</name>",
                  f"    <desc>{r['material']} {r['diameter_mm']:.0f} mm as laid</desc>"]
        for seg in np.unique(walk.seg):
            lines += ["    <trkseg>", *gpx_points(walk, "trkpt", np.flatnonzero(walk.seg == seg)), "    </trkseg>"]
        lines.append("  </trk>")
    lines.append("</gpx>")
    write_text(path, lines)


def write_gpx10(path: Path, walk: Walk, branch: Record) -> None:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.0" creator="Garmin eTrex 10 / MapSource 6.16" xmlns="http://www.topografix.com/GPX/1/0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/0 http://www.topografix.com/GPX/1/0/gpx.xsd">',
        f"  <time>{utc_z(walk.t[0])}</time>",
        "  <rte>",
        f"    <name>{branch['branch_id']} old route</name>",
        f"    <desc>{branch['material']} {branch['diameter_mm']:.0f} mm, walked Dec 2023</desc>",
        "    <number>3</number>",
        *[ln.replace("      <rtept", "    <rtept") for ln in gpx_points(walk, "rtept", np.arange(len(walk.x)))],
        "  </rte>",
        "</gpx>",
    ]
    write_text(path, lines)


def kml_coords(walk: Walk, idx: np.ndarray, three_d: bool) -> str:
    lon, lat = ll(walk.x[idx], walk.y[idx])
    if three_d:
        return " ".join(f"{lo:.7f},{la:.7f},{e:.1f}" for lo, la, e in zip(lon, lat, walk.ele[idx]))
    return " ".join(f"{lo:.7f},{la:.7f}" for lo, la in zip(lon, lat))


def kml_data(fields: dict[str, str]) -> list[str]:
    out = ["        <ExtendedData>"]
    out += [f'          <Data name="{attr(k)}"><value>{escape(v)}</value></Data>' for k, v in fields.items()]
    return out + ["        </ExtendedData>"]


def branch_fields(r: Record, wo: str) -> dict[str, str]:
    br = next(b for b in BRANCHES if b.branch_id == r["branch_id"])
    return {
        "pipe_id": f"{wo}/{r['branch_id']}", "diameter": f"{r['diameter_mm']:.0f} mm", "material": r["material"],
        "laid_date": iso(br.laid), "scheme_id": SCHEME_ID,
    }  # fmt: skip


def kml_house_placemarks(seed: int, houses: list[Point], branch_id: str, village: str) -> list[str]:
    rng = sub_rng(seed, f"kml-houses-{branch_id}")
    out = []
    for i, h in enumerate(houses, 1):
        lon, lat = ll(h.x, h.y)
        out += [
            "      <Placemark>", f"        <name>FHTC {branch_id}-H{i:02d}</name>", "        <styleUrl>#tap</styleUrl>",
            *kml_data({"household_head": person_name(rng), "village": village, "fhtc": "yes", "scheme_id": SCHEME_ID}),
            f"        <Point><coordinates>{lon[0]:.7f},{lat[0]:.7f},0</coordinates></Point>", "      </Placemark>",
        ]  # fmt: skip
    return out


def kml_multigeometry_placemark(walk: Walk, r: Record, wo: str) -> list[str]:
    k = walk.split_at
    part1, part2 = np.arange(0, k), np.arange(k, len(walk.x))
    return [
        "      <Placemark>", f"        <name>{r['branch_id']} HDPE {r['diameter_mm']:.0f} mm</name>",
        "        <description>নতুন শাখা পাইপলাইন (new branch line), Dighalighat ward 4</description>",
        "        <styleUrl>#pipe</styleUrl>", *kml_data(branch_fields(r, wo)),
        "        <MultiGeometry>",
        f"          <LineString><tessellate>1</tessellate><coordinates>{kml_coords(walk, part1, True)}"
        "</coordinates></LineString>",
        f"          <LineString><coordinates>{kml_coords(walk, part2, False)}</coordinates></LineString>",
        "        </MultiGeometry>", "      </Placemark>",
    ]  # fmt: skip


def kml_track_placemark(walk: Walk, r: Record, wo: str) -> list[str]:
    lon, lat = ll(walk.x, walk.y)
    fields = branch_fields(r, wo)
    simple = [f'            <SimpleData name="{k}">{escape(v)}</SimpleData>' for k, v in fields.items()]
    return [
        "      <Placemark>", f"        <name>{r['branch_id']} track</name>",
        "        <description>ভবানীপুৰ: নতুন পাইপ (HDPE 63 mm), ক্ষেত্ৰ অভিযন্তাৰ জৰীপ</description>",
        "        <styleUrl>#pipe</styleUrl>",
        "        <ExtendedData>", '          <SchemaData schemaUrl="#jalnet_pipe">', *simple,
        "          </SchemaData>", "        </ExtendedData>",
        "        <gx:Track>", "          <altitudeMode>clampToGround</altitudeMode>",
        *[f"          <when>{t.isoformat()}</when>" for t in walk.t],
        *[f"          <gx:coord>{lo:.7f} {la:.7f} {e:.1f}</gx:coord>" for lo, la, e in zip(lon, lat, walk.ele)],
        "        </gx:Track>", "      </Placemark>",
    ]  # fmt: skip


KML_HEAD = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">',
    "<Document>",
]
KML_STYLES = [
    '  <Style id="pipe"><LineStyle><color>ffff7f00</color><width>3</width></LineStyle></Style>',
    '  <Style id="tap"><IconStyle><scale>0.6</scale></IconStyle></Style>',
]


def kml_schema() -> list[str]:
    fields = ["pipe_id", "diameter", "material", "laid_date", "scheme_id"]
    return [
        '  <Schema name="jalnet_pipe" id="jalnet_pipe">',
        *[f'    <SimpleField name="{f}" type="string"></SimpleField>' for f in fields],
        "  </Schema>",
    ]


def write_kml(path: Path, seed: int, walks: dict[str, Walk], truth: list[Record]) -> None:
    by_id = {r["branch_id"]: r for r in truth}
    lines = [
        *KML_HEAD, "  <name>Bhabanipur PWSS as-laid export (JJM Field app)</name>", *KML_STYLES, *kml_schema(),
        "  <Folder>", "    <name>Bhabanipur PWSS (4010457) ভবানীপুৰ পাইপ জলযোগান আঁচনি</name>",
        "    <Folder>", "    <name>WO-117 NLB PHED 2023-24 Dighalighat extension</name>",
        *kml_multigeometry_placemark(walks["BR-04"], by_id["BR-04"], "WO117"),
        *kml_house_placemarks(seed, new_houses(seed, truth, "BR-04", 7), "BR-04", "Dighalighat"),
        "    </Folder>",
        "    <Folder>", "    <name>WO-121 NLB PHED 2023-24 Bhabanipur south</name>",
        *kml_track_placemark(walks["BR-05"], by_id["BR-05"], "WO121"),
        *kml_house_placemarks(seed, new_houses(seed, truth, "BR-05", 9), "BR-05", "Bhabanipur"),
        "    </Folder>",
        "  </Folder>", "</Document>", "</kml>",
    ]  # fmt: skip
    write_text(path, lines)


def kmz_doc(walk: Walk, r: Record) -> list[str]:
    return [
        *KML_HEAD, "  <name>BR-06 Dighalighat north (export)</name>", KML_STYLES[0],
        "  <Folder>", "    <name>WO-126 NLB PHED 2023-24 Dighalighat north</name>",
        "      <Placemark>", f"        <name>{r['branch_id']} HDPE {r['diameter_mm']:.0f} mm</name>",
        "        <description>দীঘলীঘাট উত্তৰ, নতুন শাখা</description>", "        <styleUrl>#pipe</styleUrl>",
        *kml_data(branch_fields(r, "WO126")),
        f"        <LineString><coordinates>{kml_coords(walk, np.arange(len(walk.x)), True)}</coordinates></LineString>",
        "      </Placemark>", "  </Folder>", "</Document>", "</kml>",
    ]  # fmt: skip


def write_kmz(path: Path, walk: Walk, r: Record) -> None:
    info = zipfile.ZipInfo("doc.kml", date_time=(2024, 3, 27, 18, 30, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "\n".join(kmz_doc(walk, r)) + "\n")


def write_gps_csv(path: Path, walk: Walk, track_id: str) -> None:
    lon, lat = ll(walk.x, walk.y)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["track_id", "latitude", "longitude", "time", "accuracy"])
        for la, lo, t, a in zip(lat, lon, walk.t, walk.acc):
            w.writerow([track_id, f"{la:.7f}", f"{lo:.7f}", t.isoformat(), f"{a:.1f}"])


def write_text(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_contractor_files(out: Path, seed: int, walks: dict[str, Walk], truth: list[Record], terrain: Terrain) -> None:
    folder = out / "contractor"
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {r["branch_id"]: r for r in truth}
    write_gpx11(folder / "tracks_2024-03.gpx", walks, truth, seed, terrain)
    write_gpx10(folder / "route_old.gpx", walks["BR-03"], by_id["BR-03"])
    write_kml(folder / "contractor_export.kml", seed, walks, truth)
    write_kmz(folder / "contractor_export.kmz", walks["BR-06"], by_id["BR-06"])
    write_gps_csv(folder / "gps_log.csv", walks["DUP"], "LOG-20240319-01")
    truth_gdf = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geometry"} for r in truth],
        geometry=[geom_to_utm(r["geometry"]) for r in truth], crs=f"EPSG:{WORK_EPSG}",
    )  # fmt: skip
    (folder / "truth.gpkg").unlink(missing_ok=True)
    write_layer(truth_gdf, folder / "truth.gpkg", "true_branches")


# ---------------------------------------------------------------------------------------
# Lithologs: Brahmaputra alluvium along a NW-SE line through the production well
# ---------------------------------------------------------------------------------------
UNITS = [  # lithology, base depth at the production well, thickening per km NW, sd, aquifer, description
    ("top_soil", 1.2, 0.0, 0.2, "no", "Brownish grey silty top soil with roots"),
    ("silty_clay", 9.0, 1.5, 0.8, "no", "Grey silty clay, soft, micaceous"),
    ("fine_sand", 24.0, 2.0, 0.8, "yes", "Grey fine micaceous sand"),
    ("sandy_clay", 29.0, 2.0, 0.8, "no", "Grey sandy clay lens"),
    ("medium_sand", 58.0, 3.0, 0.8, "yes", "Grey medium sand with quartz and mica flakes"),
    ("clay", 64.0, 3.0, 0.8, "no", "Bluish grey sticky clay"),
    ("coarse_sand", 100.0, 2.0, 0.8, "yes", "Coarse grey sand with pebbles"),
    ("gravel", 116.0, 2.0, 0.8, "yes", "Gravel and pebbles with coarse sand"),
    ("clay", 400.0, 0.0, 0.0, "no", "Stiff grey clay (aquitard)"),
]  # fmt: skip
WELL_DEPTH_M = 120.0
HOUSING_M = 24.0  # pump housing (250 mm) from the surface

BOREHOLES = [  # id, km from the production well toward the NW, drilled depth, swl, yield, date, method, flags
    ("BH-01", 0.0, 126.0, 4.2, 600.0, date(2021, 1, 18), "direct_rotary", ("no", "no", "yes")),
    ("BH-02", 0.6, 92.0, 3.8, 540.0, date(2019, 11, 27), "direct_rotary", ("no", "no", "yes")),
    ("BH-03", 1.3, 150.0, 3.1, 780.0, date(2020, 1, 9), "reverse_rotary", ("yes", "no", "yes")),
    ("BH-04", 2.0, 75.0, 2.7, 420.0, date(2020, 2, 14), "direct_rotary", ("no", "no", "yes")),
    ("BH-05", 2.6, 120.0, 2.4, 690.0, date(2020, 3, 3), "direct_rotary", ("no", "no", "no")),
]
SECTION_DIR = (-0.55, 0.835)  # unit vector toward the NW (local x, y)


def borehole_xy(seed: int, source: Xy) -> list[Xy]:
    rng = sub_rng(seed, "boreholes")
    out = []
    for _, km, *_ in BOREHOLES:
        lateral = 0.0 if km == 0 else rng.normal(0, 40)
        out.append((source[0] + km * 1000 * SECTION_DIR[0] + lateral * SECTION_DIR[1],
                    source[1] + km * 1000 * SECTION_DIR[1] - lateral * SECTION_DIR[0]))  # fmt: skip
    return out


def borehole_intervals(rng: np.random.Generator, bh: str, km: float, depth: float) -> list[list[Any]]:
    rows, top = [], 0.0
    for lith, base, per_km, sd, aquifer, desc in UNITS:
        if lith == "sandy_clay" and km > 1.5:  # the lens pinches out toward the NW
            continue
        bottom = min(round(base + per_km * km + rng.normal(0, sd), 1), depth)
        if bottom <= top:
            continue
        rows.append([bh, round(top, 1), bottom, lith, desc, aquifer])
        top = bottom
        if top >= depth:
            break
    return rows


SCREENS = [("medium_sand", 3.0, 12.0, 1.0), ("coarse_sand", 4.0, 12.0, 1.5), ("coarse_sand", 20.0, 12.0, 1.5),
           ("gravel", 1.0, 9.0, 2.0)]  # unit, metres below its top, length, slot (mm)


def screen_intervals(intervals: list[list[Any]]) -> list[tuple[float, float, float]]:
    """Screens set in the aquifer sands and gravel, at least 1 m inside each unit."""
    out = []
    for lith, below_top, length, slot in SCREENS:
        unit = next(r for r in intervals if r[3] == lith)
        top = round(unit[1] + below_top, 1)
        out.append((top, round(min(top + length, unit[2] - 1.0), 1), slot))
    return out


def production_construction(intervals: list[list[Any]]) -> list[list[Any]]:
    """Housing casing, blank pipe between screens, tail pipe, gravel pack and seals."""
    bh, screens = "BH-01", screen_intervals(intervals)
    rows: list[list[Any]] = [[bh, 0.0, 6.0, "seal", "", 375], [bh, 0.0, HOUSING_M, "casing", "", 250]]
    depth = HOUSING_M
    for top, bottom, slot in screens:
        rows += [[bh, depth, top, "casing", "", 150], [bh, top, bottom, "screen", slot, 150]]
        depth = bottom
    gravel_top = round(screens[0][0] - 5.0, 1)
    rows += [[bh, depth, WELL_DEPTH_M, "casing", "", 150], [bh, round(gravel_top - 2.0, 1), gravel_top, "seal", "", 375],
             [bh, gravel_top, WELL_DEPTH_M, "gravel_pack", "", 375]]  # fmt: skip
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_lithology(out: Path, seed: int, source: Xy, dem: Grid) -> dict[str, list[list[Any]]]:
    folder = out / "lithology"
    folder.mkdir(parents=True, exist_ok=True)
    rng = sub_rng(seed, "lithology")
    xy = borehole_xy(seed, source)
    lon, lat = ll([p[0] for p in xy], [p[1] for p in xy])
    collar = elevation_at(dem, [p[0] for p in xy], [p[1] for p in xy])
    holes, intervals = [], []
    for (bh, km, depth, swl, yld, drilled, method, flags), lo, la, z in zip(BOREHOLES, lon, lat, collar):
        src = "SRC-01" if bh == "BH-01" else ""
        holes.append([bh, f"{lo:.7f}", f"{la:.7f}", f"{z:.2f}", depth, swl, yld, src, SCHEME_ID, iso(drilled),
                      method, *flags])  # fmt: skip
        intervals += borehole_intervals(rng, bh, km, depth)
    construction = production_construction([r for r in intervals if r[0] == "BH-01"])
    write_csv(folder / "boreholes.csv", ["borehole_id", "longitude", "latitude", "collar_elev_m", "drilled_depth_m",
              "swl_m", "yield_lpm", "source_id", "scheme_id", "drilled_date", "drilling_method", "arsenic_flag",
              "fluoride_flag", "iron_flag"], holes)  # fmt: skip
    write_csv(folder / "intervals.csv", ["borehole_id", "from_m", "to_m", "lithology", "description", "aquifer"],
              intervals)  # fmt: skip
    write_csv(folder / "construction.csv", ["borehole_id", "from_m", "to_m", "kind", "slot_mm", "diameter_mm"],
              construction)  # fmt: skip
    return {"boreholes": holes, "intervals": intervals, "construction": construction}


# ---------------------------------------------------------------------------------------
# Writing the registry GeoPackage and rasters
# ---------------------------------------------------------------------------------------
def schema_module() -> Any:
    """``jalnet.registry.schema``, also when the script runs from a checkout without installing jalnet."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from jalnet.registry import schema

    return schema


def layer_frame(name: str, recs: list[Record]) -> pd.DataFrame:
    """Records in the schema's field order, geometry in lon/lat (EPSG:4326)."""
    fields = [f for f in schema_module().layer(name).field_names if f in recs[0]]
    df = pd.DataFrame([{f: r[f] for f in fields} for r in recs], columns=fields)
    if "geometry" not in recs[0]:
        return df
    return gpd.GeoDataFrame(df, geometry=[geom_to_lonlat(r["geometry"]) for r in recs], crs="EPSG:4326")


def write_layer(df: pd.DataFrame, path: Path, layer: str) -> None:
    multi = isinstance(df, gpd.GeoDataFrame) and df.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    pyogrio.write_dataframe(df, path, layer=layer, driver="GPKG", promote_to_multi=bool(multi) or None)


def write_registry(path: Path, layers: dict[str, list[Record]]) -> None:
    if path.exists():
        path.unlink()
    for name, recs in layers.items():  # the asset layers; staging and exception tables start empty
        write_layer(layer_frame(name, recs), path, name)


def write_raster(path: Path, grid: Grid, tags: dict[str, str]) -> None:
    h, w = grid.values.shape
    profile = {
        "driver": "GTiff", "height": h, "width": w, "count": 1, "dtype": "float32", "crs": grid.crs,
        "transform": grid.transform, "nodata": NODATA, "compress": "deflate", "predictor": 3, "tiled": True,
        "blockxsize": 128, "blockysize": 128,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid.values.astype("float32"), 1)
        dst.update_tags(**tags)
        dst.set_band_description(1, tags.get("band", ""))


def write_flood_extent(path: Path, recs: list[Record]) -> None:
    if path.exists():
        path.unlink()
    gdf = gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geometry"} for r in recs],
        geometry=[geom_to_lonlat(r["geometry"]) for r in recs], crs="EPSG:4326",
    )  # fmt: skip
    write_layer(gdf, path, "flood_extent")


# ---------------------------------------------------------------------------------------
# Checks: the clean network, schema conformity, flood targets, files read back
# ---------------------------------------------------------------------------------------
class Problems(list):
    def need(self, ok: bool, message: str) -> None:
        if not ok:
            self.append(message)


def check_noding(net: Network, problems: Problems) -> None:
    nodes = {n["geometry"].coords[0]: n["node_id"] for n in net.junctions}
    problems.need(len(nodes) == len(net.junctions), "two junctions share a location")
    used = set()
    for p in net.pipes:
        c = p["geometry"].coords
        problems.need(nodes.get(c[0]) == p["from_node"], f"{p['pipe_id']} start is not on {p['from_node']}")
        problems.need(nodes.get(c[-1]) == p["to_node"], f"{p['pipe_id']} end is not on {p['to_node']}")
        used |= {p["from_node"], p["to_node"]}
    problems.need(used == set(nodes.values()), "a junction is not at any pipe end")


def check_crossings(lines: list[LineString], ids: list[str], ends: list[set[str]], problems: Problems) -> None:
    """Pipes may only touch at a shared end node; no crossing, overlap or duplicate."""
    tree = shapely.STRtree(lines)
    for i, j in zip(*tree.query(lines, predicate="intersects")):
        if i >= j:
            continue
        inter = lines[i].intersection(lines[j])
        shared = {lines[i].coords[0], lines[i].coords[-1]} & {lines[j].coords[0], lines[j].coords[-1]}
        pts = [inter] if inter.geom_type == "Point" else list(getattr(inter, "geoms", []))
        ok = all(g.geom_type == "Point" and g.coords[0] in shared for g in pts) and not inter.is_empty
        problems.need(ok, f"{ids[i]} and {ids[j]} cross or overlap away from a node")
        problems.need(ends[i] != ends[j], f"{ids[i]} and {ids[j]} join the same nodes (duplicate)")


def check_diameters(net: Network, problems: Problems) -> None:
    """Diameters never grow going away from the OHT (loop closers no larger than either feed)."""
    g = net.graph.copy()
    g.remove_edge("S", "O")
    dist = nx.single_source_dijkstra_path_length(g, "O", weight="length")
    parent_dia: dict[str, float] = {}
    tree = nx.dfs_tree(nx.minimum_spanning_tree(g, weight="length"), "O")
    for a, b in tree.edges():
        parent_dia[b] = g.edges[a, b]["diameter_mm"]
    for a, b, d in g.edges(data=True):
        up, down = (a, b) if dist[a] <= dist[b] else (b, a)
        limit = parent_dia.get(up, math.inf)
        if tree.has_edge(up, down):
            problems.need(d["diameter_mm"] <= limit, f"{d['pipe_id']} is wider than the pipe feeding it")
        else:
            problems.need(d["diameter_mm"] <= min(parent_dia[a], parent_dia[b]), f"loop pipe {d['pipe_id']} too wide")


def check_network(net: Network, problems: Problems) -> None:
    check_noding(net, problems)
    problems.need(nx.is_connected(net.graph), "network is not one connected component")
    ends = [{p["from_node"], p["to_node"]} for p in net.pipes]
    check_crossings([p["geometry"] for p in net.pipes], [p["pipe_id"] for p in net.pipes], ends, problems)
    for j in net.junctions:
        dead = net.graph.degree(j["name"]) == 1 and j["name"] not in ("S",)
        problems.need(dead == (j["node_type"] == "end_cap"), f"{j['node_id']} dead end/end_cap mismatch")
    check_diameters(net, problems)
    for p in net.pipes:
        problems.need(abs(p["length_m"] / p["geometry"].length - 1) <= 0.021, f"{p['pipe_id']} length_m off")


def check_schema(layers: dict[str, list[Record]], problems: Problems) -> None:
    schema = schema_module()
    for name, recs in layers.items():
        lyr = schema.layer(name)
        problems.need(len({r[lyr.key] for r in recs}) == len(recs), f"{name}: {lyr.key} not unique")
        for r in recs:
            for key, value in r.items():
                if key in ("geometry", "a", "b", "name") and key not in lyr.field_names:
                    continue
                problems.need(key in lyr.field_names, f"{name}: unknown field {key}")
                check_value(lyr.field(key), value, f"{name}.{key}={value!r}", problems)
            problems.need(r.get("scheme_id") == SCHEME_ID, f"{name}: {r[lyr.key]} has no scheme_id")


def check_value(fld: Any, value: Any, where: str, problems: Problems) -> None:
    if value is None or value == "":
        problems.need(not fld.required, f"{where}: required")
        return
    if fld.domain:
        problems.need(value in schema_module().DOMAINS[fld.domain], f"{where}: not in domain {fld.domain}")
    if fld.type in ("REAL", "INTEGER"):
        problems.need(fld.min is None or value >= fld.min, f"{where}: below {fld.min}")
        problems.need(fld.max is None or value <= fld.max, f"{where}: above {fld.max}")
    if fld.type == "DATE":
        problems.need(date.fromisoformat(value).isoformat() == value, f"{where}: not an ISO date")


def check_places(layers: dict[str, list[Record]], truth: list[Record], area: Polygon, problems: Problems) -> None:
    villages = [v["geometry"] for v in layers["villages"]]
    union = unary_union(villages)
    problems.need(abs(union.area - area.area) < 1e-3, "villages do not cover the scheme area")
    overlap = sum(a.intersection(b).area for i, a in enumerate(villages) for b in villages[i + 1 :])
    problems.need(overlap < 1e-3, "villages overlap")
    inside = union.buffer(1e-6)
    for name, recs in layers.items():
        if name in ("schemes", "villages"):
            continue
        bad = [r for r in recs if not inside.covers(r["geometry"])]
        problems.need(not bad, f"{name}: {len(bad)} features outside the villages")
    problems.need(all(inside.covers(r["geometry"]) for r in truth), "a new branch leaves the villages")
    lines = [p["geometry"] for p in layers["pipes"]]
    for r in truth:
        d = min(g.distance(Point(r["geometry"].coords[0])) for g in lines)
        problems.need(d < 0.01, f"{r['branch_id']} does not start on the network")
        start = Point(r["geometry"].coords[0]).buffer(0.01)
        crossing = [g for g in lines if g.intersects(r["geometry"]) and not start.covers(g.intersection(r["geometry"]))]
        problems.need(not crossing, f"{r['branch_id']} crosses existing pipes")
        problems.need(150 <= r["geometry"].length <= 700, f"{r['branch_id']} length {r['geometry'].length:.0f} m")


def check_fhtc(layers: dict[str, list[Record]], problems: Problems) -> None:
    lines = shapely.STRtree([p["geometry"] for p in layers["pipes"]])
    pipes = {p["pipe_id"]: p for p in layers["pipes"]}
    for f in layers["fhtc"]:
        near = layers["pipes"][int(lines.nearest(f["geometry"]))]
        problems.need(near["pipe_id"] == f["pipe_id"], f"{f['fhtc_id']}: pipe_id is not the nearest pipe")
        problems.need(pipes[f["pipe_id"]]["geometry"].distance(f["geometry"]) <= 30, f"{f['fhtc_id']} > 30 m off")
        v = next(v for v in layers["villages"] if v["village_id"] == f["village_id"])
        problems.need(v["geometry"].contains(f["geometry"]), f"{f['fhtc_id']}: wrong village_id")


@dataclass
class FloodStats:
    fhtc_wet_pct: float
    fhtc_off_raster: int
    fhtc_nodata: int
    source_depth: float
    oht_depth: float
    valves_wet: int
    pipes_wet: int
    depth_min: float
    depth_max: float


def flood_stats(flood: Grid, layers: dict[str, list[Record]]) -> FloodStats:
    fh = [f["geometry"] for f in layers["fhtc"]]
    d = sample_nearest(flood, fh)
    h, w = flood.values.shape
    off = sum(1 for p in fh if not (0 <= rowcol(flood, p.x, p.y)[0] < h and 0 <= rowcol(flood, p.x, p.y)[1] < w))
    wet_pipes = 0
    for p in layers["pipes"]:
        line = p["geometry"]
        pts = [line.interpolate(s) for s in np.arange(0, line.length, 5.0)]
        wet_pipes += int(np.nan_to_num(sample_nearest(flood, pts)).max() > 0)
    valid = flood.values[(flood.values != NODATA) & (flood.values > 0)]
    return FloodStats(
        round(100 * float(np.mean(np.nan_to_num(d) > 0)), 1), off, int(np.isnan(d).sum()) - off,
        round(float(sample_nearest(flood, [layers["sources"][0]["geometry"]])[0]), 2),
        round(float(sample_nearest(flood, [layers["tanks"][0]["geometry"]])[0]), 2),
        int((np.nan_to_num(sample_nearest(flood, [v["geometry"] for v in layers["valves"]])) > 0).sum()),
        wet_pipes, round(float(valid.min()), 2), round(float(valid.max()), 2),
    )  # fmt: skip


def check_flood(stats: FloodStats, problems: Problems) -> None:
    problems.need(20 <= stats.fhtc_wet_pct <= 40, f"{stats.fhtc_wet_pct} % of FHTCs flooded")
    problems.need(0.6 <= stats.source_depth <= 1.2, f"borewell flood depth {stats.source_depth}")
    problems.need(stats.oht_depth == 0, "OHT is flooded")
    problems.need(stats.valves_wet >= 1 and stats.pipes_wet >= 1, "no flooded valve or pipe")
    problems.need(stats.fhtc_off_raster >= 1 and stats.fhtc_nodata >= 1, "no FHTC off-raster or on nodata")


def check_lithology(litho: dict[str, list[list[Any]]], problems: Problems) -> None:
    aquifers = [(r[1], r[2]) for r in litho["intervals"] if r[0] == "BH-01" and r[5] == "yes"]
    for r in litho["construction"]:
        if r[3] == "screen":
            ok = any(a <= r[1] and r[2] <= b for a, b in aquifers)
            problems.need(ok, f"screen {r[1]}-{r[2]} m is not in an aquifer")
    for bh, *_ in BOREHOLES:
        rows = [r for r in litho["intervals"] if r[0] == bh]
        problems.need(rows[0][1] == 0 and all(a[2] == b[1] for a, b in zip(rows, rows[1:])), f"{bh}: gaps")
    problems.need(all(r[1] < r[2] for r in litho["intervals"] + litho["construction"]), "an interval ends above its top")
    pipe = [r for r in litho["construction"] if r[3] in ("casing", "screen") and r[5] == 150]
    problems.need(pipe[0][1] == HOUSING_M and pipe[-1][2] == WELL_DEPTH_M
                  and all(a[2] == b[1] for a, b in zip(pipe, pipe[1:])), "well pipe string has gaps")  # fmt: skip


def verify_files(out: Path, problems: Problems) -> None:
    for gpkg in [out / "sample_scheme.gpkg", out / "flood_extent.gpkg", out / "contractor" / "truth.gpkg"]:
        for name, _ in pyogrio.list_layers(gpkg):
            df = pyogrio.read_dataframe(gpkg, layer=name)
            problems.need(len(df) > 0, f"{gpkg.name}:{name} reads back empty")
    for tif, epsg in [(out / "dem.tif", 4326), (out / "flood_depth.tif", WORK_EPSG)]:
        with rasterio.open(tif) as src:
            problems.need(src.crs.to_epsg() == epsg and src.nodata == NODATA, f"{tif.name}: CRS/nodata wrong")
    contractor = out / "contractor"
    for f in ["tracks_2024-03.gpx", "route_old.gpx", "contractor_export.kml"]:
        ElementTree.parse(contractor / f)
    with zipfile.ZipFile(contractor / "contractor_export.kmz") as zf:
        ElementTree.fromstring(zf.read("doc.kml"))
    if shutil.which("ogrinfo"):
        for f in ["tracks_2024-03.gpx", "route_old.gpx", "contractor_export.kml", "contractor_export.kmz"]:
            res = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(contractor / f)], capture_output=True, text=True)
            problems.need(res.returncode == 0 and "Feature Count" in res.stdout, f"ogrinfo cannot read {f}")


# ---------------------------------------------------------------------------------------
# Summary and main
# ---------------------------------------------------------------------------------------
def summary(out: Path, layers: dict[str, list[Record]], stats: FloodStats, truth: list[Record]) -> str:
    lines = ["Layer counts: " + ", ".join(f"{k} {len(v)}" for k, v in layers.items())]
    km: dict[str, float] = {}
    for p in layers["pipes"]:
        km[p["material"]] = km.get(p["material"], 0.0) + p["geometry"].length / 1000
    lines.append("Pipe km: " + ", ".join(f"{m} {v:.2f}" for m, v in sorted(km.items())) + f"; total {sum(km.values()):.2f}")
    lines.append("Node types: " + ", ".join(f"{k} {v}" for k, v in
                                             sorted(pd.Series([j["node_type"] for j in layers["junctions"]])
                                                    .value_counts().items())))  # fmt: skip
    lines.append("FHTC per village: " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(pd.Series([f["village_id"] for f in layers["fhtc"]])
                                                         .value_counts().items())))  # fmt: skip
    lines.append("New branches: " + ", ".join(f"{r['branch_id']} {r['length_m']:.0f} m" for r in truth))
    lines += [fault_line(name, spec) for name, spec in WALKS.items()]
    lines.append(
        f"Flood: {stats.fhtc_wet_pct} % of FHTCs wet, {stats.fhtc_off_raster} off-raster, {stats.fhtc_nodata} on "
        f"nodata; borewell {stats.source_depth} m, OHT {stats.oht_depth} m; {stats.valves_wet} valves and "
        f"{stats.pipes_wet} pipes wet; depth {stats.depth_min}-{stats.depth_max} m"
    )
    total = 0
    for f in sorted(p for p in out.rglob("*") if p.is_file()):
        total += f.stat().st_size
        lines.append(f"  {f.relative_to(out)}: {f.stat().st_size / 1024:.1f} KiB")
    lines.append(f"Total: {total / 1024 / 1024:.2f} MiB")
    return "\n".join(lines)


def fault_line(name: str, spec: WalkSpec) -> str:
    stands = ", ".join(f"{secs} s at {frac:.0%}" for frac, secs in spec.standstills) or "none"
    gap = f"{spec.gap[2]} min ({spec.gap[0]:.0%}-{spec.gap[1]:.0%} of the walk missing)" if spec.gap else "none"
    return (f"  {name}: every {spec.dt_s} s, sigma {spec.sigma_m} m, {spec.spikes} spikes, standstills {stands}, "
            f"gap {gap}, starts {spec.start_off_m} m off, overshoots {spec.overshoot_m} m")


def scheme_record(villages: list[Record]) -> Record:
    return {
        "scheme_id": SCHEME_ID, "name": "Bhabanipur Piped Water Supply Scheme",
        "name_local": "ভবানীপুৰ পাইপ জলযোগান আঁচনি", "scheme_type": "MVS", "status": "commissioned",
        "state": "Assam", "district": "Nalbari", "division": "Nalbari PHED Division", "block": BLOCK,
        "design_year": 2054, "design_population": 7800, "lpcd": 55.0, "supply_hours": 8.0,
        "commissioned": "2023-03-28",
        "agency": "PHED Assam (Jal Jeevan Mission); EPC: M/s Brahmaputra Infra Projects Pvt. Ltd.",
    }  # fmt: skip


def build(seed: int, out: Path) -> None:
    stream = make_stream()
    terrain = make_terrain(seed, stream)
    area = make_area(seed)
    villages = village_records(split_villages(seed, area, stream))
    dem = make_dem(area, terrain)
    net = build_network(seed, dem)
    layers: dict[str, list[Record]] = {"schemes": [scheme_record(villages)], "villages": villages}
    layers.update(point_assets(net, dem))
    layers["pipes"], layers["junctions"] = net.pipes, net.junctions
    layers["valves"] = valve_records(net, dem)
    layers["fhtc"] = fhtc_records(seed, net, villages, place_houses(seed, net, area, stream))
    layers = {name: layers[name] for name in schema_module().ASSET_LAYERS if name in layers}
    flood, along, across = make_flood(area, terrain, net.node_xy["S"], net.node_xy["O"],
                                      [f["geometry"] for f in layers["fhtc"]])
    truth = branch_truth(seed, net)

    problems = Problems()
    check_network(net, problems)
    check_schema(layers, problems)
    check_places(layers, truth, area, problems)
    check_fhtc(layers, problems)
    stats = flood_stats(flood, layers)
    check_flood(stats, problems)
    if problems:
        raise RuntimeError("sample data is not clean:\n  " + "\n  ".join(problems))

    out.mkdir(parents=True, exist_ok=True)
    write_registry(out / "sample_scheme.gpkg", layers)
    write_raster(out / "dem.tif", dem, {"band": "elevation_m", "source": "synthetic (make_sample_data.py)",
                                        "vertical_datum": "EGM96 (as SRTM)", "units": "m"})  # fmt: skip
    write_raster(out / "flood_depth.tif", flood, {
        "band": "depth_m", "event": FLOOD_EVENT, "date": "2024-07-03", "units": "m", "source": "synthetic ASDMA-style",
        "water_surface": f"through the borewell site at +{SOURCE_DEPTH_M} m, rising {along * 1000:.1f} m/km north "
                         f"along the stream, falling {across * 1000:.1f} m/km away from it",
    })  # fmt: skip
    write_flood_extent(out / "flood_extent.gpkg", flood_extent(flood))
    write_contractor_files(out, seed, make_walks(seed, truth, net, terrain), truth, terrain)
    litho = write_lithology(out, seed, net.node_xy["S"], dem)
    check_lithology(litho, problems)
    verify_files(out, problems)
    if problems:
        raise RuntimeError("written sample data failed verification:\n  " + "\n  ".join(problems))
    print(summary(out, layers, stats, truth))
    print(f"Water surface: +{along * 1000:.1f} m/km along the stream (north), -{across * 1000:.1f} m/km away from it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default jalnet/data)")
    args = parser.parse_args(argv)
    build(args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generated schemes: many small, valid village networks in one registry.

For scale tests and benchmarks of state-wide runs (thousands of schemes), and for trying
the hydraulics tools without real data. Each scheme is a gravity-fed grid of junctions
from an elevated service reservoir, with taps along it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from ..registry import Registry

ORIGIN = (500_000.0, 2_930_000.0)  # UTM 46N, Assam


def scheme_layers(index: int, rows: int = 4, cols: int = 5, spacing: float = 100.0, taps_per_node: int = 3,
                  seed: int = 1, crs: int = 32646) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The layers of generated scheme number *index* (scheme_id GEN-00001...)."""
    rng = np.random.default_rng([seed, index])
    sid = f"GEN-{index:05d}"
    x0 = ORIGIN[0] + (index % 50) * 3000.0
    y0 = ORIGIN[1] + (index // 50) * 3000.0
    ground = 45.0 + rng.uniform(0, 10)
    names, points, elev = [], [], []
    for r in range(rows):
        for c in range(cols):
            names.append(f"{sid}-J{r}{c}")
            points.append(Point(x0 + c * spacing, y0 + r * spacing))
            elev.append(round(ground + 0.004 * c * spacing + rng.normal(0, 0.3), 2))
    junctions = gpd.GeoDataFrame({"node_id": names, "scheme_id": sid, "node_type": "junction", "elevation_m": elev},
                                 geometry=points, crs=crs)
    src_pt = Point(x0 - spacing, y0)
    sources = gpd.GeoDataFrame({"source_id": [f"{sid}-SRC"], "scheme_id": sid, "source_type": "surface_intake",
                                "head_m": [ground + 28.0], "status": "in_service"}, geometry=[src_pt], crs=crs)
    pipes, geoms = [], []

    def pipe(a: int | None, b: int, dia: float) -> None:
        start = src_pt if a is None else points[a]
        pipes.append({"pipe_id": f"{sid}-P{len(pipes):03d}", "scheme_id": sid, "material": "HDPE",
                      "diameter_mm": dia, "status": "in_service", "geom_source": "design",
                      "from_node": f"{sid}-SRC" if a is None else names[a], "to_node": names[b],
                      "laid_date": "2022-01-01"})
        geoms.append(LineString([start, points[b]]))

    pipe(None, 0, 160.0)
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c
            if c + 1 < cols:
                pipe(k, k + 1, 110.0 if r == 0 else 75.0)
            if r + 1 < rows and (c == 0 or c == cols - 1):
                pipe(k, k + cols, 90.0)
    pipes_gdf = gpd.GeoDataFrame(pipes, geometry=geoms, crs=crs)
    taps, tap_pts = [], []
    for k, p in enumerate(points):
        for t in range(taps_per_node):
            taps.append({"fhtc_id": f"{sid}-F{k:02d}{t}", "scheme_id": sid, "persons": int(rng.integers(3, 8)),
                         "status": "functional"})
            tap_pts.append(Point(p.x + 8 + 6 * t, p.y + 12))
    fhtc = gpd.GeoDataFrame(taps, geometry=tap_pts, crs=crs)
    scheme = pd.DataFrame([{"scheme_id": sid, "name": f"Generated scheme {index}", "lpcd": 55.0,
                            "supply_hours": 24.0}])
    return {"schemes": scheme, "sources": sources, "junctions": junctions, "pipes": pipes_gdf, "fhtc": fhtc}


def add_schemes(reg: Registry, count: int, first: int = 1, batch_size: int = 100, **kwargs: object) -> list[str]:
    """Insert *count* generated schemes, *batch_size* per registry batch; returns their IDs."""
    ids = []
    for start in range(first, first + count, batch_size):
        stop = min(first + count, start + batch_size)
        parts = [scheme_layers(i, **kwargs) for i in range(start, stop)]
        with reg.batch("hydraulics synthetic", f"generated schemes {start}-{stop - 1}") as b:
            for name in ("schemes", "sources", "junctions", "pipes", "fhtc"):
                frames = [p[name] for p in parts]
                frame = pd.concat(frames, ignore_index=True)
                if isinstance(frames[0], gpd.GeoDataFrame):
                    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=frames[0].crs)
                b.insert(name, frame)
        ids += [f"GEN-{i:05d}" for i in range(start, stop)]
    return ids

"""Small lithologs for the geology tests: field sheets written as files, and in-memory logs.

Two boreholes 400 m apart in EPSG:32646 near the sample scheme: ``BH-A`` (a production
well linked to source ``SRC-1`` at the same place, screened in sand) and ``BH-B``.
Every test that needs a fault writes it into a copy of these clean sheets.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from jalnet.geology.model import Lithologs, empty_table
from jalnet.registry import create_registry

CRS = "EPSG:32646"
A_XY = (700000.0, 2925000.0)
B_XY = (700400.0, 2925000.0)

BOREHOLES = [
    ["borehole_id", "longitude", "latitude", "collar_elev_m", "drilled_depth_m", "swl_m", "yield_lpm", "source_id"],
    ["BH-A", "", "", "50.0", "60", "4.5", "600", "SRC-1"],
    ["BH-B", "", "", "52.0", "50", "5.0", "420", ""],
]
INTERVALS = [
    ["borehole_id", "from_m", "to_m", "lithology", "description", "aquifer"],
    ["BH-A", "0", "10", "clay", "Grey clay", "no"],
    ["BH-A", "10", "40", "medium_sand", "Medium sand", "yes"],
    ["BH-A", "40", "60", "clay", "Stiff clay", "no"],
    ["BH-B", "0", "12", "silty_clay", "Silty clay", "no"],
    ["BH-B", "12", "38", "fine_sand", "Fine sand", "yes"],
    ["BH-B", "38", "50", "clay", "Clay", "no"],
]
CONSTRUCTION = [
    ["borehole_id", "from_m", "to_m", "kind", "slot_mm", "diameter_mm"],
    ["BH-A", "0", "15", "casing", "", "150"],
    ["BH-A", "15", "35", "screen", "1.0", "150"],
    ["BH-A", "35", "38", "casing", "", "150"],
    ["BH-A", "10", "38", "gravel_pack", "", "300"],
]


def lonlat(xy: tuple[float, float]) -> tuple[float, float]:
    p = gpd.GeoSeries([Point(xy)], crs=CRS).to_crs("EPSG:4326").iloc[0]
    return round(p.x, 7), round(p.y, 7)


def borehole_rows() -> list[list[str]]:
    rows = [list(r) for r in BOREHOLES]
    for row, xy in zip(rows[1:], (A_XY, B_XY)):
        row[1], row[2] = (str(v) for v in lonlat(xy))
    return rows


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return path


def write_sheets(folder: Path, boreholes: list[list[str]] | None = None, intervals: list[list[str]] | None = None,
                 construction: list[list[str]] | None = None) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return (
        write_csv(folder / "boreholes.csv", boreholes or borehole_rows()),
        write_csv(folder / "intervals.csv", intervals or [list(r) for r in INTERVALS]),
        write_csv(folder / "construction.csv", construction or [list(r) for r in CONSTRUCTION]),
    )


def make_registry(path: Path, with_source: bool = True):
    """A registry with source SRC-1 at BH-A's place (so BH-A is 0 m from its source)."""
    reg = create_registry(path, crs=CRS)
    if with_source:
        src = gpd.GeoDataFrame({"source_id": ["SRC-1"], "source_type": ["borewell"]}, geometry=[Point(A_XY)], crs=CRS)
        with reg.batch("test", "source") as b:
            b.insert("sources", src)
    return reg


def lithologs(boreholes: list[dict], intervals: list[tuple], construction: list[tuple] = ()) -> Lithologs:
    """In-memory logs for the validation tests.

    boreholes: dicts with borehole_id, x, y and any borehole fields; intervals: (borehole_id,
    from, to, code, aquifer[, logged_as]); construction: (borehole_id, from, to, kind).
    """
    bh = pd.DataFrame(boreholes)
    geoms = [Point(x, y) for x, y in zip(bh.pop("x"), bh.pop("y"))]
    frame = empty_table("boreholes").iloc[0:0]
    gdf = gpd.GeoDataFrame(pd.concat([frame, bh], ignore_index=True), geometry=geoms, crs=CRS)
    iv = pd.DataFrame([{"borehole_id": r[0], "from_m": float(r[1]), "to_m": float(r[2]), "lithology": r[3],
                        "aquifer": r[4], "logged_as": r[5] if len(r) > 5 else r[3]} for r in intervals],
                      columns=["borehole_id", "from_m", "to_m", "lithology", "aquifer", "logged_as"])
    cs = pd.DataFrame([{"borehole_id": r[0], "from_m": float(r[1]), "to_m": float(r[2]), "kind": r[3]}
                       for r in construction], columns=["borehole_id", "from_m", "to_m", "kind"])
    return Lithologs(gdf, iv, cs, empty_table("geophysical_logs"))


def write_las(path: Path, well: str, depth_unit: str = "M") -> Path:
    import lasio

    las = lasio.LASFile()
    las.well["WELL"] = lasio.HeaderItem("WELL", value=well)
    depth = np.arange(0.0, 60.0, 0.5)
    las.append_curve("DEPT", depth, unit=depth_unit)
    las.append_curve("GR", 40 + 60 * ((depth > 10) & (depth < 40)), unit="API", descr="Natural gamma")
    res = np.where((depth > 10) & (depth < 40), 80.0, 8.0)
    res[5] = np.nan
    las.append_curve("RES", res, unit="OHMM", descr="Resistivity")
    with path.open("w") as f:
        las.write(f, version=2.0)
    return path

"""Exporting lithologs as field-sheet CSVs (and LAS files) that import back unchanged.

The files have the import's default columns, longitude/latitude in WGS 84, the logged
lithology word beside its code (so a word mapped with a project-specific term keeps its
code), and geophysical curves written back as one LAS file per borehole.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..outputs import output_folder
from ..registry.store import Registry
from .las import curve_samples
from .model import file_stem, read_lithologs, write_csv
from .sheets import SPECS

BOREHOLE_COLUMNS = [c.name for c in SPECS["boreholes"]]
INTERVAL_COLUMNS = [c.name for c in SPECS["intervals"]]
CONSTRUCTION_COLUMNS = [c.name for c in SPECS["construction"]]


def export_lithologs(registry: Registry, out_dir: str | os.PathLike,
                     borehole_ids: Iterable[str] | None = None) -> dict[str, Path]:
    """Write boreholes.csv, intervals.csv, construction.csv (and las/<id>.las); returns the paths."""
    out = Path(out_dir)
    output_folder(out)
    out.mkdir(exist_ok=True)
    data = read_lithologs(registry, borehole_ids)
    bh = data.boreholes
    lonlat = bh.geometry.to_crs("EPSG:4326")
    holes = pd.DataFrame(bh.drop(columns="geometry")).assign(
        longitude=np.round(lonlat.x.to_numpy(), 7), latitude=np.round(lonlat.y.to_numpy(), 7)
    )
    iv = data.intervals.sort_values(["borehole_id", "from_m"], kind="stable")
    iv = iv.assign(code=iv["lithology"], lithology=iv["logged_as"].where(iv["logged_as"].notna(), iv["lithology"]))
    cs = data.construction.sort_values(["borehole_id", "from_m"], kind="stable")
    paths = {
        "boreholes": write_csv(out / "boreholes.csv", _records(holes), BOREHOLE_COLUMNS),
        "intervals": write_csv(out / "intervals.csv", _records(iv), INTERVAL_COLUMNS),
        "construction": write_csv(out / "construction.csv", _records(cs), CONSTRUCTION_COLUMNS),
    }
    for bid in dict.fromkeys(data.logs["borehole_id"]):
        paths[f"las:{bid}"] = write_las(out / "las" / f"{file_stem(bid)}.las", bid, data.logs_of(bid))
    return paths


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def write_las(path: Path, borehole_id: str, curves: pd.DataFrame) -> Path:
    """One LAS 2.0 file with every curve of a borehole resampled onto the union of their depths."""
    import lasio

    path.parent.mkdir(parents=True, exist_ok=True)
    series = {}
    for row in curves.itertuples(index=False):
        depth, value = curve_samples(row.samples)
        series[row.curve] = pd.Series(value, index=depth).groupby(level=0).last()
    table = pd.DataFrame(series).sort_index()
    las = lasio.LASFile()
    las.well["WELL"] = lasio.HeaderItem("WELL", value=borehole_id)
    las.append_curve("DEPT", table.index.to_numpy(dtype=float), unit="M", descr="Depth below ground")
    for row in curves.itertuples(index=False):
        las.append_curve(row.curve, table[row.curve].to_numpy(dtype=float), unit=row.unit or "",
                         descr=row.description or "")
    with path.open("w", encoding="utf-8") as f:
        las.write(f, version=2.0)
    return path

"""Lithologs in memory: boreholes with their lithology, construction and geophysical curves.

Validation, strip logs, sections and export all work on one :class:`Lithologs`, whether it
was read from the registry or is being imported, so an import is checked with exactly
the rules ``jalnet geology validate`` applies later.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..outputs import output_folder
from ..registry.schema import LAYERS
from ..registry.store import Registry

TABLES = ("boreholes", "lithology_intervals", "construction_intervals", "geophysical_logs")


def empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame({f: pd.Series(dtype=object) for f in LAYERS[name].field_names})


def none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects with None for missing (pandas' string dtype gives NaN, which is truthy)."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if name != getattr(out, "_geometry_column_name", None) and (
                col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            out[name] = col.astype(object).where(col.notna(), None)
    return out


@dataclass
class Lithologs:
    boreholes: gpd.GeoDataFrame
    intervals: pd.DataFrame
    construction: pd.DataFrame
    logs: pd.DataFrame

    def __post_init__(self) -> None:
        self.boreholes = none_for_missing(self.boreholes)
        self.intervals = none_for_missing(self.intervals)
        self.construction = none_for_missing(self.construction)
        self.logs = none_for_missing(self.logs)

    @property
    def ids(self) -> list[str]:
        return list(self.boreholes["borehole_id"])

    def borehole(self, borehole_id: str) -> pd.Series:
        rows = self.boreholes[self.boreholes["borehole_id"] == borehole_id]
        if rows.empty:
            raise InputError(f"no borehole '{borehole_id}' (boreholes: {', '.join(self.ids) or 'none'})")
        return rows.iloc[0]

    def intervals_of(self, borehole_id: str) -> pd.DataFrame:
        return _of(self.intervals, borehole_id)

    def construction_of(self, borehole_id: str) -> pd.DataFrame:
        return _of(self.construction, borehole_id)

    def logs_of(self, borehole_id: str) -> pd.DataFrame:
        rows = self.logs[self.logs["borehole_id"] == borehole_id]
        return rows.reset_index(drop=True)


def _of(frame: pd.DataFrame, borehole_id: str) -> pd.DataFrame:
    rows = frame[frame["borehole_id"] == borehole_id]
    return rows.sort_values(["from_m", "to_m"], kind="stable").reset_index(drop=True)


def read_lithologs(registry: Registry, borehole_ids: Iterable[str] | None = None) -> Lithologs:
    """The boreholes (all, or those named) with their intervals, construction and curves."""
    where = None
    if borehole_ids is not None:
        wanted = list(dict.fromkeys(borehole_ids))
        where = {"borehole_id": wanted}
    boreholes = registry.read("boreholes", where)
    if borehole_ids is not None:
        missing = [b for b in wanted if b not in set(boreholes["borehole_id"])]
        if missing:
            raise InputError(f"registry {registry.target} has no borehole {', '.join(missing)}")
    return Lithologs(
        boreholes.reset_index(drop=True),
        registry.read("lithology_intervals", where).reset_index(drop=True),
        registry.read("construction_intervals", where).reset_index(drop=True),
        registry.read("geophysical_logs", where).reset_index(drop=True),
    )


def aquifer_summary(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per borehole: depth to the first aquifer and total aquifer thickness (for styling and tables)."""
    aq = intervals[aquifer_flags(intervals)]
    if aq.empty:
        return pd.DataFrame(columns=["first_aquifer_m", "aquifer_thickness_m"], index=pd.Index([], name="borehole_id"))
    thick = (aq["to_m"] - aq["from_m"]).clip(lower=0)
    return pd.DataFrame({
        "first_aquifer_m": aq.groupby("borehole_id")["from_m"].min(),
        "aquifer_thickness_m": thick.groupby(aq["borehole_id"]).sum(),
    })


def aquifer_flags(intervals: pd.DataFrame) -> np.ndarray:
    """The aquifer column as plain booleans (unknown counts as not an aquifer)."""
    return intervals["aquifer"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def aquifer_units(intervals: pd.DataFrame) -> list[tuple[float, float]]:
    """Contiguous aquifer intervals of one borehole merged into units (top, bottom), top down."""
    ordered = intervals.sort_values("from_m", kind="stable")
    units: list[list[float]] = []
    for top, bottom, aquifer in zip(ordered["from_m"], ordered["to_m"], aquifer_flags(ordered)):
        if not aquifer or not bottom > top:
            continue
        if units and top <= units[-1][1] + 0.01:
            units[-1][1] = max(units[-1][1], bottom)
        else:
            units.append([top, bottom])
    return [(a, b) for a, b in units]


def file_stem(borehole_id: str) -> str:
    """A borehole ID made safe as a file name (BH/12 -> BH_12)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(borehole_id))


def write_csv(path: str | os.PathLike, rows: list[dict], columns: list[str]) -> Path:
    """A small CSV writer for findings and exports (UTF-8, header always written)."""
    path = Path(path)
    output_folder(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c)) for c in columns})
    return path


def _cell(value: object) -> object:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return value

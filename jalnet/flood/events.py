"""Flood events: what was observed (a depth raster, extent polygons, or both), called what, when."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .extent import read_extent
from .overlay import Hazard
from .raster import open_depth_raster


@dataclass
class FloodEvent:
    """One event; without a name or date they are taken from the raster's tags or the extent's fields."""

    depth: str | None = None
    extent: str | None = None
    name: str | None = None
    date: str | None = None
    band: int = 1
    extent_layer: str | None = None
    nodata: float | None = None  # the depth raster's nodata value, when it declares none (or another one)
    no_nodata: bool = False  # the depth raster declares no nodata value and none is needed


@dataclass
class OpenEvent:
    name: str
    date: str | None
    hazard: Hazard
    notes: list[str]

    def close(self) -> None:
        if self.hazard.raster is not None:
            self.hazard.raster.close()


def iso_date(value: str | None, where: str) -> str | None:
    """YYYY-MM-DD (or the date and time as given, when it has a time), or a clear refusal."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise InputError(f"{where}: date '{text}' is not a date; write it as YYYY-MM-DD") from None
    if pd.isna(stamp):
        return None
    has_time = stamp.hour or stamp.minute or stamp.second
    return stamp.strftime("%Y-%m-%dT%H:%M") if has_time else stamp.strftime("%Y-%m-%d")


def open_event(event: FloodEvent, wet_threshold: float, repair_extent: bool) -> OpenEvent:
    """Open and check the event's inputs; nothing is read from them yet beyond the metadata."""
    if not event.depth and not event.extent:
        raise InputError(f"flood event '{event.name or '?'}' has neither a depth raster nor extent polygons")
    raster = open_depth_raster(event.depth, event.band, event.nodata, event.no_nodata) if event.depth else None
    notes: list[str] = []
    try:
        extent = read_extent(event.extent, event.extent_layer, repair_extent) if event.extent else None
    except BaseException:
        if raster is not None:
            raster.close()
        raise
    if extent is not None and extent.repaired:
        notes.append(f"{extent.repaired} invalid polygon(s) of {extent.path} were repaired")
    label = Path(event.depth or event.extent or "event").stem
    tags = raster.tags if raster is not None else {}
    attrs = extent.attributes if extent is not None else {}
    name = event.name or tags.get("event") or (attrs["event"][0] if len(attrs.get("event", [])) == 1 else label)
    date = event.date or tags.get("date") or (attrs["date"][0] if len(attrs.get("date", [])) == 1 else None)
    try:
        date = iso_date(date, f"flood event '{name}'")
    except InputError:
        if raster is not None:
            raster.close()
        raise
    return OpenEvent(str(name), date, Hazard(raster, extent, wet_threshold), notes)


def events_from_csv(path: str | Path) -> list[FloodEvent]:
    """Events from a CSV with columns event, date, depth, extent (and optional band, extent_layer).

    Relative file paths are taken from the CSV's folder.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"events file {p} does not exist")
    rows = list(csv.DictReader(p.read_text(encoding="utf-8-sig").splitlines()))
    if not rows:
        raise InputError(f"events file {p} has no rows; give columns event, date, depth, extent")
    allowed = {"event", "date", "depth", "extent", "band", "extent_layer"}
    unknown = sorted(set(rows[0]) - allowed)
    if unknown:
        raise InputError(f"events file {p}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")

    def resolve(value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        f = Path(value.strip())
        return str(f if f.is_absolute() else p.parent / f)

    out = []
    for n, row in enumerate(rows, 1):
        band_text = (row.get("band") or "").strip()
        if band_text and not band_text.isdigit():
            raise InputError(f"events file {p} row {n}: band '{band_text}' is not a band number")
        out.append(FloodEvent(resolve(row.get("depth")), resolve(row.get("extent")),
                              (row.get("event") or "").strip() or None, (row.get("date") or "").strip() or None,
                              int(band_text) if band_text else 1, (row.get("extent_layer") or "").strip() or None))
    return out

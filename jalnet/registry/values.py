"""Checking and normalising attribute values against the schema before they are written.

The database constraints are the backstop; these checks exist so that a bad value is
refused with a message naming the layer, the row, the feature and the field, and what
would be accepted, instead of an SQL error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from .schema import DOMAINS, Layer, domain_text

_GEOM_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


def row_label(layer: Layer, frame: pd.DataFrame, pos: int) -> str:
    """'pipes row 12 (pipe_id P-0012)' for messages; rows count from 1."""
    label = f"{layer.name} row {pos + 1}"
    if layer.key in frame.columns:
        key = frame[layer.key].iloc[pos]
        if key is not None and not (isinstance(key, float) and math.isnan(key)):
            label += f" ({layer.key} {key})"
    return label


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if len(idx) else None


def _date_text(value: Any, with_time: bool) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            parsed = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise ValueError(value) from None
    elif isinstance(value, (dt.date, dt.datetime, pd.Timestamp, np.datetime64)):
        parsed = pd.Timestamp(value)
    else:
        raise ValueError(value)
    if pd.isna(parsed):
        return None
    if not with_time:
        return parsed.strftime("%Y-%m-%d")
    if parsed.tzinfo is not None:
        parsed = parsed.tz_convert("UTC").tz_localize(None)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def normalise_column(layer: Layer, name: str, series: pd.Series, frame: pd.DataFrame) -> pd.Series:
    """One column converted to the field's type, checked against its domain and range."""
    fld = layer.field(name)
    values = series.reset_index(drop=True)
    missing = values.isna().to_numpy()
    if fld.type in ("INTEGER", "REAL", "BOOLEAN"):
        if fld.type == "BOOLEAN":
            mapped = values.map(_bool_value)
            bad = mapped.isna().to_numpy() & ~missing
            numeric = mapped
        else:
            numeric = pd.to_numeric(values, errors="coerce")
            bad = numeric.isna().to_numpy() & ~missing
        pos = _first(bad)
        if pos is not None:
            raise InputError(
                f"{row_label(layer, frame, pos)}: {name} '{values.iloc[pos]}' is not a number"
                f"{' (write plain numbers in ' + _unit(name) + ', no units or commas)' if fld.type != 'BOOLEAN' else ''}"
            )
        if fld.type == "INTEGER":
            frac = (~numeric.isna()) & (numeric.fillna(0) % 1 != 0)
            pos = _first(frac.to_numpy())
            if pos is not None:
                raise InputError(f"{row_label(layer, frame, pos)}: {name} {values.iloc[pos]} must be a whole number")
        for bound, cmp, word in ((fld.min, np.less, "below"), (fld.max, np.greater, "above")):
            if bound is None:
                continue
            out = cmp(numeric.to_numpy(dtype=float, na_value=np.nan), bound)
            pos = _first(np.nan_to_num(out, nan=0).astype(bool) & ~missing)
            if pos is not None:
                raise InputError(
                    f"{row_label(layer, frame, pos)}: {name} {values.iloc[pos]} is {word} the allowed "
                    f"range {fld.min if fld.min is not None else '-inf'}..{fld.max if fld.max is not None else 'inf'}"
                )
        if fld.type == "INTEGER":
            return numeric.astype("Int64")
        if fld.type == "BOOLEAN":
            return numeric.astype("boolean")
        return numeric.astype(float)
    if fld.type in ("DATE", "DATETIME"):
        out = []
        for pos, value in enumerate(values):
            try:
                out.append(_date_text(value, fld.type == "DATETIME"))
            except ValueError:
                raise InputError(
                    f"{row_label(layer, frame, pos)}: {name} '{value}' is not a date (use YYYY-MM-DD)"
                ) from None
        return pd.Series(out, dtype=object)
    # TEXT
    text = values.astype(object).where(~values.isna(), None)
    text = text.map(lambda v: v if v is None or isinstance(v, str) else _text(v))
    if fld.domain is not None:
        codes = DOMAINS[fld.domain]
        bad = ~text.isin(list(codes)).to_numpy() & ~missing
        pos = _first(bad)
        if pos is not None:
            raise InputError(
                f"{row_label(layer, frame, pos)}: {name} '{text.iloc[pos]}' is not a code of domain "
                f"{fld.domain} ({domain_text(fld.domain)})"
            )
    return text


def _unit(name: str) -> str:
    for suffix, unit in (("_mm", "mm"), ("_m", "metres"), ("_kl", "kilolitres"), ("_kw", "kW"), ("_lps", "l/s")):
        if name.endswith(suffix):
            return unit
    return "the field's unit"


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bool_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "t"):
        return True
    if text in ("0", "false", "no", "n", "f"):
        return False
    return np.nan


def check_required(layer: Layer, frame: pd.DataFrame) -> None:
    for fld in layer.fields:
        if not fld.required:
            continue
        if fld.name not in frame.columns:
            raise InputError(f"{layer.name}: required field '{fld.name}' is missing ({fld.description})")
        pos = _first(frame[fld.name].isna().to_numpy())
        if pos is not None:
            raise InputError(f"{row_label(layer, frame, pos)}: required field '{fld.name}' is empty")


def check_unique(layer: Layer, frame: pd.DataFrame, existing: set[str]) -> None:
    """Business keys must be unique within the data and against the registry."""
    keys = frame[layer.key]
    dup = keys.duplicated().to_numpy()
    pos = _first(dup)
    if pos is not None:
        raise InputError(f"{row_label(layer, frame, pos)}: {layer.key} '{keys.iloc[pos]}' appears twice in the data")
    if existing:
        clash = keys.isin(existing).to_numpy()
        pos = _first(clash)
        if pos is not None:
            raise InputError(
                f"{row_label(layer, frame, pos)}: {layer.key} '{keys.iloc[pos]}' already exists in the registry"
            )


def normalise_geometry(layer: Layer, geoms: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """2D geometries of the layer's type; a Polygon becomes a one-part MultiPolygon."""
    if layer.geometry is None:
        raise InputError(f"{layer.name} has no geometry")
    geoms = np.asarray(geoms, dtype=object)
    pos = _first(shapely.is_missing(geoms))
    if pos is not None:
        raise InputError(f"{row_label(layer, frame, pos)}: no geometry")
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    expected = _GEOM_TYPES[layer.geometry]
    types = shapely.get_type_id(geoms)
    if expected == "MultiPolygon":
        polys = types == shapely.GeometryType.POLYGON
        if polys.any():
            geoms = geoms.copy()
            geoms[polys] = shapely.multipolygons(geoms[polys, None])
            types = shapely.get_type_id(geoms)
    if expected == "LineString":
        multi = np.flatnonzero(types == shapely.GeometryType.MULTILINESTRING)
        for i in multi:
            merged = shapely.line_merge(geoms[i])
            if merged.geom_type == "LineString":
                geoms[i] = merged
        types = shapely.get_type_id(geoms)
    want = getattr(shapely.GeometryType, layer.geometry)
    pos = _first(types != want)
    if pos is not None:
        got = shapely.get_type_id(geoms[pos])
        raise InputError(
            f"{row_label(layer, frame, pos)}: geometry is {shapely.GeometryType(got).name.title()}, "
            f"layer {layer.name} takes {expected} (split multi-part features first)"
        )
    return geoms


def to_json(values: dict[str, Any]) -> str:
    """Attribute values as JSON for the change log (NaN/NA as null)."""
    return json.dumps({k: plain(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


def plain(value: Any) -> Any:
    """A database/JSON-ready Python value: NULL-likes (None, NA, NaT, NaN) become None, numpy scalars Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value

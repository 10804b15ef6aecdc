"""Fingerprints of features, so that sync can tell what changed since a package was made.

A fingerprint is a SHA-256 over the attribute values (as plain JSON) and the geometry's
WKB. The package's manifest keeps two per packaged feature: of the row as written into the
package (edited in the field when it differs at sync) and of the registry feature at
packaging time (changed in the office when it differs at sync).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import shapely

from ..registry.values import plain


def plain_value(value: Any) -> Any:
    """A JSON-comparable value: NULL/NaN as None, numpy scalars as Python, whole floats as int."""
    value = plain(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 9)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, str) and value == "":
        return None
    return value


def fingerprint(values: Mapping[str, Any], fields: Sequence[str], geom: Any) -> str:
    """SHA-256 of *fields* of *values* and the 2D geometry (WKB, coordinates rounded to the mm)."""
    attrs = {name: plain_value(values.get(name)) for name in fields}
    digest = hashlib.sha256(json.dumps(attrs, sort_keys=True, default=str).encode())
    if geom is not None and not shapely.is_missing(geom) and not shapely.is_empty(geom):
        rounded = shapely.set_precision(shapely.force_2d(geom), 0.001)
        digest.update(shapely.to_wkb(rounded, byte_order=1, output_dimension=2))
    return digest.hexdigest()

"""Change-log rows of many inserted features at once.

A load of a million features writes a million change-log rows; building each row's
attributes JSON and WKB hex feature by feature in Python is what limited it. Here a whole
chunk is built column by column: each field's values are JSON-encoded by dtype (floats
and integers through their ``repr``, the few distinct texts once each), the rows' JSON
assembled with C-level joins, and the geometries made WKB in one ``shapely.to_wkb``. The
text is exactly what :func:`~jalnet.registry.values.to_json` gives row by row (sorted
keys, ``", "`` and ``": "`` separators, non-ASCII kept), so undo reads it back the same.
"""

from __future__ import annotations

import json
import re
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from .schema import Layer
from .values import plain

#: What json.dumps(..., ensure_ascii=False) escapes in a text: quotes, backslashes, control characters.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')

def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_values(series: pd.Series) -> list[str]:
    """One column's values as JSON texts (NULL-likes ``null``), as ``json.dumps`` writes them in a row."""
    dtype = series.dtype
    n = len(series)
    if n == 0:
        return []
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        arr = series.to_numpy(dtype=bool, na_value=False)
        return np.where(missing, "null", np.where(arr, "true", "false")).tolist()
    if pd.api.types.is_integer_dtype(dtype):
        arr = series.to_numpy(dtype=np.int64, na_value=0)
        return np.where(missing, "null", arr.astype(str)).tolist()
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(arr[~missing]).all():  # json writes inf as Infinity: that goes the general way
            texts = list(map(float.__repr__, arr.tolist()))
            if missing.any():
                for k in np.flatnonzero(missing).tolist():
                    texts[k] = "null"
            return texts
    items = series.tolist()
    texts = [v for v in items if v.__class__ is str]
    if len(texts) + len([v for v in items if v is None]) == len(items) and not _JSON_ESCAPED.search("".join(texts)):
        return ["null" if v is None else '"' + v + '"' for v in items]  # texts json writes as they are
    seen: dict[tuple[type, Any], str] = {}
    out = []
    for value in items:
        cls = value.__class__
        if cls is str:
            text = seen.get((cls, value))
            if text is None:
                text = seen[(cls, value)] = _dumps(value)
        else:
            value = plain(value)
            text = "null" if value is None else _dumps(value)
        out.append(text)
    return out


def attrs_json(lyr: Layer, values: dict[str, pd.Series], n: int) -> list[str]:
    """Each row's attributes (every field of *lyr*, absent ones null) as the change log's JSON."""
    names = sorted(lyr.field_names)
    pieces: list[Any] = []
    for k, name in enumerate(names):
        pieces.append(repeat(("{" if k == 0 else ", ") + _dumps(name) + ": "))
        pieces.append(json_values(values[name].reset_index(drop=True)) if name in values else repeat("null", n))
    pieces.append(repeat("}"))
    return list(map("".join, zip(*pieces)))


def keys_text(lyr: Layer, values: dict[str, pd.Series], n: int) -> list[str | None]:
    """The features' business keys as the change log stores them (text, or None)."""
    if lyr.key not in values:
        return [None] * n
    out: list[str | None] = []
    for value in values[lyr.key].tolist():
        value = plain(value)
        out.append(None if value is None else str(value))
    return out


def hex_wkbs(wkbs: Any) -> list[str | None]:
    """WKB bytes as the change log's lower-case hex (None stays None)."""
    return [None if w is None else w.hex() for w in wkbs]

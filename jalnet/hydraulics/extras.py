"""The registry's hydraulic tables (``hyd_*``) for a set of schemes: read, and rows to write.

Asset layers hold the network; these tables hold what an EPANET model has beyond it:
model options, patterns, curves, controls, and per-asset properties keyed by
``layer/asset_id``. Curves are stored in engineers' units (l/s, m, m3, %) and converted
to SI at the WNTR boundary here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InputError
from ..registry import Registry

#: (x, y) factors from the stored curve units to WNTR's SI units, by curve type.
CURVE_TO_SI: dict[str | None, tuple[float, float]] = {
    "HEAD": (1e-3, 1.0),  # l/s -> m3/s, m
    "EFFICIENCY": (1e-3, 1.0),  # l/s -> m3/s, %
    "VOLUME": (1.0, 1.0),  # m, m3
    "HEADLOSS": (1e-3, 1.0),  # l/s -> m3/s, m
    None: (1.0, 1.0),  # unused curves: kept exactly as the .inp had them
}


@dataclass
class Element:
    """Model properties of one asset beyond its layer's fields."""

    layer: str
    asset_id: str
    model_name: str | None = None
    start_node: str | None = None
    end_node: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelExtras:
    """Everything a scheme's model has beyond the asset layers."""

    model: dict[str, Any] | None = None
    patterns: dict[str, list[float]] = field(default_factory=dict)
    curves: dict[str, tuple[str | None, list[tuple[float, float]]]] = field(default_factory=dict)
    elements: dict[tuple[str, str], Element] = field(default_factory=dict)


def key(scheme: str, name: str) -> str:
    return f"{scheme}/{name}"


def loads(text: Any, where: str) -> Any:
    """JSON from a registry text field, or a clear error naming the row."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text == "":
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError) as err:
        raise InputError(f"{where}: not valid JSON ({err}); correct it in the registry") from None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def read_extras(reg: Registry, schemes: list[str]) -> dict[str, ModelExtras]:
    """The hydraulic tables of *schemes* (one read per table)."""
    out = {s: ModelExtras() for s in schemes}
    if not schemes or "hyd_models" not in reg.layer_names():
        return out
    where = {"scheme_id": list(schemes)}
    for row in _records(reg.read("hyd_models", where=where)):
        row["options"] = loads(row.get("options"), f"hyd_models {row['scheme_id']} options") or {}
        row["extras"] = loads(row.get("extras"), f"hyd_models {row['scheme_id']} extras") or {}
        out[row["scheme_id"]].model = row
    for row in _records(reg.read("hyd_patterns", where=where)):
        values = loads(row["multipliers"], f"hyd_patterns {row['pattern_key']} multipliers")
        if not isinstance(values, list) or not values or not all(isinstance(v, (int, float)) for v in values):
            raise InputError(f"hyd_patterns {row['pattern_key']}: multipliers must be a JSON list of numbers")
        out[row["scheme_id"]].patterns[row["name"]] = [float(v) for v in values]
    for row in _records(reg.read("hyd_curves", where=where)):
        points = loads(row["points"], f"hyd_curves {row['curve_key']} points")
        if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
            raise InputError(f"hyd_curves {row['curve_key']}: points must be a JSON list of [x, y] pairs")
        out[row["scheme_id"]].curves[row["name"]] = (row.get("curve_type"), [(float(x), float(y)) for x, y in points])
    elements = reg.read("hyd_elements", where=where)
    if not elements.empty:
        columns = ("scheme_id", "layer", "asset_id", "model_name", "start_node", "end_node", "element_key")
        values = [_column(elements, c) for c in columns]
        properties = _json_column(_column(elements, "properties"), values[-1])
        for (scheme, layer, asset_id, model_name, start, end, _key), props in zip(zip(*values), properties):
            out[scheme].elements[(layer, asset_id)] = Element(layer, asset_id, model_name, start, end, props or {})
    return out


def curve_to_si(curve_type: str | None, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    fx, fy = CURVE_TO_SI.get(curve_type, (1.0, 1.0))
    return [(x * fx, y * fy) for x, y in points]


def curve_from_si(curve_type: str | None, points: list[tuple[float, float]]) -> list[list[float]]:
    fx, fy = CURVE_TO_SI.get(curve_type, (1.0, 1.0))
    return [[float(x) / fx, float(y) / fy] for x, y in points]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with None for missing values."""
    if frame.empty:
        return []
    columns = list(frame.columns)
    return [dict(zip(columns, row)) for row in zip(*(_column(frame, c) for c in columns))]


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """One column as a list, None where missing."""
    col = frame[name]
    return col.astype(object).where(col.notna(), None).tolist()


def _json_column(texts: list[Any], keys: list[str]) -> list[Any]:
    """Many JSON texts parsed in one call (the large hyd_elements table); a bad one is named by its key."""
    present = [t for t in texts if t not in (None, "")]
    try:
        parsed = json.loads("[" + ",".join(present) + "]")
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, list) and len(parsed) == len(present) and all(isinstance(p, dict) for p in parsed):
        found = iter(parsed)
        return [None if t in (None, "") else next(found) for t in texts]
    return [loads(t, f"hyd_elements {k} properties") for t, k in zip(texts, keys)]

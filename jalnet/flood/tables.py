"""The two editable tables behind a flood assessment: critical heights and severity classes.

Why tables and not constants: the height at which a flooded asset stops working is a
property of the asset as built (a plinth raised above the highest flood level, a panel
fixed on a wall), so a division replaces the defaults with its own survey values. Both
tables load from CSV or JSON (``--thresholds FILE``, ``--classes FILE``).

Critical heights (metres above ground) are JalNet's planning defaults, not values from a
standard: the typical height of the component that fails first. A thresholds file
overrides rows with the same ``asset_type`` and ``subtype`` and keeps the others.

Severity classes: an asset takes the last class in table order whose ``min_depth_m`` is
reached or whose ``min_ratio`` (depth / critical height) is reached. The default absolute
bounds are the PetaBencana.id flood-report classes (10-70 cm, 71-150 cm, over 150 cm; as
published on petabencana.id and used by InaSAFE's PetaJakarta import), made for people and
houses; the relative bounds tie the class to the asset's own critical height and are
JalNet's choice. A classes file replaces the whole class table.

Four classes are fixed and cannot be redefined: ``dry`` (depth at or below the wet
threshold), ``unknown_depth`` (inside a flood-extent polygon, depth unknown), ``no_data``
(off the raster or on a nodata cell, never reported as dry).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..registry.schema import DOMAINS, LAYERS

#: Impact layers, in report order, and the registry field that refines the asset type.
ASSET_TYPES: dict[str, str | None] = {
    "sources": "source_type",
    "pumps": "pump_type",
    "treatment_units": "unit_type",
    "tanks": "tank_type",
    "valves": "valve_type",
    "fhtc": None,
    "pipes": "pipe_function",
}
POINT_TYPES: tuple[str, ...] = tuple(t for t in ASSET_TYPES if t != "pipes")

DRY = "dry"
UNKNOWN_DEPTH = "unknown_depth"
NO_DATA = "no_data"
FIXED_CLASSES: dict[str, tuple[str, str]] = {
    NO_DATA: ("No data (off the raster or nodata)", "#bdbdbd"),
    DRY: ("Dry", "#4daf4a"),
    UNKNOWN_DEPTH: ("Inundated, depth unknown", "#984ea3"),
}


@dataclass(frozen=True)
class CriticalHeight:
    asset_type: str
    subtype: str  # "" applies to every subtype without a row of its own
    critical_height_m: float
    component: str
    basis: str


_BASIS = "JalNet planning default; replace with the surveyed height of your assets"
DEFAULT_CRITICAL_HEIGHTS: tuple[CriticalHeight, ...] = (
    CriticalHeight("sources", "", 0.45, "borewell head / well apron",
                   f"water over the well head or apron enters the well and contaminates it; {_BASIS}"),
    CriticalHeight("sources", "surface_intake", 1.00, "intake pump-house plinth",
                   f"an intake stands in water by design; its pump house floods first; {_BASIS}"),
    CriticalHeight("pumps", "", 0.50, "pump motor", f"motor of a surface pump set on its plinth; {_BASIS}"),
    CriticalHeight("pumps", "submersible", 1.00, "electrical panel / starter",
                   f"a submersible motor runs under water; the starter panel on the pump-house wall floods; {_BASIS}"),
    CriticalHeight("treatment_units", "", 0.60, "plinth",
                   f"plinth of the treatment unit or filter house; {_BASIS}"),
    CriticalHeight("tanks", "", 1.00, "OHT base (valve chamber, staging)",
                   f"inlet/outlet valve chamber and staging foundation of an overhead tank; {_BASIS}"),
    CriticalHeight("tanks", "GSR", 0.45, "ground reservoir roof openings", f"vents and manholes of a GSR; {_BASIS}"),
    CriticalHeight("tanks", "SUMP", 0.30, "sump manhole cover", f"water over the cover enters the sump; {_BASIS}"),
    CriticalHeight("valves", "", 0.20, "valve chamber cover",
                   f"a flooded chamber makes the valve inaccessible; at air valves it lets flood water in; {_BASIS}"),
    CriticalHeight("fhtc", "", 0.30, "tap and platform",
                   f"a submerged tap is unusable and back-siphons flood water; {_BASIS}"),
    CriticalHeight("pipes", "", 1.00, "main (washout, contamination)",
                   f"depth over a buried main beyond which it is taken out of service; only rising and gravity "
                   f"mains are taken out; {_BASIS}"),
)


@dataclass(frozen=True)
class SeverityClass:
    severity: str
    label: str
    min_depth_m: float | None
    min_ratio: float | None
    colour: str
    description: str = ""


DEFAULT_CLASSES: tuple[SeverityClass, ...] = (
    SeverityClass("low", "Wet, below 10 cm", 0.0, None, "#fee08b",
                  "water at the asset; inspect when it recedes"),
    SeverityClass("moderate", "10-70 cm, or half the critical height", 0.10, 0.5, "#fdae61",
                  "PetaBencana class 10-70 cm; access and hygiene problems; protect what can be protected"),
    SeverityClass("high", "71-150 cm, or at the critical height", 0.71, 1.0, "#f46d43",
                  "PetaBencana class 71-150 cm; the asset's weakest component is under water: out of service"),
    SeverityClass("extreme", "Over 150 cm, or twice the critical height", 1.51, 2.0, "#a50026",
                  "PetaBencana class over 150 cm; structural damage likely; long outage"),
)


# ---------------------------------------------------------------------------------------
# Reading tables from files
# ---------------------------------------------------------------------------------------
def _read_rows(path: str | Path, what: str) -> list[dict[str, Any]]:
    """Rows of a CSV or JSON table (a list of objects, or {"rows": [...]})."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file {p} does not exist")
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{what} file {p} is not valid JSON: {err}") from None
        if isinstance(data, dict):
            data = data.get("rows")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError(f"{what} file {p}: give a list of objects (or {{\"rows\": [...]}})")
        return data
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise InputError(f"{what} file {p} has no rows")
    return rows


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any, where: str, column: str, required: bool) -> float | None:
    text = _text(value)
    if not text:
        if required:
            raise InputError(f"{where}: {column} is empty; give a number in metres")
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{where}: {column} '{text}' is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{where}: {column} {text} must be a number of zero or more")
    return number


def _check_columns(rows: list[dict[str, Any]], path: str | Path, allowed: tuple[str, ...],
                   required: tuple[str, ...], what: str) -> None:
    columns = set().union(*(r.keys() for r in rows))
    unknown = sorted(str(c) for c in columns - set(allowed))
    if unknown:
        raise InputError(f"{what} file {path}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(f"{what} file {path}: missing column(s) {', '.join(missing)}")


def load_critical_heights(path: str | Path | None = None) -> dict[tuple[str, str], CriticalHeight]:
    """Defaults, overridden row by row from *path*; unknown asset types or subtypes are refused."""
    table = {(c.asset_type, c.subtype): c for c in DEFAULT_CRITICAL_HEIGHTS}
    if path is None:
        return table
    rows = _read_rows(path, "thresholds")
    _check_columns(rows, path, ("asset_type", "subtype", "critical_height_m", "component", "basis"),
                   ("asset_type", "critical_height_m"), "thresholds")
    for n, row in enumerate(rows, 1):
        where = f"thresholds file {path} row {n}"
        asset_type, subtype = _text(row.get("asset_type")), _text(row.get("subtype"))
        if asset_type not in ASSET_TYPES:
            raise InputError(f"{where}: unknown asset type '{asset_type}'; use one of {', '.join(ASSET_TYPES)}")
        field = ASSET_TYPES[asset_type]
        if subtype and subtype != "*":
            codes = DOMAINS[LAYERS[asset_type].field(field).domain] if field else {}
            if subtype not in codes:
                known = ", ".join(codes) if codes else "none (leave it empty)"
                raise InputError(f"{where}: unknown {asset_type} subtype '{subtype}'; known: {known}")
        else:
            subtype = ""
        height = _number(row.get("critical_height_m"), where, "critical_height_m", required=True)
        old = table.get((asset_type, subtype))
        table[(asset_type, subtype)] = CriticalHeight(
            asset_type, subtype, float(height),
            _text(row.get("component")) or (old.component if old else asset_type),
            _text(row.get("basis")) or f"from {Path(path).name}",
        )
    return table


def load_classes(path: str | Path | None = None) -> tuple[SeverityClass, ...]:
    """The default severity classes, or the whole table from *path*, checked."""
    if path is None:
        return DEFAULT_CLASSES
    rows = _read_rows(path, "severity classes")
    _check_columns(rows, path, ("severity", "label", "min_depth_m", "min_ratio", "colour", "description"),
                   ("severity",), "severity classes")
    out: list[SeverityClass] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, 1):
        where = f"severity classes file {path} row {n}"
        code = _text(row.get("severity"))
        if not code or not code.replace("_", "").isalnum():
            raise InputError(f"{where}: severity '{code}' must be a short code of letters, digits and _")
        if code in FIXED_CLASSES:
            raise InputError(f"{where}: '{code}' is a fixed class ({', '.join(FIXED_CLASSES)}); choose another code")
        if code in seen:
            raise InputError(f"{where}: severity '{code}' appears twice")
        seen.add(code)
        min_depth = _number(row.get("min_depth_m"), where, "min_depth_m", required=False)
        min_ratio = _number(row.get("min_ratio"), where, "min_ratio", required=False)
        if min_depth is None and min_ratio is None:
            raise InputError(f"{where}: give min_depth_m, min_ratio or both")
        colour = _text(row.get("colour")) or "#808080"
        out.append(SeverityClass(code, _text(row.get("label")) or code, min_depth, min_ratio, colour,
                                 _text(row.get("description"))))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Applying them
# ---------------------------------------------------------------------------------------
def critical_heights_for(asset_type: str, subtypes: pd.Series,
                         table: dict[tuple[str, str], CriticalHeight]) -> tuple[np.ndarray, np.ndarray]:
    """(critical height in m, component) per asset: the subtype's row, else the type's."""
    default = table.get((asset_type, ""))
    heights = np.full(len(subtypes), np.nan if default is None else default.critical_height_m)
    components = np.full(len(subtypes), "" if default is None else default.component, dtype=object)
    for (atype, sub), row in table.items():
        if atype == asset_type and sub:
            hit = (subtypes == sub).to_numpy()
            heights[hit] = row.critical_height_m
            components[hit] = row.component
    return heights, components


def classify(depth: np.ndarray, critical: np.ndarray, classes: tuple[SeverityClass, ...],
             wet_threshold: float = 0.0, inundated: np.ndarray | None = None) -> np.ndarray:
    """Severity code per asset from its depth (NaN = unknown) and critical height.

    *inundated* (extent polygons) marks assets known to be under water where the depth is
    unknown; they become ``unknown_depth`` instead of ``no_data``.
    """
    depth = np.asarray(depth, dtype=float)
    critical = np.asarray(critical, dtype=float)
    out = np.full(len(depth), NO_DATA, dtype=object)
    known = ~np.isnan(depth)
    out[known & (depth <= wet_threshold)] = DRY
    wet = known & (depth > wet_threshold)
    for cls in classes:
        reached = np.zeros(len(depth), dtype=bool)
        if cls.min_depth_m is not None:
            reached |= depth >= cls.min_depth_m - 1e-9
        if cls.min_ratio is not None:
            with np.errstate(invalid="ignore"):
                reached |= (critical > 0) & (depth >= cls.min_ratio * critical - 1e-9)
        out[wet & reached] = cls.severity
    if inundated is not None:
        out[~known & np.asarray(inundated, dtype=bool)] = UNKNOWN_DEPTH
    return out


def class_table(classes: tuple[SeverityClass, ...]) -> list[dict[str, Any]]:
    """Every severity an impact layer can hold, fixed ones included, in legend order."""
    rows = [{"severity": NO_DATA, "label": FIXED_CLASSES[NO_DATA][0], "colour": FIXED_CLASSES[NO_DATA][1],
             "rule": "off the raster or on nodata"},
            {"severity": DRY, "label": FIXED_CLASSES[DRY][0], "colour": FIXED_CLASSES[DRY][1],
             "rule": "depth at or below the wet threshold"},
            {"severity": UNKNOWN_DEPTH, "label": FIXED_CLASSES[UNKNOWN_DEPTH][0],
             "colour": FIXED_CLASSES[UNKNOWN_DEPTH][1], "rule": "inside a flood-extent polygon, no depth"}]
    for c in classes:
        parts = []
        if c.min_depth_m is not None:
            parts.append(f"depth >= {c.min_depth_m:g} m")
        if c.min_ratio is not None:
            parts.append(f"depth >= {c.min_ratio:g} x critical height")
        rows.append({"severity": c.severity, "label": c.label, "colour": c.colour, "rule": " or ".join(parts)})
    return rows


def severity_rank(classes: tuple[SeverityClass, ...]) -> dict[str, int]:
    """Order of severities from least to most severe, for 'worst of' across events."""
    order = [NO_DATA, DRY, UNKNOWN_DEPTH] + [c.severity for c in classes]
    return {code: i for i, code in enumerate(order)}

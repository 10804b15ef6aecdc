"""Findings of a validation: collecting them, their stable fingerprint, and the error GeoPackage.

A finding is a point or a line with the rule code, severity, a message and the ids of the
assets concerned. Its fingerprint (rule + sorted asset ids + which end or place) stays the
same from run to run while the assets do, so an exception accepted once is recognised
on the next run even if the geometry was nudged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..errors import InputError
from ..outputs import gpkg_output, staged_write, write_gpkg_layer
from .rules import RULES, SEVERITIES

STYLES = Path(__file__).resolve().parent.parent / "styles"
POINT_LAYER = "findings_points"
LINE_LAYER = "findings_lines"
#: Columns of the findings frame and of both error layers, in order.
COLUMNS: tuple[str, ...] = ("rule", "severity", "title", "message", "layer", "asset_ids", "scheme_id", "division",
                            "fingerprint", "status", "note")
#: Values of ``status`` in an error GeoPackage, set in the findings panel.
STATUSES: tuple[str, ...] = ("open", "fixed", "accepted")
_MAX_IDS_SHOWN = 50


def fingerprint(rule: str, asset_ids: Sequence[str], where: str = "") -> str:
    """Stable identity of a finding: the same rule on the same assets (at the same end) gives the same value."""
    text = f"{rule}|{','.join(sorted(str(a) for a in asset_ids))}|{where}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class FindingList:
    """Findings as rules report them, in batches of arrays."""

    def __init__(self) -> None:
        self._parts: list[dict[str, Any]] = []

    def add(self, rule: str, geometry: Any, message: Any, layer: str, asset_ids: Sequence[Sequence[str]],
            scheme_id: Any, where: Any = "") -> None:
        """One batch of findings of one rule; scalars are repeated, sequences give one value per finding."""
        n = len(asset_ids)
        if n == 0:
            return
        self._parts.append({
            "rule": rule, "geometry": _array(geometry, n, object), "message": _array(message, n, object),
            "layer": layer, "asset_ids": [tuple(str(a) for a in ids) for ids in asset_ids],
            "scheme_id": _array(scheme_id, n, object), "where": _array(where, n, object),
        })

    def frame(self, crs: Any, divisions: dict[str, str]) -> gpd.GeoDataFrame:
        rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        geoms: list[Any] = []
        for part in self._parts:
            rule = RULES[part["rule"]]
            n = len(part["asset_ids"])
            rows["rule"] += [rule.code] * n
            rows["severity"] += [rule.severity] * n
            rows["title"] += [rule.title] * n
            rows["message"] += [str(m) for m in part["message"]]
            rows["layer"] += [part["layer"]] * n
            rows["asset_ids"] += [_ids_text(ids) for ids in part["asset_ids"]]
            schemes = [None if _missing(s) else str(s) for s in part["scheme_id"]]
            rows["scheme_id"] += schemes
            rows["division"] += [divisions.get(s) if s else None for s in schemes]
            rows["fingerprint"] += [fingerprint(rule.code, ids, str(w or ""))
                                    for ids, w in zip(part["asset_ids"], part["where"])]
            geoms += list(part["geometry"])
        rows["status"] = ["open"] * len(rows["rule"])
        rows["note"] = [None] * len(rows["rule"])
        frame = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(np.array(geoms, dtype=object), crs=crs))
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        order = np.lexsort((frame["rule"].to_numpy(), frame["severity"].map(rank).to_numpy()))
        return frame.iloc[order].reset_index(drop=True)


def _array(value: Any, n: int, dtype: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None or np.isscalar(value) or isinstance(value, shapely.Geometry):
        out = np.empty(n, dtype=dtype)
        out[:] = [value] * n
        return out
    out = np.empty(n, dtype=dtype)
    out[:] = list(value)
    return out


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value == ""


def _ids_text(ids: Sequence[str]) -> str:
    if len(ids) <= _MAX_IDS_SHOWN:
        return ", ".join(ids)
    return ", ".join(ids[:_MAX_IDS_SHOWN]) + f" (+{len(ids) - _MAX_IDS_SHOWN} more)"


@dataclass
class ValidationResult:
    """What :func:`jalnet.topology.validate` found."""

    findings: gpd.GeoDataFrame
    rules: list[str]
    params: dict[str, float]
    accepted: int = 0  # findings not reported because they were accepted as exceptions
    registry: str | None = None
    scheme: str | None = None
    counts_by_scheme: pd.DataFrame = field(default_factory=pd.DataFrame)  # pipes and km per scheme

    @property
    def counts(self) -> dict[str, int]:
        got = self.findings["severity"].value_counts()
        return {s: int(got.get(s, 0)) for s in SEVERITIES}

    def by_rule(self) -> pd.DataFrame:
        """Findings per rule code with title and severity, catalogue order."""
        got = self.findings["rule"].value_counts()
        rows = [{"rule": r.code, "severity": r.severity, "title": r.title, "findings": int(got.get(r.code, 0))}
                for r in RULES.values() if r.code in self.rules]
        return pd.DataFrame(rows, columns=["rule", "severity", "title", "findings"])

    def write(self, path: str | os.PathLike) -> Path:
        """The error GeoPackage: a point and a line layer (styled), the rule catalogue and the run details."""
        return write_findings(self, path)


def write_findings(result: ValidationResult, path: str | os.PathLike) -> Path:
    out = gpkg_output(path, "error layer file")
    if out.exists():
        if _is_registry(out):
            raise InputError(f"{out} is a JalNet registry; write the error layers to another file")
        out.unlink()
    frame = result.findings
    types = shapely.get_type_id(np.asarray(frame.geometry.values, dtype=object))
    is_line = np.isin(types, [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING])
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        with staged_write():
            points = frame[~is_line].copy()
            point_geoms = np.array(points.geometry.values, dtype=object)
            polygonal = np.isin(shapely.get_type_id(point_geoms), [shapely.GeometryType.POLYGON,
                                                                    shapely.GeometryType.MULTIPOLYGON])
            point_geoms[polygonal] = shapely.point_on_surface(point_geoms[polygonal])
            points = points.set_geometry(gpd.GeoSeries(point_geoms, index=points.index, crs=frame.crs))
            lines = frame[is_line].copy()
            lines = lines.set_geometry(gpd.GeoSeries(_multi(lines.geometry.values), index=lines.index, crs=frame.crs))
            for name, layer, gtype in ((POINT_LAYER, points, "Point"), (LINE_LAYER, lines, "MultiLineString")):
                write_gpkg_layer(layer.reset_index(drop=True), tmp, name, geometry_type=gtype,
                            layer_options={"DESCRIPTION": f"JalNet network validation findings ({gtype})"})
            catalogue = pd.DataFrame([{"rule": r.code, "severity": r.severity, "group": r.group, "title": r.title,
                                       "description": r.description, "parameters": ", ".join(r.params)}
                                      for r in RULES.values()])
            write_gpkg_layer(catalogue, tmp, "rules")
            run = {"registry": result.registry or "", "scheme": result.scheme or "(all)",
                   "validated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "rules": ",".join(result.rules), "params": json.dumps(result.params, sort_keys=True),
                   "accepted_exceptions": str(result.accepted), **{k: str(v) for k, v in result.counts.items()}}
            write_gpkg_layer(pd.DataFrame({"key": list(run), "value": list(run.values())}), tmp, "validation_run")
        _embed_styles(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _multi(geoms: np.ndarray) -> np.ndarray:
    out = np.array(geoms, dtype=object)
    single = shapely.get_type_id(out) == shapely.GeometryType.LINESTRING
    if single.any():
        out[single] = [shapely.multilinestrings([g]) for g in out[single]]
    return out


def _is_registry(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jalnet_meta'").fetchone() is not None
    except sqlite3.Error:
        return False


def style_qml(layer: str) -> Path:
    return STYLES / f"{layer}.qml"


def _embed_styles(path: Path) -> None:
    """Store the QML styles as the layers' default style, so QGIS opens the file styled."""
    rows = []
    for layer in (POINT_LAYER, LINE_LAYER):
        qml = style_qml(layer)
        if not qml.exists():
            continue
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": layer, "f_geometry_column": "geom",
                     "styleName": layer, "styleQML": qml.read_text(encoding="utf-8"), "styleSLD": "",
                     "useAsDefault": True, "description": "JalNet findings by severity", "owner": "", "ui": "",
                     "update_time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    if rows:
        write_gpkg_layer(pd.DataFrame(rows), path, "layer_styles")


def read_findings(path: str | os.PathLike) -> gpd.GeoDataFrame:
    """Both layers of an error GeoPackage as one frame (with a ``source_layer`` column)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"error layer file {path} does not exist; write it with 'jalnet network validate --out'")
    try:
        names = [n for n, _ in pyogrio.list_layers(path)]
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
    if POINT_LAYER not in names or LINE_LAYER not in names:
        raise InputError(f"{path} is not a JalNet error file (no layers {POINT_LAYER} and {LINE_LAYER})")
    frames = []
    for name in (POINT_LAYER, LINE_LAYER):
        frame = pyogrio.read_dataframe(path, layer=name)
        frame["source_layer"] = name
        frames.append(frame)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)

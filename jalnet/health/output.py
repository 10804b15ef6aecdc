"""The health GeoPackage: findings as point and line layers the findings panel opens, schemes by score, tables."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..outputs import gpkg_output, staged_write, write_gpkg_layer
from ..topology.findings import LINE_LAYER, POINT_LAYER, _is_registry, _multi, style_qml

if TYPE_CHECKING:
    from .run import HealthResult

SCHEME_LAYER = "scheme_health"


def write_health(result: HealthResult, path: str | os.PathLike) -> Path:
    """Write (replace) the health GeoPackage; refuses to overwrite a registry."""
    out = gpkg_output(path, "health file")
    if out.exists() and _is_registry(out):
        raise InputError(f"{out} is a JalNet registry; write the health layers to another file")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        with staged_write():
            _write_layers(result, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _write_layers(result: HealthResult, tmp: Path) -> None:
    found = result.findings
    geoms = np.asarray(found.geometry.values, dtype=object)
    types = shapely.get_type_id(geoms)
    is_line = np.isin(types, [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING])
    points = found[~is_line].copy()
    pgeoms = geoms[~is_line]
    polygonal = np.isin(shapely.get_type_id(pgeoms), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    pgeoms[polygonal] = shapely.point_on_surface(pgeoms[polygonal])
    points = points.set_geometry(gpd.GeoSeries(pgeoms, index=points.index, crs=found.crs))
    lines = found[is_line].copy()
    lines = lines.set_geometry(gpd.GeoSeries(_multi(geoms[is_line]), index=lines.index, crs=found.crs))
    for name, layer, gtype in ((POINT_LAYER, points, "Point"), (LINE_LAYER, lines, "MultiLineString")):
        write_gpkg_layer(layer.reset_index(drop=True), tmp, name, geometry_type=gtype,
                         layer_options={"DESCRIPTION": f"JalNet data-health findings, all modules ({gtype})"})
    write_gpkg_layer(result.scheme_areas, tmp, SCHEME_LAYER, geometry_type="MultiPolygon",
                     layer_options={"DESCRIPTION": "Schemes by data-health score (0-100, worst first)"})
    for name, table in (("schemes_by_score", result.schemes), ("divisions_by_score", result.divisions),
                        ("districts_by_score", result.districts), ("fixed_since_last_run", result.fixed)):
        write_gpkg_layer(pd.DataFrame(table).astype(object).where(pd.DataFrame(table).notna(), None)
                         if len(table) else pd.DataFrame({"none": pd.Series(dtype=str)}), tmp, name)
    run = {"registry": result.registry, "scheme": result.scope or "(all)", "validated": result.started,
           "run_id": result.run_id or "", "accepted_exceptions": str(result.accepted),
           **{k: str(v) for k, v in result.counts.items()}, **{f"module_{k}": v for k, v in result.modules.items()}}
    write_gpkg_layer(pd.DataFrame({"key": list(run), "value": list(run.values())}), tmp, "validation_run")
    _embed_styles(tmp)


def _embed_styles(path: Path) -> None:
    rows = []
    for layer in (POINT_LAYER, LINE_LAYER, SCHEME_LAYER):
        qml = style_qml(layer)
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": layer, "f_geometry_column": "geom",
                     "styleName": layer, "styleQML": qml.read_text(encoding="utf-8"), "styleSLD": "",
                     "useAsDefault": True, "description": "JalNet data health", "owner": "", "ui": "",
                     "update_time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    write_gpkg_layer(pd.DataFrame(rows), path, "layer_styles")

"""Writing a field package: one folder QField opens as it is.

The folder holds ``field_data.gpkg`` (the scheme's assets read-only for reference, and the
capture layers), ``field_capture.qgs`` (a QGIS project with relative paths, styles and
forms built from the registry's domains), ``DCIM/`` for photos, an optional DEM and
hillshade, and ``jalnet_field.json``, the manifest with the baseline sync compares with.
The project file is written by QGIS's Python in a process of its own
(:mod:`jalnet.plugin.field_project`); this module never imports QGIS. Nothing in the
package names the registry's host, user or password.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from .. import __version__
from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder, write_gpkg_layer
from ..registry import Registry, open_registry
from ..registry.schema import Field, layer
from .background import write_background
from .baseline import fingerprint
from .layout import CAPTURE_LAYERS, GPKG_NAME, MANIFEST_NAME, PHOTO_DIR, PROJECT_NAME, REFERENCE_LAYERS, CaptureLayer
from .project_spec import project_spec, write_project

FORMAT = "jalnet-field-package"
FORMAT_VERSION = 1

_DTYPES = {"INTEGER": "Int64", "REAL": "float64", "BOOLEAN": "Int64"}


@dataclass
class PackageResult:
    """What was packaged."""

    folder: Path
    project: Path | None
    package_id: str
    scheme_id: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "project": str(self.project) if self.project else None,
                "package_id": self.package_id, "scheme_id": self.scheme_id, "counts": self.counts,
                "notes": self.notes}


def package_scheme(registry: Registry | str | os.PathLike, scheme_id: str, out_dir: str | os.PathLike,
                   dem: str | os.PathLike | None = None, overwrite: bool = False, project: bool = True,
                   feedback: Feedback | None = None) -> PackageResult:
    """Write the field package of *scheme_id* into *out_dir* (a new or empty folder)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out} is not empty; give a new folder, or --overwrite to replace it")
    output_folder(out)
    if dem is not None and not Path(dem).is_file():
        raise InputError(f"DEM {dem} does not exist; give a GeoTIFF of the scheme's terrain or leave it out")
    if isinstance(registry, Registry):
        return _package(registry, scheme_id, out, dem, project, feedback)
    with open_registry(registry, readonly=True) as reg:
        return _package(reg, scheme_id, out, dem, project, feedback)


def _package(reg: Registry, scheme_id: str, out: Path, dem: str | os.PathLike | None, project: bool,
             feedback: Feedback | None) -> PackageResult:
    steps = Steps(feedback, 4)
    schemes = reg.read("schemes", where={"scheme_id": scheme_id})
    if schemes.empty:
        known = ", ".join(reg.read("schemes")["scheme_id"].astype(str)) or "none"
        raise InputError(f"scheme '{scheme_id}' is not in registry {reg.target} (schemes: {known})")
    work = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        result = PackageResult(out, None, uuid.uuid4().hex, scheme_id)
        steps.next("writing the reference and capture layers")
        gpkg = work / GPKG_NAME
        for name in REFERENCE_LAYERS:
            result.counts[name] = _write_reference(reg, name, scheme_id, gpkg)
        baseline: dict[str, dict[str, Any]] = {}
        for cl in CAPTURE_LAYERS:
            baseline[cl.name] = _write_capture(reg, cl, scheme_id, gpkg)
            result.counts[cl.name] = len(baseline[cl.name])
        (work / PHOTO_DIR).mkdir()
        steps.next("writing the background")
        rasters = write_background(dem, work, reg.crs, _extent(reg, scheme_id)) if dem is not None else []
        manifest = _manifest(reg, result, baseline, [r.name for r in rasters])
        (work / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        if project:
            steps.next("writing the QGIS project")
            spec = project_spec(work, reg, scheme_id, str(schemes["name"].iloc[0]), rasters, _extent(reg, scheme_id))
            write_project(spec, work / PROJECT_NAME)
        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if project:
        result.project = out / PROJECT_NAME
    else:
        result.notes.append("project file not written (project=False): the folder holds the data only")
    steps.done()
    return result


def _manifest(reg: Registry, result: PackageResult, baseline: dict[str, dict[str, Any]],
              rasters: list[str]) -> dict[str, Any]:
    meta = reg.meta()
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "package_id": result.package_id,
        "scheme_id": result.scheme_id,
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "jalnet_version": __version__,
        # identity of the registry, never its address: the registry's creation stamp survives copies
        "registry": {"kind": reg.kind, "created": meta.get("created"), "epsg": reg.epsg,
                     "schema_version": reg.schema_version},
        "layers": {cl.name: {"target": cl.target, "fields": list(cl.fields)} for cl in CAPTURE_LAYERS},
        "rasters": rasters,
        "baseline": baseline,
    }


def _extent(reg: Registry, scheme_id: str) -> tuple[float, float, float, float] | None:
    bounds = []
    for name in ("pipes", "villages", "sources", "tanks"):
        frame = reg.read(name, where={"scheme_id": scheme_id})
        if len(frame) and not frame.geometry.is_empty.all():
            bounds.append(frame.total_bounds)
    if not bounds:
        return None
    return (min(b[0] for b in bounds), min(b[1] for b in bounds), max(b[2] for b in bounds),
            max(b[3] for b in bounds))


def _typed(fields: list[Field], rows: pd.DataFrame) -> pd.DataFrame:
    """Columns in field order with types GeoPackage keeps (TEXT for dates, as the registry)."""
    cols = {}
    for f in fields:
        values = rows[f.name] if f.name in rows.columns else pd.Series([None] * len(rows), index=rows.index)
        dtype = _DTYPES.get(f.type, object)
        cols[f.name] = values.astype(dtype) if dtype is not object else values.astype(object).where(values.notna(), None)
    return pd.DataFrame(cols, index=rows.index)


def _write_reference(reg: Registry, name: str, scheme_id: str, gpkg: Path) -> int:
    lyr = layer(name)
    frame = reg.read(name, where={"scheme_id": scheme_id})
    fields = [f for f in lyr.fields if not f.sensitive]
    out = gpd.GeoDataFrame(_typed(fields, frame).reset_index(drop=True),
                           geometry=frame.geometry.reset_index(drop=True), crs=reg.crs)
    write_gpkg_layer(out, gpkg, name, geometry_type=_GEOMETRY[lyr.geometry])
    return len(out)


_GEOMETRY = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


def _write_capture(reg: Registry, cl: CaptureLayer, scheme_id: str, gpkg: Path) -> dict[str, Any]:
    """Write one capture layer; returns its baseline: capture_uuid -> fingerprints of the packaged feature."""
    fields = cl.schema_fields()
    if cl.preload and cl.target:
        current = reg.read(cl.target, where={"scheme_id": scheme_id})
        rows = pd.DataFrame(current.drop(columns=current.geometry.name))
        rows["registry_fid"] = current.index.to_numpy()
        rows["capture_uuid"] = [str(uuid.uuid4()) for _ in range(len(rows))]
        geoms = current.geometry.to_numpy()
    else:
        current, rows, geoms = None, pd.DataFrame(), []
    out = gpd.GeoDataFrame(_typed(fields, rows).reset_index(drop=True), geometry=list(geoms), crs=reg.crs)
    write_gpkg_layer(out, gpkg, cl.name, geometry_type=_GEOMETRY[cl.geometry])
    if current is None or current.empty:
        return {}
    written = read_capture(gpkg, cl)
    reg_fields = layer(cl.target).field_names
    key = layer(cl.target).key
    base: dict[str, Any] = {}
    for row in written.itertuples():
        fid = int(row.registry_fid)
        reg_row = current.loc[fid]
        base[row.capture_uuid] = {
            "registry_fid": fid, "key": reg_row[key],
            "package": fingerprint(row._asdict(), package_fields(cl), row.geometry),
            "registry": fingerprint(reg_row.to_dict(), reg_fields, reg_row.geometry),
        }
    return base


def package_fields(cl: CaptureLayer) -> list[str]:
    """The fields whose change is a field edit: the registry's plus photo and note."""
    return list(cl.fields) + ["photo", "note"]


def read_capture(gpkg: Path, cl: CaptureLayer) -> gpd.GeoDataFrame:
    """A capture layer as the field left it (index: the package's fid)."""
    try:
        return pyogrio.read_dataframe(str(gpkg), layer=cl.name, fid_as_index=True)
    except Exception as err:  # noqa: BLE001 - GDAL's errors differ by version; one clear line instead
        raise InputError(f"{gpkg}: layer {cl.name} cannot be read ({err}); is this a JalNet field package?") from None

"""GeoJSON, shapefile, GeoPackage and any other vector source GDAL reads.

Every layer is read and brought to WGS 84 so it goes through the same checks as GPS
files; lines (and the parts of multi-lines) become pipe candidates, points become point
candidates, and attributes go through the field mapping. A source without a CRS is taken
as WGS 84 only if its coordinates look like degrees.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyogrio
import shapely

from ..errors import InputError
from .model import DroppedFeature, Parsed, RawPoint, RawTrack

_LINES = ("LineString", "MultiLineString", "LinearRing")
_POINTS = ("Point", "MultiPoint")


def read_ogr(path: str, label: str) -> Parsed:
    try:
        layers = [str(name) for name, gtype in pyogrio.list_layers(path) if gtype is not None]
        driver = pyogrio.read_info(path, layer=layers[0])["driver"] if layers else "OGR"
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"{label}: not a GPS or vector file JalNet can read ({str(err).splitlines()[0]}); "
                         "use GPX, KML/KMZ, CSV, GeoJSON, shapefile or GeoPackage") from None
    if not layers:
        raise InputError(f"{label}: has no layer with geometry")
    parsed = Parsed(f"OGR {driver}")
    for layer in layers:
        _read_layer(path, label, layer, parsed, several=len(layers) > 1)
    return parsed


def _read_layer(path: str, label: str, layer: str, parsed: Parsed, several: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = pyogrio.read_dataframe(path, layer=layer)
        except Exception as err:  # noqa: BLE001
            raise InputError(f"{label}: cannot read layer {layer} ({str(err).splitlines()[0]})") from None
    if frame.crs is None:
        bounds = frame.total_bounds if len(frame) else np.zeros(4)
        if not (np.all(np.abs(bounds[[0, 2]]) <= 180) and np.all(np.abs(bounds[[1, 3]]) <= 90)):
            raise InputError(f"{label}: layer {layer} has no coordinate reference system and its coordinates are not "
                             "degrees; add a .prj file or save it with its CRS")
        parsed.notes.append(f"layer {layer} has no CRS; read as WGS 84 longitude/latitude")
    elif not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geom_col = frame.geometry.name
    fields = [c for c in frame.columns if c != geom_col]
    prefix = f"layer {layer} " if several else ""
    for pos, (geom, row) in enumerate(zip(frame.geometry.values, frame[fields].itertuples(index=False))):
        attrs = {f: _text(v) for f, v in zip(fields, row) if _text(v)}
        ref = f"{prefix}feature {pos + 1}"
        gtype = None if geom is None or geom.is_empty else geom.geom_type
        if gtype in _LINES:
            coords = shapely.get_coordinates(geom, include_z=True)
            ele = coords[:, 2] if geom.has_z else None
            parsed.tracks.append(RawTrack(ref=ref, lon=coords[:, 0], lat=coords[:, 1], ele=ele, attrs=attrs,
                                          name=attrs.get("name"), description=attrs.get("description"),
                                          geom_source="unknown"))
        elif gtype in _POINTS:
            coords = shapely.get_coordinates(geom, include_z=True)
            for k, (lon, lat, z) in enumerate(coords, 1):
                parsed.points.append(RawPoint(
                    ref=ref if len(coords) == 1 else f"{ref} point {k}", lon=float(lon), lat=float(lat),
                    ele=float(z) if geom.has_z and np.isfinite(z) else None, name=attrs.get("name"),
                    description=attrs.get("description"), attrs=attrs,
                ))  # fmt: skip
        elif gtype is None:
            parsed.dropped.append(DroppedFeature(ref, "no_coordinates", f"{ref}: has no geometry"))
        else:
            parsed.dropped.append(DroppedFeature(ref, "not_line_or_point",
                                                 f"{ref}: a {gtype} is not a pipe line or a point"))


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()

"""Writing the checked target layers as GeoPackage, Shapefile, GeoJSON and KML.

Fields are written with the profile's types and lengths (a string field of length 20 is a
``TEXT(20)`` column in the GeoPackage and a 20-byte ``C`` field in the shapefile), the
shapefile with its 10-character field names and a ``.cpg`` saying UTF-8, GeoJSON as
RFC 7946 (WGS 84 longitude/latitude, no ``crs`` member), KML with the asset ID as the
placemark name. pyogrio's low-level writer is used because it keeps those widths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from pyogrio.raw import write

from ..outputs import GPKG_DATASET_OPTIONS, gdal_config
from .preflight import MappedLayer
from .profile import FieldSpec

#: Version written into the metadata's distribution format, by format.
FORMAT_VERSIONS = {"gpkg": ("GeoPackage", "1.2"), "shp": ("ESRI Shapefile", "1998"),
                   "geojson": ("GeoJSON", "RFC 7946"), "kml": ("KML", "2.2")}


def _arrays(layer: MappedLayer, text_dates: bool) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    arrays: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    for spec in layer.spec.exported:
        values = layer.columns[spec.name].tolist()  # Python values, None where empty
        mask = np.array([v is None for v in values], dtype=bool)
        arrays.append(_array(spec, values, mask, text_dates))
        masks.append(mask)
    return arrays, masks


def _array(spec: FieldSpec, values: list, mask: np.ndarray, text_dates: bool) -> np.ndarray:
    if spec.type == "string":
        return np.array(["" if m else v for v, m in zip(values, mask)], dtype=f"<U{spec.length}")
    if spec.type == "integer":
        dtype = "int64" if (spec.length or 9) > 9 else "int32"
        return np.array([0 if m else v for v, m in zip(values, mask)], dtype=dtype)
    if spec.type == "real":
        return np.array([np.nan if m else v for v, m in zip(values, mask)], dtype="float64")
    if text_dates:
        return np.array(["" if m else v for v, m in zip(values, mask)], dtype="<U10")
    return np.array(["NaT" if m else v for v, m in zip(values, mask)], dtype="datetime64[D]")


def _wkb(layer: MappedLayer) -> np.ndarray:
    return np.asarray(shapely.to_wkb(layer.geometry, output_dimension=2), dtype=object) if layer.count else \
        np.array([], dtype=object)


def _write(path: Path, layer: MappedLayer, driver: str, names: list[str], text_dates: bool = False,
           extra: tuple[str, np.ndarray] | None = None, **options: object) -> None:
    arrays, masks = _arrays(layer, text_dates)
    if extra is not None:
        names, arrays, masks = names + [extra[0]], arrays + [extra[1]], masks + [None]
    write(str(path), _wkb(layer), arrays, names, field_mask=masks, layer=layer.spec.name, driver=driver,
          geometry_type=layer.spec.geometry, crs="EPSG:4326", **options)


def write_gpkg(path: Path, layers: list[MappedLayer]) -> None:
    """All layers in one GeoPackage, each with its title and abstract in gpkg_contents."""
    with gdal_config({"OGR_SQLITE_SYNCHRONOUS": "OFF"}):  # a scratch file: it is zipped, then deleted
        for layer in layers:
            spec = layer.spec
            _write(path, layer, "GPKG", [f.name for f in spec.exported], dataset_options=GPKG_DATASET_OPTIONS,
                   layer_options={"IDENTIFIER": spec.title, "DESCRIPTION": spec.abstract or spec.title})


def write_shapefile(folder: Path, layer: MappedLayer) -> list[Path]:
    """One shapefile (.shp .shx .dbf .prj .cpg) with the profile's short field names."""
    path = folder / f"{layer.spec.name}.shp"
    _write(path, layer, "ESRI Shapefile", [f.shapefile_name for f in layer.spec.exported], encoding="UTF-8")
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():  # GDAL writes it for UTF-8; make sure readers in other tools find it
        cpg.write_text("UTF-8", encoding="ascii")
    return sorted(p for p in folder.glob(f"{layer.spec.name}.*") if p.suffix.lower() in
                  (".shp", ".shx", ".dbf", ".prj", ".cpg"))


def write_geojson(path: Path, layer: MappedLayer) -> None:
    """RFC 7946 GeoJSON: WGS 84 longitude/latitude, 7 decimals, right-hand polygons, no crs member."""
    _write(path, layer, "GeoJSON", [f.name for f in layer.spec.exported], text_dates=True,
           layer_options={"RFC7946": "YES", "WRITE_NAME": "YES"})


def write_kml(folder: Path, layer: MappedLayer) -> Path:
    """One KML file per layer, every profile field as ExtendedData, each placemark named by its asset ID
    (from an extra column the driver turns into <name>) so Google Earth and QGIS label it. GDAL's KML
    driver streams: LIBKML holds the whole document in memory (about 9 kB a feature)."""
    path = folder / f"{layer.spec.name}.kml"
    ids = layer.columns[layer.spec.id_field.name].tolist()
    label = (_NAME_COLUMN, np.array([str(v) for v in ids], dtype=object))
    _write(path, layer, "KML", [f.name for f in layer.spec.exported], text_dates=True, extra=label,
           dataset_options={"NameField": _NAME_COLUMN, "DescriptionField": _NO_FIELD})
    return path


_NAME_COLUMN = "jalnet_placemark_name"
_NO_FIELD = "jalnet_no_such_field"

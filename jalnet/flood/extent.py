"""Flood-extent polygons (NRSC/Bhuvan, ASDMA maps) as a lookup "is this point under water".

Extent maps come as shapefiles, GeoPackages or KML, often in lon/lat, sometimes with
self-intersecting rings from raster-to-polygon conversion. Invalid polygons are refused by
default, naming the feature, because a repaired bow-tie can flip which side is wet; with
``repair=True`` they are repaired with GEOS ``make_valid`` and the count is reported.
Assets are tested in the polygons' own CRS; the polygons are never reprojected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import pyproj
import shapely

from ..errors import InputError

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass
class FloodExtent:
    path: str
    crs: pyproj.CRS
    polygons: np.ndarray  # shapely polygons in ``crs``
    attributes: dict[str, list[str]] = field(default_factory=dict)  # distinct event/date values in the file
    repaired: int = 0

    def __post_init__(self) -> None:
        self._tree = shapely.STRtree(self.polygons)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(shapely.total_bounds(self.polygons))  # type: ignore[return-value]

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True for points (in the extent's CRS) inside or on the boundary of any polygon."""
        pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        out = np.zeros(len(pts), dtype=bool)
        if len(pts):
            hits = self._tree.query(pts, predicate="intersects")
            out[np.unique(hits[0])] = True
        return out


def _layers(path: str, layer: str | None) -> list[str]:
    try:
        listed = pyogrio.list_layers(path)
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot read {path} as a vector data source: {str(err).splitlines()[0]}") from None
    if layer is not None:
        if layer not in [str(n) for n, _ in listed]:
            raise InputError(f"{path} has no layer '{layer}' (has: {', '.join(str(n) for n, _ in listed)})")
        return [layer]
    polygonal = [str(n) for n, g in listed if g and any(k in str(g) for k in _POLYGONAL)]
    if not polygonal:  # KML and some shapefiles report an unknown geometry type: look inside
        polygonal = [str(n) for n, _ in listed]
    return polygonal


def read_extent(path: str | Path, layer: str | None = None, repair: bool = False) -> FloodExtent:
    """Polygons of every polygon layer of *path* (or of *layer*), checked."""
    path = str(path)
    if not Path(path).exists():
        raise InputError(f"flood extent {path} does not exist")
    polys: list[np.ndarray] = []
    crs: pyproj.CRS | None = None
    attributes: dict[str, set[str]] = {"event": set(), "date": set()}
    repaired = 0
    for name in _layers(path, layer):
        frame = pyogrio.read_dataframe(path, layer=name)
        if frame.crs is None:
            raise InputError(f"flood extent {path} layer {name} has no coordinate reference system; assign one "
                             "(in QGIS: Layer Properties > Source) and run again")
        layer_crs = pyproj.CRS.from_user_input(frame.crs)
        if crs is not None and layer_crs != crs:
            raise InputError(f"flood extent {path}: layers are in different CRSs; give one with --extent-layer")
        crs = layer_crs
        geoms = frame.geometry.to_numpy()
        kinds = shapely.get_type_id(geoms)
        for pos, (geom, kind) in enumerate(zip(geoms, kinds)):
            if geom is None or shapely.is_empty(geom):
                continue
            label = f"flood extent {path} layer {name} feature {pos + 1}"
            if kind not in (3, 6):  # Polygon, MultiPolygon
                if kind == 7 and all(shapely.get_type_id(g) in (3, 6) for g in shapely.get_parts(geom)):
                    geom = shapely.union_all(shapely.get_parts(geom))
                else:
                    raise InputError(f"{label} is a {geom.geom_type}, not a polygon; give flood-extent polygons")
            if not shapely.is_valid(geom):
                if not repair:
                    raise InputError(
                        f"{label} is not a valid polygon ({shapely.is_valid_reason(geom)}); fix it (QGIS: Vector > "
                        "Geometry Tools > Fix Geometries) or run with --repair-extent"
                    )
                geom = _repaired(geom)
                repaired += 1
            polys.extend(shapely.get_parts(geom))
        for column in ("event", "date"):
            if column in frame.columns:
                attributes[column].update(str(v) for v in frame[column].dropna().unique())
    if not polys or crs is None:
        raise InputError(f"flood extent {path} holds no polygons")
    return FloodExtent(path, crs, np.asarray(polys, dtype=object),
                       {k: sorted(v) for k, v in attributes.items()}, repaired)


def _repaired(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of GEOS's repair (it may add lines where rings touched)."""
    fixed = shapely.make_valid(geom)
    return shapely.union_all([p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in (3, 6)])

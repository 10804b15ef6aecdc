"""Geometry checks before export: repair only what can be repaired without changing the asset.

A portal that receives an invalid polygon or a zero-length pipe either refuses the whole
upload or draws nonsense, so each geometry is checked in the registry's metric CRS (where
lengths and areas mean metres). A repair is accepted only when it keeps the geometry type
and changes the length or area by less than :data:`TOLERANCE`; anything else is a fault
for the pre-flight report, never a silent change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: Largest relative change of length or area a repair may make (0.1 %).
TOLERANCE = 1e-3


@dataclass(frozen=True)
class GeometryIssue:
    pos: int
    message: str


def check_geometries(geoms: np.ndarray, geometry: str) -> tuple[np.ndarray, list[GeometryIssue], list[GeometryIssue]]:
    """(geometries to export, faults, repairs) for one layer; ``geometry`` is Point, LineString or MultiPolygon."""
    geoms = np.array(geoms, dtype=object)
    faults: list[GeometryIssue] = []
    repairs: list[GeometryIssue] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for pos in np.flatnonzero(missing):
        faults.append(GeometryIssue(int(pos), "no geometry"))
    present = np.flatnonzero(~missing)
    xy, which = shapely.get_coordinates(geoms[present], return_index=True)
    not_finite = present[np.unique(which[~np.isfinite(xy).all(axis=1)])]
    for pos in not_finite:
        faults.append(GeometryIssue(int(pos), "coordinates are not finite numbers"))
    todo = np.setdiff1d(present, not_finite)
    if geometry == "LineString":
        _lines(geoms, todo, faults, repairs)
    elif geometry == "MultiPolygon":
        _polygons(geoms, todo, faults, repairs)
    faults.sort(key=lambda issue: issue.pos)
    return geoms, faults, repairs


def _lines(geoms: np.ndarray, todo: np.ndarray, faults: list[GeometryIssue], repairs: list[GeometryIssue]) -> None:
    if not len(todo):
        return
    cleaned = shapely.remove_repeated_points(geoms[todo], tolerance=0.0)
    before = shapely.get_num_coordinates(geoms[todo])
    after = shapely.get_num_coordinates(cleaned)
    bad = (after < 2) | (shapely.length(cleaned) == 0)
    for k in np.flatnonzero(bad):
        faults.append(GeometryIssue(int(todo[k]), "the line has fewer than two distinct vertices (zero length); "
                                                  "redraw or delete the pipe"))
    for k in np.flatnonzero(~bad & (after < before)):
        geoms[todo[k]] = cleaned[k]
        repairs.append(GeometryIssue(int(todo[k]), f"removed {before[k] - after[k]} repeated vertex(es)"))


def _polygons(geoms: np.ndarray, todo: np.ndarray, faults: list[GeometryIssue], repairs: list[GeometryIssue]) -> None:
    invalid = todo[~shapely.is_valid(geoms[todo])]
    for pos in invalid:
        reason = shapely.is_valid_reason(geoms[pos])
        fixed = _make_valid(geoms[pos])
        if fixed is None:
            faults.append(GeometryIssue(int(pos), f"invalid polygon ({reason}) that does not repair into a polygon"))
            continue
        change = _relative_change(_valid_area(geoms[pos]), fixed.area)
        if change >= TOLERANCE:
            faults.append(GeometryIssue(int(pos), f"invalid polygon ({reason}); repairing it would change its area "
                                                  f"by {change:.1%}; redraw it"))
            continue
        geoms[pos] = fixed
        repairs.append(GeometryIssue(int(pos), f"repaired invalid polygon ({reason}); area changed by {change:.3%}"))


def _make_valid(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of make_valid as a MultiPolygon, or None when nothing polygonal is left."""
    try:
        fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    except TypeError:  # shapely < 2.1 has only the linework method
        fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return None
    return shapely.MultiPolygon(polys)


def _valid_area(geom: shapely.Geometry) -> float:
    """Area the polygon was meant to have: each ring's enclosed area, holes taken out, whatever its winding."""
    total = 0.0
    for part in shapely.get_parts(geom):
        total += shapely.Polygon(part.exterior).area
        total -= sum(shapely.Polygon(ring).area for ring in part.interiors)
    return abs(total)


def _relative_change(before: float, after: float) -> float:
    if before == 0:
        return 0.0 if after == 0 else float("inf")
    return abs(after - before) / before


def check_transformed(geoms: np.ndarray) -> list[GeometryIssue]:
    """Faults in the WGS 84 geometries: coordinates off the globe, or validity lost in reprojection."""
    geoms = np.asarray(geoms, dtype=object)
    present = np.flatnonzero([g is not None for g in geoms])
    if not len(present):
        return []
    xy, which = shapely.get_coordinates(geoms[present], return_index=True)
    off = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    off_globe = set(present[np.unique(which[off])].tolist())
    invalid = present[~shapely.is_valid(geoms[present])]
    issues = [GeometryIssue(int(pos), "coordinates fall outside longitude -180..180 / latitude -90..90 in "
                                      "EPSG:4326; check the registry CRS") for pos in sorted(off_globe)]
    issues += [GeometryIssue(int(pos), f"invalid after reprojection to EPSG:4326 ({shapely.is_valid_reason(geoms[pos])})")
               for pos in invalid if int(pos) not in off_globe]
    return sorted(issues, key=lambda issue: issue.pos)

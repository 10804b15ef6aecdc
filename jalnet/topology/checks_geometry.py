"""Geometry rules (NET-001..NET-006): what is wrong with single features, before any topology."""

from __future__ import annotations

import numpy as np
import shapely

from ..registry.schema import LAYERS
from .context import Context
from .network import NETWORK_LAYERS, located
from .rules import check

GEOMETRY_LAYERS = tuple(n for n in NETWORK_LAYERS if LAYERS[n].geometry)


@check("NET-001", "NET-002")
def invalid_or_empty(ctx: Context) -> None:
    for layer in GEOMETRY_LAYERS:
        frame = ctx.data[layer]
        if frame.empty:
            continue
        geoms = np.asarray(frame.geometry.values, dtype=object)
        missing = shapely.is_missing(geoms)
        empty = missing.copy()
        empty[~missing] = shapely.is_empty(geoms[~missing])
        ids, schemes = ctx.ids(layer), ctx.scheme_of(layer)
        if ctx.wants("NET-002") and empty.any():
            what = LAYERS[layer].title.lower()
            ctx.out.add("NET-002", None, f"{what} feature has no location; draw it or delete it", layer,
                        [(i,) for i in ids[empty]], schemes[empty])
        present = np.flatnonzero(~empty)
        valid = shapely.is_valid(geoms[present])
        if layer == "pipes":  # zero-length lines are NET-004
            valid |= shapely.length(geoms[present]) == 0
        bad = present[~valid]
        if ctx.wants("NET-001") and len(bad):
            reasons = shapely.is_valid_reason(geoms[bad])
            where = _marker(geoms[bad])
            ctx.out.add("NET-001", where, [f"{i}: geometry is not valid ({r})" for i, r in zip(ids[bad], reasons)],
                        layer, [(i,) for i in ids[bad]], schemes[bad])


def _marker(geoms: np.ndarray) -> np.ndarray:
    """A point to show an invalid geometry at: first vertex of a line, a point inside a polygon."""
    types = shapely.get_type_id(geoms)
    out = np.array(geoms, dtype=object)
    lines = np.isin(types, [shapely.GeometryType.LINESTRING, shapely.GeometryType.LINEARRING])
    out[lines] = shapely.get_point(geoms[lines], 0)
    areas = np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    out[areas] = shapely.point_on_surface(shapely.make_valid(geoms[areas]))
    multi = ~lines & ~areas & (types != shapely.GeometryType.POINT)
    out[multi] = shapely.point_on_surface(shapely.make_valid(geoms[multi]))
    return out


@check("NET-003", "NET-004", "NET-005", "NET-006")
def pipe_shapes(ctx: Context) -> None:
    geoms = ctx.geoms
    if len(geoms) == 0:
        return
    present = located(geoms)
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    ids, schemes = ctx.pipe_ids, ctx.pipe_scheme
    multi = present & (types != shapely.GeometryType.LINESTRING)
    if ctx.wants("NET-003") and multi.any():
        parts = shapely.get_num_geometries(geoms[multi])
        ctx.out.add("NET-003", geoms[multi], [f"{i} has {n} parts; split it into one pipe per part" for i, n in
                                              zip(ids[multi], parts)], "pipes", [(i,) for i in ids[multi]], schemes[multi])
    line = present & ~multi
    length = ctx.lengths
    zero = line & (length == 0)
    if ctx.wants("NET-004") and zero.any():
        ctx.out.add("NET-004", shapely.get_point(geoms[zero], 0), [f"{i} has no length; delete it" for i in ids[zero]],
                    "pipes", [(i,) for i in ids[zero]], schemes[zero])
    tiny = line & (length > 0) & (length < ctx.p["tiny_length_m"])
    if ctx.wants("NET-005") and tiny.any():
        ctx.out.add("NET-005", geoms[tiny], [f"{i} is {v:.2f} m long" for i, v in zip(ids[tiny], length[tiny])],
                    "pipes", [(i,) for i in ids[tiny]], schemes[tiny])
    if ctx.wants("NET-006"):
        usable = ctx.usable_idx
        closed = shapely.is_closed(geoms[usable])
        crossing = ~shapely.is_simple(geoms[usable]) & ~closed
        for mask, text in ((closed, "ends where it starts"), (crossing, "crosses or touches itself")):
            hit = usable[mask]
            if len(hit):
                ctx.out.add("NET-006", geoms[hit], [f"{i} {text}" for i in ids[hit]], "pipes", [(i,) for i in ids[hit]],
                            schemes[hit])

"""Write a design into the registry's pipes as one undoable batch.

A pipe of one diameter gets the chosen material, diameter, class and C. A pipe made of
several diameters is cut where the diameter changes: the first piece keeps the pipe's
feature and ID, the others become new pipes (``<pipe_id>-2``...), and a reducer junction
(``<pipe_id>-R1``...) is placed at each change. Valves and tap connections that named the
cut pipe are moved to the piece they lie on. ``jalnet registry undo --batch ID`` restores
the registry exactly.
"""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ..errors import InputError
from ..registry import Registry, open_registry

TOOL = "hydraulics design"


def apply_design(registry: Registry | str | os.PathLike, result: Any) -> str:
    """Write *result* (a :class:`~jalnet.design.engine.DesignResult`) into the registry; returns the batch id."""
    reg, close = (registry, False) if isinstance(registry, Registry) else (open_registry(registry), True)
    try:
        return _apply(reg, result)
    finally:
        if close:
            reg.close()


def _apply(reg: Registry, result: Any) -> str:
    net, seg, cat = result.net, result.segments, result.catalogue
    pipes = reg.read("pipes", where={"scheme_id": result.scheme})
    by_id = {pid: fid for fid, pid in zip(pipes.index, pipes["pipe_id"])}
    missing = [p for p in net.pipe_ids if p not in by_id]
    if missing:
        raise InputError(f"pipe {missing[0]} of the design is no longer in the registry; design again before applying")
    junctions = reg.read("junctions", where={"scheme_id": result.scheme})
    elevation = dict(zip(junctions["node_id"], junctions["elevation_m"]))
    elevation.update(zip(net.node_assets, net.elevation.tolist()))
    taken = set(reg.read("pipes")["pipe_id"]) | set(reg.read("junctions")["node_id"])
    bounds = np.searchsorted(seg.pipe, np.arange(len(net.pipe_names) + 1))
    updates, new_pipes, reducers, moved = [], [], [], {}
    for k, pid in enumerate(net.pipe_ids):
        fid = by_id[pid]
        row = pipes.loc[fid]
        pieces = list(range(bounds[k], bounds[k + 1]))
        if result.flows_lps[k] < 0:
            pieces.reverse()  # along the drawn line from its start
        values = [_values(cat, seg.row[i]) for i in pieces]
        if len(pieces) == 1:
            updates.append((fid, values[0], None))
            continue
        geom = row.geometry
        scale = geom.length / net.length_m[k]
        cuts = np.cumsum([seg.length_m[i] for i in pieces])[:-1] * scale
        parts = [substring(geom, a, b) for a, b in zip([0.0, *cuts], [*cuts, geom.length])]
        ids = [pid] + [_free(f"{pid}-{n}", taken) for n in range(2, len(pieces) + 1)]
        nodes = [_free(f"{pid}-R{n}", taken) for n in range(1, len(pieces))]
        z0 = _z(elevation, row["from_node"], net, k, 0)
        z1 = _z(elevation, row["to_node"], net, k, 1)
        for n, cut in enumerate(cuts):
            t = cut / geom.length
            point = geom.interpolate(cut)
            reducers.append({"node_id": nodes[n], "scheme_id": result.scheme, "node_type": "reducer",
                             "elevation_m": None if z0 is None or z1 is None else round((1 - t) * z0 + t * z1, 2),
                             "geometry": point})
        ends = [row["from_node"], *nodes, row["to_node"]]
        named = isinstance(row["from_node"], str) or isinstance(row["to_node"], str)
        has_length = pd.notna(row["length_m"])
        for n, i in enumerate(pieces):
            piece = dict(values[n])
            if named:
                piece["from_node"], piece["to_node"] = ends[n], ends[n + 1]
            if has_length:
                piece["length_m"] = round(float(seg.length_m[i]), 2)
            if n == 0:
                updates.append((fid, piece, parts[0]))
                continue
            other = {c: row[c] for c in pipes.columns if c not in ("geometry",)}
            other.update(piece, pipe_id=ids[n], minor_loss=None, geometry=parts[n])
            new_pipes.append(other)
        moved[pid] = (ids, parts)
    with reg.batch(TOOL, f"least-cost pipe sizes of scheme {result.scheme} (Rs {result.cost_inr:,.0f})") as b:
        for fid, values, geom in updates:
            b.update("pipes", int(fid), values, geometry=geom)
        if reducers:
            b.insert("junctions", gpd.GeoDataFrame(reducers, geometry="geometry", crs=reg.crs))
        if new_pipes:
            b.insert("pipes", gpd.GeoDataFrame(new_pipes, geometry="geometry", crs=reg.crs))
        for layer in ("valves", "fhtc"):
            _move_to_pieces(reg, b, layer, result.scheme, moved)
        return b.id


def _values(cat: Any, j: int) -> dict[str, Any]:
    return {"material": str(cat.material[j]), "diameter_mm": float(cat.nominal_dia_mm[j]),
            "pressure_class": str(cat.pressure_class[j]), "roughness": float(cat.hw_c[j])}


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}.{n}"
    taken.add(candidate)
    return candidate


def _z(elevation: dict[str, Any], node: Any, net: Any, k: int, end: int) -> float | None:
    value = elevation.get(node) if isinstance(node, str) else None
    if value is None or pd.isna(value):
        ground = net.all_elevation()
        value = ground[net.start[k] if end == 0 else net.end[k]]
    return float(value)


def _move_to_pieces(reg: Registry, b: Any, layer: str, scheme: str, moved: dict[str, tuple[list[str], list]]) -> None:
    """Features of *layer* naming a cut pipe name the piece they lie nearest instead."""
    if not moved:
        return
    frame = reg.read(layer, where={"scheme_id": scheme})
    hits = frame[frame["pipe_id"].isin(list(moved))]
    changes = {}
    for fid, pid, geom in zip(hits.index, hits["pipe_id"], hits.geometry):
        ids, parts = moved[pid]
        if geom is None or geom.is_empty:
            continue
        best = ids[int(np.argmin(shapely.distance(np.asarray(parts, dtype=object), geom)))]
        if best != pid:
            changes[int(fid)] = best
    if changes:
        b.update_many(layer, pd.DataFrame({"pipe_id": list(changes.values())}, index=list(changes)))

"""Reading layers: filters the indexes can answer, and rows fetched a chunk at a time.

Filters: attribute equality/lists (b-tree), ``bbox`` and ``near`` (GiST on PostGIS, the
GeoPackage's rtree table) and ``schemes``. ``near`` is a box prefilter in SQL (the
geometries' envelopes grown by the distance, merged into a few boxes) and an exact
distance test here, so both stores return the same rows.

Rows are fetched in fid order by keyset (``fid > last ... LIMIT n``): memory holds the
result and one chunk of raw rows, never the whole table as Python tuples, and no server
cursor has to stay open between statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .gpkg import q
from .schema import Layer

#: Rows per fetch.
READ_CHUNK = 50_000
#: At most this many boxes in one ``near`` prefilter (more are merged on a coarser grid).
MAX_BOXES = 48

Box = tuple[float, float, float, float]


def rows_read(registry: Any) -> Counter:
    """Rows fetched from each layer since the registry was opened (to see what a command really read)."""
    return registry.__dict__.setdefault("rows_read", Counter())


def where_clauses(registry: Any, lyr: Layer, where: dict[str, Any] | None = None, bbox: Box | None = None,
                  boxes: Sequence[Box] = ()) -> tuple[list[str], list[Any]]:
    """SQL conditions (joined by AND) and their parameters for attribute filters and boxes."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in (where or {}).items():
        if key != "fid":
            lyr.field(key)  # raises KeyError for unknown fields
        if value is None:
            clauses.append(f"{q(key)} IS NULL")
        elif isinstance(value, (list, tuple, set, np.ndarray, pd.Index, pd.Series)):
            values = [v for v in value if v is not None]
            null = len(values) < len(list(value))
            if not values:
                clauses.append(f"{q(key)} IS NULL" if null else "1 = 0")
            else:
                clause = f"{q(key)} IN ({', '.join('?' * len(values))})"
                clauses.append(f"({clause} OR {q(key)} IS NULL)" if null else clause)
                params += [v.item() if hasattr(v, "item") else v for v in values]
        else:
            clauses.append(f"{q(key)} = ?")
            params.append(value)
    for group in ([bbox] if bbox is not None else [], list(boxes)):
        if not group:
            continue
        if lyr.geometry is None:
            raise KeyError(f"{lyr.name} has no geometry to filter by area")
        clause, box_params = _box_clause(registry, lyr, group)
        clauses.append(clause)
        params += box_params
    return clauses, params


def _box_clause(registry: Any, lyr: Layer, boxes: list[Box]) -> tuple[str, list[Any]]:
    backend = registry._b
    params: list[Any] = []
    if backend.kind == "postgis":
        parts = []
        for box in boxes:
            parts.append(f'"geom" && ST_MakeEnvelope(?, ?, ?, ?, {int(registry.epsg)})')
            params += [float(v) for v in box]
        return "(" + " OR ".join(parts) + ")", params
    parts = []
    for minx, miny, maxx, maxy in boxes:
        parts.append("(maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)")
        params += [float(minx), float(maxx), float(miny), float(maxy)]
    rtree = q(f"rtree_{lyr.name}_geom")
    return f'"fid" IN (SELECT id FROM {rtree} WHERE {" OR ".join(parts)})', params


def boxes_near(geoms: np.ndarray, distance: float, max_boxes: int = MAX_BOXES) -> list[Box]:
    """Envelopes of *geoms* grown by *distance*, merged on a grid until there are at most *max_boxes*."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))] if len(geoms) else geoms
    if not len(geoms):
        return []
    bounds = shapely.bounds(geoms)
    bounds[:, :2] -= distance
    bounds[:, 2:] += distance
    cell = max(float(np.max(bounds[:, 2:] - bounds[:, :2])), 1.0)
    while True:
        centre = (bounds[:, :2] + bounds[:, 2:]) / 2
        key = np.floor(centre / cell).astype(np.int64)
        _, group = np.unique(key, axis=0, return_inverse=True)
        group = group.ravel()
        if group.max() + 1 <= max_boxes:
            break
        cell *= 2
    out = []
    for g in range(int(group.max()) + 1):
        sel = bounds[group == g]
        out.append((float(sel[:, 0].min()), float(sel[:, 1].min()), float(sel[:, 2].max()), float(sel[:, 3].max())))
    return out


def iter_select(registry: Any, lyr: Layer, clauses: Sequence[str] = (), params: Sequence[Any] = (),
                chunk: int | None = None, wkb: bool = False
                ) -> Iterator[tuple[list[int], dict[str, pd.Series], np.ndarray]]:
    """(fids, columns, geometries) a chunk of rows at a time, in fid order; *wkb*: geometries as WKB bytes."""
    from .store import _from_db

    backend = registry._b
    size = int(chunk or READ_CHUNK)
    names = lyr.field_names
    # a registry of an older schema opened read-only lacks the newer fields: read them as empty
    present = [n for n in names if lyr.field(n).since <= registry.schema_version]
    sel = ['"fid"'] + [q(n) for n in present]
    if lyr.geometry:
        sel.append(backend.geom_select())
    head = f"SELECT {', '.join(sel)} FROM {backend.table(lyr.name)} WHERE "
    rest = "".join(f" AND ({c})" for c in clauses)
    counter = rows_read(registry)
    last: int | None = None
    while True:
        key = '"fid" > ?' if last is not None else "1 = 1"
        args = ([last] if last is not None else []) + list(params)
        rows = backend.execute(f'{head}{key}{rest} ORDER BY "fid" LIMIT {size}', args).fetchall()
        counter[lyr.name] += len(rows)
        cols = list(zip(*rows)) if rows else [[] for _ in sel]
        del rows
        fids = [int(f) for f in cols[0]]
        columns = {n: _from_db(lyr.field(n).type, cols[i + 1]) for i, n in enumerate(present)}
        if len(present) < len(names):
            columns = {n: columns[n] if n in columns else _from_db(lyr.field(n).type, [None] * len(fids))
                       for n in names}
        if not lyr.geometry:
            geoms = np.array([], dtype=object)
        elif wkb:
            geoms = np.array(backend.wkb_from_db(cols[-1]) if len(cols[-1]) else [], dtype=object)
        else:
            geoms = backend.geoms_from_db(cols[-1])
        if fids or last is None:
            yield fids, columns, geoms
        if len(fids) < size:
            return
        last = fids[-1]


def select(registry: Any, lyr: Layer, clauses: Sequence[str] = (), params: Sequence[Any] = ()
           ) -> tuple[list[int], dict[str, pd.Series], np.ndarray]:
    """All matching rows, fetched chunk by chunk and put together."""
    parts = list(iter_select(registry, lyr, clauses, params))
    if len(parts) == 1:
        return parts[0]
    fids = [f for part in parts for f in part[0]]
    columns = {n: pd.concat([part[1][n] for part in parts], ignore_index=True) for n in parts[0][1]}
    geoms = np.concatenate([part[2] for part in parts]) if lyr.geometry else np.array([], dtype=object)
    return fids, columns, geoms


def to_frame(registry: Any, lyr: Layer, fids: list[int], columns: dict[str, pd.Series], geoms: np.ndarray) -> Any:
    """A (Geo)DataFrame indexed by fid, columns in schema order."""
    import geopandas as gpd

    index = pd.Index(fids, name="fid", dtype="int64")
    # Series with explicit dtypes: pandas 3 would otherwise re-infer text as its string
    # dtype (NULL as NaN); this way the types are the same on pandas 2 and 3.
    frame = pd.DataFrame({n: pd.Series(col.array, index=index, dtype=col.dtype) for n, col in columns.items()},
                         index=index)
    if lyr.geometry is None:
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=registry.crs))


def read(registry: Any, lyr: Layer, where: dict[str, Any] | None = None, bbox: Box | None = None,
         near: Any = None, distance: float = 0.0, schemes: Sequence[str] | None = None) -> Any:
    """The rows of *lyr* matching every filter given (see :meth:`Registry.read`)."""
    where = dict(where or {})
    if schemes is not None:
        lyr.field("scheme_id")
        where["scheme_id"] = [str(s) for s in schemes]
    shapes = None
    boxes: list[Box] = []
    if near is not None:
        shapes = np.atleast_1d(np.asarray(near, dtype=object)).ravel()
        boxes = boxes_near(shapes, float(distance))
        if not boxes:
            boxes = [(0.0, 0.0, -1.0, -1.0)]  # nothing to be near: no rows
    clauses, params = where_clauses(registry, lyr, where, bbox, boxes)
    fids, columns, geoms = select(registry, lyr, clauses, params)
    if shapes is not None and len(fids):
        keep = near_rows(geoms, shapes, float(distance))
        fids = [fids[k] for k in keep]
        columns = {n: col.iloc[keep].reset_index(drop=True) for n, col in columns.items()}
        geoms = geoms[keep]
    return to_frame(registry, lyr, fids, columns, geoms)


def near_rows(geoms: np.ndarray, shapes: np.ndarray, distance: float) -> np.ndarray:
    """Positions of *geoms* within *distance* of any of *shapes*, ascending."""
    shapes = shapes[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))]
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if not len(ok) or not len(shapes):
        return np.zeros(0, dtype=np.int64)
    _, hit = shapely.STRtree(geoms[ok]).query(shapes, predicate="dwithin", distance=distance)
    return ok[np.unique(hit)]

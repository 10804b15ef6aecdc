"""Validating a large registry a group of schemes at a time, with the findings of one whole run.

The rules look at pipes and assets that touch or come near each other (within the largest
distance parameter), at the nodes a pipe names and at its scheme's villages and record.
Schemes are therefore grouped so that nothing one rule compares is ever split: two schemes
are in one group when their assets' extents, grown by that distance, overlap, or when a
pipe of one names (from_node/to_node) an asset of the other. Each group holds whole
schemes (assets without a scheme form a group of their own), the groups are packed into
parts of about :data:`PART_PIPES` pipes, and each part is read (by scheme_id, an indexed
read) and validated on its own: memory follows the part, not the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import shapely

from ..registry.schema import LAYERS
from .network import NETWORK_LAYERS, POINT_LAYERS

#: Registries with more pipes than this are validated in parts of about this many pipes.
PART_PIPES = 250_000

Key = str | None


def scheme_parts(registry: Any, margin: float, part_pipes: int | None = None) -> list[list[Key]]:
    """Lists of scheme_ids (None: no scheme) to validate together; one list when the registry is small."""
    size = int(part_pipes or PART_PIPES)
    pipes_of: dict[Key, int] = {}
    boxes: dict[Key, list[float]] = {}
    for name in NETWORK_LAYERS:
        lyr = LAYERS[name]
        if "scheme_id" not in lyr.field_names:
            continue
        for key, count in registry._b.execute(
            f'SELECT "scheme_id", count(*) FROM {registry._b.table(name)} GROUP BY "scheme_id"'
        ).fetchall():
            key = _key(key)
            pipes_of[key] = pipes_of.get(key, 0) + (int(count) if name == "pipes" else 0)
        if lyr.geometry and name != "villages":  # villages only matter to their own scheme's pipes
            for key, *box in _extents(registry, name):
                key = _key(key)
                if key not in boxes:
                    boxes[key] = list(box)
                else:
                    old = boxes[key]
                    boxes[key] = [min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3])]
    if sum(pipes_of.values()) <= size:
        return [list(pipes_of)]
    keys = list(pipes_of)
    index = {k: i for i, k in enumerate(keys)}
    pairs = _near_pairs(keys, boxes, margin, index) + _reference_pairs(registry, index)
    labels = _components(len(keys), pairs)
    groups: dict[int, list[Key]] = {}
    for k, label in zip(keys, labels):
        groups.setdefault(int(label), []).append(k)
    parts: list[list[Key]] = []
    current: list[Key] = []
    count = 0
    for members in groups.values():
        n = sum(pipes_of[m] for m in members)
        if current and count + n > size:
            parts.append(current)
            current, count = [], 0
        current += members
        count += n
    if current:
        parts.append(current)
    return parts


def _key(value: Any) -> Key:
    return None if value is None else str(value)


def _extents(registry: Any, name: str) -> Iterator[tuple[Any, float, float, float, float]]:
    b = registry._b
    table = b.table(name)
    if b.kind == "postgis":
        sql = (f'SELECT "scheme_id", ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "scheme_id", '
               f'ST_Extent("geom") AS e FROM {table} GROUP BY "scheme_id") s WHERE e IS NOT NULL')
    else:
        rtree = f'"rtree_{name}_geom"'
        sql = (f'SELECT t."scheme_id", min(r.minx), min(r.miny), max(r.maxx), max(r.maxy) FROM {table} t '
               f'JOIN {rtree} r ON r.id = t."fid" GROUP BY t."scheme_id"')
    for row in b.execute(sql).fetchall():
        yield row[0], float(row[1]), float(row[2]), float(row[3]), float(row[4])


def _near_pairs(keys: list[Key], boxes: dict[Key, list[float]], margin: float, index: dict[Key, int]
                ) -> list[tuple[int, int]]:
    have = [k for k in keys if k in boxes]
    if len(have) < 2:
        return []
    b = np.array([boxes[k] for k in have], dtype=float)
    rects = shapely.box(b[:, 0] - margin, b[:, 1] - margin, b[:, 2] + margin, b[:, 3] + margin)
    left, right = shapely.STRtree(rects).query(rects, predicate="intersects")
    keep = left < right
    return [(index[have[i]], index[have[j]]) for i, j in zip(left[keep], right[keep])]


def _reference_pairs(registry: Any, index: dict[Key, int]) -> list[tuple[int, int]]:
    """Schemes whose pipes name (from_node/to_node) an asset of another scheme (one pass over pipes per column)."""
    b = registry._b
    assets = " UNION ALL ".join(f'SELECT "{LAYERS[name].key}" AS k, "scheme_id" AS s FROM {b.table(name)}'
                                for name in POINT_LAYERS)
    out = []
    for column in ("from_node", "to_node"):
        rows = b.execute(
            f'SELECT DISTINCT p."scheme_id", a.s FROM {b.table("pipes")} p JOIN ({assets}) a ON a.k = p."{column}" '
            'WHERE p."scheme_id" <> a.s OR (p."scheme_id" IS NULL) <> (a.s IS NULL)'
        ).fetchall()
        out += [(index[_key(x)], index[_key(y)]) for x, y in rows if _key(x) in index and _key(y) in index]
    return out


def _components(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not pairs:
        return np.arange(n)
    i, j = np.array(pairs, dtype=np.int64).T
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]

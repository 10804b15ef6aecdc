"""Connectivity on integer node/edge arrays: connected parts and hop levels from roots.

A state network has millions of pipes; a graph library that keeps a Python dict per node
and edge needs about a gigabyte and many seconds for that. Both questions the rules ask
(which part is each pipe in, and which way is "away from the source") are answered here
with a handful of numpy passes over the edge arrays.
"""

from __future__ import annotations

import numpy as np


def component_labels(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Label 0..k-1 of the connected part of each of *n* nodes joined by edges (u, v)."""
    parent = np.arange(n, dtype=np.int64)
    a, b = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    while len(a):
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            break
        a, b, pa, pb = a[differ], b[differ], pa[differ], pb[differ]
        # Hook the larger root under the smaller one (parent[x] <= x always, so no cycles),
        # then compress every path so all parents are roots again.
        np.minimum.at(parent, np.maximum(pa, pb), np.minimum(pa, pb))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return np.unique(parent, return_inverse=True)[1].astype(np.int64)


def hop_levels(n: int, u: np.ndarray, v: np.ndarray, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breadth-first levels from all *roots* at once: (level per node, edge that reached it).

    Nodes no root reaches get level -1 and edge -1; roots get level 0 and edge -1.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    m = len(u)
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(src, kind="stable")
    dst, eid = dst[order], eid[order]
    indptr = np.searchsorted(src[order], np.arange(n + 1))
    level = np.full(n, -1, dtype=np.int64)
    via = np.full(n, -1, dtype=np.int64)
    frontier = np.unique(np.asarray(roots, dtype=np.int64))
    level[frontier] = 0
    depth = 0
    while len(frontier):
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        pos = offsets + np.arange(total)
        nb, edges = dst[pos], eid[pos]
        new = level[nb] < 0
        nb, edges = nb[new], edges[new]
        frontier, first = np.unique(nb, return_index=True)
        depth += 1
        level[frontier] = depth
        via[frontier] = edges[first]
    return level, via

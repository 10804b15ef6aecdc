"""Topology rules (NET-010..NET-025): how pipes meet each other and the nodes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .context import Context
from .network import POINT_LAYERS, end_coords, legit_dead_ends, located
from .rules import check
from .spatial import box_pairs, nearest_other

#: Attributes that must all agree for a two-pipe node to be a pseudo-node.
PSEUDO_ATTRS = ("scheme_id", "material", "diameter_mm", "pressure_class", "pipe_function", "status", "contractor",
                "laid_date")
#: Junction types that are fittings (a diameter may change there).
FITTING_TYPES = ("reducer", "bulk_meter")


def _pairs(a: np.ndarray, b: np.ndarray) -> list[tuple[str, str]]:
    return list(zip(a, b))


@check("NET-010", "NET-011")
def duplicates_and_overlaps(ctx: Context) -> None:
    dup_a, dup_b = _duplicates(ctx)
    ids, geoms = ctx.pipe_ids, ctx.geoms
    if ctx.wants("NET-010") and len(dup_a):
        ctx.out.add("NET-010", geoms[dup_a], [f"{a} and {b} are the same pipe entered twice; delete one"
                                              for a, b in zip(ids[dup_a], ids[dup_b])],
                    "pipes", _pairs(ids[dup_a], ids[dup_b]), ctx.pipe_scheme[dup_a])
    if not ctx.wants("NET-011"):
        return
    c = ctx.contacts
    a, b, length = c.overlap_a, c.overlap_b, c.overlap_len
    if len(dup_a):
        dup = set(zip(np.minimum(dup_a, dup_b).tolist(), np.maximum(dup_a, dup_b).tolist()))
        keep = np.array([(x, y) not in dup for x, y in zip(a.tolist(), b.tolist())], dtype=bool)
        a, b, length = a[keep], b[keep], length[keep]
    if not len(a):
        return
    shared = shapely.intersection(geoms[a], geoms[b])
    where = np.array([_linear(g) for g in shared], dtype=object)
    ctx.out.add("NET-011", where, [f"{x} and {y} share {v:.1f} m of their course" for x, y, v in
                                   zip(ids[a], ids[b], length)], "pipes", _pairs(ids[a], ids[b]), ctx.pipe_scheme[a])


def _linear(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    lines = [p for p in parts if p.geom_type in ("LineString", "MultiLineString")]
    if lines:
        return shapely.line_merge(shapely.union_all(lines))
    return shapely.point_on_surface(geom) if not geom.is_empty else geom


def _duplicates(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Pipe pairs whose two ends match (either way round) and whose courses agree within the tolerance."""
    u = ctx.usable_idx
    tol = ctx.p["duplicate_tolerance_m"]
    if len(u) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    g = ctx.geoms[u]
    xy = np.vstack(end_coords(g))
    owner = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    which = np.concatenate([np.zeros(len(u), dtype=np.int64), np.ones(len(u), dtype=np.int64)])
    half = tol / 2.0
    i, j = box_pairs(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half, max(4.0 * tol, 1e-3))
    close = (np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1]) <= tol) & (owner[i] != owner[j])
    i, j = i[close], j[close]
    lo_first = owner[i] < owner[j]
    pa, pb = np.where(lo_first, owner[i], owner[j]), np.where(lo_first, owner[j], owner[i])
    ea, eb = np.where(lo_first, which[i], which[j]), np.where(lo_first, which[j], which[i])
    if not len(pa):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys, inv = np.unique(pa * len(u) + pb, return_inverse=True)
    mask = np.zeros(len(keys), dtype=np.int64)
    np.bitwise_or.at(mask, inv.ravel(), 1 << (ea * 2 + eb))
    both = ((mask & 0b1001) == 0b1001) | ((mask & 0b0110) == 0b0110)
    a, b = keys[both] // len(u), keys[both] % len(u)
    same = shapely.hausdorff_distance(g[a], g[b]) <= tol
    return u[a[same]], u[b[same]]


@check("NET-012")
def crossings(ctx: Context) -> None:
    c = ctx.contacts
    if not len(c.cross_a):
        return
    frame = pd.DataFrame({"a": c.cross_a, "b": c.cross_b, "x": c.cross_xy[:, 0], "y": c.cross_xy[:, 1]})
    if len(c.overlap_a):  # pipes that share a stretch are reported as overlapping (NET-010/011), not again here
        shared = pd.MultiIndex.from_arrays([c.overlap_a, c.overlap_b])
        frame = frame[~pd.MultiIndex.from_arrays([frame["a"], frame["b"]]).isin(shared)]
        if frame.empty:
            return
    grouped = frame.groupby(["a", "b"], sort=True).agg(x=("x", "first"), y=("y", "first"), n=("x", "size")).reset_index()
    a, b, n = grouped["a"].to_numpy(), grouped["b"].to_numpy(), grouped["n"].to_numpy()
    ids = ctx.pipe_ids
    messages = [f"{x} and {y} {'cross' if k == 1 else f'meet at {k} points'} without a junction; split both there, or "
                "accept it if they cross at different depths" for x, y, k in zip(ids[a], ids[b], n)]
    ctx.out.add("NET-012", shapely.points(grouped[["x", "y"]].to_numpy()), messages, "pipes", _pairs(ids[a], ids[b]),
                ctx.pipe_scheme[a])


@check("NET-013")
def unsplit_tees(ctx: Context) -> None:
    c = ctx.contacts
    if not len(c.tee_end):
        return
    ids = ctx.pipe_ids
    where = np.where(c.tee_at_start, "start", "end")
    messages = [f"{w} of {a} rests on {b} without a junction; split {b} there" for w, a, b in
                zip(where, ids[c.tee_end], ids[c.tee_other])]
    ctx.out.add("NET-013", shapely.points(c.tee_xy), messages, "pipes", _pairs(ids[c.tee_end], ids[c.tee_other]),
                ctx.pipe_scheme[c.tee_end], where)


@check("NET-020", "NET-021", "NET-022")
def loose_ends(ctx: Context) -> None:
    ends = ctx.end_table
    nodes = ctx.nodes
    at = ends["node"].to_numpy()
    loose = ends[(nodes.degree[at] == 1) & ~legit_dead_ends(nodes, ctx.data["junctions"])[at]]
    c = ctx.contacts
    tees = set(zip(c.tee_end.tolist(), np.where(c.tee_at_start, "start", "end").tolist()))
    if tees:
        loose = loose[[(p, w) not in tees for p, w in zip(loose["pipe"].tolist(), loose["where"].tolist())]]
    if loose.empty:
        return
    pipe, node = loose["pipe"].to_numpy(), loose["node"].to_numpy()
    points = ctx.node_points(node)
    near, dist = nearest_other(points, pipe, ctx.geoms[ctx.usable_idx], ctx.usable_idx, ctx.p["near_miss_m"], ctx.tree)
    near = np.where(near >= 0, ctx.usable_idx[np.maximum(near, 0)], -1)
    ids = ctx.pipe_ids
    schemes = ctx.pipe_scheme[pipe]
    where = loose["where"].to_numpy()
    gap = (near >= 0) & (dist <= ctx.p["gap_max_m"])
    miss = (near >= 0) & ~gap
    for code, mask in (("NET-021", gap), ("NET-022", miss)):
        if ctx.wants(code) and mask.any():
            messages = [f"{w} of {a} is {d:.2f} m from {b} and not connected to it" for w, a, b, d in
                        zip(where[mask], ids[pipe[mask]], ids[near[mask]], dist[mask])]
            ctx.out.add(code, points[mask], messages, "pipes", _pairs(ids[pipe[mask]], ids[near[mask]]),
                        schemes[mask], where[mask])
    free = near < 0
    if ctx.wants("NET-020") and free.any():
        junction_type = _junction_type_at(ctx, node[free])
        messages = [f"{w} of {a} is connected to nothing" + (f"; the junction here is a {t}: make it an end_cap if the "
                                                               "pipe is capped" if t else "; if it is capped, add an "
                                                               "end_cap junction")
                    for w, a, t in zip(where[free], ids[pipe[free]], junction_type)]
        ctx.out.add("NET-020", points[free], messages, "pipes", [(a,) for a in ids[pipe[free]]], schemes[free],
                    where[free])


def _junction_type_at(ctx: Context, nodes: np.ndarray) -> list[str | None]:
    junctions = ctx.data["junctions"]
    at = ctx.nodes.at["junctions"]
    kind = pd.Series(junctions["node_type"].to_numpy() if len(junctions) else [], dtype=object)
    by_node = pd.Series(kind.to_numpy(), index=at)[at >= 0] if len(at) else pd.Series(dtype=object)
    by_node = by_node[~by_node.index.duplicated()]
    found = by_node.reindex(nodes)
    return [v if isinstance(v, str) else None for v in found.to_numpy()]


@check("NET-023")
def junctions_off_pipes(ctx: Context) -> None:
    junctions = ctx.data["junctions"]
    if junctions.empty:
        return
    geoms = np.asarray(junctions.geometry.values, dtype=object)
    off = (ctx.nodes.at["junctions"] < 0) & located(geoms)
    if not off.any():
        return
    ids = ctx.ids("junctions")
    ctx.out.add("NET-023", geoms[off], [f"junction {j} is at no pipe end; move it onto one, or delete it"
                                        for j in ids[off]], "junctions", [(j,) for j in ids[off]],
                ctx.scheme_of("junctions")[off])


@check("NET-024", "NET-026")
def node_references(ctx: Context) -> None:
    pipes = ctx.data.pipes
    u = ctx.usable_idx
    if not len(u):
        return
    where_is: dict[str, int] = {}
    position: dict[str, shapely.Geometry] = {}
    for layer in POINT_LAYERS:
        frame = ctx.data[layer]
        ids = ctx.ids(layer)
        at = ctx.nodes.at[layer]
        where_is.update(zip(ids.tolist(), at.tolist()))
        position.update(zip(ids.tolist(), np.asarray(frame.geometry.values, dtype=object)))
    reversed_ = _drawn_reversed(ctx, where_is)
    for column, nodes, end in (("from_node", ctx.nodes.start, "start"), ("to_node", ctx.nodes.end, "end")):
        if not ctx.wants("NET-024"):
            break
        refs = pipes[column].to_numpy()[u]
        given = np.array([isinstance(r, str) and r != "" for r in refs])
        if not given.any():
            continue
        pos = u[given]
        refs = refs[given]
        found = np.array([where_is.get(r, -2) for r in refs])
        wrong = (found != nodes[pos]) & ~reversed_[pos]
        if not wrong.any():
            continue
        pos, refs = pos[wrong], refs[wrong]
        point = shapely.get_point(ctx.geoms[pos], 0 if end == "start" else -1)
        messages = []
        for pid, ref, pt in zip(ctx.pipe_ids[pos], refs, point):
            asset = position.get(ref)
            if asset is None:
                messages.append(f"{column} of {pid} is {ref}, which is not in the registry")
            else:
                messages.append(f"{column} of {pid} is {ref}, which is {shapely.distance(asset, pt):.1f} m from its {end}")
        ctx.out.add("NET-024", point, messages, "pipes", [(p, r) for p, r in zip(ctx.pipe_ids[pos], refs)],
                    ctx.pipe_scheme[pos], end)


def _drawn_reversed(ctx: Context, where_is: dict[str, int]) -> np.ndarray:
    """Per pipe: from_node stands at its end and to_node at its start (reported as NET-026)."""
    pipes, u = ctx.data.pipes, ctx.usable_idx
    out = np.zeros(len(pipes), dtype=bool)
    start, end = ctx.nodes.start[u], ctx.nodes.end[u]
    at_from = np.array([where_is.get(r, -2) if isinstance(r, str) else -2 for r in pipes["from_node"].to_numpy()[u]])
    at_to = np.array([where_is.get(r, -2) if isinstance(r, str) else -2 for r in pipes["to_node"].to_numpy()[u]])
    out[u] = (at_from == end) & (at_to == start) & (start != end)
    if ctx.wants("NET-026") and out.any():
        pos = np.flatnonzero(out)
        ids = ctx.pipe_ids[pos]
        ctx.out.add("NET-026", ctx.geoms[pos], [f"{p} is drawn from {t} to {f}, but its from_node is {f} and its to_node "
                                                f"{t}; reverse the line or swap the node fields"
                                                for p, f, t in zip(ids, pipes["from_node"].to_numpy()[pos],
                                                                   pipes["to_node"].to_numpy()[pos])],
                    "pipes", [(p,) for p in ids], ctx.pipe_scheme[pos])
    return out


def two_pipe_nodes(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes where exactly two different pipes meet: (node, pipe a, pipe b)."""
    ends = ctx.end_table
    deg2 = ends[ctx.nodes.degree[ends["node"].to_numpy()] == 2].sort_values(["node", "pipe"], kind="stable")
    node = deg2["node"].to_numpy()[0::2]
    a, b = deg2["pipe"].to_numpy()[0::2], deg2["pipe"].to_numpy()[1::2]
    different = a != b
    return node[different], a[different], b[different]


def fitting_nodes(ctx: Context) -> np.ndarray:
    """Nodes with a fitting or asset where pipe attributes may change (reducer, meter, valve, pump...)."""
    nodes = ctx.nodes
    out = np.zeros(nodes.count, dtype=bool)
    for layer in ("tanks", "sources", "pumps", "treatment_units", "valves"):
        out |= nodes.has(layer)
    junctions = ctx.data["junctions"]
    if len(junctions):
        out |= nodes.has("junctions", junctions["node_type"].isin(FITTING_TYPES).to_numpy())
    return out


@check("NET-025")
def pseudo_nodes(ctx: Context) -> None:
    node, a, b = two_pipe_nodes(ctx)
    if not len(node):
        return
    pipes = ctx.data.pipes
    same = ~fitting_nodes(ctx)[node]
    for attr in PSEUDO_ATTRS:
        va = pipes[attr].iloc[a].reset_index(drop=True)
        vb = pipes[attr].iloc[b].reset_index(drop=True)
        same &= ((va == vb) | (va.isna() & vb.isna())).to_numpy(dtype=bool)
    if not same.any():
        return
    node, a, b = node[same], a[same], b[same]
    ids = ctx.pipe_ids
    ctx.out.add("NET-025", ctx.node_points(node), [f"{x} and {y} meet here with the same attributes; they could be "
                                                   "one pipe" for x, y in zip(ids[a], ids[b])], "pipes",
                _pairs(ids[a], ids[b]), ctx.pipe_scheme[a])

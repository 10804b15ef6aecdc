"""Connectivity, attribute and scheme rules (NET-030..NET-053)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..registry.schema import DOMAINS, LAYERS
from .checks_topology import fitting_nodes, two_pipe_nodes
from .context import Context
from .graph import component_labels, hop_levels
from .network import NETWORK_LAYERS, located
from .rules import NOMINAL_DIAMETERS, check

SCHEME_LAYERS = tuple(n for n in NETWORK_LAYERS if n != "schemes" and "scheme_id" in LAYERS[n].field_names)


def _scheme_text(scheme: str) -> str:
    return f"scheme {scheme}" if scheme else "pipes without a scheme id"


@check("NET-030", "NET-031")
def connectivity(ctx: Context) -> None:
    u = ctx.usable_idx
    if not len(u):
        return
    nodes = ctx.nodes
    labels = component_labels(nodes.count, nodes.start[u], nodes.end[u])
    supplied = np.zeros(int(labels.max()) + 1, dtype=bool)
    supplied[labels[ctx.supply_nodes]] = True
    schemes = np.array([s if isinstance(s, str) else "" for s in ctx.pipe_scheme[u]], dtype=object)
    frame = pd.DataFrame({"pipe": u, "part": labels[nodes.start[u]], "scheme": schemes, "length": ctx.lengths[u]})
    parts = frame.groupby(["scheme", "part"], sort=False).agg(length=("length", "sum"), pipes=("pipe", list))
    parts = parts.reset_index()
    parts["supplied"] = supplied[parts["part"].to_numpy()]
    parts = parts.sort_values(["scheme", "supplied", "length"], ascending=[True, False, False], kind="stable")
    parts["main"] = ~parts["scheme"].duplicated()
    ids = ctx.pipe_ids
    for row in parts.itertuples(index=False):
        if row.main and row.supplied:
            continue
        members = np.array(sorted(row.pipes))
        where = shapely.multilinestrings(list(ctx.geoms[members]))
        size = f"{len(members)} pipe{'s' if len(members) > 1 else ''}, {row.length / 1000:.2f} km"
        if not row.main and ctx.wants("NET-030"):
            tail = ("; this part has its own tank or source: if it is a separate system, accept it as an exception"
                    if row.supplied else "; no water can reach it")
            ctx.out.add("NET-030", [where], f"{size} of {_scheme_text(row.scheme)} not connected to its main network"
                        + tail, "pipes", [tuple(ids[members])], row.scheme or None)
        elif row.main and ctx.wants("NET-031"):
            ctx.out.add("NET-031", [where], f"the network of {_scheme_text(row.scheme)} ({size}) reaches no source or "
                        "tank; connect it, or add the source or tank at its inlet", "pipes", [tuple(ids[members])],
                        row.scheme or None)


@check("NET-040", "NET-041", "NET-042", "NET-043")
def pipe_attributes(ctx: Context) -> None:
    pipes = ctx.data.pipes
    if pipes.empty:
        return
    ids, schemes = ctx.pipe_ids, ctx.pipe_scheme
    dia = pd.to_numeric(pipes["diameter_mm"], errors="coerce").to_numpy(dtype=float)
    material = pipes["material"].astype(object).to_numpy()
    has_material = np.array([isinstance(m, str) and m != "" for m in material])

    def add(code: str, mask: np.ndarray, messages: list[str]) -> None:
        if ctx.wants(code) and mask.any():
            ctx.out.add(code, ctx.geoms[mask], messages, "pipes", [(i,) for i in ids[mask]], schemes[mask])

    missing_dia = np.isnan(dia)
    add("NET-040", missing_dia, [f"{i} has no diameter" for i in ids[missing_dia]])
    add("NET-041", ~has_material, [f"{i} has no material" for i in ids[~has_material]])
    unknown = has_material & ~np.isin(material, list(DOMAINS["pipe_material"]))
    add("NET-042", unknown, [f"{i}: material '{m}' is not one of {', '.join(DOMAINS['pipe_material'])}"
                             for i, m in zip(ids[unknown], material[unknown])])
    odd = ~missing_dia & ((dia < 10) | (dia > 3000))
    for code, sizes in NOMINAL_DIAMETERS.items():
        of_kind = ~missing_dia & (material == code)
        if of_kind.any():
            odd |= of_kind & ~np.isin(np.round(dia, 1), sorted(sizes))
    add("NET-043", odd, [f"{i}: {d:g} mm is not a nominal size" + (f" of {m} pipe" if isinstance(m, str) else "")
                         for i, d, m in zip(ids[odd], dia[odd], material[odd])])


@check("NET-044")
def diameter_direction(ctx: Context) -> None:
    u = ctx.usable_idx
    if not len(u) or not len(ctx.supply_nodes):
        return
    nodes = ctx.nodes
    start, end = nodes.start[u], nodes.end[u]
    level, _ = hop_levels(nodes.count, start, end, ctx.supply_nodes)
    dia = pd.to_numeric(ctx.data.pipes["diameter_mm"], errors="coerce").to_numpy(dtype=float)[u]
    ls, le = level[start], level[end]
    flows = (ls >= 0) & (le >= 0) & (ls != le) & ~np.isnan(dia)
    up = np.where(ls < le, start, end)
    down = np.where(ls < le, end, start)
    # Widest pipe bringing water into each node from upstream: a pipe may not be wider than that.
    feed = np.full(nodes.count, -np.inf)
    np.maximum.at(feed, down[flows], dia[flows])
    grows = flows & np.isfinite(feed[up]) & (dia > feed[up] + 0.5)
    if not grows.any():
        return
    pos = u[grows]
    ids = ctx.pipe_ids
    ctx.out.add("NET-044", ctx.geoms[pos], [f"{i} ({d:g} mm) is wider than the widest pipe feeding it ({f:g} mm), "
                                            "counting from the nearest tank or source"
                                            for i, d, f in zip(ids[pos], dia[grows], feed[up[grows]])],
                "pipes", [(i,) for i in ids[pos]], ctx.pipe_scheme[pos])


@check("NET-045")
def diameter_change(ctx: Context) -> None:
    node, a, b = two_pipe_nodes(ctx)
    if not len(node):
        return
    dia = pd.to_numeric(ctx.data.pipes["diameter_mm"], errors="coerce").to_numpy(dtype=float)
    change = ~np.isnan(dia[a]) & ~np.isnan(dia[b]) & (np.abs(dia[a] - dia[b]) > 0.5) & ~fitting_nodes(ctx)[node]
    if not change.any():
        return
    node, a, b = node[change], a[change], b[change]
    ids = ctx.pipe_ids
    ctx.out.add("NET-045", ctx.node_points(node), [f"{x} ({dx:g} mm) joins {y} ({dy:g} mm) with no reducer; add a "
                                                   "reducer junction here" for x, dx, y, dy in
                                                   zip(ids[a], dia[a], ids[b], dia[b])],
                "pipes", list(zip(ids[a], ids[b])), ctx.pipe_scheme[a])


@check("NET-046")
def length_mismatch(ctx: Context) -> None:
    pipes = ctx.data.pipes
    if pipes.empty:
        return
    reported = pd.to_numeric(pipes["length_m"], errors="coerce").to_numpy(dtype=float)
    drawn = ctx.lengths
    diff = np.abs(reported - drawn)
    ok = np.zeros(len(pipes), dtype=bool)
    ok[ctx.usable_idx] = True
    bad = ok & ~np.isnan(reported) & (diff > ctx.p["length_mismatch_ratio"] * drawn) & (diff > ctx.p["length_mismatch_m"])
    if not bad.any():
        return
    ids = ctx.pipe_ids
    ctx.out.add("NET-046", ctx.geoms[bad], [f"{i}: reported {r:.1f} m, drawn {d:.1f} m ({100 * (r - d) / d:+.0f} %)"
                                            for i, r, d in zip(ids[bad], reported[bad], drawn[bad])],
                "pipes", [(i,) for i in ids[bad]], ctx.pipe_scheme[bad])


@check("NET-050")
def outside_villages(ctx: Context) -> None:
    villages = ctx.data["villages"]
    if villages.empty:
        return
    vgeoms = np.asarray(villages.geometry.values, dtype=object)
    present = located(vgeoms)
    ids, schemes = ctx.pipe_ids, ctx.pipe_scheme
    u = ctx.usable_idx
    for scheme, rows in villages[present].groupby("scheme_id").groups.items():
        area = shapely.buffer(shapely.union_all(shapely.make_valid(vgeoms[np.asarray(rows)])), ctx.p["village_tolerance_m"])
        shapely.prepare(area)
        mine = u[schemes[u] == scheme]
        if not len(mine):
            continue
        out = mine[~shapely.covers(area, ctx.geoms[mine])]
        if not len(out):
            continue
        outside = shapely.difference(ctx.geoms[out], area)
        ctx.out.add("NET-050", outside, [f"{i} runs {shapely.length(o):.0f} m outside the villages of scheme {scheme}"
                                         for i, o in zip(ids[out], outside)], "pipes", [(i,) for i in ids[out]], scheme)


@check("NET-051")
def taps_far_from_pipes(ctx: Context) -> None:
    fhtc = ctx.data["fhtc"]
    if fhtc.empty:
        return
    geoms = np.asarray(fhtc.geometry.values, dtype=object)
    present = np.flatnonzero(located(geoms))
    limit = ctx.p["fhtc_max_distance_m"]
    if not len(ctx.usable_idx):
        far, dist = present, np.full(len(present), np.inf)
    else:
        near_src = ctx.tree.query(geoms[present], predicate="dwithin", distance=limit)[0]
        far = present[~np.isin(np.arange(len(present)), near_src)]
        if not len(far):
            return
        _, dist = ctx.tree.query_nearest(geoms[far], return_distance=True, all_matches=False)
    ids = ctx.ids("fhtc")
    ctx.out.add("NET-051", geoms[far], [f"tap {i} is {d:.0f} m from the nearest pipe (limit {limit:g} m)"
                                        for i, d in zip(ids[far], dist)], "fhtc", [(i,) for i in ids[far]],
                ctx.scheme_of("fhtc")[far])


@check("NET-052", "NET-053")
def scheme_ids(ctx: Context) -> None:
    known = set(ctx.data["schemes"]["scheme_id"].dropna().astype(str))
    for layer in SCHEME_LAYERS:
        frame = ctx.data[layer]
        if frame.empty:
            continue
        scheme = ctx.scheme_of(layer)
        missing = np.array([not (isinstance(s, str) and s) for s in scheme])
        unknown = ~missing & ~np.isin(scheme.astype(str), list(known))
        geoms = np.asarray(frame.geometry.values, dtype=object)
        ids = ctx.ids(layer)
        for code, mask, text in (("NET-052", missing, "has no scheme_id"), ("NET-053", unknown, "has scheme_id {s}, "
                                                                              "which is not in the schemes layer")):
            if ctx.wants(code) and mask.any():
                ctx.out.add(code, geoms[mask], [f"{LAYERS[layer].title[:-1].lower()} {i} " + text.format(s=s)
                                                for i, s in zip(ids[mask], scheme[mask])],
                            layer, [(i,) for i in ids[mask]], scheme[mask])

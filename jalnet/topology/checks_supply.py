"""Supply rules (NET-032, NET-033): tanks nothing can fill, and loops in schemes recorded as branched."""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely

from .context import Context
from .graph import component_labels
from .rules import check


@check("NET-032")
def unfillable_tanks(ctx: Context) -> None:
    tanks = ctx.data["tanks"]
    if tanks.empty:
        return
    u = ctx.usable_idx
    nodes = ctx.nodes
    at = nodes.at["tanks"]
    fed = np.zeros(len(at), dtype=bool)
    if len(u):
        labels = component_labels(nodes.count, nodes.start[u], nodes.end[u])
        with_source = np.zeros(int(labels.max()) + 1, dtype=bool)
        src = nodes.at["sources"]
        with_source[labels[src[src >= 0]]] = True
        on = at >= 0
        fed[on] = with_source[labels[at[on]]]
    # a scheme with no source recorded at all is reported once by the registry rules, not tank by tank
    with_sources = {s for s in ctx.scheme_of("sources") if isinstance(s, str)}
    fed |= np.array([s not in with_sources for s in ctx.scheme_of("tanks")], dtype=bool)
    if fed.all():
        return
    bad = np.flatnonzero(~fed)
    ids = ctx.ids("tanks")[bad]
    kinds = tanks["tank_type"].astype(object).to_numpy()[bad]
    geoms = np.asarray(tanks.geometry.values, dtype=object)[bad]
    messages = [f"tank {t} ({k or 'tank'}) " + ("stands at no pipe end: no pipe can fill it" if at[b] < 0 else
                                                "is on a part of the network that reaches no source: nothing can fill it")
                for t, k, b in zip(ids, kinds, bad)]
    ctx.out.add("NET-032", geoms, messages, "tanks", [(t,) for t in ids], ctx.scheme_of("tanks")[bad])


@check("NET-033")
def loops_in_branched_schemes(ctx: Context) -> None:
    schemes = ctx.data["schemes"]
    if schemes.empty or "layout" not in schemes.columns:
        return
    branched = set(schemes.loc[schemes["layout"] == "branched", "scheme_id"].dropna().astype(str))
    u = ctx.usable_idx
    if not branched or not len(u):
        return
    nodes = ctx.nodes
    ids = ctx.pipe_ids
    for scheme in sorted(branched):
        mine = u[ctx.pipe_scheme[u] == scheme]
        start, end = nodes.start[mine], nodes.end[mine]
        used = np.unique(np.concatenate([start, end]))
        parts = len(np.unique(component_labels(nodes.count, start, end)[used])) if len(used) else 0
        if len(mine) - len(used) + parts <= 0:  # a forest: no loop (the cheap test first)
            continue
        graph = nx.MultiGraph()
        graph.add_edges_from((int(a), int(b), int(p)) for a, b, p in zip(start, end, mine))
        for cycle in nx.cycle_basis(nx.Graph(graph)) if _simple(graph) else _multi_cycles(graph):
            members = _cycle_pipes(graph, cycle)
            where = shapely.multilinestrings(list(ctx.geoms[members]))
            ctx.out.add("NET-033", [where], f"scheme {scheme} is recorded as branched, but pipes "
                        f"{', '.join(ids[members])} close a loop", "pipes", [tuple(ids[members])], scheme)


def _simple(graph: nx.MultiGraph) -> bool:
    return all(graph.number_of_edges(a, b) == 1 for a, b in graph.edges() if a != b)


def _multi_cycles(graph: nx.MultiGraph) -> list[list[int]]:
    """Cycles including two pipes between the same two nodes (a loop of two)."""
    out = [[a, b] for a, b in {tuple(sorted((a, b))) for a, b in graph.edges() if a != b}
           if graph.number_of_edges(a, b) > 1]
    return out + nx.cycle_basis(nx.Graph(graph))


def _cycle_pipes(graph: nx.MultiGraph, cycle: list[int]) -> np.ndarray:
    if len(cycle) == 2:
        return np.array(sorted(graph[cycle[0]][cycle[1]]))
    pairs = zip(cycle, cycle[1:] + cycle[:1])
    return np.array(sorted(min(graph[a][b]) for a, b in pairs))

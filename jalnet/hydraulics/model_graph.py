"""The model as a graph: which nodes no source or tank reaches, the first tank past a pump,
and the build phase that refuses (or leaves out) nodes cut off from every source.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .build_state import BuildState


def connectivity(s: BuildState) -> None:
    sources = set(s.wn.reservoir_name_list) | set(s.wn.tank_name_list)
    if not sources:
        raise InputError(f"scheme {s.data.scheme} has no source with head_m and no tank: nothing supplies water")
    cut = unfed_nodes(s.wn, sources)
    if not cut:
        return
    assets = [f"{s.report.node_assets[n][0]} {s.report.node_assets[n][1]}" for n in cut]
    if not s.p.drop_disconnected:
        raise InputError(
            f"{len(cut)} node(s) are not connected to any source or tank: {', '.join(assets[:8])}"
            f"{'…' if len(cut) > 8 else ''}; connect them (pipes still to come?), or build with "
            "drop_disconnected=true to leave them out"
        )
    cut_set = set(cut)
    for name, link in list(s.wn.links()):
        if link.start_node_name in cut_set or link.end_node_name in cut_set:
            for ctrl in [c for c, obj in s.wn.controls() if link in obj.requires()]:
                s.wn.remove_control(ctrl)
            s.wn.remove_link(name)
            s.report.link_assets.pop(name, None)
            s.report.link_geoms.pop(name, None)
    for name in cut:
        s.wn.remove_node(name)
        s.report.node_assets.pop(name, None)
        s.report.node_xy.pop(name, None)
    if s.report.allocation is not None:
        orphan = s.report.allocation["node"].isin(cut_set)
        s.report.allocation.loc[orphan, "node"] = None
    s.warn(f"left out {len(cut)} node(s) not connected to a source: {', '.join(assets[:8])}")


def _adjacency(wn: Any, skip_pumps: bool = False, open_only: set[str] | None = None) -> dict[str, list[str]]:
    """Node -> neighbouring nodes over the model's links (optionally only the named open links)."""
    out: dict[str, list[str]] = {n: [] for n in wn.node_name_list}
    for name, link in wn.links():
        if skip_pumps and link.link_type == "Pump":
            continue
        if open_only is not None and name not in open_only:
            continue
        a, b = link.start_node_name, link.end_node_name
        out[a].append(b)
        out[b].append(a)
    return out


def unfed_nodes(wn: Any, sources: set[str], open_links: set[str] | None = None) -> list[str]:
    """Nodes no reservoir or tank reaches over the links (all links, or only *open_links*)."""
    adjacency = _adjacency(wn, open_only=open_links)
    seen = set(sources)
    frontier = list(sources)
    while frontier:
        node = frontier.pop()
        for other in adjacency[node]:
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return [n for n in wn.node_name_list if n not in seen]


def _first_tank(adjacency: dict[str, list[str]], start: str, skip: str, kinds: dict[str, str]) -> str | None:
    """The first tank reached from *start* without passing *skip* (breadth first)."""
    seen = {start, skip}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for other in adjacency[node]:
                if other in seen:
                    continue
                seen.add(other)
                if kinds.get(other) == "Tank":
                    return other
                if kinds.get(other) == "Junction":
                    nxt.append(other)
        frontier = nxt
    return None

"""The network a design sizes: the gravity pipes fed by the scheme's sources and tanks, with peak demands.

It is read through the hydraulics engine's public :func:`jalnet.hydraulics.build_model`, so the
demand is exactly the one simulations use (stored demands, or taps x persons x lpcd), grown to
the design population and multiplied by the peak factor. Pumps and rising mains are left
out: the design starts at the tanks and reservoirs that feed the distribution by gravity.
A tank's design head is its lowest supply level (floor + minimum level); the static head a
pipe class must hold is its full level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ..errors import InputError

#: CPHEEO peak factors of continuous supply by design population: (population up to, factor).
CPHEEO_PEAK = ((50_000, 3.0), (200_000, 2.5), (float("inf"), 2.0))


def cpheeo_peak_factor(population: float) -> float:
    """CPHEEO manual: 3.0 up to 50,000 people, 2.5 up to 2 lakh, 2.0 above."""
    return next(f for limit, f in CPHEEO_PEAK if population <= limit)


@dataclass
class DesignNetwork:
    """Nodes and pipes to size. Flows are in l/s along each pipe's start->end; heads in m above MSL."""

    scheme: str
    crs: Any
    node_names: list[str]
    node_assets: list[str]  # registry asset id (junction) of each node
    elevation: np.ndarray
    demand_lps: np.ndarray  # peak design demand
    node_xy: np.ndarray
    source_names: list[str]
    source_assets: list[str]
    source_head: np.ndarray  # design head (tank: lowest supply level)
    static_head: np.ndarray  # head the pipe classes must hold (tank: full level)
    source_elevation: np.ndarray
    source_xy: np.ndarray
    pipe_names: list[str]
    pipe_ids: list[str]  # registry pipe_id
    start: np.ndarray  # index into all_nodes (sources first, then nodes)
    end: np.ndarray
    length_m: np.ndarray
    geometry: list[Any]  # LineString from start to end
    current_dia_mm: np.ndarray
    current_c: np.ndarray
    peak_factor: float
    growth_factor: float
    average_demand_lps: float
    population: float
    loops: list[list[str]] = field(default_factory=list)  # pipe names per independent loop
    flow_lps: np.ndarray | None = None
    flows_from: str = "demands (branched: exact)"
    warnings: list[str] = field(default_factory=list)

    @property
    def n_sources(self) -> int:
        return len(self.source_names)

    @property
    def all_names(self) -> list[str]:
        return self.source_names + self.node_names

    @property
    def looped(self) -> bool:
        return bool(self.loops)

    def all_elevation(self) -> np.ndarray:
        return np.concatenate([self.source_elevation, self.elevation])

    def all_xy(self) -> np.ndarray:
        return np.vstack([self.source_xy.reshape(-1, 2), self.node_xy.reshape(-1, 2)])


def from_model(wn: Any, report: Any, pipe_functions: dict[str, str], peak_factor: float | None = None
               ) -> DesignNetwork:
    """The design network of a built model (``wn, report = jalnet.hydraulics.build_model(...)``).

    *pipe_functions*: registry pipe_id -> pipe_function, to leave rising mains out.
    """
    scheme = report.scheme
    skipped = set()
    graph = nx.Graph()
    for name, link in wn.links():
        layer, asset = report.link_assets.get(name, ("", name))
        if link.link_type != "Pipe" or pipe_functions.get(asset) == "rising_main":
            skipped.add(name)
            continue
        if layer != "pipes":
            raise InputError(f"scheme {scheme}: {layer[:-1]} {asset} splits pipe {name}; a design cannot size through "
                             "a control valve: design the scheme without it (status non_functional) and add it after")
        graph.add_edge(link.start_node_name, link.end_node_name, name=name)
    if graph.number_of_edges() == 0:
        raise InputError(f"scheme {scheme} has no gravity pipes to design (only pumps and rising mains)")
    kinds = {n: wn.get_node(n).node_type for n in graph.nodes}
    sources = [n for n in graph.nodes if kinds[n] in ("Reservoir", "Tank")]
    if not sources:
        raise InputError(f"scheme {scheme} has no source: no reservoir or tank feeds its gravity pipes; give the source "
                         "head_m or add the tank")
    for comp in nx.connected_components(graph):
        if not any(kinds[n] in ("Reservoir", "Tank") for n in comp):
            cut = sorted(comp)
            assets = [report.node_assets.get(n, ("", n))[1] for n in cut]
            pumped = sorted(report.link_assets.get(name, ("", name))[1] for name in skipped
                            if {wn.get_link(name).start_node_name, wn.get_link(name).end_node_name} & comp)
            how = (f"is fed only through {pumped[0]} (a pump, valve or rising main, with no tank in between); the design "
                   "sizes the gravity parts below reservoirs and tanks: add the tank, or design the rest"
                   if pumped else "is not connected by gravity pipes to any source or tank; connect it or take it "
                   "out of service")
            raise InputError(f"node {assets[0]} (and {len(cut) - 1} more) {how}")
    sources.sort()
    nodes = sorted(n for n in graph.nodes if kinds[n] == "Junction")
    index = {n: k for k, n in enumerate(sources + nodes)}
    design_head, static = [], []
    for s in sources:
        node = wn.get_node(s)
        if node.node_type == "Tank":
            design_head.append(node.elevation + node.min_level)
            static.append(node.elevation + node.max_level)
        else:
            design_head.append(float(node.base_head))
            static.append(float(node.base_head))
    # demand: the model's average (base) demand, grown to the design year, times the peak factor
    base = np.array([sum(d.base_value for d in wn.get_node(n).demand_timeseries_list) * 1000.0 for n in nodes])
    growth = float(report.growth_factor) if report.growth_factor else 1.0
    warnings = []
    if growth < 1.0:
        warnings.append(f"the scheme's design population is below the persons already served (growth {growth:.2f}); "
                        "the design uses today's demand")
        growth = 1.0
    population = float(report.persons) * growth
    if peak_factor is None:
        if report.demand_source == "stored" or report.intermittent:
            peak_factor = float(report.peak_factor)
        else:
            peak_factor = cpheeo_peak_factor(population)
    if peak_factor <= 0:
        raise InputError(f"peak factor {peak_factor} must be positive")
    edges = sorted(graph.edges(data="name"), key=lambda e: e[2])
    pipe_names = [e[2] for e in edges]
    start = np.array([index[wn.get_link(p).start_node_name] for p in pipe_names])
    end = np.array([index[wn.get_link(p).end_node_name] for p in pipe_names])
    pipes = [wn.get_link(p) for p in pipe_names]
    loops = [_loop_pipes(graph, cycle) for cycle in nx.cycle_basis(graph)]
    # two sources in one connected part also make a loop (a path between fixed heads)
    for comp in nx.connected_components(graph):
        fed = sorted(s for s in comp if s in index and kinds[s] in ("Reservoir", "Tank"))
        for other in fed[1:]:
            loops.append(_loop_pipes(graph, nx.shortest_path(graph, fed[0], other), closed=False))
    xy = {n: report.node_xy[n] for n in sources + nodes}
    return DesignNetwork(
        scheme=scheme, crs=report.crs, node_names=nodes,
        node_assets=[report.node_assets.get(n, ("", n))[1] for n in nodes],
        elevation=np.array([wn.get_node(n).elevation for n in nodes], dtype=float),
        demand_lps=base * growth * peak_factor, node_xy=np.array([xy[n] for n in nodes], dtype=float).reshape(-1, 2),
        source_names=sources, source_assets=[report.node_assets.get(n, ("", n))[1] for n in sources],
        source_head=np.array(design_head, dtype=float), static_head=np.array(static, dtype=float),
        source_elevation=np.array([getattr(wn.get_node(s), "elevation", None) or wn.get_node(s).base_head
                                   for s in sources], dtype=float),
        source_xy=np.array([xy[n] for n in sources], dtype=float).reshape(-1, 2),
        pipe_names=pipe_names, pipe_ids=[report.link_assets[p][1] for p in pipe_names], start=start, end=end,
        length_m=np.array([p.length for p in pipes], dtype=float),
        geometry=[report.link_geoms[p] for p in pipe_names],
        current_dia_mm=np.array([p.diameter * 1000.0 for p in pipes]), current_c=np.array([p.roughness for p in pipes]),
        peak_factor=float(peak_factor), growth_factor=growth, average_demand_lps=float(base.sum()),
        population=population, loops=loops, warnings=warnings,
    )


def _loop_pipes(graph: nx.Graph, cycle: list[str], closed: bool = True) -> list[str]:
    pairs = list(zip(cycle, cycle[1:] + (cycle[:1] if closed else [])))
    return sorted(graph.edges[a, b]["name"] for a, b in pairs)


def tree_flows(net: DesignNetwork) -> np.ndarray:
    """Pipe flows (l/s, + along start->end) of a branched network: each carries the demand beyond it."""
    n_all = net.n_sources + len(net.node_names)
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_all)]
    for k, (a, b) in enumerate(zip(net.start.tolist(), net.end.tolist())):
        adjacency[a].append((b, k))
        adjacency[b].append((a, k))
    demand = np.concatenate([np.zeros(net.n_sources), net.demand_lps])
    parent_pipe = np.full(n_all, -1)
    order = []
    seen = np.zeros(n_all, dtype=bool)
    for s in range(net.n_sources):
        seen[s] = True
        stack = [s]
        while stack:
            u = stack.pop()
            order.append(u)
            for v, k in adjacency[u]:
                if not seen[v]:
                    seen[v] = True
                    parent_pipe[v] = k
                    stack.append(v)
    carried = demand.copy()
    flows = np.zeros(len(net.pipe_names))
    for v in reversed(order):
        k = parent_pipe[v]
        if k < 0:
            continue
        u = net.start[k] if net.end[k] == v else net.end[k]
        carried[u] += carried[v]
        flows[k] = carried[v] if net.end[k] == v else -carried[v]
    return flows

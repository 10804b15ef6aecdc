"""Least-cost pipe sizes as one linear program (the JalTantra formulation), solved by SciPy's HiGHS.

With the flows known (a branched network: from the demands; a looped one: from EPANET, held
fixed), the head loss of a metre of each catalogue diameter is a constant, so choosing a
length of every diameter for every pipe is linear: minimise sum(cost x length) subject to
the lengths of a pipe adding up to the pipe, each pipe's head loss equal to the head
difference of its ends, and every node's head at least its elevation plus the minimum head.
A pipe may so be made of several diameters in series. Diameters whose velocity would exceed
the limit, and classes that cannot hold the static head, are never offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import InputError
from .catalogue import Catalogue
from .network import DesignNetwork

#: EPANET's Hazen-Williams resistance 4.727 (US units) in SI: h[m] = K C^-1.852 d[m]^-4.871 L[m] q[m3/s]^1.852
HW_K = 4.727 * 0.3048 ** 4.871 / 0.028316846592 ** 1.852
#: Pieces of a split pipe shorter than this (m) join the pipe's largest diameter (nobody lays 30 cm of pipe).
MIN_SEGMENT_M = 1.0


def hw_gradient(flow_lps: np.ndarray, inner_mm: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Head loss per metre (m/m) for flows (l/s) through inner diameters (mm), by EPANET's Hazen-Williams."""
    q = np.abs(np.asarray(flow_lps, dtype=float)) / 1000.0
    return HW_K * np.power(c, -1.852) * np.power(np.asarray(inner_mm) / 1000.0, -4.871) * np.power(q, 1.852)


def velocity_ms(flow_lps: np.ndarray, inner_mm: np.ndarray) -> np.ndarray:
    return np.abs(flow_lps) / 1000.0 / (np.pi / 4.0 * (np.asarray(inner_mm) / 1000.0) ** 2)


@dataclass
class Options:
    """The catalogue rows each pipe may use: pairs (pipe k, row j) with their gradient and cost."""

    pipe: np.ndarray
    row: np.ndarray
    gradient: np.ndarray  # m/m at the pipe's flow
    cost: np.ndarray  # Rs/m
    static_m: np.ndarray  # per pipe: the static head the class must hold


def pipe_options(net: DesignNetwork, cat: Catalogue, flows: np.ndarray, max_velocity: float) -> Options:
    """Every usable (pipe, catalogue row); a pipe left without any is refused by name."""
    static = _static_heads(net)
    ground = net.all_elevation()
    pressure = static - np.minimum(ground[net.start], ground[net.end])
    vel = velocity_ms(flows[:, None], cat.inner_dia_mm[None, :])
    ok = (vel <= max_velocity + 1e-12) & (cat.max_pressure_m[None, :] >= pressure[:, None])
    empty = np.flatnonzero(~ok.any(axis=1))
    if len(empty):
        k = int(empty[0])
        raise InputError(
            f"pipe {net.pipe_ids[k]} carries {abs(flows[k]):.2f} l/s at up to {pressure[k]:.1f} m static head: no "
            f"diameter of catalogue {cat.path} keeps the velocity within {max_velocity:g} m/s in a class that holds "
            f"that head ({len(empty)} pipe(s) so); add larger diameters or higher classes to the catalogue, or raise "
            "--max-velocity"
        )
    kk, jj = np.nonzero(ok)
    grad = hw_gradient(flows[kk], cat.inner_dia_mm[jj], cat.hw_c[jj])
    return Options(kk, jj, grad, cat.cost_inr_per_m[jj], pressure)


def _static_heads(net: DesignNetwork) -> np.ndarray:
    """Per pipe: the highest static head of the sources in its connected part."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(net.n_sources + len(net.node_names)))
    g.add_edges_from(zip(net.start.tolist(), net.end.tolist()))
    best = np.zeros(net.n_sources + len(net.node_names))
    for comp in nx.connected_components(g):
        members = list(comp)
        best[members] = max(net.static_head[s] for s in members if s < net.n_sources)
    return best[net.start]


def solve(net: DesignNetwork, opts: Options, flows: np.ndarray, min_head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LP optimum: length (m) of every option, and every node's head. *min_head* per node (m above ground)."""
    n_pipes, n_opt, n_nodes, n_src = len(net.pipe_names), len(opts.pipe), len(net.node_names), net.n_sources
    sign = np.where(flows >= 0, 1.0, -1.0)
    col = np.arange(n_opt)
    # rows 0..n_pipes-1: sum of lengths = pipe length; rows n_pipes..: H_start - H_end - sum(J x) = 0
    rows = [opts.pipe, n_pipes + opts.pipe]
    cols = [col, col]
    vals = [np.ones(n_opt), -sign[opts.pipe] * opts.gradient]
    rhs_energy = np.zeros(n_pipes)
    for ends, coef in ((net.start, 1.0), (net.end, -1.0)):
        is_node = ends >= n_src
        k = np.flatnonzero(is_node)
        rows.append(n_pipes + k)
        cols.append(n_opt + ends[k] - n_src)
        vals.append(np.full(len(k), coef))
        k = np.flatnonzero(~is_node)
        rhs_energy[k] -= coef * net.source_head[ends[k]]
    a_eq = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(2 * n_pipes, n_opt + n_nodes))
    b_eq = np.concatenate([net.length_m, rhs_energy])
    c = np.concatenate([opts.cost, np.zeros(n_nodes)])
    bounds = np.column_stack([np.concatenate([np.zeros(n_opt), net.elevation + min_head]),
                              np.concatenate([np.full(n_opt, np.inf), np.full(n_nodes, np.inf)])])
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status == 2:
        raise InputError(f"scheme {net.scheme}: no choice of catalogue diameters keeps every node at the minimum head "
                         f"with the flow split {net.flows_from}; add larger diameters or lower --min-head")
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the design LP: {res.message}")
    return res.x[:n_opt], res.x[n_opt:]


@dataclass
class Segments:
    """The design: pieces of pipes, in order from each pipe's upstream end (largest diameter first)."""

    pipe: np.ndarray
    row: np.ndarray
    length_m: np.ndarray


def to_segments(net: DesignNetwork, opts: Options, lengths: np.ndarray, cat: Catalogue) -> Segments:
    """LP lengths as pipe pieces: tiny pieces join the pipe's largest diameter; each pipe's lengths add up exactly."""
    pipes, rows, out_len = [], [], []
    keep = lengths > 1e-6
    order = np.lexsort((-cat.inner_dia_mm[opts.row[keep]], opts.pipe[keep]))
    kk, jj, ll = opts.pipe[keep][order], opts.row[keep][order], lengths[keep][order]
    bounds = np.searchsorted(kk, np.arange(len(net.pipe_names) + 1))
    for k in range(len(net.pipe_names)):
        a, b = bounds[k], bounds[k + 1]
        js, ls = jj[a:b].tolist(), ll[a:b].tolist()
        if not js:
            raise RuntimeError(f"the design LP left pipe {net.pipe_ids[k]} without any length")
        big = [i for i, v in enumerate(ls) if v >= MIN_SEGMENT_M] or [int(np.argmax(ls))]
        pieces = [[js[i], ls[i]] for i in big]
        pieces[0][1] += sum(v for i, v in enumerate(ls) if i not in big)  # the first piece is the largest diameter
        pieces[0][1] += net.length_m[k] - sum(p[1] for p in pieces)
        for j, length in pieces:
            pipes.append(k)
            rows.append(j)
            out_len.append(length)
    return Segments(np.array(pipes), np.array(rows), np.array(out_len))


def pipe_losses(net: DesignNetwork, seg: Segments, flows: np.ndarray, cat: Catalogue) -> np.ndarray:
    """Head loss along each pipe's start->end (m; negative where the flow runs end->start)."""
    loss = hw_gradient(flows[seg.pipe], cat.inner_dia_mm[seg.row], cat.hw_c[seg.row]) * seg.length_m
    sign = np.where(flows >= 0, 1.0, -1.0)
    return np.bincount(seg.pipe, weights=loss, minlength=len(net.pipe_names)) * sign


class Tree:
    """A spanning tree from the sources: each node's path of pipes, to get heads from pipe losses at once."""

    def __init__(self, net: DesignNetwork) -> None:
        n_src, n_all = net.n_sources, net.n_sources + len(net.node_names)
        adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_all)]
        for k, (a, b) in enumerate(zip(net.start.tolist(), net.end.tolist())):
            adjacency[a].append((b, k))
            adjacency[b].append((a, k))
        self.root = np.full(n_all, -1)
        self.parent_pipe = np.full(n_all, -1)
        self.parent = np.full(n_all, -1)
        paths: list[list[int]] = [[] for _ in range(n_all)]
        frontier = list(range(n_src))
        self.root[:n_src] = np.arange(n_src)
        while frontier:  # breadth first: the shortest path in pipes from a source
            nxt = []
            for u in frontier:
                for v, k in adjacency[u]:
                    if self.root[v] < 0:
                        self.root[v], self.parent_pipe[v], self.parent[v] = self.root[u], k, u
                        paths[v] = paths[u] + [k]
                        nxt.append(v)
            frontier = nxt
        rows = [np.full(len(p), v - n_src) for v, p in enumerate(paths) if v >= n_src]
        cols = [np.asarray(p, dtype=int) for v, p in enumerate(paths) if v >= n_src]
        # sign: +1 where the path runs along the pipe's start->end
        signs = []
        for v in range(n_src, n_all):
            node, s = v, []
            while self.parent_pipe[node] >= 0:
                k = self.parent_pipe[node]
                s.append(1.0 if net.end[k] == node else -1.0)
                node = self.parent[node]
            signs.append(np.array(s[::-1]))
        self.path = sp.csr_matrix((np.concatenate(signs) if signs else np.zeros(0),
                                   (np.concatenate(rows) if rows else np.zeros(0, int),
                                    np.concatenate(cols) if cols else np.zeros(0, int))),
                                  shape=(len(net.node_names), len(net.pipe_names)))
        self.n_src = n_src
        self.source_head = net.source_head

    def heads(self, losses: np.ndarray) -> np.ndarray:
        """Node heads (m) from signed pipe losses, along each node's path from its source."""
        return self.source_head[self.root[self.n_src:]] - self.path @ losses

    def path_pipes(self, node: int) -> np.ndarray:
        """Pipes from the source to node index *node* (among the non-source nodes), source first."""
        row = self.path.getrow(node)
        return row.indices

"""The conventional hand method, to state what the optimisation saves.

As design engineers do it: every pipe starts at the smallest diameter that keeps the velocity
within the limit (and a class that holds the static head); while a node is short of the
minimum head, the pipe with the steepest head loss on the way to the worst node is upsized
to the next larger diameter. One diameter per pipe; the same flows as the optimal design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalogue import Catalogue
from .lp import Options, Segments, Tree, pipe_losses
from .network import DesignNetwork


@dataclass
class HandDesign:
    row: np.ndarray  # catalogue row of every pipe
    cost_inr: float
    upsizings: int
    feasible: bool


def hand_design(net: DesignNetwork, opts: Options, flows: np.ndarray, min_head: np.ndarray, cat: Catalogue,
                tree: Tree, start: np.ndarray | None = None, max_steps: int = 200_000) -> HandDesign:
    """*start*: catalogue rows to begin from (a previous round's design) instead of the smallest diameters."""
    n = len(net.pipe_names)
    # per pipe: its options by inner diameter (cheapest first among equal diameters)
    ladder: list[list[int]] = [[] for _ in range(n)]
    order = np.lexsort((opts.cost, cat.inner_dia_mm[opts.row], opts.pipe))
    for i in order.tolist():
        k, j = int(opts.pipe[i]), int(opts.row[i])
        if not ladder[k] or cat.inner_dia_mm[j] > cat.inner_dia_mm[ladder[k][-1]]:
            ladder[k].append(j)
    step = np.zeros(n, dtype=int)
    if start is not None:  # the first diameter of the ladder at least as large as the one already chosen
        for k in range(n):
            inner = cat.inner_dia_mm[ladder[k]]
            step[k] = min(int(np.searchsorted(inner, cat.inner_dia_mm[start[k]] - 1e-9)), len(ladder[k]) - 1)
    rows = np.array([ladder[k][step[k]] for k in range(n)])
    pipes = np.arange(n)
    floor = net.elevation + min_head
    upsizings = 0
    feasible = False
    for _ in range(max_steps):
        losses = pipe_losses(net, Segments(pipes, rows, net.length_m), flows, cat)
        deficit = floor - tree.heads(losses)
        worst = int(np.argmax(deficit))
        if deficit[worst] <= 1e-9:
            feasible = True
            break
        path = tree.path_pipes(worst)
        can = [k for k in path.tolist() if step[k] + 1 < len(ladder[k])]
        if not can:
            break
        per_m = np.abs(losses[can]) / net.length_m[can]
        k = can[int(np.argmax(per_m))]
        step[k] += 1
        rows[k] = ladder[k][step[k]]
        upsizings += 1
    cost = float(np.sum(cat.cost_inr_per_m[rows] * net.length_m))
    return HandDesign(rows, cost, upsizings, feasible)


def hand_design_looped(net: DesignNetwork, cat: Catalogue, flows: np.ndarray, min_head: np.ndarray,
                       max_velocity: float, tree: Tree, rounds: int = 20) -> tuple[HandDesign, np.ndarray]:
    """The hand method on a looped network, as an engineer runs it: upsize with the flows of the last EPANET run,
    simulate again, go on until EPANET shows every node at the minimum head. Returns the design and its flows."""
    from .check import simulate
    from .lp import pipe_options

    rows, upsizings = None, 0
    n = len(net.pipe_names)
    for _ in range(rounds):
        opts = pipe_options(net, cat, flows, max_velocity)
        hand = hand_design(net, opts, flows, min_head, cat, tree, start=rows)
        rows, upsizings = hand.row, upsizings + hand.upsizings
        sim = simulate(net, np.arange(n), net.length_m, cat.inner_dia_mm[rows], cat.hw_c[rows])
        flows = sim.flow_lps
        if np.all(sim.node_head - net.elevation >= min_head - 1e-3):
            return HandDesign(rows, hand.cost_inr, upsizings, True), flows
    return HandDesign(rows, float(np.sum(cat.cost_inr_per_m[rows] * net.length_m)), upsizings, False), flows

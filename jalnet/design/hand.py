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
                tree: Tree, max_steps: int = 200_000) -> HandDesign:
    n = len(net.pipe_names)
    # per pipe: its options by inner diameter (cheapest first among equal diameters)
    ladder: list[list[int]] = [[] for _ in range(n)]
    order = np.lexsort((opts.cost, cat.inner_dia_mm[opts.row], opts.pipe))
    for i in order.tolist():
        k, j = int(opts.pipe[i]), int(opts.row[i])
        if not ladder[k] or cat.inner_dia_mm[j] > cat.inner_dia_mm[ladder[k][-1]]:
            ladder[k].append(j)
    step = np.zeros(n, dtype=int)
    rows = np.array([ladder[k][0] for k in range(n)])
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

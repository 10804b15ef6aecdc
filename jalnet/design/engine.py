"""``design_scheme``: least-cost pipe sizes of one scheme, checked by EPANET, with a bill of quantities.

Reads the scheme through the hydraulics engine's public model builder, solves the sizing LP,
compares with the conventional hand method, simulates the result with EPANET, and only then
writes anything (the GeoPackage, the BOQ and the report; with ``apply``, the registry).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..hydraulics import Norms, build_model
from ..registry import Registry, open_registry
from .catalogue import Catalogue, load_catalogue
from .check import Simulated, check_design, present_flows, simulate
from .hand import HandDesign, hand_design, hand_design_looped
from .lp import Segments, Tree, hw_gradient, pipe_losses, pipe_options, solve, to_segments, velocity_ms
from .network import DesignNetwork, from_model, tree_flows


@dataclass
class DesignResult:
    scheme: str
    net: DesignNetwork
    catalogue: Catalogue
    segments: Segments
    flows_lps: np.ndarray
    node_head: np.ndarray
    min_head_m: float
    max_velocity_ms: float
    cost_inr: float
    hand: HandDesign
    check: Simulated
    check_max_diff_m: float
    solve_seconds: float
    pipes: gpd.GeoDataFrame  # design_pipes
    nodes: gpd.GeoDataFrame  # design_nodes
    boq: pd.DataFrame
    heuristic: bool
    notes: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    batch_id: str | None = None

    @property
    def saving_inr(self) -> float:
        return self.hand.cost_inr - self.cost_inr

    @property
    def saving_percent(self) -> float:
        return 100.0 * self.saving_inr / self.hand.cost_inr if self.hand.cost_inr > 0 else 0.0


def design_scheme(registry: Registry | str | os.PathLike, scheme: str, out: str | os.PathLike | None = None,
                  catalogue: str | os.PathLike | None = None, min_head: float | None = None,
                  max_velocity: float | None = None, peak_factor: float | None = None, apply: bool = False,
                  dem: str | os.PathLike | None = None, params: dict[str, Any] | None = None,
                  feedback: Feedback | None = None) -> DesignResult:
    """Design *scheme*'s pipe sizes at least cost; write *out* (GeoPackage, with BOQ CSV and HTML beside it).

    With *apply*, the chosen pipes are written into the registry as one undoable batch.
    """
    norms = Norms()
    min_head = norms.min_pressure_m if min_head is None else float(min_head)
    max_velocity = norms.max_velocity_ms if max_velocity is None else float(max_velocity)
    if min_head < 0 or max_velocity <= 0:
        raise InputError(f"--min-head {min_head} must be 0 or more and --max-velocity {max_velocity} above 0")
    steps = Steps(feedback, 6)
    steps.next("reading the catalogue and the scheme")
    cat = load_catalogue(catalogue)
    reg, close = (registry, False) if isinstance(registry, Registry) else (open_registry(registry, readonly=True), True)
    try:
        pipes = reg.read("pipes", where={"scheme_id": scheme})
        wn, report = build_model(reg, scheme, dem=dem, params=params, feedback=feedback)
    finally:
        if close:
            reg.close()
    net = from_model(wn, report, dict(zip(pipes["pipe_id"], pipes["pipe_function"])), peak_factor)
    for message in net.warnings:
        if feedback is not None:
            feedback.warning(message)
    steps.next("flows at the design peak")
    node_min = np.full(len(net.node_names), min_head)
    tree = Tree(net)
    if net.looped:
        flows = present_flows(net)
        net.flows_from = "of EPANET through the present pipes (looped network)"
    else:
        flows = tree_flows(net)
    net.flow_lps = flows
    opts = pipe_options(net, cat, flows, max_velocity)
    _largest_pipes_reach(net, opts, flows, node_min, cat, tree)
    steps.next("solving the least-cost LP (HiGHS)")
    t0 = time.perf_counter()
    lengths, _ = solve(net, opts, flows, node_min)
    solve_seconds = time.perf_counter() - t0
    seg = to_segments(net, opts, lengths, cat)
    steps.next("the conventional hand method")
    if net.looped:
        hand, hand_flows = hand_design_looped(net, cat, flows, node_min, max_velocity, tree)
        # a second start: the LP with the flow split of the hand design (which is feasible there), the cheaper kept
        other = pipe_options(net, cat, hand_flows, max_velocity)
        t0 = time.perf_counter()
        try:
            seg2 = to_segments(net, other, solve(net, other, hand_flows, node_min)[0], cat)
        except InputError:
            seg2 = None
        solve_seconds += time.perf_counter() - t0
        if seg2 is not None and _cost(seg2, cat) < _cost(seg, cat) - 1e-6:
            seg, flows = seg2, hand_flows
            net.flows_from = "of EPANET through the hand-method design (looped network; the cheaper of two starts)"
            net.flow_lps = flows
    else:
        hand = hand_design(net, opts, flows, node_min, cat, tree)
    heads = tree.heads(pipe_losses(net, seg, flows, cat))
    steps.next("checking with EPANET at the design peak")
    sim = check_design(net, seg, cat, heads)
    diff = float(np.max(np.abs(sim.node_head - heads))) if len(heads) else 0.0
    cost = _cost(seg, cat)
    notes = []
    if net.looped:
        loops = "; ".join(", ".join(p) for p in net.loops[:3])
        notes.append(f"The network has {len(net.loops)} loop(s) (pipes {loops}{' …' if len(net.loops) > 3 else ''}). "
                     "Looped parts are designed by a heuristic: the flow split is taken from EPANET (through the "
                     "present pipes, and through the hand-method design; the cheaper result is kept) and held "
                     "fixed, and the LP is least-cost for that split only; EPANET then confirms the design. It is "
                     "not a proven optimum.")
    result = DesignResult(scheme, net, cat, seg, flows, heads, min_head, max_velocity, cost, hand, sim, diff,
                          solve_seconds, *_tables(net, seg, flows, heads, sim, cat, min_head), net.looped, notes)
    steps.next("writing the outputs")
    if out is not None:
        from .outputs import write_outputs

        result.outputs = write_outputs(result, out)
    if apply:
        from .apply import apply_design

        result.batch_id = apply_design(registry, result)
    steps.done()
    return result


def _cost(seg: Segments, cat: Catalogue) -> float:
    return float(np.sum(cat.cost_inr_per_m[seg.row] * seg.length_m))


def _largest_pipes_reach(net: DesignNetwork, opts: Any, flows: np.ndarray, node_min: np.ndarray, cat: Catalogue,
                         tree: Tree) -> None:
    """Refuse, naming the node, when even the largest usable diameter on every pipe leaves it short."""
    best = np.full(len(net.pipe_names), np.inf)
    np.minimum.at(best, opts.pipe, opts.gradient)
    if net.looped:  # the flows move with the diameters: ask EPANET, with the largest usable pipe everywhere
        order = np.lexsort((opts.gradient, opts.pipe))
        _, first = np.unique(opts.pipe[order], return_index=True)
        choice = opts.row[order[first]]  # per pipe, the row with the smallest head loss
        n = len(net.pipe_names)
        heads = simulate(net, np.arange(n), net.length_m, cat.inner_dia_mm[choice], cat.hw_c[choice]).node_head
    else:
        heads = tree.heads(best * net.length_m * np.where(flows >= 0, 1.0, -1.0))
    deficit = net.elevation + node_min - heads
    worst = int(np.argmax(deficit)) if len(deficit) else 0
    if len(deficit) and deficit[worst] > 1e-6:
        raise InputError(
            f"node {net.node_assets[worst]} stays {deficit[worst]:.2f} m below the minimum head "
            f"({node_min[worst]:g} m) even with the largest catalogue diameter on every pipe "
            f"({int(np.sum(deficit > 1e-6))} node(s) so); raise the source or tank, add larger diameters or lower "
            "--min-head"
        )


def _tables(net: DesignNetwork, seg: Segments, flows: np.ndarray, heads: np.ndarray, sim: Simulated, cat: Catalogue,
            min_head: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    from shapely.ops import substring

    q = flows[seg.pipe]
    inner = cat.inner_dia_mm[seg.row]
    loss = hw_gradient(q, inner, cat.hw_c[seg.row]) * seg.length_m
    number = np.zeros(len(seg.pipe), dtype=int)
    geoms = []
    bounds = np.searchsorted(seg.pipe, np.arange(len(net.pipe_names) + 1))
    for k in range(len(net.pipe_names)):
        a, b = bounds[k], bounds[k + 1]
        geom = net.geometry[k]
        scale = geom.length / net.length_m[k] if net.length_m[k] > 0 else 0.0
        done = 0.0
        for i in range(a, b):
            number[i] = i - a + 1
            lo, hi = done * scale, (done + seg.length_m[i]) * scale
            done += seg.length_m[i]
            if flows[k] < 0:  # pieces run from the upstream end, here the pipe's end
                lo, hi = geom.length - hi, geom.length - lo
            geoms.append(substring(geom, lo, hi) if b - a > 1 else geom)
    pipes = gpd.GeoDataFrame({
        "pipe_id": np.asarray(net.pipe_ids, dtype=object)[seg.pipe], "segment": number,
        "length_m": np.round(seg.length_m, 2), "material": cat.material[seg.row],
        "pressure_class": cat.pressure_class[seg.row], "nominal_dia_mm": cat.nominal_dia_mm[seg.row],
        "inner_dia_mm": inner, "cost_inr": np.round(cat.cost_inr_per_m[seg.row] * seg.length_m, 0),
        "flow_lps": np.round(np.abs(q), 3), "velocity_ms": np.round(velocity_ms(q, inner), 3),
        "headloss_m": np.round(loss, 3), "hw_c": cat.hw_c[seg.row],
    }, geometry=geoms, crs=net.crs)
    pressure = heads - net.elevation
    nodes = gpd.GeoDataFrame({
        "node_id": net.node_assets, "demand_lps": np.round(net.demand_lps, 4), "head_m": np.round(heads, 3),
        "min_head_m": np.full(len(heads), min_head), "pressure_m": np.round(pressure, 3),
        "elevation_m": net.elevation, "epanet_pressure_m": np.round(sim.node_head - net.elevation, 3),
        "meets_min_head": sim.node_head - net.elevation >= min_head - 1e-3,
    }, geometry=gpd.points_from_xy(net.node_xy[:, 0], net.node_xy[:, 1]), crs=net.crs)
    boq = (pd.DataFrame({"material": cat.material[seg.row], "pressure_class": cat.pressure_class[seg.row],
                         "nominal_dia_mm": cat.nominal_dia_mm[seg.row], "length_m": seg.length_m,
                         "cost_inr": cat.cost_inr_per_m[seg.row] * seg.length_m})
           .groupby(["material", "pressure_class", "nominal_dia_mm"], as_index=False).sum()
           .sort_values(["material", "pressure_class", "nominal_dia_mm"]).reset_index(drop=True))
    boq["length_m"] = boq["length_m"].round(1)
    boq["cost_inr"] = boq["cost_inr"].round(0)
    return pipes, nodes, boq

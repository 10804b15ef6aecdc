"""EPANET at the design peak: the designed network simulated on its own, node heads compared with the design.

The check model holds exactly what was designed: the sources at their design heads, every
node with its peak demand, every pipe as its pieces in series (a reducer node at each
change of diameter), Hazen-Williams with the catalogue's C. EPANET solves it independently
of the LP; a difference above 0.05 m anywhere means the design cannot be trusted and the
command fails. The same model with the scheme's present pipes gives the flow split of a
looped network.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

from ..errors import JalnetError
from .catalogue import Catalogue
from .lp import Segments
from .network import DesignNetwork

#: Largest difference (m) between the design's heads and EPANET's that passes the check.
TOLERANCE_M = 0.05


class CheckFailed(JalnetError):
    """EPANET does not confirm the design: an internal fault, not the user's input."""

    exit_code = 3


@dataclass
class Simulated:
    node_head: np.ndarray  # per design node
    reducer_head: np.ndarray  # per reducer (piece boundary), in Segments order
    flow_lps: np.ndarray  # per pipe (first piece), + along start->end


def simulate(net: DesignNetwork, pipe_of: np.ndarray, length: np.ndarray, inner_mm: np.ndarray, c: np.ndarray
             ) -> Simulated:
    """One EPANET steady-state run of the network with pipes made of the given pieces (in order)."""
    import wntr

    wn = wntr.network.WaterNetworkModel()
    opts = wn.options
    opts.time.duration = 0
    opts.hydraulic.headloss = "H-W"
    opts.hydraulic.inpfile_units = "LPS"
    opts.hydraulic.accuracy = 1e-6
    opts.hydraulic.trials = 200
    names = net.all_names
    xy = net.all_xy()
    ground = net.all_elevation()
    for s in range(net.n_sources):
        wn.add_reservoir(names[s], base_head=float(net.source_head[s]), coordinates=tuple(xy[s]))
    for i, name in enumerate(net.node_names):
        wn.add_junction(name, base_demand=float(net.demand_lps[i]) / 1000.0, elevation=float(net.elevation[i]),
                        coordinates=tuple(net.node_xy[i]))
    reducers = []
    bounds = np.searchsorted(pipe_of, np.arange(len(net.pipe_names) + 1))
    backward = net.flow_lps is not None and len(net.flow_lps) == len(net.pipe_names)
    sign = np.ones(len(net.pipe_names))
    for k, pname in enumerate(net.pipe_names):
        a, b = bounds[k], bounds[k + 1]
        up, down = int(net.start[k]), int(net.end[k])
        if backward and net.flow_lps[k] < 0:  # pieces are listed from the upstream end, here the pipe's end
            up, down = down, up
            sign[k] = -1.0
        prev = names[up]
        done = 0.0
        for i in range(a, b):
            last = i == b - 1
            if last:
                nxt = names[down]
            else:
                done += length[i]
                nxt = f"{pname}~r{i - a + 1}"
                t = done / net.length_m[k]
                z = (1 - t) * ground[up] + t * ground[down]
                wn.add_junction(nxt, base_demand=0.0, elevation=float(z))
                reducers.append(nxt)
            wn.add_pipe(pname if i == a else f"{pname}~{i - a + 1}", prev, nxt, length=float(length[i]),
                        diameter=float(inner_mm[i]) / 1000.0, roughness=float(c[i]))
            prev = nxt
    with tempfile.TemporaryDirectory(prefix="jalnet-design-") as folder:
        results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=os.path.join(folder, "check"))
    head = results.node["head"].iloc[0]
    flow = results.link["flowrate"].iloc[0]
    return Simulated(head[net.node_names].to_numpy(dtype=float), head[reducers].to_numpy(dtype=float),
                     flow[net.pipe_names].to_numpy(dtype=float) * 1000.0 * sign)


def present_flows(net: DesignNetwork) -> np.ndarray:
    """Flows (l/s) at the design peak through the scheme's present pipes (for a looped network's split)."""
    n = len(net.pipe_names)
    return simulate(net, np.arange(n), net.length_m, net.current_dia_mm, net.current_c).flow_lps


def check_design(net: DesignNetwork, seg: Segments, cat: Catalogue, design_head: np.ndarray) -> Simulated:
    """EPANET on the designed pieces; raises CheckFailed when a node's head differs by more than the tolerance."""
    sim = simulate(net, seg.pipe, seg.length_m, cat.inner_dia_mm[seg.row], cat.hw_c[seg.row])
    diff = np.abs(sim.node_head - design_head)
    worst = int(np.argmax(diff)) if len(diff) else 0
    if len(diff) and diff[worst] > TOLERANCE_M:
        raise CheckFailed(f"scheme {net.scheme}: EPANET disagrees with the design by {diff[worst]:.3f} m at node "
                          f"{net.node_assets[worst]} (design head {design_head[worst]:.3f} m, EPANET "
                          f"{sim.node_head[worst]:.3f} m; tolerance {TOLERANCE_M} m); the design was not written")
    return sim

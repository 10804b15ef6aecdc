"""The design report: total cost and saving, the bill of quantities, a map, and the critical path's profile."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..report.html import Section, esc, figure_png, page, table_html
from .lp import hw_gradient

#: Earth cover over the pipe crown drawn in the profile (m); the design itself does not depend on it.
COVER_M = 1.0


def critical_node(result: Any) -> int:
    """The node with the least pressure to spare over the minimum."""
    return int(np.argmin(result.node_head - result.net.elevation - result.min_head_m))


def profile_data(result: Any, node: int) -> dict[str, list]:
    """Chainage (m), ground, HGL, pipe labels along the path from the source to *node*."""
    from .lp import Tree

    net, seg, cat = result.net, result.segments, result.catalogue
    tree = Tree(net)
    n_src = net.n_sources
    chain = []
    v = node + n_src
    while tree.parent_pipe[v] >= 0:
        chain.append((int(tree.parent_pipe[v]), int(tree.parent[v]), v))
        v = int(tree.parent[v])
    chain.reverse()
    ground_all, head_all = net.all_elevation(), np.concatenate([net.source_head, result.node_head])
    x, ground, hgl, labels = [0.0], [np.nan], [float(head_all[chain[0][1]]) if chain else np.nan], []
    names = [net.source_assets[int(tree.root[node + n_src])]]
    bounds = np.searchsorted(seg.pipe, np.arange(len(net.pipe_names) + 1))
    for k, u, v in chain:
        pieces = list(range(bounds[k], bounds[k + 1]))
        along_flow = (net.start[k] == u) == (result.flows_lps[k] >= 0)
        if not along_flow:
            pieces.reverse()
        done = 0.0
        for i in pieces:
            start_x = x[-1]
            grad = hw_gradient(result.flows_lps[k], cat.inner_dia_mm[seg.row[i]], cat.hw_c[seg.row[i]])
            sign = 1.0 if along_flow else -1.0
            done += seg.length_m[i]
            t = done / net.length_m[k]
            x.append(start_x + seg.length_m[i])
            ground.append(float((1 - t) * (ground_all[u] if u >= n_src else ground_all[v]) + t * ground_all[v]))
            hgl.append(hgl[-1] - sign * float(grad * seg.length_m[i]))
            labels.append((start_x, x[-1], f"{cat.nominal_dia_mm[seg.row[i]]:g}"))
        hgl[-1] = float(head_all[v])
        names.append(net.all_names[v] if v < n_src else net.node_assets[v - n_src])
    if len(ground) > 1:
        ground[0] = ground[1] if np.isnan(ground[0]) else ground[0]
    return {"x": x, "ground": ground, "hgl": hgl, "labels": labels, "names": names, "pipes": [k for k, _, _ in chain]}


def profile_figure(result: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    node = critical_node(result)
    d = profile_data(result, node)
    x, ground, hgl = np.array(d["x"]), np.array(d["ground"]), np.array(d["hgl"])
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.fill_between(x, ground, np.nanmin(ground) - 3, color="#e8dcc4", zorder=1)
    ax.plot(x, ground, color="#7b5e2f", lw=1.5, label="ground", zorder=2)
    ax.plot(x, ground - COVER_M, color="#555555", lw=2.5, label=f"pipe ({COVER_M:g} m cover)", zorder=3)
    ax.plot(x, ground + result.min_head_m, color="#e31a1c", lw=1.2, ls="--",
            label=f"minimum head (ground + {result.min_head_m:g} m)", zorder=4)
    ax.plot(x, hgl, color="#0b5394", lw=2, label="hydraulic grade line at the design peak", zorder=5)
    for a, b, text in d["labels"]:
        if b - a > 0.06 * (x[-1] - x[0] or 1):
            ax.text((a + b) / 2, np.interp((a + b) / 2, x, ground) - COVER_M - 0.8, f"{text} mm", ha="center",
                    va="top", fontsize=7, color="#333333")
    ax.set_xlabel("distance from the source along the critical path (m)")
    ax.set_ylabel("elevation / head (m above MSL)")
    ax.set_title(f"Critical path: {d['names'][0]} to {d['names'][-1]} "
                 f"({result.node_head[node] - result.net.elevation[node]:.2f} m pressure at the end)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def map_figure(result: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6.5))
    pipes = result.pipes
    dia = pipes["nominal_dia_mm"].to_numpy(dtype=float)
    sizes = sorted(set(dia))
    cmap = plt.get_cmap("viridis", max(len(sizes), 2))
    for i, size in enumerate(sizes):
        part = pipes[dia == size]
        part.plot(ax=ax, color=cmap(i), linewidth=0.8 + 2.5 * i / max(len(sizes) - 1, 1), label=f"{size:g} mm")
    node = critical_node(result)
    d = profile_data(result, node)
    for n, k in enumerate(d["pipes"]):
        gx, gy = result.net.geometry[k].xy
        ax.plot(gx, gy, color="#e31a1c", lw=1.2, ls="--", zorder=2.5, label="critical path" if n == 0 else None)
    nodes = result.nodes
    ax.scatter(nodes.geometry.x, nodes.geometry.y, s=10, color="#333333", zorder=3)
    xy = result.net.node_xy[node]
    ax.scatter([xy[0]], [xy[1]], s=80, marker="*", color="#e31a1c", zorder=4, label=f"critical node {d['names'][-1]}")
    src = result.net.source_xy
    ax.scatter(src[:, 0], src[:, 1], s=70, marker="s", color="#0b5394", zorder=4, label="source / tank")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="designed diameter")
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def report_html(result: Any) -> str:
    import matplotlib.pyplot as plt

    net = result.net
    pressure = result.node_head - net.elevation
    summary = [
        {"item": "scheme", "value": result.scheme},
        {"item": "pipes designed / segments", "value": f"{len(net.pipe_names)} / {len(result.pipes)}"},
        {"item": "total pipe length (m)", "value": f"{net.length_m.sum():,.0f}"},
        {"item": "design population / peak factor", "value": f"{net.population:,.0f} / {net.peak_factor:g}"},
        {"item": "peak design demand (l/s)", "value": f"{net.demand_lps.sum():.2f}"},
        {"item": "minimum head / velocity limit", "value": f"{result.min_head_m:g} m / {result.max_velocity_ms:g} m/s"},
        {"item": "least-cost design (Rs)", "value": f"{result.cost_inr:,.0f}"},
        {"item": "conventional hand method (Rs)", "value": f"{result.hand.cost_inr:,.0f}"},
        {"item": "saving", "value": f"Rs {result.saving_inr:,.0f} ({result.saving_percent:.1f} %)"},
        {"item": "lowest pressure at the peak (m)", "value": f"{pressure.min():.2f}"},
        {"item": "EPANET check: largest head difference (m)", "value": f"{result.check_max_diff_m:.4f}"},
        {"item": "LP solve time (s)", "value": f"{result.solve_seconds:.3f}"},
        {"item": "catalogue", "value": result.catalogue.path},
    ]
    body = table_html(summary, ["item", "value"])
    body += (f"<p>The conventional method starts every pipe at the smallest diameter within the velocity limit and "
             f"upsizes the steepest pipe on the way to the worst node until every node has "
             f"{result.min_head_m:g} m ({result.hand.upsizings} upsizings); the least-cost design is the exact optimum "
             "of the linear program (SciPy HiGHS) over the catalogue, a pipe may be made of two or more diameters in "
             "series. Flows: " + esc(net.flows_from) + ".</p>")
    for note in result.notes + net.warnings:
        body += f"<p class='sev-warning'>{esc(note)}</p>"
    body += "<p class='note'>Costs come from the catalogue; the shipped one is indicative: replace it with your state's " \
            "Schedule of Rates (--catalogue).</p>"
    sections = [Section("Design summary", body)]
    boq_rows = [dict(r) for r in result.boq.to_dict("records")]
    boq_rows.append({"material": "TOTAL", "length_m": float(result.boq["length_m"].sum()), "cost_inr": result.cost_inr})
    sections.append(Section("Bill of quantities", table_html(
        boq_rows, ["material", "pressure_class", "nominal_dia_mm", "length_m", "cost_inr"],
        {"nominal_dia_mm": "nominal diameter (mm)", "length_m": "length (m)", "cost_inr": "cost (Rs)"})))
    fig = map_figure(result)
    sections.append(Section("Map of the design", figure_png(fig, "designed pipe diameters")))
    plt.close(fig)
    fig = profile_figure(result)
    sections.append(Section("Longitudinal profile of the critical path", figure_png(fig, "critical path profile")))
    plt.close(fig)
    low = np.argsort(pressure)[:15]
    rows = [{"node": net.node_assets[i], "demand (l/s)": float(net.demand_lps[i]), "head (m)": float(result.node_head[i]),
             "pressure (m)": float(pressure[i]), "EPANET pressure (m)": float(result.check.node_head[i] - net.elevation[i])}
            for i in low]
    sections.append(Section("Nodes with the lowest pressure at the design peak (EPANET check)",
                            table_html(rows, list(rows[0]) if rows else [])))
    return page(f"Pipe design: scheme {result.scheme}", "least-cost pipe sizes to CPHEEO norms", sections)

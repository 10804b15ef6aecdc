"""Demo step: the sample scheme's hydraulic scenarios, styled in the QGIS project and in the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..report.html import Section, esc, figure_png, table_html

#: Scenarios the demo runs, in the order the summary shows them.
DEMO_SCENARIOS = ("peak_hour", "eps_24h", "design_year", "criticality", "pump_outage", "water_age", "chlorine")
#: (scenario, style of the map layer) shown in the QGIS project
PROJECT_LAYERS = (("criticality", "hydraulics_criticality"), ("chlorine", "hydraulics_chlorine"),
                  ("peak_hour", "hydraulics_findings"), ("peak_hour", "hydraulics_households"),
                  ("eps_24h", "hydraulics_nodes_steps"), ("eps_24h", "hydraulics_links_steps"),
                  ("peak_hour", "hydraulics_nodes"), ("peak_hour", "hydraulics_links"))


def run(ctx: Any) -> None:
    try:
        import wntr  # noqa: F401
    except ImportError as err:
        ctx.sections.append(Section("Hydraulics", f"<p class='note'>Not run: the Python package wntr is not "
                                                  f"installed ({esc(err)}).</p>"))
        return
    from ..registry import open_registry
    from ..samples import sample_path
    from .build import scheme_ids
    from .parallel import run_all
    from .results import map_layers
    from .scenarios import store_standard

    with open_registry(ctx.registry) as reg:
        schemes = scheme_ids(reg)
        if not schemes:
            ctx.sections.append(Section("Hydraulics", "<p class='note'>The registry has no scheme with pipes.</p>"))
            return
        scheme = schemes[0]
        store_standard(reg, scheme)
    out = ctx.out_dir / "hydraulics.gpkg"
    report = run_all(ctx.registry, schemes=[scheme], scenarios=list(DEMO_SCENARIOS), out=out,
                     dem=str(sample_path("dem.tif")), engine="serial", feedback=ctx.feedback, keep_results=True)
    results = {r.scenario: r for r in report.results}
    ctx.sections += sections(scheme, results, report.failures)
    if report.out:
        for scenario, style in PROJECT_LAYERS:
            if scenario not in results:
                continue
            for uri, name, qml in map_layers(report.out, scheme, scenario, results[scenario].kind):
                if Path(qml).stem == style:
                    ctx.project_layers.append((uri, name, qml))
        ctx.outputs.append(f"hydraulics: {len(report.results)} scenario run(s) of scheme {scheme} in "
                           f"{report.seconds:.1f} s; results in {report.out}")
    for failure in report.failures:
        ctx.outputs.append(f"hydraulics: {failure['scenario']} failed: {failure['error']}")


def sections(scheme: str, results: dict[str, Any], failures: list[dict[str, Any]]) -> list[Section]:
    """Scenario comparison, households without adequate pressure, criticality top 10, a pressure map."""
    out = []
    rows = [r.summary for r in results.values()]
    columns = ["scenario", "kind", "households", "households_inadequate", "demand_peak_lps", "pressure_min_m",
               "pressure_max_m", "velocity_max_ms", "errors", "warnings", "tanks_drained", "chlorine_min_mg_l",
               "age_max_h", "runs", "seconds"]
    headers = {"households_inadequate": "households without adequate pressure", "demand_peak_lps": "peak demand (l/s)",
               "pressure_min_m": "min pressure (m)", "pressure_max_m": "max pressure (m)",
               "velocity_max_ms": "max velocity (m/s)", "chlorine_min_mg_l": "min chlorine at taps (mg/l)",
               "age_max_h": "max water age (h)"}
    body = table_html(rows, columns, headers)
    if failures:
        body += "<p class='sev-error'>" + "<br>".join(esc(f"{f['scenario']}: {f['error']}") for f in failures) + "</p>"
    out.append(Section(f"Hydraulics: scenarios of scheme {scheme}", body))

    lines = []
    for name, r in results.items():
        hh = r.households
        if hh is None:
            continue
        bad = hh[hh["draws_water"] & ~hh["adequate"]]
        villages = ", ".join(f"{v} ({n})" for v, n in bad.groupby("village_id").size().items()) or "–"
        lines.append({"scenario": name, "households": int(len(bad)), "persons": float(bad["persons"].sum()),
                      "villages": villages})
    body = table_html(lines, ["scenario", "households", "persons", "villages"],
                      {"households": "households without adequate pressure", "villages": "by village"})
    out.append(Section("Hydraulics: households without adequate pressure", body))

    crit = results.get("criticality")
    if crit is not None and crit.criticality is not None:
        top = crit.criticality.head(10)
        rows = [{"rank": int(r.rank), "element": f"{r.element_type} {r.element_id}",
                 "valves": r.valves_to_close or "", "households": int(r.households_cut_off),
                 "persons": float(r.persons_cut_off)} for r in top.itertuples()]
        out.append(Section("Hydraulics: criticality ranking (top 10)",
                           table_html(rows, ["rank", "element", "valves", "households", "persons"],
                                      {"valves": "valves to close", "households": "households cut off"})))
    peak = results.get("peak_hour")
    if peak is not None:
        out.append(Section("Hydraulics: pressure at the peak hour", _pressure_map(peak)))
    return out


def _pressure_map(result: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6))
    links = result.links[result.links["link_type"] == "Pipe"]
    links.plot(ax=ax, color="#555555", linewidth=(links["diameter_mm"].fillna(63) / 60.0).clip(0.5, 3.5))
    nodes = result.nodes[result.nodes["node_type"] == "Junction"]
    values = pd.to_numeric(nodes["pressure_peak_m"], errors="coerce")
    art = ax.scatter(nodes.geometry.x, nodes.geometry.y, c=values, cmap="RdYlGn", vmin=0, vmax=25, s=30, zorder=3,
                     edgecolors="#333333", linewidths=0.3)
    fig.colorbar(art, ax=ax, label="pressure at the peak hour (m)")
    ax.set_axis_off()
    ax.set_aspect("equal")
    html = figure_png(fig, "pressure at the peak hour")
    plt.close(fig)
    return html

"""N-1 analyses: which households lose service when one element is out, ranked.

Criticality closes each pipe, and each segment the isolation valves can shut off, in
turn at the peak hour; pump and source outages take each pump or source out for an
extended period. A household loses service when its junction is cut off from every
source or its pressure falls below the norm, where it had service before. Elements are
ranked by the households (then persons) they cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import MultiLineString

from ..errors import InputError, JalnetError
from ..feedback import check_canceled
from .build import BuildReport
from .results import ScenarioResult, Series, summary_row
from .scenarios import RunContext, close_link, to_steady_peak
from .simulate import simulate
from .wntr_compat import require_wntr

COLUMNS = ["scheme_id", "scenario", "element_type", "element_id", "pipes", "valves_to_close", "junctions_cut_off",
           "households_cut_off", "persons_cut_off", "fhtc_ids", "solved", "message", "rank"]


@dataclass
class Served:
    """Who is served from which model node."""

    households: dict[str, int]
    persons: dict[str, float]
    taps: dict[str, list[str]]

    @classmethod
    def of(cls, report: BuildReport) -> Served:
        alloc = report.allocation
        if alloc is None or alloc.empty:
            return cls({}, {}, {})
        counted = alloc[alloc["counted"] & alloc["node"].notna()]
        groups = counted.groupby("node")
        return cls(groups.size().to_dict(), groups["persons"].sum().to_dict(),
                   {n: sorted(g["fhtc_id"].tolist()) for n, g in groups})

    def total(self, nodes: set[str]) -> tuple[int, float, list[str]]:
        hh = sum(self.households.get(n, 0) for n in nodes)
        persons = sum(self.persons.get(n, 0.0) for n in nodes)
        taps = sorted(t for n in nodes for t in self.taps.get(n, []))
        return hh, persons, taps


def _without_service(s: Series, wn: Any, threshold: float, extra: set[str] | None = None) -> set[str]:
    """Junctions cut off or below the pressure norm at any time they draw water."""
    service = s.service()
    low = np.where(service, np.nan_to_num(s.pressure, nan=-np.inf) < threshold, False) | (s.unfed & service)
    bad = {n for j, n in enumerate(s.nodes) if low[:, j].any() and wn.get_node(n).node_type == "Junction"}
    return bad | (extra or set())


def _row(ctx: RunContext, etype: str, eid: str, pipes: list[str], valves: list[str], lost: set[str],
         served: Served, geom: Any, solved: bool = True, message: str = "") -> dict[str, Any]:
    hh, persons, taps = served.total(lost)
    return {"scheme_id": ctx.data.scheme, "scenario": ctx.scenario.name, "element_type": etype, "element_id": eid,
            "pipes": ",".join(pipes), "valves_to_close": ",".join(valves), "junctions_cut_off": len(lost),
            "households_cut_off": hh, "persons_cut_off": persons, "fhtc_ids": ",".join(taps), "solved": solved,
            "message": message, "geometry": geom}


def _ranked(rows: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS[:-1] + ["geometry"])
    if len(frame):
        order = frame.sort_values(["households_cut_off", "persons_cut_off", "junctions_cut_off"],
                                  ascending=False, kind="stable")
        frame["rank"] = 0
        frame.loc[order.index, "rank"] = np.arange(1, len(frame) + 1)
        frame = frame.loc[order.index].reset_index(drop=True)
    else:
        frame["rank"] = pd.Series(dtype=int)
    frame = frame[COLUMNS + ["geometry"]]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


def _multi(geoms: list[Any]) -> MultiLineString:
    parts = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        parts += list(g.geoms) if hasattr(g, "geoms") else [g]
    return MultiLineString(parts)


def run_criticality(ctx: RunContext) -> ScenarioResult:
    wn, report = ctx.build()
    to_steady_peak(wn, report, ctx.number("peak_factor", None))
    base_run = simulate(wn, ctx.label, ctx.feedback)
    result = ctx.summarise(wn, report, base_run)
    threshold = ctx.norms.min_pressure_m
    base_bad = _without_service(Series.of(wn, base_run), wn, threshold)
    served = Served.of(report)
    elements = [e for e in str(ctx.p.get("elements", "pipes,segments")).replace(" ", "").split(",") if e]
    named = [e for e in elements if e not in ("pipes", "segments")]  # pipe IDs: only those pipes
    jobs: list[tuple[str, str, list[str], list[str], set[str]]] = []
    if "pipes" in elements or named:
        by_asset: dict[str, list[str]] = {}
        for name, (layer, asset) in report.link_assets.items():
            if layer == "pipes":
                by_asset.setdefault(asset, []).append(name)
        unknown = [e for e in named if e not in by_asset]
        if unknown:
            raise InputError(f"{ctx.label}: elements {', '.join(unknown[:5])}: not pipes of the model; give "
                             "'pipes', 'segments' or pipe IDs")
        jobs += [("pipe", asset, links, [], set()) for asset, links in by_asset.items()
                 if "pipes" in elements or asset in named]
    if "segments" in elements:
        jobs += _segment_jobs(wn, report)
    rows = []
    for k, (etype, eid, links, valves, inside) in enumerate(jobs):
        check_canceled(ctx.feedback)
        if ctx.feedback is not None:
            ctx.feedback.set_progress(100.0 * k / max(1, len(jobs)))
        pipes = sorted({report.link_assets[n][1] for n in links if report.link_assets.get(n, ("",))[0] == "pipes"})
        geom = _multi([report.link_geoms.get(n) for n in links])
        saved = {n: wn.get_link(n).initial_status for n in links}
        controls: list[tuple[str, Any]] = []
        demands = {n: [d.base_value for d in wn.get_node(n).demand_timeseries_list] for n in inside
                   if wn.get_node(n).node_type == "Junction"}
        try:
            for n in links:
                controls += close_link(wn, n)  # no control may open it again during the run
            for n in demands:
                for d in wn.get_node(n).demand_timeseries_list:
                    d.base_value = 0.0
            try:
                run = simulate(wn, f"{ctx.label}, {etype} {eid} closed", None)
            except JalnetError as err:
                rows.append(_row(ctx, etype, eid, pipes, valves, set(), served, geom, False, str(err)))
                continue
            lost = _without_service(Series.of(wn, run), wn, threshold, set(demands)) - base_bad
            rows.append(_row(ctx, etype, eid, pipes, valves, lost, served, geom))
        finally:
            for n, status in saved.items():
                wn.get_link(n).initial_status = status
            for cname, ctrl in controls:
                wn.add_control(cname, ctrl)
            for n, values in demands.items():
                for d, v in zip(wn.get_node(n).demand_timeseries_list, values):
                    d.base_value = v
    result.criticality = _ranked(rows, report.crs)
    result.summary = summary_row(result, None, report, ctx.norms, runs=1 + len(jobs))
    _criticality_summary(result)
    return result


def _segment_jobs(wn: Any, report: BuildReport) -> list[tuple[str, str, list[str], list[str], set[str]]]:
    """One job per segment the isolation valves can shut off: its links, its valves, its nodes."""
    layer = report.valve_layer
    if layer is None or layer.empty:
        return []
    wntr = require_wntr()
    valves = layer[["link", "node"]].reset_index(drop=True)
    node_seg, link_seg, _ = wntr.metrics.topographic.valve_segments(wn.to_graph(), valves)
    jobs = []
    for seg in sorted(set(link_seg.dropna().astype(int)) | set(node_seg.dropna().astype(int))):
        links = [str(n) for n, s in link_seg.items() if s == seg]
        nodes = {str(n) for n, s in node_seg.items() if s == seg}
        if not links or nodes & (set(wn.reservoir_name_list) | set(wn.tank_name_list)):
            continue  # a segment holding a source or tank is the source's outage, not a segment closure
        bounding = sorted(layer.loc[(layer["link"].isin(links)) | (layer["node"].isin(nodes)), "valve_id"].tolist())
        jobs.append(("segment", f"S{seg}", links, bounding, nodes))
    return jobs


def _criticality_summary(result: ScenarioResult) -> None:
    crit = result.criticality
    if crit is None or crit.empty:
        return
    top = crit.iloc[0]
    result.summary["most_critical"] = f"{top['element_type']} {top['element_id']}"
    result.summary["most_households_cut_off"] = int(top["households_cut_off"])


def run_outages(ctx: RunContext) -> ScenarioResult:
    """Each pump (or source) out for the whole period, in turn; the worst run gives the map layers."""
    wn, report = ctx.build()
    if wn.options.time.duration <= 0:
        wn.options.time.duration = 24 * 3600
    pumps = ctx.scenario.kind == "pump_outage"
    layer = "pumps" if pumps else "sources"
    names = [n for n, (lyr, _) in (report.link_assets if pumps else report.node_assets).items() if lyr == layer]
    wanted = ctx.p.get("elements")
    if wanted:
        wanted = [w.strip() for w in (wanted.split(",") if isinstance(wanted, str) else wanted)]
        assets = report.link_assets if pumps else report.node_assets
        names = [n for n in names if assets[n][1] in wanted]
    base_run = simulate(wn, ctx.label, ctx.feedback)
    threshold = ctx.norms.min_pressure_m
    base_bad = _without_service(Series.of(wn, base_run), wn, threshold)
    served = Served.of(report)
    baseline = ctx.summarise(wn, report, base_run)
    if not names:
        baseline.warnings.append(f"{ctx.label}: the scheme has no {layer} to take out of service")
        baseline.criticality = _ranked([], report.crs)
        return baseline
    rows, worst, worst_hh = [], baseline, -1
    for k, name in enumerate(names):
        check_canceled(ctx.feedback)
        if ctx.feedback is not None:
            ctx.feedback.set_progress(100.0 * k / len(names))
        wn_k, report_k = ctx.build()
        if wn_k.options.time.duration <= 0:
            wn_k.options.time.duration = 24 * 3600
        links = [name] if pumps else [n for n, link in wn_k.links()
                                      if name in (link.start_node_name, link.end_node_name)]
        for n in links:
            close_link(wn_k, n)
        eid = (report.link_assets if pumps else report.node_assets)[name][1]
        geom = _multi([report.link_geoms.get(n) for n in links]) if pumps else _point_as_lines(report, name)
        try:
            run = simulate(wn_k, f"{ctx.label}, {layer[:-1]} {eid} out", None)
        except JalnetError as err:
            rows.append(_row(ctx, layer[:-1], eid, [], [], set(), served, geom, False, str(err)))
            continue
        lost = _without_service(Series.of(wn_k, run), wn_k, threshold) - base_bad
        rows.append(_row(ctx, layer[:-1], eid, [], [], lost, served, geom))
        hh = served.total(lost)[0]
        if hh > worst_hh:
            worst, worst_hh = ctx.summarise(wn_k, report_k, run), hh
    worst.criticality = _ranked(rows, report.crs)
    worst.summary = summary_row(worst, None, report, ctx.norms, runs=1 + len(names))
    _criticality_summary(worst)
    return worst


def _point_as_lines(report: BuildReport, node: str) -> MultiLineString:
    """A tiny cross at a node, so source outages sit in the same line layer as pipes."""
    x, y = report.node_xy.get(node, (0.0, 0.0))
    d = 5.0
    return MultiLineString([[(x - d, y), (x + d, y)], [(x, y - d), (x, y + d)]])


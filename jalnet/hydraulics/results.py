"""Simulation results as map layers: nodes and links, per time step, findings, households.

``nodes``/``links`` carry the minimum, maximum and peak-hour values of a run (the peak hour
is the step with the largest total demand) and, for an extended run, every reported step as
one series per feature (comma-separated, with the run's start, end and step as
datetime/number fields): QGIS's temporal controller animates them through the "over time"
styles in ``jalnet/styles``, on a second map layer of the same table. One row per feature,
in the table the peak values are in, keeps writing fast for large models.
Pressures at nodes that no source reaches are blank, never a number: EPANET's value
there is meaningless.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiLineString, Point

from ..errors import InputError
from ..gcpause import paused_gc
from ..outputs import gpkg_output, staged_write, write_gpkg_layer
from ..pandas_text import python_strings
from .build import BuildReport
from .norms import RULES, Norms
from .series_text import series_arrays
from .simulate import Run

LAYER_ORDER = ("nodes", "links", "findings", "households", "criticality", "comparison", "failures")


@dataclass
class ScenarioResult:
    scheme: str
    scenario: str
    kind: str
    nodes: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    findings: gpd.GeoDataFrame
    summary: dict[str, Any]
    households: gpd.GeoDataFrame | None = None
    criticality: gpd.GeoDataFrame | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Series:
    """A run's results as arrays (time x element), units for people: m, l/s, m/s, h, mg/l."""

    times: np.ndarray
    nodes: list[str]
    links: list[str]
    pressure: np.ndarray
    head: np.ndarray
    demand: np.ndarray
    flow: np.ndarray
    velocity: np.ndarray
    headloss: np.ndarray
    status: np.ndarray
    unfed: np.ndarray
    quality: np.ndarray | None = None
    #: per node, whether it is a junction (what consumers draw from; tanks filling are no demand)
    junction: np.ndarray | None = None

    @classmethod
    def of(cls, wn: Any, run: Run, quality: str | None = None) -> Series:
        r = run.results
        nodes = list(r.node["pressure"].columns)
        links = list(r.link["flowrate"].columns)
        unfed = run.unfed[nodes].to_numpy() if run.unfed is not None else np.zeros((len(run.times), len(nodes)), bool)
        pressure = r.node["pressure"].to_numpy(dtype=float).copy()
        head = r.node["head"].to_numpy(dtype=float).copy()
        demand = r.node["demand"].to_numpy(dtype=float) * 1000.0
        pressure[unfed] = np.nan
        head[unfed] = np.nan
        headloss = r.link["headloss"].to_numpy(dtype=float).copy()
        pipes = np.array([wn.get_link(n).link_type == "Pipe" for n in links])
        headloss[:, pipes] *= 1000.0  # m/m -> m/km
        q = None
        if quality == "AGE":
            q = r.node["quality"].to_numpy(dtype=float) / 3600.0
        elif quality == "CHEMICAL":
            q = r.node["quality"].to_numpy(dtype=float) * 1000.0
        if q is not None:
            q[unfed] = np.nan
        junction = np.array([wn.get_node(n).node_type == "Junction" for n in nodes], dtype=bool)
        return cls(run.times, nodes, links, pressure, head, demand, r.link["flowrate"].to_numpy(dtype=float) * 1000.0,
                   r.link["velocity"].to_numpy(dtype=float), headloss, r.link["status"].to_numpy(), unfed, q, junction)

    @property
    def peak(self) -> int:
        """Index of the reported step with the largest total junction demand (the peak hour)."""
        if not len(self.times):
            return 0
        drawn = np.where(self.demand > 0, self.demand, 0)
        if self.junction is not None:
            drawn = drawn[:, self.junction]
        return int(np.argmax(np.nansum(drawn, axis=1)))

    def service(self) -> np.ndarray:
        """Per node, the times it draws water (all times for nodes that never do)."""
        drawing = self.demand > 1e-9
        never = ~drawing.any(axis=0)
        return drawing | never[None, :]


def _nanmin(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.where(mask, values, np.nan)
    with np.errstate(all="ignore"):
        return np.where(np.isnan(out).all(axis=0), np.nan, np.nanmin(np.where(np.isnan(out), np.inf, out), axis=0))


def _nanmax(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.where(mask, values, np.nan)
    with np.errstate(all="ignore"):
        return np.where(np.isnan(out).all(axis=0), np.nan, np.nanmax(np.where(np.isnan(out), -np.inf, out), axis=0))


def quality_window(times: np.ndarray, hours: float = 24.0) -> np.ndarray:
    """Steps in the last *hours* of a run (quality takes a while to settle from its initial values)."""
    if len(times) == 0:
        return np.zeros(0, bool)
    return times >= times[-1] - hours * 3600 + 1e-6 if times[-1] > 0 else np.ones(len(times), bool)


def node_table(wn: Any, report: BuildReport, s: Series, scheme: str, scenario: str, quality: str | None
               ) -> gpd.GeoDataFrame:
    k = s.peak
    service = s.service()
    connected = ~s.unfed
    households = _households_per_node(report)
    objs = [wn.get_node(n) for n in s.nodes]
    rows = {
        "scheme_id": scheme, "scenario": scenario,
        "node_id": [report.node_assets.get(n, ("", n))[1] for n in s.nodes],
        "layer": [report.node_assets.get(n, ("", ""))[0] for n in s.nodes],
        "model_id": s.nodes,
        "node_type": [o.node_type for o in objs],
        "elevation_m": [np.nan if o.node_type == "Reservoir" else float(o.elevation) for o in objs],
        "households": [int(households.get(n, 0)) for n in s.nodes],
        "demand_peak_lps": s.demand[k] if len(s.times) else np.nan,
        "pressure_peak_m": s.pressure[k] if len(s.times) else np.nan,
        "head_peak_m": s.head[k] if len(s.times) else np.nan,
        "pressure_min_m": _nanmin(s.pressure, service & connected),
        "pressure_max_m": _nanmax(s.pressure, connected),
        "cut_off_steps": s.unfed.sum(axis=0).astype(int),
    }
    if s.quality is not None:
        window = quality_window(s.times)[:, None] & service & connected
        if quality == "AGE":
            rows["age_max_h"] = _nanmax(s.quality, window)
            rows["age_mean_h"] = _nanmean(s.quality, window)
        else:
            rows["chlorine_min_mg_l"] = _nanmin(s.quality, window)
            rows["chlorine_mean_mg_l"] = _nanmean(s.quality, window)
    xy = np.array([report.node_xy.get(n, (np.nan, np.nan)) for n in s.nodes], dtype=float).reshape(-1, 2)
    geoms = shapely.points(xy)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=report.crs)


def _nanmean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.where(mask, values, np.nan)
    count = (~np.isnan(out)).sum(axis=0)
    total = np.nansum(out, axis=0)
    with np.errstate(all="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def link_table(wn: Any, report: BuildReport, s: Series, scheme: str, scenario: str) -> gpd.GeoDataFrame:
    k = s.peak
    any_t = np.ones_like(s.velocity, dtype=bool)
    objs = [wn.get_link(n) for n in s.links]
    rows = {
        "scheme_id": scheme, "scenario": scenario,
        "link_id": [report.link_assets.get(n, ("", n))[1] for n in s.links],
        "layer": [report.link_assets.get(n, ("", ""))[0] for n in s.links],
        "model_id": s.links,
        "link_type": [o.link_type for o in objs],
        "diameter_mm": [np.nan if o.link_type == "Pump" else float(o.diameter) * 1000.0 for o in objs],
        "length_m": [float(o.length) if o.link_type == "Pipe" else np.nan for o in objs],
        "flow_peak_lps": s.flow[k] if len(s.times) else np.nan,
        "velocity_peak_ms": np.abs(s.velocity[k]) if len(s.times) else np.nan,
        "headloss_peak": s.headloss[k] if len(s.times) else np.nan,
        "flow_max_lps": _nanmax(np.abs(s.flow), any_t),
        "velocity_max_ms": _nanmax(np.abs(s.velocity), any_t),
        "open_peak": (s.status[k] != 0) if len(s.times) else False,
    }
    geoms = [report.link_geoms.get(n) for n in s.links]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=report.crs)


def _households_per_node(report: BuildReport) -> dict[str, int]:
    alloc = report.allocation
    if alloc is None or alloc.empty:
        return {}
    counted = alloc[alloc["counted"] & alloc["node"].notna()]
    return counted.groupby("node").size().to_dict()


def series_columns(s: Series) -> dict[str, tuple[np.ndarray, int]]:
    """The per-step series of a run and the decimals each is written with."""
    columns = {"pressure_s": (s.pressure, 2), "head_s": (s.head, 2), "demand_s": (s.demand, 3),
               "flow_s": (s.flow, 3), "velocity_s": (np.abs(s.velocity), 3), "headloss_s": (s.headloss, 3)}
    if s.quality is not None:
        columns["quality_s"] = (s.quality, 3)
    return columns


def add_series(s: Series, nodes: gpd.GeoDataFrame, links: gpd.GeoDataFrame, start: pd.Timestamp,
               texts: dict[str, Any]) -> None:
    """Every step's values as series columns of the nodes and links tables, with the run's
    start, end and step (what the temporal controller needs)."""
    step = float(s.times[1] - s.times[0]) if len(s.times) > 1 else 3600.0
    t0 = start + pd.to_timedelta(float(s.times[0]), unit="s")
    t1 = start + pd.to_timedelta(float(s.times[-1]) + step, unit="s")
    for table, series in ((nodes, ("pressure_s", "head_s", "demand_s", "quality_s")),
                          (links, ("flow_s", "velocity_s", "headloss_s"))):
        n = len(table)
        table["t_start"], table["t_end"] = np.full(n, t0.to_datetime64()), np.full(n, t1.to_datetime64())
        table["step_s"], table["steps"] = np.full(n, step), np.full(n, len(s.times))
        for c in series:
            if c in texts:
                table[c] = texts[c]


def findings(wn: Any, report: BuildReport, s: Series, nodes: gpd.GeoDataFrame, links: gpd.GeoDataFrame,
             norms: Norms, scheme: str, scenario: str, start: pd.Timestamp, extended: bool) -> gpd.GeoDataFrame:
    rows: list[tuple[Any, ...]] = []
    service = s.service()
    offsets = np.rint(np.asarray(s.times, dtype=float) * 1000).astype(np.int64).astype("timedelta64[ms]")
    moments = (np.datetime64(start.to_datetime64(), "ms") + offsets).tolist()

    def add(rule: str, layer: str, asset: str, value: float | None, limit: float | None, step: int | None,
            message: str, geom: Any, households: int = 0) -> None:
        when = None if step is None or not extended else moments[step]
        rows.append((rule, RULES[rule][0], layer, asset, value, limit, when, households, message, geom))

    geoms = np.asarray(nodes.geometry.values).tolist()
    hh_all = nodes["households"].to_numpy()
    layers = nodes["layer"].tolist()
    assets = nodes["node_id"].tolist()
    types = nodes["node_type"].tolist()
    served = hh_all > 0 if report.allocation is not None else np.nan_to_num(nodes["demand_peak_lps"].to_numpy()) > 0
    p_service = np.where(service, s.pressure, np.nan)
    has_p = ~np.isnan(p_service).all(axis=0) if len(s.times) else np.zeros(len(s.nodes), bool)
    low_k = np.zeros(len(s.nodes), int)
    low_k[has_p] = np.nanargmin(p_service[:, has_p], axis=0)
    low_p = np.where(has_p, p_service[low_k, np.arange(len(s.nodes))], np.nan)
    cut = s.unfed & service
    cut_any, cut_first = cut.any(axis=0), np.argmax(cut, axis=0)
    chlorine = nodes["chlorine_min_mg_l"].to_numpy() if "chlorine_min_mg_l" in nodes.columns else None
    age = nodes["age_max_h"].to_numpy() if "age_max_h" in nodes.columns else None
    for j in range(len(s.nodes)):
        layer, asset, geom, hh = layers[j], assets[j], geoms[j], int(hh_all[j])
        if types[j] == "Junction" and layer == "junctions":
            if cut_any[j]:
                add("disconnected", layer, asset, None, None, int(cut_first[j]),
                    f"junction {asset} is cut off from every source{' (' + str(hh) + ' households)' if hh else ''}",
                    geom, hh)
                continue
            if not has_p[j]:
                continue
            low, k = float(low_p[j]), int(low_k[j])
            if low < 0:
                add("negative_pressure", layer, asset, low, 0.0, k, f"pressure {low:.1f} m at junction {asset}", geom,
                    hh)
            elif low < norms.min_pressure_m:
                add("low_pressure", layer, asset, low, norms.min_pressure_m, k,
                    f"pressure {low:.1f} m at junction {asset} (norm {norms.min_pressure_m:g} m)"
                    f"{', ' + str(hh) + ' households' if hh else ''}", geom, hh)
            if chlorine is not None and served[j] and chlorine[j] == chlorine[j] and chlorine[j] < norms.min_chlorine_mg_l:
                add("low_chlorine", layer, asset, float(chlorine[j]), norms.min_chlorine_mg_l, None,
                    f"residual chlorine {chlorine[j]:.2f} mg/l at junction {asset}"
                    f"{' (' + str(hh) + ' households)' if hh else ''}", geom, hh)
            if age is not None and age[j] == age[j] and age[j] > norms.max_water_age_h:
                add("high_water_age", layer, asset, float(age[j]), norms.max_water_age_h, None,
                    f"water age up to {age[j]:.0f} h at junction {asset}", geom, hh)
        elif types[j] == "Tank" and extended and len(s.times) > 1:
            node = wn.get_node(s.nodes[j])
            level = s.head[:, j] - node.elevation
            low = np.flatnonzero(level <= node.min_level + norms.tank_empty_margin_m)
            if len(low):
                k = int(low[0])
                add("tank_drains", layer, asset, float(level[k]), float(node.min_level), k,
                    f"tank {asset} runs dry at {_clock(s.times[k])}", geom)
            elif s.times[-1] >= 24 * 3600 and level[-1] < node.init_level - 0.1 * (node.max_level - node.min_level):
                add("tank_not_refilled", layer, asset, float(level[-1]), float(node.init_level), len(s.times) - 1,
                    f"tank {asset} ends at {level[-1]:.2f} m, below its start {node.init_level:.2f} m", geom)
    k = s.peak
    pipes = np.flatnonzero((links["link_type"] == "Pipe").to_numpy())
    vmax = links["velocity_max_ms"].to_numpy()
    vpeak = np.abs(s.velocity[k]) if len(s.times) else np.full(len(s.links), np.nan)
    is_open = s.status[k] != 0 if len(s.times) else np.zeros(len(s.links), bool)
    with np.errstate(invalid="ignore"):  # NaN (no value) is never outside a norm
        fast = pipes[vmax[pipes] > norms.max_velocity_ms]
        slow = pipes[(vpeak[pipes] < norms.min_velocity_ms) & is_open[pipes]]
    lassets = links["link_id"].tolist()
    llayers = links["layer"].tolist()
    flagged = np.concatenate([fast, slow])
    mid = dict(zip(flagged.tolist(), _midpoints(np.asarray(links.geometry.values)[flagged])))
    for i, v in zip(fast.tolist(), vmax[fast].tolist()):
        t = int(np.nanargmax(np.abs(s.velocity[:, i])))
        add("high_velocity", llayers[i], lassets[i], v, norms.max_velocity_ms, t,
            f"velocity {v:.2f} m/s in pipe {lassets[i]}", mid[i])
    for i, v in zip(slow.tolist(), vpeak[slow].tolist()):
        add("low_velocity", llayers[i], lassets[i], v, norms.min_velocity_ms, k,
            f"velocity {v:.2f} m/s in pipe {lassets[i]} at the peak hour", mid[i])
    columns = ["rule", "severity", "layer", "asset_id", "value", "limit", "time", "households", "message", "geometry"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame.insert(0, "scenario", scenario)
    frame.insert(0, "scheme_id", scheme)
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ms]")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=report.crs)


def _midpoints(lines: np.ndarray) -> list[Any]:
    """Half-way points of lines (an empty point for a missing or empty line), in one call."""
    present = ~shapely.is_missing(lines) & ~shapely.is_empty(lines)
    out = np.array([Point()] * len(lines), dtype=object)
    out[present] = shapely.line_interpolate_point(lines[present], 0.5, normalized=True)
    return out.tolist()


def _clock(seconds: float) -> str:
    h = int(seconds // 3600)
    m = int(round((seconds - h * 3600) / 60))
    return f"{h}:{m:02d} h"


def household_table(report: BuildReport, nodes: gpd.GeoDataFrame, norms: Norms, scheme: str, scenario: str
                    ) -> gpd.GeoDataFrame | None:
    """Every tap with the pressure at its junction and whether service is adequate."""
    alloc = report.allocation
    if alloc is None or alloc.empty:
        return None
    by_node = nodes.set_index("model_id")
    node = alloc["node"]
    known = node.isin(by_node.index)
    pmin = pd.Series(np.nan, index=alloc.index)
    ppeak = pd.Series(np.nan, index=alloc.index)
    cut = pd.Series(True, index=alloc.index)
    pmin[known] = by_node.loc[node[known], "pressure_min_m"].to_numpy()
    ppeak[known] = by_node.loc[node[known], "pressure_peak_m"].to_numpy()
    cut[known] = by_node.loc[node[known], "cut_off_steps"].to_numpy() > 0
    adequate = (~cut) & (pmin >= norms.min_pressure_m)
    frame = pd.DataFrame({
        "scheme_id": scheme, "scenario": scenario, "fhtc_id": alloc["fhtc_id"].to_numpy(),
        "village_id": alloc["village_id"].to_numpy(), "persons": alloc["persons"].to_numpy(),
        "draws_water": alloc["counted"].to_numpy(), "node_id": node.to_numpy(),
        "distance_m": alloc["distance_m"].to_numpy(), "pressure_peak_m": ppeak.to_numpy(),
        "pressure_min_m": pmin.to_numpy(), "cut_off": cut.to_numpy(), "adequate": adequate.to_numpy(),
    })
    node_ids = {n: report.node_assets.get(n, ("", n))[1] for n in frame["node_id"].dropna().unique()}
    frame["node_id"] = frame["node_id"].map(node_ids)
    if "chlorine_min_mg_l" in nodes.columns:
        frame["chlorine_min_mg_l"] = np.nan
        frame.loc[known.to_numpy(), "chlorine_min_mg_l"] = by_node.loc[node[known], "chlorine_min_mg_l"].to_numpy()
        frame["chlorine_ok"] = frame["chlorine_min_mg_l"] >= norms.min_chlorine_mg_l
    return gpd.GeoDataFrame(frame, geometry=alloc.geometry.to_numpy(), crs=report.crs)


def summarise(wn: Any, report: BuildReport, run: Run, scheme: str, scenario: str, kind: str, norms: Norms,
              start: pd.Timestamp, quality: str | None = None, steps: bool = True) -> ScenarioResult:
    """Every output layer of one run."""
    with paused_gc(), python_strings():
        return _summarise(wn, report, run, scheme, scenario, kind, norms, start, quality, steps)


def _summarise(wn: Any, report: BuildReport, run: Run, scheme: str, scenario: str, kind: str, norms: Norms,
               start: pd.Timestamp, quality: str | None, steps: bool) -> ScenarioResult:
    s = Series.of(wn, run, quality)
    extended = len(s.times) > 1
    nodes = node_table(wn, report, s, scheme, scenario, quality)
    links = link_table(wn, report, s, scheme, scenario)
    found = findings(wn, report, s, nodes, links, norms, scheme, scenario, start, extended)
    households = household_table(report, nodes, norms, scheme, scenario)
    result = ScenarioResult(scheme, scenario, kind, nodes, links, found, {}, households=households,
                            warnings=list(run.warnings))
    if steps and extended:
        add_series(s, nodes, links, start, series_arrays(series_columns(s)))
    result.summary = summary_row(result, s, report, norms, runs=1, start=start)
    return result


def summary_row(result: ScenarioResult, s: Series | None, report: BuildReport, norms: Norms, runs: int,
                start: pd.Timestamp | None = None) -> dict[str, Any]:
    """The scenario's line in the comparison table (with *s* and *start*: when the peak hour is)."""
    nodes, links, found = result.nodes, result.links, result.findings
    junctions = nodes[(nodes["node_type"] == "Junction") & (nodes["layer"] == "junctions")]
    pipes = links[links["link_type"] == "Pipe"]
    hh = result.households
    row = {
        "scheme_id": result.scheme, "scenario": result.scenario, "kind": result.kind, "runs": runs,
        "junctions": len(junctions),
        "households": int(hh["draws_water"].sum()) if hh is not None else None,
        "households_inadequate": int((hh["draws_water"] & ~hh["adequate"]).sum()) if hh is not None else None,
        "demand_peak_lps": float(np.nansum(np.clip(junctions["demand_peak_lps"], 0, None))),
        "peak_at": (start + pd.to_timedelta(float(s.times[s.peak]), unit="s")) if s is not None and start is not None
        and len(s.times) else None,
        "pressure_min_m": _finite(junctions["pressure_min_m"].min()),
        "pressure_max_m": _finite(junctions["pressure_max_m"].max()),
        "junctions_below_norm": int((junctions["pressure_min_m"] < norms.min_pressure_m).sum()),
        "junctions_cut_off": int((junctions["cut_off_steps"] > 0).sum()),
        "velocity_max_ms": _finite(pipes["velocity_max_ms"].max()),
        "errors": int((found["severity"] == "error").sum()),
        "warnings": int((found["severity"] == "warning").sum()),
        "infos": int((found["severity"] == "info").sum()),
        "tanks_drained": int((found["rule"] == "tank_drains").sum()),
    }
    if "chlorine_min_mg_l" in nodes.columns:
        served = junctions["households"] > 0 if hh is not None else junctions["demand_peak_lps"] > 0
        row["chlorine_min_mg_l"] = _finite(junctions.loc[served, "chlorine_min_mg_l"].min())
    if "age_max_h" in nodes.columns:
        row["age_max_h"] = _finite(junctions["age_max_h"].max())
    return row


def _finite(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


# ---------------------------------------------------------------------------------------
#: results layer -> ScenarioResult attribute
_RUN_LAYERS = {"nodes": "nodes", "links": "links", "findings": "findings", "households": "households",
               "criticality": "criticality"}


def layers_of(results: list[ScenarioResult]) -> dict[str, pd.DataFrame]:
    """The map layers of many runs, one frame per layer (without the comparison table)."""
    out: dict[str, pd.DataFrame] = {}
    for name, attr in _RUN_LAYERS.items():
        frames = [getattr(r, attr) for r in results if getattr(r, attr) is not None and len(getattr(r, attr))]
        if frames:
            out[name] = pd.concat(frames, ignore_index=True)
    return out


def merge_layers(parts: list[dict[str, pd.DataFrame]], summaries: list[dict[str, Any]],
                 failures: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Layers of several batches of runs as one frame per output layer, with the comparison and failures tables."""
    out: dict[str, pd.DataFrame] = {}
    for name in _RUN_LAYERS:
        frames = [p[name] for p in parts if name in p]
        if frames:
            out[name] = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if summaries:
        out["comparison"] = pd.DataFrame(summaries)
    if failures:
        out["failures"] = pd.DataFrame(failures, columns=["scheme_id", "scenario", "error"])
    return out


def combine(results: list[ScenarioResult], failures: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Results of many runs as one frame per output layer."""
    return merge_layers([layers_of(results)], [r.summary for r in results], failures)


def write_results(layers: dict[str, pd.DataFrame], path: str | os.PathLike) -> str:
    """Write the layers to a GeoPackage in one go (a temporary file renamed at the end)."""
    path = gpkg_output(path, "results file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        with staged_write():
            for name in LAYER_ORDER:
                frame = layers.get(name)
                if frame is None or len(frame) == 0:
                    continue
                if isinstance(frame, gpd.GeoDataFrame):
                    if name == "criticality":
                        frame = frame.copy()
                        frame["geometry"] = [g if g is None or isinstance(g, MultiLineString) else MultiLineString([g])
                                             for g in frame.geometry]
                        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=layers[name].crs)
                    write_gpkg_layer(_utc(frame), tmp, name, geometry_type=_geometry_type(frame))
                else:
                    write_gpkg_layer(_utc(pd.DataFrame(frame)), tmp, name)
        if not tmp.exists():
            raise InputError("no results to write")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return str(path)


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Date-times marked UTC, as the GeoPackage format wants them (the model's clock, unshifted)."""
    columns = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c]) and
               getattr(frame[c].dt, "tz", None) is None]
    if not columns:
        return frame
    frame = frame.copy()
    for c in columns:
        frame[c] = frame[c].dt.tz_localize("UTC")
    return frame


def _geometry_type(frame: gpd.GeoDataFrame) -> str:
    types = set(shapely.get_type_id(frame.geometry.values[~shapely.is_missing(frame.geometry.values)]))
    names = {shapely.GeometryType(t).name for t in types}
    if names <= {"POINT"}:
        return "Point"
    if names <= {"LINESTRING"}:
        return "LineString"
    if names <= {"MULTILINESTRING"}:
        return "MultiLineString"
    return "Unknown"


# ---------------------------------------------------------------------------------------
STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"
#: results layer, display name, style, whether it needs the run's series (an extended run); per
#: scenario kind the nodes layer shows what the kind is about
_MAP_LAYERS = (
    ("criticality", "Criticality: households cut off", "hydraulics_criticality", False),
    ("findings", "Findings against the norms", "hydraulics_findings", False),
    ("households", "Households: service pressure", "hydraulics_households", False),
    ("nodes", "Pressure at the peak hour (m)", "hydraulics_nodes", False),
    ("nodes", "Pressure over time (m)", "hydraulics_nodes_steps", True),
    ("links", "Velocity at the peak hour (m/s)", "hydraulics_links", False),
    ("links", "Velocity over time (m/s)", "hydraulics_links_steps", True),
)
_NODES_BY_KIND = {"chlorine": ("Residual chlorine, lowest of the last day (mg/l)", "hydraulics_chlorine"),
                  "water_age": ("Water age, oldest of the last day (h)", "hydraulics_age")}


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def map_layers(path: str | os.PathLike, scheme: str, scenario: str, kind: str | None = None
               ) -> list[tuple[str, str, str]]:
    """(OGR URI filtered to one scheme and scenario, display name, QML path) of the layers a run wrote."""
    path = str(path)
    present = {name for name, _ in pyogrio.list_layers(path)}
    where = f"\"scheme_id\" = {_quote(scheme)} AND \"scenario\" = {_quote(scenario)}"
    out = []
    for name, title, style, series in _MAP_LAYERS:
        if name not in present:
            continue
        if series and "steps" not in pyogrio.read_info(path, layer=name)["fields"]:
            continue
        test = f"{where} AND \"steps\" IS NOT NULL" if series else where
        if pyogrio.read_dataframe(path, layer=name, columns=["scenario"], read_geometry=False, where=test,
                                  max_features=1).empty:
            continue
        if name == "nodes" and not series and kind in _NODES_BY_KIND:
            title, style = _NODES_BY_KIND[kind]
        out.append((f"{path}|layername={name}|subset={where}", f"{title} [{scenario}]", str(STYLES_DIR / f"{style}.qml")))
    return out

"""Hydraulic runs kept in the registry (``hyd_runs``, ``hyd_run_nodes``, ``hyd_run_links``, schema v4).

Every scenario run of a scheme is stored as one row of ``hyd_runs`` (the run ID is the
row's number in the registry, given inside the write transaction) with, per junction and
per pipe, only what the service norms are checked on: lowest and peak-hour pressure,
highest and peak-hour velocity. The full layers stay in the results GeoPackage. Data
health reads the last stored run of each scheme back (:func:`latest_runs`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from ..registry import Registry
from ..topology.ids import next_ids
from .scenarios import resolve, stored_scenarios

RUNS, NODES, LINKS = "hyd_runs", "hyd_run_nodes", "hyd_run_links"
#: Schema version that has the run tables.
SINCE = 4
#: Scenario kinds that show the scheme as it serves today; design-year demand and outages
#: are what-ifs, so data health does not hold them against the scheme.
SERVICE_KINDS = ("peak_hour", "eps", "criticality", "water_age", "chlorine")


def now() -> str:
    """The time a run is stored with (UTC)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def has_runs(reg: Registry) -> bool:
    """The registry's schema has the run tables (an older one opened read-only does not)."""
    return reg.schema_version >= SINCE


def engine_text(engine: str, workers: int) -> str:
    from .wntr_compat import require_wntr

    return f"WNTR {require_wntr().__version__} EpanetSimulator; {engine}, {workers} worker(s)"


def store_runs(reg: Registry, layers: dict[str, pd.DataFrame], summaries: list[dict[str, Any]], started: str,
               engine: str, settings: dict[str, Any]) -> list[str]:
    """Store each run of *summaries* (one per scheme and scenario) with its junction and pipe values; one batch.

    *layers* are the runs' ``nodes`` and ``links`` tables as the results GeoPackage gets them;
    *settings* what the whole call was given (model parameters, DEM, norms, start). Returns the run IDs.
    """
    if not summaries:
        return []
    schemes = sorted({str(s["scheme_id"]) for s in summaries})
    stored = stored_scenarios(reg, schemes)
    nodes = _compact_nodes(layers.get("nodes"))
    links = _compact_links(layers.get("links"))
    with reg.batch("hydraulics run", f"{len(summaries)} hydraulic run(s) of {len(schemes)} scheme(s)") as batch:
        ids = reg.allocate_keys(RUNS, "RUN-", 4, len(summaries)) or next_ids(
            reg.read(RUNS)["run_id"], len(summaries), "RUN-")
        runs = []
        for run_id, s in zip(ids, summaries):
            scheme, scenario = str(s["scheme_id"]), str(s["scenario"])
            params = resolve(scheme, scenario, stored[scheme]).parameters
            runs.append({"run_id": run_id, "scheme_id": scheme, "scenario": scenario,
                         "kind": s.get("kind"), "started": started, "engine": engine, "run_by": batch.user,
                         "settings": json.dumps({"parameters": params, **settings}, sort_keys=True, default=str),
                         "junctions": s.get("junctions"), "pressure_min_m": s.get("pressure_min_m"),
                         "velocity_max_ms": s.get("velocity_max_ms")})
        batch.insert(RUNS, runs)
        which = {(str(s["scheme_id"]), str(s["scenario"])): run_id for run_id, s in zip(ids, summaries)}
        for layer, table in ((NODES, nodes), (LINKS, links)):
            rows = _with_run(table, which)
            if len(rows):
                batch.insert(layer, rows)
    return ids


def _compact_nodes(nodes: pd.DataFrame | None) -> pd.DataFrame:
    """Junctions of the registry (not tanks, sources or model-only nodes) and their pressures."""
    if nodes is None or not len(nodes):
        return pd.DataFrame(columns=["scheme_id", "scenario", "asset_id"])
    keep = ((nodes["node_type"] == "Junction") & (nodes["layer"] == "junctions")).to_numpy()
    n = nodes.loc[keep]
    return pd.DataFrame({"scheme_id": n["scheme_id"].astype(str).to_numpy(), "scenario": n["scenario"].to_numpy(),
                         "asset_id": n["node_id"].astype(str).to_numpy(),
                         "pressure_min_m": _rounded(n["pressure_min_m"]), "pressure_peak_m": _rounded(n["pressure_peak_m"]),
                         "cut_off": (n["cut_off_steps"].to_numpy() > 0)})


def _compact_links(links: pd.DataFrame | None) -> pd.DataFrame:
    """Pipes of the registry and their velocities."""
    if links is None or not len(links):
        return pd.DataFrame(columns=["scheme_id", "scenario", "asset_id"])
    keep = ((links["link_type"] == "Pipe") & (links["layer"] == "pipes")).to_numpy()
    n = links.loc[keep]
    return pd.DataFrame({"scheme_id": n["scheme_id"].astype(str).to_numpy(), "scenario": n["scenario"].to_numpy(),
                         "asset_id": n["link_id"].astype(str).to_numpy(),
                         "velocity_max_ms": _rounded(n["velocity_max_ms"]),
                         "velocity_peak_ms": _rounded(n["velocity_peak_ms"]),
                         "open_peak": n["open_peak"].astype(bool).to_numpy()})


def _rounded(values: pd.Series) -> np.ndarray:
    return np.round(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), 3)


def _with_run(table: pd.DataFrame, which: dict[tuple[str, str], str]) -> pd.DataFrame:
    if not len(table):
        return table.iloc[:0]
    run = [which.get((s, str(c))) for s, c in zip(table["scheme_id"], table["scenario"])]
    out = table.drop(columns=["scheme_id", "scenario"]).assign(run_id=run)
    out = out[out["run_id"].notna()].drop_duplicates(["run_id", "asset_id"])
    out.insert(0, "result_key", out["run_id"] + "/" + out["asset_id"])
    values = out.astype(object)
    return values.where(out.notna(), None).reset_index(drop=True)


def latest_runs(reg: Registry, schemes: list[str] | None = None) -> pd.DataFrame:
    """Per scheme, its last stored run of a kind in :data:`SERVICE_KINDS` (empty without the run tables)."""
    if not has_runs(reg):
        return pd.DataFrame(columns=["run_id", "scheme_id", "scenario", "kind", "started"])
    runs = reg.read(RUNS, {"scheme_id": list(schemes)} if schemes is not None else None)
    runs = runs[runs["kind"].isin(SERVICE_KINDS)]
    runs = runs.assign(_fid=runs.index.to_numpy()).sort_values("_fid", kind="stable")
    return runs.drop_duplicates("scheme_id", keep="last").drop(columns="_fid").reset_index(drop=True)


def run_values(reg: Registry, run_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(junction rows, pipe rows) of the runs."""
    where = {"run_id": list(run_ids)}
    return reg.read(NODES, where), reg.read(LINKS, where)

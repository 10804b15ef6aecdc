"""Hydraulic service norms (HYD-001..HYD-003) from the last stored hydraulic run of each scheme.

``jalnet hydraulics run`` (and the panel, Processing, the Python API) keep each run in the
registry (:mod:`jalnet.hydraulics.stored`). Health takes, per scheme, its last run that
shows the scheme as it serves today (peak hour, extended period, criticality base case,
water age, chlorine; not design-year demand or outages) and checks it against the same
norms the pipe design uses (:class:`jalnet.hydraulics.norms.Norms`: CPHEEO, at least 7 m
residual pressure at the taps, at most 3 m/s in a pipe). A scheme with pipes but no stored
run is named in the module's note instead of being checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..hydraulics.norms import Norms
from ..hydraulics.stored import has_runs, latest_runs, run_values
from ..topology.findings import fingerprint
from ..topology.rules import Rule

NORMS = Norms()
RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("HYD-001", "Junction below the minimum residual pressure", "warning", "Hydraulics",
         f"In the scheme's last stored hydraulic run the junction's lowest pressure while it draws water is below "
         f"{NORMS.min_pressure_m:g} m (CPHEEO norm for rural piped supply, the minimum the pipe design uses)."),
    Rule("HYD-002", "Negative pressure at a junction", "error", "Hydraulics",
         "In the scheme's last stored hydraulic run the junction's pressure falls below zero: the pipe can draw in "
         "dirty water."),
    Rule("HYD-003", "Velocity above the maximum", "warning", "Hydraulics",
         f"In the scheme's last stored hydraulic run the pipe's velocity exceeds {NORMS.max_velocity_ms:g} m/s (the "
         "maximum the pipe design uses): surge and wear."),
)}  # fmt: skip


@dataclass
class HydraulicFindings:
    rows: list[dict] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # schemes checked from a stored run
    without: list[str] = field(default_factory=list)  # schemes with pipes and no stored run
    note: str = "checked"  # what the module reports: "checked", or why (part of) it was not


def hydraulic_findings(reg: Any, schemes: list[str], layers: dict[str, pd.DataFrame]) -> HydraulicFindings:
    """HYD findings of *schemes* (those with pipes) from their last stored runs; nothing is written."""
    out = HydraulicFindings()
    if not schemes:
        return out
    if not has_runs(reg):
        out.without = list(schemes)
        out.note = (f"the registry is schema v{reg.schema_version}, without stored hydraulic runs: open it for "
                    "writing once (it is upgraded) and run 'jalnet hydraulics run'")
        return out
    runs = latest_runs(reg, schemes)
    out.checked = sorted(runs["scheme_id"].astype(str))
    out.without = sorted(set(schemes) - set(out.checked))
    if runs.empty:
        out.note = ("no scheme has a stored hydraulic run: run 'jalnet hydraulics run' (or the hydraulics panel) to "
                    "store one, then check again")
        return out
    if out.without:
        shown = ", ".join(out.without[:10]) + (f" and {len(out.without) - 10} more" if len(out.without) > 10 else "")
        out.note = (f"checked {len(out.checked)} scheme(s) from their last stored run; not {len(out.without)} "
                    f"without a stored run ({shown}): run 'jalnet hydraulics run' for them")
    nodes, links = run_values(reg, list(runs["run_id"]))
    about = {str(r.run_id): (str(r.scheme_id), f"run {r.run_id} ({r.scenario}, {str(r.started)[:10]})")
             for r in runs.itertuples()}
    out.rows = _pressure_rows(nodes, about, layers["junctions"]) + _velocity_rows(links, about, layers["pipes"])
    return out


def _row(code: str, message: str, layer: str, asset: str, scheme: str, geometry: Any) -> dict:
    rule = RULES[code]
    return {"rule": code, "module": "hydraulics", "severity": rule.severity, "title": rule.title, "message": message,
            "layer": layer, "asset_ids": asset, "scheme_id": scheme, "fingerprint": fingerprint(code, [asset]),
            "geometry": geometry}


def _pressure_rows(nodes: pd.DataFrame, about: dict[str, tuple[str, str]], junctions: pd.DataFrame) -> list[dict]:
    low = pd.to_numeric(nodes["pressure_min_m"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # a junction cut off has no pressure: the network rules name it
        hit = low < NORMS.min_pressure_m
    where = dict(zip(junctions["node_id"].astype(str), junctions.geometry))
    rows = []
    for asset, run, p in zip(nodes["asset_id"][hit], nodes["run_id"][hit], low[hit]):
        scheme, what = about[str(run)]
        code = "HYD-002" if p < 0 else "HYD-001"
        limit = "0 m" if p < 0 else f"the {NORMS.min_pressure_m:g} m norm"
        rows.append(_row(code, f"junction {asset}: lowest pressure {p:.1f} m while it draws water, below {limit}, in "
                               f"{what}", "junctions", str(asset), scheme, where.get(str(asset))))
    return rows


def _velocity_rows(links: pd.DataFrame, about: dict[str, tuple[str, str]], pipes: pd.DataFrame) -> list[dict]:
    fast = pd.to_numeric(links["velocity_max_ms"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        hit = fast > NORMS.max_velocity_ms
    where = dict(zip(pipes["pipe_id"].astype(str), pipes.geometry))
    rows = []
    for asset, run, v in zip(links["asset_id"][hit], links["run_id"][hit], fast[hit]):
        scheme, what = about[str(run)]
        rows.append(_row("HYD-003", f"pipe {asset}: velocity up to {v:.2f} m/s, above {NORMS.max_velocity_ms:g} m/s, "
                                    f"in {what}", "pipes", str(asset), scheme, where.get(str(asset))))
    return rows

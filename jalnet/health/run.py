"""``check_health``: every module's checks in one pass, scored per scheme, compared with the last run, kept.

One engine call behind the CLI (``jalnet health``), the Processing algorithm and the
panel: it reads the registry once, runs the network, registry, geology and Gati Shakti
checks and the hydraulic service norms on each scheme's last stored run, leaves out
the findings accepted as exceptions, scores each scheme (see :mod:`jalnet.health.score`)
and stores the run so the next one shows the trend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder
from ..registry import Registry
from ..registry.access import using_registry
from ..topology.exceptions import accepted_fingerprints
from .collect import COLUMNS, MODULES, collect
from .history import has_history, now, previous_run, store_run, trend
from .score import rollup, scheme_scores


@dataclass
class HealthResult:
    """What one health run found: findings over all modules, scores per scheme, division and district."""

    findings: gpd.GeoDataFrame
    schemes: pd.DataFrame  # per scheme, worst first
    divisions: pd.DataFrame
    districts: pd.DataFrame
    fixed: pd.DataFrame  # findings of the previous run gone now
    scheme_areas: gpd.GeoDataFrame  # scheme outline with its score, for the map layer
    registry: str = ""
    scope: str = ""
    started: str = ""
    run_id: str | None = None
    previous: dict | None = None
    accepted: int = 0
    modules: dict[str, str] = field(default_factory=dict)  # module -> "checked" or why it was skipped

    @property
    def counts(self) -> dict[str, int]:
        got = self.findings["severity"].value_counts()
        return {s: int(got.get(s, 0)) for s in ("error", "warning", "info")}

    @property
    def trend_counts(self) -> dict[str, int]:
        got = self.findings["trend"].value_counts()
        return {"new": int(got.get("new", 0)), "open": int(got.get("open", 0)), "fixed": len(self.fixed)}

    def write(self, path: str | os.PathLike) -> Path:
        from .output import write_health

        return write_health(self, path)

    def write_report(self, path: str | os.PathLike) -> Path:
        from .report import health_report

        out = Path(path)
        output_folder(out)
        out.write_text(health_report(self), encoding="utf-8")
        return out


def check_health(registry: Registry | str | os.PathLike, scheme: str | None = None, store: bool = True,
                 feedback: Feedback | None = None) -> HealthResult:
    """Run every module's checks over the registry (or one scheme) and, with *store*, keep the run in it."""
    steps = Steps(feedback, 4)
    started = now()
    with using_registry(registry, readonly=not store) as reg:
        schemes = reg.read("schemes")
        if scheme is not None and scheme not in set(schemes["scheme_id"].astype(str)):
            known = ", ".join(schemes["scheme_id"].astype(str)) or "none"
            raise InputError(f"scheme {scheme} is not in {reg.target} (schemes: {known})")
        steps.next("running the checks of every module")
        got = collect(reg, scheme, feedback)
        steps.next("scoring the schemes")
        found = pd.concat([f for f in got.frames if len(f)], ignore_index=True) if any(len(f) for f in got.frames) \
            else got.frames[0]
        found = gpd.GeoDataFrame(found, geometry="geometry", crs=reg.crs).drop_duplicates("fingerprint")
        accepted = accepted_fingerprints(reg)
        hit = found["fingerprint"].isin(accepted).to_numpy()
        found = found[~hit].reset_index(drop=True)
        if scheme is not None:
            schemes = schemes[schemes["scheme_id"].astype(str) == scheme]
            found = found[found["scheme_id"].fillna(scheme) == scheme].reset_index(drop=True)
        found = _with_admin(found, schemes)
        scope = scheme or ""
        before_run, before = previous_run(reg, scope)
        found["trend"], found["first_seen"], fixed = trend(found, before, started)
        found["status"], found["note"] = "open", None
        found = _ordered(found[[*COLUMNS, "geometry"]])
        per_scheme = scheme_scores(found, schemes, got.pipes_km)
        modules = {m: got.skipped.get(m, "checked") for m in MODULES}
        result = HealthResult(found, per_scheme, rollup(per_scheme, "division"), rollup(per_scheme, "district"),
                              fixed, _scheme_areas(got.data, schemes, per_scheme), reg.target, scope, started,
                              previous=before_run, accepted=int(hit.sum()), modules=modules)
        steps.next("keeping the run in the registry")
        if store and has_history(reg):
            run = {"started": started, "scope": scope, "findings": len(found), "new": result.trend_counts["new"],
                   "fixed": len(fixed), "score": float(per_scheme["score"].mean()) if len(per_scheme) else 100.0,
                   "modules": modules}
            result.run_id = store_run(reg, run, found, fixed)
    steps.done()
    return result


def _with_admin(found: gpd.GeoDataFrame, schemes: pd.DataFrame) -> gpd.GeoDataFrame:
    ids = schemes["scheme_id"].astype(str)
    for column in ("division", "district"):
        found[column] = found["scheme_id"].map(dict(zip(ids, schemes[column])))
    return found


def _ordered(found: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rank = {"error": 0, "warning": 1, "info": 2}
    order = np.lexsort((found["asset_ids"].astype(str).to_numpy(), found["rule"].astype(str).to_numpy(),
                        found["severity"].map(rank).to_numpy()))
    return found.iloc[order].reset_index(drop=True)


def _scheme_areas(data: Any, schemes: pd.DataFrame, per_scheme: pd.DataFrame) -> gpd.GeoDataFrame:
    """Each scheme's outline: its villages merged, else the extent of its pipes (50 m around)."""
    known = set(schemes["scheme_id"].astype(str))
    ids = [s for s in per_scheme["scheme_id"] if s in known]
    villages = data["villages"]
    shapes: dict[str, Any] = {}
    for sid, group in villages[villages["scheme_id"].isin(ids)].groupby("scheme_id"):
        shapes[sid] = shapely.union_all(np.asarray(group.geometry.values, dtype=object))
    pipes = data.pipes
    rest = pipes["scheme_id"].isin([s for s in ids if s not in shapes]).to_numpy(dtype=bool)
    if rest.any():  # the extent of the scheme's pipes, 50 m around
        box = pd.DataFrame(shapely.bounds(np.asarray(pipes.geometry.values, dtype=object)[rest]),
                           columns=["x0", "y0", "x1", "y1"]).groupby(pipes["scheme_id"].to_numpy()[rest])
        low, high = box[["x0", "y0"]].min(), box[["x1", "y1"]].max()
        shapes.update(zip(low.index, shapely.box(low["x0"] - 50, low["y0"] - 50, high["x1"] + 50, high["y1"] + 50)))
    table = per_scheme[per_scheme["scheme_id"].isin(list(shapes))].copy()
    geoms = [shapely.multipolygons(shapely.get_parts(shapes[s])) for s in table["scheme_id"]]
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=gpd.GeoSeries(geoms, crs=data.crs))


def run_health(registry: Registry | str | os.PathLike, out: str | os.PathLike | None = None,
               report: str | os.PathLike | None = None, scheme: str | None = None, store: bool = True,
               feedback: Feedback | None = None) -> HealthResult:
    """:func:`check_health`, then the health GeoPackage and the dashboard written (each when a path is given)."""
    for path, suffix in ((out, ".gpkg"), (report, ".html")):
        if path is not None:
            output_folder(path)
        if path is not None and suffix == ".gpkg" and Path(path).suffix.lower() != suffix:
            raise InputError(f"health file {path} must end with .gpkg")
    result = check_health(registry, scheme=scheme, store=store, feedback=feedback)
    if out is not None:
        result.write(out)
    if report is not None:
        result.write_report(report)
    return result

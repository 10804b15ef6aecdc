"""Runs kept in the registry (``health_runs``, ``health_findings``): what is new, still open and fixed.

A run is compared with the previous run of the same scope (the whole registry, or one
scheme). A finding's identity is its fingerprint, so one that survives an edit of
unrelated attributes stays "open" with the date it was first seen.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from ..topology.ids import keys_from, next_ids

RUNS, FINDINGS = "health_runs", "health_findings"


def has_history(reg: Any) -> bool:
    """The registry's schema has the run tables (v3); an older one opened read-only does not."""
    return reg.schema_version >= 3


def previous_run(reg: Any, scope: str) -> tuple[dict | None, pd.DataFrame]:
    """The last run of *scope* and its findings (those not fixed), or (None, empty)."""
    empty = pd.DataFrame(columns=["fingerprint", "first_seen", "rule", "module", "severity", "layer", "asset_id",
                                  "scheme_id", "message"])
    if not has_history(reg):
        return None, empty
    runs = reg.read(RUNS)
    runs = runs[runs["scope"].fillna("") == scope]
    if runs.empty:
        return None, empty
    last = runs.sort_values("started", kind="stable").iloc[-1]
    found = reg.read(FINDINGS, {"run_id": str(last["run_id"])})
    return last.to_dict(), found[found["status"] != "fixed"].reset_index(drop=True)


def trend(current: pd.DataFrame, before: pd.DataFrame, started: str) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(trend per finding: new/open, first seen per finding, the previous findings now fixed)."""
    first = dict(zip(before["fingerprint"], (_iso(v) for v in before["first_seen"])))
    fps = current["fingerprint"]
    status = fps.map(lambda f: "open" if f in first else "new")
    seen = fps.map(lambda f: first.get(f) or started)
    fixed = before[~before["fingerprint"].isin(set(fps))].reset_index(drop=True)
    return status, seen, fixed


def store_run(reg: Any, run: dict[str, Any], current: pd.DataFrame, fixed: pd.DataFrame) -> str:
    """Write the run and its findings (new, open and fixed) as one batch; returns the run id."""
    with keys_from(reg):  # from the registry's key counter: two runs at once get two ids
        run_id = next_ids(reg.read(RUNS)["run_id"], 1, "HR-")[0]
    rows = pd.DataFrame({
        "run_id": run_id, "fingerprint": current["fingerprint"].to_numpy(), "rule": current["rule"].to_numpy(),
        "module": current["module"].to_numpy(), "severity": current["severity"].to_numpy(),
        "layer": current["layer"].to_numpy(), "asset_id": current["asset_ids"].to_numpy(),
        "scheme_id": current["scheme_id"].to_numpy(), "first_seen": current["first_seen"].to_numpy(),
        "status": current["trend"].to_numpy(), "message": current["message"].to_numpy()})
    gone = fixed.assign(run_id=run_id, status="fixed")[[c for c in rows.columns]] if len(fixed) else rows.iloc[:0]
    rows = pd.concat([rows, gone], ignore_index=True).drop_duplicates("fingerprint")
    rows.insert(0, "finding_key", [f"{run_id}/{f}" for f in rows["fingerprint"]])
    record = {**run, "run_id": run_id, "modules": json.dumps(run["modules"], sort_keys=True)}
    with reg.batch("health", f"data-health run {run_id} ({run['scope'] or 'all schemes'})") as batch:
        batch.insert(RUNS, [record])
        if len(rows):
            batch.insert(FINDINGS, rows.astype(object).where(rows.notna(), None))
    return run_id


_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime(_FORMAT)


def _iso(value: object) -> str | None:
    """A stored time in the one format runs use (the registry gives back milliseconds)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return pd.Timestamp(value).strftime(_FORMAT)

"""The health score of a scheme, and its roll-up by division and district.

    penalty = 10 x errors + 3 x warnings + 0.5 x notes      (findings of the scheme, all modules)
    size    = max(1, km of pipe in the scheme)
    score   = 100 x exp(-penalty / (20 x size))

A clean scheme scores 100; one error per 2 km of pipe gives 78, one per km 61, five per km
8. Dividing by the length lets a 200 km multi-village scheme and a 3 km single-village
scheme be compared. A division's or district's score is the mean of its schemes' scores
weighted by their size, so a few big broken schemes pull it down more than small ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEIGHTS: dict[str, float] = {"error": 10.0, "warning": 3.0, "info": 0.5}
SCALE = 20.0
NO_SCHEME = "(no scheme)"
SEVERITY_COLUMNS = {"error": "errors", "warning": "warnings", "info": "notes"}


def score(penalty: np.ndarray | float, km: np.ndarray | float) -> np.ndarray:
    size = np.maximum(1.0, np.asarray(km, dtype=float))
    return np.round(100.0 * np.exp(-np.asarray(penalty, dtype=float) / (SCALE * size)), 1)


def scheme_scores(findings: pd.DataFrame, schemes: pd.DataFrame, pipes_km: pd.DataFrame) -> pd.DataFrame:
    """One row per scheme (and one for findings without a scheme): counts by severity and module, score; worst first."""
    info = schemes[["scheme_id", "name", "division", "district"]].astype(object).copy()
    info["scheme_id"] = info["scheme_id"].astype(str)
    sid = findings["scheme_id"].astype(object).where(findings["scheme_id"].notna(), NO_SCHEME).astype(str)
    keys = list(dict.fromkeys([*info["scheme_id"], *sorted(set(sid) - set(info["scheme_id"]))]))
    table = pd.DataFrame({"scheme_id": keys}).merge(info, on="scheme_id", how="left")
    km = pipes_km.set_index("scheme_id") if len(pipes_km) else pd.DataFrame(columns=["pipes", "km"])
    table["pipes"] = table["scheme_id"].map(km["pipes"]).fillna(0).astype(int)
    table["km"] = table["scheme_id"].map(km["km"]).fillna(0.0).astype(float).round(2)
    for sev, column in SEVERITY_COLUMNS.items():
        table[column] = table["scheme_id"].map(sid[findings["severity"] == sev].value_counts()).fillna(0).astype(int)
    for module, counts in sid.groupby(findings["module"]).value_counts().unstack(0, fill_value=0).items():
        table[f"{module}_findings"] = table["scheme_id"].map(counts).fillna(0).astype(int)
    penalty = sum(table[c] * WEIGHTS[s] for s, c in SEVERITY_COLUMNS.items())
    table["score"] = score(penalty, table["km"])
    table = table[(table["scheme_id"] != NO_SCHEME) | (table["errors"] + table["warnings"] + table["notes"] > 0)]
    return table.sort_values(["score", "errors", "scheme_id"], ascending=[True, False, True]).reset_index(drop=True)


def rollup(per_scheme: pd.DataFrame, by: str) -> pd.DataFrame:
    """Schemes grouped by division or district: size-weighted mean score, counts, the worst scheme; worst first."""
    table = per_scheme[per_scheme["scheme_id"] != NO_SCHEME].copy()
    table[by] = table[by].fillna("").replace("", f"(no {by})")
    table["_w"] = np.maximum(1.0, table["km"].to_numpy(dtype=float))
    table["_ws"] = table["_w"] * table["score"]
    out = table.groupby(by, sort=False).agg(schemes=("scheme_id", "size"), km=("km", "sum"), errors=("errors", "sum"),
                                            warnings=("warnings", "sum"), notes=("notes", "sum"), _w=("_w", "sum"),
                                            _ws=("_ws", "sum")).reset_index()
    out["score"] = (out["_ws"] / out["_w"]).round(1)
    worst = table.sort_values("score").drop_duplicates(by).set_index(by)
    out["worst_scheme"] = out[by].map(worst["scheme_id"])
    out["worst_score"] = out[by].map(worst["score"])
    out["km"] = out["km"].round(2)
    return out.drop(columns=["_w", "_ws"]).sort_values(["score", by]).reset_index(drop=True)

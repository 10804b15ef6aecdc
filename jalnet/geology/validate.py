"""Litholog validation: the faults that make a borehole log or well design untrustworthy.

Each rule is vectorised over all boreholes (a state holds tens of thousands) and yields
:class:`Finding` rows ``borehole_id, rule, severity, message``. Errors are contradictions
(an interval whose top is below its bottom, overlapping layers, a screen in clay);
warnings are gaps in what was recorded. The import runs the same rules and stores the
findings on the borehole, so a faulty log is kept and flagged rather than lost.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..feedback import Feedback, Steps
from ..registry.access import takes_target
from ..registry.store import Registry
from .model import Lithologs, aquifer_flags, aquifer_summary, read_lithologs, write_csv

#: rule -> (severity, what it means); the README lists these.
RULES: dict[str, tuple[str, str]] = {
    "interval_from_ge_to": ("error", "an interval's top (from) is not above its bottom (to)"),
    "interval_overlap": ("error", "two lithology intervals overlap"),
    "interval_gap": ("warning", "depths between lithology intervals (or above the first, below the last) not logged"),
    "interval_below_depth": ("error", "a lithology or construction interval goes below the drilled depth"),
    "unknown_lithology": ("warning", "the lithology word is not in the vocabulary (stored without a code)"),
    "screen_not_in_aquifer": ("error", "a screen is set (partly) outside the aquifer intervals"),
    "swl_below_depth": ("error", "the static water level is below the drilled depth"),
    "missing_collar_elevation": ("warning", "no collar elevation: the log cannot be placed in a section"),
    "far_from_source": ("warning", "the borehole is far from the water source it is linked to"),
    "unknown_source": ("warning", "the linked source_id is not in the registry"),
    "no_lithology": ("warning", "the borehole has no lithology intervals"),
    "aquifer_inferred": ("info", "the sheet has no aquifer column: aquifers were inferred from permeable lithology"),
}
COLUMNS = ["borehole_id", "rule", "severity", "message"]
#: Depths closer than this are equal (field logs are to the decimetre at best).
TOLERANCE_M = 0.01
DEFAULT_MAX_SOURCE_DISTANCE_M = 100.0


@dataclass(frozen=True)
class Finding:
    borehole_id: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _finding(borehole_id: str, rule: str, message: str) -> Finding:
    return Finding(str(borehole_id), rule, RULES[rule][0], message)


def _m(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def validate(data: Lithologs, sources: gpd.GeoDataFrame | None = None,
             max_source_distance_m: float = DEFAULT_MAX_SOURCE_DISTANCE_M) -> list[Finding]:
    """All findings, ordered by borehole then rule order."""
    out: list[Finding] = []
    bh = data.boreholes
    depth = dict(zip(bh["borehole_id"], bh["drilled_depth_m"].astype(float)))
    out += _inverted(data.intervals, "lithology interval")
    out += _inverted(data.construction, "construction interval")
    out += _sequence(data.intervals, depth)
    out += _below_depth(data.intervals, depth, "lithology interval")
    out += _below_depth(data.construction, depth, "construction interval")
    out += _unknown_lithology(data.intervals)
    out += _screens(data.intervals, data.construction)
    out += _borehole_rules(bh, set(data.intervals["borehole_id"]))
    if sources is not None:
        out += _source_distance(bh, sources, max_source_distance_m)
    order = {r: k for k, r in enumerate(RULES)}
    return sorted(out, key=lambda f: (f.borehole_id, order[f.rule]))


def _inverted(frame: pd.DataFrame, what: str) -> list[Finding]:
    bad = frame[~(frame["from_m"] < frame["to_m"])]
    return [_finding(r.borehole_id, "interval_from_ge_to", f"{what} {_m(r.from_m)}–{_m(r.to_m)} m: from is not above to")
            for r in bad.itertuples(index=False)]


def _sequence(intervals: pd.DataFrame, depth: dict[str, float]) -> list[Finding]:
    """Gaps and overlaps between consecutive intervals, plus unlogged top and bottom."""
    ok = intervals[intervals["from_m"] < intervals["to_m"]].sort_values(["borehole_id", "from_m", "to_m"])
    if ok.empty:
        return []
    # a thin interval inside a thick one: compare with the deepest bottom so far, not just the previous one
    deepest = ok.groupby("borehole_id")["to_m"].cummax().groupby(ok["borehole_id"]).shift()
    out: list[Finding] = []
    gap = ok["from_m"] > deepest + TOLERANCE_M
    overlap = ok["from_m"] < deepest - TOLERANCE_M
    for r, above in zip(ok[gap].itertuples(index=False), deepest[gap]):
        out.append(_finding(r.borehole_id, "interval_gap", f"{_m(above)}–{_m(r.from_m)} m is not logged"))
    for r, above in zip(ok[overlap].itertuples(index=False), deepest[overlap]):
        out.append(_finding(r.borehole_id, "interval_overlap",
                            f"interval {_m(r.from_m)}–{_m(r.to_m)} m overlaps the one above, which ends at {_m(above)} m"))
    first = ok.groupby("borehole_id")["from_m"].min()
    for bid, top in first[first > TOLERANCE_M].items():
        out.append(_finding(bid, "interval_gap", f"0–{_m(top)} m is not logged (the log starts at {_m(top)} m)"))
    last = ok.groupby("borehole_id")["to_m"].max()
    for bid, bottom in last.items():
        total = depth.get(bid, np.nan)
        if np.isfinite(total) and bottom < total - TOLERANCE_M:
            out.append(_finding(bid, "interval_gap",
                                f"{_m(bottom)}–{_m(total)} m is not logged (log ends above the drilled depth)"))
    return out


def _below_depth(frame: pd.DataFrame, depth: dict[str, float], what: str) -> list[Finding]:
    total = frame["borehole_id"].map(depth).astype(float)
    bad = frame[frame["to_m"] > total + TOLERANCE_M]
    return [_finding(r.borehole_id, "interval_below_depth",
                     f"{what} {_m(r.from_m)}–{_m(r.to_m)} m goes below the drilled depth {_m(t)} m")
            for r, t in zip(bad.itertuples(index=False), total[bad.index])]


def _unknown_lithology(intervals: pd.DataFrame) -> list[Finding]:
    bad = intervals[intervals["lithology"].isna()]
    out = []
    for r in bad.itertuples(index=False):
        word = r.logged_as if isinstance(r.logged_as, str) and r.logged_as else None
        what = f"logged as '{word}', which is not a lithology code or known field word" if word else "no lithology given"
        out.append(_finding(r.borehole_id, "unknown_lithology", f"interval {_m(r.from_m)}–{_m(r.to_m)} m: {what}"))
    return out


def _screens(intervals: pd.DataFrame, construction: pd.DataFrame) -> list[Finding]:
    """Each screen must lie wholly within intervals flagged aquifer."""
    screens = construction[(construction["kind"] == "screen") & (construction["from_m"] < construction["to_m"])]
    if screens.empty:
        return []
    screens = screens.reset_index(drop=True).assign(screen_no=lambda f: f.index)
    aq = intervals[aquifer_flags(intervals)][["borehole_id", "from_m", "to_m"]]
    pairs = screens[["screen_no", "borehole_id", "from_m", "to_m"]].merge(aq, on="borehole_id", how="left",
                                                                          suffixes=("", "_a"))
    inside = (np.minimum(pairs["to_m"], pairs["to_m_a"]) - np.maximum(pairs["from_m"], pairs["from_m_a"])).clip(lower=0)
    covered = inside.fillna(0).groupby(pairs["screen_no"]).sum()
    out = []
    for r in screens.itertuples(index=False):
        length = r.to_m - r.from_m
        outside = length - covered.get(r.screen_no, 0.0)
        if outside > TOLERANCE_M:
            beside = _non_aquifer_at(intervals, r.borehole_id, r.from_m, r.to_m)
            out.append(_finding(r.borehole_id, "screen_not_in_aquifer",
                                f"screen {_m(r.from_m)}–{_m(r.to_m)} m: {_m(outside)} m of it is outside aquifer "
                                f"intervals{beside}"))
    return out


def _non_aquifer_at(intervals: pd.DataFrame, borehole_id: str, top: float, bottom: float) -> str:
    rows = intervals[(intervals["borehole_id"] == borehole_id) & ~aquifer_flags(intervals)
                     & (intervals["from_m"] < bottom) & (intervals["to_m"] > top)]
    if rows.empty:
        return " (no lithology logged there)"
    parts = [f"{r.lithology or r.logged_as or '?'} {_m(r.from_m)}–{_m(r.to_m)} m" for r in rows.itertuples(index=False)]
    return " (" + ", ".join(parts) + ")"


def _borehole_rules(bh: pd.DataFrame, with_intervals: set[str]) -> list[Finding]:
    out = []
    for r in bh.itertuples(index=False):
        swl, depth = r.swl_m, r.drilled_depth_m
        if pd.notna(swl) and pd.notna(depth) and swl > depth + TOLERANCE_M:
            out.append(_finding(r.borehole_id, "swl_below_depth",
                                f"static water level {_m(swl)} m is below the drilled depth {_m(depth)} m"))
        if pd.isna(r.collar_elev_m):
            out.append(_finding(r.borehole_id, "missing_collar_elevation", "collar elevation is not recorded"))
        if r.borehole_id not in with_intervals:
            out.append(_finding(r.borehole_id, "no_lithology", "no lithology intervals recorded"))
    return out


def _source_distance(bh: gpd.GeoDataFrame, sources: gpd.GeoDataFrame, limit: float) -> list[Finding]:
    linked = bh[bh["source_id"].notna() & (bh["source_id"].astype(str) != "")]
    if linked.empty:
        return []
    by_id = dict(zip(sources["source_id"], sources.geometry)) if len(sources) else {}
    out = []
    for r, geom in zip(linked.itertuples(index=False), linked.geometry):
        src = by_id.get(r.source_id)
        if src is None:
            out.append(_finding(r.borehole_id, "unknown_source", f"source '{r.source_id}' is not in the registry"))
            continue
        dist = float(geom.distance(src))
        if dist > limit:
            out.append(_finding(r.borehole_id, "far_from_source",
                                f"{dist:.0f} m from its source {r.source_id} (more than {limit:g} m)"))
    return out


def findings_text(findings: list[Finding]) -> dict[str, str]:
    """Per borehole, the text stored in ``boreholes.findings``: 'rule: message; rule: message'."""
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.borehole_id, []).append(f"{f.rule}: {f.message}")
    return {k: "; ".join(v) for k, v in out.items()}


def write_findings(path: str | os.PathLike, findings: list[Finding], columns: list[str] | None = None) -> None:
    write_csv(path, [f.as_dict() for f in findings], columns or COLUMNS)


@takes_target()
def validate_registry(registry: Registry | str | os.PathLike, out: str | os.PathLike | None = None, store: bool = False,
                      max_source_distance_m: float = DEFAULT_MAX_SOURCE_DISTANCE_M,
                      feedback: Feedback | None = None) -> list[Finding]:
    """Validate every borehole in the registry; write the findings CSV; with *store*, refresh the
    boreholes' ``findings`` and aquifer fields in one batch."""
    steps = Steps(feedback, 3 if store else 2)
    steps.next("reading boreholes")
    data = read_lithologs(registry)
    steps.next(f"checking {len(data.boreholes)} boreholes")
    findings = validate(data, registry.read("sources"), max_source_distance_m)
    if out is not None:
        write_findings(out, findings)
    if store:
        steps.next("storing findings on the boreholes")
        store_findings(registry, data, findings)
    steps.done()
    return findings


def store_findings(registry: Registry, data: Lithologs, findings: list[Finding]) -> str | None:
    """Write findings and aquifer summary onto the boreholes that changed; returns the batch id."""
    current = registry.read("boreholes")
    text = findings_text(findings)
    summary = aquifer_summary(data.intervals)
    new = pd.DataFrame({
        "findings": current["borehole_id"].map(text),
        "first_aquifer_m": current["borehole_id"].map(summary["first_aquifer_m"]).astype(float),
        "aquifer_thickness_m": current["borehole_id"].map(summary["aquifer_thickness_m"]).astype(float),
    }, index=current.index)
    old = pd.DataFrame(current[new.columns])
    same = pd.Series(True, index=new.index)
    for col in new.columns:
        a, b = old[col], new[col]
        same &= (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
    changed = new[~same]
    if changed.empty:
        return None
    with registry.batch("geology validate", f"validation findings on {len(changed)} borehole(s)") as batch:
        batch.update_many("boreholes", changed)
    return batch.id

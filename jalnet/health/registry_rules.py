"""Registry completeness and consistency (REG-001..REG-007): what a department's MIS needs filled in.

The rules read the layers only (no geometry work), so they cost little next to the
network rules. Each returns the findings frame columns of :mod:`jalnet.health.collect`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..topology.findings import fingerprint
from ..topology.rules import Rule

RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("REG-001", "Tap without a household id", "warning", "Registry",
         "Household tap connection with no household_id: it cannot be matched to the household survey or IMIS."),
    Rule("REG-002", "Several taps for one household", "warning", "Registry",
         "Two or more tap connections carry the same household_id: a tap counted twice, or a wrong id."),
    Rule("REG-003", "Scheme without a source", "error", "Registry", "No water source has the scheme's scheme_id."),
    Rule("REG-004", "Scheme without a village", "error", "Registry", "No village has the scheme's scheme_id."),
    Rule("REG-005", "Date in the future", "error", "Registry",
         "A commissioning, laying, connection or drilling date later than today."),
    Rule("REG-006", "Source without a yield record", "warning", "Registry",
         "A source with no tested yield, neither on the source nor on a borehole linked to it."),
    Rule("REG-007", "Groundwater source without a water-quality record", "warning", "Registry",
         "A tube well, borewell or dug well with no arsenic, fluoride or iron test on a borehole linked to it."),
)}  # fmt: skip
#: Date fields checked by REG-005.
DATE_FIELDS: tuple[tuple[str, str], ...] = (("schemes", "commissioned"), ("sources", "commissioned"),
                                            ("pipes", "laid_date"), ("fhtc", "connected"),
                                            ("boreholes", "drilled_date"))
GROUNDWATER = ("tube_well", "borewell", "dug_well")
QUALITY_FLAGS = ("arsenic_flag", "fluoride_flag", "iron_flag")
KEYS = {"schemes": "scheme_id", "sources": "source_id", "pipes": "pipe_id", "fhtc": "fhtc_id",
        "boreholes": "borehole_id", "villages": "village_id"}


def _text(series: pd.Series) -> np.ndarray:
    return np.array([v if isinstance(v, str) and v.strip() else None for v in series.astype(object)], dtype=object)


def _rows(code: str, frame: pd.DataFrame, layer: str, messages: list[str], ids: list[tuple[str, ...]],
          schemes: list) -> list[dict]:
    rule = RULES[code]
    geoms = list(frame.geometry.values) if "geometry" in frame.columns else [None] * len(ids)
    return [{"rule": code, "module": "registry", "severity": rule.severity, "title": rule.title, "message": m,
             "layer": layer, "asset_ids": ", ".join(i), "scheme_id": s, "fingerprint": fingerprint(code, i),
             "geometry": g} for m, i, s, g in zip(messages, ids, schemes, geoms)]


def registry_findings(layers: dict[str, pd.DataFrame], today: dt.date | None = None) -> list[dict]:
    """All REG findings over the layers given (frames as the registry reads them)."""
    out: list[dict] = []
    taps = layers["fhtc"]
    tap_ids = _text(taps["fhtc_id"])
    household = _text(taps["household_id"])
    missing = np.array([h is None for h in household], dtype=bool)
    out += _rows("REG-001", taps[missing], "fhtc", [f"tap {t} has no household_id" for t in tap_ids[missing]],
                 [(str(t),) for t in tap_ids[missing]], list(taps["scheme_id"][missing]))
    shared = pd.Series(household[~missing], index=np.flatnonzero(~missing))
    shared = shared[shared.duplicated(keep=False)]
    for hh, pos in shared.groupby(shared, sort=True).groups.items():
        pos = list(pos)
        ids = tuple(sorted(str(t) for t in tap_ids[pos]))
        out += _rows("REG-002", taps.iloc[pos[:1]], "fhtc", [f"taps {', '.join(ids)} are all for household {hh}"],
                     [ids], [taps["scheme_id"].iloc[pos[0]]])
    schemes = layers["schemes"]
    scheme_ids = _text(schemes["scheme_id"])
    for code, layer, what in (("REG-003", "sources", "water source"), ("REG-004", "villages", "village")):
        having = set(_text(layers[layer]["scheme_id"]))
        lacking = [s for s in scheme_ids if s is not None and s not in having]
        out += _rows(code, schemes.iloc[:0], "schemes",
                     [f"scheme {s} has no {what} (no {layer} row with scheme_id {s})" for s in lacking],
                     [(s,) for s in lacking], lacking)
    out += _future_dates(layers, today or dt.date.today())
    out += _source_records(layers["sources"], layers["boreholes"])
    return out


def _future_dates(layers: dict[str, pd.DataFrame], today: dt.date) -> list[dict]:
    out: list[dict] = []
    for layer, name in DATE_FIELDS:
        frame = layers.get(layer)
        if frame is None or frame.empty or name not in frame.columns:
            continue
        when = pd.to_datetime(frame[name], errors="coerce", format="ISO8601")
        late = (when.dt.normalize() > pd.Timestamp(today)).to_numpy(dtype=bool)  # NaT compares False
        if not late.any():
            continue
        rows = frame[late]
        ids = _text(rows[KEYS[layer]])
        out += _rows("REG-005", rows, layer,
                     [f"{layer} {i}: {name} {d} is after today ({today.isoformat()})" for i, d in zip(ids, rows[name])],
                     [(str(i), name) for i in ids], list(rows["scheme_id"]))
    return out


def _source_records(sources: pd.DataFrame, boreholes: pd.DataFrame) -> list[dict]:
    if sources.empty:
        return []
    linked = boreholes[boreholes["source_id"].notna()]
    with_yield = set(linked.loc[linked["yield_lpm"].notna(), "source_id"])
    tested = np.zeros(len(linked), dtype=bool)
    for flag in QUALITY_FLAGS:
        tested |= linked[flag].isin(["ok", "exceeds"]).to_numpy(dtype=bool)
    with_quality = set(linked.loc[tested, "source_id"])
    ids = _text(sources["source_id"])
    no_yield = sources["yield_lpm"].isna().to_numpy(dtype=bool) & np.array([i not in with_yield for i in ids])
    ground = sources["source_type"].isin(GROUNDWATER).to_numpy(dtype=bool)
    no_quality = ground & np.array([i not in with_quality for i in ids])
    out = _rows("REG-006", sources[no_yield], "sources",
                [f"source {i} has no tested yield (yield_lpm), nor a linked borehole with one" for i in ids[no_yield]],
                [(str(i),) for i in ids[no_yield]], list(sources["scheme_id"][no_yield]))
    out += _rows("REG-007", sources[no_quality], "sources",
                 [f"source {i} ({t}) has no arsenic, fluoride or iron test on a linked borehole"
                  for i, t in zip(ids[no_quality], sources["source_type"][no_quality])],
                 [(str(i),) for i in ids[no_quality]], list(sources["scheme_id"][no_quality]))
    return out

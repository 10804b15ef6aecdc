"""Build phase: demand, from the household taps (allocated to the nearest serving junction,
with the supply pattern) or the demands an imported .inp carried.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from . import demand as demand_mod
from .build_state import DEMAND_PATTERN, BuildState
from .peak import peak_step


def demand(s: BuildState) -> None:
    stored = any("demand_timeseries_list" in el.properties for el in s.x.elements.values()
                 if el.layer == "junctions")
    source = s.p.demand_source
    if source == "auto":
        source = "stored" if stored else "fhtc"
    s.report.demand_source = source
    row = s.data.row or {}
    hours = s.p.supply_hours if s.p.supply_hours is not None else (row.get("supply_hours") or 24.0)
    windows = demand_mod.parse_windows(s.p.supply_windows) if s.p.supply_windows else \
        demand_mod.default_windows(float(hours))
    settings = demand_mod.DemandSettings(
        lpcd=float(s.p.lpcd if s.p.lpcd is not None else (row.get("lpcd") or demand_mod.LPCD_DEFAULT)),
        persons_per_household=s.p.persons_per_household, default_persons=s.p.default_persons,
        statuses=tuple(s.p.demand_statuses), supply_hours=float(hours), supply_windows=windows,
    )
    s.report.intermittent = settings.intermittent
    s.report.peak_factor = demand_mod.default_peak_factor(settings)
    if source == "stored":
        _stored_demand(s)
    else:
        _fhtc_demand(s, settings)
    design = row.get("design_population")
    if design and s.report.persons > 0:
        s.report.growth_factor = float(design) / s.report.persons


def _stored_demand(s: BuildState) -> None:
    total = 0.0
    patterns = set(s.wn.pattern_name_list)
    for name in s.wn.junction_name_list:
        layer, asset_id = s.report.node_assets[name]
        if layer != "junctions":
            continue
        items = s.props("junctions", asset_id).get("demand_timeseries_list") or []
        node = s.wn.get_node(name)
        for item in items:
            base = float(item.get("base_val") or 0.0)
            pattern = item.get("pattern_name")
            if pattern is not None and pattern not in patterns:
                if pattern != s.wn.options.hydraulic.pattern and pattern != "1":
                    raise InputError(f"junction {asset_id}: demand pattern {pattern} is not in hyd_patterns of "
                                     f"scheme {s.data.scheme}")
                pattern = None  # EPANET's default pattern, absent: constant demand
            node.add_demand(base, pattern, item.get("category"))
            total += base
    s.report.demand_lps = total * 1000.0
    s.report.peak_factor = _peak_of_patterns(s.wn)


def _fhtc_demand(s: BuildState, settings: demand_mod.DemandSettings) -> None:
    taps = s.data.layers["fhtc"]
    households = demand_mod.household_demands(taps, settings)
    serving = _serving_junctions(s)
    if len(taps) == 0:
        s.warn(f"scheme {s.data.scheme} has no household tap connections: every demand is zero")
    names = sorted(serving)
    xy = np.array([s.report.node_xy[n] for n in names]) if names else np.zeros((0, 2))
    node, dist = demand_mod.allocate(households, names, xy)
    households["node"] = node
    households["distance_m"] = dist
    s.report.allocation = households
    s.report.households = int(households["counted"].sum())
    s.report.persons = float(households.loc[households["counted"], "persons"].sum())
    s.report.demand_lps = float(households["demand_lps"].sum())
    if len(taps) == 0:
        return
    pattern = demand_mod.supply_pattern(settings)
    if DEMAND_PATTERN not in s.wn.pattern_name_list:
        s.wn.add_pattern(DEMAND_PATTERN, pattern)
    per_node = households.groupby("node")["demand_lps"].sum()
    for name, lps in per_node.items():
        if lps > 0:
            s.wn.get_node(name).add_demand(float(lps) / 1000.0, DEMAND_PATTERN, "households")
    far = households[households["distance_m"] > 200]
    if len(far):
        s.warn(f"{len(far)} tap(s) are more than 200 m from the nearest junction (e.g. {far['fhtc_id'].iloc[0]} "
                  f"{far['distance_m'].iloc[0]:.0f} m); check their locations or the network")


def _serving_junctions(s: BuildState) -> set[str]:
    """Junctions with at least one pipe that is not a rising main."""
    out = set()
    for name, link in s.wn.pipes():
        if name in s.rising:
            continue
        for node in (link.start_node_name, link.end_node_name):
            if s.node_kind.get(node) == "Junction" and s.report.node_assets[node][0] == "junctions":
                out.add(node)
    return out


def _peak_of_patterns(wn: Any) -> float:
    """The multiplier of the step with the largest total demand, from the model's own patterns."""
    return peak_step(wn)[2] * float(wn.options.hydraulic.demand_multiplier or 1.0)

"""Which households lose service pressure when assets are out of service (a flood, a repair).

The scheme is simulated at the peak hour twice: as it stands, and with the assets out of
service: pipes, pumps and valves closed, sources, tanks and treatment units cut off from
every pipe (a treatment unit is not in the model: the model node it stands on, within
:data:`ATTACH_M`, is cut off). A tank that no source can refill any more runs dry while the
assets are out (a flood lasts days), so it is cut off as well, as the connectivity method
counts households on storage only as losing supply. A household loses service when its junction is at or above
the service norm before and below it (or cut off from every source) after. Connectivity
alone misses the households a weaker source or a longer path still reaches, but at too
low a pressure.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import JalnetError
from ..registry import Registry
from .build import BuildReport, build_from_data, load_schemes, open_target, unfed_nodes
from .norms import Norms
from .results import Series
from .scenarios import close_link, to_steady_peak
from .simulate import simulate

#: a treatment unit further than this from every model node is not on the network (m)
ATTACH_M = 30.0
COLUMNS = ["fhtc_id", "scheme_id", "node", "pressure_before_m", "pressure_after_m", "cut_off"]


def households_below_pressure(registry: Registry | str | os.PathLike, scheme: str,
                              out_of_service: Mapping[str, Iterable[str]], *, dem: str | os.PathLike | None = None,
                              norms: Norms | dict[str, Any] | str | None = None, params: dict[str, Any] | None = None
                              ) -> pd.DataFrame:
    """Households of *scheme* that lose service pressure at the peak hour with *out_of_service*
    assets ({layer: asset IDs}) out: one row each (``COLUMNS``), none when nothing changes."""
    out = {layer: {str(i) for i in ids} for layer, ids in out_of_service.items()}
    reg, close = open_target(registry)
    try:
        data = load_schemes(reg, [scheme])[scheme]
        units = _treatment_units(reg, scheme, out.get("treatment_units", set()))
    finally:
        if close:
            reg.close()
    empty = pd.DataFrame(columns=COLUMNS)
    if data.layers["pipes"].empty or not any(out.values()):
        return empty
    wn, report = build_from_data(data, str(dem) if dem else None, params or {}, None)
    links = _links_out(wn, report, out, units)
    if not links:
        return empty
    norm = Norms.from_any(norms).min_pressure_m
    to_steady_peak(wn, report, None)
    label = f"scheme {scheme}, assets out of service"
    before = _pressure(wn, simulate(wn, f"scheme {scheme}, peak hour"))
    links |= _dry_tank_links(wn, links)
    for name in sorted(links):
        close_link(wn, name)
    try:
        after = _pressure(wn, simulate(wn, label))
    except JalnetError:
        after = pd.Series(np.nan, index=before.index)  # EPANET cannot solve it: nobody is served
    return _losing(report, before, after, norm, scheme)


def _treatment_units(reg: Registry, scheme: str, ids: set[str]) -> list[tuple[float, float]]:
    """Points of the scheme's treatment units among *ids*."""
    if not ids:
        return []
    frame = reg.read("treatment_units", where={"scheme_id": [scheme]})
    frame = frame[frame["unit_id"].astype(str).isin(ids) & frame.geometry.notna()]
    return [(p.x, p.y) for p in frame.geometry.representative_point()]


def _links_out(wn: Any, report: BuildReport, out: dict[str, set[str]], units: list[tuple[float, float]]) -> set[str]:
    """Model links to close: those of out-of-service links, and every link at out-of-service nodes."""
    links = {name for name, (layer, asset) in report.link_assets.items() if asset in out.get(layer, ())}
    nodes = {name for name, (layer, asset) in report.node_assets.items() if asset in out.get(layer, ())}
    if units and report.node_xy:
        names = list(report.node_xy)
        xy = np.array([report.node_xy[n] for n in names])
        for x, y in units:
            d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
            if d.min() <= ATTACH_M:
                nodes.add(names[int(np.argmin(d))])
    links |= {name for name, link in wn.links() if link.start_node_name in nodes or link.end_node_name in nodes}
    return links


def _dry_tank_links(wn: Any, closed: set[str]) -> set[str]:
    """Links at the tanks no source reaches once *closed* links are shut."""
    open_links = {name for name in wn.link_name_list if name not in closed}
    cut = set(unfed_nodes(wn, set(wn.reservoir_name_list), open_links))
    dry = {t for t in wn.tank_name_list if t in cut}
    return {name for name, link in wn.links() if link.start_node_name in dry or link.end_node_name in dry}


def _pressure(wn: Any, run: Any) -> pd.Series:
    """Pressure per node at the peak (blank where no source reaches)."""
    s = Series.of(wn, run)
    return pd.Series(s.pressure[0], index=s.nodes)


def _losing(report: BuildReport, before: pd.Series, after: pd.Series, norm: float, scheme: str) -> pd.DataFrame:
    alloc = report.allocation
    if alloc is None or alloc.empty:
        return pd.DataFrame(columns=COLUMNS)
    taps = alloc[alloc["counted"] & alloc["node"].notna()]
    node = taps["node"].astype(str)
    p0 = before.reindex(node).to_numpy(dtype=float)
    p1 = after.reindex(node).to_numpy(dtype=float)
    served_before = p0 >= norm
    served_after = p1 >= norm  # NaN (cut off) is never served
    lose = served_before & ~served_after
    return pd.DataFrame({"fhtc_id": taps["fhtc_id"].astype(str).to_numpy()[lose], "scheme_id": scheme,
                         "node": node.to_numpy()[lose], "pressure_before_m": p0[lose], "pressure_after_m": p1[lose],
                         "cut_off": np.isnan(p1[lose])}, columns=COLUMNS)

"""Which households lose water when flooded assets are taken out of service.

Two methods behind one function, :func:`households_losing_supply`:

``connectivity`` (default) walks the pipe network as a graph. Pipe ends within
``snap_tolerance`` of each other are one node; sources, pumps, treatment units and tanks
attach to the nearest node within ``attach_tolerance``; a tap connection hangs on its
``pipe_id`` (or the nearest pipe when that is missing or unknown). Out-of-service pumps,
treatment units and tanks remove their node, out-of-service mains their edge, and
out-of-service sources stop being a supply. A household is then

* ``supplied``: still connected to an in-service source;
* ``storage_only``: connected only to in-service tanks cut off from every source; water
  runs until the tanks are empty, so the household loses supply within hours;
* ``cut_off``: connected to neither;
* ``not_connected``: not supplied even before the flood (no pipe, non-functional tap, or a
  network the registry does not connect to a source or tank) - the flood cannot take away
  what was not there, so these never count as losing supply.

``hydraulic`` asks the hydraulic engine
(``jalnet.hydraulics.service.households_below_pressure``) for the households whose junction
falls below the service pressure norm at the peak hour with the same assets out of service
(and was at or above it before): a network still connected can lose pressure. Junctions
without an elevation take it from a DEM (*dem*).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from .assets import Assets, read_assets

#: Asset IDs taken out of service, by registry layer: {"sources": {"SRC-01"}, "pipes": {"P-7"}}.
OutOfService = Mapping[str, Iterable[str]]

SUPPLIED, STORAGE_ONLY, CUT_OFF, NOT_CONNECTED, BELOW_PRESSURE = (
    "supplied", "storage_only", "cut_off", "not_connected", "below_pressure")
_RANK = {SUPPLIED: 2, STORAGE_ONLY: 1, CUT_OFF: 0, BELOW_PRESSURE: 0}
#: Statuses that mean an asset does not carry water today.
IDLE_STATUS = ("planned", "under_construction", "non_functional", "abandoned")
IDLE_TAPS = ("non_functional", "disconnected")
METHODS = ("connectivity", "hydraulic")


@dataclass
class SupplyNetwork:
    """The pipe graph with assets attached; build once, ask for many outages."""

    graph: nx.Graph
    pipe_edge: dict[str, tuple[int, int]]  # pipe_id -> (node, node)
    attached: dict[tuple[str, str], int]  # (layer, asset id) -> node
    fhtc_pipe: pd.Series  # fhtc_id -> pipe_id (None when not on any pipe)
    fhtc_scheme: pd.Series  # fhtc_id -> scheme_id
    idle_taps: set[str]
    sources: list[str]
    tanks: list[str]
    pump_source: dict[str, str]  # pump_id -> source_id it draws from
    unattached: list[str] = field(default_factory=list)  # messages for assets far from any pipe


def _clusters(xy: np.ndarray, tolerance: float) -> np.ndarray:
    """Node number per pipe end: ends within *tolerance* of each other share one."""
    pts = shapely.points(xy)
    pairs = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=tolerance)
    g = nx.Graph()
    g.add_nodes_from(range(len(xy)))
    g.add_edges_from(zip(pairs[0].tolist(), pairs[1].tolist()))
    label = np.empty(len(xy), dtype=np.int64)
    for k, comp in enumerate(nx.connected_components(g)):
        label[list(comp)] = k
    return label


def build_network(assets: Assets, snap_tolerance: float = 0.5, attach_tolerance: float = 30.0) -> SupplyNetwork:
    """Graph of in-service pipes with supply assets and tap connections attached."""
    pipes = assets.layers["pipes"]
    live = pipes[~pipes["status"].isin(IDLE_STATUS) & pipes.geometry.notna() & ~pipes.geometry.is_empty]
    ids = live["pipe_id"].astype(str).to_numpy()
    geoms = live.geometry.to_numpy()
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                      shapely.get_coordinates(shapely.get_point(geoms, -1))]) if len(geoms) else np.zeros((0, 2))
    node = _clusters(ends, snap_tolerance) if len(ends) else np.zeros(0, dtype=np.int64)
    n = len(geoms)
    graph = nx.Graph()
    graph.add_nodes_from(np.unique(node).tolist())
    pipe_edge: dict[str, tuple[int, int]] = {}
    for k in range(n):
        u, v = int(node[k]), int(node[n + k])
        pipe_edge[ids[k]] = (u, v)
        graph.add_edge(u, v)  # parallel pipes collapse into one edge: removing either is checked by pipe_edge
    node_xy = {}
    for k, label in enumerate(node):
        node_xy.setdefault(int(label), ends[k])
    labels = np.array(list(node_xy), dtype=np.int64)
    tree = shapely.STRtree(shapely.points(np.array([node_xy[int(lb)] for lb in labels]))) if len(labels) else None

    attached: dict[tuple[str, str], int] = {}
    unattached: list[str] = []
    for layer in ("sources", "pumps", "treatment_units", "tanks"):
        frame = assets.layers[layer]
        key = assets.key(layer)
        live_assets = frame[~frame["status"].isin(IDLE_STATUS) & frame.geometry.notna()]
        if tree is None or live_assets.empty:
            continue
        near, dist = tree.query_nearest(live_assets.geometry.to_numpy(), return_distance=True, all_matches=False)
        for (pos, idx), d in zip(near.T, dist):
            asset_id = str(live_assets[key].iloc[pos])
            if d <= attach_tolerance:
                attached[(layer, asset_id)] = int(labels[idx])
            else:
                unattached.append(f"{layer} {asset_id} is {d:.0f} m from the nearest pipe end")

    fhtc = assets.layers["fhtc"]
    fhtc_ids = fhtc["fhtc_id"].astype(str)
    on_pipe = fhtc["pipe_id"].where(fhtc["pipe_id"].isin(pipe_edge.keys()))
    missing = on_pipe.isna().to_numpy() & fhtc.geometry.notna().to_numpy()
    if missing.any() and n:
        near = shapely.STRtree(geoms).query_nearest(fhtc.geometry.to_numpy()[missing], all_matches=False)
        on_pipe = on_pipe.copy()
        on_pipe.iloc[np.flatnonzero(missing)[near[0]]] = ids[near[1]]
    pumps = assets.layers["pumps"]
    return SupplyNetwork(
        graph=graph,
        pipe_edge=pipe_edge,
        attached=attached,
        fhtc_pipe=pd.Series(on_pipe.to_numpy(dtype=object), index=fhtc_ids.to_numpy()),
        fhtc_scheme=pd.Series(fhtc["scheme_id"].to_numpy(dtype=object), index=fhtc_ids.to_numpy()),
        idle_taps=set(fhtc_ids[fhtc["status"].isin(IDLE_TAPS)]),
        sources=[s for (lyr, s) in attached if lyr == "sources"],
        tanks=[t for (lyr, t) in attached if lyr == "tanks"],
        pump_source={str(p): str(s) for p, s in zip(pumps["pump_id"], pumps["source_id"]) if isinstance(s, str)},
        unattached=unattached,
    )


def supply_status(net: SupplyNetwork, out_of_service: OutOfService | None = None) -> pd.Series:
    """Supply status of every tap connection (index fhtc_id) with *out_of_service* assets out."""
    out = {layer: {str(i) for i in ids} for layer, ids in (out_of_service or {}).items()}
    dead_sources = set(out.get("sources", ()))
    # A pump out of service stops the source it draws from, wherever the two are drawn.
    dead_sources |= {net.pump_source[p] for p in out.get("pumps", ()) if p in net.pump_source}
    removed_nodes = {net.attached[(lyr, a)] for lyr in ("pumps", "treatment_units", "tanks")
                     for a in out.get(lyr, ()) if (lyr, a) in net.attached}
    removed_pipes = {p for p in out.get("pipes", ()) if p in net.pipe_edge}
    g = net.graph.copy()
    g.remove_nodes_from(removed_nodes)
    # A removed pipe cuts its edge only if no parallel in-service pipe joins the same nodes.
    alive_pairs = {frozenset(e) for p, e in net.pipe_edge.items() if p not in removed_pipes}
    g.remove_edges_from([net.pipe_edge[p] for p in removed_pipes if frozenset(net.pipe_edge[p]) not in alive_pairs])
    component: dict[int, int] = {}
    for k, comp in enumerate(nx.connected_components(g)):
        for v in comp:
            component[v] = k
    with_source = {component[net.attached[("sources", s)]] for s in net.sources
                   if s not in dead_sources and net.attached[("sources", s)] in component}
    with_tank = {component[net.attached[("tanks", t)]] for t in net.tanks
                 if t not in out.get("tanks", set()) and net.attached[("tanks", t)] in component}

    status = {}
    for fhtc_id, pipe_id in net.fhtc_pipe.items():
        if fhtc_id in net.idle_taps or not isinstance(pipe_id, str):
            status[fhtc_id] = NOT_CONNECTED
            continue
        if pipe_id in removed_pipes:
            status[fhtc_id] = CUT_OFF
            continue
        comps = {component[v] for v in net.pipe_edge[pipe_id] if v in component}
        if comps & with_source:
            status[fhtc_id] = SUPPLIED
        elif comps & with_tank:
            status[fhtc_id] = STORAGE_ONLY
        else:
            status[fhtc_id] = CUT_OFF
    return pd.Series(status, dtype=object).reindex(net.fhtc_pipe.index)


def connectivity_loss(net: SupplyNetwork, out_of_service: OutOfService) -> pd.DataFrame:
    """Status before and after, and whether each household loses supply."""
    before = supply_status(net, {})
    after = supply_status(net, out_of_service)
    after = after.where(before != NOT_CONNECTED, NOT_CONNECTED)
    loses = after.map(_RANK).fillna(-1) < before.map(_RANK).fillna(-1)
    return pd.DataFrame({"scheme_id": net.fhtc_scheme, "before": before, "supply_status": after,
                         "loses_supply": loses.astype(bool)})


def hydraulic_function() -> Any:
    try:
        module = importlib.import_module("jalnet.hydraulics.service")
    except ModuleNotFoundError as err:
        if err.name not in ("jalnet.hydraulics", "jalnet.hydraulics.service"):
            raise InputError(f"the hydraulic method needs Python package '{err.name}', which is not installed; "
                             "install it or use the connectivity method") from None
        module = None
    func = getattr(module, "households_below_pressure", None)
    if func is None:
        raise InputError("the hydraulic method needs the hydraulics engine "
                         "(jalnet.hydraulics.service.households_below_pressure), which this JalNet does not have; "
                         "use the connectivity method")
    return func


def _ids(result: Any, scheme: str) -> set[str]:
    if isinstance(result, pd.DataFrame):
        if "fhtc_id" in result.columns:
            return {str(v) for v in result["fhtc_id"]}
        return {str(v) for v in result.index}
    if isinstance(result, pd.Series):
        return {str(k) for k, v in result.items() if bool(v)} if result.dtype == bool else {str(v) for v in result}
    if isinstance(result, Iterable) and not isinstance(result, (str, bytes)):
        return {str(v) for v in result}
    raise InputError(f"the hydraulics engine returned {type(result).__name__} for scheme {scheme}; "
                     "expected the fhtc_id of households below service pressure")


def households_losing_supply(
    registry: Any,
    out_of_service: OutOfService,
    method: str = "connectivity",
    *,
    assets: Assets | None = None,
    network: SupplyNetwork | None = None,
    dem: str | None = None,
) -> pd.DataFrame:
    """Households (index fhtc_id) that lose supply with *out_of_service* assets out.

    Columns ``scheme_id``, ``supply_status`` and ``loses_supply``. *registry* is an open
    :class:`~jalnet.registry.Registry` (the hydraulic method builds its model from it);
    pass *assets* / *network* when they are already loaded. *dem* gives the hydraulic method
    the ground levels of junctions the registry has none for.
    """
    if method not in METHODS:
        raise InputError(f"unknown method '{method}'; use {' or '.join(METHODS)}")
    if method == "connectivity":
        if network is None:
            network = build_network(assets if assets is not None else read_assets(registry))
        return connectivity_loss(network, out_of_service)
    func = hydraulic_function()
    if assets is None:
        assets = read_assets(registry)
    fhtc = assets.layers["fhtc"]
    frame = pd.DataFrame({"scheme_id": fhtc["scheme_id"].to_numpy(dtype=object),
                          "supply_status": SUPPLIED, "loses_supply": False},
                         index=pd.Index(fhtc["fhtc_id"].astype(str).to_numpy(), name="fhtc_id"))
    if not any(list(v) for v in out_of_service.values()):
        return frame
    for scheme in sorted({str(s) for s in frame["scheme_id"].dropna()}):
        low = _ids(func(registry, scheme, out_of_service, dem=dem), scheme) & set(frame.index)
        frame.loc[list(low), ["supply_status", "loses_supply"]] = [BELOW_PRESSURE, True]
    return frame

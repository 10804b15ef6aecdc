"""A WNTR model of one scheme, built from the registry's asset layers.

Pipes, junctions, sources (reservoirs), tanks, pumps and valves come from their layers;
connectivity from the pipes' end nodes (or, where those are empty, from the snapped
geometry); elevations from the layers or a DEM; roughness from the pipe or from the
material/age table; demand from the household taps (or the demands an imported .inp
carried). What an EPANET model holds beyond the layers comes from the ``hyd_*`` tables
(see :mod:`jalnet.hydraulics.extras`). Every problem that would make a simulation wrong
is refused here, naming the asset, before anything runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..gcpause import paused_gc
from ..pandas_text import python_strings
from ..registry import Registry, borrow
from . import demand as demand_mod
from .dem import sample_bilinear
from .extras import Element, ModelExtras, curve_to_si, read_extras
from .roughness import is_missing, load_table, roughness_for
from .wntr_compat import apply_properties, require_wntr, set_labels, set_options

NODE_LAYERS = ("junctions", "tanks", "sources")
SCHEME_LAYERS = ("junctions", "tanks", "sources", "pipes", "pumps", "valves", "fhtc")
DEMAND_PATTERN = "jalnet-demand"
ISOLATION_VALVES = ("sluice", "butterfly")
CONTROL_VALVES = {"prv": "PRV", "psv": "PSV", "fcv": "FCV", "tcv": "TCV"}
_NOT_IN_ID = re.compile(r'[ ;\t"]')
EPANET_ID_MAX = 31


@dataclass
class BuildParams:
    """Everything an engineer may change about how a model is built (all have defaults)."""

    lpcd: float | None = None  # default: the scheme's lpcd, else 55
    persons_per_household: float | None = None  # default: each tap's persons, else default_persons
    default_persons: float = demand_mod.PERSONS_DEFAULT
    demand_statuses: tuple[str, ...] = ("functional", "unknown")
    demand_source: str = "auto"  # auto | fhtc | stored
    supply_hours: float | None = None  # default: the scheme's supply_hours, else 24
    supply_windows: str | None = None  # e.g. "06:00-10:00,17:00-21:00"
    roughness_table: str | None = None
    reference_date: str | None = None  # pipe ages are counted to this date (default today)
    headloss: str | None = None  # H-W (default), D-W, C-M; imported models keep theirs
    minor_loss: float = 0.0
    snap_tolerance_m: float = 1.0
    exclude_status: tuple[str, ...] = ("non_functional", "abandoned")
    drop_disconnected: bool = False
    pipe_length: str = "auto"  # auto | geometry | attribute
    pump_start_fraction: float = 0.5  # a pump filling a tank starts below this fraction of its range
    pump_stop_margin_m: float = 0.1  # ...and stops this far below the full level

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> BuildParams:
        values = dict(values or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in values if k not in known]
        if unknown:
            raise InputError(f"unknown model parameter(s) {', '.join(unknown)}; known: {', '.join(known)}")
        out = {}
        for name, value in values.items():
            default = known[name].default
            if value is None:
                out[name] = None
            elif isinstance(default, tuple):
                out[name] = tuple(str(v) for v in (value.split(",") if isinstance(value, str) else value))
            elif isinstance(default, bool):
                out[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            elif isinstance(default, float) or name in ("lpcd", "persons_per_household", "supply_hours"):
                try:
                    out[name] = float(value)
                except (TypeError, ValueError):
                    raise InputError(f"model parameter {name}={value!r} is not a number") from None
            else:
                out[name] = str(value)
        params = cls(**out)
        params.check()
        return params

    def check(self) -> None:
        if self.demand_source not in ("auto", "fhtc", "stored"):
            raise InputError(f"demand_source={self.demand_source}: use auto, fhtc or stored")
        if self.pipe_length not in ("auto", "geometry", "attribute"):
            raise InputError(f"pipe_length={self.pipe_length}: use auto, geometry or attribute")
        if self.headloss is not None and self.headloss not in ("H-W", "D-W", "C-M"):
            raise InputError(f"headloss={self.headloss}: use H-W, D-W or C-M")
        if self.supply_hours is not None and not 0 < self.supply_hours <= 24:
            raise InputError(f"supply_hours={self.supply_hours}: give hours of supply per day, above 0 and up to 24")
        if self.lpcd is not None and self.lpcd < 0:
            raise InputError(f"lpcd={self.lpcd} must not be negative")


def parse_params(items: list[str] | str) -> dict[str, Any]:
    """'KEY=VALUE' items (a list, or one text separated by ';' or new lines) as a dict; values are
    JSON when they parse as JSON (numbers, lists, objects), else text."""
    import json

    if isinstance(items, str):
        items = [part for chunk in items.splitlines() for part in chunk.split(";")]
    out: dict[str, Any] = {}
    for item in items:
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"parameter '{item.strip()}': write KEY=VALUE, e.g. lpcd=70")
        try:
            out[name.strip()] = json.loads(value.strip())
        except ValueError:
            out[name.strip()] = value.strip()
    return out


@dataclass
class BuildReport:
    """How the model was made, and how model elements map back to registry assets."""

    scheme: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    elevations_from_dem: list[str] = field(default_factory=list)
    roughness_from_table: int = 0
    lengths_from_geometry: int = 0
    demand_source: str = "fhtc"
    households: int = 0
    persons: float = 0.0
    demand_lps: float = 0.0
    peak_factor: float = demand_mod.PEAK_FACTOR_CONTINUOUS
    intermittent: bool = False
    growth_factor: float | None = None  # design population / persons served, when known
    #: model name -> (layer, asset_id); generated elements point at the asset they stand for
    node_assets: dict[str, tuple[str, str]] = field(default_factory=dict)
    link_assets: dict[str, tuple[str, str]] = field(default_factory=dict)
    node_xy: dict[str, tuple[float, float]] = field(default_factory=dict)
    link_geoms: dict[str, Any] = field(default_factory=dict)
    #: junction asset id -> model node it was merged into (a tank or source at the same place)
    merged: dict[str, str] = field(default_factory=dict)
    #: taps with their junction: fhtc_id, village_id, persons, counted, demand_lps, node, distance_m, geometry
    allocation: gpd.GeoDataFrame | None = None
    #: isolation valves for segments: valve_id, link, node (model names)
    valve_layer: pd.DataFrame | None = None
    crs: Any = None


@dataclass
class SchemeData:
    """The registry rows of one scheme."""

    scheme: str
    row: dict[str, Any] | None
    layers: dict[str, gpd.GeoDataFrame]
    extras: ModelExtras
    crs: Any


def load_schemes(reg: Registry, schemes: list[str]) -> dict[str, SchemeData]:
    """Read the layers of several schemes at once (one query per layer)."""
    with paused_gc(), python_strings():  # tens of thousands of rows and model properties become objects here
        return _load_schemes(reg, schemes)


def _load_schemes(reg: Registry, schemes: list[str]) -> dict[str, SchemeData]:
    where = {"scheme_id": list(schemes)}
    frames = {name: reg.read(name, where=where) for name in SCHEME_LAYERS}
    rows = _by_scheme(reg.read("schemes", where=where), schemes)
    extras = read_extras(reg, list(schemes))
    by_scheme = {name: _by_scheme(frame, schemes) for name, frame in frames.items()}
    out = {}
    for scheme in schemes:
        layers = {name: groups[scheme] for name, groups in by_scheme.items()}
        match = rows[scheme]
        row = None
        if not match.empty:
            row = match.astype(object).where(match.notna(), None).iloc[0].to_dict()
        out[scheme] = SchemeData(scheme, row, layers, extras[scheme], reg.crs)
    return out


def _by_scheme(frame: gpd.GeoDataFrame, schemes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """A layer read for *schemes*, split by scheme in one pass."""
    if len(schemes) == 1:
        return {schemes[0]: frame}  # the read already kept only this scheme
    groups = {key: frame.iloc[rows] for key, rows in frame.groupby("scheme_id", sort=False).indices.items()}
    return {s: groups.get(s, frame.iloc[0:0]) for s in schemes}


def scheme_ids(reg: Registry) -> list[str]:
    """Every scheme with pipes, in the schemes layer's order first."""
    listed = [s for s in reg.read("schemes")["scheme_id"].tolist() if isinstance(s, str)]
    with_pipes = sorted({s for s in reg.read("pipes")["scheme_id"].dropna().tolist()})
    return [s for s in listed if s in with_pipes] + [s for s in with_pipes if s not in listed]


def open_target(registry: Registry | str | os.PathLike) -> tuple[Registry, bool]:
    """A Registry and whether we opened it (and so must close it)."""
    return borrow(registry, readonly=True)


def build_model(registry: Registry | str | os.PathLike, scheme: str, dem: str | os.PathLike | None = None,
                params: BuildParams | dict[str, Any] | None = None, feedback: Feedback | None = None
                ) -> tuple[Any, BuildReport]:
    """The WNTR WaterNetworkModel of *scheme*, and a report of how it was made."""
    reg, close = open_target(registry)
    try:
        data = load_schemes(reg, [scheme])[scheme]
    finally:
        if close:
            reg.close()
    return build_from_data(data, dem, params, feedback)


def build_from_data(data: SchemeData, dem: str | os.PathLike | None = None,
                    params: BuildParams | dict[str, Any] | None = None, feedback: Feedback | None = None
                    ) -> tuple[Any, BuildReport]:
    if not isinstance(params, BuildParams):
        params = BuildParams.from_dict(params)
    if all(data.layers[n].empty for n in ("pipes", "junctions")) and data.row is None:
        raise InputError(f"scheme '{data.scheme}' is not in the registry (no schemes row, junctions or pipes)")
    with paused_gc(), python_strings():
        return _Builder(data, dem, params, feedback).build()


_NODE_KEYS = {"junctions": "node_id", "tanks": "tank_id", "sources": "source_id"}


def _xy(frame: gpd.GeoDataFrame, layer: str) -> np.ndarray:
    """(x, y) of a node layer's features, row for row (one array call: per-feature Point.x costs
    more than adding the node to the model); a feature without a point is refused by name."""
    geoms = np.asarray(frame.geometry.values)
    if not len(geoms):
        return np.zeros((0, 2))
    xy = np.full((len(geoms), 2), np.nan)
    coords, row = shapely.get_coordinates(geoms, return_index=True)  # none for a missing or empty point
    xy[row] = coords
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        raise InputError(f"{layer} {frame[_NODE_KEYS[layer]].iloc[bad[0]]} has no point geometry; place it on the map "
                         "or delete it")
    return xy


# =========================================================================================
class _Builder:
    def __init__(self, data: SchemeData, dem: Any, params: BuildParams, feedback: Feedback | None) -> None:
        self.wntr = require_wntr()
        self.data = data
        self.dem = str(dem) if dem is not None else None
        self.p = params
        self.feedback = feedback
        self.x = data.extras
        self.report = BuildReport(data.scheme, crs=data.crs)
        self.wn = self.wntr.network.WaterNetworkModel()
        self.layers = {n: self._in_service(n, f) for n, f in data.layers.items()}
        self.lookup: dict[str, str] = {}  # asset id of any node -> model node name
        self.node_kind: dict[str, str] = {}  # model name -> Junction/Tank/Reservoir
        model = self.x.model or {}
        self.headloss = self.p.headloss or model.get("headloss") or "H-W"
        self.native_pumps: list[str] = []
        self._snap_nodes: tuple[list[str], np.ndarray] | None = None

    # -- helpers ----------------------------------------------------------------------------
    def _in_service(self, name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if "status" not in frame.columns or name == "fhtc":
            return frame
        keep = ~frame["status"].isin(list(self.p.exclude_status))
        return frame[keep.to_numpy()]

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)

    def element(self, layer: str, asset_id: str) -> Element | None:
        return self.x.elements.get((layer, asset_id))

    def model_name(self, layer: str, asset_id: str) -> str:
        el = self.element(layer, asset_id)
        name = el.model_name if el is not None and el.model_name else asset_id
        if not name or len(name) > EPANET_ID_MAX or _NOT_IN_ID.search(name):
            raise InputError(
                f"{layer} {asset_id}: '{name}' cannot be an EPANET ID (at most {EPANET_ID_MAX} characters, no spaces "
                "or semicolons); shorten the ID"
            )
        return name

    def props(self, layer: str, asset_id: str) -> dict[str, Any]:
        """The stored properties (read, never changed)."""
        el = self.element(layer, asset_id)
        return el.properties if el is not None else {}

    # -- the build --------------------------------------------------------------------------
    def build(self) -> tuple[Any, BuildReport]:
        steps = Steps(self.feedback, 7)
        steps.next(f"scheme {self.data.scheme}: options, patterns and curves")
        self._options()
        self._patterns_and_curves()
        steps.next("nodes and elevations")
        self._nodes()
        steps.next("pipes")
        self._pipes()
        steps.next("pumps and valves")
        self._pumps()
        self._valves()
        steps.next("demand")
        self._demand()
        steps.next("controls and quality sources")
        self._controls()
        steps.next("checking connectivity")
        self._connectivity()
        r = self.report
        r.counts = {"junctions": self.wn.num_junctions, "tanks": self.wn.num_tanks,
                    "reservoirs": self.wn.num_reservoirs, "pipes": self.wn.num_pipes, "pumps": self.wn.num_pumps,
                    "valves": self.wn.num_valves, "patterns": self.wn.num_patterns, "curves": self.wn.num_curves,
                    "controls": len(self.wn.control_name_list)}
        steps.done()
        if self.feedback is not None:
            for message in r.warnings:
                self.feedback.warning(message)
        return self.wn, r

    # -- options, patterns, curves ------------------------------------------------------------
    def _options(self) -> None:
        model = self.x.model
        opts = self.wn.options
        if model is not None and model.get("options"):
            set_options(self.wn, model["options"], self.report.warnings)
        else:
            opts.time.duration = 24 * 3600
            opts.time.hydraulic_timestep = 900
            opts.time.quality_timestep = 300
            opts.time.pattern_timestep = 3600
            opts.time.report_timestep = 3600
            opts.hydraulic.demand_model = "DDA"
            opts.quality.parameter = "NONE"
        opts.hydraulic.headloss = self.headloss
        units = (model or {}).get("flow_units") or "LPS"
        opts.hydraulic.inpfile_units = units
        if model is not None and model.get("title"):
            self.wn.title = str(model["title"]).splitlines()
        if model is not None:
            set_labels(self.wn, (model.get("extras") or {}).get("labels", []))

    def _patterns_and_curves(self) -> None:
        for name, values in self.x.patterns.items():
            self.wn.add_pattern(name, values)
        for name, (ctype, points) in self.x.curves.items():
            self.wn.add_curve(name, ctype, curve_to_si(ctype, points))

    # -- nodes --------------------------------------------------------------------------------
    def _nodes(self) -> None:
        J, T, S = self.layers["junctions"], self.layers["tanks"], self.layers["sources"]
        ids: dict[str, str] = {}
        for layer, key in _NODE_KEYS.items():
            for asset_id in self.layers[layer][key]:
                if asset_id in ids:
                    raise InputError(f"node ID {asset_id} is used in both {ids[asset_id]} and {layer}; node IDs must "
                                     "be unique across junctions, tanks and sources within a scheme")
                ids[asset_id] = layer
        self._elevations(J, T)
        referenced = set(self.layers["pipes"]["from_node"].dropna()) | set(self.layers["pipes"]["to_node"].dropna())
        pumped = set(self.layers["pumps"]["source_id"].dropna())
        for el in self.x.elements.values():
            if el.layer in ("pumps", "valves"):
                referenced |= {el.start_node, el.end_node}
        # tanks and sources placed on a junction, that no pipe names, stand in for that junction
        absorb: dict[int, str] = {}
        jxy = _xy(J, "junctions")
        for layer, frame in (("tanks", T), ("sources", S)):
            for asset_id, (x, y) in zip(frame[_NODE_KEYS[layer]], _xy(frame, layer).tolist()):
                if asset_id in referenced or len(J) == 0 or (layer == "sources" and asset_id in pumped):
                    continue
                d = np.hypot(jxy[:, 0] - x, jxy[:, 1] - y)
                k = int(np.argmin(d))
                if d[k] <= self.p.snap_tolerance_m and k not in absorb:
                    absorb[k] = self.model_name(layer, asset_id)
        elev = self.elev["junctions"]
        for k, (node_id, (x, y)) in enumerate(zip(J["node_id"], jxy.tolist())):
            if k in absorb:
                self.lookup[node_id] = absorb[k]
                self.report.merged[node_id] = absorb[k]
                continue
            name = self.model_name("junctions", node_id)
            self._add("node", name, self.wn.add_junction, name, base_demand=0.0, elevation=float(elev[node_id]),
                      coordinates=(x, y))
            node = self.wn.get_node(name)
            node.demand_timeseries_list.clear()
            props = self.props("junctions", node_id)
            if props:
                apply_properties(node, props, f"junction {node_id}", self.report.warnings)
            self._register_node(name, "junctions", node_id, x, y, "Junction")
        for row, xy in zip(S.itertuples(), _xy(S, "sources").tolist()):
            self._add_reservoir(row, *xy)
        for row, xy in zip(T.itertuples(), _xy(T, "tanks").tolist()):
            self._add_tank(row, *xy)

    def _register_node(self, name: str, layer: str, asset_id: str, x: float, y: float, kind: str) -> None:
        self.lookup[asset_id] = name
        self.node_kind[name] = kind
        self.report.node_assets[name] = (layer, asset_id)
        self.report.node_xy[name] = (x, y)

    def _elevations(self, J: gpd.GeoDataFrame, T: gpd.GeoDataFrame) -> None:
        """Elevation of every junction and tank floor, from the layer or the DEM."""
        self.elev: dict[str, dict[str, float]] = {"junctions": {}, "tanks": {}}
        need: list[tuple[str, str, float, float]] = []
        for layer, frame, key, col in (("junctions", J, "node_id", "elevation_m"), ("tanks", T, "tank_id",
                                                                                     "ground_elev_m")):
            for asset_id, value, (x, y) in zip(frame[key], frame[col], _xy(frame, layer).tolist()):
                if is_missing(value):
                    value = self.props(layer, asset_id).get("elevation")
                if is_missing(value):
                    need.append((layer, asset_id, x, y))
                else:
                    self.elev[layer][asset_id] = float(value)
        if not need:
            return
        if self.dem is None:
            names = ", ".join(f"{layer} {a}" for layer, a, *_ in need[:5])
            raise InputError(f"{len(need)} node(s) have no elevation ({names}{'…' if len(need) > 5 else ''}); "
                             "fill elevation_m / ground_elev_m, or give a DEM to take them from (--dem; in QGIS, the "
                             "DEM field)")
        z = sample_bilinear(self.dem, np.array([n[2] for n in need]), np.array([n[3] for n in need]), self.data.crs)
        bad = [need[i] for i in np.flatnonzero(np.isnan(z))]
        if bad:
            names = ", ".join(f"{layer} {a} ({x:.1f}, {y:.1f})" for layer, a, x, y in bad[:5])
            raise InputError(f"DEM {self.dem} does not cover {len(bad)} node(s) without an elevation, or has nodata "
                             f"there: {names}; give a DEM that covers the scheme or fill their elevations")
        for (layer, asset_id, *_), value in zip(need, z):
            self.elev[layer][asset_id] = float(value)
            self.report.elevations_from_dem.append(f"{layer}/{asset_id}")

    def _add_reservoir(self, row: Any, x: float, y: float) -> None:
        props = self.props("sources", row.source_id)
        head = row.head_m if not is_missing(row.head_m) else props.get("base_head")
        if is_missing(head):
            raise InputError(
                f"source {row.source_id} has no head_m: give the hydraulic head the source supplies (m above MSL; "
                "for a borewell, ground elevation minus the pumping water level)"
            )
        name = self.model_name("sources", row.source_id)
        self._add("node", name, self.wn.add_reservoir, name, base_head=float(head),
                  head_pattern=props.get("head_pattern_name"), coordinates=(x, y))
        node = self.wn.get_node(name)
        apply_properties(node, {k: v for k, v in props.items() if k not in ("base_head", "head_pattern_name")},
                         f"source {row.source_id}", self.report.warnings)
        self._register_node(name, "sources", row.source_id, x, y, "Reservoir")

    def _add_tank(self, row: Any, x: float, y: float) -> None:
        props = self.props("tanks", row.tank_id)
        label = f"tank {row.tank_id}"
        levels = {}
        for col, key in (("min_level_m", "min_level"), ("max_level_m", "max_level"), ("init_level_m", "init_level")):
            value = getattr(row, col)
            levels[key] = props.get(key) if is_missing(value) else float(value)
        if is_missing(levels["min_level"]) or is_missing(levels["max_level"]):
            raise InputError(f"{label} has no min_level_m/max_level_m; give the tank's operating levels above its "
                             "floor (m) before simulating")
        if levels["max_level"] <= levels["min_level"]:
            raise InputError(f"{label}: max_level_m {levels['max_level']} must be above min_level_m "
                             f"{levels['min_level']}")
        if is_missing(levels["init_level"]):
            levels["init_level"] = levels["max_level"]
            self.warn(f"{label} has no init_level_m; simulations start it full ({levels['max_level']} m)")
        staging = row.staging_m
        if is_missing(staging):
            if row.tank_type == "OHT":
                raise InputError(f"{label} is an overhead tank without staging_m (ground to tank floor, m); fill it")
            staging = 0.0
        elevation = self.elev["tanks"][row.tank_id] + float(staging)
        diameter = row.diameter_m if not is_missing(row.diameter_m) else props.get("diameter")
        vol_curve = props.get("vol_curve_name")
        if is_missing(diameter) or (not diameter and not vol_curve):
            if not is_missing(row.capacity_kl) and row.capacity_kl > 0:
                diameter = math.sqrt(4 * float(row.capacity_kl) / (math.pi * (levels["max_level"] - levels["min_level"])))
            elif vol_curve:
                diameter = 0.0
            else:
                raise InputError(f"{label} has neither diameter_m nor capacity_kl; give one")
        name = self.model_name("tanks", row.tank_id)
        self._add("node", name, self.wn.add_tank, name, elevation=elevation, init_level=levels["init_level"],
                  min_level=levels["min_level"], max_level=levels["max_level"], diameter=float(diameter),
                  min_vol=float(props.get("min_vol") or 0.0), vol_curve=vol_curve,
                  overflow=bool(props.get("overflow", False)), coordinates=(x, y))
        node = self.wn.get_node(name)
        rest = {k: v for k, v in props.items() if k not in ("min_vol", "vol_curve_name", "overflow", "elevation",
                                                            "diameter", "min_level", "max_level", "init_level")}
        apply_properties(node, rest, label, self.report.warnings)
        self._register_node(name, "tanks", row.tank_id, x, y, "Tank")

    # -- pipes ----------------------------------------------------------------------------------
    def _end(self, pipe_id: str, given: Any, point: list[float]) -> str:
        """The model node at one end of a pipe: the named node, else the node its end (x, y) is snapped to."""
        if isinstance(given, str) and given:
            if given not in self.lookup:
                raise InputError(f"pipe {pipe_id} ends at node {given}, which is not a junction, tank or source of "
                                 f"scheme {self.data.scheme} in service; add the node or correct from_node/to_node")
            return self.lookup[given]
        if self._snap_nodes is None:  # every node is in by now
            listed = list(self.report.node_xy)
            self._snap_nodes = (listed, np.array([self.report.node_xy[n] for n in listed]).reshape(-1, 2))
        names, xy = self._snap_nodes
        x, y = float(point[0]), float(point[1])
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        k = int(np.argmin(d))
        if d[k] > self.p.snap_tolerance_m:
            raise InputError(
                f"pipe {pipe_id}: its end at ({x:.2f}, {y:.2f}) is {d[k]:.2f} m from the nearest node "
                f"({self.report.node_assets[names[k]][1]}); snap the network (jalnet network) or fill from_node/to_node"
            )
        return names[k]

    def _pipes(self) -> None:
        P = self.layers["pipes"]
        if P.empty:
            raise InputError(f"scheme {self.data.scheme} has no pipes in service to model")
        today = dt.date.fromisoformat(self.p.reference_date) if self.p.reference_date else dt.date.today()
        table = load_table(self.p.roughness_table)
        self.rising: set[str] = set()
        self.pipe_rows: dict[str, Any] = {}
        geoms = np.asarray(P.geometry.values)
        xy, owner = shapely.get_coordinates(geoms, return_index=True)
        first = np.searchsorted(owner, np.arange(len(P))).tolist()
        last = (np.searchsorted(owner, np.arange(len(P)), side="right") - 1).tolist()
        ends = xy.tolist()
        lengths = shapely.length(geoms).tolist()
        for k, row in enumerate(P.drop(columns=P.geometry.name).itertuples()):
            pid = row.pipe_id
            props = self.props("pipes", pid)
            label = f"pipe {pid}"
            if last[k] <= first[k]:
                raise InputError(f"{label} has an empty geometry; draw it or delete it")
            a = self._end(pid, row.from_node, ends[first[k]])
            b = self._end(pid, row.to_node, ends[last[k]])
            if a == b:
                raise InputError(f"{label} starts and ends at the same node ({a}); delete it or correct its ends")
            diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else props.get("diameter")
            if is_missing(diameter) or diameter <= 0:
                raise InputError(f"{label} has no diameter_mm; fill it before simulating")
            length = self._length(row, props, lengths[k])
            roughness = self._roughness(row, props, table, today)
            minor = row.minor_loss if not is_missing(row.minor_loss) else props.get("minor_loss", self.p.minor_loss)
            status = props.get("initial_status", "OPEN")
            name = self.model_name("pipes", pid)
            self._add("link", name, self.wn.add_pipe, name, a, b, length=float(length), diameter=float(diameter),
                      roughness=float(roughness), minor_loss=float(minor or 0.0), initial_status=status,
                      check_valve=bool(props.get("check_valve", False)))
            link = self.wn.get_link(name)
            if props:
                rest = {k: v for k, v in props.items() if k not in ("diameter", "length", "roughness", "minor_loss",
                                                                    "initial_status", "check_valve")}
                apply_properties(link, rest, label, self.report.warnings)
            if last[k] - first[k] > 1:
                link.vertices = [tuple(c) for c in ends[first[k] + 1 : last[k]]]
            self.report.link_assets[name] = ("pipes", pid)
            self.report.link_geoms[name] = geoms[k]
            self.pipe_rows[name] = row
            if row.pipe_function == "rising_main":
                self.rising.add(name)

    def _length(self, row: Any, props: dict[str, Any], geom_len: float) -> float:
        attr = row.length_m if not is_missing(row.length_m) else props.get("length")
        mode = self.p.pipe_length
        if mode == "auto":
            mode = "attribute" if row.geom_source == "epanet" and not is_missing(attr) else "geometry"
        if mode == "geometry" and geom_len > 0:
            self.report.lengths_from_geometry += 1
            if not is_missing(attr) and abs(attr - geom_len) > 0.1 * geom_len and attr > 0:
                self.warn(f"pipe {row.pipe_id}: length_m {attr:.1f} differs from its drawn length {geom_len:.1f} m by "
                          "more than 10 %; the drawn length is used")
            return geom_len
        if is_missing(attr) or attr <= 0:
            raise InputError(f"pipe {row.pipe_id} has no length: no length_m and a zero-length geometry")
        return float(attr)

    def _roughness(self, row: Any, props: dict[str, Any], table: dict, today: dt.date) -> float:
        if self.headloss == "H-W" and not is_missing(row.roughness):
            return float(row.roughness)
        if not is_missing(props.get("roughness")):
            return float(props["roughness"])
        if self.headloss != "H-W" and not is_missing(row.roughness):
            self.warn(f"pipe {row.pipe_id}: roughness {row.roughness} is a Hazen-Williams C but the model uses "
                      f"{self.headloss}; the material table is used instead")
        self.report.roughness_from_table += 1
        return roughness_for(row.material, row.laid_date, self.headloss, table, today)

    # -- pumps ----------------------------------------------------------------------------------
    def _pumps(self) -> None:
        for row in self.layers["pumps"].itertuples():
            props = self.props("pumps", row.pump_id)
            el = self.element("pumps", row.pump_id)
            label = f"pump {row.pump_id}"
            name = self.model_name("pumps", row.pump_id)
            ptype = str(props.get("pump_type") or "").upper()
            curve = props.get("pump_curve_name")
            if ptype == "HEAD" and curve:
                if curve not in self.wn.curve_name_list:
                    raise InputError(f"{label} uses curve {curve}, which is not in hyd_curves of the scheme")
                param, ptype = curve, "HEAD"
            elif not is_missing(row.design_flow_lps) and not is_missing(row.design_head_m) and row.design_flow_lps > 0:
                param = f"{name}-H" if name in self.wn.curve_name_list else name
                self.wn.add_curve(param, "HEAD", [(row.design_flow_lps / 1000.0, float(row.design_head_m))])
                ptype = "HEAD"
            elif not is_missing(row.power_kw) and row.power_kw > 0:
                param, ptype = float(row.power_kw) * 1000.0, "POWER"
            elif not is_missing(props.get("power")):
                param, ptype = float(props["power"]), "POWER"
            else:
                raise InputError(f"{label} has no curve, no design point (design_flow_lps and design_head_m) and no "
                                 "power_kw; give one of them")
            if el is not None and el.start_node and el.end_node:
                a, b = self._node_of(label, el.start_node), self._node_of(label, el.end_node)
            else:
                a, b = self._native_pump_ends(row)
            self._add("link", name, self.wn.add_pump, name, a, b, pump_type=ptype, pump_parameter=param,
                      speed=float(props.get("base_speed", 1.0) or 1.0), pattern=props.get("speed_pattern_name"),
                      initial_status=props.get("initial_status", "OPEN"))
            link = self.wn.get_link(name)
            rest = {k: v for k, v in props.items() if k not in ("pump_type", "pump_curve_name", "power", "base_speed",
                                                                "speed_pattern_name", "initial_status", "efficiency")}
            apply_properties(link, rest, label, self.report.warnings)
            efficiency = props.get("efficiency")
            if isinstance(efficiency, str):
                if efficiency not in self.wn.curve_name_list:
                    raise InputError(f"{label} uses efficiency curve {efficiency}, which is not in hyd_curves")
                link.efficiency = self.wn.get_curve(efficiency)
            link.vertices = [tuple(v) for v in props.get("vertices", [])]
            self.report.link_assets[name] = ("pumps", row.pump_id)
            self.report.link_geoms[name] = LineString([self.report.node_xy[a], *link.vertices, self.report.node_xy[b]])
            if el is None or not el.start_node:
                self.native_pumps.append(name)

    def _node_of(self, label: str, asset_id: str) -> str:
        if asset_id not in self.lookup:
            raise InputError(f"{label} connects node {asset_id}, which is not a node of the scheme in service")
        return self.lookup[asset_id]

    def _native_pump_ends(self, row: Any) -> tuple[str, str]:
        label = f"pump {row.pump_id}"
        pt = row.geometry
        if isinstance(row.source_id, str) and row.source_id:
            a = self._node_of(label, row.source_id)
        else:
            a = self._nearest(pt, ("Reservoir", "Tank"), label, "source or tank to draw from (set source_id)")
        b = self._nearest(pt, ("Junction",), label, "junction to deliver into", exclude=a)
        return a, b

    def _nearest(self, pt: Point, kinds: tuple[str, ...], label: str, what: str, exclude: str | None = None) -> str:
        best, best_d = None, math.inf
        for name, kind in self.node_kind.items():
            if kind not in kinds or name == exclude:
                continue
            x, y = self.report.node_xy[name]
            d = math.hypot(x - pt.x, y - pt.y)
            if d < best_d:
                best, best_d = name, d
        if best is None or best_d > self.p.snap_tolerance_m:
            raise InputError(f"{label}: no {what} within {self.p.snap_tolerance_m} m of the pump; place the pump on the "
                             "node where its rising main starts")
        return best

    # -- valves ---------------------------------------------------------------------------------
    def _valves(self) -> None:
        iso_rows = []
        for row in self.layers["valves"].itertuples():
            el = self.element("valves", row.valve_id)
            if el is not None and el.start_node and el.end_node:
                self._model_valve(row, el)
                continue
            vtype = row.valve_type
            pipe = self._pipe_of_valve(row)
            if pipe is None:
                continue
            if vtype in CONTROL_VALVES:
                self._split_for_valve(row, pipe)
            elif vtype == "non_return":
                self.wn.get_link(pipe).check_valve = True
            elif vtype in ISOLATION_VALVES:
                link = self.wn.get_link(pipe)
                along = shapely.line_locate_point(self.report.link_geoms[pipe], row.geometry)
                near = link.start_node_name if along <= self.report.link_geoms[pipe].length / 2 else link.end_node_name
                iso_rows.append({"valve_id": row.valve_id, "link": pipe, "node": near})
                if row.normal_status == "closed":
                    link.initial_status = "CLOSED"
        self.report.valve_layer = pd.DataFrame(iso_rows, columns=["valve_id", "link", "node"])

    def _pipe_of_valve(self, row: Any) -> str | None:
        by_id = {r.pipe_id: name for name, r in self.pipe_rows.items()}
        if isinstance(row.pipe_id, str) and row.pipe_id:
            if row.pipe_id in by_id:
                return by_id[row.pipe_id]
            self.warn(f"valve {row.valve_id} sits on pipe {row.pipe_id}, which is not in the model; valve ignored")
            return None
        names = list(self.pipe_rows)
        if not names:
            return None
        geoms = np.array([self.report.link_geoms[n] for n in names], dtype=object)
        d = shapely.distance(geoms, row.geometry)
        k = int(np.argmin(d))
        if d[k] > self.p.snap_tolerance_m:
            self.warn(f"valve {row.valve_id} has no pipe_id and no pipe within {self.p.snap_tolerance_m} m; ignored")
            return None
        return names[k]

    def _valve_setting(self, row: Any, vtype: str, props: dict[str, Any]) -> float:
        if is_missing(row.setting):
            value = props.get("initial_setting")
            if is_missing(value):
                raise InputError(f"valve {row.valve_id} ({vtype}) has no setting: give the pressure (m) for a PRV/PSV, "
                                 "the flow (l/s) for an FCV or the loss coefficient for a TCV")
            return float(value)
        return float(row.setting) / 1000.0 if vtype == "FCV" else float(row.setting)

    def _model_valve(self, row: Any, el: Element) -> None:
        props = dict(el.properties)
        label = f"valve {row.valve_id}"
        a, b = self._node_of(label, el.start_node), self._node_of(label, el.end_node)
        vtype = str(props.get("valve_type") or CONTROL_VALVES.get(row.valve_type, "")).upper()
        if vtype not in ("PRV", "PSV", "PBV", "FCV", "TCV", "GPV"):
            raise InputError(f"{label}: valve_type {row.valve_type} is not a control valve EPANET can model")
        diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else props.get("diameter")
        if is_missing(diameter) or diameter <= 0:
            raise InputError(f"{label} has no diameter_mm")
        setting = 0.0 if vtype == "GPV" else self._valve_setting(row, vtype, props)
        status = "CLOSED" if row.normal_status == "closed" else props.get("initial_status", "ACTIVE")
        name = self.model_name("valves", row.valve_id)
        self._add("link", name, self.wn.add_valve, name, a, b, diameter=float(diameter), valve_type=vtype,
                  minor_loss=float(props.get("minor_loss", 0.0) or 0.0), initial_setting=setting,
                  initial_status=status)
        link = self.wn.get_link(name)
        if vtype == "GPV" and props.get("headloss_curve_name"):
            link.headloss_curve_name = props["headloss_curve_name"]
        rest = {k: v for k, v in props.items() if k not in ("valve_type", "diameter", "minor_loss", "initial_setting",
                                                            "initial_status", "headloss_curve_name")}
        apply_properties(link, rest, label, self.report.warnings)
        link.vertices = [tuple(v) for v in props.get("vertices", [])]
        self.report.link_assets[name] = ("valves", row.valve_id)
        self.report.link_geoms[name] = LineString([self.report.node_xy[a], *link.vertices, self.report.node_xy[b]])

    def _split_for_valve(self, row: Any, pipe: str) -> None:
        """Cut the pipe at the valve and put the control valve between the two parts."""
        label = f"valve {row.valve_id}"
        vtype = CONTROL_VALVES[row.valve_type]
        setting = self._valve_setting(row, vtype, {})
        link = self.wn.get_link(pipe)
        geom = self.report.link_geoms[pipe]
        along = float(shapely.line_locate_point(geom, row.geometry))
        along = min(max(along, 0.02), geom.length - 0.02)
        pos = geom.interpolate(along)
        elevation = row.elevation_m
        if is_missing(elevation):
            start_node = self.wn.get_node(link.start_node_name)
            elevation = getattr(start_node, "elevation", None)
        if is_missing(elevation):
            raise InputError(f"{label} has no elevation_m; fill it")
        up, down = f"{row.valve_id}~u", f"{row.valve_id}~d"
        for node in (up, down):
            self._add("node", node, self.wn.add_junction, node, base_demand=0.0, elevation=float(elevation),
                      coordinates=(pos.x, pos.y))
            self.wn.get_node(node).demand_timeseries_list.clear()
            self.node_kind[node] = "Junction"
            self.report.node_assets[node] = ("valves", row.valve_id)
            self.report.node_xy[node] = (pos.x, pos.y)
        keep = {k: getattr(link, k) for k in ("diameter", "roughness", "initial_status", "check_valve", "bulk_coeff",
                                              "wall_coeff", "tag")}
        total, start, end, minor = link.length, link.start_node_name, link.end_node_name, link.minor_loss
        second = f"{pipe}~2"
        self.wn.remove_link(pipe)
        fraction = along / geom.length
        for name, a, b, length, loss in ((pipe, start, up, total * fraction, minor),
                                         (second, down, end, total * (1 - fraction), 0.0)):
            self._add("link", name, self.wn.add_pipe, name, a, b, length=length, diameter=keep["diameter"],
                      roughness=keep["roughness"], minor_loss=loss, initial_status=keep["initial_status"],
                      check_valve=keep["check_valve"])
            new = self.wn.get_link(name)
            new.bulk_coeff, new.wall_coeff, new.tag = keep["bulk_coeff"], keep["wall_coeff"], keep["tag"]
        diameter = row.diameter_mm / 1000.0 if not is_missing(row.diameter_mm) else keep["diameter"]
        status = "CLOSED" if row.normal_status == "closed" else "ACTIVE"
        name = self.model_name("valves", row.valve_id)
        self._add("link", name, self.wn.add_valve, name, up, down, diameter=float(diameter), valve_type=vtype,
                  initial_setting=setting, initial_status=status)
        self.report.link_geoms[pipe] = substring(geom, 0, along)
        self.report.link_geoms[second] = substring(geom, along, geom.length)
        self.report.link_assets[second] = self.report.link_assets[pipe]
        self.report.link_geoms[name] = LineString([(pos.x, pos.y), (pos.x, pos.y)])
        self.report.link_assets[name] = ("valves", row.valve_id)
        self.pipe_rows[second] = self.pipe_rows[pipe]
        if pipe in self.rising:
            self.rising.add(second)

    def _add(self, kind: str, name: str, func: Any, *args: Any, **kwargs: Any) -> None:
        """Add a model element; a name EPANET already has (links and nodes share ID spaces) is refused clearly."""
        try:
            func(*args, **kwargs)
        except ValueError as err:
            if "already" in str(err).lower() or "exists" in str(err).lower():
                raise InputError(f"ID {name} is used twice among the scheme's {kind}s (EPANET needs unique IDs across "
                                 f"{'pipes, pumps and valves' if kind == 'link' else 'junctions, tanks and sources'}); "
                                 "rename one") from None
            raise InputError(f"{kind} {name}: {err}") from None

    # -- demand ---------------------------------------------------------------------------------
    def _demand(self) -> None:
        stored = any("demand_timeseries_list" in el.properties for el in self.x.elements.values()
                     if el.layer == "junctions")
        source = self.p.demand_source
        if source == "auto":
            source = "stored" if stored else "fhtc"
        self.report.demand_source = source
        row = self.data.row or {}
        hours = self.p.supply_hours if self.p.supply_hours is not None else (row.get("supply_hours") or 24.0)
        windows = demand_mod.parse_windows(self.p.supply_windows) if self.p.supply_windows else \
            demand_mod.default_windows(float(hours))
        settings = demand_mod.DemandSettings(
            lpcd=float(self.p.lpcd if self.p.lpcd is not None else (row.get("lpcd") or demand_mod.LPCD_DEFAULT)),
            persons_per_household=self.p.persons_per_household, default_persons=self.p.default_persons,
            statuses=tuple(self.p.demand_statuses), supply_hours=float(hours), supply_windows=windows,
        )
        self.report.intermittent = settings.intermittent
        self.report.peak_factor = demand_mod.default_peak_factor(settings)
        if source == "stored":
            self._stored_demand()
        else:
            self._fhtc_demand(settings)
        design = row.get("design_population")
        if design and self.report.persons > 0:
            self.report.growth_factor = float(design) / self.report.persons

    def _stored_demand(self) -> None:
        total = 0.0
        patterns = set(self.wn.pattern_name_list)
        for name in self.wn.junction_name_list:
            layer, asset_id = self.report.node_assets[name]
            if layer != "junctions":
                continue
            items = self.props("junctions", asset_id).get("demand_timeseries_list") or []
            node = self.wn.get_node(name)
            for item in items:
                base = float(item.get("base_val") or 0.0)
                pattern = item.get("pattern_name")
                if pattern is not None and pattern not in patterns:
                    if pattern != self.wn.options.hydraulic.pattern and pattern != "1":
                        raise InputError(f"junction {asset_id}: demand pattern {pattern} is not in hyd_patterns of "
                                         f"scheme {self.data.scheme}")
                    pattern = None  # EPANET's default pattern, absent: constant demand
                node.add_demand(base, pattern, item.get("category"))
                total += base
        self.report.demand_lps = total * 1000.0
        self.report.peak_factor = _peak_of_patterns(self.wn)

    def _fhtc_demand(self, settings: demand_mod.DemandSettings) -> None:
        taps = self.data.layers["fhtc"]
        households = demand_mod.household_demands(taps, settings)
        serving = self._serving_junctions()
        if len(taps) == 0:
            self.warn(f"scheme {self.data.scheme} has no household tap connections: every demand is zero")
        names = sorted(serving)
        xy = np.array([self.report.node_xy[n] for n in names]) if names else np.zeros((0, 2))
        node, dist = demand_mod.allocate(households, names, xy)
        households["node"] = node
        households["distance_m"] = dist
        self.report.allocation = households
        self.report.households = int(households["counted"].sum())
        self.report.persons = float(households.loc[households["counted"], "persons"].sum())
        self.report.demand_lps = float(households["demand_lps"].sum())
        if len(taps) == 0:
            return
        pattern = demand_mod.supply_pattern(settings)
        if DEMAND_PATTERN not in self.wn.pattern_name_list:
            self.wn.add_pattern(DEMAND_PATTERN, pattern)
        per_node = households.groupby("node")["demand_lps"].sum()
        for name, lps in per_node.items():
            if lps > 0:
                self.wn.get_node(name).add_demand(float(lps) / 1000.0, DEMAND_PATTERN, "households")
        far = households[households["distance_m"] > 200]
        if len(far):
            self.warn(f"{len(far)} tap(s) are more than 200 m from the nearest junction (e.g. {far['fhtc_id'].iloc[0]} "
                      f"{far['distance_m'].iloc[0]:.0f} m); check their locations or the network")

    def _serving_junctions(self) -> set[str]:
        """Junctions with at least one pipe that is not a rising main."""
        out = set()
        for name, link in self.wn.pipes():
            if name in self.rising:
                continue
            for node in (link.start_node_name, link.end_node_name):
                if self.node_kind.get(node) == "Junction" and self.report.node_assets[node][0] == "junctions":
                    out.add(node)
        return out

    # -- controls, quality sources --------------------------------------------------------------
    def _controls(self) -> None:
        model = self.x.model or {}
        text = "\n".join(t for t in (model.get("controls"), model.get("rules")) if t)
        if text:
            self._read_controls(model.get("controls") or "", model.get("rules") or "")
        # pumps placed in the registry (not imported) get level controls unless stored controls name them
        self._pump_level_controls([p for p in self.native_pumps if not re.search(rf"\b{re.escape(p)}\b", text)])
        for (_layer, asset_id), el in self.x.elements.items():
            source = el.properties.get("quality_source")
            if source and asset_id in self.lookup:
                node = self.lookup[asset_id]
                self.wn.add_source(f"{node}-source", node, source["source_type"], float(source["strength"]),
                                   source.get("pattern"))

    def _read_controls(self, controls: str, rules: str) -> None:
        """EPANET [CONTROLS]/[RULES] text (LPS units) into the model, through WNTR's own .inp reader."""
        hyd = self.wn.options.hydraulic
        units, name, default_pattern = hyd.inpfile_units, self.wn.name, hyd.pattern
        hyd.pattern = None  # the reader checks the default pattern against the snippet's (empty) patterns
        fd, path = tempfile.mkstemp(suffix=".inp", prefix="jalnet-controls-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(f"[OPTIONS]\nUNITS LPS\nHEADLOSS {self.headloss}\n\n[CONTROLS]\n{controls}\n\n[RULES]\n{rules}\n"
                        "\n[END]\n")
            try:
                self.wntr.network.io.read_inpfile(path, append=self.wn)
            except Exception as err:  # noqa: BLE001 - WNTR raises many types for bad controls
                raise InputError(f"scheme {self.data.scheme}: the stored controls/rules cannot be read: "
                                 f"{_epanet_message(err)}; correct hyd_models.controls/rules") from None
        finally:
            os.unlink(path)
            hyd.inpfile_units, hyd.pattern = units, default_pattern
            self.wn.name = name

    def _pump_level_controls(self, pumps: list[str]) -> None:
        """A pump that fills a tank stops near the full level and starts again below the set fraction."""
        if not pumps:
            return
        controls = self.wntr.network.controls
        status = self.wntr.network.base.LinkStatus
        adjacency = _adjacency(self.wn, skip_pumps=True)
        for pump_name in pumps:
            pump = self.wn.get_link(pump_name)
            tank = _first_tank(adjacency, pump.end_node_name, pump.start_node_name, self.node_kind)
            if tank is None:
                continue
            t = self.wn.get_node(tank)
            start = t.min_level + self.p.pump_start_fraction * (t.max_level - t.min_level)
            stop = max(start + 0.01, t.max_level - self.p.pump_stop_margin_m)
            on = controls.Control(controls.ValueCondition(t, "level", "<", start),
                                  controls.ControlAction(pump, "status", status.Open))
            off = controls.Control(controls.ValueCondition(t, "level", ">", stop),
                                   controls.ControlAction(pump, "status", status.Closed))
            self.wn.add_control(f"{pump_name} on", on)
            self.wn.add_control(f"{pump_name} off", off)

    # -- connectivity ----------------------------------------------------------------------------
    def _connectivity(self) -> None:
        sources = set(self.wn.reservoir_name_list) | set(self.wn.tank_name_list)
        if not sources:
            raise InputError(f"scheme {self.data.scheme} has no source with head_m and no tank: nothing supplies water")
        cut = unfed_nodes(self.wn, sources)
        if not cut:
            return
        assets = [f"{self.report.node_assets[n][0]} {self.report.node_assets[n][1]}" for n in cut]
        if not self.p.drop_disconnected:
            raise InputError(
                f"{len(cut)} node(s) are not connected to any source or tank: {', '.join(assets[:8])}"
                f"{'…' if len(cut) > 8 else ''}; connect them (pipes still to come?), or build with "
                "drop_disconnected=true to leave them out"
            )
        cut_set = set(cut)
        for name, link in list(self.wn.links()):
            if link.start_node_name in cut_set or link.end_node_name in cut_set:
                for ctrl in [c for c, obj in self.wn.controls() if link in obj.requires()]:
                    self.wn.remove_control(ctrl)
                self.wn.remove_link(name)
                self.report.link_assets.pop(name, None)
                self.report.link_geoms.pop(name, None)
        for name in cut:
            self.wn.remove_node(name)
            self.report.node_assets.pop(name, None)
            self.report.node_xy.pop(name, None)
        if self.report.allocation is not None:
            orphan = self.report.allocation["node"].isin(cut_set)
            self.report.allocation.loc[orphan, "node"] = None
        self.warn(f"left out {len(cut)} node(s) not connected to a source: {', '.join(assets[:8])}")


def _adjacency(wn: Any, skip_pumps: bool = False, open_only: set[str] | None = None) -> dict[str, list[str]]:
    """Node -> neighbouring nodes over the model's links (optionally only the named open links)."""
    out: dict[str, list[str]] = {n: [] for n in wn.node_name_list}
    for name, link in wn.links():
        if skip_pumps and link.link_type == "Pump":
            continue
        if open_only is not None and name not in open_only:
            continue
        a, b = link.start_node_name, link.end_node_name
        out[a].append(b)
        out[b].append(a)
    return out


def unfed_nodes(wn: Any, sources: set[str], open_links: set[str] | None = None) -> list[str]:
    """Nodes no reservoir or tank reaches over the links (all links, or only *open_links*)."""
    adjacency = _adjacency(wn, open_only=open_links)
    seen = set(sources)
    frontier = list(sources)
    while frontier:
        node = frontier.pop()
        for other in adjacency[node]:
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return [n for n in wn.node_name_list if n not in seen]


def _first_tank(adjacency: dict[str, list[str]], start: str, skip: str, kinds: dict[str, str]) -> str | None:
    """The first tank reached from *start* without passing *skip* (breadth first)."""
    seen = {start, skip}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for other in adjacency[node]:
                if other in seen:
                    continue
                seen.add(other)
                if kinds.get(other) == "Tank":
                    return other
                if kinds.get(other) == "Junction":
                    nxt.append(other)
        frontier = nxt
    return None


def _peak_of_patterns(wn: Any) -> float:
    """The multiplier of the step with the largest total demand, from the model's own patterns."""
    base_by_pattern: dict[str | None, float] = {}
    default = wn.options.hydraulic.pattern
    for _, node in wn.junctions():
        for d in node.demand_timeseries_list:
            name = d.pattern_name or default
            base_by_pattern[name] = base_by_pattern.get(name, 0.0) + d.base_value
    base = sum(base_by_pattern.values())
    if base <= 0:
        return 1.0
    patterns = {name: np.asarray(p.multipliers, dtype=float) for name, p in wn.patterns()}
    n = max([len(v) for v in patterns.values()] or [1])
    total = np.zeros(n)
    for name, value in base_by_pattern.items():
        total += value * (np.resize(patterns[name], n) if name in patterns else 1.0)
    return float(total.max() / base) * float(wn.options.hydraulic.demand_multiplier or 1.0)


def _epanet_message(err: BaseException) -> str:
    """The most specific message in an exception chain (WNTR wraps the line-level error)."""
    messages = []
    while err is not None:
        text = str(err).replace("%s", "").strip()
        if text:
            messages.append(text)
        err = err.__cause__ or err.__context__
    return messages[-1] if messages else "unknown error"

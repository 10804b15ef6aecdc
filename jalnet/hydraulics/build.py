"""A WNTR model of one scheme, built from the registry's asset layers.

Pipes, junctions, sources (reservoirs), tanks, pumps and valves come from their layers;
connectivity from the pipes' end nodes (or, where those are empty, from the snapped
geometry); elevations from the layers or a DEM; roughness from the pipe or from the
material/age table; demand from the household taps (or the demands an imported .inp
carried). What an EPANET model holds beyond the layers comes from the ``hyd_*`` tables
(see :mod:`jalnet.hydraulics.extras`). Every problem that would make a simulation wrong
is refused here, naming the asset, before anything runs.

The build runs in phases, each a function of the shared :class:`BuildState` in a module
of its own: options, patterns and curves; nodes; pipes; pumps and valves; demand;
controls; connectivity (:data:`PHASES`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..gcpause import paused_gc
from ..pandas_text import python_strings
from ..registry import Registry, borrow
from . import demand as demand_mod
from .build_demand import demand
from .build_devices import pumps, valves
from .build_nodes import nodes
from .build_options import controls, options, patterns_and_curves
from .build_pipes import pipes
from .build_state import (  # noqa: F401 - part of this module's API
    CONTROL_VALVES,
    DEMAND_PATTERN,
    EPANET_ID_MAX,
    ISOLATION_VALVES,
    BuildState,
    _epanet_message,
)
from .extras import ModelExtras, read_extras
from .model_graph import connectivity, unfed_nodes  # noqa: F401 - unfed_nodes is part of this module's API

NODE_LAYERS = ("junctions", "tanks", "sources")
SCHEME_LAYERS = ("junctions", "tanks", "sources", "pipes", "pumps", "valves", "fhtc")


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
        return build_state(BuildState(data, dem, params, feedback, BuildReport(data.scheme, crs=data.crs)))


#: (what the phase does, its functions), in the order a model is built
PHASES: tuple[tuple[str, tuple[Callable[[BuildState], None], ...]], ...] = (
    ("options, patterns and curves", (options, patterns_and_curves)),
    ("nodes and elevations", (nodes,)),
    ("pipes", (pipes,)),
    ("pumps and valves", (pumps, valves)),
    ("demand", (demand,)),
    ("controls and quality sources", (controls,)),
    ("checking connectivity", (connectivity,)),
)


def build_state(s: BuildState) -> tuple[Any, BuildReport]:
    """Run every phase on *s*; the model and the report of how it was made."""
    steps = Steps(s.feedback, len(PHASES))
    for k, (what, functions) in enumerate(PHASES):
        steps.next(f"scheme {s.data.scheme}: {what}" if k == 0 else what)
        for phase in functions:
            phase(s)
    wn, r = s.wn, s.report
    r.counts = {"junctions": wn.num_junctions, "tanks": wn.num_tanks, "reservoirs": wn.num_reservoirs,
                "pipes": wn.num_pipes, "pumps": wn.num_pumps, "valves": wn.num_valves, "patterns": wn.num_patterns,
                "curves": wn.num_curves, "controls": len(wn.control_name_list)}
    steps.done()
    if s.feedback is not None:
        for message in r.warnings:
            s.feedback.warning(message)
    return wn, r

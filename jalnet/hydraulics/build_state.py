"""What the phases of a model build share: the scheme's data, the model so far, the report.

The build runs in phases (:mod:`build_options`, :mod:`build_nodes`, :mod:`build_pipes`,
:mod:`build_devices`, :mod:`build_demand`, then :mod:`model_graph` checks connectivity);
each phase is a function of a :class:`BuildState` and can be run, and tested, on its own
once the phases it builds on have run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ..errors import InputError
from ..feedback import Feedback
from .extras import Element
from .wntr_compat import require_wntr

if TYPE_CHECKING:
    from .build import BuildParams, BuildReport, SchemeData

DEMAND_PATTERN = "jalnet-demand"
ISOLATION_VALVES = ("sluice", "butterfly")
CONTROL_VALVES = {"prv": "PRV", "psv": "PSV", "fcv": "FCV", "tcv": "TCV"}
_NOT_IN_ID = re.compile(r'[ ;\t"]')
EPANET_ID_MAX = 31


class BuildState:
    """One scheme's model while it is built, with what the phases tell each other."""

    def __init__(self, data: SchemeData, dem: Any, params: BuildParams, feedback: Feedback | None,
                 report: BuildReport) -> None:
        self.wntr = require_wntr()
        self.data = data
        self.dem = str(dem) if dem is not None else None
        self.p = params
        self.feedback = feedback
        self.x = data.extras
        self.report = report
        self.wn = self.wntr.network.WaterNetworkModel()
        self.layers = {n: self.in_service(n, f) for n, f in data.layers.items()}
        self.lookup: dict[str, str] = {}  # asset id of any node -> model node name
        self.node_kind: dict[str, str] = {}  # model name -> Junction/Tank/Reservoir
        model = self.x.model or {}
        self.headloss = self.p.headloss or model.get("headloss") or "H-W"
        self.native_pumps: list[str] = []  # pumps placed in the registry (not imported): they get level controls
        self.elev: dict[str, dict[str, float]] = {"junctions": {}, "tanks": {}}  # layer -> asset id -> elevation
        self.rising: set[str] = set()  # model pipes that are rising mains (no household hangs on them)
        self.pipe_rows: dict[str, Any] = {}  # model pipe -> its registry row
        self._snap_nodes: tuple[list[str], np.ndarray] | None = None

    def in_service(self, name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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

    def register_node(self, name: str, layer: str, asset_id: str, x: float, y: float, kind: str) -> None:
        self.lookup[asset_id] = name
        self.node_kind[name] = kind
        self.report.node_assets[name] = (layer, asset_id)
        self.report.node_xy[name] = (x, y)

    def add(self, kind: str, name: str, func: Any, *args: Any, **kwargs: Any) -> None:
        """Add a model element; a name EPANET already has (links and nodes share ID spaces) is refused clearly."""
        try:
            func(*args, **kwargs)
        except ValueError as err:
            if "already" in str(err).lower() or "exists" in str(err).lower():
                raise InputError(f"ID {name} is used twice among the scheme's {kind}s (EPANET needs unique IDs across "
                                 f"{'pipes, pumps and valves' if kind == 'link' else 'junctions, tanks and sources'}); "
                                 "rename one") from None
            raise InputError(f"{kind} {name}: {err}") from None


def _epanet_message(err: BaseException) -> str:
    """The most specific message in an exception chain (WNTR wraps the line-level error)."""
    messages = []
    while err is not None:
        text = str(err).replace("%s", "").strip()
        if text:
            messages.append(text)
        err = err.__cause__ or err.__context__
    return messages[-1] if messages else "unknown error"

"""Each module's checks as rows of one findings table (rule, module, severity, asset, scheme, geometry).

The registry is read once: the network frames serve the network rules, the registry rules
and the geometry of the Gati Shakti faults. Hydraulic service norms are read from the
last stored run of each scheme; schemes without one are named in the module's note
(the whole module is skipped, with the reason, when no scheme has one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..feedback import Feedback
from ..registry.schema import LAYERS
from ..topology.findings import fingerprint
from ..topology.network import NetworkData
from ..topology.validate import validate_network
from .hydraulic_rules import hydraulic_findings
from .registry_rules import registry_findings

MODULES: tuple[str, ...] = ("network", "registry", "geology", "hydraulics", "gatishakti")
#: Columns of the findings table, in order (geometry last).
COLUMNS: tuple[str, ...] = ("rule", "module", "severity", "title", "message", "layer", "asset_ids", "scheme_id",
                            "division", "district", "fingerprint", "first_seen", "trend", "status", "note")
_ROW = ("rule", "module", "severity", "title", "message", "layer", "asset_ids", "scheme_id", "fingerprint")


@dataclass
class Collected:
    frames: list[gpd.GeoDataFrame] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # module -> why it did not (fully) run
    pipes_km: pd.DataFrame = field(default_factory=pd.DataFrame)  # scheme_id, pipes, km
    data: NetworkData | None = None  # the network layers as read (for the scheme outlines)


def collect(reg: Any, scheme: str | None, feedback: Feedback | None = None) -> Collected:
    """Run every module's checks over the registry (or one scheme); nothing is written."""
    out = Collected()
    data = NetworkData.from_registry(reg, scheme)
    result = validate_network(data, feedback=feedback)
    net = result.findings.assign(module="network")
    out.frames.append(net[[*_ROW, "geometry"]])
    out.pipes_km = result.counts_by_scheme
    out.data = data
    extra = {name: _read(reg, name, scheme) for name in ("boreholes",)}
    layers = {**data.layers, **extra}
    out.frames.append(_frame(registry_findings(layers), reg.crs))
    out.frames.append(_geology(reg, scheme, extra["boreholes"]))
    with_pipes = sorted({str(s) for s in data.pipes["scheme_id"].dropna()})
    hyd = hydraulic_findings(reg, with_pipes, data.layers)
    out.frames.append(_frame(hyd.rows, reg.crs))
    if hyd.note != "checked":
        out.skipped["hydraulics"] = hyd.note
    dup = net.loc[net["rule"] == "NET-010", "asset_ids"]
    out.frames.append(_gatishakti(reg, scheme, data, [tuple(str(ids).split(", ")[:2]) for ids in dup]))
    return out


def _read(reg: Any, name: str, scheme: str | None) -> pd.DataFrame:
    where = {"scheme_id": scheme} if scheme is not None and "scheme_id" in LAYERS[name].field_names else None
    return reg.read(name, where)


def _frame(rows: list[dict], crs: Any) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in _ROW}, geometry=gpd.GeoSeries([], crs=crs))
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame[list(_ROW)], geometry=gpd.GeoSeries(np.array(frame["geometry"], dtype=object),
                                                                      crs=crs))


def _geology(reg: Any, scheme: str | None, boreholes: pd.DataFrame) -> gpd.GeoDataFrame:
    from ..geology.model import Lithologs
    from ..geology.validate import RULES, validate

    if boreholes.empty:
        return _frame([], reg.crs)
    where = {"borehole_id": list(boreholes["borehole_id"])} if scheme is not None else None
    data = Lithologs(boreholes.reset_index(drop=True), reg.read("lithology_intervals", where).reset_index(drop=True),
                     reg.read("construction_intervals", where).reset_index(drop=True),
                     reg.read("geophysical_logs", {"borehole_id": []}).reset_index(drop=True))
    found = validate(data, reg.read("sources"))
    where_is = dict(zip(boreholes["borehole_id"], boreholes.geometry))
    scheme_of = dict(zip(boreholes["borehole_id"], boreholes["scheme_id"]))
    rows = [{"rule": f.rule, "module": "geology", "severity": f.severity, "title": RULES[f.rule][1],
             "message": f"{f.borehole_id}: {f.message}", "layer": "boreholes", "asset_ids": f.borehole_id,
             "scheme_id": scheme_of.get(f.borehole_id), "fingerprint": fingerprint(f.rule, [f.borehole_id], f.message),
             "geometry": where_is.get(f.borehole_id)} for f in found]
    return _frame(rows, reg.crs)


def _gatishakti(reg: Any, scheme: str | None, data: NetworkData, twice: list[tuple[str, ...]]) -> gpd.GeoDataFrame:
    from ..gatishakti.preflight import check_export
    from ..gatishakti.values import KIND_TITLES

    read = {name: frame.set_index("fid") for name, frame in data.layers.items() if name != "villages"}
    pre = check_export(reg, scheme=scheme, frames=read, twice=twice)
    source = {m.spec.name: m.spec.source for m in pre.layers}
    lookup: dict[str, tuple[dict, dict]] = {}
    rows = []
    for f in pre.faults:
        layer = source.get(f.layer, f.layer)
        if layer not in lookup:
            frame = data.layers.get(layer)
            if frame is None:
                frame = reg.read(layer).reset_index()
            lookup[layer] = (dict(zip(frame["fid"], frame.geometry)) if "geometry" in frame.columns else {},
                             dict(zip(frame["fid"], frame["scheme_id"])))
        geoms, schemes = lookup[layer]
        ids = [f.feature, f.field or ""]
        rows.append({"rule": f"GS-{f.kind}", "module": "gatishakti", "severity": "error",
                     "title": KIND_TITLES.get(f.kind, f.kind), "message": f"{f.layer} {f.feature}: {f.message}",
                     "layer": layer, "asset_ids": f.feature, "scheme_id": schemes.get(f.fid),
                     "fingerprint": fingerprint(f"GS-{f.kind}", ids, f.message), "geometry": geoms.get(f.fid)})
    return _frame(rows, reg.crs)

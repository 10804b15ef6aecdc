"""EPANET .inp files into the registry and back out, losing nothing EPANET holds.

Import puts junctions, reservoirs (as sources), tanks, pipes (with their vertices as
geometry), pumps and valves into the asset layers, and everything else — demands and
their patterns, curves, controls and rules, options, quality and energy settings,
labels — into the ``hyd_*`` tables, all in one logged batch. Export builds the model from
the registry (:func:`jalnet.hydraulics.build.build_model`) and writes it with WNTR, in the
flow units the model came in, so an .inp goes in and comes back simulating the same.
An incomplete network (pipes still to come) imports; the build refuses to simulate it
until it is connected.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from shapely.geometry import LineString, Point

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder
from ..registry import Registry, borrow
from ..registry.schema import DOMAINS, LAYERS
from .build import BuildParams, BuildReport, _epanet_message, build_model
from .dem import transform_xy
from .extras import curve_from_si, dumps, key
from .wntr_compat import element_properties, forward_log, labels, options_dict, require_wntr

ASSET_LAYERS = ("junctions", "sources", "tanks", "pipes", "pumps", "valves")
HYD_TABLES = ("hyd_models", "hyd_patterns", "hyd_curves", "hyd_elements")
_VALVE_CODES = {"PRV": "prv", "PSV": "psv", "FCV": "fcv", "TCV": "tcv"}


@dataclass
class ImportReport:
    scheme: str
    batch_id: str | None
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_inp(path: str | os.PathLike, feedback: Feedback | None = None) -> Any:
    """An .inp as a WNTR model, or a one-line error naming the file and the problem."""
    wntr = require_wntr()
    path = str(path)
    if not os.path.exists(path):
        raise InputError(f"{path} does not exist")
    with forward_log(feedback):
        try:
            return wntr.network.WaterNetworkModel(path)
        except Exception as err:  # noqa: BLE001 - WNTR raises many types for bad input files
            raise InputError(f"{path} is not a valid EPANET input file: {_epanet_message(err)}") from None


def _sections(path: str) -> dict[str, list[str]]:
    """Raw lines per [SECTION] (comments stripped), for what WNTR does not tell apart."""
    out: dict[str, list[str]] = {}
    current = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            text = line.split(";")[0].strip()
            if not text:
                continue
            if text.startswith("["):
                current = text.split("]")[0].upper() + "]"
                out.setdefault(current, [])
            elif current is not None:
                out[current].append(text)
    return out


def import_inp(path: str | os.PathLike, registry: Registry | str | os.PathLike, crs: str | int | pyproj.CRS,
               scheme: str | None = None, feedback: Feedback | None = None, id_prefix: str = "",
               replace: bool = False, source_type: str = "surface_intake", tank_type: str = "GSR") -> ImportReport:
    """Put an EPANET model into the registry as scheme *scheme* (default: the file name), in one batch."""
    path = str(path)
    steps = Steps(feedback, 4)
    steps.next(f"reading {os.path.basename(path)}")
    wn = read_inp(path, feedback)
    scheme = scheme or Path(path).stem
    try:
        src_crs = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise InputError(f"unknown CRS '{crs}' for the coordinates of {path}; give an EPSG code") from None
    raw = _sections(path)
    placed = {line.split()[0] for line in raw.get("[COORDINATES]", [])}
    missing = [n for n in wn.node_name_list if n not in placed]
    if missing:
        raise InputError(
            f"{path}: {len(missing)} node(s) have no coordinates in [COORDINATES] ({', '.join(missing[:5])}"
            f"{'…' if len(missing) > 5 else ''}); the registry puts every asset on the map: place them in EPANET first"
        )
    reg, owned = borrow(registry)
    try:
        steps.next("converting to registry layers")
        frames = _Converter(wn, scheme, src_crs, reg.crs, id_prefix, source_type, tank_type, path).frames()
        steps.next("writing to the registry")
        report = _write(reg, scheme, frames, replace, path, id_prefix)
    finally:
        if owned:
            reg.close()
    steps.done()
    return report


def _write(reg: Registry, scheme: str, frames: dict[str, Any], replace: bool, path: str, prefix: str) -> ImportReport:
    existing = {n: reg.read(n, where={"scheme_id": scheme}) for n in ASSET_LAYERS + ("fhtc",) + HYD_TABLES}
    present = {n: len(f) for n, f in existing.items() if len(f)}
    if present and not replace:
        what = ", ".join(f"{v} {k}" for k, v in present.items())
        raise InputError(f"scheme {scheme} already has {what} in the registry; import under another scheme ID "
                         "(--scheme), or replace it (--replace)")
    report = ImportReport(scheme, None)
    try:
        with reg.batch("hydraulics import-inp", f"import {os.path.basename(path)} as scheme {scheme}") as b:
            if replace:
                for name in reversed(ASSET_LAYERS + HYD_TABLES):
                    if name in present:
                        b.delete(name, existing[name].index.tolist())
            if reg.read("schemes", where={"scheme_id": scheme}).empty:
                b.insert("schemes", frames.pop("schemes"))
            else:
                frames.pop("schemes")
            for name in ASSET_LAYERS + HYD_TABLES:
                frame = frames[name]
                if len(frame):
                    report.counts[name] = len(b.insert(name, frame))
    except InputError as err:
        hint = "" if prefix else "; if another scheme uses the same IDs, import with an ID prefix (--id-prefix)"
        raise InputError(f"{path}: {err}{hint}") from None
    report.batch_id = b.id
    return report


def _fits(layer: str, field_name: str, value: Any) -> bool:
    fld = LAYERS[layer].field(field_name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return (fld.min is None or value >= fld.min) and (fld.max is None or value <= fld.max)


class _Converter:
    """A WNTR model as registry rows (asset layers plus hyd_* tables)."""

    def __init__(self, wn: Any, scheme: str, src_crs: pyproj.CRS, dst_crs: pyproj.CRS, prefix: str,
                 source_type: str, tank_type: str, path: str) -> None:
        self.wn, self.scheme, self.prefix, self.path = wn, scheme, prefix, path
        self.src_crs, self.dst_crs = src_crs, dst_crs
        self.source_type, self.tank_type = source_type, tank_type
        self.transformer = None if src_crs == dst_crs else pyproj.Transformer.from_crs(src_crs, dst_crs, always_xy=True)
        self.elements: list[dict[str, Any]] = []
        self.node_xy: dict[str, tuple[float, float]] = {}

    def xy(self, coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if not coords:
            return []
        arr = np.asarray(coords, dtype=float)
        if self.transformer is not None:
            x, y = transform_xy(self.transformer, arr[:, 0], arr[:, 1])
            arr = np.column_stack([x, y])
        return [tuple(map(float, c)) for c in arr]

    def aid(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def element(self, layer: str, name: str, props: dict[str, Any], start: str | None = None,
                end: str | None = None) -> None:
        asset_id = self.aid(name)
        self.elements.append({
            "element_key": key(layer, asset_id), "scheme_id": self.scheme, "layer": layer, "asset_id": asset_id,
            "model_name": name if self.prefix else None, "start_node": start, "end_node": end,
            "properties": dumps(props),
        })

    def frames(self) -> dict[str, Any]:
        wn = self.wn
        names = list(wn.node_name_list)
        moved = self.xy([tuple(wn.get_node(n).coordinates) for n in names])
        self.node_xy = dict(zip(names, moved))
        out = {"schemes": pd.DataFrame([{"scheme_id": self.scheme,
                                         "name": (wn.title[0].strip() if wn.title else "") or Path(self.path).stem}])}
        out["junctions"] = self._junctions()
        out["sources"] = self._reservoirs()
        out["tanks"] = self._tanks()
        out["pipes"] = self._pipes()
        out["pumps"] = self._pumps()
        out["valves"] = self._valves()
        out.update(self._model_tables())
        out["hyd_elements"] = pd.DataFrame(self.elements)
        return out

    def _gdf(self, rows: list[dict[str, Any]], geoms: list[Any]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=self.dst_crs)

    def _sources_of(self) -> dict[str, dict[str, Any]]:
        out = {}
        for _, src in self.wn.sources():
            d = src.to_dict()
            out[d["node_name"]] = {"source_type": d["source_type"], "strength": d["strength"], "pattern": d["pattern"]}
        return out

    def _node_props(self, name: str, node: Any, held: set[str]) -> dict[str, Any]:
        props = element_properties(node, held)
        source = self.quality_sources.get(name)
        if source:
            props["quality_source"] = source
        return props

    def _junctions(self) -> gpd.GeoDataFrame:
        self.quality_sources = self._sources_of()
        rows, geoms = [], []
        for name, node in self.wn.junctions():
            elev = float(node.elevation)
            ok = _fits("junctions", "elevation_m", elev)
            rows.append({"node_id": self.aid(name), "scheme_id": self.scheme, "node_type": "junction",
                         "elevation_m": elev if ok else None})
            geoms.append(Point(self.node_xy[name]))
            props = self._node_props(name, node, {"elevation"} if ok else set())
            self.element("junctions", name, props)
        return self._gdf(rows, geoms)

    def _reservoirs(self) -> gpd.GeoDataFrame:
        rows, geoms = [], []
        for name, node in self.wn.reservoirs():
            head = float(node.base_head)
            ok = _fits("sources", "head_m", head)
            rows.append({"source_id": self.aid(name), "scheme_id": self.scheme, "source_type": self.source_type,
                         "head_m": head if ok else None, "status": "in_service"})
            geoms.append(Point(self.node_xy[name]))
            self.element("sources", name, self._node_props(name, node, {"base_head"} if ok else set()))
        return self._gdf(rows, geoms)

    def _tanks(self) -> gpd.GeoDataFrame:
        rows, geoms = [], []
        for name, node in self.wn.tanks():
            row = {"tank_id": self.aid(name), "scheme_id": self.scheme, "tank_type": self.tank_type, "staging_m": 0.0,
                   "status": "in_service"}
            held = set()
            for col, attr in (("ground_elev_m", "elevation"), ("min_level_m", "min_level"),
                              ("max_level_m", "max_level"), ("init_level_m", "init_level"), ("diameter_m", "diameter")):
                value = float(getattr(node, attr))
                if _fits("tanks", col, value):
                    row[col] = value
                    held.add(attr)
            rows.append(row)
            geoms.append(Point(self.node_xy[name]))
            self.element("tanks", name, self._node_props(name, node, held))
        return self._gdf(rows, geoms)

    def _line(self, link: Any) -> LineString:
        vertices = self.xy([tuple(v) for v in link.vertices])
        return LineString([self.node_xy[link.start_node_name], *vertices, self.node_xy[link.end_node_name]])

    def _pipes(self) -> gpd.GeoDataFrame:
        hw = self.wn.options.hydraulic.headloss == "H-W"
        rows, geoms = [], []
        for name, link in self.wn.pipes():
            row = {"pipe_id": self.aid(name), "scheme_id": self.scheme, "status": "in_service", "geom_source": "epanet",
                   "from_node": self.aid(link.start_node_name), "to_node": self.aid(link.end_node_name)}
            held = {"vertices"}
            for col, attr, factor in (("diameter_mm", "diameter", 1000.0), ("length_m", "length", 1.0),
                                      ("minor_loss", "minor_loss", 1.0), ("roughness", "roughness", 1.0)):
                if attr == "roughness" and not hw:
                    continue
                value = float(getattr(link, attr)) * factor
                if _fits("pipes", col, value):
                    row[col] = value
                    held.add(attr)
            rows.append(row)
            geoms.append(self._line(link))
            self.element("pipes", name, element_properties(link, held))
        return self._gdf(rows, geoms)

    def _midpoint(self, link: Any) -> tuple[Point, list[tuple[float, float]]]:
        line = self._line(link)
        mid = line.interpolate(0.5, normalized=True) if line.length > 0 else Point(line.coords[0])
        return mid, [tuple(c) for c in list(line.coords)[1:-1]]

    def _pumps(self) -> gpd.GeoDataFrame:
        rows, geoms = [], []
        for name, link in self.wn.pumps():
            start_kind = self.wn.get_node(link.start_node_name).node_type
            row = {"pump_id": self.aid(name), "scheme_id": self.scheme, "status": "in_service",
                   "source_id": self.aid(link.start_node_name) if start_kind in ("Reservoir", "Tank") else None}
            held = set()
            if link.pump_type == "POWER":
                kw = float(link.power) / 1000.0
                if _fits("pumps", "power_kw", kw):
                    row["power_kw"] = kw
                    held.add("power")
            extra = {"pump_type": "POWER"} if link.pump_type == "POWER" else {}
            efficiency = getattr(link, "efficiency", None)
            if efficiency is not None and not isinstance(efficiency, str):
                extra["efficiency"] = getattr(efficiency, "name", None)
            self._link_element("pumps", name, link, row, held, extra, rows, geoms)
        return self._gdf(rows, geoms)

    def _link_element(self, layer: str, name: str, link: Any, row: dict[str, Any], held: set[str],
                      extra: dict[str, Any], rows: list[dict[str, Any]], geoms: list[Any]) -> None:
        """A pump or valve: a point at the middle of its line; ends and vertices kept with its properties."""
        mid, vertices = self._midpoint(link)
        rows.append(row)
        geoms.append(mid)
        props = element_properties(link, held)
        props.update(extra)
        props["vertices"] = vertices
        self.element(layer, name, props, self.aid(link.start_node_name), self.aid(link.end_node_name))

    def _valves(self) -> gpd.GeoDataFrame:
        rows, geoms = [], []
        for name, link in self.wn.valves():
            vtype = link.valve_type
            row = {"valve_id": self.aid(name), "scheme_id": self.scheme, "status": "in_service",
                   "valve_type": _VALVE_CODES.get(vtype, "tcv"),
                   "normal_status": "closed" if str(link.initial_status).upper().endswith("CLOSED") else "open"}
            held = {"vertices"}
            if vtype in _VALVE_CODES:
                held.add("valve_type")
            if row["normal_status"] == "closed":
                held.add("initial_status")
            diameter = float(link.diameter) * 1000.0
            if _fits("valves", "diameter_mm", diameter):
                row["diameter_mm"] = diameter
                held.add("diameter")
            if vtype in ("PRV", "PSV", "PBV", "TCV", "FCV"):
                setting = float(link.initial_setting) * (1000.0 if vtype == "FCV" else 1.0)
                row["setting"] = setting
                held.add("initial_setting")
            self._link_element("valves", name, link, row, held, {}, rows, geoms)
        return self._gdf(rows, geoms)

    def _model_tables(self) -> dict[str, pd.DataFrame]:
        wn = self.wn
        controls, rules = _control_text(wn)
        lines = labels(wn)
        if self.transformer is not None:
            lines = [_move_label(line, self.transformer) for line in lines]
        model = {
            "scheme_id": self.scheme, "title": "\n".join(wn.title or []),
            "flow_units": wn.options.hydraulic.inpfile_units, "headloss": wn.options.hydraulic.headloss,
            "options": dumps(options_dict(wn)), "controls": controls, "rules": rules,
            "extras": dumps({"labels": lines}), "source_file": os.path.basename(self.path),
            "source_crs": self.src_crs.to_string(),
        }
        patterns = [{"pattern_key": key(self.scheme, name), "scheme_id": self.scheme, "name": name,
                     "multipliers": dumps([float(v) for v in pat.multipliers])} for name, pat in wn.patterns()]
        curves = [{"curve_key": key(self.scheme, name), "scheme_id": self.scheme, "name": name,
                   "curve_type": curve.curve_type, "points": dumps(curve_from_si(curve.curve_type, curve.points))}
                  for name, curve in wn.curves()]
        return {"hyd_models": pd.DataFrame([model]), "hyd_patterns": pd.DataFrame(patterns),
                "hyd_curves": pd.DataFrame(curves)}


def _control_text(wn: Any) -> tuple[str, str]:
    """[CONTROLS] and [RULES] as WNTR writes them in LPS (metres for levels and pressures)."""
    wntr = require_wntr()
    fd, tmp = tempfile.mkstemp(suffix=".inp", prefix="jalnet-export-")
    os.close(fd)
    try:
        wntr.network.io.write_inpfile(wn, tmp, units="LPS")
        sections = {}
        current = None
        with open(tmp, encoding="utf-8") as f:
            for line in f:
                text = line.rstrip("\n")
                if text.startswith("["):
                    current = text.strip().upper()
                    sections[current] = []
                elif current in ("[CONTROLS]", "[RULES]") and text.strip() and not text.startswith(";"):
                    sections[current].append(text)
    finally:
        os.unlink(tmp)
    return "\n".join(sections.get("[CONTROLS]", [])), "\n".join(sections.get("[RULES]", []))


def _move_label(line: str, transformer: pyproj.Transformer) -> str:
    parts = line.split(None, 2)
    try:
        x, y = transformer.transform(float(parts[0]), float(parts[1]))
    except (ValueError, IndexError):
        return line
    return f"{x:.3f} {y:.3f} {parts[2] if len(parts) > 2 else ''}".rstrip()


def export_inp(registry: Registry | str | os.PathLike, scheme: str, path: str | os.PathLike,
               units: str | None = None, crs: str | int | pyproj.CRS | None = None,
               dem: str | os.PathLike | None = None, params: BuildParams | dict[str, Any] | None = None,
               feedback: Feedback | None = None) -> BuildReport:
    """Write *scheme* as an EPANET .inp (in *units*, default the model's own; coordinates in *crs*)."""
    wntr = require_wntr()
    path = Path(path)
    output_folder(path)
    wn, report = build_model(registry, scheme, dem=dem, params=params, feedback=feedback)
    if crs is not None:
        _reproject(wn, report.crs, crs)
    units = (units or wn.options.hydraulic.inpfile_units or "LPS").upper()
    if units not in DOMAINS["hyd_flow_units"]:
        raise InputError(f"units {units}: use one of LPS, LPM, MLD, CMH, CMD, CFS, GPM, MGD, IMGD, AFD")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        wntr.network.io.write_inpfile(wn, str(tmp), units=units)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return report


def _reproject(wn: Any, src: Any, dst: Any) -> None:
    transformer = pyproj.Transformer.from_crs(src, pyproj.CRS.from_user_input(dst), always_xy=True)
    for _, node in wn.nodes():
        node.coordinates = tuple(map(float, transformer.transform(*node.coordinates)))
    for _, link in wn.links():
        if link.vertices:
            link.vertices = [tuple(map(float, transformer.transform(*v))) for v in link.vertices]


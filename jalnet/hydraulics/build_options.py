"""Build phase: model options, patterns and curves first; controls, rules and quality sources
once every element is in (they name elements).
"""

from __future__ import annotations

import os
import re
import tempfile

from ..errors import InputError
from .build_state import BuildState, _epanet_message
from .extras import curve_to_si
from .model_graph import _adjacency, _first_tank
from .wntr_compat import set_labels, set_options


def options(s: BuildState) -> None:
    model = s.x.model
    opts = s.wn.options
    if model is not None and model.get("options"):
        set_options(s.wn, model["options"], s.report.warnings)
    else:
        opts.time.duration = 24 * 3600
        opts.time.hydraulic_timestep = 900
        opts.time.quality_timestep = 300
        opts.time.pattern_timestep = 3600
        opts.time.report_timestep = 3600
        opts.hydraulic.demand_model = "DDA"
        opts.quality.parameter = "NONE"
    opts.hydraulic.headloss = s.headloss
    units = (model or {}).get("flow_units") or "LPS"
    opts.hydraulic.inpfile_units = units
    if model is not None and model.get("title"):
        s.wn.title = str(model["title"]).splitlines()
    if model is not None:
        set_labels(s.wn, (model.get("extras") or {}).get("labels", []))


def patterns_and_curves(s: BuildState) -> None:
    for name, values in s.x.patterns.items():
        s.wn.add_pattern(name, values)
    for name, (ctype, points) in s.x.curves.items():
        s.wn.add_curve(name, ctype, curve_to_si(ctype, points))


def controls(s: BuildState) -> None:
    model = s.x.model or {}
    text = "\n".join(t for t in (model.get("controls"), model.get("rules")) if t)
    if text:
        _read_controls(s, model.get("controls") or "", model.get("rules") or "")
    # pumps placed in the registry (not imported) get level controls unless stored controls name them
    _pump_level_controls(s, [p for p in s.native_pumps if not re.search(rf"\b{re.escape(p)}\b", text)])
    for (_layer, asset_id), el in s.x.elements.items():
        source = el.properties.get("quality_source")
        if source and asset_id in s.lookup:
            node = s.lookup[asset_id]
            s.wn.add_source(f"{node}-source", node, source["source_type"], float(source["strength"]),
                               source.get("pattern"))


def _read_controls(s: BuildState, controls: str, rules: str) -> None:
    """EPANET [CONTROLS]/[RULES] text (LPS units) into the model, through WNTR's own .inp reader."""
    hyd = s.wn.options.hydraulic
    units, name, default_pattern = hyd.inpfile_units, s.wn.name, hyd.pattern
    hyd.pattern = None  # the reader checks the default pattern against the snippet's (empty) patterns
    fd, path = tempfile.mkstemp(suffix=".inp", prefix="jalnet-controls-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"[OPTIONS]\nUNITS LPS\nHEADLOSS {s.headloss}\n\n[CONTROLS]\n{controls}\n\n[RULES]\n{rules}\n"
                    "\n[END]\n")
        try:
            s.wntr.network.io.read_inpfile(path, append=s.wn)
        except Exception as err:  # noqa: BLE001 - WNTR raises many types for bad controls
            raise InputError(f"scheme {s.data.scheme}: the stored controls/rules cannot be read: "
                             f"{_epanet_message(err)}; correct hyd_models.controls/rules") from None
    finally:
        os.unlink(path)
        hyd.inpfile_units, hyd.pattern = units, default_pattern
        s.wn.name = name


def _pump_level_controls(s: BuildState, pumps: list[str]) -> None:
    """A pump that fills a tank stops near the full level and starts again below the set fraction."""
    if not pumps:
        return
    controls = s.wntr.network.controls
    status = s.wntr.network.base.LinkStatus
    adjacency = _adjacency(s.wn, skip_pumps=True)
    for pump_name in pumps:
        pump = s.wn.get_link(pump_name)
        tank = _first_tank(adjacency, pump.end_node_name, pump.start_node_name, s.node_kind)
        if tank is None:
            continue
        t = s.wn.get_node(tank)
        start = t.min_level + s.p.pump_start_fraction * (t.max_level - t.min_level)
        stop = max(start + 0.01, t.max_level - s.p.pump_stop_margin_m)
        on = controls.Control(controls.ValueCondition(t, "level", "<", start),
                              controls.ControlAction(pump, "status", status.Open))
        off = controls.Control(controls.ValueCondition(t, "level", ">", stop),
                               controls.ControlAction(pump, "status", status.Closed))
        s.wn.add_control(f"{pump_name} on", on)
        s.wn.add_control(f"{pump_name} off", off)

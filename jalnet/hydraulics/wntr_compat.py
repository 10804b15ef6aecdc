"""The few places where JalNet touches WNTR's API, guarded for WNTR 1.3 and 1.4+.

WNTR 1.3 is the last release for numpy 1 (what QGIS 3.22 runs); 1.4+ need numpy 2.
Everything else in the hydraulics engine goes through these helpers, so a change in
WNTR's API is fixed here once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import InputError
from ..feedback import Feedback

#: Element properties WNTR keeps that are bookkeeping, not model data.
_SKIP_PROPERTIES = {"name", "node_type", "link_type", "coordinates", "start_node_name", "end_node_name",
                    "leak", "leak_area", "leak_discharge_coeff", "base_demand", "demand_pattern",
                    "demand_category"}


def require_wntr() -> Any:
    """The wntr module, or a clear error saying how to install it."""
    try:
        import wntr
    except ImportError as err:
        raise InputError(
            f"hydraulic modelling needs the Python package wntr ({err}); install it with "
            "'python -m pip install \"wntr>=1.3\" \"numpy<2\"' into the Python that runs JalNet"
        ) from None
    return wntr


def wntr_version() -> tuple[int, ...]:
    from ..dependencies import version_tuple

    return version_tuple(require_wntr().__version__)


#: Kept even when equal to WNTR's default: the build reads them to decide how to make the element.
_ALWAYS_KEEP = {"demand_timeseries_list", "pump_type", "pump_curve_name", "valve_type"}
_DEFAULTS: dict[str, dict[str, Any]] = {}


def _defaults(kind: str) -> dict[str, Any]:
    """WNTR's own defaults for a fresh element of a kind (Junction, Tank, Pipe, Pump...)."""
    if not _DEFAULTS:
        wn = require_wntr().network.WaterNetworkModel()
        wn.add_junction("j")
        wn.add_reservoir("r")
        wn.add_tank("t")
        wn.add_junction("k")
        wn.add_pipe("p", "r", "j")
        wn.add_pump("u", "r", "t")
        wn.add_valve("v", "j", "k")
        for _, node in wn.nodes():
            _DEFAULTS[node.node_type] = _plain(node.to_dict())
        for _, link in wn.links():
            _DEFAULTS[link.link_type] = _plain(link.to_dict())
    return _DEFAULTS.get(kind, {})


def element_properties(element: Any, held: set[str]) -> dict[str, Any]:
    """What WNTR holds for a node or link beyond its defaults, less what the registry layer holds itself."""
    kind = getattr(element, "node_type", None) or getattr(element, "link_type", None)
    defaults = _defaults(kind)
    out = {}
    for k, v in element.to_dict().items():
        if k in _SKIP_PROPERTIES or k in held:
            continue
        v = _plain(v)
        if k not in _ALWAYS_KEEP and k in defaults and defaults[k] == v:
            continue
        out[k] = v
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "name") and type(value).__module__.startswith("wntr"):  # enums (LinkStatus...)
        return str(value.name)
    if hasattr(value, "item"):
        return value.item()
    return value


def apply_properties(element: Any, props: dict[str, Any], label: str, warnings: list[str]) -> None:
    """Set stored properties on a model element; unknown ones are reported, never dropped silently."""
    for key, value in props.items():
        if key in _SKIP_PROPERTIES or key in ("vertices", "demand_timeseries_list", "quality_source"):
            continue
        if not hasattr(element, key):
            warnings.append(f"{label}: property '{key}' is not known to this WNTR version and was not applied")
            continue
        try:
            current = getattr(element, key)
        except Exception:  # noqa: BLE001 - some WNTR properties raise when unset
            current = object()
        if value is None and current is None:
            continue
        try:
            setattr(element, key, value)
        except (AttributeError, TypeError, ValueError) as err:
            warnings.append(f"{label}: property '{key}' = {value!r} could not be applied ({err})")


def options_dict(wn: Any) -> dict[str, Any]:
    return _plain(wn.options.to_dict())


def set_options(wn: Any, options: dict[str, Any], warnings: list[str]) -> None:
    """Apply options section by section, attribute by attribute (works across WNTR versions)."""
    for section, values in options.items():
        target = getattr(wn.options, section, None)
        if target is None or not isinstance(values, dict):
            warnings.append(f"model option section '{section}' is not known to this WNTR version; not applied")
            continue
        for key, value in values.items():
            if section == "user":
                setattr(target, key, value)
                continue
            if not hasattr(target, key):
                warnings.append(f"model option {section}.{key} is not known to this WNTR version; not applied")
                continue
            setattr(target, key, value)


def labels(wn: Any) -> list[str]:
    return list(getattr(wn, "_labels", None) or [])


def set_labels(wn: Any, lines: list[str]) -> None:
    if hasattr(wn, "_labels"):
        wn._labels = list(lines)


@contextmanager
def forward_log(feedback: Feedback | None) -> Iterator[list[str]]:
    """Route WNTR's log records (warnings and up) to *feedback* while a block runs; yields them too."""
    records: list[str] = []
    logger = logging.getLogger("wntr")

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed log call must not break a run
                message = str(record.msg)
            records.append(message)
            if feedback is not None:
                feedback.warning(f"WNTR: {message}")

    handler = _Handler(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)

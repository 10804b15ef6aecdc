"""Staged attributes to registry pipe values: what fits the pipes schema is kept, the rest left empty.

Import already turns what contractors write ("u-PVC", "6 kg/cm2", "4 inch") into codes
where it can, and keeps unreadable text as given, because staging has no domains. A
registry pipe must hold a domain code, an in-range number, or nothing: a value that does
not fit is left empty and named in the candidate's message, so validation reports the
gap (missing material, missing diameter) instead of a guess entering the network.
"""

from __future__ import annotations

import math
from typing import Any

from ..registry.schema import DOMAINS, LAYERS

#: Staged fields copied to the new pipe, checked against the pipes schema.
CARRIED = ("material", "diameter_mm", "pressure_class", "laid_date", "contractor", "length_m")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value)


def fitting_value(name: str, value: Any) -> tuple[Any, str | None]:
    """(value, None) when *value* fits pipes.<name>; (None, why) when it does not."""
    if _empty(value):
        return None, None
    fld = LAYERS["pipes"].field(name)
    if fld.domain is not None:
        if value in DOMAINS[fld.domain]:
            return value, None
        return None, f"{name} '{value}' is not a {fld.domain.replace('_', ' ')} code; left empty"
    if fld.type in ("REAL", "INTEGER"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, f"{name} '{value}' is not a number; left empty"
        if (fld.min is not None and number < fld.min) or (fld.max is not None and number > fld.max):
            return None, f"{name} {number:g} is outside {fld.min:g}..{fld.max:g}; left empty"
        return number, None
    return value, None


def pipe_values(candidate: dict[str, Any], schemes: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Registry pipe attributes from a staged candidate, and notes on what was left out."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    for name in CARRIED:
        values[name], note = fitting_value(name, candidate.get(name))
        if note:
            notes.append(note)
    scheme = candidate.get("scheme_id")
    if _empty(scheme):
        scheme = None
    elif str(scheme) not in schemes:
        notes.append(f"scheme_id '{scheme}' is not in the registry; taken from the network it joins")
        scheme = None
    values["scheme_id"] = scheme
    source = candidate.get("geom_source")
    values["geom_source"] = source if source in DOMAINS["geom_source"] else "unknown"
    values["status"] = "in_service"
    return values, notes

"""Service norms simulations are checked against, and the findings they give.

Defaults follow JJM/CPHEEO practice: at least 7 m residual pressure at the taps, pipe
velocities between 0.6 and 3 m/s, no negative pressure, tanks that do not run dry, at
least 0.2 mg/l residual chlorine at the taps. Every value can be changed per run
(``--norms norms.json`` or a scenario's ``norms`` parameter).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Norms:
    min_pressure_m: float = 7.0
    min_velocity_ms: float = 0.6
    max_velocity_ms: float = 3.0
    min_chlorine_mg_l: float = 0.2
    max_water_age_h: float = 48.0
    #: a tank counts as drained when its level comes within this of its minimum level
    tank_empty_margin_m: float = 0.05

    @classmethod
    def from_any(cls, value: Norms | dict[str, Any] | str | os.PathLike | None, base: Norms | None = None) -> Norms:
        """Norms from a dict, a JSON file path or None (defaults), over *base*."""
        base = base or cls()
        if value is None:
            return base
        if isinstance(value, Norms):
            return value
        if not isinstance(value, dict):
            path = str(value)
            if not os.path.exists(path):
                raise InputError(f"norms file {path} does not exist")
            try:
                with open(path, encoding="utf-8") as f:
                    value = json.load(f)
            except ValueError as err:
                raise InputError(f"norms file {path} is not valid JSON: {err}") from None
            if not isinstance(value, dict):
                raise InputError(f"norms file {path} must hold a JSON object such as {{\"min_pressure_m\": 7}}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InputError(f"unknown norm(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            changes = {k: float(v) for k, v in value.items()}
        except (TypeError, ValueError):
            raise InputError(f"norms must be numbers: {value}") from None
        return dataclasses.replace(base, **changes)

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


#: rule -> (severity, what it means)
RULES: dict[str, tuple[str, str]] = {
    "negative_pressure": ("error", "Negative pressure: the pipe can draw in dirty water"),
    "low_pressure": ("warning", "Residual pressure below the norm"),
    "disconnected": ("error", "Cut off from every source and tank"),
    "high_velocity": ("warning", "Velocity above the norm"),
    "low_velocity": ("info", "Velocity at the peak hour below the norm (not self-cleansing)"),
    "tank_drains": ("error", "Tank runs dry"),
    "tank_not_refilled": ("warning", "Tank ends the period lower than it started"),
    "low_chlorine": ("warning", "Residual chlorine at the taps below the norm"),
    "high_water_age": ("info", "Water older than the norm"),
}

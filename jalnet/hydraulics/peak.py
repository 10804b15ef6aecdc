"""The peak hour of a model's own demand patterns, as EPANET applies them.

A demand without a pattern takes the model's default pattern, and when the model names
none, EPANET's: the pattern called "1", if there is one. A steady peak-hour run puts every
demand on a constant pattern of its own (:data:`FLAT_PATTERN`), also made the default, so
that no pattern scales the peak demand a second time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

FLAT_PATTERN = "jalnet-flat"


def demand_pattern(wn: Any, name: str | None) -> str | None:
    """The pattern EPANET applies to a demand: its own, else the model's default pattern, else "1"."""
    if name:
        return name
    default = wn.options.hydraulic.pattern
    if default and default in wn.pattern_name_list:
        return default
    return "1" if "1" in wn.pattern_name_list else None


def peak_step(wn: Any) -> tuple[int, dict[str, Any], float]:
    """(pattern step with the largest total junction demand, pattern multipliers over one full cycle,
    peak total / base total) from the model's own patterns."""
    patterns = {name: np.asarray(p.multipliers, dtype=float) for name, p in wn.patterns()}
    lengths = {len(v) for v in patterns.values() if len(v)} or {1}
    n = math.lcm(*lengths)
    if n > 100_000:  # patterns of unrelated lengths: one cycle of the longest
        n = max(lengths)
    curves = {name: np.resize(v, n) for name, v in patterns.items() if len(v)}
    total, base = np.zeros(n), 0.0
    for _, node in wn.junctions():
        for d in node.demand_timeseries_list:
            total += d.base_value * curves.get(demand_pattern(wn, d.pattern_name), 1.0)
            base += d.base_value
    k = int(np.argmax(total))
    return k, curves, (float(total[k] / base) if base > 0 else 1.0)


def flatten(wn: Any) -> None:
    """Every junction demand on a constant pattern, which is also the default one."""
    if FLAT_PATTERN not in wn.pattern_name_list:
        wn.add_pattern(FLAT_PATTERN, [1.0])
    for _, node in wn.junctions():
        for d in node.demand_timeseries_list:
            d.pattern_name = FLAT_PATTERN
    wn.options.hydraulic.pattern = FLAT_PATTERN

"""The rule catalogue of network validation: codes, severities, descriptions, parameters.

Codes are stable (``NET-0xx``): they appear in error layers, reports and accepted
exceptions, so a code is never reused for another meaning. Severities:

* ``error``: the network is wrong (a model built from it would be wrong or fail);
* ``warning``: probably wrong, look at it (accept it as an exception if it is right);
* ``info``: tidy-up suggestions.

The checks themselves live in ``checks_*.py``; each registers the codes it reports
with :func:`check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    unit: str
    description: str


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: str
    group: str
    description: str
    params: tuple[str, ...] = ()


PARAMS: dict[str, Param] = {p.name: p for p in (
    Param("node_tolerance_m", 0.01, "m", "pipe ends closer than this are one node"),
    Param("asset_tolerance_m", 0.5, "m", "a tank, source, pump, valve, tap or junction this close to a pipe end "
                                         "stands at that end"),
    Param("tiny_length_m", 0.5, "m", "pipes shorter than this are reported as tiny"),
    Param("gap_max_m", 1.0, "m", "a loose end closer than this to another pipe is an unclosed gap"),
    Param("near_miss_m", 5.0, "m", "a loose end closer than this to another pipe is a near miss (use the snap "
                                   "tolerance)"),
    Param("duplicate_tolerance_m", 0.5, "m", "pipes whose ends and course agree within this are duplicates"),
    Param("length_mismatch_ratio", 0.05, "", "reported length may differ from drawn length by this fraction..."),
    Param("length_mismatch_m", 5.0, "m", "...and by this many metres before it is reported (both must be exceeded)"),
    Param("fhtc_max_distance_m", 30.0, "m", "a tap connection farther than this from every pipe is reported"),
    Param("village_tolerance_m", 1.0, "m", "pipes may leave their scheme's villages by this much"),
)}  # fmt: skip

_RULES: tuple[Rule, ...] = (
    # -- geometry -------------------------------------------------------------------------
    Rule("NET-001", "Invalid geometry", "error", "Geometry",
         "Geometry GEOS reports as invalid: fewer than two distinct points, or coordinates that are not numbers."),
    Rule("NET-002", "Empty geometry", "error", "Geometry", "Asset without a location (no or empty geometry)."),
    Rule("NET-003", "Multipart pipe", "error", "Geometry",
         "Pipe stored as several lines (MultiLineString); a pipe runs between two nodes as one line."),
    Rule("NET-004", "Zero-length pipe", "error", "Geometry", "Pipe whose points are all at one place."),
    Rule("NET-005", "Tiny pipe", "warning", "Geometry", "Pipe shorter than the tiny-length limit; often a digitising "
         "slip or a node drawn twice.", ("tiny_length_m",)),
    Rule("NET-006", "Self-intersecting pipe", "error", "Geometry",
         "Pipe that crosses or touches itself, or ends where it started."),
    # -- topology -------------------------------------------------------------------------
    Rule("NET-010", "Duplicate pipes", "error", "Topology",
         "Two pipes between the same ends along the same course: one pipe entered twice.", ("duplicate_tolerance_m",)),
    Rule("NET-011", "Overlapping pipes", "error", "Topology",
         "Two pipes share a stretch of their course without being duplicates.", ("node_tolerance_m",)),
    Rule("NET-012", "Pipes cross without a node", "error", "Topology",
         "The insides of two pipes meet at a point: either a missing junction (split both pipes there) or a "
         "crossing at different depths (accept it as an exception).", ("node_tolerance_m",)),
    Rule("NET-013", "Pipe end on a pipe without a node", "error", "Topology",
         "A pipe ends on the middle of another pipe, which was not split there, so they are not connected.",
         ("node_tolerance_m",)),
    Rule("NET-020", "Dangling end", "warning", "Topology",
         "Pipe end connected to nothing and not at a legitimate dead end (end cap, tap, valve, tank, source, pump or "
         "treatment unit).", ("asset_tolerance_m",)),
    Rule("NET-021", "Unclosed gap", "error", "Topology",
         "Loose pipe end less than the gap limit from another pipe: meant to connect, but does not.", ("gap_max_m",)),
    Rule("NET-022", "Near miss", "warning", "Topology",
         "Loose pipe end between the gap limit and the near-miss distance from another pipe.",
         ("gap_max_m", "near_miss_m")),
    Rule("NET-023", "Junction off the pipes", "warning", "Topology",
         "Junction farther than the asset tolerance from every pipe end.", ("asset_tolerance_m",)),
    Rule("NET-024", "Wrong node reference", "warning", "Topology",
         "A pipe's from_node/to_node names an asset that is not at that end of the pipe.", ("asset_tolerance_m",)),
    Rule("NET-025", "Pseudo-node", "info", "Topology",
         "Node joining exactly two pipes with the same attributes and no fitting or asset: they could be one pipe."),
    Rule("NET-026", "Drawn against its from/to nodes", "warning", "Topology",
         "The pipe's from_node stands at its last vertex and its to_node at its first: the line is drawn the other "
         "way round (reverse the line, or swap from_node and to_node).", ("asset_tolerance_m",)),
    # -- connectivity ---------------------------------------------------------------------
    Rule("NET-030", "Disconnected part", "error", "Connectivity",
         "Pipes of a scheme not connected to the scheme's main network."),
    Rule("NET-031", "No source or tank", "error", "Connectivity",
         "A scheme's network reaches no source or tank, so no water can reach it."),
    Rule("NET-032", "Tank no source can fill", "error", "Connectivity",
         "A tank (ESR/OHT, GSR, sump, MBR) of a scheme with sources that stands at no pipe end, or on a part of the "
         "network that reaches none of them: nothing can fill it.", ("asset_tolerance_m",)),
    Rule("NET-033", "Loop in a branched scheme", "warning", "Connectivity",
         "The scheme is recorded as branched (schemes.layout) but its pipes close a loop: a pipe drawn twice along "
         "another route, a link that is really closed, or a scheme that is not branched."),
    # -- attributes -----------------------------------------------------------------------
    Rule("NET-040", "Missing diameter", "error", "Attributes", "Pipe without a diameter; hydraulics cannot run."),
    Rule("NET-041", "Missing material", "warning", "Attributes", "Pipe without a material."),
    Rule("NET-042", "Unknown material", "warning", "Attributes", "Pipe material is not a code of the material list."),
    Rule("NET-043", "Non-standard diameter", "warning", "Attributes",
         "Diameter outside 10..3000 mm, or not a nominal size of the pipe's material (IS 4984, 4985, 8329, 1536, "
         "1239, 1592)."),
    Rule("NET-044", "Diameter grows downstream", "warning", "Attributes",
         "Pipe wider than the pipe feeding it, counting away from the nearest source or tank."),
    Rule("NET-045", "Diameter change without a fitting", "warning", "Attributes",
         "Two pipes of different diameter meet at a node with no reducer, valve or other asset."),
    Rule("NET-046", "Length mismatch", "warning", "Attributes",
         "Reported length differs from the drawn length by more than both the fraction and the metres allowed.",
         ("length_mismatch_ratio", "length_mismatch_m")),
    # -- scheme context -------------------------------------------------------------------
    Rule("NET-050", "Pipe outside the scheme's villages", "warning", "Scheme",
         "Pipe (partly) outside the boundaries of the villages of its scheme.", ("village_tolerance_m",)),
    Rule("NET-051", "Tap far from the pipes", "warning", "Scheme",
         "Household tap connection farther than the allowed distance from every pipe.", ("fhtc_max_distance_m",)),
    Rule("NET-052", "Asset without a scheme", "error", "Scheme", "Asset whose scheme_id is empty."),
    Rule("NET-053", "Unknown scheme", "error", "Scheme", "Asset whose scheme_id is not in the schemes layer."),
)
RULES: dict[str, Rule] = {r.code: r for r in _RULES}

#: Nominal sizes (mm) by material, from the Indian standards for each pipe kind; MS and PSC
#: pipes are made to order, so only the overall range is checked for them.
NOMINAL_DIAMETERS: dict[str, frozenset[float]] = {
    "HDPE": frozenset([16, 20, 25, 32, 40, 50, 63, 75, 90, 110, 125, 140, 160, 180, 200, 225, 250, 280, 315, 355,
                       400, 450, 500, 560, 630, 710, 800, 900, 1000, 1200]),
    "PVC": frozenset([20, 25, 32, 40, 50, 63, 75, 90, 110, 125, 140, 160, 180, 200, 225, 250, 280, 315, 355, 400,
                      450, 500, 560, 630]),
    "DI": frozenset([80, 100, 125, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 750, 800, 900, 1000, 1100,
                     1200, 1400, 1500, 1600, 1800, 2000]),
    "CI": frozenset([80, 100, 125, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 750, 800, 900, 1000, 1100,
                     1200, 1500]),
    "GI": frozenset([15, 20, 25, 32, 40, 50, 65, 80, 100, 125, 150]),
    "AC": frozenset([80, 100, 125, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 750, 800, 900, 1000]),
}
NOMINAL_DIAMETERS["MDPE"] = NOMINAL_DIAMETERS["HDPE"]
NOMINAL_DIAMETERS["UPVC"] = NOMINAL_DIAMETERS["PVC"]

#: Check functions by rule code (filled by the ``checks_*`` modules through :func:`check`).
CHECKS: dict[str, Callable[[Any], None]] = {}


def check(*codes: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register a check function as the one that reports *codes*."""

    def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
        for code in codes:
            if code not in RULES:
                raise ValueError(f"{func.__name__}: {code} is not in the rule catalogue")
            CHECKS[code] = func
        return func

    return register


def select_rules(codes: Iterable[str] | None) -> list[str]:
    """Rule codes to run: all, or the given ones (also accepts a group name like 'Topology')."""
    if codes is None:
        return list(RULES)
    chosen: list[str] = []
    for item in codes:
        text = str(item).strip()
        if not text:
            continue
        if text.upper() in RULES:
            chosen.append(text.upper())
            continue
        group = [r.code for r in RULES.values() if r.group.lower() == text.lower()]
        if not group:
            groups = sorted({r.group for r in RULES.values()})
            raise InputError(f"unknown rule '{text}'; give codes NET-001..NET-053 (see 'jalnet network rules') or a "
                             f"group: {', '.join(groups)}")
        chosen.extend(group)
    return list(dict.fromkeys(chosen))


def resolve_params(params: dict[str, Any] | None) -> dict[str, float]:
    """Defaults overridden by *params*; unknown names and non-numbers are refused."""
    out = {name: p.default for name, p in PARAMS.items()}
    for name, value in (params or {}).items():
        if name not in PARAMS:
            raise InputError(f"unknown validation parameter '{name}'; known: {', '.join(PARAMS)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"validation parameter {name}: '{value}' is not a number") from None
        if number < 0:
            raise InputError(f"validation parameter {name}: {number} must not be negative")
        out[name] = number
    if out["gap_max_m"] > out["near_miss_m"]:
        raise InputError(f"gap_max_m ({out['gap_max_m']}) must not exceed near_miss_m ({out['near_miss_m']})")
    return out

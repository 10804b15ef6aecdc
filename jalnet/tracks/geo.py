"""Checking lon/lat from the field: range, inside India, swapped axes; reading degree text.

Phone apps and spreadsheets produce the same few mistakes: a blank or zero fix, latitude
and longitude in each other's columns, degrees-minutes-seconds text, a point on the
other side of the world. Every check here says which it is, so the message can tell the
user what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: lon_min, lat_min, lon_max, lat_max: India with a margin (Andaman & Nicobar to Ladakh, Gujarat to Arunachal).
INDIA_BOUNDS: tuple[float, float, float, float] = (68.0, 6.0, 98.0, 37.5)

_DMS = re.compile(
    r"^\s*([NSEW])?\s*(-?\d+(?:\.\d+)?)\s*(?:°|deg|d|:|\s)\s*(?:(\d+(?:\.\d+)?)\s*(?:'|′|m|:)?\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|''|s)?\s*)?([NSEW])?\s*$",
    re.IGNORECASE,
)


def parse_degree(text: object) -> float:
    """Decimal degrees from '26.4412', '26.4412 N', '26°26\\'28.3"N' or '91 25 48.1 E'; NaN if unreadable."""
    if text is None:
        return float("nan")
    if isinstance(text, (int, float, np.floating, np.integer)):
        return float(text)
    value = str(text).strip()
    if value.count(",") == 1 and "." not in value:  # decimal comma
        value = value.replace(",", ".")
    if not value:
        return float("nan")
    try:
        return float(value)
    except ValueError:
        pass
    match = _DMS.match(value)
    if not match:
        return float("nan")
    pre, deg, minutes, seconds, post = match.groups()
    hemi = (pre or post or "").upper()
    result = abs(float(deg)) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    if (minutes and float(minutes) >= 60) or (seconds and float(seconds) >= 60):
        return float("nan")
    negative = deg.startswith("-") or hemi in ("S", "W")
    return -result if negative else result


def valid_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Finite, within +-180/+-90, and not the (0, 0) a phone writes when it has no fix."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    return ok & ~((lon == 0) & (lat == 0))


def inside(lon: np.ndarray, lat: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3])


@dataclass
class CoordCheck:
    """Verdict on one feature's coordinates."""

    verdict: str  # "ok", "out_of_range", "outside_india", "swapped_latlon"
    good: np.ndarray  # per point: usable (valid and inside the bounds)
    detail: str = ""


def check_coords(lon: np.ndarray, lat: np.ndarray, bounds: tuple[float, float, float, float] = INDIA_BOUNDS) -> CoordCheck:
    """Whole-feature verdict; with "ok", points outside are out-of-range fixes to drop one by one."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    valid = valid_lonlat(lon, lat)
    good = valid & inside(lon, lat, bounds)
    if good.any():
        return CoordCheck("ok", good)
    swapped = valid_lonlat(lat, lon) & inside(lat, lon, bounds)
    first = _first_text(lon, lat)
    if swapped.sum() * 2 > len(lon):
        return CoordCheck(
            "swapped_latlon", good,
            f"latitude and longitude look swapped ({first}; swapped it lies in India)",
        )
    if valid.any():
        k = int(np.flatnonzero(valid)[0])
        return CoordCheck("outside_india", good, f"lies outside India (lat {lat[k]:.5f}, lon {lon[k]:.5f})")
    return CoordCheck("out_of_range", good, f"no usable coordinate ({first})")


def _first_text(lon: np.ndarray, lat: np.ndarray) -> str:
    if not len(lon):
        return "no coordinates"
    return f"lat {lat[0]:g}, lon {lon[0]:g}"

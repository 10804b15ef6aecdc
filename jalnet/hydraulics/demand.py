"""Water demand from household tap connections (FHTCs), and when it is drawn.

Demand = households x persons per household x litres per capita per day (JJM: 55 lpcd),
each tap allocated to its nearest junction on the network (not to junctions that only
carry a rising main: no taps are taken off a pumping main). Continuous supply draws it
with a diurnal pattern; intermittent supply (``supply_hours`` < 24) draws the whole day's
demand within the supply windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError

LPCD_DEFAULT = 55.0
PERSONS_DEFAULT = 5.0
#: CPHEEO's peak factor for continuous supply to a population up to 50,000.
PEAK_FACTOR_CONTINUOUS = 3.0

#: Hourly multipliers (mean 1) for continuous rural supply: a morning and an evening peak.
DIURNAL = (0.30, 0.20, 0.20, 0.20, 0.30, 0.80, 1.80, 2.20, 1.90, 1.40, 1.10, 1.00,
           1.00, 0.90, 0.80, 0.90, 1.20, 1.70, 1.90, 1.60, 1.10, 0.70, 0.50, 0.40)  # fmt: skip


@dataclass(frozen=True)
class DemandSettings:
    lpcd: float
    persons_per_household: float | None  # None: each tap's own persons, else this for all
    default_persons: float
    statuses: tuple[str, ...]
    supply_hours: float
    supply_windows: tuple[tuple[float, float], ...]

    @property
    def intermittent(self) -> bool:
        return self.supply_hours < 24


def household_demands(fhtc: gpd.GeoDataFrame, settings: DemandSettings) -> gpd.GeoDataFrame:
    """One row per tap: persons, whether it draws water, and its demand in l/s."""
    status = fhtc["status"].astype(object).where(fhtc["status"].notna(), "unknown")
    counted = status.isin(settings.statuses).to_numpy()
    if settings.persons_per_household is not None:
        persons = np.full(len(fhtc), float(settings.persons_per_household))
    else:
        given = pd.to_numeric(fhtc["persons"], errors="coerce").astype(float).to_numpy()
        persons = np.where(np.isnan(given) | (given <= 0), settings.default_persons, given)
    demand = np.where(counted, persons * settings.lpcd / 86400.0, 0.0)  # l/s
    return gpd.GeoDataFrame(
        {"fhtc_id": fhtc["fhtc_id"].to_numpy(), "village_id": fhtc["village_id"].to_numpy(),
         "persons": persons, "counted": counted, "demand_lps": demand},
        geometry=fhtc.geometry.to_numpy(), crs=fhtc.crs, index=fhtc.index,
    )


def allocate(taps: gpd.GeoDataFrame, names: list[str], xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest junction (name) and distance (m) for every tap."""
    if len(taps) == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    if len(names) == 0:
        raise InputError("household connections cannot be allocated: the scheme has no junction that serves taps")
    points = shapely.points(xy[:, 0], xy[:, 1])
    tree = shapely.STRtree(points)
    tap_geoms = taps.geometry.to_numpy()
    idx = tree.nearest(tap_geoms)
    dist = shapely.distance(tap_geoms, points[idx])
    return np.asarray(names, dtype=object)[idx], dist


def parse_windows(text: str) -> tuple[tuple[float, float], ...]:
    """'06:00-10:00,17:00-21:00' -> ((6, 10), (17, 21)) in hours."""
    windows = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, b = (_hours(t) for t in part.split("-"))
        except ValueError:
            raise InputError(f"supply window '{part}': write HH:MM-HH:MM, e.g. 06:00-10:00") from None
        if not 0 <= a < b <= 24:
            raise InputError(f"supply window '{part}' must run forward within one day (00:00-24:00)")
        windows.append((a, b))
    if not windows:
        raise InputError(f"supply windows '{text}': give at least one window such as 06:00-10:00")
    return tuple(windows)


def _hours(text: str) -> float:
    hh, _, mm = text.strip().partition(":")
    return int(hh) + (int(mm) if mm else 0) / 60.0


def default_windows(supply_hours: float) -> tuple[tuple[float, float], ...]:
    """Half the supply from 06:00, the other half from 17:00 (village practice)."""
    morning = math.ceil(supply_hours / 2 * 2) / 2
    evening = supply_hours - morning
    out = [(6.0, 6.0 + morning)]
    if evening > 0:
        out.append((17.0, 17.0 + evening))
    return tuple(out)


def supply_pattern(settings: DemandSettings) -> list[float]:
    """24 hourly multipliers of the average demand (they average 1)."""
    if not settings.intermittent:
        return list(DIURNAL)
    cover = np.zeros(24)
    for a, b in settings.supply_windows:
        for h in range(24):
            cover[h] += max(0.0, min(b, h + 1) - max(a, h))
    total = cover.sum()
    if total <= 0:
        raise InputError("supply windows cover no time of the day")
    return [float(v) for v in cover * 24.0 / total]


def default_peak_factor(settings: DemandSettings) -> float:
    """Peak-hour multiplier of the average demand: CPHEEO's 3 for continuous supply;
    24 / supply hours for intermittent supply (the day's water drawn within the windows)."""
    if settings.intermittent:
        return 24.0 / settings.supply_hours
    return PEAK_FACTOR_CONTINUOUS

"""How far to reach when snapping, from what the staged pipes are: no number for the user to guess.

A surveyed line is right to a few decimetres; a line digitised on imagery to a couple of
metres; a phone walk wanders with its GPS error (reported by the phone, or the 5 m a phone
manages in the open when nothing is reported) and its ends stop short of, or run past, the
node by several metres more (the walker stops at the trench end, not at the fitting).

Each staged line gets its own estimate; the snap uses the median of the batch, so one odd
walk does not set the reach for all. The reach for ends is two GPS errors plus the usual
overrun; a walk is taken for a repeat of a pipe only when it lies within about 1.5 GPS
errors of it (see :mod:`.conflate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Typical error (m) of lines that were drawn or measured, not walked.
DRAWN_ERROR_M = {"survey": 0.5, "digitised": 2.0, "design": 2.0, "epanet": 2.0}
#: GPS error assumed for a walk that reports none (phone in the open).
PHONE_ERROR_M = 5.0
#: How far a walk's end stops short of, or runs past, its node (m).
OVERRUN_M = 8.0
#: Bounds of a derived tolerance (m).
LOWEST_M, HIGHEST_M = 1.0, 25.0


@dataclass(frozen=True)
class SnapTolerance:
    """The reach used (m), the GPS error it came from (m), and why, in one line for the summary."""

    tolerance: float
    error: float
    why: str


def fit_tolerance(staged: pd.DataFrame, tolerance: float | None = None) -> SnapTolerance:
    """The tolerance for snapping *staged* (staged_pipes rows); a given *tolerance* wins."""
    error, reach, kinds = _per_line(staged)
    typical = float(np.median(error)) if len(error) else PHONE_ERROR_M
    if tolerance is not None:
        return SnapTolerance(float(tolerance), min(typical, float(tolerance) / 2), f"{tolerance:g} m as given")
    if not len(reach):
        return SnapTolerance(5.0, PHONE_ERROR_M, "5 m: nothing staged to judge by")
    value = float(np.clip(round(float(np.median(reach)) * 2) / 2, LOWEST_M, HIGHEST_M))
    return SnapTolerance(value, typical, f"{value:g} m derived from {kinds}")


def _sources(staged: pd.DataFrame) -> pd.Series:
    """Each staged line's geometry source (a walk when none is said)."""
    if "geom_source" not in staged.columns:
        return pd.Series(["gps_track"] * len(staged), index=staged.index)
    return staged["geom_source"].astype(object).where(staged["geom_source"].notna(), "gps_track")


def walked_lines(staged: pd.DataFrame) -> np.ndarray:
    """Mask of the staged lines that are walks (any source that is not drawn or measured)."""
    return _sources(staged).map(DRAWN_ERROR_M).isna().to_numpy() if len(staged) else np.zeros(0, dtype=bool)


def _per_line(staged: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    n = len(staged)
    if not n:
        return np.zeros(0), np.zeros(0), ""
    source = _sources(staged)
    reported = pd.to_numeric(staged["accuracy_m"], errors="coerce") if "accuracy_m" in staged.columns else \
        pd.Series(np.nan, index=staged.index)
    drawn = source.map(DRAWN_ERROR_M)
    walked = drawn.isna().to_numpy()
    error = np.where(walked, reported.fillna(PHONE_ERROR_M).to_numpy(dtype=float), drawn.to_numpy(dtype=float))
    reach = np.where(walked, 2 * error + OVERRUN_M, 3 * error)
    parts = []
    if walked.any():
        told = walked & reported.notna().to_numpy()
        text = f"{int(walked.sum())} walked line(s)"
        if told.any():
            text += (f", GPS error {np.median(error[told]):.1f} m (median of {int(told.sum())}: reported by the device, "
                     "or measured from the spread of the fixes at import)")
        if (walked & ~told).any():
            text += f", {PHONE_ERROR_M:g} m assumed for {int((walked & ~told).sum())} that report none"
        parts.append(text + f" (2 x error + {OVERRUN_M:g} m for ends stopping short or running past their node)")
    if (~walked).any():
        counts = source[~walked].value_counts()
        parts.append(", ".join(f"{v} {k} line(s) (about {DRAWN_ERROR_M[k]:g} m)" for k, v in counts.items())
                     + " (3 x error)")
    return error, reach, "; ".join(parts) + "; median over the batch"

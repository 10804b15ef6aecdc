"""Fix times from GPX, KML and CSV as seconds since 1970 (UTC), NaN where missing.

Cleaning needs only differences between fixes, but the registry stores UTC. GPX times are
UTC by definition; field apps in India often write local time without an offset, so a
time without a zone is read in ``naive_offset_h`` (IST, +05:30, unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

IST_HOURS = 5.5


def parse_times(values: Sequence[object], naive_offset_h: float = IST_HOURS, dayfirst: bool = True) -> np.ndarray:
    """Seconds since 1970 UTC for each value; NaN for missing or unreadable values.

    Accepts ISO 8601 (with or without zone), day-first dates as written in India
    ("19/03/2024 16:30:45"), and Unix epoch numbers in seconds or milliseconds.
    """
    n = len(values)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    fast = _utc_iso(values)
    if fast is not None:
        return fast
    texts = pd.Series([None if v is None else str(v).strip() or None for v in values], dtype=object)
    numeric = pd.to_numeric(texts, errors="coerce")
    epoch = numeric.notna() & (numeric > 1e8)  # 1973 onwards: not a year or a clock reading
    if epoch.any():
        nums = numeric[epoch].to_numpy(dtype=float)
        out[epoch.to_numpy()] = np.where(nums > 1e11, nums / 1000.0, nums)
    rest = texts.notna() & ~epoch
    if not rest.any():
        return out
    sub = texts[rest]
    iso = sub.str.match(r"^\d{4}-\d{2}-\d{2}")
    for mask, kwargs in ((iso, {"format": "ISO8601"}), (~iso, {"format": "mixed", "dayfirst": dayfirst})):
        part = sub[mask]
        if part.empty:
            continue
        out[np.flatnonzero(rest.to_numpy())[mask.to_numpy()]] = _to_epoch(part, naive_offset_h, kwargs)
    return out


def _utc_iso(values: Sequence[object]) -> np.ndarray | None:
    """The common case, every value '2024-03-12T04:30:00Z' (GPX, most loggers), parsed at C speed."""
    if not all(isinstance(v, str) and v.endswith("Z") and len(v) >= 20 and v[10] == "T" for v in values):
        return None
    try:
        stamps = np.array([v[:-1] for v in values], dtype="datetime64[ms]")
    except ValueError:
        return None
    return stamps.astype("int64") / 1000.0


def _to_epoch(texts: pd.Series, naive_offset_h: float, kwargs: dict) -> np.ndarray:
    out = np.full(len(texts), np.nan)
    zoned = texts.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).to_numpy()
    for mask, utc in ((zoned, True), (~zoned, False)):
        if not mask.any():
            continue
        try:
            parsed = pd.to_datetime(texts[mask], errors="coerce", utc=utc, **kwargs)
        except (ValueError, TypeError, OverflowError):  # mixed zones in one column
            parsed = pd.to_datetime(texts[mask], errors="coerce", utc=True, format="mixed", dayfirst=True)
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize("UTC") - pd.Timedelta(hours=naive_offset_h)
        seconds = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
        out[mask] = seconds
    return out


def iso_utc(seconds: float | None) -> str | None:
    """'2024-03-19T11:00:45.000Z' for the registry's DATETIME fields."""
    if seconds is None or not np.isfinite(seconds):
        return None
    stamp = pd.Timestamp(seconds, unit="s", tz="UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"

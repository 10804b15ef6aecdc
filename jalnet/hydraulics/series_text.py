"""Time series as comma-separated text, formatted with numpy in one pass over all values.

The per-step layers hold one series per feature ("12.5,12.31,,11.9"), which QGIS
expressions split for the temporal controller. Formatting millions of floats one by one
in Python was most of the cost of writing an extended run's results (Net6, 96 h: 2
million values), so the digits are computed with array arithmetic instead: values are
rounded to a fixed number of decimals, trailing zeros dropped, blanks where a value is
missing, and never "-0".
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: above this (after scaling by 10**decimals) int64 arithmetic is no longer exact: use Python's formatting
_EXACT_LIMIT = 10**15


def series_text(matrix: np.ndarray, decimals: int) -> list[str]:
    """Each column of a (time x feature) matrix as one comma-separated string."""
    values = np.asarray(matrix, dtype=float).T
    n_rows, n_cols = values.shape if values.ndim == 2 else (0, 0)
    if n_rows == 0:
        return []
    if n_cols == 0:
        return [""] * n_rows
    missing = ~np.isfinite(values)
    scale = 10**decimals
    with np.errstate(invalid="ignore"):
        scaled = np.rint(np.where(missing, 0.0, values) * scale)
    if np.abs(scaled).max() >= _EXACT_LIMIT:
        return _python_text(values, decimals)
    scaled = scaled.astype(np.int64).ravel()
    missing = missing.ravel()
    negative = scaled < 0
    whole, frac = np.divmod(np.abs(scaled), scale)
    # fractional digits shown: the decimals less the fraction's trailing zeros
    shown = np.full(scaled.shape, decimals, np.int64)
    for k in range(1, decimals + 1):
        shown -= frac % 10**k == 0
    digits = np.ones(scaled.shape, np.int64)
    power = 10
    while (more := whole >= power).any():
        digits += more
        power *= 10
    # every value in a fixed grid of columns: sign and integer digits right-aligned before the
    # point, the decimals after it, then a comma; written column by column, then the unused
    # cells dropped in one pass
    width_int = int(digits.max()) + 1
    point = width_int
    comma = point + 1 + decimals
    cells = np.empty((len(scaled), comma + 1), np.uint8)
    rest = whole.astype(np.int32) if whole.max() < 2**31 else whole
    for p in range(width_int - 1):
        rest, digit = np.divmod(rest, 10)
        cells[:, point - 1 - p] = digit + ord("0")
    cells[:, point] = ord(".")
    rest = frac.astype(np.int32) if decimals < 10 else frac
    for q in range(decimals - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        cells[:, point + 1 + q] = digit + ord("0")
    cells[:, comma] = ord(",")
    sign_at = point - digits - 1
    rows = np.flatnonzero(negative)
    cells[rows, sign_at[rows]] = ord("-")
    # each value's cells are one run, [first, end), then its comma unless it ends its row
    first = np.where(missing, point, point - digits - negative).astype(np.int16)
    end = np.where(missing, point, point + np.where(shown > 0, shown + 1, 0)).astype(np.int16)
    column = np.arange(comma + 1, dtype=np.int16)
    keep = (column >= first[:, None]) & (column < end[:, None])
    with_comma = np.ones((n_rows, n_cols), bool)
    with_comma[:, -1] = False
    keep[:, comma] = with_comma.ravel()
    text = cells[keep].tobytes().decode("ascii")
    lengths = (end - first).astype(np.int64) + with_comma.ravel()
    ends = np.cumsum(lengths.reshape(n_rows, n_cols).sum(axis=1))
    starts = np.concatenate([[0], ends[:-1]])
    return [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())]


def series_texts(columns: dict[str, tuple[np.ndarray, int]]) -> dict[str, list[str]]:
    """Several (matrix, decimals) at once: numpy lets go of the GIL while it formats, so two
    threads keep two cores busy."""
    workers = min(2, os.cpu_count() or 1, len(columns))
    if workers < 2:
        return {name: series_text(m, d) for name, (m, d) in columns.items()}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(series_text, m, d) for name, (m, d) in columns.items()}
        return {name: f.result() for name, f in futures.items()}


def _python_text(rows: np.ndarray, decimals: int) -> list[str]:
    """The same text, one value at a time (for values too large for exact integer arithmetic)."""
    out = []
    for row in rows.tolist():
        parts = []
        for v in row:
            if v != v or v in (float("inf"), float("-inf")):
                parts.append("")
                continue
            s = f"{round(v * 10**decimals) / 10**decimals:.{decimals}f}"  # half to even, as numpy rounds
            if "." in s:
                s = s.rstrip("0").rstrip(".")
            parts.append("0" if s in ("-0", "") else s)
        out.append(",".join(parts))
    return out

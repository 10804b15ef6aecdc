"""Time series as comma-separated text, formatted with numpy in one pass over all values.

An extended run's nodes and links hold one series per feature ("12.5,12.31,,11.9"), which
QGIS expressions split for the temporal controller. Formatting millions of floats one by one
in Python was most of the cost of writing an extended run's results (Net6, 96 h: 2
million values), so the digits are computed with array arithmetic instead: values are
rounded to a fixed number of decimals, trailing zeros dropped, blanks where a value is
missing, and never "-0". The text comes out as one byte buffer with offsets, which
becomes an Arrow string column without a Python string per feature when pyarrow is
installed (and a list of strings otherwise).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: above this (after scaling by 10**decimals) int64 arithmetic is no longer exact: use Python's formatting
_EXACT_LIMIT = 10**15


def series_text(matrix: np.ndarray, decimals: int) -> list[str]:
    """Each column of a (time x feature) matrix as one comma-separated string."""
    data, offsets = _encode(matrix, decimals)
    text = data.tobytes().decode("ascii")
    bounds = offsets.tolist()
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def series_array(matrix: np.ndarray, decimals: int) -> Any:
    """The same strings as a pandas column: Arrow-backed, straight from the bytes, when pyarrow
    is installed (writing it to a GeoPackage then needs no Python string at all)."""
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError:
        return series_text(matrix, decimals)
    data, offsets = _encode(matrix, decimals)
    if offsets[-1] < 2**31:
        array = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets.astype(np.int32)),
                                            pa.py_buffer(data))
    else:
        array = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.arrays.ArrowStringArray(pa.chunked_array([array], type=array.type))


def series_arrays(columns: dict[str, tuple[np.ndarray, int]]) -> dict[str, Any]:
    """Several (matrix, decimals) at once, on two threads: numpy lets go of the GIL while it
    formats, so both cores work. (The caller waits: next to a thread running Python code the
    formatting threads would queue for the GIL at every numpy call.)"""
    workers = min(2, os.cpu_count() or 1, len(columns))
    if workers < 2:
        return {name: series_array(m, d) for name, (m, d) in columns.items()}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(series_array, m, d) for name, (m, d) in columns.items()}
        return {name: f.result() for name, f in futures.items()}


def _encode(matrix: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """The text of every column as one ASCII byte array, and each column's [start, end) offsets."""
    values = np.asarray(matrix, dtype=float).T
    n_rows, n_cols = values.shape if values.ndim == 2 else (0, 0)
    if n_rows == 0 or n_cols == 0:
        return np.zeros(0, np.uint8), np.zeros(n_rows + 1, np.int64)
    missing = ~np.isfinite(values)
    scale = 10**decimals
    with np.errstate(invalid="ignore"):
        scaled = np.rint(np.where(missing, 0.0, values) * scale)
    largest = np.abs(scaled).max()
    if largest >= _EXACT_LIMIT:
        return _python_encode(values, decimals)
    # 32-bit integers where the values allow it: half the memory traffic of 64-bit
    itype = np.int32 if largest < 2**31 - 1 and decimals <= 9 else np.int64
    scaled = scaled.astype(itype).ravel()
    missing = missing.ravel()
    negative = scaled < 0
    whole, frac = np.divmod(np.abs(scaled), itype(scale))
    # fractional digits shown: the decimals less the fraction's trailing zeros
    shown = np.full(scaled.shape, decimals, np.int8)
    for k in range(1, decimals + 1):
        shown -= frac % itype(10**k) == 0
    digits = np.ones(scaled.shape, np.int8)
    power = 10
    while power <= np.iinfo(itype).max and (more := whole >= power).any():
        digits += more
        power *= 10
    # every value in a fixed grid of columns: sign and integer digits right-aligned before the
    # point, the decimals after it, then a comma; written column by column, then the unused
    # cells dropped in one pass
    width_int = int(digits.max()) + 1
    point = width_int
    comma = point + 1 + decimals
    cells = np.empty((len(scaled), comma + 1), np.uint8)
    rest = whole
    for p in range(width_int - 1):
        rest, digit = np.divmod(rest, 10)
        cells[:, point - 1 - p] = digit + ord("0")
    cells[:, point] = ord(".")
    rest = frac
    for q in range(decimals - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        cells[:, point + 1 + q] = digit + ord("0")
    cells[:, comma] = ord(",")
    rows = np.flatnonzero(negative)
    cells[rows, point - 1 - digits[rows].astype(np.intp)] = ord("-")
    # each value's cells are one run, [point - lead, point + tail), then its comma unless it ends
    # its row; the few (lead, tail) pairs there are each have one row of a small mask table
    lead = np.where(missing, 0, digits + negative).astype(np.intp)
    tail = np.where(missing | (shown == 0), 0, shown + 1).astype(np.intp)
    column = np.arange(comma + 1)
    leads, tails = np.arange(width_int + 1), np.arange(decimals + 2)
    table = ((column[None, None, :] >= point - leads[:, None, None]) &
             (column[None, None, :] < point + tails[None, :, None]))
    keep = table.reshape(-1, comma + 1)[lead * (decimals + 2) + tail]
    with_comma = np.ones((n_rows, n_cols), bool)
    with_comma[:, -1] = False
    keep[:, comma] = with_comma.ravel()
    lengths = (lead + tail + with_comma.ravel()).reshape(n_rows, n_cols).sum(axis=1)
    return cells[keep], np.concatenate([[0], np.cumsum(lengths)])


def _python_encode(rows: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """The same text, one value at a time (for values too large for exact integer arithmetic)."""
    texts = []
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
        texts.append(",".join(parts))
    lengths = [len(t) for t in texts]
    return np.frombuffer("".join(texts).encode("ascii"), np.uint8), np.concatenate([[0], np.cumsum(lengths)])

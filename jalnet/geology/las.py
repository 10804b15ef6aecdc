"""Geophysical logs from LAS files (via lasio): the curves a strip log shows beside the lithology.

Each curve becomes one row of ``geophysical_logs`` with its samples as JSON, so a LAS
file of a few thousand samples is a handful of rows, not thousands. The depth index is
converted to metres (LAS files from older loggers are often in feet); null samples are
dropped. The borehole is the LAS ``WELL`` (or ``UWI``) header, else the file name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

_KIND = {
    "gamma": ("GR", "GAMMA", "NGAM", "GRD", "SGR", "CGR", "NAT_GAMMA"),
    "resistivity": ("RES", "RT", "ILD", "ILM", "LLD", "LLS", "SN", "LN", "SPR", "R16", "R64", "16N", "64N",
                    "RSHORT", "RLONG", "SHORT_NORMAL", "LONG_NORMAL", "RESISTIVITY"),
    "sp": ("SP", "SPONTANEOUS_POTENTIAL"),
}
_FEET_UNITS = {"F", "FT", "FEET", "FOOT"}


def curve_kind(mnemonic: str) -> str:
    key = mnemonic.strip().upper()
    for kind, names in _KIND.items():
        if key in names or any(key.startswith(n) for n in names if len(n) > 2):
            return kind
    return "other"


def read_las(path: str | os.PathLike, borehole_id: str | None = None) -> tuple[str, pd.DataFrame]:
    """(borehole ID, one row per curve in the ``geophysical_logs`` fields)."""
    try:
        import lasio
    except ImportError:
        raise InputError(f"{path}: reading LAS files needs the Python package lasio (pip install lasio)") from None
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    try:
        las = lasio.read(str(path), ignore_header_errors=True)
    except Exception as err:  # noqa: BLE001 - lasio raises many kinds for a malformed file
        raise InputError(f"cannot read {path} as a LAS file: {str(err).splitlines()[0]}") from None
    well = borehole_id or _header(las, "WELL") or _header(las, "UWI") or path.stem
    if len(las.curves) < 2:
        raise InputError(f"{path}: no curves besides the depth index")
    index = las.curves[0]
    depth = np.asarray(las.index, dtype=float)
    unit = (index.unit or "").strip().upper()
    if unit in _FEET_UNITS:
        depth = depth * 0.3048
    elif unit not in ("M", "METRE", "METRES", "METER", "METERS", ""):
        raise InputError(f"{path}: depth index unit '{index.unit}' is neither metres nor feet")
    rows = []
    for curve in las.curves[1:]:
        values = np.asarray(curve.data, dtype=float)
        ok = np.isfinite(values) & np.isfinite(depth)
        if not ok.any():
            continue
        samples = {"depth": [round(float(d), 3) for d in depth[ok]], "value": [float(v) for v in values[ok]]}
        rows.append({
            "log_id": f"{well}:{curve.mnemonic}",
            "borehole_id": well,
            "curve": curve.mnemonic,
            "kind": curve_kind(curve.mnemonic),
            "unit": curve.unit or None,
            "description": curve.descr or None,
            "top_m": float(depth[ok].min()),
            "base_m": float(depth[ok].max()),
            "samples": json.dumps(samples, separators=(",", ":")),
            "source_file": path.name,
        })
    if not rows:
        raise InputError(f"{path}: every curve is empty (only null values)")
    return well, pd.DataFrame(rows)


def _header(las: object, mnemonic: str) -> str | None:
    try:
        value = str(las.well[mnemonic].value).strip()  # type: ignore[attr-defined]
    except (KeyError, AttributeError):
        return None
    return value or None


def curve_samples(samples_json: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(depth, value) arrays of a stored curve."""
    if not samples_json:
        return np.array([]), np.array([])
    data = json.loads(samples_json)
    return np.asarray(data["depth"], dtype=float), np.asarray(data["value"], dtype=float)

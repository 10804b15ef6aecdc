"""The fate of every GPS fix, as a layer for QGIS and as a map for reports.

A GIS cell trusts cleaning it can see: which fixes were kept, which were spikes, which
were a standstill cloud. Both need an import run with ``keep_fixes``.
"""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..outputs import write_gpkg_layer
from .report import ImportReport
from .times import iso_utc

LAYER = "track_fixes"
#: Colours of fix fates on maps (the QML style of the layer uses the same).
COLOURS = {"kept": "#9aa5b1", "spike": "#d7191c", "standstill": "#fdae61", "low_accuracy": "#7b3294",
           "duplicate": "#2c7bb6", "short_segment": "#1a9641", "out_of_range": "#000000"}


def fixes_frame(report: ImportReport) -> gpd.GeoDataFrame:
    """One row per fix: file, track, order, time, accuracy, fate ('kept' or the reason it was dropped)."""
    rows: list[pd.DataFrame] = []
    for f in report.files:
        for tr in f.fixes:
            n = len(tr.x)
            rows.append(pd.DataFrame({
                "source_file": f.name, "source_ref": tr.ref, "seq": np.arange(1, n + 1),
                "time": [iso_utc(v) for v in tr.time] if tr.time is not None else None,
                "accuracy_m": tr.accuracy if tr.accuracy is not None else np.nan,
                "fate": np.where(tr.reason == "", "kept", tr.reason).astype(str), "x": tr.x, "y": tr.y,
            }))  # fmt: skip
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["source_file", "source_ref", "seq", "time", "accuracy_m", "fate", "x", "y"])
    geometry = shapely.points(frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float))
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=geometry, crs=f"EPSG:{report.epsg}")


def write_fixes(report: ImportReport, path: str | os.PathLike) -> int:
    """Write the fixes layer (GeoPackage ``track_fixes``); returns the number of fixes."""
    frame = fixes_frame(report)
    if not any(f.fixes for f in report.files) and any(f.points_read for f in report.files):
        raise InputError("the import kept no fixes; run it with keep_fixes to write the fixes layer")
    try:
        write_gpkg_layer(frame, path, LAYER)
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot write {path}: {str(err).splitlines()[0]}") from None
    return len(frame)


def cleaning_figure(report: ImportReport, max_panels: int = 9) -> Any:
    """Small maps, one per track: fixes coloured by fate, the cleaned line on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tracks = [(f.name, tr) for f in report.files for tr in f.fixes][:max_panels]
    cols = min(3, max(1, len(tracks)))
    rows = max(1, -(-len(tracks) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (name, tr) in zip(axes.flat, tracks):
        fate = np.where(tr.reason == "", "kept", tr.reason).astype(str)
        for what, colour in COLOURS.items():
            sel = fate == what
            if sel.any():
                ax.scatter(tr.x[sel], tr.y[sel], s=4 if what == "kept" else 10, c=colour,
                           label=f"{what.replace('_', ' ')} ({int(sel.sum())})", zorder=3 if what != "kept" else 2)
        for line in tr.lines:
            ax.plot(line[:, 0], line[:, 1], "-", color="#08306b", lw=1.6, zorder=4)
        ax.set_axis_on()
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        _scale_bar(ax)
        ax.set_title(f"{name}\n{tr.ref[-45:]}", fontsize=8)
        ax.legend(fontsize=6, loc="best", markerscale=1.5)
    fig.tight_layout()
    return fig


def _scale_bar(ax: Any) -> None:
    """A 100 m bar (50 m on small maps) in the lower left corner, instead of UTM tick labels."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    length = 100.0 if x1 - x0 > 250 else 50.0
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length], [y, y], "k-", lw=2)
    ax.text(x + length / 2, y + 0.015 * (y1 - y0), f"{length:.0f} m", ha="center", va="bottom", fontsize=6)

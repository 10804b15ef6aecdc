"""Strip logs: the lithology column beside the well-construction diagram, water level marked.

One page per borehole, read top to bottom like a driller's log: depth (m below ground)
on the left and elevation (m above MSL) on the right, the lithology column in standard
colours and patterns with its aquifer intervals marked, the descriptions, the well as
built (casing, screens with their slots, gravel pack, seals drawn to their diameters),
the static water level, and gamma/resistivity curves when a LAS log was imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, MultipleLocator

from ..feedback import Feedback, check_canceled
from ..registry.store import Registry
from .figures import FORMATS, code_label, lithology_handles, lithology_rect, save
from .las import curve_samples
from .model import Lithologs, aquifer_flags, file_stem, read_lithologs

WATER = "#1f6fd1"
AQUIFER = "#4aa3ff"
DEFAULT_PIPE_MM = 150.0
DEFAULT_HOLE_MM = 300.0
_CONSTRUCTION_STYLE = {
    "casing": ("#4d4d4d", "Casing (plain pipe)"),
    "blank": ("#7a7a7a", "Blank pipe"),
    "screen": ("#1f6fd1", "Screen (slotted)"),
    "gravel_pack": ("#e0c28c", "Gravel pack"),
    "seal": ("#8c8c8c", "Seal (cement/bentonite)"),
}


def striplog_figure(data: Lithologs, borehole_id: str) -> Figure:
    """The strip log of one borehole as a matplotlib Figure."""
    bh = data.borehole(borehole_id)
    iv = data.intervals_of(borehole_id)
    cs = data.construction_of(borehole_id)
    logs = data.logs_of(borehole_id)
    bottom = _bottom(bh, iv, cs)
    curve_kinds = [k for k in ("gamma", "resistivity") if (logs["kind"] == k).any()] if len(logs) else []

    widths = [0.9, 0.28, 2.6, 2.1] + [1.2] * len(curve_kinds)
    fig = Figure(figsize=(sum(widths) + 1.9, 11.0))
    gs = fig.add_gridspec(1, len(widths), width_ratios=widths, wspace=0.04, left=0.1, right=0.9, top=0.86,
                          bottom=0.2)
    axes = [fig.add_subplot(gs[0, k]) for k in range(len(widths))]
    ax_lith, ax_aq, ax_desc, ax_well = axes[:4]
    for ax in axes:
        ax.set_ylim(bottom, 0)
        ax.set_xlim(0, 1)
        ax.tick_params(axis="y", which="both", left=False, right=False, labelleft=False)
        ax.set_xticks([])
    for ax in axes[1:]:
        ax.sharey(ax_lith)

    _lithology(ax_lith, iv)
    _aquifer(ax_aq, iv)
    _descriptions(ax_desc, iv, bottom)
    _well(ax_well, cs, bh, bottom)
    for ax, kind in zip(axes[4:], curve_kinds):
        _curves(ax, logs[logs["kind"] == kind], kind)
    _depth_axis(ax_lith, bottom)
    _elevation_axis(axes[-1], bh)
    for ax, title in zip(axes, ["Lithology", "Aq.", "Description", "Well as built"] + [
            {"gamma": "Gamma", "resistivity": "Resistivity"}[k] for k in curve_kinds]):
        ax.set_title(title, fontsize=8.5, pad=4 if title in ("Lithology", "Aq.", "Description", "Well as built") else 14)
    _header(fig, bh)
    _legend(fig, iv, cs, bh)
    return fig


# -- parts ---------------------------------------------------------------------------------
def _bottom(bh: pd.Series, iv: pd.DataFrame, cs: pd.DataFrame) -> float:
    depths = [bh.get("drilled_depth_m"), iv["to_m"].max() if len(iv) else np.nan,
              cs["to_m"].max() if len(cs) else np.nan, bh.get("swl_m")]
    finite = [float(d) for d in depths if d is not None and pd.notna(d)]
    deepest = max(finite) if finite else 10.0
    return deepest * 1.02 + 0.5


def _lithology(ax, iv: pd.DataFrame) -> None:
    for row in iv.itertuples(index=False):
        if row.to_m > row.from_m:
            ax.add_patch(lithology_rect(0.0, row.from_m, 1.0, row.to_m, row.lithology))
    ax.set_facecolor("#f7f7f7")


def _aquifer(ax, iv: pd.DataFrame) -> None:
    """A narrow blue bar where the log says water-bearing."""
    for row, flag in zip(iv.itertuples(index=False), aquifer_flags(iv)):
        if flag and row.to_m > row.from_m:
            ax.add_patch(Rectangle((0.1, row.from_m), 0.8, row.to_m - row.from_m, facecolor=AQUIFER,
                                   edgecolor="none"))
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label depths moved apart by at least *gap*, kept within [low, high], order kept."""
    out: list[float] = []
    for p in positions:
        out.append(max(p, out[-1] + gap) if out else max(p, low))
    overflow = out[-1] - high if out else 0.0
    if overflow > 0:
        for k in range(len(out) - 1, -1, -1):
            limit = high if k == len(out) - 1 else out[k + 1] - gap
            out[k] = min(out[k], limit)
    return out


def _descriptions(ax, iv: pd.DataFrame, bottom: float) -> None:
    ax.set_xlim(0, 1)
    rows = [r for r in iv.itertuples(index=False) if r.to_m > r.from_m]
    if not rows:
        ax.text(0.5, bottom / 2, "no lithology logged", ha="center", va="center", fontsize=8, color="#888888")
        return
    height_in = ax.get_position().height * ax.figure.get_figheight()
    gap = bottom * (2 * 7.0 * 1.25 / 72) / height_in  # two lines of 7 pt text per label
    mids = [(r.from_m + r.to_m) / 2 for r in rows]
    ys = _spread(mids, gap, gap / 2, bottom - gap / 2)
    for r, mid, y in zip(rows, mids, ys):
        label = code_label(r.lithology, r.logged_as)
        desc = r.description if isinstance(r.description, str) else ""
        depth = f"{r.from_m:g}–{r.to_m:g} m"
        ax.plot([0.0, 0.04, 0.08], [mid, mid, y], color="#9a9a9a", linewidth=0.5)
        ax.text(0.1, y, f"{label}   ({depth})", fontsize=7, va="bottom", ha="left", fontweight="bold",
                color="#b00020" if r.lithology is None else "#1b2733")
        ax.text(0.1, y, _short(desc, 48), fontsize=6.5, va="top", ha="left", color="#333333")
        ax.axhline(r.to_m, xmin=0, xmax=0.03, color="#9a9a9a", linewidth=0.5)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _well(ax, cs: pd.DataFrame, bh: pd.Series, bottom: float) -> None:
    """Annulus fills first, then the pipe string, hole outline, and the water level on top.

    The well takes the left of the axes; the right is for labels (diameters, slots, SWL)."""
    ax.set_xlim(-1, 2.25)
    pipe = cs[cs["kind"].isin(["casing", "blank", "screen"])]
    annulus = cs[cs["kind"].isin(["gravel_pack", "seal"])]
    widest = max([DEFAULT_HOLE_MM] + [float(d) for d in cs["diameter_mm"] if pd.notna(d)])
    scale = 0.85 / (widest / 2)  # mm -> axis units, half-widths
    depth = bh.get("drilled_depth_m")
    depth = float(depth) if depth is not None and pd.notna(depth) else (cs["to_m"].max() if len(cs) else bottom)
    hole_r = (annulus["diameter_mm"].max() if annulus["diameter_mm"].notna().any() else DEFAULT_HOLE_MM) / 2 * scale
    ax.add_patch(Rectangle((-hole_r, 0), 2 * hole_r, depth, facecolor="#fbfaf6", edgecolor="#6b5a45",
                           linewidth=0.8, linestyle=(0, (4, 2))))
    for row in annulus.itertuples(index=False):
        r = (row.diameter_mm if pd.notna(row.diameter_mm) else DEFAULT_HOLE_MM) / 2 * scale
        colour, _ = _CONSTRUCTION_STYLE[row.kind]
        hatch = "oo" if row.kind == "gravel_pack" else "xx"
        ax.add_patch(Rectangle((-r, row.from_m), 2 * r, row.to_m - row.from_m, facecolor=colour, hatch=hatch,
                               edgecolor="#6b5a45", linewidth=0.4))
    for row in pipe.itertuples(index=False):
        r = (row.diameter_mm if pd.notna(row.diameter_mm) else DEFAULT_PIPE_MM) / 2 * scale
        colour, _ = _CONSTRUCTION_STYLE[row.kind]
        ax.add_patch(Rectangle((-r, row.from_m), 2 * r, row.to_m - row.from_m, facecolor="white", edgecolor="none"))
        for x in (-r, r):
            if row.kind == "screen":
                ax.plot([x, x], [row.from_m, row.to_m], color=colour, linewidth=2.2, solid_capstyle="butt")
                _slots(ax, x, row.from_m, row.to_m, r)
            else:
                ax.plot([x, x], [row.from_m, row.to_m], color=colour, linewidth=2.4, solid_capstyle="butt")
        note = _pipe_note(row)
        if note:
            ax.text(hole_r + 0.08, (row.from_m + row.to_m) / 2, note, fontsize=6.3, va="center", ha="left",
                    color=colour)
    if len(pipe):
        ends = pipe.sort_values("to_m").iloc[-1]
        r = (ends.diameter_mm if pd.notna(ends.diameter_mm) else DEFAULT_PIPE_MM) / 2 * scale
        ax.plot([-r, r], [ends.to_m, ends.to_m], color="#4d4d4d", linewidth=2.4)  # end cap
    if cs.empty:
        ax.text(0, depth / 2, "construction\nnot recorded", ha="center", va="center", fontsize=7, color="#888888")
    _water_level(ax, bh, hole_r)
    ax.axhline(0, color="#6b5a45", linewidth=1.2)
    for side in ("top", "left"):
        ax.spines[side].set_visible(False)


def _pipe_note(row) -> str:
    """'150 mm casing', 'screen 1.5 mm slot' beside the well; blank pipe and annulus need none."""
    dia = f"{row.diameter_mm:g} mm " if pd.notna(row.diameter_mm) else ""
    if row.kind == "screen":
        slot = f"\nslot {row.slot_mm:g} mm" if pd.notna(row.slot_mm) else ""
        return f"{dia}screen{slot}"
    if row.kind == "casing" and row.to_m - row.from_m > 0:
        return f"{dia}casing"
    return ""


def _slots(ax, x: float, top: float, bottom: float, r: float) -> None:
    """Short white ticks across the screen wall: the slots."""
    n = max(3, int((bottom - top) / 0.8))
    ys = np.linspace(top, bottom, n + 2)[1:-1]
    segs_x = np.repeat([[x - 0.05, x + 0.05]], len(ys), axis=0)
    for (x0, x1), y in zip(segs_x, ys):
        ax.plot([x0, x1], [y, y], color="white", linewidth=0.9)


def _water_level(ax, bh: pd.Series, hole_r: float) -> None:
    swl = bh.get("swl_m")
    if swl is None or pd.isna(swl):
        return
    swl = float(swl)
    ax.plot([-hole_r, hole_r], [swl, swl], color=WATER, linewidth=1.4)
    ax.plot([0], [swl], marker="v", markersize=9, color=WATER, markeredgecolor="white", linestyle="none")
    ax.plot([hole_r, hole_r + 0.08], [swl, swl], color=WATER, linewidth=0.8)
    ax.text(hole_r + 0.1, swl, f"SWL {swl:g} m", fontsize=7.5, color=WATER, va="center", ha="left",
            fontweight="bold")


def _curves(ax, logs: pd.DataFrame, kind: str) -> None:
    colours = ["#2e7d32", "#c62828", "#6a1b9a", "#ef6c00"]
    values = []
    for colour, row in zip(colours, logs.itertuples(index=False)):
        depth, value = curve_samples(row.samples)
        ax.plot(value, depth, color=colour, linewidth=0.8, label=f"{row.curve} ({row.unit or '?'})")
        values.append(value)
    allv = np.concatenate(values) if values else np.array([1.0])
    if kind == "resistivity" and (allv > 0).all():
        ax.set_xscale("log")
        ax.set_xlim(allv.min() * 0.8, allv.max() * 1.25)
    else:
        span = allv.max() - allv.min() or 1.0
        ax.set_xlim(allv.min() - 0.05 * span, allv.max() + 0.05 * span)
    if kind != "resistivity" or not (allv > 0).all():
        ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.tick_params(axis="x", labelsize=6, top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.5)
    ax.legend(fontsize=6, loc="lower right", frameon=True)


def _depth_axis(ax, bottom: float) -> None:
    ax.tick_params(axis="y", left=True, labelleft=True, labelsize=8)
    ax.set_ylabel("Depth below ground (m)", fontsize=9)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_locator(_locator(bottom))
    ax.grid(axis="y", color="#cccccc", linewidth=0.4)


def _locator(bottom: float) -> MultipleLocator:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200):
        if bottom / step <= 16:
            return MultipleLocator(step)
    return MultipleLocator(500)


def _elevation_axis(ax, bh: pd.Series) -> None:
    collar = bh.get("collar_elev_m")
    if collar is None or pd.isna(collar):
        ax.text(1.02, 0.5, "collar elevation not recorded", transform=ax.transAxes, rotation=90, va="center",
                fontsize=7.5, color="#b00020")
        return
    collar = float(collar)
    sec = ax.secondary_yaxis("right", functions=(lambda d: collar - d, lambda e: collar - e))
    sec.set_ylabel("Elevation (m above MSL)", fontsize=9)
    sec.tick_params(labelsize=8)


def _header(fig: Figure, bh: pd.Series) -> None:
    def val(name: str, fmt: str = "{:g}", unit: str = "") -> str:
        v = bh.get(name)
        return "—" if v is None or (not isinstance(v, str) and pd.isna(v)) else fmt.format(v) + unit

    method = val("drilling_method", "{}").replace("_", " ")
    fig.text(0.1, 0.965, f"Borehole {bh['borehole_id']}", fontsize=15, fontweight="bold", color="#0b5394")
    name = bh.get("name")
    if isinstance(name, str) and name:
        fig.text(0.1, 0.945, name, fontsize=9, color="#333333")
    lines = [
        f"Collar {val('collar_elev_m', '{:.2f}', ' m above MSL')}   ·   drilled depth {val('drilled_depth_m', unit=' m')}"
        f" ({val('drilled_date', '{}')}, {method})",
        f"Static water level {val('swl_m', unit=' m below ground')}   ·   yield {val('yield_lpm', unit=' lpm')}"
        f"   ·   drawdown {val('drawdown_m', unit=' m')}",
        f"Source {val('source_id', '{}')}   ·   scheme {val('scheme_id', '{}')}   ·   arsenic "
        f"{val('arsenic_flag', '{}')}, fluoride {val('fluoride_flag', '{}')}, iron {val('iron_flag', '{}')}",
    ]
    for k, line in enumerate(lines):
        fig.text(0.1, 0.925 - 0.017 * k, line, fontsize=8.2, color="#1b2733")


def _legend(fig: Figure, iv: pd.DataFrame, cs: pd.DataFrame, bh: pd.Series) -> None:
    handles = lithology_handles(iv["lithology"].where(iv["lithology"].notna(), None))
    handles.append(Patch(facecolor=AQUIFER, edgecolor="none", label="Aquifer (water-bearing) interval"))
    for kind in dict.fromkeys(cs["kind"]):
        colour, label = _CONSTRUCTION_STYLE[kind]
        if kind in ("gravel_pack", "seal"):
            handles.append(Patch(facecolor=colour, hatch="oo" if kind == "gravel_pack" else "xx",
                                 edgecolor="#6b5a45", label=label))
        else:
            handles.append(Line2D([], [], color=colour, linewidth=2.4, label=label))
    if bh.get("swl_m") is not None and pd.notna(bh.get("swl_m")):
        handles.append(Line2D([], [], color=WATER, marker="v", markersize=8, linewidth=1.4,
                              label="Static water level"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.08, 0.065), ncol=2, fontsize=7.2,
               frameon=False, handlelength=2.2, handleheight=1.4, columnspacing=1.5)
    findings = bh.get("findings")
    if isinstance(findings, str) and findings:
        fig.text(0.1, 0.02, _short("Findings: " + findings, 230), fontsize=6.8, color="#b00020", wrap=True)


# -- files ---------------------------------------------------------------------------------
def save_striplog(data: Lithologs, borehole_id: str, out_dir: str | os.PathLike,
                  formats: Iterable[str] = FORMATS) -> tuple[Figure, list[Path]]:
    """Draw one strip log and write out_dir/<borehole_id>.png|svg; returns the figure too (for reports)."""
    fig = striplog_figure(data, borehole_id)
    return fig, save(fig, Path(out_dir) / file_stem(borehole_id), formats)


def write_striplogs(registry: Registry, out_dir: str | os.PathLike, borehole_ids: Iterable[str] | None = None,
                    formats: Iterable[str] = FORMATS, feedback: Feedback | None = None) -> list[Path]:
    """out_dir/<borehole_id>.png|svg for each borehole (all when none are named)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = read_lithologs(registry, borehole_ids)
    formats = list(formats)
    paths: list[Path] = []
    ids = data.ids
    for k, bid in enumerate(ids):
        check_canceled(feedback)
        if feedback is not None:
            feedback.set_progress(100.0 * k / max(1, len(ids)))
        paths += save_striplog(data, bid, out, formats)[1]
    return paths

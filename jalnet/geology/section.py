"""Cross-sections: boreholes near a line, drawn at their chainage, aquifers correlated between them.

Boreholes within the corridor are projected onto the line and drawn as lithology columns
hanging from their collar elevation; the ground comes from the DEM sampled along the
line (any CRS: coordinates are transformed). Between neighbouring boreholes, aquifer
units (runs of water-bearing intervals) that overlap in elevation are joined: one to one
as a band, one to several by splitting the single unit in proportion (the aquitard
between the several pinches out), and a unit with no partner pinches out halfway. The
vertical exaggeration is chosen to fit the page and printed on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from shapely.geometry import LineString

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..registry.store import Registry
from .figures import FORMATS, lithology_handles, lithology_rect, save
from .model import Lithologs, aquifer_units, read_lithologs

AQUIFER_FILL = "#4aa3ff"
GROUND = "#6b4f2a"
WATER = "#1f6fd1"
NICE_VE = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)


@dataclass
class SectionBorehole:
    borehole_id: str
    chainage: float
    offset: float
    collar: float
    collar_from_dem: bool


@dataclass
class Section:
    """What a section shows, for reports and tests."""

    line: LineString
    length: float
    corridor_m: float
    boreholes: list[SectionBorehole]
    ground: tuple[np.ndarray, np.ndarray]  # chainage, elevation (NaN where the DEM has no data)
    vertical_exaggeration: float
    links: list[tuple[str, str, int]] = field(default_factory=list)  # (left id, right id, aquifer bands joined)
    notes: list[str] = field(default_factory=list)
    figure: Figure | None = None  # set once drawn


# -- the line ------------------------------------------------------------------------------
def line_through(data: Lithologs, borehole_ids: list[str], extend_m: float | None = None) -> LineString:
    """A line through boreholes in the order given, extended past both ends."""
    if len(borehole_ids) < 2:
        raise InputError("a section through boreholes needs at least two borehole IDs")
    pts = [data.borehole(b).geometry for b in borehole_ids]
    coords = [(p.x, p.y) for p in pts]
    line = LineString(coords)
    if line.length == 0:
        raise InputError(f"boreholes {', '.join(borehole_ids)} are at one place; a section needs a line")
    ext = extend_m if extend_m is not None else max(50.0, 0.05 * line.length)
    (x0, y0), (x1, y1) = coords[0], coords[1]
    (xa, ya), (xb, yb) = coords[-2], coords[-1]
    d0, d1 = np.hypot(x1 - x0, y1 - y0), np.hypot(xb - xa, yb - ya)
    start = (x0 - (x1 - x0) / d0 * ext, y0 - (y1 - y0) / d0 * ext)
    end = (xb + (xb - xa) / d1 * ext, yb + (yb - ya) / d1 * ext)
    return LineString([start, *coords, end])


def along_line_order(data: Lithologs, borehole_ids: list[str]) -> list[str]:
    """Boreholes ordered along the axis through the two farthest apart (for a section through a selection)."""
    pts = {b: data.borehole(b).geometry for b in dict.fromkeys(borehole_ids)}
    if len(pts) < 2:
        raise InputError("a section through boreholes needs at least two different borehole IDs")
    a, b = max(combinations(pts, 2), key=lambda p: pts[p[0]].distance(pts[p[1]]))
    a, b = sorted([a, b])
    axis = LineString([pts[a], pts[b]])
    return sorted(pts, key=lambda k: axis.project(pts[k]))


def line_from_wkt(wkt: str, crs: str | None, registry_crs: pyproj.CRS) -> LineString:
    """A LineString from WKT in *crs* (default: the registry's), in the registry CRS."""
    try:
        geom = shapely.from_wkt(wkt)
    except shapely.errors.GEOSException as err:
        raise InputError(f"section line: cannot read WKT '{wkt[:60]}': {err}") from None
    if geom.geom_type == "MultiLineString":
        geom = shapely.line_merge(geom)
    if geom.geom_type != "LineString" or geom.length == 0:
        raise InputError(f"section line must be one LINESTRING with length, got {geom.geom_type}")
    if crs:
        gs = gpd.GeoSeries([geom], crs=crs).to_crs(registry_crs)
        geom = gs.iloc[0]
    return geom


def line_from_file(path: str | os.PathLike, registry_crs: pyproj.CRS, layer: str | None = None,
                   index: int = 0) -> LineString:
    """The *index*-th line of a vector file (GeoPackage, shapefile, GeoJSON, KML), in the registry CRS."""
    import pyogrio

    if not Path(path).exists():
        raise InputError(f"{path} does not exist")
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot read {path} as a vector file: {str(err).splitlines()[0]}") from None
    lines = gdf[gdf.geometry.notna() & gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        raise InputError(f"{path} has no line features to use as the section line")
    if not 0 <= index < len(lines):
        raise InputError(f"{path} has {len(lines)} line(s); feature index {index} does not exist")
    if lines.crs is None:
        raise InputError(f"{path} has no CRS; the section line's coordinates cannot be placed")
    return line_from_wkt(lines.geometry.iloc[index].wkt, lines.crs.to_string(), registry_crs)


# -- the ground ----------------------------------------------------------------------------
def sample_dem(dem: str | os.PathLike, xs: np.ndarray, ys: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Bilinear DEM elevations at points given in *crs*; NaN off the raster or on nodata."""
    import rasterio
    from rasterio.windows import Window

    path = Path(dem)
    if not path.exists():
        raise InputError(f"DEM {path} does not exist")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        raise InputError(f"cannot read DEM {path}: {err}") from None
    with src:
        if src.crs is None:
            raise InputError(f"DEM {path} has no CRS; assign one (e.g. gdal_edit.py -a_srs EPSG:4326)")
        tx, ty = pyproj.Transformer.from_crs(crs, src.crs.to_wkt(), always_xy=True).transform(xs, ys)
        cols, rows = ~src.transform * (np.asarray(tx), np.asarray(ty))
        cols, rows = np.asarray(cols) - 0.5, np.asarray(rows) - 0.5  # pixel centres
        out = np.full(len(xs), np.nan)
        inside = (cols >= -0.5) & (rows >= -0.5) & (cols <= src.width - 0.5) & (rows <= src.height - 0.5)
        if not inside.any():
            return out
        c0 = int(max(0, np.floor(cols[inside].min())))
        r0 = int(max(0, np.floor(rows[inside].min())))
        c1 = int(min(src.width - 1, np.ceil(cols[inside].max()) + 1))
        r1 = int(min(src.height - 1, np.ceil(rows[inside].max()) + 1))
        band = src.read(1, window=Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1), masked=True).astype(float)
        grid = band.filled(np.nan)
    c = np.clip(cols[inside] - c0, 0, grid.shape[1] - 1)
    r = np.clip(rows[inside] - r0, 0, grid.shape[0] - 1)
    ci, ri = np.minimum(np.floor(c).astype(int), grid.shape[1] - 2).clip(0), np.minimum(
        np.floor(r).astype(int), grid.shape[0] - 2).clip(0)
    fc, fr = c - ci, r - ri
    if grid.shape[0] < 2 or grid.shape[1] < 2:
        out[inside] = grid[0, 0]
        return out
    v = (grid[ri, ci] * (1 - fc) * (1 - fr) + grid[ri, ci + 1] * fc * (1 - fr)
         + grid[ri + 1, ci] * (1 - fc) * fr + grid[ri + 1, ci + 1] * fc * fr)
    out[inside] = v
    return out


def ground_profile(line: LineString, crs: pyproj.CRS, dem: str | os.PathLike | None,
                   n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    chain = np.linspace(0.0, line.length, n)
    if dem is None:
        return chain, np.full(n, np.nan)
    pts = shapely.line_interpolate_point(line, chain)
    return chain, sample_dem(dem, shapely.get_x(pts), shapely.get_y(pts), crs)


# -- building the section ------------------------------------------------------------------
def build_section(data: Lithologs, line: LineString, crs: pyproj.CRS, dem: str | os.PathLike | None = None,
                  corridor_m: float = 250.0) -> Section:
    """Which boreholes, where, how high; the ground; no drawing."""
    if corridor_m <= 0:
        raise InputError("the section corridor must be wider than 0 m")
    bh = data.boreholes
    dist = shapely.distance(np.asarray(bh.geometry.values, dtype=object), line)
    near = bh[np.asarray(dist) <= corridor_m]
    chain, ground = ground_profile(line, crs, dem)
    section = Section(line, float(line.length), corridor_m, [], (chain, ground), 1.0)
    collars_dem = sample_dem(dem, near.geometry.x.to_numpy(), near.geometry.y.to_numpy(), crs) \
        if dem is not None and len(near) else np.full(len(near), np.nan)
    for (_, row), z_dem in zip(near.iterrows(), collars_dem):
        collar, from_dem = row["collar_elev_m"], False
        if pd.isna(collar):
            if np.isnan(z_dem):
                section.notes.append(f"{row['borehole_id']} left out: no collar elevation and no DEM value there")
                continue
            collar, from_dem = float(z_dem), True
            section.notes.append(f"{row['borehole_id']}: collar elevation taken from the DEM ({z_dem:.1f} m)")
        section.boreholes.append(SectionBorehole(row["borehole_id"], float(line.project(row.geometry)),
                                                 float(row.geometry.distance(line)), float(collar), from_dem))
    section.boreholes.sort(key=lambda b: b.chainage)
    if len(section.boreholes) == 0:
        raise InputError(f"no borehole within {corridor_m:g} m of the section line; widen the corridor")
    if np.isnan(ground).all():
        # No DEM (or no data under the line): draw the ground through the collars.
        xs = [b.chainage for b in section.boreholes]
        zs = [b.collar for b in section.boreholes]
        section.ground = (chain, np.interp(chain, xs, zs))
        section.notes.append("ground drawn through the collar elevations (no DEM values along the line)")
    return section


def _units_elev(data: Lithologs, b: SectionBorehole) -> tuple[list[tuple[float, float]], set[int]]:
    """Aquifer units as (top, bottom) elevations, and which of them reach the bottom of the hole (base unknown)."""
    units = [(b.collar - top, b.collar - bottom) for top, bottom in aquifer_units(data.intervals_of(b.borehole_id))]
    floor = _bottom_elev(data, b)
    return units, {k for k, (_, bottom) in enumerate(units) if bottom <= floor + 0.05}


def _bottom_elev(data: Lithologs, b: SectionBorehole) -> float:
    """Elevation of the deepest of the drilled depth and the logged intervals."""
    depth = data.borehole(b.borehole_id)["drilled_depth_m"]
    candidates = [0.0, *data.intervals_of(b.borehole_id)["to_m"].dropna()]
    if pd.notna(depth):
        candidates.append(float(depth))
    return b.collar - max(candidates)


def correlate(left: list[tuple[float, float]], right: list[tuple[float, float]]) -> tuple[
        list[tuple[tuple[float, float], tuple[float, float]]], list[int], list[int]]:
    """Join aquifer units (top, bottom elevations) of two neighbours.

    Returns (bands as ((left top, left bottom), (right top, right bottom)), unmatched left
    indices, unmatched right indices). Units overlapping in elevation form groups; a group
    of one unit against several splits the one in proportion to the several.
    """
    def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return min(a[0], b[0]) - max(a[1], b[1]) > 0

    # connected groups in a bipartite overlap graph (units are few: plain loops)
    groups: list[tuple[set[int], set[int]]] = []
    seen_l: set[int] = set()
    for i in range(len(left)):
        if i in seen_l:
            continue
        gl, gr, todo = {i}, set(), [("l", i)]
        while todo:
            side, k = todo.pop()
            if side == "l":
                for j, r in enumerate(right):
                    if j not in gr and overlaps(left[k], r):
                        gr.add(j)
                        todo.append(("r", j))
            else:
                for j, lft in enumerate(left):
                    if j not in gl and overlaps(lft, right[k]):
                        gl.add(j)
                        todo.append(("l", j))
        seen_l |= gl
        if gr:
            groups.append((gl, gr))
    bands = []
    lone_l, lone_r = set(range(len(left))), set(range(len(right)))
    for gl, gr in groups:
        li = sorted(gl, key=lambda i: -left[i][0])
        rj = sorted(gr, key=lambda j: -right[j][0])
        ls, rs = [left[i] for i in li], [right[j] for j in rj]
        if len(ls) == 1:
            pairs = list(zip(_split(ls[0], rs), rs))
        elif len(rs) == 1:
            pairs = list(zip(ls, _split(rs[0], ls)))
        else:  # several against several: pair in order, the rest pinch out
            n = min(len(ls), len(rs))
            pairs, li, rj = list(zip(ls[:n], rs[:n])), li[:n], rj[:n]
        bands += pairs
        lone_l -= set(li)
        lone_r -= set(rj)
    return bands, sorted(lone_l), sorted(lone_r)


def _split(unit: tuple[float, float], parts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """One unit divided top-down in proportion to the thicknesses of *parts*."""
    thick = np.array([p[0] - p[1] for p in parts], dtype=float)
    edges = unit[0] - np.concatenate([[0.0], np.cumsum(thick / thick.sum())]) * (unit[0] - unit[1])
    return [(float(edges[k]), float(edges[k + 1])) for k in range(len(parts))]


def _vertical_exaggeration(length: float, relief: float, width_in: float, height_in: float) -> float:
    raw = (length / width_in) / max(relief / height_in, 1e-6)
    fitting = [v for v in NICE_VE if v <= raw]
    return float(fitting[-1] if fitting else 1)


# -- drawing -------------------------------------------------------------------------------
def section_figure(data: Lithologs, section: Section, title: str = "Section A–A′",
                   vertical_exaggeration: float | None = None) -> Figure:
    bhs = section.boreholes
    chain, ground = section.ground
    tops = [b.collar for b in bhs] + list(ground[np.isfinite(ground)])
    bottoms = [_bottom_elev(data, b) for b in bhs]
    zmax, zmin = max(tops), min(bottoms)
    relief = zmax - zmin
    zmax += 0.12 * relief
    zmin -= 0.04 * relief
    width_in, height_in = 12.0, 5.2
    ve = vertical_exaggeration or _vertical_exaggeration(section.length, zmax - zmin, width_in, height_in)
    section.vertical_exaggeration = ve
    section.links.clear()
    plot_h = min(9.0, max(2.5, width_in * (zmax - zmin) * ve / section.length))
    fig_w, fig_h = width_in + 1.6, plot_h + 2.45
    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes((1.0 / fig_w, 1.4 / fig_h, width_in / fig_w, plot_h / fig_h))
    ax.set_xlim(0, section.length)
    ax.set_ylim(zmin, zmax)
    col_w = section.length * 0.012

    finite = np.isfinite(ground)
    ax.fill_between(chain, np.where(finite, ground, np.nan), zmin, color="#f4efe4", zorder=0, linewidth=0)
    _correlation(ax, data, section, col_w, section.links)
    _water_table(ax, data, bhs)
    for b in bhs:
        _column(ax, data, b, col_w)
    ax.plot(chain, ground, color=GROUND, linewidth=1.6, zorder=5, label="Ground (DEM)")
    ax.set_xlabel("Distance along the section (m)", fontsize=9)
    ax.set_ylabel("Elevation (m above MSL)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(color="#dddddd", linewidth=0.4)
    ax.set_axisbelow(True)
    ax.text(0.0, 1.005, "A", transform=ax.transAxes, fontsize=12, fontweight="bold", va="bottom", ha="left")
    ax.text(1.0, 1.005, "A′", transform=ax.transAxes, fontsize=12, fontweight="bold", va="bottom", ha="right")
    fig.text(1.0 / fig_w, 1 - 0.25 / fig_h, title, fontsize=14, fontweight="bold", color="#0b5394", va="top")
    fig.text(1.0 / fig_w, 1 - 0.58 / fig_h,
             f"{len(bhs)} borehole(s) within {section.corridor_m:g} m of the line, projected onto it · length "
             f"{section.length:,.0f} m · vertical exaggeration ×{ve:g}", fontsize=9, va="top", color="#1b2733")
    codes = data.intervals[data.intervals["borehole_id"].isin([b.borehole_id for b in bhs])]["lithology"]
    handles = lithology_handles(codes.where(codes.notna(), None))
    handles += [Patch(facecolor=AQUIFER_FILL, alpha=0.45, edgecolor="#1f6fd1", label="Aquifer, correlated"),
                Patch(facecolor=AQUIFER_FILL, alpha=0.2, edgecolor="#1f6fd1", linestyle="--",
                      label="Aquifer, inferred below a borehole's bottom"),
                Line2D([], [], color=GROUND, linewidth=1.6, label="Ground surface"),
                Line2D([], [], color=WATER, linestyle="--", marker="v", linewidth=1, label="Static water level")]
    if (data.construction["kind"] == "screen").any():
        handles.append(Line2D([], [], color=WATER, linewidth=2.5, label="Screen"))
    section.figure = fig
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.9 / fig_w, 0.0), ncol=4, fontsize=7.2,
               frameon=False, handleheight=1.3)
    return fig


def _column(ax, data: Lithologs, b: SectionBorehole, w: float) -> None:
    iv = data.intervals_of(b.borehole_id)
    x = b.chainage - w / 2
    for row in iv.itertuples(index=False):
        if row.to_m > row.from_m:
            ax.add_patch(lithology_rect(x, b.collar - row.to_m, w, b.collar - row.from_m, row.lithology,
                                        linewidth=0.4, zorder=4))
    bottom = _bottom_elev(data, b)
    ax.plot([b.chainage, b.chainage], [b.collar, bottom], color="#222222", linewidth=0.3, zorder=3)
    cs = data.construction_of(b.borehole_id)
    for row in cs[cs["kind"] == "screen"].itertuples(index=False):
        ax.plot([x + w + w * 0.25] * 2, [b.collar - row.from_m, b.collar - row.to_m], color=WATER, linewidth=2.5,
                zorder=4, solid_capstyle="butt")
    offset = f"\n{b.offset:.0f} m off" if b.offset >= 1 else ""
    ax.annotate(f"{b.borehole_id}{offset}", (b.chainage, b.collar), xytext=(0, 6), textcoords="offset points",
                ha="center", va="bottom", fontsize=7.5, fontweight="bold", zorder=6)
    ax.text(b.chainage, bottom, f"{b.collar - bottom:g} m", fontsize=6.5, ha="center", va="top", color="#555555",
            zorder=6)


def _water_table(ax, data: Lithologs, bhs: list[SectionBorehole]) -> None:
    xs, zs = [], []
    for b in bhs:
        swl = data.borehole(b.borehole_id)["swl_m"]
        if pd.notna(swl):
            xs.append(b.chainage)
            zs.append(b.collar - float(swl))
    if xs:
        ax.plot(xs, zs, color=WATER, linestyle="--", linewidth=1.0, zorder=5)
        ax.plot(xs, zs, color=WATER, marker="v", linestyle="none", markersize=6, zorder=6)


def _correlation(ax, data: Lithologs, section: Section, w: float, links: list) -> None:
    bhs = section.boreholes
    style = {"facecolor": AQUIFER_FILL, "alpha": 0.45, "edgecolor": "#1f6fd1", "linewidth": 0.6, "zorder": 2}
    inferred = {**style, "alpha": 0.2, "linestyle": "--"}
    for a, b in zip(bhs, bhs[1:]):
        (ua, open_a), (ub, open_b) = _units_elev(data, a), _units_elev(data, b)
        xa, xb = a.chainage + w / 2, b.chainage - w / 2
        bands, lone_a, lone_b = correlate(ua, ub)
        for (ta, ba), (tb, bb) in bands:
            ax.add_patch(Polygon([(xa, ta), (xb, tb), (xb, bb), (xa, ba)], closed=True, **style))
            # a unit that reaches the bottom of its hole goes on deeper: carry the other side's base over
            if (tb, bb) in [ub[k] for k in open_b] and ba < bb:
                ax.add_patch(Polygon([(xa, ba), (xb, bb), (b.chainage, bb), (b.chainage, ba)], closed=True,
                                     **inferred))
            elif (ta, ba) in [ua[k] for k in open_a] and bb < ba:
                ax.add_patch(Polygon([(xb, bb), (xa, ba), (a.chainage, ba), (a.chainage, bb)], closed=True,
                                     **inferred))
        links.append((a.borehole_id, b.borehole_id, len(bands)))
        bottom_b, bottom_a = _bottom_elev(data, b), _bottom_elev(data, a)
        mid = (xa + xb) / 2
        for units, lone, x0, x1, other_bottom in ((ua, lone_a, xa, b.chainage, bottom_b),
                                                  (ub, lone_b, xb, a.chainage, bottom_a)):
            for i in lone:
                top, bot = units[i]
                if top <= other_bottom:  # deeper than the neighbour was drilled: carried on, not pinched out
                    ax.add_patch(Polygon([(x0, top), (x1, top), (x1, bot), (x0, bot)], closed=True, **inferred))
                else:
                    ax.add_patch(Polygon([(x0, top), (mid, (top + bot) / 2), (x0, bot)], closed=True, **style))


# -- files ---------------------------------------------------------------------------------
def write_section(registry: Registry, out: str | os.PathLike, line: LineString | None = None,
                  through: list[str] | None = None, dem: str | os.PathLike | None = None, corridor_m: float = 250.0,
                  vertical_exaggeration: float | None = None, title: str | None = None,
                  formats: tuple[str, ...] = FORMATS, feedback: Feedback | None = None) -> tuple[Section, list[Path]]:
    """Draw the section along *line* (registry CRS) or through the boreholes named; write out.png/.svg."""
    steps = Steps(feedback, 3)
    steps.next("reading boreholes")
    data = read_lithologs(registry)
    if data.boreholes.empty:
        raise InputError(f"registry {registry.target} has no boreholes; import lithologs first")
    if line is None:
        if not through:
            raise InputError("give the section line (WKT or a line layer) or two or more borehole IDs")
        line = line_through(data, through)
    steps.next("sampling the ground along the line")
    section = build_section(data, line, registry.crs, dem, corridor_m)
    steps.next("drawing")
    if title is None:
        ids = [b.borehole_id for b in section.boreholes]
        title = f"Section A–A′ through {ids[0]} … {ids[-1]}" if len(ids) > 1 else f"Section A–A′ at {ids[0]}"
    fig = section_figure(data, section, title, vertical_exaggeration)
    base = Path(out)
    paths = save(fig, base.with_suffix("") if base.suffix.lower() in (".png", ".svg") else base, formats)
    steps.done()
    return section, paths

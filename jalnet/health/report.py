"""The data-health dashboard: one offline HTML page (inline CSS and SVG, no external assets).

Summary tiles, a map of the schemes coloured by score, divisions, districts and schemes
worst first, the trend since the previous run, and a drill-down from each scheme to its
findings (the full list is in the health GeoPackage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ..report.html import Section, esc, page, table_html
from .score import NO_SCHEME, SCALE, WEIGHTS

if TYPE_CHECKING:
    from .run import HealthResult

#: Score classes, as in the scheme_health layer style: (lower bound, colour, label).
CLASSES: tuple[tuple[float, str, str], ...] = ((95, "#1a9641", "95–100 healthy"), (85, "#a6d96a", "85–95 good"),
                                               (70, "#ffffbf", "70–85 fair"), (50, "#fdae61", "50–70 needs work"),
                                               (0, "#d7191c", "0–50 poor"))
PER_SCHEME_LIMIT = 300  # findings listed per scheme in the drill-down
_CSS = """<style>
.tiles{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0}.tile{border:1px solid #d0d7de;border-radius:6px;
padding:.5rem .8rem;min-width:8.5rem;background:#f7fafd}.tile b{display:block;font-size:1.6rem;color:#0b5394}
.tile span{font-size:.85rem;color:#5b6b7b}.tile.bad b{color:#b00020}.tile.good b{color:#1a7f37}
.score{display:inline-block;min-width:3rem;padding:0 .3rem;border-radius:3px;text-align:right;font-weight:600}
details{margin:.3rem 0}summary{cursor:pointer}svg.map{border:1px solid #d0d7de;background:#fbfcfd;max-width:100%}
svg.map a:hover path{stroke:#000;stroke-width:2}.legend span{display:inline-block;width:1rem;height:.8rem;
margin:0 .2rem 0 .8rem;border:1px solid #555;vertical-align:middle}
</style>"""


def colour(score: float) -> str:
    return next(c for low, c, _ in CLASSES if score >= low)


def health_report(result: HealthResult) -> str:
    scope = f"scheme {result.scope}" if result.scope else "all schemes"
    sections = [
        Section("Summary", _CSS + _tiles(result) + _modules(result)),
        Section("Map of schemes by score", _map(result)),
        Section("Divisions, worst first", _rollup(result.divisions, "division")),
        Section("Districts, worst first", _rollup(result.districts, "district")),
        Section("Schemes, worst first", _schemes(result)),
        Section("Since the previous run", _trend(result)),
        Section("Findings by module and rule", _by_rule(result)),
        Section("Findings per scheme", _drilldown(result)),
        Section("How the score is computed", _formula()),
    ]
    return page("Data health: whole registry", f"{result.registry}, {scope}, run {result.run_id or '(not kept)'} "
                f"at {result.started}", sections)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _badge(score: float) -> str:
    return f"<span class='score' style='background:{colour(score)}'>{score:.0f}</span>"


def _anchor(scheme: str) -> str:
    return "scheme-" + "".join(c if c.isalnum() else "_" for c in str(scheme))


def _tiles(result: HealthResult) -> str:
    schemes = result.schemes[result.schemes["scheme_id"] != NO_SCHEME]
    c, t = result.counts, result.trend_counts
    mean = float(schemes["score"].mean()) if len(schemes) else 100.0
    tiles = [(f"{len(schemes):,}", "schemes checked", ""), (f"{mean:.0f}", "mean score (0–100)",
                                                              "good" if mean >= 85 else "bad" if mean < 50 else ""),
             (f"{int((schemes['score'] < 50).sum()):,}", "schemes below 50", "bad" if (schemes["score"] < 50).any()
              else "good"),
             (f"{c['error']:,}", "errors", "bad" if c["error"] else "good"), (f"{c['warning']:,}", "warnings", ""),
             (f"{c['info']:,}", "notes", ""), (f"{t['new']:,}", "new since last run", "bad" if t["new"] else ""),
             (f"{t['fixed']:,}", "fixed since last run", "good" if t["fixed"] else ""),
             (f"{t['open']:,}", "still open", ""), (f"{result.accepted:,}", "accepted exceptions left out", "")]
    body = "".join(f"<div class='tile {k}'><b>{esc(v)}</b><span>{esc(label)}</span></div>" for v, label, k in tiles)
    before = result.previous
    note = (f"<p class='note'>Compared with run {esc(before.get('run_id'))} of {esc(before.get('started'))}.</p>"
            if before else "<p class='note'>First run of this scope: every finding is new.</p>")
    return f"<div class='tiles'>{body}</div>{note}"


def _modules(result: HealthResult) -> str:
    rows = [{"module": m, "checked": "yes" if why == "checked" else "partly" if why.startswith("checked") else "no",
             "note": "" if why == "checked" else why,
             "findings": int((result.findings["module"] == m).sum())} for m, why in result.modules.items()]
    return table_html(rows, ["module", "checked", "findings", "note"])


def _map(result: HealthResult, width: int = 820, height: int = 480) -> str:
    areas = result.scheme_areas
    if areas.empty:
        return "<p class='note'>No scheme has villages or pipes to draw.</p>"
    x0, y0, x1, y1 = areas.total_bounds
    span = max(x1 - x0, y1 - y0, 1.0)
    k = min((width - 20) / max(x1 - x0, 1e-9), (height - 20) / max(y1 - y0, 1e-9))
    x0 -= (width - 20 - (x1 - x0) * k) / 2 / k  # centred across the width
    tol = span / 800.0
    parts = []
    for row, geom in zip(areas.itertuples(index=False), areas.geometry):
        if geom is None or geom.is_empty:
            continue
        path = _svg_path(shapely.simplify(geom, tol), x0, y1, k)
        tip = f"{row.scheme_id} {row.name or ''}: score {row.score:.0f}, {row.errors} errors, {row.warnings} warnings"
        parts.append(f"<a href='#{_anchor(row.scheme_id)}'><path d='{path}' fill='{colour(row.score)}' "
                     f"fill-opacity='0.85' stroke='#333' stroke-width='0.8'><title>{esc(tip)}</title></path></a>")
    legend = "".join(f"<span style='background:{c}'></span>{esc(label)}" for _, c, label in CLASSES)
    return (f"<svg class='map' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
            f"xmlns='http://www.w3.org/2000/svg'>{''.join(parts)}</svg><p class='legend note'>{legend}</p>"
            "<p class='note'>Each scheme is drawn as its villages (or the extent of its pipes); click one for its "
            "findings.</p>")


def _svg_path(geom: shapely.Geometry, x0: float, y1: float, k: float) -> str:
    out = []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors] if poly.geom_type == "Polygon" else []:
            xy = np.asarray(ring.coords)
            px, py = 10 + (xy[:, 0] - x0) * k, 10 + (y1 - xy[:, 1]) * k
            out.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)) + "Z")
    return "".join(out)


def _rollup(table: pd.DataFrame, by: str) -> str:
    if table.empty:
        return "<p class='note'>None.</p>"
    rows = _records(table)
    head = "".join(f"<th>{esc(c)}</th>" for c in (by, "score", "schemes", "km", "errors", "warnings", "notes",
                                                    "worst scheme"))
    body = "".join(f"<tr><td>{esc(r[by])}</td><td>{_badge(r['score'])}</td><td class='num'>{r['schemes']}</td>"
                   f"<td class='num'>{r['km']:,.2f}</td><td class='num'>{r['errors']:,}</td>"
                   f"<td class='num'>{r['warnings']:,}</td><td class='num'>{r['notes']:,}</td>"
                   f"<td><a href='#{_anchor(r['worst_scheme'])}'>{esc(r['worst_scheme'])}</a> "
                   f"({r['worst_score']:.0f})</td></tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _schemes(result: HealthResult) -> str:
    table = result.schemes
    if table.empty:
        return "<p class='note'>No schemes.</p>"
    modules = [c for c in table.columns if c.endswith("_findings")]
    cols = ["scheme_id", "score", "name", "division", "district", "km", "errors", "warnings", "notes", *modules]
    head = "".join(f"<th>{esc(c.replace('_findings', ''))}</th>" for c in cols)
    body = []
    for r in _records(table):
        cells = [f"<td><a href='#{_anchor(r['scheme_id'])}'>{esc(r['scheme_id'])}</a></td>",
                 f"<td>{_badge(r['score'])}</td>"]
        cells += [f"<td>{esc(r[c])}</td>" for c in ("name", "division", "district")]
        cells += [f"<td class='num'>{r[c]:,}</td>" for c in ["km", "errors", "warnings", "notes", *modules]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _trend(result: HealthResult) -> str:
    t = result.trend_counts
    head = (f"<p>{t['new']:,} new, {t['open']:,} still open, {t['fixed']:,} fixed since the previous run"
            f"{' of ' + esc(result.previous.get('started')) if result.previous else ''}.</p>")
    if not len(result.fixed):
        return head
    fixed = result.fixed.head(200)
    return head + "<p>Fixed:</p>" + table_html(_records(fixed), ["rule", "module", "severity", "scheme_id", "asset_id",
                                                                "message", "first_seen"])


def _by_rule(result: HealthResult) -> str:
    f = result.findings
    if f.empty:
        return "<p>No findings.</p>"
    grouped = f.groupby(["module", "rule", "severity", "title"], dropna=False).size().reset_index(name="findings")
    grouped = grouped.sort_values(["findings", "rule"], ascending=[False, True])
    return table_html(_records(grouped), ["module", "rule", "severity", "title", "findings"])


def _drilldown(result: HealthResult) -> str:
    cols = ["severity", "rule", "module", "layer", "asset_ids", "message", "trend", "first_seen", "fingerprint"]
    f = result.findings
    keys = f["scheme_id"].astype(object).where(f["scheme_id"].notna(), NO_SCHEME).to_numpy()
    positions = pd.Series(np.arange(len(f))).groupby(keys, sort=False).apply(list).to_dict() if len(f) else {}
    values = {c: f[c].astype(object).where(f[c].notna(), None).to_numpy() for c in cols}
    out = []
    for r in _records(result.schemes):
        mine = positions.get(r["scheme_id"], [])
        n = len(mine)
        head = (f"<summary>{_badge(r['score'])} <b>{esc(r['scheme_id'])}</b> {esc(r.get('name') or '')}: "
                f"{n:,} finding(s)</summary>")
        if not n:
            out.append(f"<details id='{_anchor(r['scheme_id'])}'>{head}<p>No findings.</p></details>")
            continue
        rows = [{c: values[c][k] for c in cols} for k in mine[:PER_SCHEME_LIMIT]]
        more = (f"<p class='note'>First {PER_SCHEME_LIMIT:,} of {n:,}; all are in the health GeoPackage.</p>"
                if n > PER_SCHEME_LIMIT else "")
        opened = " open" if not out else ""  # the worst scheme's findings are shown
        out.append(f"<details id='{_anchor(r['scheme_id'])}'{opened}>{head}{table_html(rows, cols)}{more}</details>")
    out.append("<p class='note'>Open the health GeoPackage in the JalNet findings panel to zoom to each finding; "
               "accept a legitimate one there and the next run leaves it out.</p>")
    return "".join(out)


def _formula() -> str:
    w = WEIGHTS
    return (f"<p>penalty = {w['error']:g} × errors + {w['warning']:g} × warnings + {w['info']:g} × notes (all "
            f"modules); size = max(1, km of pipe); score = 100 × exp(−penalty / ({SCALE:g} × size)). A clean scheme "
            "scores 100; one error per 2 km scores 78, one per km 61. Divisions and districts: the mean of their "
            "schemes' scores weighted by size. Accepted exceptions do not count.</p>")

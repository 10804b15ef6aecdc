"""The snap-validate half of the contractor loop, as the demo runs it after import and cleaning.

``jalnet/tracks/demo.py`` imports and cleans the contractor files into staging and then
calls :func:`run_demo_loop` with its import batch: the batch is snapped into the network,
the network validated, and the error layers and the data-health report written.
"""

from __future__ import annotations

from typing import Any

from ..report.html import Section, table_html
from .findings import LINE_LAYER, POINT_LAYER, ValidationResult, style_qml
from .health import health_report
from .snap import SnapResult, snap
from .validate import validate


def run_demo_loop(ctx: Any, import_batch: str | None, tolerance: float | None = None
                  ) -> tuple[SnapResult, ValidationResult]:
    """Snap *import_batch*, validate, write errors.gpkg and data_health.html/.csv into ``ctx.out_dir``."""
    snapped = snap(ctx.registry, batch=import_batch, tolerance=tolerance, feedback=ctx.feedback)
    result = validate(ctx.registry, feedback=ctx.feedback)
    errors = result.write(ctx.out_dir / "errors.gpkg")
    html, table = health_report(result, ctx.registry)
    (ctx.out_dir / "data_health.html").write_text(html, encoding="utf-8")
    table.to_csv(ctx.out_dir / "data_health.csv", index=False)
    ctx.sections.append(Section("Contractor pipes snapped into the network", _snap_html(snapped)))
    ctx.sections.append(Section("Network validation", _validation_html(result)))
    for layer, name in ((POINT_LAYER, "Validation findings (points)"), (LINE_LAYER, "Validation findings (lines)")):
        ctx.project_layers.append((f"{errors}|layername={layer}", name, str(style_qml(layer))))
    counts = snapped.counts
    points = snapped.point_counts
    ctx.outputs.append(f"snapped {counts['added']} contractor pipe(s), conflated {counts['conflated']}, rejected "
                       f"{counts['rejected']}; {points['points_added']} tap(s) and valve(s) became assets, "
                       f"{points['points_conflated']} repeated existing ones (batch {snapped.batch_id}, "
                       f"tolerance {snapped.tolerance:g} m)")
    c = result.counts
    ctx.outputs.append(f"validation: {c['error']} errors, {c['warning']} warnings, {c['info']} notes -> {errors}")
    ctx.outputs.append(f"data health report: {ctx.out_dir / 'data_health.html'}")
    return snapped, result


def _snap_html(snapped: SnapResult) -> str:
    counts = snapped.counts
    head = (f"<p>Tolerance {snapped.tolerance_why}. {counts['added']} added as {counts['new_pipes']} pipe(s) "
            f"(including split parts), {counts['conflated']} conflated with pipes already in the registry, "
            f"{counts['rejected']} rejected; {counts['new_junctions']} new junction(s), {counts['split_pipes']} "
            f"existing pipe(s) split. Change-log batch {snapped.batch_id} (undo with 'jalnet registry undo').</p>")
    rows = snapped.candidates[["candidate_id", "state", "result_pipe_id", "message"]]
    html = head + table_html(rows.astype(object).where(rows.notna(), None).to_dict("records"), list(rows.columns))
    if snapped.points is not None and len(snapped.points):
        points = snapped.points[["candidate_id", "kind", "state", "message"]]
        html += "<p>Contractor points (taps and valves):</p>" + table_html(
            points.astype(object).where(points.notna(), None).to_dict("records"), list(points.columns))
    return html


def _validation_html(result: ValidationResult) -> str:
    c = result.counts
    head = (f"<p><span class='sev-error'>{c['error']} errors</span>, <span class='sev-warning'>{c['warning']} "
            f"warnings</span>, <span class='sev-info'>{c['info']} notes</span>. Details: errors.gpkg (open it in "
            "the JalNet findings panel) and data_health.html.</p>")
    rows = result.findings[["severity", "rule", "title", "message"]]
    return head + table_html(rows.astype(object).to_dict("records"), list(rows.columns))

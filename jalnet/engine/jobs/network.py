"""Network jobs: snap staged pipes, validate the network, accept a finding as an exception."""

from __future__ import annotations

from typing import Any

from ...feedback import Feedback
from ...topology import accept_exception, health_report, snap, validate
from ...topology.findings import LINE_LAYER, POINT_LAYER
from ...topology.validate import registry_access


def styled(path: str, layers: list[tuple[str, str]], group: str) -> list[dict[str, Any]]:
    """Layers of a GeoPackage to load with their JalNet style (``styles/<layer>.qml``)."""
    return [{"uri": f"{path}|layername={layer}", "title": title, "group": group,
             "style": {"kind": "jalnet", "name": layer}} for layer, title in layers]


def snap_network(registry: str, batch: str | None, tolerance: float, dry_run: bool, allow_move_existing: bool,
                 output: str | None, feedback: Feedback) -> dict[str, Any]:
    result = snap(registry, batch=batch, tolerance=tolerance or None, dry_run=dry_run,
                  allow_move_existing=allow_move_existing, feedback=feedback)
    feedback.info(f"tolerance {result.tolerance_why}")
    for row in result.candidates.itertuples():
        feedback.info(f"{row.candidate_id}: {row.state} {row.result_pipe_id or ''} - {row.message}")
    load: list[dict[str, Any]] = []
    if output:
        result.write(output)
        load = styled(output, [("snap_lines", "Snap: pipes"), ("snap_points", "Snap: junctions and splits")], "snap")
    counts = result.counts
    summary = (", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
               + (" (dry run: nothing written)" if result.dry_run else f"; batch {result.batch_id}"))
    feedback.info(summary)
    return {"outputs": {"BATCH_ID": result.batch_id or "", "OUTPUT": output or None, "ADDED": counts["added"],
                        "CONFLATED": counts["conflated"], "REJECTED": counts["rejected"],
                        "NEW_PIPES": counts["new_pipes"], "NEW_JUNCTIONS": counts["new_junctions"],
                        "SPLIT_PIPES": counts["split_pipes"]},
            "load": load, "summary": summary}


def validate_network(registry: str, scheme: str | None, rules: list[str] | None, params: dict[str, float],
                     output: str, report: str | None, csv: str | None, feedback: Feedback) -> dict[str, Any]:
    result = validate(registry, scheme=scheme, rules=rules, params=params, feedback=feedback)
    result.write(output)
    if report or csv:
        html, table = health_report(result, registry)
        if report:
            with open(report, "w", encoding="utf-8") as f:
                f.write(html)
        if csv:
            table.to_csv(csv, index=False)
    counts = result.counts
    summary = (f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
               + (f"; {result.accepted} accepted exceptions left out" if result.accepted else ""))
    feedback.info(summary)
    return {"outputs": {"OUTPUT": output, "REPORT": report or None, "CSV": csv or None,
                        "POINTS": f"{output}|layername={POINT_LAYER}", "LINES": f"{output}|layername={LINE_LAYER}",
                        "ERRORS": counts["error"], "WARNINGS": counts["warning"], "NOTES": counts["info"],
                        "ACCEPTED": result.accepted},
            "load": styled(output, [(POINT_LAYER, "Network findings (points)"),
                                    (LINE_LAYER, "Network findings (lines)")], "validation"),
            "summary": summary}


def accept(registry: str, fingerprint: str, note: str, finding: dict[str, Any] | None,
           feedback: Feedback) -> dict[str, Any]:
    with registry_access(registry, readonly=False) as reg:
        return {"exception_id": accept_exception(reg, fingerprint, note, finding=finding)}

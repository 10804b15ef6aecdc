"""Tracks job: contractor GPS files into the registry's staging layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import InputError
from ...feedback import Feedback
from ...report.html import page
from ...tracks import FieldMapping, ImportOptions, expand_paths, import_tracks
from ...tracks.report import report_section


def import_files(registry: str, files: list[str], mapping: str | None, field_map: str, columns: str,
                 max_accuracy_m: float, max_speed_mps: float, dry_run: bool, report: str | None,
                 feedback: Feedback) -> dict[str, Any]:
    paths = expand_paths(files)
    if not paths:
        raise InputError("No contractor files given")
    fields = FieldMapping.from_any(mapping or None).with_pairs(field_map or "", columns or "")
    options = ImportOptions.from_any({"max_accuracy_m": max_accuracy_m, "max_speed_mps": max_speed_mps,
                                      "dry_run": dry_run})
    result = import_tracks(registry, paths, fields, options, feedback)
    for f in result.files:
        for message in f.messages:
            (feedback.warning if f.status == "refused" else feedback.info)(message)
        if f.messages_left_off:
            feedback.info(f"... and {f.messages_left_off} more message(s) for {f.name}")
        dropped = ", ".join(f"{n} {k}" for k, n in sorted(f.points_dropped.items()))
        feedback.info(f"{f.name}: {f.status}; {f.pipes} pipe and {f.points} point candidate(s); {f.points_read} "
                      f"GPS point(s) read, {f.points_kept} kept" + (f" (dropped: {dropped})" if dropped else ""))
    feedback.info(result.summary_line())
    if not result.imported:
        raise InputError("No file could be imported: " + "; ".join(f.reason for f in result.refused))
    if report:
        Path(report).write_text(page("Contractor files imported", result.registry, [report_section(result)]),
                                encoding="utf-8")
    return {"outputs": {
        "BATCH_ID": result.batch_id or "", "PIPES": result.pipes, "POINTS": result.points,
        "FILES_IMPORTED": len(result.imported), "FILES_REFUSED": len(result.refused),
        "POINTS_DROPPED": sum(sum(f.points_dropped.values()) for f in result.files), "REPORT": report or None,
    }, "summary": result.summary_line()}

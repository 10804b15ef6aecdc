"""Field capture jobs: a scheme's QField package out, the field's edits back in."""

from __future__ import annotations

from typing import Any

from ...feedback import Feedback
from ...field import package_scheme, sync_package


def package(registry: str, scheme: str, output: str, dem: str | None, overwrite: bool,
            feedback: Feedback) -> dict[str, Any]:
    result = package_scheme(registry, scheme, output, dem=dem, overwrite=overwrite, feedback=feedback)
    summary = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    feedback.info(summary)
    return {"outputs": {"OUTPUT": str(result.folder), "PROJECT": str(result.project) if result.project else None},
            "summary": summary}


def sync(registry: str, package: str, dry_run: bool, tolerance: float | None, feedback: Feedback) -> dict[str, Any]:
    report = sync_package(registry, package, dry_run=dry_run, tolerance=tolerance or None, feedback=feedback)
    for message in report.messages:
        feedback.info(message)
    for c in report.conflicts:
        feedback.warning(f"conflict, not applied: {c.layer} {c.asset_id}: {c.reason}")
    summary = report.summary_line()
    feedback.info(summary)
    return {"outputs": {"BATCH_ID": report.batch_id or "", "CONFLICTS": len(report.conflicts)}, "summary": summary}

"""PM Gati Shakti job: check and export a registry as a submission package."""

from __future__ import annotations

from typing import Any

from ...errors import InputError
from ...feedback import Feedback
from ...gatishakti import PreflightFailed, check_export, export_package


def _push_report(check: Any, feedback: Feedback) -> None:
    for line in check.text().splitlines():
        (feedback.warning if not check.ok and line.startswith("  ") else feedback.info)(line)


def export(registry: str, profile: str, scheme: str | None, layers: list[str] | None, formats: list[str] | None,
           check_only: bool, overwrite: bool, output: str | None, report: str | None,
           feedback: Feedback) -> dict[str, Any]:
    if check_only:
        check = check_export(registry, profile, scheme, layers or None, formats, feedback=feedback)
        _push_report(check, feedback)
        results: dict[str, Any] = {"FAULTS": len(check.faults), "FEATURES": check.features,
                                   "SUMMARY": check.summary()}
        if report:
            results["REPORT"] = str(check.write_report(report))
        return {"outputs": results}
    if not output:
        raise InputError("Choose where to save the package (.zip), or tick 'Only check'")
    try:
        result = export_package(registry, output, profile, scheme, layers or None, formats, overwrite=overwrite,
                                report=report, feedback=feedback)
    except PreflightFailed as err:
        _push_report(err.check, feedback)
        raise
    _push_report(result.check, feedback)
    feedback.info(f"package {result.path}: {len(result.files)} files")
    results = {"OUTPUT": str(result.path), "FAULTS": 0, "FEATURES": result.check.features,
               "SUMMARY": result.check.summary()}
    if result.report:
        results["REPORT"] = str(result.report)
    return {"outputs": results}

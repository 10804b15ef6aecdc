"""Data-health job: every module's checks in one pass, scores per scheme, the dashboard."""

from __future__ import annotations

from typing import Any

from ...feedback import Feedback
from ...health import run_health
from .network import styled

#: Layers of the health GeoPackage opened styled, with their display names (see jalnet.health.output).
LAYERS = [("scheme_health", "Schemes by data-health score"), ("findings_points", "Data-health findings (points)"),
          ("findings_lines", "Data-health findings (lines)")]


def health(registry: str, scheme: str | None, store: bool, output: str, report: str | None,
           feedback: Feedback) -> dict[str, Any]:
    result = run_health(registry, output, report, scheme=scheme, store=store, feedback=feedback)
    counts, trend = result.counts, result.trend_counts
    summary = (f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s); "
               f"{trend['new']} new, {trend['fixed']} fixed since the previous run")
    feedback.info(summary)
    return {"outputs": {"OUTPUT": output, "REPORT": report, "SCHEMES": f"{output}|layername=scheme_health",
                        "ERRORS": counts["error"], "WARNINGS": counts["warning"], "NOTES": counts["info"],
                        "NEW": trend["new"], "FIXED": trend["fixed"]},
            "load": styled(output, LAYERS, "data health"), "summary": summary}

"""Demo step: the data-health run over the demo registry after every other step, dashboard and layer."""

from __future__ import annotations

from typing import Any

from ..report.html import Section
from ..topology.findings import style_qml
from .output import SCHEME_LAYER
from .run import run_health


def run(ctx: Any) -> None:
    out, report = ctx.out_dir / "health.gpkg", ctx.out_dir / "health.html"
    result = run_health(ctx.registry, out, report, feedback=ctx.feedback)
    ctx.project_layers.append((f"{out}|layername={SCHEME_LAYER}", "Schemes by data-health score",
                               str(style_qml(SCHEME_LAYER))))
    c, t = result.counts, result.trend_counts
    worst = result.schemes.iloc[0] if len(result.schemes) else None
    text = (f"<p>{c['error']} errors, {c['warning']} warnings, {c['info']} notes over all modules; {t['new']} new "
            f"since the previous run. Worst scheme: {worst['scheme_id']} scoring {worst['score']:.0f}/100. "
            "Dashboard: health.html; layers: health.gpkg.</p>" if worst is not None else "<p>No schemes.</p>")
    ctx.sections.append(Section("Data health", text))
    ctx.outputs.append(f"data health: {c['error']} errors, {c['warning']} warnings -> {report}")

"""Demo step: the sample scheme's least-cost pipe design, in the QGIS project, the summary and out/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..report.html import Section, esc, table_html

STYLES = Path(__file__).resolve().parent.parent / "styles"


def run(ctx: Any) -> None:
    try:
        import wntr  # noqa: F401
    except ImportError as err:
        ctx.sections.append(Section("Pipe design", f"<p class='note'>Not run: wntr is not installed ({esc(err)}).</p>"))
        return
    from ..registry import open_registry
    from ..samples import sample_path
    from .engine import design_scheme

    with open_registry(ctx.registry, readonly=True) as reg:
        with_pipes = set(reg.read("pipes")["scheme_id"].dropna())
        schemes = [s for s in reg.read("schemes")["scheme_id"] if s in with_pipes]
    if not schemes:
        return
    scheme = schemes[0]
    result = design_scheme(ctx.registry, scheme, out=ctx.out_dir / "design.gpkg", dem=str(sample_path("dem.tif")),
                           feedback=ctx.feedback)
    gpkg = result.outputs["gpkg"]
    for layer in ("design_pipes", "design_nodes"):
        ctx.project_layers.append((f"{gpkg}|layername={layer}", f"{layer} (least-cost design)",
                                   str(STYLES / f"{layer}.qml")))
    rows = [{"item": "least-cost design (Rs)", "value": f"{result.cost_inr:,.0f}"},
            {"item": "conventional hand method (Rs)", "value": f"{result.hand.cost_inr:,.0f}"},
            {"item": "saving", "value": f"{result.saving_percent:.1f} %"},
            {"item": "lowest pressure at the design peak, EPANET (m)",
             "value": f"{result.nodes['epanet_pressure_m'].min():.2f}"}]
    body = table_html(rows, ["item", "value"]) + "".join(f"<p class='note'>{esc(n)}</p>" for n in result.notes)
    body += f"<p>Bill of quantities and report: {esc(Path(result.outputs['boq']).name)}, " \
            f"{esc(Path(result.outputs['report']).name)}.</p>"
    ctx.sections.append(Section(f"Pipe design: scheme {scheme}", body))
    ctx.outputs.append(f"design: scheme {scheme} Rs {result.cost_inr:,.0f} (hand method Rs {result.hand.cost_inr:,.0f}, "
                       f"saving {result.saving_percent:.1f} %); {gpkg}, {result.outputs['boq']}, "
                       f"{result.outputs['report']}")

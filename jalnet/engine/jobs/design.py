"""Design job: least-cost pipe sizes of a scheme (Processing *Design pipe sizes*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...design import design_scheme
from ...feedback import Feedback
from ...hydraulics.build import parse_params

STYLES = Path(__file__).resolve().parents[2] / "styles"
#: Layers of the design GeoPackage loaded into the project, with their styles.
LAYERS = (("design_pipes", "design_pipes"), ("design_nodes", "design_nodes"))


def design(registry: str, scheme: str, output: str, catalogue: str | None, min_head: float, max_velocity: float,
           peak_factor: float | None, apply: bool, load: bool, dem: str | None, params: str,
           feedback: Feedback) -> dict[str, Any]:
    result = design_scheme(registry, scheme, out=output, catalogue=catalogue, min_head=min_head,
                           max_velocity=max_velocity, peak_factor=peak_factor, apply=apply, dem=dem,
                           params=parse_params(params or ""), feedback=feedback)
    for note in result.notes:
        feedback.info(note)
    summary = (f"least-cost design Rs {result.cost_inr:,.0f}; conventional hand method Rs "
               f"{result.hand.cost_inr:,.0f}; saving {result.saving_percent:.1f} %")
    feedback.info(summary)
    gpkg = result.outputs["gpkg"]
    load_layers = [{"uri": f"{gpkg}|layername={layer}", "title": f"{layer} ({result.scheme})", "group": "Design",
                    "style": {"kind": "qml", "path": str(STYLES / f"{style}.qml")}} for layer, style in LAYERS]
    return {"outputs": {"OUTPUT": gpkg, "COST_INR": result.cost_inr, "HAND_COST_INR": result.hand.cost_inr,
                        "SAVING_PERCENT": result.saving_percent, "BOQ": result.outputs["boq"],
                        "REPORT": result.outputs["report"], "BATCH_ID": result.batch_id or ""},
            "load": load_layers if load else [], "summary": summary}

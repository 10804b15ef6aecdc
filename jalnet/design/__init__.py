"""Least-cost design of a scheme's pipe sizes (CPHEEO norms), from the registry, checked by EPANET.

Python API::

    from jalnet.design import design_scheme, load_catalogue
    result = design_scheme("registry.gpkg", "4010457", out="design.gpkg", min_head=7)
    result.cost_inr, result.hand.cost_inr, result.saving_percent
    result.pipes, result.nodes, result.boq          # design_pipes, design_nodes, bill of quantities
    design_scheme("registry.gpkg", "4010457", apply=True).batch_id   # undo: jalnet registry undo

Branched networks are solved exactly as one linear program (SciPy HiGHS); looped parts by a
stated heuristic (flow split from EPANET, held fixed).
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "design_scheme": "engine",
    "DesignResult": "engine",
    "load_catalogue": "catalogue",
    "Catalogue": "catalogue",
    "apply_design": "apply",
    "CheckFailed": "check",
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)

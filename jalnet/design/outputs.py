"""What a design writes: one GeoPackage (design_pipes, design_nodes), the BOQ as CSV, and the HTML report.

Everything is written under temporary names and moved into place at the end, so a failure
leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..outputs import write_gpkg_layer
from .report import report_html


def output_paths(out: str | os.PathLike) -> dict[str, Path]:
    """design.gpkg -> design.gpkg, design_boq.csv, design_report.html (beside it)."""
    gpkg = Path(out)
    if gpkg.suffix.lower() != ".gpkg":
        gpkg = gpkg.with_suffix(".gpkg")
    return {"gpkg": gpkg, "boq": gpkg.with_name(f"{gpkg.stem}_boq.csv"),
            "report": gpkg.with_name(f"{gpkg.stem}_report.html")}


def write_outputs(result: Any, out: str | os.PathLike) -> dict[str, str]:
    paths = output_paths(out)
    paths["gpkg"].parent.mkdir(parents=True, exist_ok=True)
    tmp = {k: p.with_name(f".{p.name}.tmp{os.getpid()}{p.suffix}") for k, p in paths.items()}
    try:
        for p in tmp.values():
            p.unlink(missing_ok=True)
        write_gpkg_layer(result.pipes, tmp["gpkg"], "design_pipes")
        write_gpkg_layer(result.nodes, tmp["gpkg"], "design_nodes")
        boq = result.boq.copy()
        total = {"material": "TOTAL", "pressure_class": "", "nominal_dia_mm": None,
                 "length_m": round(float(boq["length_m"].sum()), 1), "cost_inr": round(result.cost_inr, 0)}
        boq.loc[len(boq)] = total
        boq.to_csv(tmp["boq"], index=False)
        tmp["report"].write_text(report_html(result), encoding="utf-8")
        for k, p in tmp.items():
            os.replace(p, paths[k])
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)
    return {k: str(p) for k, p in paths.items()}

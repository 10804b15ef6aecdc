"""Geology jobs: import lithologs, validate them, strip logs and sections (files and panel figures)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ...errors import Canceled, InputError
from ...feedback import Feedback
from ...geology import validate_registry, write_striplogs
from ...geology.figures import save
from ...geology.importer import import_lithologs, parse_columns, parse_pairs
from ...geology.model import read_lithologs
from ...geology.section import along_line_order, build_section, line_from_wkt, line_through, section_figure
from ...geology.section import write_section as write_section_files
from ...geology.striplog import striplog_figure
from ...registry import open_registry


def import_logs(registry: str, boreholes: str, intervals: str | None, construction: str | None, las_files: list[str],
                columns: list[str], terms: list[str], crs: str, replace: bool, max_source_distance_m: float,
                findings_path: str | None, feedback: Feedback) -> dict[str, Any]:
    kwargs = {"intervals": intervals, "construction": construction, "las_files": las_files,
              "columns": parse_columns(columns), "terms": parse_pairs(terms, "term"), "crs": crs, "replace": replace,
              "max_source_distance_m": max_source_distance_m, "findings_path": findings_path}
    with open_registry(registry) as reg:
        result = import_lithologs(reg, boreholes, feedback=feedback, **kwargs)
    if feedback.is_canceled():
        raise Canceled("canceled; nothing was written")
    for row in result.rows():
        text = f"{row['borehole_id'] or '-'} {row['rule']}: {row['message']}"
        (feedback.warning if row["imported"] == "no" or row["severity"] == "error" else feedback.info)(text)
    feedback.info(f"imported {len(result.imported)} borehole(s): "
                  + ", ".join(f"{n} {k}" for k, n in result.counts.items()))
    if result.refused:
        feedback.warning(f"refused {len(result.refused)} borehole(s): {', '.join(result.refused)}")
    if result.batch_id:
        feedback.info(f"batch {result.batch_id}: undo it with 'Undo registry batch' if this was a mistake")
    return {"outputs": {"IMPORTED": len(result.imported), "REFUSED": len(result.refused),
                        "BATCH_ID": result.batch_id or "", "FINDINGS": str(result.findings_path or "")}}


def validate(registry: str, store: bool, max_source_distance_m: float, feedback: Feedback) -> dict[str, Any]:
    """The findings as rows; QGIS writes them into the algorithm's sink."""
    with open_registry(registry, readonly=not store) as reg:
        findings = validate_registry(reg, None, store=store, feedback=feedback,
                                     max_source_distance_m=max_source_distance_m)
    rows = [[f.borehole_id, f.rule, f.severity, f.message] for f in findings]
    errors = sum(f.severity == "error" for f in findings)
    feedback.info(f"{len(findings)} finding(s), {errors} error(s), on {len({f.borehole_id for f in findings})} "
                  "borehole(s)")
    return {"outputs": {"FINDINGS": len(findings), "ERRORS": errors}, "rows": rows}


def striplog(registry: str, folder: str, boreholes: list[str] | None, formats: list[str],
             feedback: Feedback) -> dict[str, Any]:
    with open_registry(registry, readonly=True) as reg:
        paths = write_striplogs(reg, folder, boreholes, formats, feedback=feedback)
    for path in paths:
        feedback.info(f"wrote {path}")
    feedback.set_progress(100)
    return {"outputs": {"OUTPUT": folder, "FILES": len(paths)}}


def section(registry: str, output: str, line_wkt: str | None, line_crs: str | None, through: list[str] | None,
            dem: str | None, corridor_m: float, vertical_exaggeration: float | None, title: str | None,
            feedback: Feedback) -> dict[str, Any]:
    with open_registry(registry, readonly=True) as reg:
        line = line_from_wkt(line_wkt, line_crs, reg.crs) if line_wkt else None
        if line is None and not through:
            raise InputError("Give a section line layer or two or more borehole IDs")
        result, paths = write_section_files(reg, output, line=line, through=through, dem=dem, corridor_m=corridor_m,
                                            vertical_exaggeration=vertical_exaggeration, title=title,
                                            feedback=feedback)
    for b in result.boreholes:
        feedback.info(f"{b.borehole_id}: {b.chainage:.0f} m along the line, {b.offset:.0f} m off it")
    for note in result.notes:
        feedback.warning(note)
    feedback.info("wrote " + ", ".join(str(p) for p in paths))
    png = next((str(p) for p in paths if p.suffix == ".png"), output)
    return {"outputs": {"OUTPUT": png, "BOREHOLES": len(result.boreholes),
                        "EXAGGERATION": result.vertical_exaggeration}}


def figure(registry: str, boreholes: list[str], section: bool, dem: str | None, feedback: Feedback) -> dict[str, Any]:
    """The strip log of one borehole, or the section through several, as PNG and SVG in a temp folder
    (the strip-log panel shows the PNG and copies both on Save)."""
    folder = Path(tempfile.mkdtemp(prefix="jalnet_figure_"))
    with open_registry(registry, readonly=True) as reg:
        data = read_lithologs(reg, None if section else boreholes[:1])
        crs = reg.crs
    if section:
        order = along_line_order(data, boreholes)
        sec = build_section(data, line_through(data, order), crs, dem, corridor_m=250.0)
        fig = section_figure(data, sec, f"Section through {order[0]} … {order[-1]}")
        name = f"section_{order[0]}_{order[-1]}"
        extra = {"order": order, "vertical_exaggeration": sec.vertical_exaggeration}
    else:
        fig = striplog_figure(data, boreholes[0])
        name, extra = boreholes[0], {}
    paths = save(fig, folder / "".join(c if c.isalnum() or c in "-_" else "_" for c in name))
    return {"name": name, "files": [str(p) for p in paths], **extra}

"""Demo step: the sample lithologs imported, validated, drawn as strip logs and one section."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import open_registry
from ..report.html import Section, esc, figure_png, table_html
from ..samples import sample_path
from .importer import import_lithologs
from .model import Lithologs, file_stem, read_lithologs
from .section import along_line_order, write_section
from .striplog import save_striplog
from .validate import validate_registry

if TYPE_CHECKING:
    from ..demo import DemoContext


def run(ctx: DemoContext) -> None:
    out = ctx.out_dir
    folder = sample_path("lithology")
    with open_registry(ctx.registry) as reg:
        result = import_lithologs(reg, folder / "boreholes.csv", folder / "intervals.csv", folder / "construction.csv",
                                  findings_path=out / "geology_import_findings.csv", feedback=ctx.feedback)
        findings = validate_registry(reg, out / "geology_findings.csv", store=True)
        data = read_lithologs(reg)
        order = along_line_order(data, data.ids)
        ends = [order[0], order[-1]]
        section, section_paths = write_section(reg, out / "section", through=ends, dem=sample_path("dem.tif"),
                                               corridor_m=250.0)
    (out / "striplogs").mkdir(exist_ok=True)
    strips = {bid: save_striplog(data, bid, out / "striplogs") for bid in sorted(data.ids)}
    strip_paths = [p for _, paths in strips.values() for p in paths]
    ctx.sections.append(_report(data, findings, section, ends, {bid: fig for bid, (fig, _) in strips.items()}))
    ctx.outputs.append(
        f"geology   {len(result.imported)} boreholes imported, {len(findings)} validation finding(s) in "
        f"geology_findings.csv; strip logs in striplogs/ ({len(strip_paths)} files); "
        f"{', '.join(p.name for p in section_paths)} through {' and '.join(ends)}"
    )


def _report(data: Lithologs, findings: list, section, ends: list[str], figures: dict) -> Section:
    bh = data.boreholes.sort_values("borehole_id")
    rows = [{
        "borehole": r.borehole_id, "source": r.source_id, "depth": r.drilled_depth_m, "swl": r.swl_m,
        "yield": r.yield_lpm, "first_aquifer": r.first_aquifer_m, "aquifer_thickness": r.aquifer_thickness_m,
    } for r in bh.itertuples(index=False)]
    headers = {"depth": "Drilled depth (m)", "swl": "SWL (m bgl)", "yield": "Yield (lpm)",
               "first_aquifer": "First aquifer (m bgl)", "aquifer_thickness": "Aquifer thickness (m)"}
    parts = [
        "<p>The sample lithologs (<code>jalnet/data/lithology</code>) imported into the registry "
        "(layers <em>Boreholes</em>, <em>Lithology intervals</em>, <em>Well construction intervals</em>), "
        "validated, and drawn. Full-size strip logs are in <code>striplogs/</code> as PNG and SVG.</p>",
        table_html(rows, list(rows[0]) if rows else [], headers),
        "<h3>Validation findings</h3>",
        table_html([f.as_dict() for f in findings], ["borehole_id", "rule", "severity", "message"]),
        "<h3>Strip logs</h3><div style='display:flex;flex-wrap:wrap;gap:8px'>",
    ]
    for bid, fig in figures.items():
        img = figure_png(fig, f"Strip log of {bid}").replace("<img ", "<img style='width:210px' ")
        parts.append(f"<a href='striplogs/{esc(file_stem(bid))}.png'>{img}</a>")
    parts.append("</div>")
    parts.append(f"<h3>Section through {esc(' and '.join(ends))}</h3>")
    parts.append("<p><a href='section.svg'>section.svg</a> · vertical exaggeration "
                 f"×{section.vertical_exaggeration:g}; aquifers joined between neighbours in blue.</p>")
    parts.append(figure_png(section.figure, "Cross-section"))
    return Section("Geology: lithologs, strip logs and section", "".join(parts))

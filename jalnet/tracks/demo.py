"""Demo step "tracks": import the sample scheme's contractor files, then hand over to snapping.

Imports every file in ``jalnet/data/contractor/`` (not ``truth.gpkg``, the answer key) into
the demo registry as one batch, and adds the per-file table, a map of what cleaning did
to each track, and the fixes layer to the demo outputs.

Seam with the topology engine: when ``jalnet.topology`` provides
``run_demo_loop(ctx, import_batch)``, it is called next with the import's batch id, so the
demo runs import -> clean -> snap -> validate in one step; without it the demo stops at
the staged candidates.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..report.html import Section, figure_png
from ..samples import sample_path
from .fixes import LAYER, cleaning_figure, write_fixes
from .importer import import_tracks
from .options import ImportOptions
from .report import report_section
from .sources import expand_paths

#: Files of the sample folder that are not contractor input.
NOT_INPUT = ("truth.gpkg",)


def run(ctx: Any) -> None:
    files = expand_paths([sample_path("contractor")], skip=NOT_INPUT)
    report = import_tracks(ctx.registry, files, options=ImportOptions(keep_fixes=True))
    ctx.sections.append(report_section(report, "Contractor files: import and cleaning"))
    fig = cleaning_figure(report)
    ctx.sections.append(Section(
        "Contractor tracks: what cleaning did",
        "<p>Each GPS fix coloured by what cleaning did to it; the dark line is the staged pipe candidate.</p>"
        + figure_png(fig, "GPS fixes by fate and the cleaned lines"),
    ))  # fmt: skip
    fixes = ctx.out_dir / f"{LAYER}.gpkg"
    n = write_fixes(report, fixes)
    from .. import samples  # the style sits next to the other layer styles

    qml = samples.DATA_DIR.parent / "styles" / f"{LAYER}.qml"
    ctx.project_layers.append((str(fixes), "GPS fixes (kept or why dropped)", str(qml) if qml.exists() else None))
    ctx.outputs.append(f"tracks    {report.summary_line()}")
    ctx.outputs.append(f"fixes     {fixes}  ({n} GPS fixes and their fate)")
    loop = topology_loop()
    if loop is not None and report.batch_id:
        loop(ctx, report.batch_id)


def topology_loop() -> Callable[[Any, str], None] | None:
    """``jalnet.topology.run_demo_loop`` (snap + validate of the staged batch), if the engine has it."""
    try:
        module = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.topology")
    except ModuleNotFoundError as err:
        if err.name not in (f"{__package__.rsplit('.', 1)[0]}.topology",):
            raise
        return None
    return getattr(module, "run_demo_loop", None)

"""Demo step "field": the sample scheme's field package for QField, with the DEM as background."""

from __future__ import annotations

from typing import Any

from ..errors import JalnetError
from ..registry import open_registry
from ..report.html import Section
from ..samples import sample_path
from .package import package_scheme
from .project_spec import qgis_python

FOLDER = "field_package"


def run(ctx: Any) -> None:
    with open_registry(ctx.registry, readonly=True) as reg:
        scheme = str(reg.read("schemes")["scheme_id"].iloc[0])
        try:
            qgis_python()
            project = True
        except JalnetError:
            project = False  # no QGIS here: the data and manifest still go out
        result = package_scheme(reg, scheme, ctx.out_dir / FOLDER, dem=sample_path("dem.tif"), overwrite=True,
                                project=project)
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items() if k.startswith("capture_"))
    ctx.outputs.append(f"field     {result.folder}  (QField package of {scheme}: {counts})")
    ctx.sections.append(Section(
        "Field package (QField)",
        f"<p>The folder <code>{FOLDER}/</code> opens in QField as it is: the scheme read-only for reference and "
        f"capture layers ({counts}) with forms from the registry's domains. Bring it back with "
        f"<code>jalnet field sync --registry registry.gpkg --package {FOLDER}</code>.</p>",
    ))  # fmt: skip

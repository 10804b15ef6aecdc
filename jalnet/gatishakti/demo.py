"""Demo step: the PM Gati Shakti package of each sample scheme, with the default profile."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..registry import open_registry
from ..report.html import Section, esc, table_html
from .package import PreflightFailed, export_package

if TYPE_CHECKING:
    from ..demo import DemoContext


def run(ctx: DemoContext) -> None:
    with open_registry(ctx.registry, readonly=True) as reg:
        schemes = [str(s) for s in reg.read("schemes")["scheme_id"].dropna()]
        for scheme in schemes:
            out = ctx.out_dir / f"gatishakti_{scheme}.zip"
            report = ctx.out_dir / f"gatishakti_{scheme}_preflight.html"
            try:
                result = export_package(reg, out, scheme=scheme, overwrite=True, report=report,
                                        feedback=ctx.feedback)
            except PreflightFailed as err:
                out.unlink(missing_ok=True)  # an older package must not pass for this registry's
                ctx.sections.append(Section(f"PM Gati Shakti package: scheme {scheme}", err.check.sections()[0].body_html))
                ctx.outputs.append(f"gatishakti {scheme}: NOT written, {len(err.check.faults)} fault(s); see "
                                   f"{report.name}")
                continue
            ctx.sections.append(_section(result))
            gpkg = next((f["path"] for f in result.files if f["path"].endswith(".gpkg")), None)
            if gpkg is not None:
                # an absolute zip path: QGIS keeps a /vsizip/ path relative to the project only if it is
                package = Path(result.path).resolve().as_posix()
                for layer in result.manifest["layers"]:
                    ctx.project_layers.append((f"/vsizip/{package}/{gpkg}|layername={layer['name']}",
                                               f"Gati Shakti package: {layer['title']}", None))
            ctx.outputs.append(
                f"gatishakti {out.name}: {result.check.features} features in {len(result.manifest['layers'])} layers, "
                f"{len(result.files)} files ({', '.join(result.check.formats)}); pre-flight report {report.name}"
            )


def _section(result) -> Section:
    manifest = result.manifest
    rows = [{"layer": m["name"], "title": m["title"], "source": m["source"], "features": m["features"],
             "repaired": m["repaired_geometries"], "withheld": ", ".join(m["withheld_fields"]) or "—"}
            for m in manifest["layers"]]
    files = [{"path": f["path"], "format": f["format"], "features": f["features"] if f["layers"] else None,
              "bytes": f["bytes"], "sha256": f["sha256"][:16] + "…"} for f in manifest["files"]]
    prof = manifest["profile"]
    intro = (f"<p><code>{esc(result.path.name)}</code>: the sample scheme's water-supply layers for the PM Gati "
             f"Shakti National Master Plan, in WGS 84, profile <b>{esc(prof['name'])}</b> v{esc(prof['version'])} "
             f"(provisional: adapt it once BISAG-N's data dictionary is at hand). It passed the pre-flight check "
             f"({esc(result.check.summary())}). Household names and phone numbers are not in it.</p>")
    return Section(f"PM Gati Shakti package: scheme {', '.join(manifest['schemes'])}", intro + table_html(
        rows, ["layer", "title", "source", "features", "repaired", "withheld"],
        {"layer": "Layer", "title": "Title", "source": "Registry layer", "features": "Features",
         "repaired": "Geometries repaired", "withheld": "Withheld (personal data)"})
        + "<h3>Manifest</h3>" + table_html(files, ["path", "format", "features", "bytes", "sha256"],
                                           {"path": "File", "format": "Format", "features": "Features",
                                            "bytes": "Bytes", "sha256": "SHA-256"}))

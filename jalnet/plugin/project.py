"""Writing a ready-to-open QGIS project (.qgz) for a registry, without a QGIS window.

The demo (``jalnet demo``) and reports call :func:`write_project` from plain Python: it
starts a headless QgsApplication when none runs, so the user gets a project with the
registry's styled layers, extra rasters/vectors, the registry's CRS and a view on the
pipes, and paths stored relative so the output folder can be moved or zipped.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapLayer,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsReferencedRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument, QDomElement

from ..errors import InputError, JalnetError
from .layers import add_registry_layers, layers_extent, strip_font_families

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".asc", ".jp2", ".png", ".jpg", ".nc", ".hgt", ".dem"}
_APP: QgsApplication | None = None


def ensure_qgis() -> QgsApplication:
    """The running QgsApplication, or a new headless one (offscreen when there is no display)."""
    global _APP
    app = QgsApplication.instance()
    if app is not None:
        return app
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP = QgsApplication([], False)
    _APP.initQgis()
    atexit.register(_APP.exitQgis)  # without it the interpreter may crash on exit
    return _APP


def open_extra_layer(source: str, name: str, qml: str | None = None) -> QgsMapLayer:
    """A raster or vector layer from a path or URI, styled with *qml* when given."""
    suffix = Path(source.split("|")[0]).suffix.lower()
    candidates = ("raster", "vector") if suffix in RASTER_SUFFIXES else ("vector", "raster")
    layer: QgsMapLayer | None = None
    for kind in candidates:
        layer = QgsRasterLayer(source, name, "gdal") if kind == "raster" else QgsVectorLayer(source, name, "ogr")
        if layer.isValid():
            break
    if layer is None or not layer.isValid():
        raise InputError(f"QGIS cannot open {source} as a raster or vector layer")
    if qml:
        message, ok = layer.loadNamedStyle(str(qml))
        if not ok:
            raise InputError(f"style {qml} cannot be applied to {name}: {message}")
    return layer


def _padded(rect: QgsRectangle, fraction: float = 0.05, minimum: float = 200.0) -> QgsRectangle:
    """The rectangle grown by a margin (and to at least *minimum* map units, for a single point)."""
    out = QgsRectangle(rect)
    pad_x = max(rect.width() * fraction, (minimum - rect.width()) / 2, 0)
    pad_y = max(rect.height() * fraction, (minimum - rect.height()) / 2, 0)
    out.setXMinimum(rect.xMinimum() - pad_x)
    out.setXMaximum(rect.xMaximum() + pad_x)
    out.setYMinimum(rect.yMinimum() - pad_y)
    out.setYMaximum(rect.yMaximum() + pad_y)
    return out


def drop_font_families(layer: QgsMapLayer, element: QDomElement, doc: QDomDocument) -> None:
    """``QgsProject.writeMapLayer`` slot: no machine-specific label fonts in the saved project.

    A headless QGIS writes its own default font into every label style; see
    :func:`jalnet.plugin.layers.strip_font_families`.
    """
    strip_font_families(element)


def write_project(
    registry_target: str,
    out_path: str,
    extra_layers: Sequence[tuple[str, str, str | None]] = (),
    title: str = "JalNet demo",
) -> str:
    """Write a .qgz (or .qgs) with the registry's layers plus *extra_layers*; returns its path.

    *extra_layers* are ``(path_or_uri, name, qml_or_None)``; vectors go just below the
    registry group, rasters at the bottom. Raises JalnetError when a layer cannot be opened
    or the project cannot be written.
    """
    ensure_qgis()
    out = Path(out_path).expanduser().resolve()
    if out.suffix.lower() not in (".qgz", ".qgs"):
        out = out.with_suffix(".qgz")
    if not out.parent.exists():
        raise JalnetError(f"folder {out.parent} does not exist; create it first")

    project = QgsProject()
    try:
        project.setTitle(title)
        from .engine_calls import registry_info

        info = registry_info(registry_target)
        registry_layers = add_registry_layers(registry_target, project, info=info)
        if not registry_layers:
            raise JalnetError(f"QGIS could not open any layer of registry {registry_target}")
        crs = QgsCoordinateReferenceSystem(f"EPSG:{info['epsg']}")
        project.setCrs(crs)

        root = project.layerTreeRoot()
        vectors = 0
        for source, name, qml in extra_layers:
            layer = open_extra_layer(source, name, qml)
            project.addMapLayer(layer, False)
            if isinstance(layer, QgsRasterLayer):
                root.addLayer(layer)  # rasters underneath everything
            else:
                vectors += 1
                root.insertLayer(vectors, layer)  # below the registry group, in the order given

        extent = layers_extent(registry_layers, prefer="pipes")
        if not extent.isNull():
            project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(_padded(extent), crs))

        project.writeEntryBool("Paths", "/Absolute", False)  # relative paths: out/ can be moved
        project.writeMapLayer.connect(drop_font_families)
        if not project.write(str(out)):
            raise JalnetError(f"cannot write project {out}: {project.error()}")
    finally:
        project.clear()
    return str(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jalnet.plugin.project SPEC.json``, run with QGIS's Python by ``jalnet demo``:
    the spec holds ``registry``, ``out``, ``extra_layers`` and ``title``. The engine never
    imports QGIS, so the project is written in a process of its own."""
    import json

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m jalnet.plugin.project SPEC.json\n")
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    ensure_qgis()
    try:
        path = write_project(spec["registry"], spec["out"], [tuple(x) for x in spec.get("extra_layers", [])],
                             spec.get("title", "JalNet demo"))
    except JalnetError as err:
        sys.stderr.write(f"jalnet: error: {err}\n")
        return err.exit_code
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Writing a field package's QGIS project, run by QGIS's Python in a process of its own.

``python -m jalnet.plugin.field_project SPEC.json OUT.qgs`` reads the project as data (made
by :mod:`jalnet.field.project_spec`) and saves it the way QGIS would: the package's layers
from its GeoPackage with the registry styles (value maps and constraints from the
domains), default values, the photo field as an attachment widget, reference layers
read-only, the DEM/hillshade at the bottom, and every path relative to the project.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsDefaultValue,
    QgsEditorWidgetSetup,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsReferencedRectangle,
    QgsVectorLayer,
)

from .layers import strip_font_families
from .project import ensure_qgis

#: QField's attachment widget: a photo taken on the device, shown in the form, stored relative to the project.
PHOTO_WIDGET = {"DocumentViewer": 1, "DocumentViewerHeight": 0, "DocumentViewerWidth": 0, "FileWidget": True,
                "FileWidgetButton": True, "FileWidgetFilter": "Images (*.jpg *.jpeg *.png)", "RelativeStorage": 1,
                "StorageMode": 0, "UseLink": True, "FullUrl": False}


def _vector(folder: Path, gpkg: str, item: dict[str, Any]) -> QgsVectorLayer:
    vl = QgsVectorLayer(f"{folder / gpkg}|layername={item['table']}", item["name"], "ogr")
    if not vl.isValid():
        raise RuntimeError(f"layer {item['table']} of {gpkg} cannot be opened")
    if item.get("style"):
        message, ok = vl.loadNamedStyle(item["style"])
        if not ok:
            raise RuntimeError(f"style {item['style']} cannot be applied to {item['table']}: {message}")
    fields = vl.fields()
    for name, text in item.get("aliases", {}).items():
        idx = fields.indexOf(name)
        if idx >= 0 and not vl.attributeAlias(idx):
            vl.setFieldAlias(idx, text)
    for name, expression in item.get("defaults", {}).items():
        idx = fields.indexOf(name)
        if idx >= 0:
            vl.setDefaultValueDefinition(idx, QgsDefaultValue(expression, False))
    for name in item.get("hidden", []):
        idx = fields.indexOf(name)
        if idx >= 0:
            vl.setEditorWidgetSetup(idx, QgsEditorWidgetSetup("Hidden", {}))
    photo = item.get("photo_field")
    if photo and fields.indexOf(photo) >= 0:
        vl.setEditorWidgetSetup(fields.indexOf(photo), QgsEditorWidgetSetup("ExternalResource", dict(PHOTO_WIDGET)))
    vl.setReadOnly(bool(item.get("readonly")))
    return vl


def write(spec: dict[str, Any], out: Path) -> None:
    ensure_qgis()
    folder = out.parent
    project = QgsProject()
    try:
        project.setTitle(spec["title"])
        crs = QgsCoordinateReferenceSystem(f"EPSG:{spec['epsg']}")
        project.setCrs(crs)
        root = project.layerTreeRoot()
        groups: dict[str, Any] = {}
        for item in spec["layers"]:
            vl = _vector(folder, spec["gpkg"], item)
            project.addMapLayer(vl, False)
            group = groups.get(item["group"]) or groups.setdefault(item["group"], root.addGroup(item["group"]))
            group.addLayer(vl)
        for item in spec.get("rasters", []):
            rl = QgsRasterLayer(str(folder / item["file"]), item["name"], "gdal")
            if not rl.isValid():
                raise RuntimeError(f"raster {item['file']} cannot be opened")
            if item["name"] == "Hillshade" and rl.renderer() is not None:
                rl.renderer().setOpacity(0.6)  # the DEM's colours show through
            project.addMapLayer(rl, False)
            root.addLayer(rl)
        if spec.get("extent"):
            x0, y0, x1, y1 = spec["extent"]
            pad = max(x1 - x0, y1 - y0, 200.0) * 0.05
            project.viewSettings().setDefaultViewExtent(
                QgsReferencedRectangle(QgsRectangle(x0 - pad, y0 - pad, x1 + pad, y1 + pad), crs))
        project.writeEntryBool("Paths", "/Absolute", False)
        project.writeMapLayer.connect(lambda _layer, element, _doc: strip_font_families(element))
        if not project.write(str(out)):
            raise RuntimeError(f"cannot write {out}: {project.error()}")
    finally:
        project.clear()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m jalnet.plugin.field_project SPEC.json OUT.qgs\n")
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        write(spec, Path(argv[1]).resolve())
    except RuntimeError as err:
        sys.stderr.write(f"{err}\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

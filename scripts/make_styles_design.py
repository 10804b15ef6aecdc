"""Write the QML styles of the design layers into jalnet/styles/design_*.qml.

Run offscreen after changing the design layers and commit the QML files:
``QT_QPA_PLATFORM=offscreen python scripts/make_styles_design.py``.

Pipes: one colour and width per diameter class, labelled with diameter and material where a
pipe is made of several segments. Nodes: residual pressure at the design peak against the
7 m norm (red below it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsGraduatedSymbolRenderer,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsRendererRange,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor  # noqa: E402

STYLES = ROOT / "jalnet" / "styles"

DIAMETER = [(0, 70, "#c6dbef", 0.5, "up to 63 mm"), (70, 95, "#9ecae1", 0.8, "75 - 90 mm"),
            (95, 130, "#6baed6", 1.1, "100 - 125 mm"), (130, 170, "#3182bd", 1.5, "140 - 160 mm"),
            (170, 240, "#08519c", 2.0, "180 - 225 mm"), (240, 10000, "#08306b", 2.6, "250 mm and above")]
PRESSURE = [(-1000, 7, "#e31a1c", "below 7 m (the norm)"), (7, 10, "#fd8d3c", "7 - 10 m"),
            (10, 20, "#31a354", "10 - 20 m"), (20, 10000, "#2b8cbe", "above 20 m")]


def graduated(field: str, ranges: list[QgsRendererRange]) -> QgsGraduatedSymbolRenderer:
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    renderer.setClassAttribute(field)
    return renderer


def labels(expression: str, size: float) -> QgsVectorLayerSimpleLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = expression
    settings.isExpression = True
    fmt = QgsTextFormat()
    fmt.setSize(size)
    fmt.setColor(QColor("#1b2733"))
    buffer = fmt.buffer()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    return QgsVectorLayerSimpleLabeling(settings)


def save(lyr: QgsVectorLayer, name: str) -> None:
    path = STYLES / f"{name}.qml"
    message, ok = lyr.saveNamedStyle(str(path))
    if not ok:
        raise SystemExit(f"cannot write {path}: {message}")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        pipes = QgsVectorLayer("LineString?crs=EPSG:32646&field=nominal_dia_mm:double&field=material:string"
                               "&field=pressure_class:string&field=segment:integer", "design_pipes", "memory")
        ranges = [QgsRendererRange(lo, hi, QgsLineSymbol.createSimple(
            {"line_color": colour, "line_width": str(width), "capstyle": "round"}), label)
            for lo, hi, colour, width, label in DIAMETER]
        pipes.setRenderer(graduated("nominal_dia_mm", ranges))
        pipes.setLabeling(labels("format('%1 %2 %3', \"material\", to_int(\"nominal_dia_mm\"), \"pressure_class\")",
                                 7.0))
        pipes.setLabelsEnabled(True)
        save(pipes, "design_pipes")

        nodes = QgsVectorLayer("Point?crs=EPSG:32646&field=pressure_m:double&field=node_id:string", "design_nodes",
                               "memory")
        ranges = [QgsRendererRange(lo, hi, QgsMarkerSymbol.createSimple(
            {"name": "circle", "color": colour, "size": "2.4", "outline_color": "#333333", "outline_width": "0.2"}),
            label) for lo, hi, colour, label in PRESSURE]
        nodes.setRenderer(graduated("pressure_m", ranges))
        save(nodes, "design_nodes")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

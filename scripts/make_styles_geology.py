"""Write the geology styles: jalnet/styles/boreholes.qml (by yield) and boreholes_aquifer_depth.qml.

Run offscreen after changing the geology schema
(``QT_QPA_PLATFORM=offscreen python scripts/make_styles_geology.py``) and commit the QML.
The boreholes are wells: a graduated blue by tested yield (litres per minute) says where
water was found, the size grows with the drilled depth, a red ring marks a borehole with
validation findings, and the label gives ID and yield. The alternative style grades the
same points by depth to the first aquifer. Forms (value lists, ranges) come from
``make_styles.set_form`` so they match the other registry layers.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_styles as base  # noqa: E402  (sets up sys.path and the offscreen platform)
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsGraduatedSymbolRenderer,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRendererRange,
    QgsRuleBasedRenderer,
    QgsSymbolLayer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor  # noqa: E402

from jalnet.registry.schema import layer  # noqa: E402

Shape = base.Shape
#: (lower, upper, colour, label): yield classes a PHED engineer reads at a glance.
YIELD_CLASSES = (
    (0, 100, "#deebf7", "below 100 lpm (poor)"),
    (100, 300, "#9ecae1", "100–300 lpm"),
    (300, 500, "#4292c6", "300–500 lpm"),
    (500, 800, "#08519c", "500–800 lpm"),
    (800, 1e9, "#08306b", "800 lpm and more"),
)
#: depth to the first aquifer (m below ground): shallow aquifers are easy, and vulnerable.
DEPTH_CLASSES = (
    (0, 10, "#1a9850", "aquifer within 10 m"),
    (10, 30, "#91cf60", "10–30 m"),
    (30, 60, "#fee08b", "30–60 m"),
    (60, 120, "#fc8d59", "60–120 m"),
    (120, 1e9, "#d73027", "deeper than 120 m"),
)
SIZE = 'coalesce(scale_linear("drilled_depth_m", 30, 200, 3.0, 5.5), 3.5)'


def well(colour: str) -> QgsMarkerSymbol:
    """A borehole: a filled disc sized by drilled depth, with a small dark bore in the middle."""
    sym = base.marker(Shape.Circle, colour, 3.6, "#0b2e59", 0.45)
    sym.symbolLayer(0).setDataDefinedProperty(QgsSymbolLayer.PropertySize, QgsProperty.fromExpression(SIZE))
    sym.appendSymbolLayer(base._marker_layer(Shape.Circle, "#111111", 0.9, "#ffffff", 0.2))
    return sym


def graduated(field: str, classes: tuple) -> QgsGraduatedSymbolRenderer:
    ranges = [QgsRendererRange(lo, hi, well(colour), label) for lo, hi, colour, label in classes]
    renderer = QgsGraduatedSymbolRenderer(field, ranges)
    renderer.setSourceSymbol(well("#bdbdbd"))
    return renderer


def with_findings_ring(inner: QgsGraduatedSymbolRenderer, field: str) -> QgsRuleBasedRenderer:
    """Rules from the graduated classes, plus 'not recorded' and a red ring over boreholes with findings."""
    root = QgsRuleBasedRenderer.Rule(None)
    for rng in inner.ranges():
        lo, hi = rng.lowerValue(), rng.upperValue()
        root.appendChild(QgsRuleBasedRenderer.Rule(rng.symbol().clone(), 0, 0,
                                                   f'"{field}" >= {lo:g} AND "{field}" < {hi:g}', rng.label()))
    root.appendChild(QgsRuleBasedRenderer.Rule(well("#ffffff"), 0, 0, f'"{field}" IS NULL', "not recorded"))
    ring = base.marker(Shape.Circle, "#00000000", 6.2, "#c62828", 0.7)
    ring.symbolLayer(0).setColor(QColor(0, 0, 0, 0))
    root.appendChild(QgsRuleBasedRenderer.Rule(ring, 0, 0, '"findings" IS NOT NULL AND "findings" <> \'\'',
                                               "has validation findings"))
    return QgsRuleBasedRenderer(root)


def labels(expression: str) -> QgsVectorLayerSimpleLabeling:
    settings = QgsPalLayerSettings()
    settings.isExpression = True
    settings.fieldName = expression
    fmt = QgsTextFormat()
    fmt.setSize(8)
    fmt.setColor(QColor("#0b2e59"))
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(0.8)
    buf.setColor(QColor("#ffffff"))
    fmt.setBuffer(buf)
    settings.setFormat(fmt)
    settings.placement = QgsPalLayerSettings.OrderedPositionsAroundPoint
    settings.offsetType = QgsPalLayerSettings.FromSymbolBounds
    settings.dist = 1.0
    return QgsVectorLayerSimpleLabeling(settings)


def style(field: str, classes: tuple, label: str) -> QgsVectorLayer:
    lyr = layer("boreholes")
    vl = base.template_layer(lyr)
    vl.setRenderer(with_findings_ring(graduated(field, classes), field))
    vl.setLabeling(labels(label))
    vl.setLabelsEnabled(True)
    base.set_form(vl, lyr)
    return vl


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    from qgis.gui import QgsGui

    QgsGui.editorWidgetRegistry().initEditors()
    outputs = {
        "boreholes.qml": style("yield_lpm", YIELD_CLASSES,
                               "\"borehole_id\" || coalesce('\\n' || format_number(\"yield_lpm\", 0) || ' lpm', '')"),
        "boreholes_aquifer_depth.qml": style(
            "first_aquifer_m", DEPTH_CLASSES,
            "\"borehole_id\" || coalesce('\\naquifer ' || format_number(\"first_aquifer_m\", 0) || ' m', '')"),
    }
    for name, vl in outputs.items():
        path = base.STYLES / name
        message, ok = vl.saveNamedStyle(str(path))
        if not ok:
            raise RuntimeError(f"{path}: {message}")
    print("wrote", ", ".join(outputs), "to", base.STYLES.relative_to(base.ROOT))
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Symbols for flood-impact layers: one colour per severity class, one shape per asset type.

Built from the class table actually used, so an assessment run with a division's own
classes is drawn with its classes; ``scripts/make_styles_flood.py`` saves the defaults as
``jalnet/styles/impact_<layer>.qml`` for projects opened without JalNet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsColorRampShader,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsRasterLayer,
    QgsRasterShader,
    QgsRendererCategory,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor

Shape = QgsSimpleMarkerSymbolLayerBase

#: Marker shape and size (mm) per impact layer, echoing the registry's own symbols.
MARKERS: dict[str, tuple[Any, float]] = {
    "sources": (Shape.Triangle, 5.0),
    "pumps": (Shape.Pentagon, 4.6),
    "treatment_units": (Shape.Square, 4.6),
    "tanks": (Shape.Hexagon, 5.2),
    "valves": (Shape.Diamond, 3.0),
    "fhtc": (Shape.Circle, 1.9),
}


def _symbol(layer: str, colour: str) -> QgsMarkerSymbol | QgsLineSymbol:
    if layer == "pipes":
        return QgsLineSymbol.createSimple({"line_color": colour, "line_width": "1.1", "capstyle": "round"})
    shape, size = MARKERS.get(layer, (Shape.Circle, 2.5))
    sym = QgsMarkerSymbol.createSimple({"color": colour, "outline_color": "#202020", "outline_width": "0.25",
                                        "size": str(size)})
    sym.symbolLayer(0).setShape(shape)
    return sym


def severity_renderer(layer: str, classes: Sequence[dict[str, Any]]) -> QgsCategorizedSymbolRenderer:
    """Categorised on ``severity``; *classes* are rows of :func:`jalnet.flood.tables.class_table`."""
    cats = [QgsRendererCategory(c["severity"], _symbol(layer, c["colour"]), c["label"]) for c in classes]
    return QgsCategorizedSymbolRenderer("severity", cats)


def style_impact_layer(vl: QgsVectorLayer, layer: str, classes: Sequence[dict[str, Any]]) -> None:
    """Severity symbols, and the depth and severity as the feature's display text."""
    vl.setRenderer(severity_renderer(layer, classes))
    depth = "max_depth_m" if layer == "pipes" else "depth_m"
    vl.setDisplayExpression(f'coalesce("{depth}" || \' m\', \'no depth\') || \' - \' || "severity"')
    vl.triggerRepaint()


def style_depth_raster(rl: QgsRasterLayer, max_depth: float = 2.5) -> None:
    """Blues from 0 to *max_depth* m; dry (0) cells transparent."""
    ramp = QgsStyle.defaultStyle().colorRamp("Blues")
    shader_fn = QgsColorRampShader(0.0, max_depth, ramp, QgsColorRampShader.Interpolated)
    items = [QgsColorRampShader.ColorRampItem(0.0, QColor(255, 255, 255, 0), "dry")]
    for k in range(1, 6):
        value = max_depth * k / 5
        colour = ramp.color(k / 5) if ramp is not None else QColor(0, 0, 255)
        items.append(QgsColorRampShader.ColorRampItem(value, colour, f"{value:.1f} m"))
    shader_fn.setColorRampItemList(items)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(rl.dataProvider(), 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(max_depth)
    rl.setRenderer(renderer)
    rl.setOpacity(0.8)
    rl.triggerRepaint()

"""Write the QML styles of the hydraulics result layers into jalnet/styles/hydraulics_*.qml.

Run offscreen after changing the result layers or the norms' colours and commit the QML
files: ``QT_QPA_PLATFORM=offscreen python scripts/make_styles_hydraulics.py``.

Classes follow the default service norms (7 m residual pressure; 0.6-3 m/s velocity;
0.2 mg/l residual chlorine) so a red feature is one that fails a norm. The per-step
layers are styled by an expression that picks the value of the time the temporal
controller shows, and are temporal layers from their start/end fields, so "Set to full
range" and the play button work as soon as the layer is loaded.
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
    QgsCategorizedSymbolRenderer,
    QgsGraduatedSymbolRenderer,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsRendererCategory,
    QgsRendererRange,
    QgsSymbol,
    QgsVectorLayer,
    QgsVectorLayerTemporalProperties,
)

STYLES = ROOT / "jalnet" / "styles"

#: The value of the reported step shown by the temporal controller (step 0 without one).
STEP_VALUE = (
    "with_variable('k', floor((epoch(coalesce(@map_start_time, \"t_start\")) - epoch(\"t_start\")) / "
    "(1000 * \"step_s\")), if(@k < 0 OR @k >= \"steps\", NULL, to_real(array_get(string_to_array(\"{field}\", ','), "
    "@k))))"
)

PRESSURE = [(-1000, 0, "#67000d", "negative"), (0, 7, "#e31a1c", "0 - 7 m (below the norm)"),
            (7, 12, "#fd8d3c", "7 - 12 m"), (12, 25, "#31a354", "12 - 25 m"), (25, 40, "#2b8cbe", "25 - 40 m"),
            (40, 10000, "#54278f", "above 40 m")]
VELOCITY = [(0, 0.1, "#bdbdbd", "below 0.1 m/s (stagnant)"), (0.1, 0.6, "#9ecae1", "0.1 - 0.6 m/s (below the norm)"),
            (0.6, 1.5, "#3182bd", "0.6 - 1.5 m/s"), (1.5, 3.0, "#08519c", "1.5 - 3 m/s"),
            (3.0, 1000, "#e31a1c", "above 3 m/s (above the norm)")]
CHLORINE = [(0, 0.2, "#e31a1c", "below 0.2 mg/l (below the norm)"), (0.2, 0.5, "#fd8d3c", "0.2 - 0.5 mg/l"),
            (0.5, 1.0, "#31a354", "0.5 - 1 mg/l"), (1.0, 100, "#2b8cbe", "above 1 mg/l")]
AGE = [(0, 12, "#31a354", "below 12 h"), (12, 24, "#addd8e", "12 - 24 h"), (24, 48, "#fd8d3c", "24 - 48 h"),
       (48, 100000, "#e31a1c", "above 48 h (above the norm)")]
CUT_OFF = [(0, 0.5, "#bdbdbd", "no household"), (0.5, 10, "#fdae6b", "1 - 10 households"),
           (10, 50, "#f16913", "10 - 50 households"), (50, 200, "#d94801", "50 - 200 households"),
           (200, 1e9, "#7f2704", "200 or more households")]


JUNCTIONS_ONLY = "if(\"layer\" = 'junctions', {value}, NULL)"


def node_symbol(colour: str) -> QgsSymbol:
    return QgsMarkerSymbol.createSimple({"name": "circle", "color": colour, "size": "2.6", "outline_color": "#333333",
                                         "outline_width": "0.2"})


def line_symbol(colour: str, width: float = 0.9) -> QgsSymbol:
    return QgsLineSymbol.createSimple({"line_color": colour, "line_width": str(width), "capstyle": "round"})


def graduated(expression: str, classes: list[tuple[float, float, str, str]], symbol) -> QgsGraduatedSymbolRenderer:
    ranges = [QgsRendererRange(lo, hi, symbol(colour), label) for lo, hi, colour, label in classes]
    renderer = QgsGraduatedSymbolRenderer(expression, ranges)
    renderer.setClassAttribute(expression)
    return renderer


def layer(geometry: str, fields: str) -> QgsVectorLayer:
    lyr = QgsVectorLayer(f"{geometry}?crs=EPSG:32646&{fields}", "style", "memory")
    assert lyr.isValid(), fields
    return lyr


def temporal(lyr: QgsVectorLayer) -> None:
    props = lyr.temporalProperties()
    props.setIsActive(True)
    props.setMode(QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromFields)
    props.setStartField("t_start")
    props.setEndField("t_end")


def save(lyr: QgsVectorLayer, name: str) -> None:
    path = STYLES / f"{name}.qml"
    message, ok = lyr.saveNamedStyle(str(path))
    if not ok:
        raise SystemExit(f"cannot write {path}: {message}")
    print(f"wrote {path.relative_to(ROOT)}")


STEP_FIELDS = "field=t_start:datetime&field=t_end:datetime&field=step_s:double&field=steps:integer"


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        nodes = layer("Point", "field=layer:string&field=pressure_peak_m:double&field=chlorine_min_mg_l:double"
                               "&field=age_max_h:double")
        # service pressure is a junction's: a source's is 0 and a tank's is its water level
        nodes.setRenderer(graduated(JUNCTIONS_ONLY.format(value='"pressure_peak_m"'), PRESSURE, node_symbol))
        save(nodes, "hydraulics_nodes")
        nodes.setRenderer(graduated('"chlorine_min_mg_l"', CHLORINE, node_symbol))
        save(nodes, "hydraulics_chlorine")
        nodes.setRenderer(graduated('"age_max_h"', AGE, node_symbol))
        save(nodes, "hydraulics_age")

        links = layer("LineString", "field=velocity_peak_ms:double&field=diameter_mm:double")
        links.setRenderer(graduated('abs("velocity_peak_ms")', VELOCITY, line_symbol))
        save(links, "hydraulics_links")

        steps = layer("Point", f"{STEP_FIELDS}&field=layer:string&field=pressure_s:string")
        steps.setRenderer(graduated(JUNCTIONS_ONLY.format(value=STEP_VALUE.format(field="pressure_s")), PRESSURE,
                                    node_symbol))
        temporal(steps)
        save(steps, "hydraulics_nodes_steps")

        lsteps = layer("LineString", f"{STEP_FIELDS}&field=velocity_s:string")
        lsteps.setRenderer(graduated(STEP_VALUE.format(field="velocity_s"), VELOCITY, line_symbol))
        temporal(lsteps)
        save(lsteps, "hydraulics_links_steps")

        findings = layer("Point", "field=severity:string&field=rule:string&field=message:string")
        cats = [QgsRendererCategory(code, QgsMarkerSymbol.createSimple(
            {"name": shape, "color": colour, "size": size, "outline_color": "#222222"}), label)
            for code, colour, shape, size, label in (
                ("error", "#d7191c", "triangle", "4.2", "Error"), ("warning", "#fdae61", "diamond", "3.6", "Warning"),
                ("info", "#2c7bb6", "circle", "2.2", "Information"))]
        findings.setRenderer(QgsCategorizedSymbolRenderer("severity", cats))
        save(findings, "hydraulics_findings")

        households = layer("Point", "field=adequate:boolean")
        cats = [QgsRendererCategory(True, QgsMarkerSymbol.createSimple(
                    {"name": "square", "color": "#31a354", "size": "1.6", "outline_style": "no"}), "Adequate pressure"),
                QgsRendererCategory(False, QgsMarkerSymbol.createSimple(
                    {"name": "square", "color": "#e31a1c", "size": "2.4", "outline_color": "#67000d"}),
                    "Without adequate pressure")]
        households.setRenderer(QgsCategorizedSymbolRenderer("adequate", cats))
        save(households, "hydraulics_households")

        crit = layer("MultiLineString", "field=households_cut_off:integer&field=rank:integer")
        crit.setRenderer(graduated('"households_cut_off"', CUT_OFF, lambda c: line_symbol(c, 1.6)))
        save(crit, "hydraulics_criticality")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

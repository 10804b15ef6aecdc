"""Write jalnet/styles/findings_points.qml and findings_lines.qml (the validation error layers).

Run offscreen after changing the finding fields (``QT_QPA_PLATFORM=offscreen python
scripts/make_styles_topology.py``) and commit the QML files. Open findings are drawn by
severity (error red, warning orange, note blue) over the network; findings marked fixed
or accepted in the findings panel turn small and grey, so what is left stands out. The
rule code is labelled at street scale, and the fields get aliases and a value list for
``status``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_styles import portable_fonts  # noqa: E402
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsEditorWidgetSetup,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsRuleBasedLabeling,
    QgsRuleBasedRenderer,
    QgsSymbol,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor  # noqa: E402

from jalnet.topology.findings import COLUMNS, LINE_LAYER, POINT_LAYER, STATUSES  # noqa: E402

STYLES = ROOT / "jalnet" / "styles"
COLOURS = {"error": "#d7191c", "warning": "#f28e00", "info": "#2b83ba"}
ALIASES = {
    "rule": "Rule", "severity": "Severity", "title": "Finding", "message": "What is wrong", "layer": "Layer",
    "asset_ids": "Assets", "scheme_id": "Scheme", "division": "Division", "fingerprint": "Fingerprint",
    "status": "Status (open / fixed / accepted)", "note": "Note",
}  # fmt: skip


def _symbol(kind: str, colour: str, open_: bool) -> QgsSymbol:
    if kind == "point":
        return QgsMarkerSymbol.createSimple({
            "name": "circle" if open_ else "cross2", "color": colour + ("cc" if open_ else "00"),
            "outline_color": "#ffffff" if open_ else "#808080", "outline_width": "0.4" if open_ else "0.3",
            "size": "4.2" if open_ else "2.6",
        })  # fmt: skip
    return QgsLineSymbol.createSimple({
        "line_color": colour + ("b3" if open_ else "80"), "line_width": "2.2" if open_ else "0.8",
        "capstyle": "round", "joinstyle": "round", "line_style": "solid" if open_ else "dash",
    })  # fmt: skip


def renderer(kind: str) -> QgsRuleBasedRenderer:
    root = QgsRuleBasedRenderer.Rule(None)
    for severity, colour in COLOURS.items():
        label = {"error": "Error", "warning": "Warning", "info": "Note"}[severity]
        root.appendChild(QgsRuleBasedRenderer.Rule(
            _symbol(kind, colour, True), 0, 0,
            f"\"severity\" = '{severity}' AND coalesce(\"status\", 'open') = 'open'", label))
    root.appendChild(QgsRuleBasedRenderer.Rule(_symbol(kind, "#808080", False), 0, 0,
                                               "coalesce(\"status\", 'open') <> 'open'", "Fixed or accepted"))
    return QgsRuleBasedRenderer(root)


def labeling() -> QgsRuleBasedLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = "rule"
    fmt = QgsTextFormat()
    fmt.setSize(8)
    fmt.setColor(QColor("#5a0000"))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor("#ffffff"))
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    root = QgsRuleBasedLabeling.Rule(None)
    rule = QgsRuleBasedLabeling.Rule(settings, 0, 5000, "coalesce(\"status\", 'open') = 'open'", "Rule code")
    root.appendChild(rule)
    return QgsRuleBasedLabeling(root)


def style(layer_name: str, geometry: str, kind: str) -> Path:
    fields = "&".join(f"field={c}:string" for c in COLUMNS)
    vl = QgsVectorLayer(f"{geometry}?crs=EPSG:32646&{fields}", layer_name, "memory")
    vl.setRenderer(renderer(kind))
    vl.setLabeling(labeling())
    vl.setLabelsEnabled(True)
    for i, name in enumerate(COLUMNS):
        vl.setFieldAlias(i, ALIASES[name])
    status = vl.fields().indexOf("status")
    vl.setEditorWidgetSetup(status, QgsEditorWidgetSetup("ValueMap", {"map": [{s: s} for s in STATUSES]}))
    vl.setDisplayExpression('"rule" || \': \' || "message"')
    out = STYLES / f"{layer_name}.qml"
    message, ok = vl.saveNamedStyle(str(out))
    if not ok:
        raise RuntimeError(f"cannot write {out}: {message}")
    portable_fonts(out)
    return out


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        for name, geometry, kind in ((POINT_LAYER, "Point", "point"), (LINE_LAYER, "MultiLineString", "line")):
            print(style(name, geometry, kind))
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

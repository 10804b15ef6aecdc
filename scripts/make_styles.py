"""Write jalnet/styles/<layer>.qml for every registry layer with a geometry.

Run offscreen after changing the schema (``QT_QPA_PLATFORM=offscreen python scripts/make_styles.py``)
and commit the QML files. Layers designed here (:data:`RENDERERS`) are always rewritten; any
other layer with geometry gets a plain default style only while it has none, so styles
written by an engine's own script (``make_styles_geology.py``...) are left alone.

A style carries more than symbols: value-map widgets built from the schema's coded-value
DOMAINS (so an engineer editing a pipe picks "DI – Ductile iron" from a list instead of
typing a code the database would refuse), date pickers, field aliases from the field
descriptions, and the schema's required/unique/range rules as QGIS form constraints, so a
bad value is flagged in the form rather than at save time.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsEditorWidgetSetup,
    QgsFieldConstraints,
    QgsFillSymbol,
    QgsLineSymbol,
    QgsMarkerSymbol,
    QgsPalLayerSettings,
    QgsProperty,
    QgsRendererCategory,
    QgsSimpleLineSymbolLayer,
    QgsSimpleMarkerSymbolLayer,
    QgsSimpleMarkerSymbolLayerBase,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsValueMapFieldFormatter,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtGui import QColor, QFont  # noqa: E402

from jalnet.registry.schema import ASSET_LAYERS, DOMAINS, Field, Layer, layer  # noqa: E402

STYLES = ROOT / "jalnet" / "styles"
Shape = QgsSimpleMarkerSymbolLayerBase

_QGIS_TYPES = {"TEXT": "string", "INTEGER": "integer", "REAL": "double", "DATE": "date", "DATETIME": "datetime"}
_QGIS_TYPES["BOOLEAN"] = "boolean"
_GEOMETRY = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}

# Distinct colours per pipe material: metals dark, plastics bright, cement warm.
PIPE_COLOURS = {
    "DI": "#1f3a93",
    "CI": "#4b4b6b",
    "GI": "#7f8c8d",
    "MS": "#8e5a2b",
    "PVC": "#1e90ff",
    "UPVC": "#00a3a3",
    "HDPE": "#111111",
    "MDPE": "#e67e22",
    "AC": "#c0392b",
    "PSC": "#8e44ad",
}
#: Stroke width (mm) grows with diameter: a 63 mm service line is thin, a 500 mm main thick.
PIPE_WIDTH = 'coalesce(scale_linear("diameter_mm", 50, 500, 0.45, 2.4), 0.6)'


# ---------------------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------------------
def marker(shape: int, fill: str, size: float, stroke: str = "#222222", stroke_width: float = 0.3) -> QgsMarkerSymbol:
    sym = QgsMarkerSymbol()
    sym.deleteSymbolLayer(0)
    sym.appendSymbolLayer(_marker_layer(shape, fill, size, stroke, stroke_width))
    return sym


def _marker_layer(shape: int, fill: str, size: float, stroke: str, stroke_width: float) -> QgsSimpleMarkerSymbolLayer:
    sl = QgsSimpleMarkerSymbolLayer(shape, size)
    sl.setColor(QColor(fill))
    sl.setStrokeColor(QColor(stroke))
    sl.setStrokeWidth(stroke_width)
    return sl


def source_symbol() -> QgsMarkerSymbol:
    """A well: blue disc with a white core, the largest point so sources stand out."""
    sym = marker(Shape.Circle, "#1565c0", 4.6, "#0b2e59", 0.4)
    sym.appendSymbolLayer(_marker_layer(Shape.Circle, "#ffffff", 1.7, "#ffffff", 0))
    return sym


def tank_symbol() -> QgsMarkerSymbol:
    """A tank: teal square with a water line."""
    sym = marker(Shape.Square, "#26a69a", 4.2, "#004d40", 0.45)
    sym.appendSymbolLayer(_marker_layer(Shape.Line, "#ffffff", 3.0, "#ffffff", 0.5))
    sym.symbolLayer(1).setAngle(90)
    return sym


def pump_symbol() -> QgsMarkerSymbol:
    """The P&ID pump: white disc with a dark triangle."""
    sym = marker(Shape.Circle, "#ffffff", 4.2, "#b71c1c", 0.5)
    tri = _marker_layer(Shape.EquilateralTriangle, "#b71c1c", 2.4, "#b71c1c", 0)
    tri.setAngle(90)
    sym.appendSymbolLayer(tri)
    return sym


def treatment_symbol() -> QgsMarkerSymbol:
    """A treatment plant: green diamond with a white cross."""
    sym = marker(Shape.Diamond, "#2e7d32", 4.8, "#1b5e20", 0.4)
    sym.appendSymbolLayer(_marker_layer(Shape.Cross2, "#ffffff", 2.2, "#ffffff", 0.45))
    return sym


def pipe_renderer() -> QgsCategorizedSymbolRenderer:
    cats = []
    for code, desc in DOMAINS["pipe_material"].items():
        sym = QgsLineSymbol.createSimple({"line_color": PIPE_COLOURS[code], "capstyle": "round"})
        sym.setDataDefinedWidth(QgsProperty.fromExpression(PIPE_WIDTH))
        cats.append(QgsRendererCategory(code, sym, f"{code} – {desc}"))
    other = QgsLineSymbol.createSimple({"line_color": "#9e9e9e", "line_style": "dash"})
    other.setDataDefinedWidth(QgsProperty.fromExpression(PIPE_WIDTH))
    cats.append(QgsRendererCategory(None, other, "Material not recorded"))
    return QgsCategorizedSymbolRenderer("material", cats)


def categorized(field: str, domain: str, symbols: dict[str, QgsMarkerSymbol], default: QgsMarkerSymbol):
    cats = [QgsRendererCategory(code, symbols.get(code, default.clone()), desc) for code, desc in DOMAINS[domain].items()]
    cats.append(QgsRendererCategory(None, default.clone(), "Not recorded"))
    return QgsCategorizedSymbolRenderer(field, cats)


def valve_renderer() -> QgsCategorizedSymbolRenderer:
    small = 2.3
    isolation = marker(Shape.Diamond, "#212121", small, "#ffffff", 0.2)
    symbols = {
        "sluice": isolation,
        "butterfly": isolation.clone(),
        "prv": marker(Shape.Diamond, "#d32f2f", small + 0.4, "#ffffff", 0.2),
        "psv": marker(Shape.Diamond, "#f57c00", small + 0.4, "#ffffff", 0.2),
        "fcv": marker(Shape.Diamond, "#7b1fa2", small + 0.4, "#ffffff", 0.2),
        "tcv": marker(Shape.Diamond, "#5d4037", small + 0.4, "#ffffff", 0.2),
        "air_release": marker(Shape.Triangle, "#0288d1", small, "#ffffff", 0.2),
        "scour": marker(Shape.Triangle, "#6d4c41", small, "#ffffff", 0.2),
        "non_return": marker(Shape.ArrowHeadFilled, "#212121", small, "#212121", 0.2),
    }
    symbols["scour"].setAngle(180)
    return categorized("valve_type", "valve_type", symbols, marker(Shape.Diamond, "#9e9e9e", small))


def fhtc_renderer() -> QgsCategorizedSymbolRenderer:
    dot = 1.4
    symbols = {
        "functional": marker(Shape.Circle, "#43a047", dot, "#1b5e20", 0.1),
        "non_functional": marker(Shape.Circle, "#e53935", dot, "#7f0000", 0.1),
        "disconnected": marker(Shape.Circle, "#bdbdbd", dot, "#616161", 0.1),
    }
    return categorized("status", "fhtc_status", symbols, marker(Shape.Circle, "#90a4ae", dot, "#455a64", 0.1))


def village_symbol() -> QgsFillSymbol:
    sym = QgsFillSymbol.createSimple({"style": "no", "outline_color": "#6d4c41", "outline_width": "0.5"})
    halo = QgsSimpleLineSymbolLayer(QColor(255, 255, 255, 150), 1.4)
    sym.insertSymbolLayer(0, halo)  # a faint halo keeps the boundary readable on imagery
    return sym


def village_labels() -> QgsVectorLayerSimpleLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = "name"
    fmt = QgsTextFormat()
    font = QFont()
    font.setBold(True)
    fmt.setFont(font)
    fmt.setSize(9)
    fmt.setColor(QColor("#4e342e"))
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(0.8)
    buf.setColor(QColor("#ffffff"))
    fmt.setBuffer(buf)
    settings.setFormat(fmt)
    settings.placement = QgsPalLayerSettings.OverPoint  # in the polygon's centre
    settings.priority = 10
    return QgsVectorLayerSimpleLabeling(settings)


def staged_pipes_renderer() -> QgsCategorizedSymbolRenderer:
    """Contractor tracks waiting for review: dashed, coloured by where they are in import/snap/add."""

    def dashed(colour: str) -> QgsLineSymbol:
        return QgsLineSymbol.createSimple({"line_color": colour, "line_width": "0.7", "line_style": "dash"})

    cats = [
        QgsRendererCategory(code, dashed(colour), desc)
        for (code, desc), colour in zip(
            DOMAINS["staged_state"].items(), ("#ff6f00", "#2e7d32", "#7b1fa2", "#c62828")
        )
    ]
    cats.append(QgsRendererCategory(None, dashed("#9e9e9e"), "Not recorded"))
    return QgsCategorizedSymbolRenderer("state", cats)


def staged_points_renderer() -> QgsCategorizedSymbolRenderer:
    symbols = {
        "fhtc": marker(Shape.Circle, "#ffb300", 1.8, "#e65100", 0.3),
        "valve": marker(Shape.Diamond, "#ffb300", 2.4, "#e65100", 0.3),
        "other": marker(Shape.Cross2, "#e65100", 2.2, "#e65100", 0.4),
    }
    return categorized("kind", "staged_point_kind", symbols, marker(Shape.Circle, "#bdbdbd", 1.8))


def default_renderer(lyr: Layer) -> QgsSingleSymbolRenderer:
    """For layers added to the schema before they get a designed style: plain but readable."""
    if lyr.geometry == "POINT":
        return QgsSingleSymbolRenderer(marker(Shape.Circle, "#546e7a", 2.0, "#263238", 0.2))
    if lyr.geometry == "LINESTRING":
        return QgsSingleSymbolRenderer(QgsLineSymbol.createSimple({"line_color": "#546e7a", "line_width": "0.6"}))
    return QgsSingleSymbolRenderer(
        QgsFillSymbol.createSimple({"color": "84,110,122,40", "outline_color": "#37474f", "outline_width": "0.4"})
    )


RENDERERS: dict[str, Callable[[], object]] = {
    "villages": lambda: QgsSingleSymbolRenderer(village_symbol()),
    "sources": lambda: QgsSingleSymbolRenderer(source_symbol()),
    "pipes": pipe_renderer,
    "junctions": lambda: QgsSingleSymbolRenderer(marker(Shape.Circle, "#607d8b", 1.3, "#263238", 0.15)),
    "valves": valve_renderer,
    "tanks": lambda: QgsSingleSymbolRenderer(tank_symbol()),
    "pumps": lambda: QgsSingleSymbolRenderer(pump_symbol()),
    "treatment_units": lambda: QgsSingleSymbolRenderer(treatment_symbol()),
    "fhtc": fhtc_renderer,
    "staged_pipes": staged_pipes_renderer,
    "staged_points": staged_points_renderer,
}


# ---------------------------------------------------------------------------------------
# Forms: widgets, aliases, constraints
# ---------------------------------------------------------------------------------------
def alias(fld: Field) -> str:
    """A column-header-sized alias from the description.

    Up to its first ';' or ':', and without long parenthetical remarks when that is still
    long; short ones are kept because they are units ("(mm)", "(kW)", "(m above MSL)").
    """
    text, depth = "", 0
    for ch in fld.description:
        depth += (ch == "(") - (ch == ")")
        if ch in ";:" and depth == 0:
            break
        text += ch
    text = text.strip()
    if len(text) > 40:
        text = re.sub(r"\s*\([^)]{14,}\)", "", text).strip()
    return text or fld.name


def value_label(code: str, desc: str) -> str:
    """Show the code too when users know it (DI, OHT, SVS) and the description lacks it."""
    if code.upper() == code and code.replace(" ", "") not in desc.replace(" ", ""):
        return f"{code} – {desc}"
    return desc


def value_map(fld: Field) -> QgsEditorWidgetSetup:
    entries = [] if fld.required else [{"(not recorded)": QgsValueMapFieldFormatter.NULL_VALUE}]
    entries += [{value_label(code, desc): code} for code, desc in DOMAINS[fld.domain].items()]
    return QgsEditorWidgetSetup("ValueMap", {"map": entries})


def widget(fld: Field) -> QgsEditorWidgetSetup | None:
    if fld.domain:
        return value_map(fld)
    if fld.type in ("DATE", "DATETIME"):
        fmt = "yyyy-MM-dd" if fld.type == "DATE" else "yyyy-MM-ddTHH:mm:ss"
        return QgsEditorWidgetSetup(
            "DateTime", {"field_format": fmt, "display_format": fmt, "calendar_popup": True, "allow_null": True}
        )
    if fld.type == "BOOLEAN":
        return QgsEditorWidgetSetup("CheckBox", {})
    return None


def range_rule(fld: Field) -> tuple[str, str] | None:
    if fld.min is None and fld.max is None:
        return None
    parts, words = [], []
    if fld.min is not None:
        parts.append(f'"{fld.name}" >= {fld.min:g}')
        words.append(f"at least {fld.min:g}")
    if fld.max is not None:
        parts.append(f'"{fld.name}" <= {fld.max:g}')
        words.append(f"at most {fld.max:g}")
    return f'"{fld.name}" IS NULL OR ({" AND ".join(parts)})', f"{alias(fld)} must be {' and '.join(words)}"


def set_form(vl: QgsVectorLayer, lyr: Layer) -> None:
    hard = QgsFieldConstraints.ConstraintStrengthHard
    for fld in lyr.fields:
        idx = vl.fields().indexOf(fld.name)
        vl.setFieldAlias(idx, alias(fld))
        setup = widget(fld)
        if setup is not None:
            vl.setEditorWidgetSetup(idx, setup)
        if fld.required:
            vl.setFieldConstraint(idx, QgsFieldConstraints.ConstraintNotNull, hard)
        if fld.unique:
            vl.setFieldConstraint(idx, QgsFieldConstraints.ConstraintUnique, hard)
        rule = range_rule(fld)
        if rule:
            vl.setConstraintExpression(idx, *rule)
            vl.setFieldConstraint(idx, QgsFieldConstraints.ConstraintExpression, hard)
    form = vl.editFormConfig()
    form.setReadOnly(vl.fields().indexOf("fid"), True)  # the database assigns it
    vl.setEditFormConfig(form)
    vl.setDisplayExpression(f'"{lyr.key}"')


def portable_fonts(path: Path) -> None:
    """Drop the font family this machine wrote into label styles.

    Without ``fontFamily`` QGIS uses its own default font; with this machine's font
    ("DejaVu LGC Sans" on Debian) every Windows user would get a "font not available"
    warning each time a project with the layer opens.
    """
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'(<text-style\b[^>]*?) fontFamily="[^"]*"', r"\1", text)
    text = re.sub(r'(<text-style\b[^>]*?) namedStyle="[^"]*"', r"\1", text)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------
def template_layer(lyr: Layer) -> QgsVectorLayer:
    """A memory layer with the registry layer's fields, to hang the style on."""
    fields = "&".join(f"field={f.name}:{_QGIS_TYPES[f.type]}" for f in lyr.fields)
    uri = f"{_GEOMETRY[lyr.geometry]}?crs=EPSG:32646&field=fid:integer&{fields}"
    vl = QgsVectorLayer(uri, lyr.name, "memory")
    if not vl.isValid():
        raise RuntimeError(f"cannot build a template layer for {lyr.name}")
    return vl


def style_layer(lyr: Layer) -> QgsVectorLayer:
    vl = template_layer(lyr)
    make = RENDERERS.get(lyr.name)
    vl.setRenderer(make() if make else default_renderer(lyr))
    if lyr.name == "villages":
        vl.setLabeling(village_labels())
        vl.setLabelsEnabled(True)
    set_form(vl, lyr)
    return vl


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    from qgis.gui import QgsGui

    QgsGui.editorWidgetRegistry().initEditors()  # value maps need the widget registry
    STYLES.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ASSET_LAYERS:
        lyr = layer(name)
        if lyr.geometry is None:
            continue
        path = STYLES / f"{name}.qml"
        if name not in RENDERERS and path.exists():
            continue  # designed by an engine's own script (make_styles_geology.py...): keep it
        vl = style_layer(lyr)
        message, ok = vl.saveNamedStyle(str(path))
        if not ok:
            raise RuntimeError(f"{path}: {message}")
        portable_fonts(path)
        written.append(path.name)
    print("wrote", ", ".join(written), "to", STYLES.relative_to(ROOT))
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

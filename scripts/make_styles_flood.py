"""Write jalnet/styles/impact_<layer>.qml, history_*.qml and flood_depth.qml with PyQGIS.

Run offscreen after changing the default severity classes
(``QT_QPA_PLATFORM=offscreen python scripts/make_styles_flood.py``) and commit the QML
files. The Processing algorithm styles its outputs from the classes actually used; these
files serve projects opened without JalNet (the demo project, a shared GeoPackage).
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
    QgsRasterLayer,
    QgsRendererRange,
    QgsVectorLayer,
)

from jalnet.flood.tables import ASSET_TYPES, DEFAULT_CLASSES, class_table  # noqa: E402
from jalnet.plugin.flood_style import style_depth_raster, style_impact_layer  # noqa: E402

STYLES = ROOT / "jalnet" / "styles"
#: Times flooded: light to dark purple.
TIMES = [(1, 1, "#fcc5c0", "once"), (2, 2, "#f768a1", "twice"), (3, 1000, "#7a0177", "3 times or more")]


def _template(geometry: str, fields: str) -> QgsVectorLayer:
    vl = QgsVectorLayer(f"{geometry}?crs=EPSG:32646&{fields}", "template", "memory")
    if not vl.isValid():
        raise RuntimeError(f"cannot build a {geometry} template layer")
    return vl


def history_layer(geometry: str) -> QgsVectorLayer:
    """history_points / history_pipes: never-flooded assets pale, the rest darker the more often flooded."""
    vl = _template(geometry, "field=layer:string&field=asset_id:string&field=times_flooded:integer")

    def symbol(colour: str, flooded: bool):
        if geometry == "LineString":
            return QgsLineSymbol.createSimple({"line_color": colour, "line_width": "1.2" if flooded else "0.5"})
        return QgsMarkerSymbol.createSimple({"color": colour, "size": "2.6" if flooded else "1.4",
                                             "outline_color": "#202020" if flooded else "#969696"})

    ranges = [QgsRendererRange(0, 0, symbol("#d9d9d9", False), "never")]
    ranges += [QgsRendererRange(low, high, symbol(colour, True), label) for low, high, colour, label in TIMES]
    vl.setRenderer(QgsGraduatedSymbolRenderer("times_flooded", ranges))
    return vl


def _save(layer, path: Path) -> None:
    message, ok = layer.saveNamedStyle(str(path))
    if not ok:
        raise RuntimeError(f"{path}: {message}")


def write_styles() -> list[str]:
    classes = class_table(DEFAULT_CLASSES)
    written = []
    for name in ASSET_TYPES:
        geometry = "LineString" if name == "pipes" else "Point"
        vl = _template(geometry, "field=severity:string&field=depth_m:double&field=max_depth_m:double")
        style_impact_layer(vl, name, classes)
        _save(vl, STYLES / f"impact_{name}.qml")
        written.append(f"impact_{name}.qml")
    for name, geometry in (("history_points", "Point"), ("history_pipes", "LineString")):
        _save(history_layer(geometry), STYLES / f"{name}.qml")
        written.append(f"{name}.qml")
    raster = QgsRasterLayer(str(ROOT / "jalnet" / "data" / "flood_depth.tif"), "flood depth")
    if not raster.isValid():
        raise RuntimeError("jalnet/data/flood_depth.tif is missing: run scripts/make_sample_data.py first")
    style_depth_raster(raster)
    _save(raster, STYLES / "flood_depth.qml")
    written.append("flood_depth.qml")
    return written


def main() -> int:
    app = QgsApplication([], False)
    app.initQgis()
    written = write_styles()  # its layers are gone before QGIS exits (else a crash on exit)
    print("wrote", ", ".join(written), "to", STYLES.relative_to(ROOT))
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

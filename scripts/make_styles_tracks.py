"""Write jalnet/styles/track_fixes.qml with PyQGIS: GPS fixes coloured by what cleaning did to them.

Run offscreen after changing the fates or colours in ``jalnet/tracks/fixes.py``
(``QT_QPA_PLATFORM=offscreen python scripts/make_styles_tracks.py``) and commit the QML.
Kept fixes are small and grey so the dropped ones (spikes red, standstills orange...)
stand out; the style also carries field aliases.
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
    QgsMarkerSymbol,
    QgsRendererCategory,
    QgsVectorLayer,
)

from jalnet.tracks.fixes import COLOURS, LAYER  # noqa: E402

STYLES = ROOT / "jalnet" / "styles"
ALIASES = {"source_file": "File", "source_ref": "Track in the file", "seq": "Fix number", "time": "Time (UTC)",
           "accuracy_m": "Reported accuracy (m)", "fate": "Kept, or why dropped"}
LABELS = {"kept": "Kept", "spike": "Spike", "standstill": "Standstill", "low_accuracy": "Low accuracy",
          "duplicate": "Duplicate", "short_segment": "Short piece", "out_of_range": "Out of range"}


def fixes_layer() -> QgsVectorLayer:
    vl = QgsVectorLayer("Point?crs=EPSG:32646&field=source_file:string&field=source_ref:string&field=seq:integer"
                        "&field=time:string&field=accuracy_m:double&field=fate:string", LAYER, "memory")
    categories = []
    for fate, colour in COLOURS.items():
        kept = fate == "kept"
        symbol = QgsMarkerSymbol.createSimple({
            "name": "circle", "color": colour, "size": "1.2" if kept else "2.4",
            "outline_color": colour if kept else "#202020", "outline_width": "0" if kept else "0.2",
        })  # fmt: skip
        categories.append(QgsRendererCategory(fate, symbol, LABELS[fate]))
    vl.setRenderer(QgsCategorizedSymbolRenderer("fate", categories))
    for i, field in enumerate(vl.fields()):
        vl.setFieldAlias(i, ALIASES.get(field.name(), field.name()))
    return vl


def main() -> None:
    app = QgsApplication([], False)
    app.initQgis()
    try:
        path = STYLES / f"{LAYER}.qml"
        message, ok = fixes_layer().saveNamedStyle(str(path))
        if not ok:
            raise RuntimeError(f"cannot write {path}: {message}")
        print(f"wrote {path}")
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()

"""The field-package screenshot in docs/screenshots: the packaged project in QGIS, adding a tap.

    make demo
    PYTHONPATH=.venv/lib/python3.11/site-packages xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --nologo --code scripts/screenshot_field.py

Opens out/field_package/field_capture.qgs (what QField opens), starts a new tap where a
field worker would stand and opens its form: pick lists and defaults from the registry.
Nothing is saved. Writes docs/screenshots/field_package.png and quits QGIS.
"""

import os
from pathlib import Path

from qgis.core import QgsGeometry, QgsPointXY, QgsProject, QgsVectorLayerUtils
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QDialog, QDockWidget
from qgis.utils import iface

ROOT = Path(os.getcwd())
PROJECT = ROOT / "out" / "field_package" / "field_capture.qgs"
OUT = ROOT / "docs" / "screenshots" / "field_package.png"


def open_project() -> None:
    QgsProject.instance().read(str(PROJECT))
    iface.mainWindow().setGeometry(0, 0, 1600, 1000)  # Xvfb has no window manager to maximise it
    for dock in iface.mainWindow().findChildren(QDockWidget):
        if dock.objectName() != "Layers":
            dock.hide()
    taps = QgsProject.instance().mapLayersByName("Taps (FHTC)")[0]
    first = next(taps.getFeatures())
    point = first.geometry().asPoint()
    iface.mapCanvas().setExtent(first.geometry().boundingBox().buffered(220))
    iface.mapCanvas().refresh()
    iface.setActiveLayer(taps)
    taps.startEditing()
    feature = QgsVectorLayerUtils.createFeature(
        taps, QgsGeometry.fromPointXY(QgsPointXY(point.x() + 15, point.y() + 10)),
        {taps.fields().indexOf("persons"): 5, taps.fields().indexOf("note"): "New connection near the school"})
    iface.openFeatureForm(taps, feature, False, False)
    QTimer.singleShot(1500, place_form)


def place_form() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible():
            widget.setGeometry(820, 140, 760, 600)
    QTimer.singleShot(5000, grab)


def grab() -> None:
    QApplication.primaryScreen().grabWindow(0).save(str(OUT))
    QTimer.singleShot(500, lambda: os._exit(0))


QTimer.singleShot(3000, open_project)

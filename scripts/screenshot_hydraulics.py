"""The hydraulics screenshot in docs/screenshots: the demo project in QGIS, a peak-hour run from the panel.

    make demo
    PYTHONPATH=.venv/lib/python3.11/site-packages xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --nologo --code scripts/screenshot_hydraulics.py

The JalNet plugin must be installed in the QGIS profile (a link to jalnet/ will do).
Writes docs/screenshots/hydraulics.png and quits QGIS.
"""

import os
from pathlib import Path

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

ROOT = Path(os.getcwd())
PROJECT = ROOT / "out" / "jalnet_demo.qgz"
OUT = ROOT / "docs" / "screenshots" / "hydraulics.png"
GROUP = "Hydraulics: 4010457 peak_hour"


def open_and_run() -> None:
    QgsProject.instance().read(str(PROJECT))
    for node in QgsProject.instance().layerTreeRoot().findLayers():
        node.setItemVisibilityChecked(node.layer().type() == 1)  # rasters only, until the run adds its layers
        node.setExpanded(False)
    iface.mainWindow().showMaximized()
    plugin = plugins["jalnet"]
    plugin.toggle_hydraulics(True)
    dock = plugin.hydraulics_dock
    dock.scenario.setCurrentIndex(dock.scenario.findData("peak_hour"))
    dock.out.setFilePath(str(ROOT / "out" / "panel_peak_hour.gpkg"))
    dock.run()
    QTimer.singleShot(20000, frame)


def frame() -> None:
    root = QgsProject.instance().layerTreeRoot()
    for group in root.findGroups(True):
        group.setExpanded(False)  # collapse first: the panel's view follows changes, not states
        group.setExpanded(group.name() == GROUP)
    nodes = [n for n in root.findLayers() if n.parent() is not None and n.parent().name() == GROUP]
    for node in nodes:
        node.setExpanded(False)
        node.setExpanded(True)
    layers = [n.layer() for n in nodes]
    if layers:
        iface.mapCanvas().setExtent(layers[-1].extent().buffered(80))
    QTimer.singleShot(5000, grab)


def grab() -> None:
    iface.mainWindow().grab().save(str(OUT))
    QTimer.singleShot(500, lambda: os._exit(0))


QTimer.singleShot(3000, open_and_run)

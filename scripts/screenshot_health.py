"""The data-health screenshot in docs/screenshots: the demo project in QGIS, a run from the Data health panel.

    make demo
    mkdir -p /tmp/qgis-profiles/profiles/default/QGIS
    printf '[PythonPlugins]\\njalnet=true\\n' > /tmp/qgis-profiles/profiles/default/QGIS/QGIS3.ini
    QGIS_PLUGINPATH=$PWD JALNET_ENGINE=$PWD/.venv/bin/jalnet xvfb-run -a -s "-screen 0 1600x1000x24" \\
        qgis --nologo --profiles-path /tmp/qgis-profiles --code scripts/screenshot_health.py

The plugin is taken from this checkout (``QGIS_PLUGINPATH``) and enabled in a profile folder
of its own (``--profiles-path``). The panel runs the check in the
JalNet engine (``JALNET_ENGINE``), keeps the run in the demo registry, lists the schemes
worst first and shows the findings of the worst one. Writes docs/screenshots/health.png
and quits QGIS.
"""

import os
from pathlib import Path

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface, plugins

ROOT = Path(os.getcwd())
PROJECT = ROOT / "out" / "jalnet_demo.qgz"
OUT = ROOT / "docs" / "screenshots" / "health.png"
#: layers of the demo project left visible under the health layers
SHOWN = ("Pipes", "Tap connections (FHTC)", "Villages")


def open_and_run() -> None:
    QgsProject.instance().read(str(PROJECT))
    for node in QgsProject.instance().layerTreeRoot().findLayers():
        node.setItemVisibilityChecked(node.layer().name() in SHOWN)
        node.setExpanded(False)
    for group in QgsProject.instance().layerTreeRoot().findGroups(True):
        group.setExpanded(False)
    iface.mainWindow().showMaximized()
    plugin = plugins["jalnet"]
    plugin.toggle_health(True)
    dock = plugin.health_dock
    dock.set_registry(str(ROOT / "out" / "registry.gpkg"))
    dock.out.setFilePath(str(ROOT / "out" / "panel_health.gpkg"))
    dock.finished.connect(lambda ok: QTimer.singleShot(3000, show_worst))
    dock.run()


def show_worst() -> None:
    plugin = plugins["jalnet"]
    dock = plugin.health_dock
    dock.resize(620, dock.height())
    iface.mainWindow().resizeDocks([dock], [620], 1)  # Qt.Horizontal
    rows = [i for i, f in enumerate(dock.shown) if f.geometry is not None]
    if rows:
        dock.select_finding(rows[0])
    group = QgsProject.instance().layerTreeRoot().findGroup("Data health")
    if group is not None:
        group.setExpanded(True)
    layer = next((vl for vl in dock.loaded if vl.name() == "Schemes by data-health score"), None)
    if layer is not None:
        iface.mapCanvas().setExtent(layer.extent().buffered(150))
        iface.mapCanvas().refresh()
    QTimer.singleShot(5000, grab)


def grab() -> None:
    iface.mainWindow().grab().save(str(OUT))
    QTimer.singleShot(500, lambda: os._exit(0))


QTimer.singleShot(3000, open_and_run)

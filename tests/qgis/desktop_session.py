"""Run by desktop QGIS (``qgis --code desktop_session.py``) for tests/qgis/test_desktop.py.

Opens the demo project, runs one engine action from each JalNet panel as a user would
(registry panel: open the registry; findings panel: accept a finding of a validation run
from the toolbox; hydraulics panel: run the peak hour; data-health panel: check the registry;
strip-log panel: draw a borehole),
records what happened and which engine libraries QGIS's Python holds, then quits QGIS
the normal way. Reads JALNET_DESKTOP_DEMO (the demo folder) and writes
JALNET_DESKTOP_RESULT (JSON).
"""

import json
import os
import sys
import traceback
from pathlib import Path

from qgis.core import QgsProject, QgsSettings
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QPushButton
from qgis.utils import iface, plugins

DEMO = Path(os.environ["JALNET_DESKTOP_DEMO"])
RESULT = Path(os.environ["JALNET_DESKTOP_RESULT"])
ENGINE_STACK = ("geopandas", "pyogrio", "fiona", "rasterio", "pyproj", "wntr")
state = {"steps": {}, "errors": []}
_keep = []  # Qt callbacks must outlive this module's functions


def save() -> None:
    state["modules"] = sorted(m for m in ENGINE_STACK if m in sys.modules)
    RESULT.write_text(json.dumps(state, indent=1, default=str), encoding="utf-8")


def guarded(func):
    def run(*args):
        try:
            func(*args)
        except Exception:  # noqa: BLE001 - the test reads the traceback from the result file
            state["errors"].append(traceback.format_exc())
            finish()
    return run


@guarded
def start() -> None:
    registry = str(DEMO / "registry.gpkg")
    state["steps"]["project"] = QgsProject.instance().read(str(DEMO / "jalnet_demo.qgz"))
    plugin = plugins["jalnet"]

    # Registry panel: open the registry (its info and change log come from the engine)
    state["steps"]["registry"] = plugin.show_registry(registry)
    state["registry_layers"] = plugin.dock.info_view.count_of("pipes")

    # Strip-log panel: draw a borehole
    from jalnet.plugin.striplog_dock import toggle as striplog

    state["steps"]["striplog"] = striplog(plugin, True).show_borehole(registry, "BH-01")

    # Findings panel: a validation from the toolbox (taps farther than 1 m from a pipe are findings),
    # then accept the first finding as an exception
    import processing

    out = str(DEMO / "desktop_findings.gpkg")
    result = processing.run("jalnet:validatenetwork", {"REGISTRY": registry, "FHTC_DISTANCE": 1.0, "OUTPUT": out})
    state["findings"] = result["ERRORS"] + result["WARNINGS"] + result["NOTES"]
    from jalnet.plugin.findings_dock import toggle as findings

    dock = findings(plugin, True)
    dock.ask_note = lambda f: "tap is across the road; fine"
    state["steps"]["findings_open"] = dock.open_file(out)
    dock.select(0)
    state["steps"]["findings_accept"] = dock.accept_current()

    # Hydraulics panel: run the peak hour as a background task
    from jalnet.plugin.hydraulics_dock import toggle as hydraulics

    hyd = hydraulics(plugin, True)
    hyd.set_registry(registry)
    hyd.out.setFilePath(str(DEMO / "desktop_hydraulics.gpkg"))
    index = hyd.scenario.findData("peak_hour")
    hyd.scenario.setCurrentIndex(index)
    state["scenarios"] = hyd.scenario.count()
    _keep.append(guarded(lambda ok: after_hydraulics(hyd, ok)))
    hyd.finished.connect(_keep[-1])
    hyd.run()
    state["hydraulics_started"] = hyd.task is not None and hyd.status.text()
    save()


def after_hydraulics(hyd, ok: bool) -> None:
    state["steps"]["hydraulics"] = ok
    state["hydraulics_status"] = hyd.status.text()
    state["hydraulics_layers"] = sum(1 for lyr in QgsProject.instance().mapLayers().values()
                                     if "peak_hour" in lyr.name() or "peak hour" in lyr.name())
    bar = iface.messageBar()
    state["report_button"] = any(item.findChild(QPushButton, "jalnet_open_report") is not None
                                 for item in bar.items())

    # Data health panel: the whole registry checked in the engine, the peak hour just run included
    from jalnet.plugin.health_dock import toggle as health

    dock = health(plugins["jalnet"], True)
    dock.out.setFilePath(str(DEMO / "desktop_health.gpkg"))
    _keep.append(guarded(lambda ok: after_health(dock, ok)))
    dock.finished.connect(_keep[-1])
    dock.run()


def after_health(dock, ok: bool) -> None:
    state["steps"]["health"] = ok
    state["health_schemes"] = dock.schemes.rowCount()
    state["health_summary"] = dock.summary.text()
    state["health_modules"] = dict(dock.health.run) if dock.health is not None else {}
    finish()


def finish() -> None:
    save()
    # quitting asks nothing: the project is not to be saved, nor the temporary layers in it
    QgsSettings().setValue("askToSaveMemoryLayers", False, QgsSettings.App)
    QTimer.singleShot(500, quit_qgis)


def quit_qgis() -> None:
    QgsProject.instance().setDirty(False)  # background tasks (feature counts) may have set it again
    iface.actionExit().trigger()


QTimer.singleShot(2000, start)
QTimer.singleShot(150_000, guarded(lambda: (_ for _ in ()).throw(TimeoutError("the session timed out"))))

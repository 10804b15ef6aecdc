"""The hydraulics panel: pick a registry, a scheme and a scenario, run it, see the styled results.

The run goes into a QgsTask, so QGIS stays usable and the task manager shows progress
and can cancel it; the engine's messages and EPANET's warnings are kept and shown when
the run ends, and the results are added to the project in a group of their own.
"""

from __future__ import annotations

import os
from typing import Any

from qgis.core import Qgis, QgsApplication
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import JalnetError
from . import logging as log
from .docks import remove_dock, toggle_dock
from .engine_calls import EngineTask, call, push_result, write_run_report


class ScenarioTask(EngineTask):
    """Runs one scenario of one scheme in the engine and writes the results GeoPackage."""

    def __init__(self, registry: str, scheme: str, scenario: str, out: str, dem: str | None) -> None:
        super().__init__(f"JalNet hydraulics: {scheme} {scenario}", "hydraulics.scenario",
                         {"registry": registry, "scheme": scheme, "scenario": scenario, "output": out, "dem": dem})
        self.registry, self.scheme, self.scenario, self.out, self.dem = registry, scheme, scenario, out, dem

    @property
    def kind(self) -> str | None:
        return self.result.get("kind")

    @property
    def summary(self) -> dict[str, Any]:
        return self.result.get("summary") or {}


class HydraulicsDock(QDockWidget):
    """Registry, scheme and scenario pickers, a Run button, progress and the run's messages."""

    finished = pyqtSignal(bool)

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__("JalNet hydraulics", parent)
        self.setObjectName("JalNetHydraulicsDock")
        self.iface = iface
        self.task: ScenarioTask | None = None
        body = QWidget(self)
        self.registry = QgsFileWidget()
        self.registry.setFilter("JalNet registry (*.gpkg *.GPKG)")
        self.registry.fileChanged.connect(self.load_schemes)
        self.scheme = QComboBox()
        self.scheme.currentTextChanged.connect(self.load_scenarios)
        self.scenario = QComboBox()
        self.dem = QgsFileWidget()
        self.dem.setFilter("Rasters (*.tif *.tiff *.vrt *.img *.hgt)")
        self.out = QgsFileWidget()
        self.out.setStorageMode(QgsFileWidget.SaveFile)
        self.out.setFilter("GeoPackage (*.gpkg)")
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        form = QFormLayout()
        form.addRow("Registry", self.registry)
        form.addRow("Scheme", self.scheme)
        form.addRow("Scenario", self.scenario)
        form.addRow("DEM (optional)", self.dem)
        form.addRow("Results", self.out)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.log)
        self.setWidget(body)

    # -- pickers --------------------------------------------------------------------------
    def set_registry(self, path: str) -> None:
        self.registry.setFilePath(path)
        self.load_schemes()

    def load_schemes(self, *_: Any) -> None:
        self.scheme.clear()
        path = self.registry.filePath()
        if not path:
            return
        try:
            schemes = call("hydraulics.scenarios", {"registry": path})["schemes"]
        except JalnetError as err:
            self._say(str(err), Qgis.Warning)
            return
        self.scheme.addItems(schemes)
        if not self.out.filePath():
            self.out.setFilePath(os.path.splitext(path)[0] + "_hydraulics.gpkg")

    def load_scenarios(self, scheme: str) -> None:
        self.scenario.clear()
        if not scheme:
            return
        try:
            items = call("hydraulics.scenarios", {"registry": self.registry.filePath(), "scheme": scheme})["scenarios"]
        except JalnetError as err:
            self._say(str(err), Qgis.Warning)
            return
        for s in items:
            self.scenario.addItem(f"{s['name']} ({s['kind']}{', stored' if s['stored'] else ''})", s["name"])

    # -- running --------------------------------------------------------------------------
    def run(self) -> None:
        registry, scheme, scenario = self.registry.filePath(), self.scheme.currentText(), self.scenario.currentData()
        out = self.out.filePath()
        if not (registry and scheme and scenario and out):
            self._say("choose a registry, a scheme, a scenario and a results file", Qgis.Warning)
            return
        self.task = ScenarioTask(registry, scheme, scenario, out, self.dem.filePath() or None)
        self.task.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.task.taskCompleted.connect(lambda: self._done(True))
        self.task.taskTerminated.connect(lambda: self._done(False))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.log.clear()
        self._say(f"running {scenario} of scheme {scheme}…")
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _done(self, ok: bool) -> None:
        task, self.task = self.task, None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if task is None:
            return
        self.log.setPlainText("\n".join(task.messages))
        if not ok:
            self._say(task.error or "canceled", Qgis.Warning)
            self.finished.emit(False)
            return
        from .hydraulics_layers import load_results

        try:
            load_results(task.out, task.scheme, task.scenario, task.result.get("load") or [])
        except JalnetError as err:
            self._say(str(err), Qgis.Warning)
            self.finished.emit(False)
            return
        s = task.summary
        inadequate = s.get("households_inadequate")
        households = "no household taps in the registry" if inadequate is None else \
            f"{inadequate} of {s.get('households')} households without adequate pressure"
        text = (f"{task.scheme} {task.scenario}: pressure {_num(s.get('pressure_min_m'))} to "
                f"{_num(s.get('pressure_max_m'))} m; {households}; {s.get('errors')} error(s), "
                f"{s.get('warnings')} warning(s)")
        if s.get("run_id"):
            text += f"; kept in the registry as run {s['run_id']}"
        self._say(text)
        push_result(self.iface, text, report=write_run_report(task.out, text, task.messages))
        self.finished.emit(True)

    def _say(self, text: str, level: Qgis.MessageLevel = Qgis.Info) -> None:
        self.status.setText(text)
        log.log(f"hydraulics: {text}", level)


def _num(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}"



def toggle(plugin: Any, checked: bool | None = None) -> HydraulicsDock:
    """Show or hide the panel of *plugin* (created on first use, kept in ``plugin.hydraulics_dock``);
    shown without a registry, it takes the one whose layers the project shows, and its DEM."""
    dock = toggle_dock(plugin, "hydraulics_dock", "hydraulics", HydraulicsDock, checked)
    if not dock.isHidden() and not dock.registry.filePath():
        from qgis.core import QgsProject

        from .layers import project_dem, project_registry

        found = project_registry(QgsProject.instance())
        if found:
            dock.set_registry(found)
            dem = project_dem(QgsProject.instance())
            if dem and not dock.dem.filePath():
                dock.dem.setFilePath(dem)
    return dock


def remove(plugin: Any) -> None:
    """Take the panel out of QGIS (plugin unload)."""
    remove_dock(plugin, "hydraulics_dock")

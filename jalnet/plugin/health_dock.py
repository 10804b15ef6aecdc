"""The Data health panel: run the health check of a registry, schemes worst first, drill down to each finding.

*Run* sends the ``datahealth`` job to the JalNet engine in a QGIS task (progress, Cancel);
the panel then reads the health GeoPackage it wrote (:mod:`jalnet.plugin.health_file`),
adds the schemes coloured by score and the findings to the project, and lists the schemes
worst first with their score, counts and trend (new, still open, fixed since the previous
run). Choosing a scheme zooms to it and lists its findings; choosing a finding zooms to
its asset. *Accept…* stores a finding as an exception in the registry (the next run leaves
it out, as this list does at once). *Open dashboard* opens the run's offline HTML page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from qgis.core import Qgis, QgsApplication, QgsProject, QgsVectorLayer
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import Qt, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QColor, QDesktopServices
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import JalnetError
from . import logging as log
from .docks import remove_dock, toggle_dock
from .engine_calls import EngineTask
from .findings_dock import accept_exception, ask_exception_note, zoom_to_geometry
from .health_file import FINDING_LAYERS, SCHEME_LAYER, HealthFile, HealthFinding
from .layers import apply_style

GROUP = "Data health"
SCHEME_COLUMNS = (("score", "Score"), ("scheme_id", "Scheme"), ("name", "Name"), ("errors", "Errors"),
                  ("warnings", "Warnings"), ("notes", "Notes"), ("new", "New"), ("fixed", "Fixed"))
FINDING_COLUMNS = (("severity", "Severity"), ("rule", "Rule"), ("module", "Module"), ("trend", "Trend"),
                   ("message", "What is wrong"))
SHOW = (("open", "Findings (new and still open)"), ("new", "New since the previous run"),
        ("fixed", "Fixed since the previous run"))
#: Score colours of the schemes list, as the dashboard and the scheme_health style use them.
SCORE_COLOURS = ((50.0, "#f4c7c3"), (80.0, "#fce8b2"), (101.0, "#b7e1cd"))


class HealthDock(QDockWidget):
    """Registry, scope and output pickers, Run, the schemes worst first and the findings of the chosen one."""

    finished = pyqtSignal(bool)

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__("JalNet data health", parent)
        self.setObjectName("JalNetHealthDock")
        self.iface = iface
        self.task: EngineTask | None = None
        self.health: HealthFile | None = None
        self.loaded: list[QgsVectorLayer] = []
        self.shown: list[HealthFinding] = []
        #: opens the dashboard (replaced in tests); asks why a finding is accepted (None: cancelled)
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self.ask_note: Callable[[HealthFinding], str | None] = self._ask_note

        body = QWidget(self)
        self.registry = QgsFileWidget(body)
        self.registry.setFilter("JalNet registry (*.gpkg *.GPKG)")
        self.registry.fileChanged.connect(self._default_output)
        self.scheme_only = QLineEdit(body)
        self.scheme_only.setPlaceholderText("every scheme")
        self.store = QCheckBox("Keep the run in the registry (for the trend)", body)
        self.store.setChecked(True)
        self.out = QgsFileWidget(body)
        self.out.setStorageMode(QgsFileWidget.SaveFile)
        self.out.setFilter("GeoPackage (*.gpkg)")
        form = QFormLayout()
        form.addRow("Registry", self.registry)
        form.addRow("Only scheme", self.scheme_only)
        form.addRow("", self.store)
        form.addRow("Health file", self.out)
        self.run_button = QPushButton("Run", body)
        self.cancel_button = QPushButton("Cancel", body)
        self.open_button = QPushButton("Open file", body)
        self.open_button.setToolTip("Show a health GeoPackage written before, without running")
        self.dashboard_button = QPushButton("Open dashboard", body)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(lambda: self.open_file(self.out.filePath()))
        self.dashboard_button.clicked.connect(self.open_dashboard)
        buttons = QHBoxLayout()
        for b in (self.run_button, self.cancel_button, self.open_button, self.dashboard_button):
            buttons.addWidget(b)
        self.progress = QProgressBar(body)
        self.summary = QLabel("Run the data-health check of a registry, or open a health file.", body)
        self.summary.setWordWrap(True)

        self.schemes = self._table(body, [t for _, t in SCHEME_COLUMNS])
        self.schemes.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.schemes.itemSelectionChanged.connect(self._scheme_chosen)
        self.show_combo = QComboBox(body)
        for key, text in SHOW:
            self.show_combo.addItem(text, key)
        self.show_combo.currentIndexChanged.connect(lambda _i: self._fill_findings())
        self.findings = self._table(body, [t for _, t in FINDING_COLUMNS])
        self.findings.horizontalHeader().setSectionResizeMode(4, QHeaderView.Stretch)
        self.findings.itemSelectionChanged.connect(self._finding_chosen)
        self.detail = QLabel("", body)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.zoom_button = QPushButton("Zoom", body)
        self.accept_button = QPushButton("Accept…", body)
        self.accept_button.setToolTip("Accept as a legitimate exception: stored in the registry, not reported again")
        self.zoom_button.clicked.connect(lambda: self.zoom_to(self.current()))
        self.accept_button.clicked.connect(self.accept_current)
        lower = QWidget(body)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.show_combo)
        lower_layout.addWidget(self.findings, 1)
        lower_layout.addWidget(self.detail)
        actions = QHBoxLayout()
        actions.addWidget(self.zoom_button)
        actions.addWidget(self.accept_button)
        lower_layout.addLayout(actions)
        split = QSplitter(Qt.Vertical, body)
        split.addWidget(self.schemes)
        split.addWidget(lower)
        split.setSizes([150, 350])
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.setWidget(body)
        self._update_buttons()

    def _table(self, parent: QWidget, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), parent)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setSelectionMode(QAbstractItemView.SingleSelection)
        return table

    # -- running ------------------------------------------------------------------------------
    def set_registry(self, path: str) -> None:
        self.registry.setFilePath(path)
        self._default_output()

    def _default_output(self, *_: Any) -> None:
        path = self.registry.filePath()
        if path and not self.out.filePath():
            self.out.setFilePath(str(Path(path).with_name(Path(path).stem + "_health.gpkg")))

    def run(self) -> None:
        registry, out = self.registry.filePath(), self.out.filePath()
        if not (registry and out):
            self._say("choose a registry and a health file (.gpkg) to write", Qgis.Warning)
            return
        args = {"registry": registry, "scheme": self.scheme_only.text().strip() or None,
                "store": self.store.isChecked(), "output": out, "report": str(Path(out).with_suffix(".html"))}
        self.task = EngineTask("JalNet data health", "datahealth", args)
        self.task.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.task.taskCompleted.connect(lambda: self._done(True))
        self.task.taskTerminated.connect(lambda: self._done(False))
        self._update_buttons()
        self._say(f"checking {registry}…")
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _done(self, ok: bool) -> None:
        task, self.task = self.task, None
        self._update_buttons()
        if task is None:
            return
        if not ok:
            self._say(task.error or "canceled", Qgis.Warning)
            self.finished.emit(False)
            return
        for message in task.messages:
            log.info(f"data health: {message}")
        opened = self.open_file(task.args["output"])
        self.finished.emit(opened)

    # -- showing a health file -------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Read a health GeoPackage, add its layers to the project and list its schemes worst first."""
        try:
            health = HealthFile.read(path)
        except JalnetError as err:
            self._say(str(err), Qgis.Warning)
            return False
        self.health = health
        self.out.setFilePath(health.path)
        if health.registry and not self.registry.filePath() and not health.registry.startswith("postgres"):
            self.registry.setFilePath(health.registry)
        self._add_layers(health)
        self._fill_schemes()
        if health.schemes:
            self.zoom_to_scheme(str(health.schemes[0]["scheme_id"]))
        self._say(self._summary_text(), Qgis.Info, bar=False)
        return True

    def _add_layers(self, health: HealthFile) -> None:
        project = QgsProject.instance()
        for vl in self.loaded:
            if project.mapLayer(vl.id()) is not None:
                project.removeMapLayer(vl.id())
        root = project.layerTreeRoot()
        old = root.findGroup(GROUP)
        if old is not None:
            root.removeChildNode(old)
        group = root.insertGroup(0, GROUP)
        titles = {"findings_points": "Data-health findings (points)", "findings_lines": "Data-health findings (lines)",
                  SCHEME_LAYER: "Schemes by data-health score"}
        self.loaded = []
        for name in (*FINDING_LAYERS, SCHEME_LAYER):
            vl = QgsVectorLayer(f"{health.path}|layername={name}", titles[name], "ogr")
            apply_style(vl, name)
            project.addMapLayer(vl, False)
            group.addLayer(vl)
            self.loaded.append(vl)

    def _summary_text(self) -> str:
        h = self.health
        if h is None:
            return ""
        counts = {s: sum(1 for f in h.findings if f.get("severity") == s) for s in ("error", "warning", "info")}
        t = h.trend()
        scored = [float(s["score"]) for s in h.schemes if s.get("score") is not None and s["scheme_id"] != "(no scheme)"]
        mean = f"mean score {sum(scored) / len(scored):.0f}/100; " if scored else ""
        skipped = [f"{m[7:]}: {why}" for m, why in h.run.items() if m.startswith("module_") and why != "checked"]
        return (f"{len(scored)} scheme(s), {mean}{counts['error']} errors, {counts['warning']} warnings, "
                f"{counts['info']} notes. Since the previous run: {t['new']} new, {t['fixed']} fixed, {t['open']} "
                f"still open; {h.accepted} accepted exception(s) left out."
                + ("".join(f"\n{s}" for s in skipped)))

    def _fill_schemes(self) -> None:
        h = self.health
        rows = h.schemes if h is not None else []
        self.schemes.blockSignals(True)
        self.schemes.setRowCount(len(rows))
        for r, scheme in enumerate(rows):
            trend = h.trend(str(scheme["scheme_id"]))
            values = {**scheme, "new": trend["new"], "fixed": trend["fixed"]}
            for c, (key, _) in enumerate(SCHEME_COLUMNS):
                value = values.get(key)
                item = QTableWidgetItem("" if value is None else f"{float(value):.0f}" if key == "score" else str(value))
                if key == "score" and value is not None:
                    item.setBackground(QColor(next(col for top, col in SCORE_COLOURS if float(value) < top)))
                self.schemes.setItem(r, c, item)
        if rows:
            self.schemes.selectRow(0)
        self.schemes.blockSignals(False)
        self.schemes.resizeColumnsToContents()
        self._fill_findings()

    def chosen_scheme(self) -> str | None:
        rows = self.schemes.selectionModel().selectedRows() if self.schemes.selectionModel() else []
        if not rows or self.health is None or rows[0].row() >= len(self.health.schemes):
            return None
        return str(self.health.schemes[rows[0].row()]["scheme_id"])

    def choose_scheme(self, scheme: str) -> bool:
        ids = [str(s["scheme_id"]) for s in (self.health.schemes if self.health else [])]
        if scheme not in ids:
            return False
        self.schemes.selectRow(ids.index(scheme))
        return True

    def _scheme_chosen(self) -> None:
        scheme = self.chosen_scheme()
        self._fill_findings()
        if scheme is not None:
            self.zoom_to_scheme(scheme)

    def zoom_to_scheme(self, scheme: str) -> Any:
        layer = next((vl for vl in self.loaded if vl.name() == "Schemes by data-health score"), None)
        if layer is None:
            return None
        escaped = scheme.replace("'", "''")
        for feature in layer.getFeatures(f"\"scheme_id\" = '{escaped}'"):
            return zoom_to_geometry(self.iface.mapCanvas(), feature.geometry(), layer.crs())
        return None

    def _fill_findings(self) -> None:
        scheme = self.chosen_scheme()
        which = self.show_combo.currentData() or "open"
        self.shown = self.health.of_scheme(scheme, which) if self.health is not None and scheme else []
        self.findings.blockSignals(True)
        self.findings.setRowCount(len(self.shown))
        for r, f in enumerate(self.shown):
            for c, (key, _) in enumerate(FINDING_COLUMNS):
                value = "fixed" if key == "trend" and which == "fixed" else f.get(key)
                self.findings.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        self.findings.blockSignals(False)
        self.findings.resizeColumnsToContents()
        self.findings.horizontalHeader().setSectionResizeMode(4, QHeaderView.Stretch)
        self.detail.setText("")
        self._update_buttons()

    def current(self) -> HealthFinding | None:
        rows = self.findings.selectionModel().selectedRows() if self.findings.selectionModel() else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    def select_finding(self, row: int) -> HealthFinding | None:
        if 0 <= row < len(self.shown):
            self.findings.selectRow(row)
        return self.current()

    def _finding_chosen(self) -> None:
        f = self.current()
        self._update_buttons()
        if f is None:
            self.detail.setText("")
            return
        seen = f.get("first_seen")
        seen = seen.toString("yyyy-MM-dd") if hasattr(seen, "toString") else str(seen or "")[:10]
        self.detail.setText(f"<b>{f.get('rule')} {f.get('title') or ''}</b> ({f.get('severity')}, "
                            f"{f.get('module')}): {f.get('message')}<br>Asset: {f.get('layer') or ''} "
                            f"{f.get('asset_ids') or f.get('asset_id') or '-'}"
                            + (f"; first seen {seen}" if seen else ""))
        self.zoom_to(f)

    def zoom_to(self, f: HealthFinding | None) -> Any:
        if f is None or f.layer is None:
            return None
        return zoom_to_geometry(self.iface.mapCanvas(), f.geometry, f.layer.crs())

    def _update_buttons(self) -> None:
        running = self.task is not None
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.dashboard_button.setEnabled(bool(self.health and self.health.dashboard))
        f = self.current()
        self.zoom_button.setEnabled(f is not None and f.geometry is not None)
        self.accept_button.setEnabled(f is not None and f.layer is not None)

    # -- actions -----------------------------------------------------------------------------
    def open_dashboard(self) -> bool:
        page = self.health.dashboard if self.health is not None else None
        if not page:
            self._say("no dashboard beside the health file; run the check again", Qgis.Warning)
            return False
        self.open_url(QUrl.fromLocalFile(page))
        return True

    def accept_current(self) -> bool:
        """Store the chosen finding as an exception in the registry; it leaves the lists at once."""
        f, h = self.current(), self.health
        if f is None or h is None or f.layer is None:
            return False
        target = h.registry or self.registry.filePath()
        note = self.ask_note(f)
        if not note:
            return False
        try:
            exception_id = accept_exception(target, f.values, note)
        except JalnetError as err:
            self._say(str(err), Qgis.Critical)
            return False
        h.mark_accepted(f, note)
        f.layer.triggerRepaint()
        scheme = self.chosen_scheme()
        self._fill_schemes()
        if scheme is not None and scheme != self.chosen_scheme():
            self.choose_scheme(scheme)
        self._say(f"accepted as exception {exception_id}: the next run leaves it out", Qgis.Success)
        self.summary.setText(self._summary_text())
        return True

    def _ask_note(self, f: HealthFinding) -> str | None:
        return ask_exception_note(self, f.values)

    def _say(self, text: str, level: int = Qgis.Info, bar: bool = True) -> None:
        self.summary.setText(text)
        log.log(f"data health: {text}", level)
        if bar and level != Qgis.Info:
            self.iface.messageBar().pushMessage("JalNet", text, level, 8)


def toggle(plugin: Any, checked: bool | None = None) -> HealthDock:
    """Show or hide the panel of *plugin* (created on first use, kept in ``plugin.health_dock``);
    shown without a registry, it takes the one whose layers the project shows."""
    dock = toggle_dock(plugin, "health_dock", "health", HealthDock, checked)
    if not dock.isHidden() and not dock.registry.filePath():
        from .layers import project_registry

        found = project_registry(QgsProject.instance())
        if found and not found.startswith(("postgresql://", "postgres://")):
            dock.set_registry(found)
    return dock


def remove(plugin: Any) -> None:
    """Take the panel out of QGIS (plugin unload)."""
    remove_dock(plugin, "health_dock")

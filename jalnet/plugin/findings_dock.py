"""The "Network findings" panel: step through validation findings, zoom to each, fix or accept it.

Opens an error GeoPackage written by network validation (``jalnet network validate`` or
the Processing algorithm), loads its two layers styled, and lists the findings with
filters. "Mark fixed" records ``status = fixed`` in the GeoPackage (the finding turns
grey on the map); "Accept…" asks why, stores the exception in the registry the
validation ran on (so the next validation leaves it out) and records
``status = accepted``. The registry is opened only for that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from qgis.core import (
    Qgis,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import JalnetError
from . import logging as log
from .layers import apply_style

LAYERS = ("findings_points", "findings_lines")
ALL = "All"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
COLUMNS = ("severity", "rule", "scheme_id", "message", "status")
#: Smallest extent shown around a point finding (map units, metres in a registry CRS).
MIN_EXTENT = 60.0


@dataclass
class Finding:
    layer: QgsVectorLayer
    fid: int
    values: dict[str, Any]
    geometry: QgsGeometry

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or str(value) == "NULL" else value


class FindingsDock(QDockWidget):
    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__("JalNet network findings", parent)
        self.setObjectName("JalNetFindingsDock")
        self.iface = iface
        self.path: str | None = None
        self.layers: list[QgsVectorLayer] = []
        self.findings: list[Finding] = []
        self.shown: list[Finding] = []
        #: Asks for the reason of an accepted exception; returns None when cancelled (replaced in tests).
        self.ask_note: Callable[[Finding], str | None] = self._ask_note

        body = QWidget(self)
        layout = QVBoxLayout(body)
        pick = QHBoxLayout()
        self.file = QgsFileWidget(body)
        self.file.setFilter("JalNet error layers (*.gpkg *.GPKG)")
        self.open_button = QPushButton("Open", body)
        self.open_button.clicked.connect(lambda: self.open_file(self.file.filePath()))
        pick.addWidget(self.file, 1)
        pick.addWidget(self.open_button)
        layout.addLayout(pick)
        form = QFormLayout()
        self.registry = QLineEdit(body)
        self.registry.setPlaceholderText("registry the validation ran on (for accepting exceptions)")
        form.addRow("Registry", self.registry)
        self.severity = self._combo(body, [ALL, "error", "warning", "info"])
        self.rule = self._combo(body, [ALL])
        self.scheme = self._combo(body, [ALL])
        self.status = self._combo(body, ["open", ALL, "fixed", "accepted"])
        filters = QHBoxLayout()
        for label, combo in (("Severity", self.severity), ("Rule", self.rule), ("Scheme", self.scheme),
                             ("Status", self.status)):
            filters.addWidget(QLabel(label, body))
            filters.addWidget(combo, 1)
        form.addRow(filters)
        layout.addLayout(form)
        self.summary = QLabel("Open an error GeoPackage written by 'Validate pipe network'.", body)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setHorizontalHeaderLabels(["Severity", "Rule", "Scheme", "What is wrong", "Status"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.detail = QLabel("", body)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous", body)
        self.next_button = QPushButton("Next ▶", body)
        self.zoom_button = QPushButton("Zoom", body)
        self.fixed_button = QPushButton("Mark fixed", body)
        self.accept_button = QPushButton("Accept…", body)
        self.accept_button.setToolTip("Accept as a legitimate exception: stored in the registry, not reported again")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.zoom_button.clicked.connect(lambda: self.zoom_to(self.current()))
        self.fixed_button.clicked.connect(self.mark_fixed)
        self.accept_button.clicked.connect(self.accept_current)
        for b in (self.prev_button, self.next_button, self.zoom_button, self.fixed_button, self.accept_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._update_buttons()

    def _combo(self, parent: QWidget, items: list[str]) -> QComboBox:
        combo = QComboBox(parent)
        combo.addItems(items)
        combo.currentIndexChanged.connect(lambda _i: self.refresh())
        return combo

    # -- loading ---------------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Load the error layers of *path* (styled) and list their findings."""
        path = str(path or "").strip()
        layers = [QgsVectorLayer(f"{path}|layername={name}", title, "ogr") for name, title in
                  zip(LAYERS, ("Network findings (points)", "Network findings (lines)"))]
        if not path or not Path(path).exists() or not all(vl.isValid() for vl in layers):
            self._message(f"{path or 'no file'} is not a JalNet error GeoPackage (layers {', '.join(LAYERS)})",
                          Qgis.Warning)
            return False
        self._remove_layers()
        self.path = path
        project = QgsProject.instance()
        group = project.layerTreeRoot().insertGroup(0, "Network findings")
        for name, vl in zip(LAYERS, layers):
            apply_style(vl, name)
            project.addMapLayer(vl, False)
            group.addLayer(vl)
        self.layers = layers
        self.file.setFilePath(path)
        run = self._run_info(path)
        if run.get("registry"):
            self.registry.setText(run["registry"])
        self.reload()
        return True

    def _run_info(self, path: str) -> dict[str, str]:
        table = QgsVectorLayer(f"{path}|layername=validation_run", "run", "ogr")
        if not table.isValid():
            return {}
        return {str(f["key"]): str(f["value"]) for f in table.getFeatures()}

    def reload(self) -> None:
        self.findings = []
        for vl in self.layers:
            for f in vl.getFeatures():
                values = {name: f[name] for name in vl.fields().names()}
                self.findings.append(Finding(vl, f.id(), values, QgsGeometry(f.geometry())))
        self.findings.sort(key=lambda x: (SEVERITY_ORDER.get(str(x.get("severity")), 9), str(x.get("rule")),
                                          str(x.get("scheme_id") or ""), x.fid))
        self._fill_combo(self.rule, sorted({str(f.get("rule")) for f in self.findings}))
        self._fill_combo(self.scheme, sorted({str(f.get("scheme_id")) for f in self.findings if f.get("scheme_id")}))
        self.refresh()

    def _fill_combo(self, combo: QComboBox, values: list[str]) -> None:
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems([ALL, *values])
        if current in values:
            combo.setCurrentText(current)
        combo.blockSignals(False)

    def _remove_layers(self) -> None:
        project = QgsProject.instance()
        for vl in self.layers:
            if project.mapLayer(vl.id()) is not None:
                project.removeMapLayer(vl.id())
        group = project.layerTreeRoot().findGroup("Network findings")
        if group is not None and not group.children():
            project.layerTreeRoot().removeChildNode(group)
        self.layers = []

    # -- list ------------------------------------------------------------------------------
    def _matches(self, f: Finding) -> bool:
        for combo, name, default in ((self.severity, "severity", ALL), (self.rule, "rule", ALL),
                                     (self.scheme, "scheme_id", ALL), (self.status, "status", ALL)):
            wanted = combo.currentText()
            if wanted != default and str(f.get(name) or ("open" if name == "status" else "")) != wanted:
                return False
        return True

    def refresh(self) -> None:
        keep = self.current()
        self.shown = [f for f in self.findings if self._matches(f)]
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.shown))
        for row, f in enumerate(self.shown):
            for col, name in enumerate(COLUMNS):
                text = f.get(name) or ("open" if name == "status" else "")
                self.table.setItem(row, col, QTableWidgetItem(str(text)))
        self.table.blockSignals(False)
        counts = {s: sum(1 for f in self.findings if f.get("severity") == s and (f.get("status") or "open") == "open")
                  for s in SEVERITY_ORDER}
        self.summary.setText(f"{len(self.shown)} shown of {len(self.findings)}; open: {counts['error']} errors, "
                             f"{counts['warning']} warnings, {counts['info']} notes")
        if keep in self.shown:
            self.select(self.shown.index(keep))
        self._update_buttons()

    def current(self) -> Finding | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.shown):
            return None
        return self.shown[rows[0].row()]

    def select(self, row: int) -> None:
        if 0 <= row < len(self.shown):
            self.table.selectRow(row)

    def step(self, delta: int) -> Finding | None:
        """Select the next (or previous) finding in the list and zoom to it."""
        if not self.shown:
            return None
        current = self.current()
        row = 0 if current is None else max(0, min(len(self.shown) - 1, self.shown.index(current) + delta))
        self.select(row)
        return self.current()

    def _selected(self) -> None:
        f = self.current()
        self._update_buttons()
        if f is None:
            self.detail.setText("")
            return
        self.detail.setText(f"<b>{f.get('rule')} {f.get('title') or ''}</b> ({f.get('severity')}): {f.get('message')}"
                            f"<br>Assets: {f.get('asset_ids') or '-'}<br>Fingerprint: {f.get('fingerprint')}"
                            + (f"<br>Note: {f.get('note')}" if f.get("note") else ""))
        self.zoom_to(f)

    def _update_buttons(self) -> None:
        has = self.current() is not None
        for b in (self.zoom_button, self.fixed_button, self.accept_button):
            b.setEnabled(has)
        self.prev_button.setEnabled(bool(self.shown))
        self.next_button.setEnabled(bool(self.shown))

    # -- map -------------------------------------------------------------------------------
    def zoom_to(self, f: Finding | None) -> QgsRectangle | None:
        """Centre the map on the finding (a little room around it) and flash it; returns the new extent."""
        if f is None:
            return None
        return zoom_to_geometry(self.iface.mapCanvas(), f.geometry, f.layer.crs())

    # -- fixing and accepting --------------------------------------------------------------
    def _set(self, f: Finding, values: dict[str, Any]) -> bool:
        layer = f.layer
        indexes = {layer.fields().indexOf(k): v for k, v in values.items()}
        ok = layer.dataProvider().changeAttributeValues({f.fid: indexes})
        if ok:
            f.values.update(values)
            layer.triggerRepaint()
        return bool(ok)

    def mark_fixed(self) -> bool:
        f = self.current()
        if f is None:
            return False
        if not self._set(f, {"status": "fixed"}):
            self._message(f"cannot write to {self.path}; is it read-only?", Qgis.Warning)
            return False
        self._after_change()
        return True

    def accept_current(self) -> bool:
        """Accept the selected finding as an exception in the registry, then mark it accepted here."""
        f = self.current()
        if f is None:
            return False
        target = self.registry.text().strip()
        if not target:
            self._message("give the registry the validation ran on (Registry field) to accept a finding", Qgis.Warning)
            return False
        note = self.ask_note(f)
        if not note:
            return False
        try:
            exception_id = accept_exception(target, f.values, note)
        except JalnetError as err:
            self._message(str(err), Qgis.Critical)
            return False
        self._set(f, {"status": "accepted", "note": note})
        log.info(f"finding {f.get('fingerprint')} accepted as exception {exception_id}")
        self._message(f"accepted as exception {exception_id}: the next validation will not report it", Qgis.Success)
        self._after_change()
        return True

    def _after_change(self) -> None:
        row = self.shown.index(self.current()) if self.current() in self.shown else 0
        self.refresh()
        self.select(min(row, len(self.shown) - 1))

    def _ask_note(self, f: Finding) -> str | None:
        return ask_exception_note(self, f.values)

    def _message(self, text: str, level: int) -> None:
        self.iface.messageBar().pushMessage("JalNet", text, level, 6)


def ask_exception_note(parent: QWidget, values: dict[str, Any]) -> str | None:
    """Why a finding is right, asked of the user; None when cancelled or left empty."""
    text, ok = QInputDialog.getText(parent, "Accept finding as an exception",
                                    f"{values.get('rule')}: {values.get('message')}\n\nWhy is this right?")
    return text.strip() if ok and text.strip() else None


def accept_exception(target: str, values: dict[str, Any], note: str) -> str:
    """Store the finding (its attributes *values*) as an exception in the registry, in the engine; its ID."""
    from .engine_calls import call

    return call("network.accept", {"registry": target, "fingerprint": str(values.get("fingerprint")), "note": note,
                                   "finding": plain(values)})["exception_id"]


def zoom_to_geometry(canvas: Any, geometry: QgsGeometry | None, crs: Any) -> QgsRectangle | None:
    """Centre *canvas* on *geometry* (in *crs*) with a little room around it and flash it; returns the extent."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        return None
    geometry = QgsGeometry(geometry)
    dest = canvas.mapSettings().destinationCrs()
    if dest.isValid() and crs.isValid() and dest != crs:
        geometry.transform(QgsCoordinateTransform(crs, dest, QgsProject.instance()))
    box = geometry.boundingBox()
    grow = max(MIN_EXTENT - box.width(), MIN_EXTENT - box.height(), 0) / 2 + 0.1 * max(box.width(), box.height())
    box = QgsRectangle(box.xMinimum() - grow, box.yMinimum() - grow, box.xMaximum() + grow, box.yMaximum() + grow)
    canvas.setExtent(box)
    canvas.refresh()
    if hasattr(canvas, "flashGeometries"):
        canvas.flashGeometries([geometry], dest)
    return box


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """A finding's attributes as JSON values (QGIS gives NULL as a QVariant)."""
    return {k: (None if v is None or (hasattr(v, "isNull") and v.isNull()) else v) for k, v in values.items()}


def toggle(plugin: Any, checked: bool | None = None) -> FindingsDock:
    """Show or hide the panel of *plugin* (created on first use, kept in ``plugin.findings_dock``)."""
    dock = getattr(plugin, "findings_dock", None)
    if dock is None:
        dock = FindingsDock(plugin.iface, plugin.iface.mainWindow())
        plugin.iface.addDockWidget(Qt.RightDockWidgetArea, dock)
        action = plugin.actions.get("findings")
        if action is not None:
            dock.visibilityChanged.connect(action.setChecked)
        plugin.findings_dock = dock
    show = (not dock.isVisible()) if checked is None else bool(checked)
    dock.setVisible(show)
    if show:
        dock.raise_()
    return dock


def remove(plugin: Any) -> None:
    """Take the panel out of QGIS (plugin unload)."""
    dock = getattr(plugin, "findings_dock", None)
    if dock is None:
        return
    plugin.iface.removeDockWidget(dock)
    dock.deleteLater()
    plugin.findings_dock = None

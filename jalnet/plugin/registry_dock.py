"""The "JalNet registry" panel: open a registry, load its layers, read its change log, undo.

Built from three small widgets so each stays readable: :class:`SourcePicker` (which
registry), :class:`RegistryInfoView` (what is in it) and :class:`ChangeLogView` (its
batches). :class:`RegistryDock` wires them to the engine. The registry is opened only
for the moment a call needs it and closed again, so the panel never holds a database
connection or lock while the user edits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qgis.core import Qgis, QgsProject
from qgis.gui import QgsAuthConfigSelect, QgsFileWidget
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import JalnetError
from . import logging as log
from .connections import PgTarget, redact, saved_connections, target_from_uri, with_auth_config
from .layers import add_registry_layers, registry_key, registry_layers, registry_title

OTHER_URL = "Other: type a URL"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)  # compact rows
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.SingleSelection)
    table.setAlternatingRowColors(True)
    return table


def _item(text: Any, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    if data is not None:
        item.setData(Qt.UserRole, data)
    return item


def local_time(iso_utc: str | None) -> str:
    """'22 Nov 17:40' in the computer's time zone, from the log's UTC ISO time."""
    if not iso_utc:
        return ""
    try:
        when = dt.datetime.fromisoformat(str(iso_utc).replace("Z", "+00:00"))
    except ValueError:
        return str(iso_utc)
    when = when.astimezone()
    if when.year == dt.datetime.now().year:
        return when.strftime("%d %b %H:%M")  # short: the panel is narrow
    return when.strftime("%d %b %Y")


# =========================================================================================
class SourcePicker(QWidget):
    """Choose a GeoPackage file or a PostGIS schema; emits ``openRequested(target, authcfg)``."""

    openRequested = pyqtSignal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._gpkg_tab(), "GeoPackage")
        self.tabs.addTab(self._postgis_tab(), "PostGIS")
        self.open_button = QPushButton("Open registry and load layers")
        self.open_button.clicked.connect(self._emit_open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addWidget(self.open_button)

    def _gpkg_tab(self) -> QWidget:
        page = QWidget()
        self.file_widget = QgsFileWidget()
        self.file_widget.setFilter("JalNet registry (*.gpkg *.GPKG)")
        self.file_widget.setDialogTitle("Open a JalNet registry")
        hint = QLabel("A registry is a GeoPackage made with 'Create registry' (JalNet menu or Processing).")
        hint.setWordWrap(True)
        hint.setEnabled(False)  # greyed: a hint, not a control
        form = QFormLayout(page)
        form.addRow("File", self.file_widget)
        form.addRow(hint)
        return page

    def _postgis_tab(self) -> QWidget:
        page = QWidget()
        self.connection_combo = QComboBox()
        self.schema_edit = QLineEdit("jalnet")
        self.schema_edit.setToolTip("PostgreSQL schema that holds the registry (one schema per registry)")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("postgresql://user@host:5432/database?schema=jalnet")
        self.url_edit.setToolTip("Leave the password out: choose an authentication below, or it is read from "
                                 "a pgpass file, pg_service.conf (?service=NAME) or PGPASSWORD")
        self.auth_select = QgsAuthConfigSelect(page, "postgres")
        self.auth_select.setToolTip("QGIS authentication configuration: the password stays in QGIS's encrypted "
                                    "store, never in the project")
        form = QFormLayout(page)
        form.addRow("Connection", self.connection_combo)
        form.addRow("Schema", self.schema_edit)
        form.addRow("URL", self.url_edit)
        form.addRow("Authentication", self.auth_select)
        self.connection_combo.currentTextChanged.connect(self._update_url)
        self.schema_edit.textChanged.connect(self._update_url)
        self.reload_connections()
        return page

    def reload_connections(self) -> None:
        """Refill the list from QGIS's saved PostgreSQL connections."""
        self._connections = saved_connections()
        self.connection_combo.blockSignals(True)
        self.connection_combo.clear()
        self.connection_combo.addItems(sorted(self._connections))
        self.connection_combo.addItem(OTHER_URL)
        self.connection_combo.blockSignals(False)
        self._update_url()

    def _saved_target(self, with_password: bool) -> PgTarget | None:
        name = self.connection_combo.currentText()
        if name not in self._connections:
            return None
        schema = self.schema_edit.text().strip() or "jalnet"
        return target_from_uri(self._connections[name], schema, with_password=with_password)

    def _update_url(self) -> None:
        shown = self._saved_target(with_password=False)
        self.url_edit.setReadOnly(shown is not None)
        self.schema_edit.setEnabled(shown is not None)
        self.auth_select.setEnabled(shown is None)  # a saved connection brings its own
        if shown is not None:
            self.url_edit.setText(shown.url)
            self.url_edit.setCursorPosition(0)
            self.auth_select.setConfigId(shown.authcfg or "")

    def current_target(self) -> PgTarget | None:
        """What the user chose, or None when the chosen tab is empty."""
        if self.tabs.currentIndex() == 0:
            path = self.file_widget.filePath().strip()
            return PgTarget(path) if path else None
        saved = self._saved_target(with_password=True)
        if saved is not None:
            return saved
        url = self.url_edit.text().strip()
        return with_auth_config(url, self.auth_select.configId() or None) if url else None

    def set_file(self, path: str) -> None:
        self.tabs.setCurrentIndex(0)
        self.file_widget.setFilePath(path)

    def _emit_open(self) -> None:
        target = self.current_target()
        if target is not None:
            self.openRequested.emit(target.url, target.authcfg)


# =========================================================================================
class RegistryInfoView(QWidget):
    """Registry name, store, CRS, schema version and feature counts per layer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name_label = QLabel()
        self.store_label = QLabel()
        self.store_label.setWordWrap(True)
        self.store_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.crs_label = QLabel()
        self.schema_label = QLabel()
        self.counts = _table(["Layer", "Features"])
        self.counts.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.counts.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        form = QFormLayout()
        form.addRow("Registry", self.name_label)
        form.addRow("Store", self.store_label)
        form.addRow("CRS", self.crs_label)
        form.addRow("Schema", self.schema_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.counts)
        self.clear()

    def clear(self) -> None:
        for label in (self.name_label, self.store_label, self.crs_label, self.schema_label):
            label.setText("–")
        self.counts.setRowCount(0)

    def show_info(self, info: dict[str, Any]) -> None:
        from ..registry.schema import layer

        target = str(info["target"])
        self.name_label.setText(f"<b>{registry_title(target)}</b>")
        self.store_label.setText(f"{'PostGIS' if info['kind'] == 'postgis' else 'GeoPackage'}: {redact(target)}")
        self.crs_label.setText(f"{info['crs']} – {info.get('crs_name', '')}")
        self.schema_label.setText(f"version {info['schema_version']}, {info.get('batches', 0)} batch(es) in the log")
        layers = info.get("layers", {})
        self.counts.setRowCount(len(layers))
        for row, (name, count) in enumerate(layers.items()):
            name_item, count_item = _item(layer(name).title, name), _item(f"{count:,}")
            count_item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
            if not count:  # empty layers greyed, so the filled ones stand out
                grey = self.palette().brush(self.palette().Disabled, self.palette().Text)
                name_item.setForeground(grey)
                count_item.setForeground(grey)
            self.counts.setItem(row, 0, name_item)
            self.counts.setItem(row, 1, count_item)

    def count_of(self, layer_name: str) -> int | None:
        """The count shown for a layer (for tests and tooltips)."""
        for row in range(self.counts.rowCount()):
            if self.counts.item(row, 0).data(Qt.UserRole) == layer_name:
                return int(self.counts.item(row, 1).text().replace(",", ""))
        return None


# =========================================================================================
class ChangeLogView(QWidget):
    """The registry's batches, newest first; emits ``undoRequested(batch_id)``.

    The table keeps to three columns so the description stays readable in a narrow
    panel; the selected batch's ID, user and undo state show underneath, selectable, so
    the ID can be pasted into Processing or the command line.
    """

    undoRequested = pyqtSignal(str)
    HEADERS = ["When", "What", "Changes"]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(self.HEADERS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.table.setWordWrap(True)  # descriptions wrap instead of being cut
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.undo_button = QPushButton("Undo batch")
        self.undo_button.setToolTip("Revert the selected batch exactly; the undo is logged as a new batch")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self._emit_undo)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.details, 1)
        buttons.addWidget(self.undo_button, 0, Qt.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._rows: dict[str, Any] = {}

    def show_batches(self, frame: Any) -> None:
        """Fill from ``Registry.batches()`` (a DataFrame, oldest first)."""
        rows = list(frame.itertuples(index=False))[::-1]
        self._rows = {r.batch_id: r for r in rows}
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            what = f"{r.tool}: {r.description}" if r.description else str(r.tool)
            values = [local_time(r.started), what, r.n_changes]
            undone = _text(r.undone_by)
            for col, value in enumerate(values):
                item = _item(value, r.batch_id)
                item.setToolTip(what)
                if undone:  # reverted batches are greyed out and struck through
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setForeground(self.palette().brush(self.palette().Disabled, self.palette().Text))
                if col == 2:
                    item.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                self.table.setItem(i, col, item)
        self._selection_changed()

    def clear(self) -> None:
        self.table.setRowCount(0)
        self._rows = {}
        self._selection_changed()

    def selected_batch(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.UserRole)

    def select_batch(self, batch_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == batch_id:
                self.table.selectRow(row)
                return

    def _selection_changed(self) -> None:
        batch = self.selected_batch()
        row = self._rows.get(batch) if batch else None
        self.undo_button.setEnabled(row is not None and not _text(row.undone_by))
        if row is None:
            self.details.setText("Select a batch to see its ID or undo it." if self._rows else "No batches yet.")
            return
        state = ""
        if _text(row.undone_by):
            state = f"<br>Undone by batch {row.undone_by}."
        elif _text(row.undoes):
            state = f"<br>Undo of batch {row.undoes}."
        self.details.setText(f"Batch <b>{batch}</b> by {row.username or 'unknown user'}.{state}")

    def _emit_undo(self) -> None:
        batch = self.selected_batch()
        if batch:
            self.undoRequested.emit(batch)


def _text(value: Any) -> str:
    """A log column as text: NULL/NaN become ''."""
    return value if isinstance(value, str) else ""


# =========================================================================================
class RegistryDock(QDockWidget):
    """Dock panel composing the three views and talking to the engine."""

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__("JalNet registry", parent)
        self.setObjectName("JalNetRegistryDock")
        self.iface = iface
        self.target: str | None = None
        self.authcfg: str | None = None

        self.picker = SourcePicker()
        self.info_view = RegistryInfoView()
        self.log_view = ChangeLogView()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read counts and the change log again (after running a JalNet tool)")
        self.refresh_button.setEnabled(False)

        tabs = QTabWidget()
        tabs.addTab(self.info_view, "Contents")
        tabs.addTab(self.log_view, "Change log")
        self.view_tabs = tabs
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.picker)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.refresh_button, 0, Qt.AlignRight)
        self.setWidget(body)

        self.picker.openRequested.connect(self.open_target)
        self.refresh_button.clicked.connect(self.refresh)
        self.log_view.undoRequested.connect(self.undo_batch)

    # -- messages --------------------------------------------------------------------------
    def _message(self, text: str, level: Qgis.MessageLevel = Qgis.Info) -> None:
        log.log(text, level)
        self.iface.messageBar().pushMessage("JalNet", text, level, 6 if level == Qgis.Success else 10)

    def _failed(self, what: str, err: Exception) -> None:
        self._message(f"{what}: {err}", Qgis.Critical)

    # -- engine calls ----------------------------------------------------------------------
    def open_target(self, target: str, authcfg: str | None = None, add_layers: bool = True) -> bool:
        """Show a registry's contents and (by default) load its layers into the current project."""
        from ..registry import open_registry

        try:
            with open_registry(target, readonly=True) as reg:
                info, batches = reg.info(), reg.batches()
            if add_layers:
                added = add_registry_layers(target, QgsProject.instance(), authcfg=authcfg)
        except JalnetError as err:
            self._failed("cannot open the registry", err)
            return False
        self.target, self.authcfg = target, authcfg
        QgsProject.instance().writeEntry("jalnet", "open_registry", registry_key(target))  # offered by Processing
        self.info_view.show_info(info)
        self.log_view.show_batches(batches)
        self.refresh_button.setEnabled(True)
        if add_layers:
            self._zoom_to(added)
            self._message(f"registry '{registry_title(target)}' opened: {len(added)} layers loaded", Qgis.Success)
        return True

    def refresh(self) -> None:
        """Re-read counts and the log; repaint the registry's layers."""
        if not self.target:
            return
        from ..registry import open_registry

        try:
            with open_registry(self.target, readonly=True) as reg:
                self.info_view.show_info(reg.info())
                self.log_view.show_batches(reg.batches())
        except JalnetError as err:
            self._failed("cannot read the registry", err)
            return
        self.reload_layers()

    def reload_layers(self) -> None:
        for layer in registry_layers(QgsProject.instance(), self.target or ""):
            layer.reload()
            layer.triggerRepaint()

    def confirm_undo(self, batch_id: str) -> bool:
        """Ask before writing; tests replace this."""
        answer = QMessageBox.question(
            self,
            "Undo batch",
            f"Revert batch {batch_id}?\n\nIts inserts are deleted, its deletes restored and its edits reverted. "
            "The undo is written as a new batch, which can itself be undone.",
        )
        return answer == QMessageBox.Yes

    def undo_batch(self, batch_id: str) -> str | None:
        """Undo a batch through the engine and refresh; returns the undo batch id."""
        if not self.target:
            return None
        editing = [lyr.name() for lyr in registry_layers(QgsProject.instance(), self.target) if lyr.isEditable()]
        if editing:
            self._message(f"save or discard your edits in {', '.join(editing)} before undoing a batch", Qgis.Warning)
            return None
        if not self.confirm_undo(batch_id):
            return None
        from ..registry import open_registry

        try:
            with open_registry(self.target) as reg:
                undo_id = reg.undo(batch_id)
        except JalnetError as err:
            self._failed(f"batch {batch_id} was not undone", err)
            return None
        self.refresh()
        self._message(f"batch {batch_id} undone (undo batch {undo_id})", Qgis.Success)
        return undo_id

    def _zoom_to(self, layers: list[Any]) -> None:
        from qgis.core import QgsCoordinateTransform

        from .layers import layers_extent

        extent = layers_extent(layers)
        canvas = self.iface.mapCanvas()
        if extent.isNull() or canvas is None or not layers:
            return
        transform = QgsCoordinateTransform(layers[0].crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance())
        try:
            extent = transform.transformBoundingBox(extent)
        except Exception:  # noqa: BLE001 - an odd canvas CRS must not break opening
            return
        extent.scale(1.05)
        canvas.setExtent(extent)
        canvas.refresh()

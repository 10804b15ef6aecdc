"""The QGIS plugin object: menu, toolbar, registry panel, Processing provider, dependency check.

QGIS calls :meth:`JalnetPlugin.initProcessing` (also headless, e.g. for ``qgis_process``)
and :meth:`JalnetPlugin.initGui`; :meth:`JalnetPlugin.unload` must remove everything
they added, because QGIS reloads plugins in the same session. A missing Python package
never raises here: QGIS keeps working. When no JalNet engine is found (see
:mod:`jalnet.engineclient.locate`) the message bar offers *Install the JalNet engine*,
which installs it into an environment of its own: never into QGIS's Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction, QFileDialog, QPushButton, QToolBar

from .. import __version__
from ..dependencies import Missing, check_dependencies, missing_modules
from . import logging as log

MENU = "&JalNet"
PLUGIN_DIR = Path(__file__).resolve().parent.parent


ICONS = PLUGIN_DIR / "icons"


def icon(name: str) -> QIcon:
    """JalNet's own toolbar icon ``icons/<name>.svg``: drawn for JalNet, so no action looks like a core QGIS button."""
    return QIcon(str(ICONS / f"{name}.svg"))


class JalnetPlugin:
    """Created by :func:`jalnet.classFactory` with QGIS's ``iface``."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.provider = None
        self.dock = None
        self.toolbar: QToolBar | None = None
        self.actions: dict[str, QAction] = {}
        self.missing: list[Missing] = []
        self.engine_dialog = None  # kept while open: a running install task reports to it
        self.message_item = None  # the dependency warning in the message bar, to dismiss on unload
        self._log_handler = None

    # -- Processing ------------------------------------------------------------------------
    def initProcessing(self) -> None:  # noqa: N802 (QGIS's name)
        """Register the provider, leaving out algorithms whose packages are missing."""
        if self.provider is not None:
            return
        from ..processing.provider import JalnetProvider

        self.missing = check_dependencies()
        self.provider = JalnetProvider(missing_modules(self.missing))
        QgsApplication.processingRegistry().addProvider(self.provider)

    # -- GUI -------------------------------------------------------------------------------
    def initGui(self) -> None:  # noqa: N802 (QGIS's name)
        self._log_handler = log.install_handler()
        self.initProcessing()
        self.toolbar = self.iface.addToolBar("JalNet")
        self.toolbar.setObjectName("JalNetToolbar")
        self.toolbar.setToolTip("JalNet tools")
        self._add_action("panel", "Registry panel", icon("registry"), self.toggle_dock, checkable=True)
        self._add_action("create", "Create registry…", icon("create"), self.create_registry)
        self._add_action("open", "Open registry…", icon("open"), self.open_registry)
        self._add_action("toolbox", "Processing toolbox (JalNet)", icon("toolbox"),
                         self.show_toolbox)
        self._add_action("striplog", "Strip log panel", icon("striplog"), self.toggle_striplog,
                         checkable=True)
        self._add_action("findings", "Network findings panel", icon("findings"), self.toggle_findings,
                         checkable=True)
        self._add_action("hydraulics", "Hydraulics panel", icon("hydraulics"),
                         self.toggle_hydraulics, checkable=True)
        self._add_action("health", "Data health panel", icon("health"), self.toggle_health, checkable=True)
        self._add_action("field_package", "Field package for QField…", icon("toolbox"),
                         lambda: self.run_field_tool("jalnet:fieldpackage"), toolbar=False)
        self._add_action("field_sync", "Sync field package…", icon("toolbox"),
                         lambda: self.run_field_tool("jalnet:fieldsync"), toolbar=False)
        self._add_action("engine", "JalNet engine…", icon("engine"), self.show_engine, toolbar=False)
        self._report_dependencies()
        log.info(f"JalNet {__version__} loaded")

    def _add_action(self, key: str, text: str, icon: QIcon, slot: Callable[..., Any], checkable: bool = False,
                    toolbar: bool = True) -> QAction:
        action = QAction(icon, text, self.iface.mainWindow())
        action.setObjectName(f"jalnet_{key}")
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.iface.addPluginToMenu(MENU, action)
        if toolbar and self.toolbar is not None:
            self.toolbar.addAction(action)
        self.actions[key] = action
        return action

    def unload(self) -> None:
        """Remove menu entries, toolbar, panel, provider and message; QGIS may load us again."""
        for action in self.actions.values():
            self.iface.removePluginMenu(MENU, action)
            action.deleteLater()
        self.actions = {}
        if self.toolbar is not None:
            self.iface.mainWindow().removeToolBar(self.toolbar)
            self.toolbar.setParent(None)  # gone at once, not at the next event loop (plugin reload)
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.dock is not None:
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if getattr(self, "striplog_dock", None) is not None:
            from .striplog_dock import remove

            remove(self)
        if getattr(self, "findings_dock", None) is not None:
            from .findings_dock import remove as remove_findings

            remove_findings(self)
        if getattr(self, "hydraulics_dock", None) is not None:
            from .hydraulics_dock import remove as remove_hydraulics

            remove_hydraulics(self)
        if getattr(self, "health_dock", None) is not None:
            from .health_dock import remove as remove_health

            remove_health(self)
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.message_item is not None:
            try:
                self.iface.messageBar().popWidget(self.message_item)
            except (RuntimeError, AttributeError):  # already dismissed by the user
                pass
            self.message_item = None
        log.remove_handler(self._log_handler)
        self._log_handler = None

    # -- engine ----------------------------------------------------------------------------
    def _report_dependencies(self) -> None:
        """Log what QGIS's Python lacks (no install commands: the engine has its own Python); offer the installer."""
        for m in self.missing:
            log.info(f"not in QGIS's Python (tools run in the JalNet engine): {m.describe()}")
        from .engine import current_engine

        engine = current_engine()
        self._enable_registry_actions(engine is not None)
        if engine:
            log.info(f"JalNet engine: {' '.join(engine)}")
            return
        text = "the JalNet engine is not installed yet: JalNet's tools need it."
        log.warning(text)
        bar = self.iface.messageBar()
        if hasattr(bar, "createMessage"):  # a real QgsMessageBar: add the install button
            widget = bar.createMessage("JalNet", text)
            button = QPushButton("Install the JalNet engine…", widget)
            button.clicked.connect(self.show_engine)
            widget.layout().addWidget(button)
            self.message_item = bar.pushWidget(widget, Qgis.Warning, 0)
        else:
            bar.pushMessage("JalNet", text, Qgis.Warning, 0)

    def show_engine(self) -> None:
        """The engine dialog: where the engine is, its path setting, *Install the JalNet engine*."""
        from .engine import EngineDialog

        dialog = EngineDialog(self.iface.mainWindow())
        self.engine_dialog = dialog
        dialog.exec_()
        from .engine import current_engine

        self._enable_registry_actions(current_engine() is not None)  # an engine just installed or set

    def _enable_registry_actions(self, engine_found: bool) -> None:
        """The registry actions run in the engine: enabled when there is one, whatever QGIS's Python lacks."""
        for key in ("panel", "create", "open"):
            self.actions[key].setEnabled(engine_found)
            self.actions[key].setToolTip("" if engine_found else
                                         "Needs the JalNet engine: see Plugins > JalNet > JalNet engine…")

    # -- actions ---------------------------------------------------------------------------
    def ensure_dock(self):
        """The registry panel, created on first use."""
        if self.dock is None:
            from .registry_dock import RegistryDock

            self.dock = RegistryDock(self.iface, self.iface.mainWindow())
            self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
            self.dock.visibilityChanged.connect(self._dock_visibility_changed)
        return self.dock

    def _dock_visibility_changed(self, visible: bool) -> None:
        action = self.actions.get("panel")
        if action is not None:
            action.setChecked(visible)

    def toggle_dock(self, checked: bool | None = None) -> None:
        dock = self.ensure_dock()
        show = (not dock.isVisible()) if checked is None else bool(checked)
        dock.setVisible(show)
        if show:
            dock.raise_()

    def toggle_striplog(self, checked: bool | None = None) -> None:
        from .striplog_dock import toggle

        toggle(self, checked)

    def toggle_findings(self, checked: bool | None = None) -> None:
        from .findings_dock import toggle

        toggle(self, checked)

    def toggle_hydraulics(self, checked: bool | None = None) -> None:
        from .hydraulics_dock import toggle

        toggle(self, checked)

    def toggle_health(self, checked: bool | None = None) -> None:
        from .health_dock import toggle

        toggle(self, checked)

    def show_registry(self, target: str, authcfg: str | None = None) -> bool:
        """Open *target* in the panel (layers loaded) and show the panel."""
        dock = self.ensure_dock()
        dock.setVisible(True)
        dock.raise_()
        if not target.startswith(("postgresql://", "postgres://")):
            dock.picker.set_file(target)
        return dock.open_target(target, authcfg)

    def open_registry(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.iface.mainWindow(), "Open a JalNet registry", "", "JalNet registry (*.gpkg *.GPKG)"
        )
        if path:
            self.show_registry(path)

    def create_registry(self) -> None:
        """Run 'Create registry' in its Processing dialog, then open what it made."""
        import processing

        results = processing.execAlgorithmDialog("jalnet:createregistry", {}) or {}
        path = results.get("OUTPUT")
        if path:
            self.show_registry(str(path))

    def run_field_tool(self, algorithm: str) -> None:
        """A field-capture algorithm in its Processing dialog, the project's registry filled in."""
        import processing
        from qgis.core import QgsProject

        from .layers import project_registry

        target = project_registry(QgsProject.instance())
        results = processing.execAlgorithmDialog(algorithm, {"REGISTRY": target} if target else {}) or {}
        if results.get("PROJECT"):
            self.iface.messageBar().pushMessage("JalNet", f"field package written: {results['PROJECT']}", Qgis.Info, 8)
        elif results.get("BATCH_ID"):
            self.iface.messageBar().pushMessage(
                "JalNet", f"field package synced as batch {results['BATCH_ID']}; {results.get('CONFLICTS', 0)} "
                "conflict(s) not applied (see the log)", Qgis.Info, 10)

    def show_toolbox(self) -> None:
        """Show the Processing toolbox filtered to JalNet's algorithms."""
        from qgis.utils import plugins

        processing_plugin = plugins.get("processing")
        toolbox = getattr(processing_plugin, "toolbox", None)
        if toolbox is None:
            self.iface.messageBar().pushMessage(
                "JalNet", "enable the Processing plugin to see JalNet's tools", Qgis.Warning, 8
            )
            return
        toolbox.setUserVisible(True)
        toolbox.raise_()
        toolbox.searchBox.setText("JalNet")

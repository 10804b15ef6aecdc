"""Showing, hiding and removing the plugin's optional panels (strip log, findings...).

A panel is created on first use, docked on the right, kept on the plugin object under
one attribute name and tied to its checkable action, so the toolbar button and the
panel's close box agree. On unload it is taken out of QGIS again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QDockWidget


def toggle_dock(plugin: Any, attr: str, action_key: str, factory: Callable[[Any, Any], QDockWidget],
                checked: bool | None = None) -> QDockWidget:
    """Show or hide the panel kept in ``plugin.<attr>``; *factory(iface, parent)* makes it the first time."""
    dock = getattr(plugin, attr, None)
    if dock is None:
        dock = factory(plugin.iface, plugin.iface.mainWindow())
        plugin.iface.addDockWidget(Qt.RightDockWidgetArea, dock)
        action = plugin.actions.get(action_key)
        if action is not None:
            dock.visibilityChanged.connect(action.setChecked)
        setattr(plugin, attr, dock)
    show = (not dock.isVisible()) if checked is None else bool(checked)
    dock.setVisible(show)
    if show:
        dock.raise_()
    return dock


def remove_dock(plugin: Any, attr: str) -> None:
    """Take the panel in ``plugin.<attr>`` out of QGIS (plugin unload); it may disconnect its signals first."""
    dock = getattr(plugin, attr, None)
    if dock is None:
        return
    disconnect = getattr(dock, "disconnect_signals", None)
    if callable(disconnect):
        disconnect()
    plugin.iface.removeDockWidget(dock)
    dock.deleteLater()
    setattr(plugin, attr, None)

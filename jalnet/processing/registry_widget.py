"""The Registry parameter's widget: the registries the project already uses, first, then Browse.

A registry is usually open in the JalNet panel when a user starts a tool, so the dialog
offers it (and every other registry whose layers the project shows) instead of a bare path
field; the field stays editable for a GeoPackage elsewhere or a ``postgresql://`` URL. Used
through the parameter's ``widget_wrapper`` metadata, in the Processing dialog and its batch
mode. QGIS-side only (no engine import).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import QgsProject, QgsProviderRegistry
from qgis.PyQt.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QToolButton, QWidget

#: Project entry the registry panel writes when it opens a registry (scope, key).
PANEL_ENTRY = ("jalnet", "open_registry")
#: Custom properties the plugin puts on registry layers (jalnet.plugin.layers: PROP_LAYER, PROP_REGISTRY).
LAYER_PROPERTY, REGISTRY_PROPERTY = "jalnet/layer", "jalnet/registry"


def project_registries(project: QgsProject | None = None) -> list[str]:
    """Registries of *project*: the one open in the panel first, then those whose layers it shows, once each."""
    project = project or QgsProject.instance()
    found: list[str] = []
    panel, ok = project.readEntry(*PANEL_ENTRY, "")
    if ok and panel and (panel.startswith(("postgresql://", "postgres://")) or Path(panel).is_file()):
        found.append(panel)
    for layer in project.mapLayers().values():
        if layer.customProperty(LAYER_PROPERTY) is None:
            continue
        if layer.providerType() == "ogr":
            path = QgsProviderRegistry.instance().decodeUri("ogr", layer.source()).get("path")
            target = str(Path(path).resolve()) if path else None
        else:
            target = layer.customProperty(REGISTRY_PROPERTY)
        if target and target not in found:
            found.append(str(target))
    return found


def _wrapper_base() -> type:
    from processing.gui.wrappers import WidgetWrapper  # the Processing plugin: only where its dialogs run

    return WidgetWrapper


class RegistryWidgetWrapper(_wrapper_base()):
    """An editable list of the project's registries with a Browse button for a GeoPackage."""

    def createWidget(self, **kwargs: Any) -> QWidget:  # noqa: N802 (Processing's name)
        widget = QWidget()
        layout = QHBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setToolTip("A registry the project uses, another GeoPackage (Browse…), or a "
                              "postgresql://user@host:5432/db?schema=NAME URL without password")
        self.combo.addItems(project_registries())
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Browse for a registry GeoPackage")
        browse.clicked.connect(self._browse)
        layout.addWidget(self.combo, 1)
        layout.addWidget(browse)
        self.combo.currentTextChanged.connect(lambda _text: self.widgetValueHasChanged.emit(self))
        return widget

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.widget, "Choose a JalNet registry", self.combo.currentText(),
                                              "JalNet registry (*.gpkg *.GPKG)")
        if path:
            self.combo.setEditText(path)

    def setValue(self, value: Any) -> None:  # noqa: N802
        if value not in (None, ""):
            self.combo.setEditText(str(value))

    def value(self) -> str | None:
        text = self.combo.currentText().strip()
        return text or None

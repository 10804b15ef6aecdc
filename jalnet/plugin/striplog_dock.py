"""The "Strip log" panel: the strip log of the borehole selected on the map, and sections from there.

Select a borehole on a registry's Boreholes layer and the panel draws its strip log (the
same drawing ``jalnet geology striplog`` writes). Select two or more and "Section
through selected" draws the cross-section through them; "Section along a line…" opens
the Processing dialog for a drawn or selected line. The registry is opened only while
drawing, so the panel never holds a lock while the user edits.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from qgis.core import QgsMapLayer, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QPixmap
from qgis.PyQt.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..errors import JalnetError
from . import logging as log
from .docks import remove_dock, toggle_dock
from .engine_calls import call
from .layers import PROP_LAYER, layer_registry

PANEL_TITLE = "JalNet strip log"


def is_borehole_layer(layer: QgsMapLayer | None) -> bool:
    return isinstance(layer, QgsVectorLayer) and layer.customProperty(PROP_LAYER) == "boreholes"


class StripLogDock(QDockWidget):
    """Shows the strip log of the selected borehole; draws sections through selected boreholes."""

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__(PANEL_TITLE, parent)
        self.setObjectName("JalNetStripLogDock")
        self.iface = iface
        self.target: str | None = None
        self.borehole_id: str | None = None
        self.selected: list[str] = []
        self.png: bytes | None = None
        self._figure = None

        self.title = QLabel("Select a borehole on a registry's Boreholes layer.")
        self.title.setWordWrap(True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignTop | Qt.AlignHCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        self.save_button = QPushButton("Save PNG/SVG…")
        self.save_button.clicked.connect(self.save_as)
        self.section_button = QPushButton("Section through selected")
        self.section_button.setToolTip("Cross-section through the selected boreholes (two or more)")
        self.section_button.clicked.connect(self.section_through_selected)
        self.line_button = QPushButton("Section along a line…")
        self.line_button.setToolTip("Cross-section along a drawn or selected line (Processing dialog)")
        self.line_button.clicked.connect(self.section_along_line)
        buttons = QHBoxLayout()
        for b in (self.save_button, self.section_button, self.line_button):
            buttons.addWidget(b)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._update_buttons()

        canvas = iface.mapCanvas() if hasattr(iface, "mapCanvas") else None
        self._canvas = canvas
        if canvas is not None and hasattr(canvas, "selectionChanged"):
            canvas.selectionChanged.connect(self.on_selection)

    def disconnect_signals(self) -> None:
        if self._canvas is not None and hasattr(self._canvas, "selectionChanged"):
            try:
                self._canvas.selectionChanged.disconnect(self.on_selection)
            except (TypeError, RuntimeError):
                pass

    # -- selection ---------------------------------------------------------------------------
    def on_selection(self, layer: QgsMapLayer) -> None:
        if not is_borehole_layer(layer):
            return
        target = layer_registry(layer)
        ids = [str(f["borehole_id"]) for f in layer.selectedFeatures() if f["borehole_id"]]
        self.selected = ids
        self._update_buttons()
        if target and ids:
            self.show_borehole(target, ids[0])

    def show_borehole(self, target: str, borehole_id: str) -> bool:
        """Draw the strip log of *borehole_id* from the registry *target*; False (with a message) on failure."""
        try:
            fig = call("geology.figure", {"registry": target, "boreholes": [borehole_id], "section": False,
                                          "dem": None})
        except JalnetError as err:
            self.title.setText(f"Cannot draw {borehole_id}: {err}")
            log.warning(f"strip log of {borehole_id}: {err}")
            return False
        self._show_png(_png(fig), f"Borehole {borehole_id}" + (f" ({len(self.selected)} selected)"
                                                               if len(self.selected) > 1 else ""))
        self.target, self.borehole_id, self._figure = target, borehole_id, fig
        self._update_buttons()
        return True

    def _show_png(self, png: bytes, title: str) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.png = png
        self.image.setPixmap(pixmap)
        self.title.setText(title)

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self._figure is not None)
        self.section_button.setEnabled(len(self.selected) >= 2)
        self.line_button.setEnabled(self.target is not None)

    # -- actions -------------------------------------------------------------------------------
    def save_as(self) -> None:
        if self._figure is None:
            return
        name = self.borehole_id or "section"
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawing", f"{name}.png", "PNG and SVG (*.png)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> list[Path]:
        """Copy the drawing the engine made (PNG and SVG) to *path* (its suffix is replaced)."""
        base = Path(path).with_suffix("")
        saved = []
        for made in (self._figure or {}).get("files", []):
            saved.append(Path(shutil.copyfile(made, base.with_suffix(Path(made).suffix))))
        return saved

    def section_through_selected(self) -> bool:
        """The section through the selected boreholes, ordered along their trend, shown in the panel."""
        if self.target is None or len(self.selected) < 2:
            return False
        try:
            fig = call("geology.figure", {"registry": self.target, "boreholes": self.selected, "section": True,
                                          "dem": self._dem_path()})
        except JalnetError as err:
            self.title.setText(f"Cannot draw the section: {err}")
            return False
        order = fig["order"]
        self._figure, self.borehole_id = fig, fig["name"]
        self._show_png(_png(fig), f"Section through {', '.join(order)} (vertical exaggeration "
                                  f"×{fig['vertical_exaggeration']:g})")
        self._update_buttons()
        return True

    def _dem_path(self) -> str | None:
        """A DEM in the project: a raster layer whose name says DEM (the demo's 'DEM (sample)')."""
        for layer in QgsProject.instance().mapLayers().values():
            if layer.type() == QgsMapLayer.RasterLayer and "dem" in layer.name().lower():
                return layer.source()
        return None

    def section_along_line(self) -> None:
        import processing

        out = str(Path(tempfile.gettempdir()) / "jalnet_section.png")
        params = {"REGISTRY": self.target or "", "OUTPUT": out}
        dem = self._dem_path()
        if dem:
            params["DEM"] = dem
        results = processing.execAlgorithmDialog("jalnet:geologysection", params) or {}
        png = results.get("OUTPUT")
        if png and Path(png).exists():
            self._figure = None
            self._show_png(Path(png).read_bytes(), f"Section: {png}")
            self._update_buttons()


def _png(figure: dict[str, Any]) -> bytes:
    """The PNG the engine drew for the panel."""
    return Path(next(f for f in figure["files"] if f.endswith(".png"))).read_bytes()


def toggle(plugin: Any, checked: bool | None = None) -> StripLogDock:
    """Show or hide the panel of *plugin* (created on first use, kept in ``plugin.striplog_dock``)."""
    return toggle_dock(plugin, "striplog_dock", "striplog", StripLogDock, checked)


def remove(plugin: Any) -> None:
    """Take the panel out of QGIS (plugin unload)."""
    remove_dock(plugin, "striplog_dock")

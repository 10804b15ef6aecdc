"""A printable PDF of a flood assessment through a QGIS print layout: map, legend, tables.

The HTML report needs no QGIS; this is the version a district office prints and files,
drawn by QGIS's own renderer with the impact styles. The layout lives in a private
project with its own copies of the layers, so it never touches the user's project.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsLayerTree,
    QgsLayoutExporter,
    QgsLayoutFrame,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemManualTable,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutMultiFrame,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTableColumn,
    QgsLegendStyle,
    QgsPrintLayout,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsTableCell,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QRectF
from qgis.PyQt.QtGui import QFont

from ..errors import JalnetError
from .flood_style import style_depth_raster, style_impact_layer

MM = QgsUnitTypes.LayoutMillimeters
PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape
SHAPES = ("Shapes: triangle source, pentagon pump, square treatment unit, hexagon tank, diamond valve, "
          "small dot household tap; lines are pipes (severity from their maximum depth). Grey: no depth data "
          "(off the raster or nodata), never dry.")
#: (title, GeoPackage layer, columns) of the tables printed after the map.
TABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Impact by scheme", "summary_schemes",
     ("event", "date", "scheme_id", "district", "sources_hit", "pumps_hit", "treatment_units_hit", "tanks_hit",
      "pipes_flooded_km", "assets_out_of_service", "fhtc_flooded", "fhtc_lose_supply", "households_affected")),
    ("Impact by district", "summary_districts",
     ("event", "date", "district", "schemes", "schemes_affected", "assets_out_of_service", "fhtc_flooded",
      "fhtc_lose_supply", "households_affected", "persons_affected")),
)


def _label(layout: QgsPrintLayout, text: str, x: float, y: float, w: float, h: float, size: int,
           bold: bool = False) -> QgsLayoutItemLabel:
    item = QgsLayoutItemLabel(layout)
    item.setText(text)
    font = QFont("Sans", size)
    font.setBold(bold)
    item.setFont(font)
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(x, y, MM))
    item.attemptResize(QgsLayoutSize(w, h, MM))
    return item


def _text_format(size: float, bold: bool = False) -> QgsTextFormat:
    font = QFont("Sans")
    font.setBold(bold)
    fmt = QgsTextFormat()
    fmt.setFont(font)
    fmt.setSize(size)
    fmt.setSizeUnit(QgsUnitTypes.RenderPoints)
    return fmt


def _cell(value: Any) -> QgsTableCell:
    if value is None or (isinstance(value, float) and value != value):
        return QgsTableCell("")
    if isinstance(value, float):
        return QgsTableCell(f"{value:,.2f}")
    return QgsTableCell(str(value))


def _table_page(layout: QgsPrintLayout, title: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    page = layout.pageCollection().pageCount()
    layout.pageCollection().addPage(_new_page(layout))
    top = layout.pageCollection().page(page).pos().y()
    _label(layout, title, 10, top + 8, 270, 10, 14, bold=True)
    table = QgsLayoutItemManualTable.create(layout)
    table.setHeaders([QgsLayoutTableColumn(c.replace("_", " ")) for c in columns])
    table.setIncludeTableHeader(True)
    table.setTableContents([[_cell(r.get(c)) for c in columns] for r in rows] or [[QgsTableCell("none")]
                                                                                     + [QgsTableCell("")] *
                                                                                     (len(columns) - 1)])
    table.setContentTextFormat(_text_format(7))
    table.setHeaderTextFormat(_text_format(7, bold=True))
    table.setResizeMode(QgsLayoutMultiFrame.RepeatUntilFinished)
    layout.addMultiFrame(table)
    frame = QgsLayoutFrame(layout, table)
    frame.attemptSetSceneRect(QRectF(10, top + 20, PAGE_W - 20, PAGE_H - 30))
    table.addFrame(frame)


def _new_page(layout: QgsPrintLayout):
    from qgis.core import QgsLayoutItemPage

    page = QgsLayoutItemPage(layout)
    page.setPageSize(QgsLayoutSize(PAGE_W, PAGE_H, MM))
    return page


def _table_rows(gpkg: str, table: str) -> list[dict[str, Any]]:
    """The rows of a GeoPackage table, read by QGIS (NULL as None)."""
    vl = QgsVectorLayer(f"{gpkg}|layername={table}", table, "ogr")
    if not vl.isValid():
        raise JalnetError(f"QGIS cannot open table {table} of {gpkg}")
    names = vl.fields().names()
    rows = []
    for feature in vl.getFeatures():
        values = [None if v is None or (hasattr(v, "isNull") and v.isNull()) else v for v in feature.attributes()]
        rows.append(dict(zip(names, values)))
    return rows


def export_flood_pdf(pdf_path: str, impact_gpkg: str, classes: Sequence[dict[str, Any]], title: str,
                     subtitle: str = "", depth_raster: str | None = None) -> str:
    """Write a PDF (map page, then the scheme and district tables) of an impact GeoPackage."""
    project = QgsProject()
    try:
        layers = []
        for name in ("fhtc", "valves", "pipes", "tanks", "treatment_units", "pumps", "sources")[::-1]:
            vl = QgsVectorLayer(f"{impact_gpkg}|layername=impact_{name}", f"impact {name.replace('_', ' ')}", "ogr")
            if not vl.isValid():
                raise JalnetError(f"QGIS cannot open layer impact_{name} of {impact_gpkg}")
            style_impact_layer(vl, name, classes)
            layers.append(vl)
        if depth_raster:
            rl = QgsRasterLayer(depth_raster, "flood depth (m)", "gdal")
            if rl.isValid():
                style_depth_raster(rl)
                layers.append(rl)
        project.addMapLayers(layers)
        crs = layers[0].crs()
        project.setCrs(crs)
        extent = QgsRectangle()
        extent.setMinimal()
        for vl in layers:
            if isinstance(vl, QgsVectorLayer) and vl.featureCount():
                extent.combineExtentWith(vl.extent())
        extent.scale(1.08)

        layout = QgsPrintLayout(project)
        layout.initializeDefaults()
        layout.pageCollection().page(0).setPageSize(QgsLayoutSize(PAGE_W, PAGE_H, MM))
        _label(layout, title, 10, 6, 277, 10, 16, bold=True)
        _label(layout, subtitle, 10, 16, 277, 8, 9)
        map_item = QgsLayoutItemMap(layout)
        map_item.attemptSetSceneRect(QRectF(10, 26, 195, 175))
        map_item.setFrameEnabled(True)
        map_item.setCrs(crs)
        map_item.setLayers(layers)  # sources on top, the depth raster at the bottom
        map_item.setExtent(extent)
        layout.addLayoutItem(map_item)
        # One colour key for all asset types (they share the classes), plus the depth ramp.
        legend_root = QgsLayerTree()
        for lyr in layers:
            if lyr.name() in ("impact fhtc", "flood depth (m)"):
                legend_root.addLayer(lyr).setName("Severity" if lyr.name() == "impact fhtc" else lyr.name())
        legend = QgsLayoutItemLegend(layout)
        legend.setTitle("")
        legend.setAutoUpdateModel(False)
        legend.model().setRootGroup(legend_root)
        legend.setLinkedMap(map_item)
        legend.rstyle(QgsLegendStyle.SymbolLabel).setFont(QFont("Sans", 7))
        legend.rstyle(QgsLegendStyle.Subgroup).setFont(QFont("Sans", 8, QFont.Bold))
        layout.addLayoutItem(legend)
        legend.attemptMove(QgsLayoutPoint(210, 26, MM))
        _label(layout, SHAPES, 210, 150, 80, 40, 8)
        scale = QgsLayoutItemScaleBar(layout)
        scale.setLinkedMap(map_item)
        scale.setStyle("Single Box")
        scale.applyDefaultSize()
        scale.setNumberOfSegments(2)
        scale.setNumberOfSegmentsLeft(0)
        scale.setTextFormat(_text_format(7))
        layout.addLayoutItem(scale)
        scale.attemptMove(QgsLayoutPoint(12, 190, MM))
        for heading, table, columns in TABLES:
            _table_page(layout, heading, columns, _table_rows(impact_gpkg, table))
        result = QgsLayoutExporter(layout).exportToPdf(str(pdf_path), QgsLayoutExporter.PdfExportSettings())
        if result != QgsLayoutExporter.Success:
            raise JalnetError(f"QGIS could not write the PDF {pdf_path} (layout export error {result})")
    finally:
        project.clear()
    return str(Path(pdf_path))

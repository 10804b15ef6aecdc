"""Processing algorithm ``jalnet:assessflood``: flood impact on a registry's assets, loaded styled."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter, raster_file

METHODS = ("connectivity", "hydraulic")
class AssessFlood(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    DEPTH = "DEPTH"
    EXTENT = "EXTENT"
    EVENT = "EVENT"
    DATE = "DATE"
    EVENTS = "EVENTS"
    THRESHOLDS = "THRESHOLDS"
    CLASSES = "CLASSES"
    METHOD = "METHOD"
    DEM = "DEM"
    WET_THRESHOLD = "WET_THRESHOLD"
    REPAIR_EXTENT = "REPAIR_EXTENT"
    NODATA = "NODATA"
    NO_NODATA = "NO_NODATA"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    SUMMARY = "SUMMARY"
    PDF = "PDF"

    NAME = "assessflood"
    DISPLAY_NAME = "Assess flood impact"
    GROUP = "Flood"
    GROUP_ID = "flood"
    TAGS = ("flood", "inundation", "depth", "severity", "disaster", "impact", "households", "asdma", "bhuvan")
    HELP = (
        "Overlays a flood on the registry's assets: which sources, pumps, treatment units, tanks, valves, tap "
        "connections and pipes the flood hit, how badly, and which households lose water.\n\n"
        "Flood depth raster: any GDAL raster of depth in metres, in any CRS, with nodata; the assets are sampled "
        "in the raster's own CRS (the raster is never warped), one cell window at a time. Depth at a point is the "
        "value of the cell that contains it; assets off the raster or on nodata get no depth and severity "
        "'no_data', never dry. Pipes get maximum and length-weighted mean depth and flooded length.\n\n"
        "Flood extent: polygons (GeoPackage, shapefile, KML as NRSC/Bhuvan/ASDMA maps come), alone or with a "
        "raster; assets inside without a depth are 'inundated, depth unknown'. Invalid polygons are refused "
        "unless 'Repair invalid extent polygons' is ticked.\n\n"
        "Depth is compared with each asset type's critical height (borewell head, pump motor or panel, plinth, "
        "OHT base, valve chamber, tap platform) and classed low / moderate / high / extreme. Both tables have "
        "documented defaults and can be replaced with CSV or JSON files ('jalnet flood tables --write DIR' writes "
        "them for editing). Assets at or above their critical height are out of service; households that lose "
        "supply are found by network connectivity, or by pressure: the 'hydraulic' method simulates the scheme at "
        "the peak hour with the flooded assets out and counts the households whose junction falls below the "
        "service pressure norm (junctions without an elevation take it from the DEM).\n\n"
        "Several events: give an events CSV (columns event, date, depth, extent); the impact GeoPackage then "
        "holds every event, per-asset history (times flooded, first flooded, maximum depth) and a per-scheme "
        "timeline.\n\n"
        "Outputs: the impact GeoPackage (loaded styled by severity), and optionally the per-scheme/district "
        "summary CSV, an HTML report and a PDF print layout with map and tables. The registry is not changed."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEPTH, self.tr("Flood depth raster (m)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.EXTENT, self.tr("Flood extent polygons"), [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterString(self.EVENT, self.tr("Event name"), optional=True))
        self.addParameter(QgsProcessingParameterDateTime(self.DATE, self.tr("Event date"),
                                                         QgsProcessingParameterDateTime.Date, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.EVENTS, self.tr("Several events: events CSV (event, date, depth, extent) instead of the above"),
            fileFilter=self.tr("CSV (*.csv)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.THRESHOLDS, self.tr("Critical heights (CSV or JSON; defaults when empty)"),
            fileFilter=self.tr("Tables (*.csv *.json)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(
            self.CLASSES, self.tr("Severity classes (CSV or JSON; defaults when empty)"),
            fileFilter=self.tr("Tables (*.csv *.json)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.METHOD, self.tr("Households losing supply by"),
                                                     options=list(METHODS), defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.DEM, self.tr("DEM for the hydraulic method (ground levels of junctions without one)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.WET_THRESHOLD, self.tr("Depths at or below this are dry (m)"), QgsProcessingParameterNumber.Double,
            0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.NODATA, self.tr("Nodata value of the depth raster, when it declares none"),
            QgsProcessingParameterNumber.Double, optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.NO_NODATA, self.tr("The depth raster has no nodata value: every cell is a depth"), False))
        self.addParameter(QgsProcessingParameterBoolean(self.REPAIR_EXTENT, self.tr("Repair invalid extent polygons"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Impact GeoPackage"), fileFilter=self.tr("GeoPackage (*.gpkg)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.SUMMARY, self.tr("Summary per scheme and district (CSV)"), fileFilter=self.tr("CSV (*.csv)"),
            optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Report (HTML)"), fileFilter=self.tr("HTML (*.html)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.PDF, self.tr("Report (PDF print layout)"), fileFilter=self.tr("PDF (*.pdf)"), optional=True,
            createByDefault=False))
        for name, text in (("SCHEMES_AFFECTED", "Schemes affected"), ("HOUSEHOLDS_FLOODED", "Households flooded"),
                           ("HOUSEHOLDS_LOSING_SUPPLY", "Households losing supply"),
                           ("HOUSEHOLDS_AFFECTED", "Households affected"),
                           ("ASSETS_OUT_OF_SERVICE", "Assets out of service")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(f"{text} (last event)")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        events_csv = self.parameterAsFile(parameters, self.EVENTS, context) or None
        depth = raster_file(self.parameterAsRasterLayer(parameters, self.DEPTH, context), context, feedback)
        extent, extent_layer = None, None
        if parameters.get(self.EXTENT) not in (None, ""):
            # A file QGIS's own writers make when the layer is not a GeoPackage or shapefile already.
            extent, extent_layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
                parameters, self.EXTENT, context, ["gpkg", "shp"], "gpkg", feedback)
        date = self.parameterAsDateTime(parameters, self.DATE, context)
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "events_csv": events_csv, "depth": depth, "extent": extent, "extent_layer": extent_layer or None,
                "event": self.parameterAsString(parameters, self.EVENT, context).strip() or None,
                "date": date.date().toString("yyyy-MM-dd") if parameters.get(self.DATE) and date.isValid() else None,
                "summary": self.parameterAsFileOutput(parameters, self.SUMMARY, context) or None,
                "report": self.parameterAsFileOutput(parameters, self.REPORT, context) or None,
                "thresholds": self.parameterAsFile(parameters, self.THRESHOLDS, context) or None,
                "classes": self.parameterAsFile(parameters, self.CLASSES, context) or None,
                "method": METHODS[self.parameterAsEnum(parameters, self.METHOD, context)],
                "wet_threshold": self.parameterAsDouble(parameters, self.WET_THRESHOLD, context),
                "repair_extent": self.parameterAsBoolean(parameters, self.REPAIR_EXTENT, context),
                "nodata": self.parameterAsDouble(parameters, self.NODATA, context)
                if parameters.get(self.NODATA) not in (None, "") else None,
                "no_nodata": self.parameterAsBoolean(parameters, self.NO_NODATA, context),
                "dem": raster_file(self.parameterAsRasterLayer(parameters, self.DEM, context), context, feedback)}

    def finish(self, result: dict[str, Any], parameters: dict[str, Any], context: QgsProcessingContext,
               feedback: QgsProcessingFeedback) -> dict[str, Any]:
        """The PDF is a QGIS print layout, so QGIS writes it from the engine's impact GeoPackage."""
        outputs = dict(result["outputs"])
        pdf = self.parameterAsFileOutput(parameters, self.PDF, context) or None
        if pdf:
            from ..errors import JalnetError
            from ..plugin.flood_layout import export_flood_pdf

            feedback.pushInfo(f"writing the PDF {pdf}")
            try:
                export_flood_pdf(pdf, outputs["OUTPUT"], result["classes"], "Flood impact on water-supply assets",
                                 result.get("subtitle") or "", result.get("raster"))
            except JalnetError as err:
                raise QgsProcessingException(str(err)) from err
        outputs[self.PDF] = pdf
        return outputs

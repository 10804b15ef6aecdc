"""Processing algorithm ``jalnet:assessflood``: flood impact on a registry's assets, loaded styled."""

from __future__ import annotations

from functools import partial
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

from .base import REGISTRY_MODULES, JalnetAlgorithm, RegistryParameter, load_on_completion
from .feedback import ProcessingFeedback

METHODS = ("connectivity", "hydraulic")
#: Impact layers loaded into the project, top to bottom.
LOADED = ("sources", "pumps", "treatment_units", "tanks", "valves", "fhtc", "pipes")
#: Processing holds post-processors by raw pointer; Python must keep them alive until the layers load.
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
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    SUMMARY = "SUMMARY"
    PDF = "PDF"

    NAME = "assessflood"
    DISPLAY_NAME = "Assess flood impact"
    GROUP = "Flood"
    GROUP_ID = "flood"
    TAGS = ("flood", "inundation", "depth", "severity", "disaster", "impact", "households", "asdma", "bhuvan")
    REQUIRES = (*REGISTRY_MODULES, "rasterio", "networkx")
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

    def _events(self, parameters: dict[str, Any], context: QgsProcessingContext) -> list:
        from ..flood import FloodEvent, events_from_csv

        events_csv = self.parameterAsFile(parameters, self.EVENTS, context)
        depth_layer = self.parameterAsRasterLayer(parameters, self.DEPTH, context)
        has_extent = parameters.get(self.EXTENT) not in (None, "")
        if events_csv:
            if depth_layer is not None or has_extent:
                raise QgsProcessingException(self.tr("Give either an events CSV or a raster/extent, not both"))
            return self.run_engine(events_from_csv, events_csv)
        depth = None
        if depth_layer is not None:
            if depth_layer.providerType() != "gdal":
                raise QgsProcessingException(self.tr("The depth raster must be a file QGIS reads with GDAL"))
            depth = depth_layer.source()
        extent, extent_layer = None, None
        if has_extent:
            extent, extent_layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
                parameters, self.EXTENT, context, ["gpkg", "shp"], "gpkg")
            extent_layer = extent_layer or None
        if depth is None and extent is None:
            raise QgsProcessingException(self.tr("Give a flood depth raster, flood extent polygons or an events CSV"))
        date = self.parameterAsDateTime(parameters, self.DATE, context)
        date_text = date.date().toString("yyyy-MM-dd") if parameters.get(self.DATE) and date.isValid() else None
        name = self.parameterAsString(parameters, self.EVENT, context).strip() or None
        return [FloodEvent(depth, extent, name, date_text, 1, extent_layer)]

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        from ..flood import assess_flood
        from ..flood.tables import class_table

        target = self.registry_target(parameters, self.REGISTRY, context)
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        summary = self.parameterAsFileOutput(parameters, self.SUMMARY, context) or None
        report = self.parameterAsFileOutput(parameters, self.REPORT, context) or None
        pdf = self.parameterAsFileOutput(parameters, self.PDF, context) or None
        fb = ProcessingFeedback(feedback)
        result = self.run_engine(
            assess_flood, target, self._events(parameters, context), out, report=report, summary=summary,
            thresholds=self.parameterAsFile(parameters, self.THRESHOLDS, context) or None,
            classes=self.parameterAsFile(parameters, self.CLASSES, context) or None,
            method=METHODS[self.parameterAsEnum(parameters, self.METHOD, context)],
            wet_threshold=self.parameterAsDouble(parameters, self.WET_THRESHOLD, context),
            repair_extent=self.parameterAsBoolean(parameters, self.REPAIR_EXTENT, context),
            overwrite=True, feedback=fb, dem=self._dem(parameters, context),
        )
        classes = class_table(result.classes)
        for note in result.notes + [n for e in result.events for n in e.notes]:
            fb.warning(note)
        for ev in result.events:
            t = result.totals(ev.name)
            fb.info(f"{ev.name}: {t['schemes_affected']} scheme(s) affected, {t['households_flooded']} households "
                    f"flooded, {t['households_losing_supply']} losing supply, {t['assets_out_of_service']} assets "
                    "out of service")
        if pdf:
            from ..plugin.flood_layout import export_flood_pdf

            fb.info(f"writing the PDF {pdf}")
            last = result.events[-1]
            raster = next((h.hazard.raster.path for h in result.hazards if h.name == last.name
                           and h.hazard.raster is not None), None)
            self.run_engine(export_flood_pdf, pdf, str(result.out), classes, "Flood impact on water-supply assets",
                            ", ".join(f"{e.name} {e.date or ''}" for e in result.events), raster)
        self._load_outputs(str(result.out), classes, context)
        outputs: dict[str, Any] = {self.OUTPUT: str(result.out), self.SUMMARY: summary, self.REPORT: report,
                                   self.PDF: pdf}
        t = result.totals()
        outputs.update({"SCHEMES_AFFECTED": t["schemes_affected"], "HOUSEHOLDS_FLOODED": t["households_flooded"],
                        "HOUSEHOLDS_LOSING_SUPPLY": t["households_losing_supply"],
                        "HOUSEHOLDS_AFFECTED": t["households_affected"],
                        "ASSETS_OUT_OF_SERVICE": t["assets_out_of_service"]})
        return outputs

    def _dem(self, parameters: dict[str, Any], context: QgsProcessingContext) -> str | None:
        layer = self.parameterAsRasterLayer(parameters, self.DEM, context)
        if layer is None:
            return None
        if layer.providerType() != "gdal":
            raise QgsProcessingException(self.tr("The DEM must be a file QGIS reads with GDAL"))
        return layer.source()

    def _load_outputs(self, gpkg: str, classes: list[dict[str, Any]], context: QgsProcessingContext) -> None:
        """Queue the impact layers to open styled by severity when the algorithm finishes."""
        from ..plugin.flood_style import style_impact_layer

        for name in LOADED:
            load_on_completion(context, f"{gpkg}|layername=impact_{name}", f"Flood impact: {name.replace('_', ' ')}",
                               partial(style_impact_layer, layer=name, classes=classes), group="impact")

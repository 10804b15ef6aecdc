"""Processing algorithm ``jalnet:geologysection``: a cross-section along a line through nearby boreholes."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter, raster_file
from .geology_striplog import id_list


class GeologySection(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    LINE = "LINE"
    THROUGH = "THROUGH"
    DEM = "DEM"
    CORRIDOR = "CORRIDOR"
    VE = "VE"
    TITLE = "TITLE"
    OUTPUT = "OUTPUT"
    BOREHOLES = "BOREHOLES"
    EXAGGERATION = "EXAGGERATION"

    NAME = "geologysection"
    DISPLAY_NAME = "Cross-section through boreholes"
    GROUP = "Geology"
    GROUP_ID = "geology"
    TAGS = ("geology", "borehole", "section", "cross-section", "fence diagram", "aquifer", "correlation", "dem")
    HELP = (
        "Draws a geological cross-section along a line: the boreholes within the corridor are projected onto "
        "the line and drawn as lithology columns from their collar elevation, the ground comes from the DEM "
        "sampled along the line, and aquifer units are joined between neighbouring boreholes (a unit that "
        "splits into two pinches the clay between them out; a unit with no partner pinches out halfway). The "
        "static water levels are joined as the water table; screens are marked. The vertical exaggeration is "
        "chosen to fit, or set it.\n\n"
        "Section line: the first selected feature of a line layer (tick 'Selected features only'), or its first "
        "feature; draw one in a scratch layer to cut a section anywhere. Or leave the line empty and give two or "
        "more borehole IDs in 'Through boreholes': the line runs through them in that order.\n\n"
        "The section is written as PNG and, next to it, SVG."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterFeatureSource(self.LINE, self.tr("Section line"),
                                                              [QgsProcessing.TypeVectorLine], optional=True))
        self.addParameter(QgsProcessingParameterString(self.THROUGH, self.tr("Or through boreholes (IDs in order)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM for the ground"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.CORRIDOR, self.tr("Corridor: boreholes up to this far "
                                                                              "from the line (m)"),
                                                       QgsProcessingParameterNumber.Double, 250.0, minValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(self.VE, self.tr("Vertical exaggeration (0: fit the page)"),
                                                       QgsProcessingParameterNumber.Double, 0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterString(self.TITLE, self.tr("Title"), optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Section (PNG; SVG beside it)"),
                                                                fileFilter=self.tr("PNG (*.png)")))
        self.addOutput(QgsProcessingOutputNumber(self.BOREHOLES, self.tr("Boreholes in the section")))
        self.addOutput(QgsProcessingOutputNumber(self.EXAGGERATION, self.tr("Vertical exaggeration")))

    def _line(self, parameters: dict[str, Any], context: QgsProcessingContext) -> tuple[str | None, str | None]:
        """(WKT, CRS) of the section line's first feature; the engine puts it in the registry's CRS."""
        source = self.parameterAsSource(parameters, self.LINE, context)
        if source is None:
            return None, None
        feature = next(iter(source.getFeatures(QgsFeatureRequest().setLimit(1))), None)
        if feature is None or not feature.hasGeometry():
            raise QgsProcessingException(self.tr("The section line layer has no (selected) line feature"))
        crs = source.sourceCrs()
        return feature.geometry().asWkt(), (crs.authid() or crs.toWkt()) if crs.isValid() else None

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        wkt, crs = self._line(parameters, context)
        through = id_list(self.parameterAsString(parameters, self.THROUGH, context) or "")
        if wkt is None and not through:
            raise QgsProcessingException(self.tr("Give a section line layer or two or more borehole IDs"))
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "line_wkt": wkt, "line_crs": crs, "through": through,
                "dem": raster_file(self.parameterAsRasterLayer(parameters, self.DEM, context), context, feedback),
                "corridor_m": self.parameterAsDouble(parameters, self.CORRIDOR, context),
                "vertical_exaggeration": self.parameterAsDouble(parameters, self.VE, context) or None,
                "title": self.parameterAsString(parameters, self.TITLE, context) or None}

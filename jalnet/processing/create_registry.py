"""Processing algorithm ``jalnet:createregistry``: a new, empty asset registry GeoPackage."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFileDestination,
)

from .base import JalnetAlgorithm


def crs_for_engine(crs: QgsCoordinateReferenceSystem) -> str:
    """'EPSG:32646' when QGIS knows an authority id, else WKT (the engine explains what is wrong)."""
    return crs.authid() or crs.toWkt()


class CreateRegistry(JalnetAlgorithm):
    OUTPUT = "OUTPUT"
    CRS = "CRS"
    OVERWRITE = "OVERWRITE"

    NAME = "createregistry"
    DISPLAY_NAME = "Create registry"
    HELP = (
        "Creates a new, empty JalNet asset registry: one GeoPackage holding every layer of the registry schema "
        "(schemes, villages, sources, pipes, junctions, valves, tanks, pumps, treatment units, household tap "
        "connections) with their coded values and an empty change log.\n\n"
        "CRS: the projected CRS in metres all geometry is stored in, normally the UTM zone of the district "
        "(EPSG:32643 to EPSG:32647 across India; EPSG:32646 for Assam). Layers loaded later are reprojected "
        "into it.\n\n"
        "An existing file is only replaced when 'Replace an existing file' is ticked.\n\n"
        "Open the new registry from the JalNet registry panel, or fill it with 'Load layers into registry'."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Registry GeoPackage"), fileFilter=self.tr("GeoPackage (*.gpkg)")
            )
        )
        self.addParameter(
            QgsProcessingParameterCrs(self.CRS, self.tr("Coordinate reference system (metres)"), "EPSG:32646")
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Replace an existing file"), defaultValue=False)
        )
        self.addOutput(QgsProcessingOutputString("CRS_AUTHID", self.tr("Registry CRS")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"path": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "crs": crs_for_engine(self.parameterAsCrs(parameters, self.CRS, context)),
                "overwrite": self.parameterAsBoolean(parameters, self.OVERWRITE, context)}

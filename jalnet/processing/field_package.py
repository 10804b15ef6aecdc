"""Processing algorithm ``jalnet:fieldpackage``: a scheme's field package for QField."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputFile,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class FieldPackage(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    DEM = "DEM"
    OVERWRITE = "OVERWRITE"
    OUTPUT = "OUTPUT"
    PROJECT = "PROJECT"

    NAME = "fieldpackage"
    DISPLAY_NAME = "Package a scheme for field capture (QField)"
    GROUP = "Field capture"
    GROUP_ID = "field"
    TAGS = ("field", "qfield", "offline", "capture", "survey", "mobile", "fhtc", "taps", "valves", "photos")
    HELP = (
        "Writes a folder QField opens as it is: field_capture.qgs (relative paths) and field_data.gpkg with the "
        "scheme's assets read-only for reference and capture layers for new pipes (walk them with QField's "
        "tracking), taps, valves and notes with photos. The forms come from the registry's domains (pick lists, "
        "required fields, ranges) with defaults for the scheme ID, the capture date and the device's accuracy.\n\n"
        "A DEM, when given, is cut to the scheme and goes in with a hillshade as offline background. The manifest "
        "(jalnet_field.json) records what each feature was when packaged, so 'Sync a field package' can tell "
        "field edits from office edits. The package holds neither the registry's address or password nor "
        "personal fields (household names, phone numbers)."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Scheme ID")))
        self.addParameter(QgsProcessingParameterFile(self.DEM, self.tr("DEM for the offline background"),
                                                     optional=True, fileFilter="GeoTIFF (*.tif *.tiff)"))
        self.addParameter(QgsProcessingParameterBoolean(self.OVERWRITE, self.tr("Replace the folder's content"),
                                                        False))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, self.tr("Package folder")))
        self.addOutput(QgsProcessingOutputFile(self.PROJECT, self.tr("Field project")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip(),
                "output": self.parameterAsString(parameters, self.OUTPUT, context),
                "dem": self.parameterAsFile(parameters, self.DEM, context) or None,
                "overwrite": self.parameterAsBoolean(parameters, self.OVERWRITE, context)}

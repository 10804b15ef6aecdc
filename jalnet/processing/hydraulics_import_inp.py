"""Processing algorithm ``jalnet:hydraulicsimportinp``: an EPANET .inp into the registry as a scheme."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter
from .create_registry import crs_for_engine


class HydraulicsImportInp(JalnetAlgorithm):
    INPUT = "INPUT"
    REGISTRY = "REGISTRY"
    CRS = "CRS"
    SCHEME = "SCHEME"
    ID_PREFIX = "ID_PREFIX"
    REPLACE = "REPLACE"

    NAME = "hydraulicsimportinp"
    DISPLAY_NAME = "Import EPANET .inp into registry"
    GROUP = "Hydraulics"
    GROUP_ID = "hydraulics"
    TAGS = ("hydraulics", "epanet", "inp", "import", "wntr", "water supply")
    HELP = (
        "Imports an EPANET model into the registry as one scheme, in one batch that can be undone.\n\n"
        "Junctions, reservoirs (as sources with their head), tanks, pipes (vertices become the geometry), pumps and "
        "valves go into the asset layers; everything else EPANET holds (demands and patterns, curves, controls and "
        "rules, options, quality, energy and reaction settings, labels) into the registry's hydraulic tables, so "
        "the scheme exports again to an .inp that simulates the same.\n\n"
        "CRS: the coordinate system the .inp coordinates are in; they are reprojected into the registry's. A model "
        "whose network is incomplete (pipes still to come) imports; it is simulated once connected. When another "
        "scheme already uses the same IDs (1, 2, 3...), give an ID prefix."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.INPUT, self.tr("EPANET .inp file"),
                                                     fileFilter=self.tr("EPANET input (*.inp *.INP)")))
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterCrs(self.CRS, self.tr("CRS of the .inp coordinates"), "EPSG:32646"))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Scheme ID (default: the file name)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(self.ID_PREFIX, self.tr("Prefix for asset IDs"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.REPLACE, self.tr("Replace the scheme if it exists"),
                                                        defaultValue=False))
        self.addOutput(QgsProcessingOutputString("BATCH_ID", self.tr("Batch ID")))
        self.addOutput(QgsProcessingOutputString("SCHEME_ID", self.tr("Scheme ID")))
        self.addOutput(QgsProcessingOutputNumber("PIPES", self.tr("Pipes imported")))
        self.addOutput(QgsProcessingOutputNumber("JUNCTIONS", self.tr("Junctions imported")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"path": self.parameterAsFile(parameters, self.INPUT, context),
                "registry": self.registry_target(parameters, self.REGISTRY, context),
                "crs": crs_for_engine(self.parameterAsCrs(parameters, self.CRS, context)),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip() or None,
                "id_prefix": self.parameterAsString(parameters, self.ID_PREFIX, context).strip(),
                "replace": self.parameterAsBoolean(parameters, self.REPLACE, context)}

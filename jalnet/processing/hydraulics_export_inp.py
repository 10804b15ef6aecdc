"""Processing algorithm ``jalnet:hydraulicsexportinp``: a scheme of the registry as an EPANET .inp."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter
from .create_registry import crs_for_engine
from .hydraulics_build import add_model_parameters, model_inputs

UNITS = ("model's own", "LPS", "LPM", "MLD", "CMH", "CMD", "GPM", "CFS", "MGD", "IMGD", "AFD")


class HydraulicsExportInp(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    UNITS = "UNITS"
    CRS = "CRS"
    DEM = "DEM"
    PARAMS = "PARAMS"
    OUTPUT = "OUTPUT"

    NAME = "hydraulicsexportinp"
    DISPLAY_NAME = "Export EPANET .inp from registry"
    GROUP = "Hydraulics"
    GROUP_ID = "hydraulics"
    TAGS = ("hydraulics", "epanet", "inp", "export", "wntr", "water supply")
    HELP = (
        "Writes a scheme of the registry as an EPANET .inp file, for EPANET or any tool that reads it.\n\n"
        "The model is built from the registry layers and hydraulic tables (as 'Build hydraulic model' does): an "
        "imported .inp comes back with everything it held and simulates the same. Units: the model's own flow "
        "units (those it was imported in; LPS for schemes made in the registry) unless chosen. Coordinates are "
        "written in the registry's CRS unless another is given.\n\n"
        "Scheme: may be left empty when the registry holds one scheme."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Scheme ID"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.UNITS, self.tr("Flow units"), options=list(UNITS),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterCrs(self.CRS, self.tr("CRS of the coordinates written"),
                                                    optional=True))
        add_model_parameters(self)
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("EPANET .inp file"),
                                                                fileFilter=self.tr("EPANET input (*.inp)")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        unit_index = self.parameterAsEnum(parameters, self.UNITS, context)
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip() or None,
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "units": None if unit_index == 0 else UNITS[unit_index],
                "crs": crs_for_engine(crs) if crs.isValid() else None, **model_inputs(self, parameters, context)}

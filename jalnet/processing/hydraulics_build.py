"""Processing algorithm ``jalnet:hydraulicsbuild``: a scheme's WNTR/EPANET model from the registry."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter

PARAMS_HELP = (
    "Model parameters, 'KEY=VALUE' separated by ';', e.g. 'lpcd=70; supply_hours=8; "
    "supply_windows=06:00-10:00,17:00-21:00; persons_per_household=5; roughness_table=/path/c.csv'. Empty: the "
    "scheme's own lpcd and supply hours (else 55 lpcd, continuous supply), each tap's persons (else 5)."
)


def add_model_parameters(alg: JalnetAlgorithm) -> None:
    """The DEM and model-parameter inputs every hydraulics algorithm that builds a model takes."""
    alg.addParameter(QgsProcessingParameterFile(
        "DEM", alg.tr("DEM for nodes without an elevation"), optional=True,
        fileFilter=alg.tr("Rasters (*.tif *.tiff *.vrt *.img *.hgt);;All files (*)")))
    param = QgsProcessingParameterString("PARAMS", alg.tr("Model parameters (KEY=VALUE; ...)"), optional=True)
    param.setHelp(alg.tr(PARAMS_HELP))
    alg.addParameter(param)


def model_inputs(alg: JalnetAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext) -> dict[str, Any]:
    """``dem`` and ``params`` (the engine parses 'KEY=VALUE; ...') from :func:`add_model_parameters`'s inputs."""
    return {"dem": alg.parameterAsFile(parameters, "DEM", context) or None,
            "params": alg.parameterAsString(parameters, "PARAMS", context) or ""}


class HydraulicsBuild(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    DEM = "DEM"
    PARAMS = "PARAMS"
    OUTPUT = "OUTPUT"

    NAME = "hydraulicsbuild"
    DISPLAY_NAME = "Build hydraulic model"
    GROUP = "Hydraulics"
    GROUP_ID = "hydraulics"
    TAGS = ("hydraulics", "epanet", "wntr", "model", "pressure", "water supply", "jal jeevan")
    HELP = (
        "Builds the hydraulic model (WNTR/EPANET) of one scheme from the registry and reports what went into it; "
        "optionally writes it as an EPANET .inp file.\n\n"
        "Pipes take their length from the geometry and their roughness from the pipe, else from material and age "
        "(an editable table); junctions, sources (reservoirs: head_m), tanks (levels, diameter or capacity), pumps "
        "(curve, design point or power) and valves (PRV/PSV/FCV/TCV modelled; sluice and butterfly valves define "
        "the segments for criticality) come from their layers. Connectivity comes from the pipes' from_node and "
        "to_node, else from the snapped geometry. A tank or source standing on a junction takes its place.\n\n"
        "Demand: households x persons per household x lpcd, each tap at its nearest junction, with a diurnal "
        "pattern, or drawn within the supply hours for intermittent supply.\n\n"
        "Nodes without an elevation take it from the DEM (any CRS, bilinear). Anything that would make a "
        "simulation wrong (a pipe without diameter, a tank without levels, a node off the DEM, a node no source "
        "reaches) is refused with the asset named."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Scheme ID")))
        add_model_parameters(self)
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("EPANET .inp file"), fileFilter=self.tr("EPANET input (*.inp)"), optional=True,
            createByDefault=False))
        for name, text in (("JUNCTIONS", "Junctions"), ("PIPES", "Pipes"), ("HOUSEHOLDS", "Households"),
                           ("DEMAND_LPS", "Average demand (l/s)")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))
        self.addOutput(QgsProcessingOutputString("WARNINGS", self.tr("Warnings")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip(),
                **model_inputs(self, parameters, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context) or None}

"""Processing algorithm ``jalnet:hydraulicsrun``: scenarios of one or every scheme, results loaded styled."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter
from .hydraulics_build import add_model_parameters, model_inputs

ENGINES = ("serial", "dask")
#: Results of more runs than this are written but not all loaded into the project.
MAX_LOADED_RUNS = 8


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


class HydraulicsRun(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEMES = "SCHEMES"
    SCENARIOS = "SCENARIOS"
    DEM = "DEM"
    PARAMS = "PARAMS"
    NORMS = "NORMS"
    ENGINE = "ENGINE"
    SCHEDULER = "SCHEDULER"
    WORKERS = "WORKERS"
    LOAD = "LOAD"
    STORE = "STORE"
    OUTPUT = "OUTPUT"

    NAME = "hydraulicsrun"
    DISPLAY_NAME = "Run hydraulic scenarios"
    GROUP = "Hydraulics"
    GROUP_ID = "hydraulics"
    TAGS = ("hydraulics", "epanet", "wntr", "scenario", "pressure", "criticality", "chlorine", "water age", "dask")
    HELP = (
        "Runs hydraulic scenarios of one scheme, several, or every scheme of the registry, and writes the results "
        "to one GeoPackage: pressure, head and demand at nodes; flow, velocity and head loss per pipe (peak hour, "
        "minimum and maximum, and every time step for the temporal controller); findings against the service "
        "norms; households without adequate pressure; the criticality ranking; a comparison table of the "
        "scenarios.\n\n"
        "Scenarios (names, separated by commas; empty: the scheme's stored scenarios, else all standard ones): "
        "peak_hour, eps_24h, design_year, criticality (each pipe and valve-isolated segment closed in turn, ranked "
        "by households cut off), pump_outage, source_outage, water_age, chlorine (a dose at the sources, bulk and "
        "wall decay; where the residual falls below 0.2 mg/l at the taps), and any scenario stored in the "
        "registry ('jalnet hydraulics scenario add').\n\n"
        "Norms: a JSON file such as {\"min_pressure_m\": 7, \"min_velocity_ms\": 0.6, \"max_velocity_ms\": 3, "
        "\"min_chlorine_mg_l\": 0.2}; empty: those defaults.\n\n"
        "Engine: serial runs here; dask runs the schemes in parallel on a local cluster, or on a cluster whose "
        "scheduler address is given (its workers must reach the registry). A scheme that fails is listed in the "
        "'failures' table and the others go on.\n\n"
        f"The styled result layers of up to {MAX_LOADED_RUNS} runs are loaded into the project.\n\n"
        "Each run is kept in the registry (hyd_runs, with the lowest pressure per junction and the highest velocity "
        "per pipe), so 'Data health of the registry' checks the service norms on each scheme's last run."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEMES, self.tr("Scheme IDs (empty: every scheme)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.SCENARIOS, self.tr("Scenarios (empty: stored, else the standard set)"), optional=True))
        add_model_parameters(self)
        self.addParameter(QgsProcessingParameterFile(self.NORMS, self.tr("Service norms (JSON)"), optional=True,
                                                     fileFilter=self.tr("JSON (*.json)")))
        self.addParameter(QgsProcessingParameterEnum(self.ENGINE, self.tr("Engine"), options=list(ENGINES),
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterString(self.SCHEDULER, self.tr("Dask scheduler address"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.WORKERS, self.tr("Local Dask workers (0: one per core)"),
                                                       QgsProcessingParameterNumber.Integer, 0, minValue=0))
        self.addParameter(QgsProcessingParameterBoolean(self.LOAD, self.tr("Load the styled results"),
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterBoolean(self.STORE, self.tr("Keep the runs in the registry"),
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Results GeoPackage"),
                                                                fileFilter=self.tr("GeoPackage (*.gpkg)")))
        self.addOutput(QgsProcessingOutputNumber("RUNS", self.tr("Scenario runs")))
        self.addOutput(QgsProcessingOutputNumber("STORED", self.tr("Runs kept in the registry")))
        self.addOutput(QgsProcessingOutputNumber("FAILURES", self.tr("Failed scheme runs")))
        self.addOutput(QgsProcessingOutputNumber("HOUSEHOLDS_INADEQUATE",
                                                 self.tr("Households without adequate pressure (all runs)")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "schemes": _names(self.parameterAsString(parameters, self.SCHEMES, context) or "") or None,
                "scenarios": _names(self.parameterAsString(parameters, self.SCENARIOS, context) or "") or None,
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "engine": ENGINES[self.parameterAsEnum(parameters, self.ENGINE, context)],
                "workers": self.parameterAsInt(parameters, self.WORKERS, context) or None,
                **model_inputs(self, parameters, context),
                "norms": self.parameterAsFile(parameters, self.NORMS, context) or None,
                "address": self.parameterAsString(parameters, self.SCHEDULER, context).strip() or None,
                "load": self.parameterAsBoolean(parameters, self.LOAD, context),
                "store": self.parameterAsBoolean(parameters, self.STORE, context)}

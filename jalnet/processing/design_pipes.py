"""Processing algorithm ``jalnet:designpipes``: least-cost pipe sizes of a scheme, loaded styled."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter
from .hydraulics_build import add_model_parameters, model_inputs


class DesignPipes(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    CATALOGUE = "CATALOGUE"
    MIN_HEAD = "MIN_HEAD"
    MAX_VELOCITY = "MAX_VELOCITY"
    PEAK_FACTOR = "PEAK_FACTOR"
    APPLY = "APPLY"
    LOAD = "LOAD"
    OUTPUT = "OUTPUT"

    NAME = "designpipes"
    DISPLAY_NAME = "Design pipe sizes"
    GROUP = "Hydraulics"
    GROUP_ID = "hydraulics"
    TAGS = ("hydraulics", "design", "pipe sizing", "least cost", "optimisation", "jaltantra", "boq", "cpheeo", "epanet")
    HELP = (
        "Chooses the pipe diameters of a scheme at least capital cost, to CPHEEO norms: every node keeps the minimum "
        "residual head at the design peak (the scheme's demand grown to the design population, times the peak "
        "factor), no pipe runs faster than the velocity limit, and every pipe class holds the static head. A pipe "
        "may be made of two or more diameters in series. Branched networks are solved exactly as one linear program "
        "(SciPy HiGHS); a looped network is designed for the flow split EPANET gives through its present pipes (a "
        "heuristic, said so in the report). EPANET then simulates the design; the algorithm fails if it disagrees "
        "by more than 0.05 m at any node.\n\n"
        "Catalogue: a CSV with the columns material,pressure_class,nominal_dia_mm,inner_dia_mm,hw_c,cost_inr_per_m,"
        "max_pressure_m; empty: the shipped one (HDPE IS 4984, PVC IS 4985, DI K7 IS 8329) with indicative costs "
        "that a state replaces with its Schedule of Rates.\n\n"
        "Writes the GeoPackage (design_pipes: one row per pipe segment; design_nodes: heads and pressures), a bill "
        "of quantities (…_boq.csv) and a report with a map and the profile of the critical path (…_report.html), "
        "and states the saving against the conventional hand method. 'Apply' writes the chosen pipes into the "
        "registry as one batch (split pipes are cut with a reducer node); undo it with 'Undo a registry batch'."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Scheme ID")))
        self.addParameter(QgsProcessingParameterFile(self.CATALOGUE, self.tr("Pipe catalogue (CSV; empty: shipped)"),
                                                     optional=True, fileFilter=self.tr("CSV (*.csv)")))
        self.addParameter(QgsProcessingParameterNumber(self.MIN_HEAD, self.tr("Minimum residual head (m)"),
                                                       QgsProcessingParameterNumber.Double, 7.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(self.MAX_VELOCITY, self.tr("Velocity limit (m/s)"),
                                                       QgsProcessingParameterNumber.Double, 3.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.PEAK_FACTOR, self.tr("Peak factor (0: CPHEEO's by design population)"),
            QgsProcessingParameterNumber.Double, 0.0, minValue=0.0))
        add_model_parameters(self)
        self.addParameter(QgsProcessingParameterBoolean(self.APPLY, self.tr("Apply the design to the registry"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(self.LOAD, self.tr("Load the styled design layers"),
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Design GeoPackage"),
                                                                fileFilter=self.tr("GeoPackage (*.gpkg)")))
        self.addOutput(QgsProcessingOutputNumber("COST_INR", self.tr("Least-cost design (Rs)")))
        self.addOutput(QgsProcessingOutputNumber("HAND_COST_INR", self.tr("Conventional hand method (Rs)")))
        self.addOutput(QgsProcessingOutputNumber("SAVING_PERCENT", self.tr("Saving (%)")))
        self.addOutput(QgsProcessingOutputString("BOQ", self.tr("Bill of quantities (CSV)")))
        self.addOutput(QgsProcessingOutputString("REPORT", self.tr("Design report (HTML)")))
        self.addOutput(QgsProcessingOutputString("BATCH_ID", self.tr("Registry batch (when applied)")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        peak = self.parameterAsDouble(parameters, self.PEAK_FACTOR, context)
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip(),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "catalogue": self.parameterAsFile(parameters, self.CATALOGUE, context) or None,
                "min_head": self.parameterAsDouble(parameters, self.MIN_HEAD, context),
                "max_velocity": self.parameterAsDouble(parameters, self.MAX_VELOCITY, context),
                "peak_factor": peak if peak > 0 else None,
                "apply": self.parameterAsBoolean(parameters, self.APPLY, context),
                "load": self.parameterAsBoolean(parameters, self.LOAD, context),
                **model_inputs(self, parameters, context)}


def _load_qml(layer: QgsMapLayer, qml: str) -> None:
    layer.loadNamedStyle(qml)

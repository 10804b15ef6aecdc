"""Processing algorithm ``jalnet:datahealth``: every module's checks, scheme scores, the dashboard."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class DataHealth(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    STORE = "STORE"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    SCHEMES = "SCHEMES"

    NAME = "datahealth"
    DISPLAY_NAME = "Data health of the registry"
    GROUP = "Network"
    GROUP_ID = "network"
    TAGS = ("data health", "dashboard", "score", "quality", "completeness", "findings", "division", "district")
    HELP = (
        "Runs every module's checks in one pass: the network rules (NET-001..NET-053), registry completeness "
        "(REG-001..REG-007: taps without household id or sharing one, schemes without source or village, dates in "
        "the future, sources without yield or water-quality record), the litholog rules and the PM Gati Shakti "
        "pre-flight, and the hydraulic service norms (HYD-001..HYD-003: junctions below 7 m, negative pressure, "
        "velocity above 3 m/s) on each scheme's last hydraulic run kept in the registry.\n\n"
        "Scores each scheme 0-100 (worst first), rolls the scores up by division and district, keeps the run in "
        "the registry and compares it with the previous one: new, fixed, still open. Findings accepted as "
        "exceptions in the findings panel are left out.\n\n"
        "Writes a GeoPackage (findings as points and lines for the findings panel, schemes coloured by score, "
        "tables) and an offline HTML dashboard."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Only this scheme (scheme ID)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.STORE, self.tr("Keep the run in the registry"), True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Health layers (GeoPackage)"),
                                                                fileFilter=self.tr("GeoPackage (*.gpkg)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Dashboard (HTML)"), fileFilter=self.tr("HTML (*.html)"), optional=True))
        self.addOutput(QgsProcessingOutputVectorLayer(self.SCHEMES, self.tr("Schemes by score")))
        for name, text in (("ERRORS", "Errors"), ("WARNINGS", "Warnings"), ("NOTES", "Notes"), ("NEW", "New"),
                           ("FIXED", "Fixed")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip() or None,
                "store": self.parameterAsBoolean(parameters, self.STORE, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "report": self.parameterAsFileOutput(parameters, self.REPORT, context) or None}

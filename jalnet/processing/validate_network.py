"""Processing algorithm ``jalnet:validatenetwork``: the rule catalogue over a registry, error layers loaded styled."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class ValidateNetwork(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    SCHEME = "SCHEME"
    RULES = "RULES"
    NEAR_MISS = "NEAR_MISS"
    FHTC_DISTANCE = "FHTC_DISTANCE"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    CSV = "CSV"
    POINTS = "POINTS"
    LINES = "LINES"

    NAME = "validatenetwork"
    DISPLAY_NAME = "Validate pipe network"
    GROUP = "Network"
    GROUP_ID = "network"
    TAGS = ("network", "topology", "validation", "qa", "errors", "data health", "pipes", "dangles", "snapping")
    HELP = (
        "Checks the registry's pipe network against JalNet's rule catalogue (codes NET-001 to NET-053; list them "
        "with 'jalnet network rules'): invalid, empty, multipart, zero-length, tiny and self-intersecting pipes; "
        "duplicate and overlapping pipes; pipes crossing without a node and ends resting on a pipe that was not "
        "split; dangling ends (a dead end at an end cap, tap, valve, tank, source, pump or treatment unit is "
        "fine), unclosed gaps and near misses; junctions off the pipes and wrong from/to node references; "
        "pseudo-nodes; parts of a scheme not connected to it and networks that reach no source or tank; missing "
        "or non-standard diameter and material; diameter growing away from the source or changing without a "
        "reducer; reported length against drawn length; pipes outside the scheme's villages; tap connections "
        "far from any pipe; assets without or with an unknown scheme.\n\n"
        "Writes the findings to a GeoPackage with a point and a line layer (rule, severity, message, asset ids, "
        "scheme, division, fingerprint, status), loaded styled by severity. Step through them in the JalNet "
        "findings panel: zoom to each, mark it fixed, or accept it as an exception (it is then not reported "
        "again).\n\n"
        "Optionally writes the data-health report (HTML) and table (CSV): findings per scheme and division, worst "
        "first.\n\n"
        "Rules: leave empty for all, or give codes or groups separated by commas (e.g. 'Topology,NET-040')."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Only this scheme (scheme ID)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(self.RULES, self.tr("Only these rules (codes or groups)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.NEAR_MISS, self.tr("Near-miss distance: loose ends this close to a pipe are reported (m)"),
            QgsProcessingParameterNumber.Double, 5.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.FHTC_DISTANCE, self.tr("Tap connections farther than this from every pipe are reported (m)"),
            QgsProcessingParameterNumber.Double, 30.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Error layers (GeoPackage)"),
                                                                fileFilter=self.tr("GeoPackage (*.gpkg)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Data-health report (HTML)"), fileFilter=self.tr("HTML (*.html)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.CSV, self.tr("Data-health table (CSV)"), fileFilter=self.tr("CSV (*.csv)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputVectorLayer(self.POINTS, self.tr("Findings (points)")))
        self.addOutput(QgsProcessingOutputVectorLayer(self.LINES, self.tr("Findings (lines)")))
        for name, text in (("ERRORS", "Errors"), ("WARNINGS", "Warnings"), ("NOTES", "Notes"),
                           ("ACCEPTED", "Accepted exceptions left out")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        rules_text = self.parameterAsString(parameters, self.RULES, context).strip()
        near_miss = self.parameterAsDouble(parameters, self.NEAR_MISS, context)
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip() or None,
                "rules": [r for r in rules_text.split(",") if r.strip()] if rules_text else None,
                "params": {"near_miss_m": near_miss, "gap_max_m": min(1.0, near_miss),
                           "fhtc_max_distance_m": self.parameterAsDouble(parameters, self.FHTC_DISTANCE, context)},
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context),
                "report": self.parameterAsFileOutput(parameters, self.REPORT, context) or None,
                "csv": self.parameterAsFileOutput(parameters, self.CSV, context) or None}

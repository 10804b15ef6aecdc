"""Processing algorithm ``jalnet:fieldsync``: a field package's edits into the registry as one batch."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)

from .base import JalnetAlgorithm, RegistryParameter


class FieldSync(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    PACKAGE = "PACKAGE"
    TOLERANCE = "TOLERANCE"
    DRY_RUN = "DRY_RUN"
    BATCH_ID = "BATCH_ID"
    CONFLICTS = "CONFLICTS"

    NAME = "fieldsync"
    DISPLAY_NAME = "Sync a field package (QField)"
    GROUP = "Field capture"
    GROUP_ID = "field"
    TAGS = ("field", "qfield", "offline", "sync", "capture", "photos", "conflict", "fhtc", "valves")
    HELP = (
        "Brings what the field changed in a package (made by 'Package a scheme for field capture') into the "
        "registry as one undoable batch: new pipe walks are cleaned like contractor tracks, staged and snapped "
        "into the network; new taps and valves become assets; moved or edited taps and valves are updated; "
        "photos are stored as attachments of their asset.\n\n"
        "A feature edited in the field that was also changed in the registry after packaging is a conflict: it "
        "is listed by ID and not applied. Syncing the same package again changes nothing."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterFile(self.PACKAGE, self.tr("Field package folder"),
                                                     behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterNumber(self.TOLERANCE,
                                                       self.tr("Snapping tolerance for new pipes (m); 0: derived"),
                                                       QgsProcessingParameterNumber.Double, 0.0, minValue=0.0,
                                                       maxValue=100.0))
        self.addParameter(QgsProcessingParameterBoolean(self.DRY_RUN, self.tr("Dry run: write nothing"), False))
        self.addOutput(QgsProcessingOutputString(self.BATCH_ID, self.tr("Registry batch written")))
        self.addOutput(QgsProcessingOutputNumber(self.CONFLICTS, self.tr("Conflicts (not applied)")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "package": self.parameterAsFile(parameters, self.PACKAGE, context),
                "dry_run": self.parameterAsBoolean(parameters, self.DRY_RUN, context),
                "tolerance": self.parameterAsDouble(parameters, self.TOLERANCE, context)}

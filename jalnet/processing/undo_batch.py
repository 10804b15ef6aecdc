"""Processing algorithm ``jalnet:undobatch``: revert one change-log batch of a registry."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputString,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class UndoBatch(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    BATCH = "BATCH"
    UNDO_BATCH_ID = "UNDO_BATCH_ID"

    NAME = "undobatch"
    DISPLAY_NAME = "Undo registry batch"
    HELP = (
        "Reverts one batch of the registry's change log: features the batch inserted are deleted, features it "
        "deleted come back, and edited features get their old attributes and geometry back, exactly.\n\n"
        "Every JalNet tool writes one batch per run; the registry panel lists them with their IDs (and "
        "'jalnet registry log' on the command line). The undo is itself written as a new batch, so it can be "
        "undone too.\n\n"
        "The undo is refused when a feature of the batch was changed afterwards: undo the later batch first."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.BATCH, self.tr("Batch ID to undo")))
        self.addOutput(QgsProcessingOutputString(self.UNDO_BATCH_ID, self.tr("ID of the undo batch")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "batch": self.parameterAsString(parameters, self.BATCH, context).strip()}

"""Processing algorithm ``jalnet:copyregistry``: copy a registry between GeoPackage and PostGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, is_postgres_url


def _target(value: str) -> str:
    value = value.strip()
    return value if is_postgres_url(value) else str(Path(value).expanduser().resolve())


class CopyRegistry(JalnetAlgorithm):
    SOURCE = "SOURCE"
    DESTINATION = "DESTINATION"
    OVERWRITE = "OVERWRITE"
    OUTPUT = "OUTPUT"
    FEATURES = "FEATURES"

    NAME = "copyregistry"
    DISPLAY_NAME = "Copy registry"
    HELP = (
        "Copies a whole registry, every layer and the change log with the same feature IDs, to a new place. "
        "Use it to move a district's GeoPackage registry into the state PostGIS database, to take a GeoPackage "
        "copy of a PostGIS registry into the field, or to keep a dated backup.\n\n"
        "Source and destination are GeoPackage paths or postgresql://user@host:5432/db?schema=NAME URLs. Keep the "
        "password out of the URL (use a pgpass file or PGPASSWORD): Processing stores parameters in its history.\n\n"
        "The destination must not exist unless 'Replace an existing destination' is ticked. If the copy fails or "
        "is canceled, nothing is left at the destination."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(
            QgsProcessingParameterString(self.SOURCE, self.tr("Source registry (GeoPackage path or postgresql:// URL)"))
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.DESTINATION, self.tr("Destination (new GeoPackage path or postgresql:// URL)")
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.OVERWRITE, self.tr("Replace an existing destination"), defaultValue=False
            )
        )
        self.addOutput(QgsProcessingOutputString(self.OUTPUT, self.tr("Destination registry")))
        self.addOutput(QgsProcessingOutputNumber(self.FEATURES, self.tr("Features copied")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"source": _target(self.parameterAsString(parameters, self.SOURCE, context)),
                "destination": _target(self.parameterAsString(parameters, self.DESTINATION, context)),
                "overwrite": self.parameterAsBoolean(parameters, self.OVERWRITE, context)}

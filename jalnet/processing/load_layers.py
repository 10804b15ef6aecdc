"""Processing algorithm ``jalnet:loadlayers``: insert a file's layers into a registry as one batch."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class LoadLayers(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    INPUT = "INPUT"
    LAYERS = "LAYERS"
    BATCH_ID = "BATCH_ID"
    TOTAL = "TOTAL"
    COUNTS = "COUNTS"

    NAME = "loadlayers"
    DISPLAY_NAME = "Load layers into registry"
    HELP = (
        "Adds the features of a vector file (GeoPackage, shapefile, GeoJSON...) to a JalNet registry.\n\n"
        "Layers are matched by name: a layer called 'pipes' goes into the registry's pipes, 'valves' into valves, "
        "and so on; fields are matched by name too, and fields the registry does not know are ignored with a "
        "warning. Geometry is reprojected into the registry's CRS. To load only some layers, or a layer whose "
        "name differs, list them in 'Only these layers', e.g. 'pipes, valves' or 'final_pipes=pipes'.\n\n"
        "Everything is written as one batch: if any row is refused (a missing pipe_id, a material code that is "
        "not in the list, a duplicate ID...) nothing is written and the message names the layer, row and field. "
        "A loaded batch can be reverted with 'Undo registry batch' or from the registry panel.\n\n"
        "Registry: a GeoPackage, or a postgresql://user@host:5432/db?schema=NAME URL (keep the password out of "
        "the URL: use a pgpass file or the PGPASSWORD variable)."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        # No schema import here: QGIS initialises algorithms at start-up, and importing the
        # registry engine (geopandas, pyproj, pyogrio) then would slow every QGIS start.
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT,
                self.tr("Vector file with layers named like registry layers"),
                behavior=QgsProcessingParameterFile.File,
                fileFilter=self.tr("Vector files (*.gpkg *.shp *.geojson *.json *.kml *.gml *.sqlite);;All files (*)"),
            )
        )
        layers = QgsProcessingParameterString(
            self.LAYERS,
            self.tr("Only these layers (e.g. pipes, valves or final_pipes=pipes)"),
            optional=True,
        )
        layers.setHelp(
            self.tr("e.g. 'pipes, valves' or 'final_pipes=pipes'; empty: every layer named like a registry layer")
        )
        self.addParameter(layers)
        self.addOutput(QgsProcessingOutputString(self.BATCH_ID, self.tr("Batch ID")))
        self.addOutput(QgsProcessingOutputNumber(self.TOTAL, self.tr("Features loaded")))
        self.addOutput(QgsProcessingOutputString(self.COUNTS, self.tr("Features loaded per layer")))

    @staticmethod
    def layer_mapping(text: str) -> dict[str, str] | None:
        """'pipes, final_valves=valves' -> {'pipes': 'pipes', 'final_valves': 'valves'}; '' -> None (all)."""
        mapping: dict[str, str] = {}
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            source, _, target = item.partition("=")
            mapping[source.strip()] = (target or source).strip()
        return mapping or None

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "source": self.parameterAsFile(parameters, self.INPUT, context),
                "layers": self.layer_mapping(self.parameterAsString(parameters, self.LAYERS, context) or "")}

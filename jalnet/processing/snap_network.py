"""Processing algorithm ``jalnet:snapnetwork``: staged contractor pipes snapped into the registry's pipes."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter


class SnapNetwork(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    BATCH = "BATCH"
    TOLERANCE = "TOLERANCE"
    ALLOW_MOVE = "ALLOW_MOVE"
    DRY_RUN = "DRY_RUN"
    OUTPUT = "OUTPUT"
    BATCH_ID = "BATCH_ID"

    NAME = "snapnetwork"
    DISPLAY_NAME = "Snap staged pipes into the network"
    GROUP = "Network"
    GROUP_ID = "network"
    TAGS = ("network", "snap", "topology", "contractor", "gps", "kml", "tracks", "conflation", "pipes")
    HELP = (
        "Turns the staged contractor pipes (from 'Import contractor tracks') into registry pipes connected to the "
        "network, in one change-log batch that can be reviewed and undone.\n\n"
        "Each pipe end goes, within the tolerance, to an existing node first, by priority: tank, source, pump, "
        "treatment unit, valve, junction, bare pipe end; otherwise onto the nearest existing pipe, which is split "
        "there with a new junction. Pieces of one walk cut where the GPS lost its fix are joined, ends still free "
        "are joined to other new pipes or capped (end_cap junction), and an end crossing a pipe by less than the "
        "tolerance is trimmed there. A track running along an existing pipe for most of its length is conflated: "
        "not added, it only fills attributes the pipe lacks. Existing geometry is never moved unless 'Also snap "
        "the registry's own loose ends' is ticked.\n\n"
        "Staged taps and valves become assets in the same batch: a valve on its pipe (split there), a tap "
        "connection on the nearest distribution pipe; repeats of registry assets are conflated.\n\n"
        "Tolerance: left at 0 it is derived from the staged lines (their source, and the GPS error the device "
        "reported or the fixes' spread shows: 2 errors + 8 m for walks) and the log says which and why.\n\n"
        "Dry run: nothing is written; with 'Proposed changes' the new pipes, junctions and splits are written to "
        "a GeoPackage to look at first. Running the snap again changes nothing."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.BATCH, self.tr("Only the staged pipes of import batch"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.TOLERANCE, self.tr("Snapping tolerance (m); 0: derived from the staged lines' source and GPS error"),
            QgsProcessingParameterNumber.Double, 0.0, minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.ALLOW_MOVE, self.tr("Also snap the registry's own loose ends (moves existing geometry)"), False))
        self.addParameter(QgsProcessingParameterBoolean(self.DRY_RUN, self.tr("Dry run: write nothing"), False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Proposed changes (GeoPackage)"), fileFilter=self.tr("GeoPackage (*.gpkg)"),
            optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputString(self.BATCH_ID, self.tr("Registry batch written")))
        for name, text in (("ADDED", "Added"), ("CONFLATED", "Conflated"), ("REJECTED", "Rejected"),
                           ("NEW_PIPES", "New pipes"), ("NEW_JUNCTIONS", "New junctions"),
                           ("SPLIT_PIPES", "Existing pipes split")):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(text)))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "batch": self.parameterAsString(parameters, self.BATCH, context).strip() or None,
                "tolerance": self.parameterAsDouble(parameters, self.TOLERANCE, context),
                "dry_run": self.parameterAsBoolean(parameters, self.DRY_RUN, context),
                "allow_move_existing": self.parameterAsBoolean(parameters, self.ALLOW_MOVE, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context) or None}

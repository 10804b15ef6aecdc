"""Processing algorithm ``jalnet:importtracks``: contractor GPS tracks and KML into staging, cleaned."""

from __future__ import annotations

from functools import partial
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProject,
)

from .base import JalnetAlgorithm, RegistryParameter, apply_layer_style, load_on_completion

STAGED = ("staged_points", "staged_pipes")


class ImportTracks(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    INPUT = "INPUT"
    MAPPING = "MAPPING"
    FIELD_MAP = "FIELD_MAP"
    COLUMNS = "COLUMNS"
    MAX_ACCURACY = "MAX_ACCURACY"
    MAX_SPEED = "MAX_SPEED"
    DRY_RUN = "DRY_RUN"
    LOAD = "LOAD"
    REPORT = "REPORT"

    NAME = "importtracks"
    DISPLAY_NAME = "Import contractor tracks"
    GROUP = "Contractor tracks"
    GROUP_ID = "tracks"
    TAGS = ("gps", "gpx", "kml", "kmz", "csv", "track", "contractor", "clean", "spike", "staging", "pipe", "fhtc")
    HELP = (
        "Reads contractor files and stages their pipes and points in the registry, cleaned, for snapping.\n\n"
        "Files: GPX 1.0/1.1 (tracks, routes, waypoints), KML and KMZ (LineString, MultiGeometry, gx:Track, "
        "gx:MultiTrack, Point placemarks, nested folders, ExtendedData), CSV point logs (track id, latitude, "
        "longitude, time, accuracy: columns found by name), GeoJSON, shapefile, GeoPackage or any GDAL vector file.\n\n"
        "Each track is cleaned: duplicate fixes, standstill clouds, spikes (faster than walking and back within a "
        "few fixes) and fixes reporting an accuracy worse than the limit are dropped; the track is split where the "
        "fix was lost while walking, then smoothed and simplified to a tolerance tied to the GPS accuracy. Every "
        "dropped point is counted with its reason in the log, the report and the candidate's 'dropped' field.\n\n"
        "Lines become candidates in 'Staged pipe candidates', points (taps, valves) in 'Staged point candidates', "
        "all files in one registry batch: undo it with 'Undo registry batch' to remove the whole import.\n\n"
        "Bad input: a file that is damaged, empty, not XML, holds DTD/entity declarations, or a KMZ that tries to "
        "write outside its folder or inflates too much, is refused and contributes nothing. A feature with one "
        "point, coordinates out of range or outside India, or latitude and longitude swapped is dropped with a "
        "message naming the file and the feature; the rest imports.\n\n"
        "Field mapping: attributes such as pipe ID, diameter ('110 mm', '4\"'), material ('HDPE pipe', 'D.I.'), "
        "laid date and scheme are recognised by common names; name others as FIELD=SOURCE pairs (e.g. "
        "pipe_id=PIPE_NO, diameter_mm=Dia) or give a JSON mapping file. CSV columns: ROLE=COLUMN pairs "
        "(lat, lon, time, accuracy, track, ele)."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("Contractor files (GPX, KML, KMZ, CSV, GeoJSON...)"), QgsProcessing.TypeFile))
        self.addParameter(QgsProcessingParameterFile(
            self.MAPPING, self.tr("Field mapping file (JSON)"), behavior=QgsProcessingParameterFile.File,
            fileFilter=self.tr("JSON (*.json)"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.FIELD_MAP, self.tr("Field mapping FIELD=SOURCE, comma separated (e.g. pipe_id=PIPE_NO)"),
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.COLUMNS, self.tr("CSV columns ROLE=COLUMN, comma separated (e.g. lat=Y,lon=X)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_ACCURACY, self.tr("Drop fixes reporting an accuracy worse than (m)"),
            QgsProcessingParameterNumber.Double, 25.0, minValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Fastest plausible walking speed; faster jumps are spikes (m/s)"),
            QgsProcessingParameterNumber.Double, 5.0, minValue=0.5))
        self.addParameter(QgsProcessingParameterBoolean(
            self.DRY_RUN, self.tr("Dry run: check and report, write nothing"), defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            self.LOAD, self.tr("Open the staging layers when done"), defaultValue=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Import report"), self.tr("HTML (*.html)"), optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputString("BATCH_ID", self.tr("Batch ID")))
        self.addOutput(QgsProcessingOutputNumber("PIPES", self.tr("Pipe candidates staged")))
        self.addOutput(QgsProcessingOutputNumber("POINTS", self.tr("Point candidates staged")))
        self.addOutput(QgsProcessingOutputNumber("FILES_IMPORTED", self.tr("Files imported")))
        self.addOutput(QgsProcessingOutputNumber("FILES_REFUSED", self.tr("Files refused")))
        self.addOutput(QgsProcessingOutputNumber("POINTS_DROPPED", self.tr("GPS points dropped while cleaning")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "files": self.parameterAsFileList(parameters, self.INPUT, context),
                "mapping": self.parameterAsFile(parameters, self.MAPPING, context) or None,
                "field_map": self.parameterAsString(parameters, self.FIELD_MAP, context) or "",
                "columns": self.parameterAsString(parameters, self.COLUMNS, context) or "",
                "max_accuracy_m": self.parameterAsDouble(parameters, self.MAX_ACCURACY, context),
                "max_speed_mps": self.parameterAsDouble(parameters, self.MAX_SPEED, context),
                "dry_run": self.parameterAsBoolean(parameters, self.DRY_RUN, context),
                "report": self.parameterAsFileOutput(parameters, self.REPORT, context) or None}

    def finish(self, result: dict[str, Any], parameters: dict[str, Any], context: QgsProcessingContext,
               feedback: QgsProcessingFeedback) -> dict[str, Any]:
        outputs = dict(result["outputs"])
        if outputs.get("BATCH_ID") and self.parameterAsBoolean(parameters, self.LOAD, context):
            self._load_staged(self.registry_target(parameters, self.REGISTRY, context), context)
        return outputs

    def _load_staged(self, target: str, context: QgsProcessingContext) -> None:
        """Queue the staging layers to open, styled, unless the project shows them already."""
        from ..plugin.layers import PROP_LAYER, registry_layers
        from ..registry.schema import layer

        if target.startswith(("postgresql://", "postgres://")):
            return  # PostGIS layers are opened from the registry panel, with the user's credentials
        project = context.project() or QgsProject.instance()
        shown = {lyr.customProperty(PROP_LAYER) for lyr in registry_layers(project, target)}
        for name in STAGED:
            if name not in shown:
                load_on_completion(context, f"{target}|layername={name}", layer(name).title,
                                   partial(apply_layer_style, spec={"kind": "staged", "name": name}), group=name)

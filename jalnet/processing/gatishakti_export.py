"""Processing algorithm ``jalnet:gatishaktiexport``: the PM Gati Shakti package, checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter

#: Format choices in the dialog, and their short names for the engine.
FORMAT_OPTIONS = (("GeoPackage", "gpkg"), ("Shapefile", "shp"), ("GeoJSON", "geojson"), ("KML", "kml"))
PROFILE_DIR = Path(__file__).resolve().parent.parent / "gatishakti" / "profiles"


def bundled_profile_names() -> list[str]:
    """Profiles shipped with the plugin (read from the folder: the engine is imported only when run)."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.json")) or ["default"]


class GatiShaktiExport(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    PROFILE = "PROFILE"
    PROFILE_FILE = "PROFILE_FILE"
    SCHEME = "SCHEME"
    LAYERS = "LAYERS"
    FORMATS = "FORMATS"
    CHECK_ONLY = "CHECK_ONLY"
    OVERWRITE = "OVERWRITE"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    FAULTS = "FAULTS"
    FEATURES = "FEATURES"
    SUMMARY = "SUMMARY"

    NAME = "gatishaktiexport"
    DISPLAY_NAME = "Export for PM Gati Shakti"
    GROUP = "PM Gati Shakti"
    GROUP_ID = "gatishakti"
    TAGS = ("gati shakti", "bisag", "nmp", "national master plan", "export", "shapefile", "kml", "geojson",
            "metadata", "iso 19115", "jal jeevan")
    HELP = (
        "Writes the registry's water-supply layers (pipelines with material, diameter and scheme; sources; tanks; "
        "treatment units; pumps; optionally valves, household tap connections and villages) as one zip package "
        "for the PM Gati Shakti National Master Plan: reprojected to WGS 84 (EPSG:4326), attributes mapped "
        "through a profile, as GeoPackage, Shapefile (10-character field names, UTF-8 .cpg), GeoJSON (RFC 7946) "
        "and KML, with an ISO 19115 metadata record per layer and a manifest of counts and SHA-256 checksums.\n\n"
        "Every feature carries its JJM scheme ID. Names and phone numbers of households are never written.\n\n"
        "A pre-flight check runs first and refuses to write anything when a mandatory value is empty, a code is "
        "not in the profile's list, a geometry cannot be repaired safely, an ID is not unique or a scheme ID is "
        "unknown; the report names each layer, feature and field. Tick 'Only check' to run it alone.\n\n"
        "Profile: a bundled profile ('default' is based on public information; adapt it once BISAG-N's data "
        "dictionary is at hand; 'state_gis_cell_example' shows other names and code lists), or your own JSON/YAML "
        "profile file, which replaces it. Layers: empty for the profile's default layers, names such as "
        "'jjm_pipeline, jjm_fhtc', or '+jjm_fhtc' to add household tap connections (left out unless asked for) to "
        "the defaults.\n\n"
        "An existing package is replaced only when 'Replace an existing package' is ticked, and only once the new "
        "one is complete."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        bundled = bundled_profile_names()
        self.addParameter(QgsProcessingParameterEnum(
            self.PROFILE, self.tr("Profile"), options=bundled,
            defaultValue=bundled.index("default") if "default" in bundled else 0))
        self.addParameter(QgsProcessingParameterFile(
            self.PROFILE_FILE, self.tr("Profile file (JSON or YAML; replaces the profile above)"),
            behavior=QgsProcessingParameterFile.File, fileFilter="Profile (*.json *.yaml *.yml)", optional=True))
        self.addParameter(QgsProcessingParameterString(self.SCHEME, self.tr("Only this scheme ID"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.LAYERS, self.tr("Layers (comma-separated; empty: the profile's defaults; +name adds one)"),
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.FORMATS, self.tr("Formats"), options=[label for label, _ in FORMAT_OPTIONS], allowMultiple=True,
            defaultValue=list(range(len(FORMAT_OPTIONS)))))
        self.addParameter(QgsProcessingParameterBoolean(
            self.CHECK_ONLY, self.tr("Only check (write no package)"), defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            self.OVERWRITE, self.tr("Replace an existing package"), defaultValue=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Package"), fileFilter=self.tr("Zip package (*.zip)"), optional=True,
            createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.REPORT, self.tr("Pre-flight report"), fileFilter=self.tr("HTML (*.html)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber(self.FAULTS, self.tr("Faults found")))
        self.addOutput(QgsProcessingOutputNumber(self.FEATURES, self.tr("Features exported (or checked)")))
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, self.tr("Summary")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        profile = self.parameterAsFile(parameters, self.PROFILE_FILE, context).strip() or \
            bundled_profile_names()[self.parameterAsEnum(parameters, self.PROFILE, context)]
        layers = [x.strip() for x in self.parameterAsString(parameters, self.LAYERS, context).split(",") if x.strip()]
        chosen = self.parameterAsEnums(parameters, self.FORMATS, context)
        return {"registry": self.registry_target(parameters, self.REGISTRY, context), "profile": profile,
                "scheme": self.parameterAsString(parameters, self.SCHEME, context).strip() or None,
                "layers": layers or None, "formats": [FORMAT_OPTIONS[i][1] for i in chosen] or None,
                "check_only": self.parameterAsBoolean(parameters, self.CHECK_ONLY, context),
                "overwrite": self.parameterAsBoolean(parameters, self.OVERWRITE, context),
                "output": self.parameterAsFileOutput(parameters, self.OUTPUT, context) or None,
                "report": self.parameterAsFileOutput(parameters, self.REPORT, context) or None}

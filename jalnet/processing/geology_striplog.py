"""Processing algorithm ``jalnet:geologystriplog``: strip logs of boreholes as PNG and SVG files."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter

FORMATS = (("png", "svg"), ("png",), ("svg",))


def id_list(text: str) -> list[str] | None:
    """'BH-01, BH-02' -> ['BH-01', 'BH-02']; '' -> None (all)."""
    ids = [s.strip() for s in text.replace(";", ",").split(",") if s.strip()]
    return ids or None


class GeologyStripLog(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    BOREHOLES = "BOREHOLES"
    FORMAT = "FORMAT"
    OUTPUT = "OUTPUT"
    FILES = "FILES"

    NAME = "geologystriplog"
    DISPLAY_NAME = "Strip logs"
    GROUP = "Geology"
    GROUP_ID = "geology"
    TAGS = ("geology", "borehole", "litholog", "strip log", "well log", "construction", "casing", "screen")
    HELP = (
        "Draws the strip log of each borehole: depth (m below ground) and elevation (m above MSL), the lithology "
        "column in standard colours and patterns (IS 1498 soil classes, rock types) with the aquifer intervals "
        "marked, the descriptions, the well as built (casing, screens with slot size, gravel pack and seals, "
        "drawn to their diameters), the static water level, the water-quality flags and any validation findings, "
        "and gamma/resistivity curves when LAS logs were imported.\n\n"
        "Files are written as <borehole_id>.png and .svg in the output folder (SVG keeps the text searchable "
        "and scales for print). Leave 'Boreholes' empty for all of them. Selecting a borehole with the Strip log "
        "panel open shows the same drawing in QGIS."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterString(self.BOREHOLES, self.tr("Boreholes (comma-separated IDs; "
                                                                                "empty: all)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.FORMAT, self.tr("Format"),
                                                     options=["PNG and SVG", "PNG", "SVG"], defaultValue=0))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, self.tr("Output folder")))
        self.addOutput(QgsProcessingOutputNumber(self.FILES, self.tr("Files written")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "folder": self.parameterAsString(parameters, self.OUTPUT, context),
                "boreholes": id_list(self.parameterAsString(parameters, self.BOREHOLES, context) or ""),
                "formats": list(FORMATS[self.parameterAsEnum(parameters, self.FORMAT, context)])}

"""Processing algorithm ``jalnet:geologyimport``: borehole field sheets and LAS logs into the registry."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from .base import JalnetAlgorithm, RegistryParameter
from .create_registry import crs_for_engine

SHEETS = "Field sheets (*.csv *.CSV *.xlsx *.xlsm *.txt);;All files (*)"


def split_items(text: str) -> list[str]:
    """'a=b; c=d' or one item per line -> ['a=b', 'c=d']."""
    return [item.strip() for item in text.replace("\n", ";").split(";") if item.strip()]


class GeologyImport(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    BOREHOLES = "BOREHOLES"
    INTERVALS = "INTERVALS"
    CONSTRUCTION = "CONSTRUCTION"
    LAS = "LAS"
    COLUMNS = "COLUMNS"
    TERMS = "TERMS"
    CRS = "CRS"
    REPLACE = "REPLACE"
    MAX_SOURCE_DISTANCE = "MAX_SOURCE_DISTANCE"
    FINDINGS = "FINDINGS"
    IMPORTED = "IMPORTED"
    REFUSED = "REFUSED"
    BATCH_ID = "BATCH_ID"

    NAME = "geologyimport"
    DISPLAY_NAME = "Import lithologs"
    GROUP = "Geology"
    GROUP_ID = "geology"
    TAGS = ("geology", "borehole", "litholog", "lithology", "aquifer", "well", "casing", "screen", "las", "is 1498")
    HELP = (
        "Imports borehole field sheets into the registry: boreholes (collar, depth, water level, yield, water "
        "quality), their lithology intervals and the well construction (casing, screens, gravel pack, seals), "
        "plus LAS geophysical logs (gamma, resistivity).\n\n"
        "Sheets are CSV or Excel (.xlsx). Default columns: boreholes borehole_id, longitude, latitude, "
        "collar_elev_m, drilled_depth_m, swl_m, yield_lpm (optional: source_id, scheme_id, drilled_date, "
        "drilling_method, drawdown_m, arsenic_flag, fluoride_flag, iron_flag); intervals borehole_id, from_m, "
        "to_m, lithology, description, aquifer; construction borehole_id, from_m, to_m, kind, slot_mm, "
        "diameter_mm. Other layouts: 'Column mapping', e.g. 'boreholes:collar_elev_m=RL (m); "
        "intervals:from_m=Top'. An Excel workbook given as the borehole sheet also supplies sheets named "
        "intervals/lithology and construction.\n\n"
        "Lithology words (clay, fine_sand, murrum...) become IS 1498 codes (CL, SM...) or rock types; override "
        "with 'Lithology terms', e.g. 'clay=CI'. An unknown word is kept and reported, never guessed.\n\n"
        "Numbers may carry units ('12.5 m', '40 ft', '10 lps': converted); '12,5' is read as 12.5, but '1,250' "
        "is refused as ambiguous. A borehole is stored whole or not at all: rows that cannot be read refuse "
        "their borehole (the others import) and the findings file says why, with file and row. Boreholes "
        "with gaps, overlaps or screens outside aquifers are stored with their findings flagged. Everything "
        "stored is one registry batch (undo it from the registry panel)."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterFile(self.BOREHOLES, self.tr("Borehole sheet (CSV or Excel)"),
                                                     fileFilter=self.tr(SHEETS)))
        self.addParameter(QgsProcessingParameterFile(self.INTERVALS, self.tr("Lithology interval sheet"),
                                                     fileFilter=self.tr(SHEETS), optional=True))
        self.addParameter(QgsProcessingParameterFile(self.CONSTRUCTION, self.tr("Well construction sheet"),
                                                     fileFilter=self.tr(SHEETS), optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(self.LAS, self.tr("LAS geophysical logs"),
                                                               QgsProcessing.TypeFile, optional=True))
        self.addParameter(QgsProcessingParameterString(self.COLUMNS, self.tr("Column mapping (TABLE:FIELD=COLUMN; …)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString(self.TERMS, self.tr("Lithology terms (WORD=CODE; …)"),
                                                       optional=True))
        # optional so that scripts may leave it out (QGIS 3.22 does not apply a CRS default then)
        self.addParameter(QgsProcessingParameterCrs(self.CRS, self.tr("CRS of the borehole coordinates"),
                                                    "EPSG:4326", optional=True))
        self.addParameter(QgsProcessingParameterBoolean(self.REPLACE, self.tr("Replace boreholes already in the "
                                                                              "registry"), defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SOURCE_DISTANCE, self.tr("Flag boreholes farther than this from their source (m)"),
            QgsProcessingParameterNumber.Double, 100.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.FINDINGS, self.tr("Findings (CSV)"), fileFilter=self.tr("CSV (*.csv)"), optional=True,
            createByDefault=True))
        self.addOutput(QgsProcessingOutputNumber(self.IMPORTED, self.tr("Boreholes imported")))
        self.addOutput(QgsProcessingOutputNumber(self.REFUSED, self.tr("Boreholes refused")))
        self.addOutput(QgsProcessingOutputString(self.BATCH_ID, self.tr("Batch ID")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        return {
            "registry": self.registry_target(parameters, self.REGISTRY, context),
            "boreholes": self.parameterAsFile(parameters, self.BOREHOLES, context),
            "intervals": self.parameterAsFile(parameters, self.INTERVALS, context) or None,
            "construction": self.parameterAsFile(parameters, self.CONSTRUCTION, context) or None,
            "las_files": self.parameterAsFileList(parameters, self.LAS, context),
            "columns": split_items(self.parameterAsString(parameters, self.COLUMNS, context) or ""),
            "terms": split_items(self.parameterAsString(parameters, self.TERMS, context) or ""),
            "crs": crs_for_engine(crs) if crs.isValid() else "EPSG:4326",
            "replace": self.parameterAsBoolean(parameters, self.REPLACE, context),
            "max_source_distance_m": self.parameterAsDouble(parameters, self.MAX_SOURCE_DISTANCE, context),
            "findings_path": self.parameterAsFileOutput(parameters, self.FINDINGS, context) or None,
        }

"""Processing algorithm ``jalnet:geologyvalidate``: litholog findings as a table (and on the boreholes)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from .base import JalnetAlgorithm, RegistryParameter

FIELDS = ("borehole_id", "rule", "severity", "message")


class GeologyValidate(JalnetAlgorithm):
    REGISTRY = "REGISTRY"
    STORE = "STORE"
    MAX_SOURCE_DISTANCE = "MAX_SOURCE_DISTANCE"
    OUTPUT = "OUTPUT"
    FINDINGS = "FINDINGS"
    ERRORS = "ERRORS"

    NAME = "geologyvalidate"
    DISPLAY_NAME = "Validate lithologs"
    GROUP = "Geology"
    GROUP_ID = "geology"
    TAGS = ("geology", "borehole", "litholog", "validation", "aquifer", "screen", "qa")
    HELP = (
        "Checks every borehole in the registry and lists the findings (borehole_id, rule, severity, message):\n"
        "- interval_from_ge_to (error): an interval's top is not above its bottom\n"
        "- interval_overlap (error): lithology intervals overlap\n"
        "- interval_gap (warning): depths not logged (between intervals, at the top, above the drilled depth)\n"
        "- interval_below_depth (error): a lithology or construction interval below the drilled depth\n"
        "- unknown_lithology (warning): a lithology word not in the vocabulary\n"
        "- screen_not_in_aquifer (error): a screen set (partly) outside the aquifer intervals\n"
        "- swl_below_depth (error): static water level below the drilled depth\n"
        "- missing_collar_elevation (warning): no collar elevation\n"
        "- far_from_source / unknown_source (warning): the borehole is far from its linked source, or the "
        "source is not in the registry\n"
        "- no_lithology (warning): no lithology intervals\n\n"
        "Save the findings as CSV, GeoPackage or a temporary table. With 'Store findings on the boreholes' the "
        "boreholes' findings and aquifer fields are refreshed in one registry batch, so the map and the strip "
        "logs show them."
    )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(RegistryParameter(self.REGISTRY, self.tr("Registry (GeoPackage or postgresql:// URL)")))
        self.addParameter(QgsProcessingParameterBoolean(self.STORE, self.tr("Store findings on the boreholes"),
                                                        defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SOURCE_DISTANCE, self.tr("Flag boreholes farther than this from their source (m)"),
            QgsProcessingParameterNumber.Double, 100.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Litholog findings")))
        self.addOutput(QgsProcessingOutputNumber(self.FINDINGS, self.tr("Findings")))
        self.addOutput(QgsProcessingOutputNumber(self.ERRORS, self.tr("Findings of severity error")))

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        return {"registry": self.registry_target(parameters, self.REGISTRY, context),
                "store": self.parameterAsBoolean(parameters, self.STORE, context),
                "max_source_distance_m": self.parameterAsDouble(parameters, self.MAX_SOURCE_DISTANCE, context)}

    def finish(self, result: dict[str, Any], parameters: dict[str, Any], context: QgsProcessingContext,
               feedback: QgsProcessingFeedback) -> dict[str, Any]:
        """The findings into the algorithm's sink (a table QGIS writes where the user chose)."""
        fields = QgsFields()
        for name in FIELDS:
            fields.append(QgsField(name, QVariant.String))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, QgsWkbTypes.NoGeometry)
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for row in result.get("rows") or []:
            feature = QgsFeature(fields)
            feature.setAttributes([None if v is None else str(v) for v in row])
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
        return {self.OUTPUT: dest, **result["outputs"]}

"""What a field package holds: reference layers, capture layers and their fields.

A capture layer is a registry layer cut down to what a field worker records, plus the
bookkeeping fields sync needs: ``capture_uuid`` (one per feature, never reused),
``registry_fid`` (the registry feature an edit belongs to; empty for new features),
``photo`` (path of the photo, relative to the project), ``note``, ``captured_on`` and
``accuracy_m`` (the device's horizontal accuracy when the feature was recorded). Personal
(sensitive) fields of the registry never go into a package.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry.schema import Field, Layer, layer

#: Registry layers copied read-only for reference (those with a geometry and a scheme_id).
REFERENCE_LAYERS: tuple[str, ...] = ("villages", "sources", "treatment_units", "tanks", "pumps", "pipes", "junctions")

#: Fields every capture layer has, besides those of the registry layer it feeds.
EXTRA_FIELDS: tuple[Field, ...] = (
    Field("capture_uuid", "TEXT", "Capture ID (set by the app, never reused)"),
    Field("registry_fid", "INTEGER", "Registry feature this one was packaged from (empty: captured in the field)"),
    Field("photo", "TEXT", "Photo, relative to the project folder"),
    Field("note", "TEXT", "Note from the field"),
    Field("captured_on", "TEXT", "When the feature was recorded (device time)"),
    Field("accuracy_m", "REAL", "Horizontal accuracy of the device position when recorded (m)", min=0),
)

#: Folder of the photos inside the package (QField's default attachment folder).
PHOTO_DIR = "DCIM"
GPKG_NAME = "field_data.gpkg"
PROJECT_NAME = "field_capture.qgs"
MANIFEST_NAME = "jalnet_field.json"


@dataclass(frozen=True)
class CaptureLayer:
    """A layer the field edits: *target* is the registry layer it feeds (None: notes)."""

    name: str
    title: str
    geometry: str
    target: str | None
    fields: tuple[str, ...]  # registry fields of *target* carried in the package
    preload: bool  # the scheme's existing features go in, editable
    style: str | None  # jalnet/styles/<style>.qml

    def registry_layer(self) -> Layer | None:
        return layer(self.target) if self.target else None

    def schema_fields(self) -> list[Field]:
        """Fields in package order: the registry's, then the capture bookkeeping."""
        reg = self.registry_layer()
        own = [reg.field(n) for n in self.fields] if reg else []
        return own + list(EXTRA_FIELDS)


CAPTURE_LAYERS: tuple[CaptureLayer, ...] = (
    CaptureLayer("capture_pipes", "New pipes (walk)", "LINESTRING", "pipes",
                 ("scheme_id", "material", "diameter_mm", "pressure_class", "pipe_function", "laid_date",
                  "contractor", "status"), False, "pipes"),
    CaptureLayer("capture_taps", "Taps (FHTC)", "POINT", "fhtc",
                 ("fhtc_id", "scheme_id", "village_id", "persons", "connected", "status", "pipe_id"), True, "fhtc"),
    CaptureLayer("capture_valves", "Valves", "POINT", "valves",
                 ("valve_id", "scheme_id", "valve_type", "diameter_mm", "normal_status", "pipe_id", "status"), True,
                 "valves"),
    CaptureLayer("capture_notes", "Notes and photos", "POINT", None, (), False, None),
)


def capture_layer(name: str) -> CaptureLayer:
    for cl in CAPTURE_LAYERS:
        if cl.name == name:
            return cl
    raise KeyError(name)


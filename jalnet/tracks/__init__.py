"""Contractor GPS tracks and KML into cleaned pipe and point candidates in the registry.

Python API::

    from jalnet.tracks import import_tracks
    report = import_tracks("scheme.gpkg", ["walk.gpx", "export.kmz", "log.csv"])
    report.batch_id          # the registry batch: undo it to remove the whole import
    report.files[0].points_dropped   # Counter({'spike': 3, 'standstill': 88, ...})

Parsers: :mod:`.gpx`, :mod:`.kml` (KML and KMZ), :mod:`.csvlog`, :mod:`.ogr` (GeoJSON and
any GDAL vector source). Cleaning: :mod:`.clean` (pure functions on arrays). Field
mapping and value parsing: :mod:`.mapping`. The candidates land in the registry layers
``staged_pipes`` and ``staged_points`` (state "staged") for snapping.
"""

from .clean import CleanOptions, CleanResult, clean_track
from .importer import import_tracks
from .mapping import FieldMapping
from .options import ImportOptions
from .report import FileReport, ImportReport
from .sources import expand_paths

__all__ = [
    "CleanOptions",
    "CleanResult",
    "FieldMapping",
    "FileReport",
    "ImportOptions",
    "ImportReport",
    "clean_track",
    "expand_paths",
    "import_tracks",
]

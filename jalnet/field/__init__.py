"""Offline field capture with QField: a scheme's field package out, the field's edits back in.

Python API::

    from jalnet.field import package_scheme, sync_package
    package_scheme("scheme.gpkg", "SCH-001", "out/field_SCH-001", dem="dem.tif")
    # ... the folder goes to QField, comes back with new pipes, taps, photos ...
    report = sync_package("scheme.gpkg", "out/field_SCH-001")     # one undoable batch
    report.conflicts                                               # edited both here and there: not applied
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "package_scheme": "package",
    "PackageResult": "package",
    "sync_package": "sync",
    "SyncReport": "sync",
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)

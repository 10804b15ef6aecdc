"""Import options: cleaning thresholds, the region coordinates must fall in, file-size limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import InputError
from .clean import CleanOptions
from .geo import INDIA_BOUNDS
from .times import IST_HOURS


@dataclass(frozen=True)
class ImportOptions:
    clean: CleanOptions = field(default_factory=CleanOptions)
    bounds: tuple[float, float, float, float] = INDIA_BOUNDS  # lon_min, lat_min, lon_max, lat_max
    max_file_mb: float = 200.0  # larger files are refused unread
    max_kmz_mb: float = 50.0  # a KMZ may inflate to this much
    max_kmz_ratio: float = 100.0  # ... and no member may inflate more than this many times
    hdop_uere_m: float = 5.0  # accuracy = HDOP x this, when a file gives only HDOP
    naive_utc_offset_h: float = IST_HOURS  # times without a zone are local time (GPX: always UTC)
    dry_run: bool = False  # read, clean and report, but write nothing
    max_messages: int = 50  # per file; the rest are counted
    keep_fixes: bool = False  # keep every fix and its fate in the report (for maps and the fixes layer)

    @classmethod
    def from_any(cls, options: ImportOptions | Mapping[str, Any] | None) -> ImportOptions:
        """Options from a flat dict: import option names and cleaning option names alike."""
        if options is None:
            return cls()
        if isinstance(options, ImportOptions):
            return options
        own = {f.name for f in fields(cls)} - {"clean"}
        cleaning = {f.name for f in fields(CleanOptions)}
        unknown = sorted(set(options) - own - cleaning - {"clean"})
        if unknown:
            raise InputError(f"unknown import option(s) {', '.join(unknown)}; known: {', '.join(sorted(own | cleaning))}")
        clean = options.get("clean") or CleanOptions()
        clean = replace(clean, **{k: v for k, v in options.items() if k in cleaning})
        return cls(clean=clean, **{k: v for k, v in options.items() if k in own})

"""What the parsers hand to the importer: tracks and points in WGS 84, with where they came from.

Every parser (GPX, KML/KMZ, CSV, OGR) produces the same small records so that checking,
cleaning and staging are written once. Coordinates stay in lon/lat degrees here; the
importer checks them (range, India, swapped) and projects them into the registry CRS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RawTrack:
    """One line feature: a GPX track or route, a KML placemark's line(s), a CSV track id, an OGR line.

    Parts of one feature (GPX segments, MultiGeometry lines) follow each other in the
    arrays; the cleaner splits where the break between them is a real gap.
    """

    ref: str  # where in the file: folder path / placemark, "trk 2 'BR-02'", "track LOG-1 (rows 2-900)"
    lon: np.ndarray
    lat: np.ndarray
    time: np.ndarray | None = None  # seconds since 1970 (UTC), NaN where a fix has no time
    ele: np.ndarray | None = None
    acc: np.ndarray | None = None  # reported horizontal accuracy (m), NaN where not given
    rows: np.ndarray | None = None  # CSV row number per point, for messages
    name: str | None = None
    description: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    geom_source: str = "unknown"  # a geom_source domain code

    def __len__(self) -> int:
        return len(self.lon)


@dataclass
class RawPoint:
    """One point feature: a GPX waypoint, a KML Point placemark, an OGR point."""

    ref: str
    lon: float
    lat: float
    time: float | None = None  # seconds since 1970 (UTC)
    ele: float | None = None
    name: str | None = None
    description: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DroppedFeature:
    """A feature the parser could not turn into a track or point (a polygon, no coordinates...)."""

    ref: str
    reason: str  # a FEATURE_REASONS key
    message: str
    points: int = 0


@dataclass
class Parsed:
    """Everything read from one file."""

    format: str  # "GPX 1.1", "KML", "KMZ", "CSV", "OGR GeoJSON"...
    tracks: list[RawTrack] = field(default_factory=list)
    points: list[RawPoint] = field(default_factory=list)
    dropped: list[DroppedFeature] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n_features(self) -> int:
        return len(self.tracks) + len(self.points) + len(self.dropped)


#: Why a whole feature was not staged, as shown to the user.
FEATURE_REASONS: dict[str, str] = {
    "one_point": "line with fewer than two points",
    "out_of_range": "coordinates out of range",
    "outside_india": "outside India",
    "swapped_latlon": "latitude and longitude swapped",
    "not_line_or_point": "neither a line nor a point",
    "no_coordinates": "no coordinates",
    "too_short": "nothing left after cleaning",
}

#: Why a GPS point was dropped while cleaning a track.
POINT_REASONS: tuple[str, ...] = ("duplicate", "standstill", "spike", "low_accuracy", "out_of_range", "short_segment")


def clean_text(value: str | None) -> str | None:
    """Text with surrounding whitespace removed; empty text is None."""
    if value is None:
        return None
    text = value.strip()
    return text or None

"""A field worker's day on a packaged scheme, written into the package's GeoPackage.

The edits go in the way QField stores them: rows of the capture layers (SQLite writes
with GeoPackage geometry blobs, the spatial index kept by the triggers) and photo files
in DCIM/. Used by the unit tests (GeoPackage and PostGIS registries) and the QGIS test.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from jalnet.registry import Registry, create_registry, load_layers
from jalnet.registry.gpkgblob import encode, register_functions
from jalnet.samples import sample_path

SCHEME = "4010457"
#: A tiny valid JPEG header and body is not needed: sync stores bytes as they are.
PHOTO_BYTES = b"\xff\xd8\xff\xe0" + b"JalNet test photo " * 50 + b"\xff\xd9"


def sample_registry(target: str) -> Registry:
    from jalnet.demo import sample_crs

    reg = create_registry(target, crs=sample_crs(), overwrite=True)
    load_layers(reg, sample_path("sample_scheme.gpkg"), tool="test")
    return reg


@dataclass
class FieldDay:
    """What the field worker did, for the assertions."""

    walk: shapely.LineString | None = None
    taps: list[str] = field(default_factory=list)  # fhtc_id of the new taps
    photos: list[str] = field(default_factory=list)  # relative paths
    moved_valve: str = ""
    moved_to: tuple[float, float] = (0.0, 0.0)
    conflict_valve: str = ""


def walk_from_end(reg: Registry, length_m: float = 120.0, step_m: float = 5.0, seed: int = 7) -> shapely.LineString:
    """A GPS walk (with ~1 m noise) starting at a dead end of the network and heading away from it."""
    pipes = reg.read("pipes")
    ends = shapely.get_coordinates(shapely.boundary(pipes.geometry.values))
    xy, counts = np.unique(np.round(ends, 2), axis=0, return_counts=True)
    dead = xy[counts == 1]
    centre = np.asarray(shapely.centroid(shapely.union_all(pipes.geometry.values)).coords[0])
    rng = np.random.default_rng(seed)
    net = shapely.union_all(pipes.geometry.values)
    for start in dead[np.argsort(-np.hypot(*(dead - centre).T))]:
        direction = (start - centre) / np.hypot(*(start - centre))
        d = np.arange(0, length_m + step_m, step_m)
        pts = start + np.outer(d, direction)
        pts[1:] += rng.normal(0, 0.8, size=(len(pts) - 1, 2))
        line = shapely.LineString(pts)
        # away from the rest of the network: only its start touches it
        if shapely.distance(shapely.LineString(pts[3:]), net) > 15:
            return line
    raise AssertionError("no dead end to walk from in the sample network")


def _conn(gpkg: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(gpkg)
    register_functions(conn)
    return conn


def field_day(package: Path, reg: Registry, srs_id: int) -> FieldDay:
    """A new pipe walk, three taps with photos, one valve moved and one valve's status edited."""
    day = FieldDay()
    gpkg = package / "field_data.gpkg"
    walk = walk_from_end(reg)
    day.walk = walk
    with _conn(gpkg) as conn:
        conn.execute(
            "INSERT INTO capture_pipes (geom, capture_uuid, scheme_id, material, diameter_mm, status, accuracy_m, "
            "captured_on) VALUES (?, ?, ?, 'HDPE', 63, 'in_service', 4.0, '2026-12-01 10:00:00')",
            (encode([walk], srs_id)[0], str(uuid.uuid4()), SCHEME))
        end = np.asarray(walk.coords[-1])
        for k in range(3):
            tap_id = f"FLD-T-TEST{k}"
            photo = f"DCIM/tap_{k}.jpg"
            (package / photo).write_bytes(PHOTO_BYTES + bytes([k]))
            point = shapely.Point(end + np.array([4.0, 6.0 + 8 * k]))
            conn.execute(
                "INSERT INTO capture_taps (geom, capture_uuid, fhtc_id, scheme_id, status, persons, photo, "
                "accuracy_m, captured_on) VALUES (?, ?, ?, ?, 'functional', 5, ?, 3.5, ?)",
                (encode([point], srs_id)[0], str(uuid.uuid4()), tap_id, SCHEME, photo, f"2026-12-01 10:3{k}:00"))
            day.taps.append(tap_id)
            day.photos.append(photo)
        valves = conn.execute("SELECT fid, valve_id, geom FROM capture_valves ORDER BY fid LIMIT 2").fetchall()
        (fid_a, id_a, _), (fid_b, id_b, _) = valves
        old = reg.read("valves", where={"valve_id": id_a}).geometry.iloc[0]
        day.moved_to = (old.x + 3.0, old.y - 2.0)
        conn.execute("UPDATE capture_valves SET geom = ? WHERE fid = ?",
                     (encode([shapely.Point(*day.moved_to)], srs_id)[0], fid_a))
        conn.execute("UPDATE capture_valves SET normal_status = 'closed' WHERE fid = ?", (fid_b,))
        day.moved_valve, day.conflict_valve = id_a, id_b
    return day

"""Import contractor files into the registry's staging layers, cleaned, as one batch.

Each file is parsed, each feature's coordinates are checked, each track is cleaned, and
the candidates of all files are written together in one registry batch (tool "tracks
import"), whose id every candidate carries in ``import_batch``: one undo removes the whole
import. A file that cannot be read safely is refused and contributes nothing; a bad
feature (one-point line, coordinates out of range, outside India, latitude and longitude
swapped) is dropped with a message naming the file and the feature, and the rest imports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..errors import Canceled, InputError
from ..feedback import Feedback, Steps, check_canceled
from ..registry import Registry, using_registry
from ..registry.retry import retrying
from .clean import clean_track
from .geo import check_coords
from .mapping import FieldMapping, pipe_values, point_values
from .model import Parsed, RawPoint, RawTrack
from .options import ImportOptions
from .report import FileReport, ImportReport, TrackFixes, why_dropped
from .sources import read_source
from .times import iso_utc

TOOL = "tracks import"

_ADVICE = {
    "swapped_latlon": "swap the latitude and longitude columns (CSV: --columns lat=...,lon=...) and import again",
    "outside_india": "check the phone's coordinate format (decimal degrees, WGS 84) and the file",
    "out_of_range": "the app wrote no valid fix; record the line again",
}


@dataclass
class _Staged:
    """Candidates of one file, in order, before they get ids."""

    pipes: list[dict[str, Any]] = field(default_factory=list)
    pipe_geoms: list[Any] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    point_geoms: list[Any] = field(default_factory=list)

    def extend(self, other: _Staged) -> None:
        self.pipes += other.pipes
        self.pipe_geoms += other.pipe_geoms
        self.points += other.points
        self.point_geoms += other.point_geoms


def import_tracks(registry: Registry | str | os.PathLike, paths: Sequence[str | os.PathLike] | str,
                  mapping: FieldMapping | Mapping[str, Any] | str | os.PathLike | None = None,
                  options: ImportOptions | Mapping[str, Any] | None = None,
                  feedback: Feedback | None = None) -> ImportReport:
    """Stage the pipes and points of contractor files; returns what each file gave and lost."""
    opts = ImportOptions.from_any(options)
    fmap = FieldMapping.from_any(mapping)
    files = [str(paths)] if isinstance(paths, (str, os.PathLike)) else [str(p) for p in paths]
    if not files:
        raise InputError("no files given; name GPX, KML/KMZ, CSV or GeoJSON files to import")
    with using_registry(registry, readonly=opts.dry_run) as reg:
        return _import(reg, files, fmap, opts, feedback)


def _import(reg: Registry, files: list[str], fmap: FieldMapping, opts: ImportOptions,
            feedback: Feedback | None) -> ImportReport:
    steps = Steps(feedback, len(files) + 1)
    project = pyproj.Transformer.from_crs("EPSG:4326", reg.crs, always_xy=True)
    before = _imported_before(reg)
    staged = _Staged()
    reports = []
    for path in files:
        name = os.path.basename(path)
        steps.next(f"reading {name}")
        report = FileReport(path, name, max_messages=opts.max_messages)
        reports.append(report)
        try:
            parsed = read_source(path, fmap, opts)
            got = _stage_file(parsed, report, project, fmap, opts, feedback)
        except Canceled:
            raise
        except InputError as err:
            report.refuse(str(err))
        except Exception as err:  # noqa: BLE001 - one unreadable file must not stop the batch
            report.refuse(f"{path}: cannot be read ({type(err).__name__}: {err})")
        else:
            staged.extend(got)
            if name in before:
                report.say(f"{path}: a file of this name was imported before (batch {before[name]}); undo that batch "
                           "if this is the same file")
    steps.next("writing to the registry")
    batch_id = None
    if staged.pipes or staged.points:
        batch_id = retrying(_write)(reg, staged, reports, opts.dry_run)  # another editor in the way: again
    steps.done()
    return ImportReport(reg.target, reports, batch_id, opts.dry_run, reg.epsg)


def _imported_before(reg: Registry) -> dict[str, str]:
    out: dict[str, str] = {}
    for layer in ("staged_pipes", "staged_points"):
        frame = reg.read(layer)
        for source, batch in zip(frame["source_file"], frame["import_batch"]):
            if isinstance(source, str):
                out.setdefault(source, batch)
    return out


def _write(reg: Registry, staged: _Staged, reports: list[FileReport], dry_run: bool) -> str | None:
    names = ", ".join(r.name for r in reports if r.status == "imported")
    description = f"{len(staged.pipes)} pipe and {len(staged.points)} point candidates from {names}"

    def frames(batch_id: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        pipes = gpd.GeoDataFrame(
            [{"candidate_id": f"{batch_id}-L{k:04d}", "import_batch": batch_id, **row}
             for k, row in enumerate(staged.pipes, 1)], geometry=staged.pipe_geoms, crs=reg.crs)
        points = gpd.GeoDataFrame(
            [{"candidate_id": f"{batch_id}-P{k:04d}", "import_batch": batch_id, **row}
             for k, row in enumerate(staged.points, 1)], geometry=staged.point_geoms, crs=reg.crs)
        return pipes, points

    if dry_run:
        frames("dry-run")  # the frames are built (and so checked) but not written
        return None
    with reg.batch(TOOL, description[:500]) as b:
        pipes, points = frames(b.id)
        if len(pipes):
            b.insert("staged_pipes", pipes)
        if len(points):
            b.insert("staged_points", points)
    return b.id


# ---------------------------------------------------------------------------------------
def _stage_file(parsed: Parsed, report: FileReport, project: pyproj.Transformer, fmap: FieldMapping,
                opts: ImportOptions, feedback: Feedback | None) -> _Staged:
    label = report.path
    report.format = parsed.format
    report.features_read = parsed.n_features
    if parsed.n_features == 0:
        raise InputError(f"{label}: holds no tracks, routes, lines or points; check that the right file was exported")
    for note in parsed.notes:
        report.say(f"{label}: {note}")
    for d in parsed.dropped:
        report.drop_feature(d.reason, f"{label}: {d.message}", d.points)
    out = _Staged()
    for k, track in enumerate(parsed.tracks):
        if k % 20 == 0:
            check_canceled(feedback)
        _stage_track(track, report, project, fmap, opts, out)
    for point in parsed.points:
        _stage_point(point, report, project, fmap, opts, out)
    if not out.pipes and not out.points:
        first = next((m for m in report.messages if m.startswith(label)), "")
        raise InputError(f"{label}: nothing usable: {why_dropped(report)}"
                         + (f" (first: {first[len(label) + 2:]})" if first else ""))
    return out


def _stage_track(track: RawTrack, report: FileReport, project: pyproj.Transformer, fmap: FieldMapping,
                 opts: ImportOptions, out: _Staged) -> None:
    label, n = f"{report.path}: {track.ref}", len(track)
    report.points_read += n
    if n == 0:
        report.drop_feature("no_coordinates", f"{label}: no coordinates")
        return
    check = check_coords(track.lon, track.lat, opts.bounds)
    if check.verdict != "ok":
        report.drop_feature(check.verdict, f"{label}: {check.detail}; {_ADVICE[check.verdict]}", n)
        return
    good = np.flatnonzero(check.good)
    bad = n - len(good)
    if bad:
        report.say(f"{label}: {bad} fix(es) out of range or outside India dropped{_rows(track, ~check.good)}")
    if len(good) < 2:
        report.drop_feature("one_point", f"{label}: the line has only one usable point; a pipe needs at least two",
                            bad, "out_of_range")
        report.points_dropped["short_segment"] += len(good)
        return
    pick = slice(None) if bad == 0 else good  # every fix usable (the usual case): no copies of a long walk
    time = None if track.time is None else track.time[pick]
    acc = None if track.acc is None else track.acc[pick]
    x, y = project.transform(track.lon[pick], track.lat[pick])
    result = clean_track(x, y, time, acc, opts.clean)
    if opts.keep_fixes:
        report.fixes.append(TrackFixes(track.ref, x, y, time, acc, result.reason, result.pieces))
    report.points_kept += result.kept()
    report.points_dropped.update(result.dropped())
    if bad:
        report.points_dropped["out_of_range"] += bad
    if not result.pieces:
        summary = ", ".join(f"{v} {k}" for k, v in result.dropped().items())
        report.drop_feature("too_short", f"{label}: nothing left after cleaning ({summary}); the line is shorter than "
                            f"{opts.clean.min_length_m:g} m or all its fixes were faulty")
        return
    values, notes = pipe_values(track.attrs, track.name, track.description, fmap)
    # out-of-range fixes are counted with the piece their neighbours went to
    bad_owner = result.owner[np.clip(np.searchsorted(good, np.flatnonzero(~check.good)), 0, len(good) - 1)]
    many = len(result.pieces) > 1
    if many:
        report.say(f"{label}: split into {len(result.pieces)} pieces ({'; '.join(result.splits)})")
    report.features_kept += 1
    for k, coords in enumerate(result.pieces):
        dropped = result.dropped(k)
        if np.any(bad_owner == k):
            dropped["out_of_range"] = int(np.count_nonzero(bad_owner == k))
        guessed = [] if np.isfinite(result.accuracy_m) else \
            [f"GPS error {result.error_m:.1f} m estimated from the spread of the fixes (none reported)"]
        message = "; ".join(notes + ([f"piece {k + 1} of {len(result.pieces)}: " + "; ".join(result.splits)]
                                     if many else result.splits) + guessed)
        out.pipes.append({
            "source_file": report.name, "source_ref": track.ref + (f" [piece {k + 1}/{len(result.pieces)}]" if many else ""),
            "name": track.name, "description": track.description, **values, "geom_source": track.geom_source,
            "points_in": result.counted(k) + int(np.count_nonzero(bad_owner == k)), "points_kept": result.kept(k),
            "dropped": json.dumps(dropped, sort_keys=True), "accuracy_m": round(result.error_m, 1), "state": "staged",
            "message": message or None,
        })  # fmt: skip
        out.pipe_geoms.append(shapely.linestrings(coords))
        report.pipes += 1


def _rows(track: RawTrack, mask: np.ndarray) -> str:
    if track.rows is None:
        return ""
    rows = track.rows[mask]
    listed = ", ".join(str(r) for r in rows[:5])
    return f" (rows {listed}{f' and {len(rows) - 5} more' if len(rows) > 5 else ''})"


def _stage_point(point: RawPoint, report: FileReport, project: pyproj.Transformer, fmap: FieldMapping,
                 opts: ImportOptions, out: _Staged) -> None:
    label = f"{report.path}: {point.ref}"
    check = check_coords(np.array([point.lon]), np.array([point.lat]), opts.bounds)
    if check.verdict != "ok":
        report.drop_feature(check.verdict, f"{label}: {check.detail}; {_ADVICE[check.verdict]}")
        return
    x, y = project.transform(point.lon, point.lat)
    values, notes = point_values(point.attrs, point.name, point.description, fmap)
    attrs = dict(point.attrs)
    if point.ele is not None:
        attrs.setdefault("elevation_m", f"{point.ele:g}")
    out.points.append({
        "source_file": report.name, "source_ref": point.ref, **values, "name": point.name,
        "description": point.description, "attributes": json.dumps(attrs, ensure_ascii=False, sort_keys=True) if attrs
        else None, "observed": iso_utc(point.time), "state": "staged", "message": "; ".join(notes) or None,
    })  # fmt: skip
    out.point_geoms.append(shapely.Point(x, y))
    report.features_kept += 1
    report.points += 1

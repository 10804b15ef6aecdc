"""Bringing a field package's edits into the registry as one undoable batch.

Every capture feature is compared with the package's baseline (:mod:`.baseline`):

* new pipe walks are cleaned like contractor tracks and staged (``staged_pipes``), then
  snapped into the network, in the same batch;
* new taps and valves are staged (``staged_points``, with their field ID) and promoted
  like contractor points once the walks are in: a tap is linked to the nearest
  distribution pipe, a valve placed on its pipe (split there at a new junction), a
  repeat of an existing asset conflated with it; each staged point says what it became;
* an edited packaged tap or valve updates the asset, unless the registry changed that
  asset after packaging (a conflict: reported by ID, not applied);
* photos become rows of ``attachments`` linked to their asset.

What a feature brought in is recognised by its ``capture_uuid`` (new features) or by the
registry already holding the field's values (edits), so a second sync of the same package
writes nothing. A failure anywhere rolls the whole batch back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..registry import Registry, open_registry
from ..registry.schema import layer
from ..registry.store import Batch
from ..topology.network import positional
from ..topology.snap import promote_in_batch, snap_in_batch
from ..topology.snap_tolerance import fit_tolerance
from ..tracks.clean import clean_track
from .baseline import fingerprint, plain_value
from .layout import CAPTURE_LAYERS, GPKG_NAME, MANIFEST_NAME, CaptureLayer
from .package import FORMAT, package_fields, read_capture

TOOL = "field sync"
_POINT_KIND = {"fhtc": "fhtc", "valves": "valve"}
_LAYER_OF = {v: k for k, v in _POINT_KIND.items()}


@dataclass
class Conflict:
    layer: str
    asset_id: str
    capture_uuid: str
    reason: str


@dataclass
class SyncReport:
    """What a sync did (or, with dry_run, would do)."""

    registry: str
    package_id: str
    dry_run: bool
    batch_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @property
    def exit_code(self) -> int:
        return 1 if self.conflicts else 0

    def summary_line(self) -> str:
        skipped = ("already_synced", "unchanged")
        done = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(self.counts.items()) if v and k not in skipped)
        left = ", ".join(f"{self.counts[k]} {k.replace('_', ' ')}" for k in skipped if self.counts.get(k))
        verb = "would bring in" if self.dry_run else "brought in"
        text = f"field sync {verb}: {done}" if done else "field sync: nothing new to bring in"
        text += f" ({left})" if left else ""
        text += f"; {len(self.conflicts)} conflict(s) not applied" if self.conflicts else ""
        return text + (f" (batch {self.batch_id})" if self.batch_id else "")

    def to_dict(self) -> dict[str, Any]:
        return {"registry": self.registry, "package_id": self.package_id, "dry_run": self.dry_run,
                "batch_id": self.batch_id, "counts": self.counts,
                "conflicts": [c.__dict__ for c in self.conflicts], "messages": self.messages}


@dataclass
class _Plan:
    """The writes of one sync, gathered before the batch opens."""

    pipes: list[dict[str, Any]] = field(default_factory=list)  # staged_pipes rows with geometry
    points: list[dict[str, Any]] = field(default_factory=list)  # staged_points rows with geometry
    carry: list[dict[str, Any]] = field(default_factory=list)  # per point: form values the new asset takes
    updates: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)  # layer -> (fid, values)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    scheme_id: str = ""


def load_manifest(package: Path) -> dict[str, Any]:
    path = package / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{package} has no {MANIFEST_NAME}; give the folder 'jalnet field package' wrote")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path} cannot be read ({err}); copy the package again from the device") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{path} is not a JalNet field package manifest")
    return manifest


def sync_package(registry: Registry | str | os.PathLike, package: str | os.PathLike, dry_run: bool = False,
                 tolerance: float | None = None, feedback: Feedback | None = None) -> SyncReport:
    """Bring the field's edits in *package* into *registry* as one batch (tool "field sync")."""
    folder = Path(package)
    manifest = load_manifest(folder)
    if not (folder / GPKG_NAME).is_file():
        raise InputError(f"{folder} has no {GPKG_NAME}; copy the whole package folder back from the device")
    if isinstance(registry, Registry):
        return _sync(registry, folder, manifest, dry_run, tolerance, feedback)
    with open_registry(registry, readonly=dry_run) as reg:
        return _sync(reg, folder, manifest, dry_run, tolerance, feedback)


def _sync(reg: Registry, folder: Path, manifest: dict[str, Any], dry_run: bool, tolerance: float | None,
          feedback: Feedback | None) -> SyncReport:
    ident = manifest.get("registry", {})
    if ident.get("created") != reg.meta().get("created") or int(ident.get("epsg", -1)) != reg.epsg:
        raise InputError(f"package {folder} was made from another registry (created {ident.get('created')}), not "
                         f"{reg.target}; sync it into the registry it was packaged from")
    steps = Steps(feedback, 3)
    report = SyncReport(reg.target, manifest["package_id"], dry_run)
    steps.next("comparing the field's layers with the package baseline")
    plan = _Plan(scheme_id=str(manifest["scheme_id"]))
    source = f"field:{manifest['package_id']}"
    seen = _already_synced(reg, source)
    for cl in CAPTURE_LAYERS:
        frame = read_capture(folder / GPKG_NAME, cl)
        if frame.crs is not None and reg.crs is not None and frame.crs != reg.crs:
            frame = frame.to_crs(reg.crs)
        baseline = manifest.get("baseline", {}).get(cl.name, {})
        _compare(reg, cl, frame, baseline, folder, source, seen, plan, report)
    if dry_run:
        report.count("pipes_to_snap", len(plan.pipes))
        for p in plan.points:
            report.count(f"{_LAYER_OF[p['kind']]}_added")
        steps.done()
        return report
    steps.next("writing to the registry")
    with reg.batch(TOOL, f"field package {manifest['package_id'][:8]} of scheme {manifest['scheme_id']}") as b:
        _write(b, plan, tolerance, report)
    report.batch_id = b.id if b.n_changes else None
    steps.done()
    return report


def _already_synced(reg: Registry, source: str) -> set[str]:
    """capture_uuids of this package that are in the registry (their batch not undone)."""
    out: set[str] = set()
    for name in ("staged_pipes", "staged_points"):
        frame = reg.read(name, where={"source_file": source})
        out.update(str(ref).split(" ")[0] for ref in frame["source_ref"].dropna())
    att = reg.read("attachments", where={"source": source})
    out.update("photo:" + str(a) for a in att["attachment_id"])
    return out


def _uuid(row: Any, cl: CaptureLayer, package_id: str) -> str:
    value = plain_value(getattr(row, "capture_uuid", None))
    return str(value) if value else f"{package_id}:{cl.name}:{row.Index}"


def _compare(reg: Registry, cl: CaptureLayer, frame: gpd.GeoDataFrame, baseline: dict[str, Any], folder: Path,
             source: str, seen: set[str], plan: _Plan, report: SyncReport) -> None:
    present: set[str] = set()
    package_id = source.split(":", 1)[1]
    for row in frame.itertuples():
        cid = _uuid(row, cl, package_id)
        present.add(cid)
        values = {n: plain_value(getattr(row, n, None)) for n in frame.columns if n != frame.geometry.name}
        geom = row.geometry
        if cid in baseline:
            _edited(reg, cl, cid, values, geom, baseline[cid], folder, source, seen, plan, report)
        elif cid in seen:
            report.count("already_synced")
        else:
            _new(reg, cl, cid, values, geom, folder, source, seen, plan, report)
    gone = [cid for cid in baseline if cid not in present]
    for cid in gone:
        report.messages.append(f"{cl.name}: {baseline[cid]['key']} was deleted in the field; not deleted in the "
                               "registry (delete it there if it is really gone)")


def _edited(reg: Registry, cl: CaptureLayer, cid: str, values: dict[str, Any], geom: Any, base: dict[str, Any],
            folder: Path, source: str, seen: set[str], plan: _Plan, report: SyncReport) -> None:
    if fingerprint(values, package_fields(cl), geom) == base["package"]:
        report.count("unchanged")
        return
    target = layer(cl.target)
    fid = int(base["registry_fid"])
    current = reg.read(target.name, where={"fid": fid})
    if current.empty:
        report.conflicts.append(Conflict(cl.target, str(base["key"]), cid, "deleted in the registry after packaging"))
        return
    now = current.iloc[0]
    wanted = {n: values.get(n) for n in cl.fields}
    if fingerprint(now.to_dict(), list(cl.fields), now.geometry) == fingerprint(wanted, list(cl.fields), geom):
        _photo(cl, cid, values, str(now[target.key]), folder, source, seen, plan, report)
        report.count("already_synced")
        return
    if fingerprint(now.to_dict(), target.field_names, now.geometry) != base["registry"]:
        report.conflicts.append(Conflict(cl.target, str(base["key"]), cid,
                                         "edited in the field and changed in the registry after packaging"))
        return
    if geom is None or shapely.is_empty(geom):
        report.conflicts.append(Conflict(cl.target, str(base["key"]), cid, "geometry removed in the field"))
        return
    plan.updates.setdefault(target.name, []).append((fid, {**wanted, "geometry": geom}))
    report.count(f"{target.name}_updated")
    _photo(cl, cid, values, str(wanted.get(target.key) or now[target.key]), folder, source, seen, plan, report)


def _new(reg: Registry, cl: CaptureLayer, cid: str, values: dict[str, Any], geom: Any, folder: Path, source: str,
         seen: set[str], plan: _Plan, report: SyncReport) -> None:
    if geom is None or shapely.is_empty(geom):
        report.messages.append(f"{cl.name}: feature {cid} has no geometry; not brought in")
        return
    if cl.target == "pipes":
        _new_pipe(cl, cid, values, geom, source, plan, report)
        _photo(cl, cid, values, cid, folder, source, seen, plan, report, layer_name="staged_pipes")
        return
    if cl.target is None:  # a note: its photo and text go to the scheme's attachments
        _photo(cl, cid, values, plan.scheme_id, folder, source, seen, plan, report,
               layer_name="schemes", note_only=True)
        return
    target = layer(cl.target)
    key = values.get(target.key)
    if not key:
        key = f"FLD-{cid[:8]}"
    kind = _POINT_KIND[target.name]
    if not reg.read(target.name, where={target.key: key}).empty or any(
            p["kind"] == kind and p["asset_id"] == key for p in plan.points):
        report.conflicts.append(Conflict(target.name, str(key), cid, f"{target.key} {key} is already in the registry"))
        return
    form = {n: values.get(n) for n in cl.fields if n != target.key and values.get(n) is not None}
    extra = {k: values.get(k) for k in ("accuracy_m", "captured_on", "photo") if values.get(k) is not None}
    plan.points.append({
        "source_file": source, "source_ref": cid, "kind": kind, "asset_id": key,
        "scheme_id": values.get("scheme_id"), "description": values.get("note"),
        "attributes": json.dumps({**form, **extra}, sort_keys=True, default=str) if form or extra else None,
        "observed": _iso(values.get("captured_on")), "state": "staged",
        "message": "captured in the field", "geometry": geom,
    })  # fmt: skip
    plan.carry.append(form)
    _photo(cl, cid, values, str(key), folder, source, seen, plan, report)


def _new_pipe(cl: CaptureLayer, cid: str, values: dict[str, Any], geom: Any, source: str, plan: _Plan,
              report: SyncReport) -> None:
    """Clean the walked line like a contractor track; each kept piece becomes a staged pipe."""
    coords = shapely.get_coordinates(geom)
    acc = values.get("accuracy_m")
    result = clean_track(coords[:, 0], coords[:, 1], None,
                         None if acc is None else np.full(len(coords), float(acc)))
    if not result.pieces:
        report.messages.append(f"capture_pipes: walk {cid} is shorter than a pipe or all its points were faulty; "
                               "not staged")
        report.count("pipes_rejected")
        return
    n = len(result.pieces)
    for k, piece in enumerate(result.pieces):
        plan.pipes.append({
            "source_file": source, "source_ref": cid + (f" [piece {k + 1}/{n}]" if n > 1 else ""),
            "description": values.get("note"), "scheme_id": values.get("scheme_id"),
            "material": values.get("material"), "diameter_mm": values.get("diameter_mm"),
            "pressure_class": values.get("pressure_class"), "laid_date": values.get("laid_date"),
            "contractor": values.get("contractor"), "geom_source": "gps_track", "points_in": len(coords),
            "points_kept": len(result.piece_points[k]), "dropped": json.dumps(result.dropped(k), sort_keys=True),
            "accuracy_m": acc, "state": "staged", "message": "; ".join(result.splits) or None,
            "geometry": shapely.linestrings(piece),
        })  # fmt: skip
    report.count("pipes_staged", n)


def _iso(text: Any) -> str | None:
    if not text:
        return None
    try:
        return pd.Timestamp(str(text)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    except ValueError:
        return None


def _photo(cl: CaptureLayer, cid: str, values: dict[str, Any], asset_id: str, folder: Path, source: str,
           seen: set[str], plan: _Plan, report: SyncReport, layer_name: str | None = None,
           note_only: bool = False) -> None:
    """An attachment row for the feature's photo (or, for a note without photo, its text)."""
    photo, note = values.get("photo"), values.get("note")
    if not photo and not (note_only and note):
        return
    name = Path(str(photo)).name if photo else "note.txt"
    att_id = f"{cid}:{name}"
    if "photo:" + att_id in seen:
        report.count("already_synced")
        return
    if photo:
        path = folder / str(photo)
        if not path.is_file():
            report.messages.append(f"{cl.name}: photo {photo} of {asset_id} is not in the package; copy the DCIM "
                                   "folder back from the device and sync again")
            return
        content = path.read_bytes()
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    else:
        content, mime = str(note).encode(), "text/plain"
    seen.add("photo:" + att_id)
    plan.attachments.append({
        "attachment_id": att_id, "layer": layer_name or cl.target, "asset_id": asset_id, "file_name": name,
        "mime_type": mime, "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(),
        "content": base64.b64encode(content).decode("ascii"), "captured": _iso(values.get("captured_on")),
        "source": source, "note": note,
    })  # fmt: skip
    report.count("photos" if photo else "notes")


def _write(b: Batch, plan: _Plan, tolerance: float | None, report: SyncReport) -> None:
    crs = b.reg.crs
    for name, rows in plan.updates.items():
        frame = gpd.GeoDataFrame([v for _, v in rows], index=pd.Index([f for f, _ in rows], name="fid"),
                                 geometry="geometry", crs=crs)
        b.update_many(name, frame)
    if plan.points:
        b.insert("staged_points", gpd.GeoDataFrame(
            [{"candidate_id": f"{b.id}-P{k:04d}", "import_batch": b.id, **p} for k, p in enumerate(plan.points, 1)],
            geometry="geometry", crs=crs))
    staged = pd.DataFrame()
    if plan.pipes:
        rows = [{"candidate_id": f"{b.id}-L{k:04d}", "import_batch": b.id, **p} for k, p in enumerate(plan.pipes, 1)]
        b.insert("staged_pipes", gpd.GeoDataFrame(rows, geometry="geometry", crs=crs))
        candidate_of: dict[str, str] = {}
        for r in rows:
            candidate_of.setdefault(r["source_ref"].split(" ")[0], r["candidate_id"])
        staged = b.reg.read("staged_pipes", where={"import_batch": b.id, "state": "staged"})
        snapped = snap_in_batch(b, staged, tolerance)
        for key, value in snapped.counts.items():
            if value and key in ("added", "conflated", "rejected", "new_junctions", "split_pipes"):
                report.count(f"pipes_{key}" if key in ("added", "conflated", "rejected") else key, value)
        _link_pipe_photos(plan, candidate_of, snapped.candidates)
    if plan.points:
        _promote(b, plan, fit_tolerance(staged, tolerance).error, report)
    if plan.attachments:
        b.insert("attachments", pd.DataFrame(plan.attachments))


def _promote(b: Batch, plan: _Plan, error: float, report: SyncReport) -> None:
    """The staged taps and valves promoted against the network with the walks in; photos follow."""
    points = positional(b.reg.read("staged_points", where={"import_batch": b.id, "state": "staged"}))
    number = {f"{b.id}-P{k:04d}": k - 1 for k in range(1, len(plan.points) + 1)}
    order = [number[c] for c in points["candidate_id"]]
    promoted, _ = promote_in_batch(b, points, error, {pos: plan.carry[n] for pos, n in enumerate(order)})
    asset_of: dict[tuple[str, str], tuple[str, str]] = {}
    for pos, n in enumerate(order):
        point, state = plan.points[n], promoted.staged[pos]["state"]
        name = _LAYER_OF[point["kind"]]
        report.count(f"{name}_{state}")
        asset_of[(name, point["asset_id"])] = (name, promoted.assets[pos]) if pos in promoted.assets else \
            ("staged_points", str(points["candidate_id"].iloc[pos]))
    for att in plan.attachments:
        if (att["layer"], att["asset_id"]) in asset_of:
            att["layer"], att["asset_id"] = asset_of[(att["layer"], att["asset_id"])]


def _link_pipe_photos(plan: _Plan, candidate_of: dict[str, str], candidates: pd.DataFrame) -> None:
    """A walk's photo belongs to the pipe the walk became once snapping made one, else to its staged candidate."""
    pipe_of = {c: p for c, p in zip(candidates["candidate_id"], candidates["result_pipe_id"]) if isinstance(p, str)}
    for att in plan.attachments:
        if att["layer"] != "staged_pipes" or att["asset_id"] not in candidate_of:
            continue
        cand = candidate_of[att["asset_id"]]
        if cand in pipe_of:
            att.update(layer="pipes", asset_id=pipe_of[cand])
        else:
            att.update(asset_id=cand)

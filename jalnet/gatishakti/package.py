"""The PM Gati Shakti package: checked layers in four formats, metadata, manifest, one zip.

Everything is written into a temporary folder beside the output, zipped to a temporary file
there, and moved onto the output name in one step: a failed or canceled export leaves no
package and never a half-written one, and an existing package is replaced only when asked
(and then only once the new one is complete).

Package layout::

    manifest.json             package, profile, registry, layers, and every file with its sha256
    preflight.html            the pre-flight report the package passed
    profile/<profile file>    the profile as used
    metadata/<layer>.xml      ISO 19115 (ISO 19139 XML) record per layer
    gpkg/<package>.gpkg       all layers
    shp/<layer>.shp ...       one shapefile per layer (.shp .shx .dbf .prj .cpg)
    geojson/<layer>.geojson   RFC 7946, one file per layer
    kml/<layer>.kml           one file per layer, placemarks named by asset ID
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder
from ..registry import Registry, using_registry
from .metadata import layer_record
from .preflight import Preflight, check_export
from .profile import FORMATS, Profile
from .writers import FORMAT_VERSIONS, write_geojson, write_gpkg, write_kml, write_shapefile

MANIFEST_VERSION = 1


class PreflightFailed(InputError):
    """The pre-flight check found faults; nothing was written. ``check`` holds the full report."""

    def __init__(self, check: Preflight, report: Path | None = None) -> None:
        where = f"; report: {report}" if report is not None else ""
        super().__init__(f"{check.summary()}; nothing was written{where}")
        self.check = check


@dataclass
class ExportResult:
    path: Path
    check: Preflight
    manifest: dict[str, Any]
    report: Path | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class _Within:
    """Feedback for a sub-task: its 0-100 % is mapped into the current step of ``steps``."""

    def __init__(self, steps: Steps, feedback: Feedback | None) -> None:
        self.steps = steps
        self.feedback = feedback

    def set_progress(self, percent: float) -> None:
        self.steps.sub(percent / 100.0)

    def info(self, message: str) -> None:
        if self.feedback is not None:
            self.feedback.info(message)

    def warning(self, message: str) -> None:
        if self.feedback is not None:
            self.feedback.warning(message)

    def is_canceled(self) -> bool:
        return self.feedback is not None and self.feedback.is_canceled()


def check_output(out: str | os.PathLike, overwrite: bool) -> Path:
    """The output path, or a refusal before any work is done."""
    path = Path(out).expanduser()
    if path.suffix.lower() != ".zip":
        raise InputError(f"output {path} must end with .zip (the package is one zip file)")
    if path.is_dir():
        raise InputError(f"output {path} is a folder; give a .zip file name")
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists; pick another name or pass --overwrite to replace it")
    return output_folder(path)


def export_package(registry: str | os.PathLike | Registry, out: str | os.PathLike,
                   profile: str | os.PathLike | Profile | None = None, scheme: str | None = None,
                   layers: Sequence[str] | None = None, formats: str | Sequence[str] | None = None,
                   overwrite: bool = False, report: str | os.PathLike | None = None,
                   feedback: Feedback | None = None) -> ExportResult:
    """Check, then write the package; raises :class:`PreflightFailed` (nothing written) on any fault."""
    path = check_output(out, overwrite)
    with using_registry(registry, readonly=True) as reg:
        return _export(reg, path, profile, scheme, layers, formats, overwrite, report, feedback)


def _export(reg: Registry, path: Path, profile: Any, scheme: str | None, layers: Sequence[str] | None,
            formats: Any, overwrite: bool, report: str | os.PathLike | None,
            feedback: Feedback | None) -> ExportResult:
    steps = Steps(feedback, 3)
    steps.next("pre-flight check")
    check = check_export(reg, profile, scheme, layers, formats, feedback=_Within(steps, feedback))
    report_path = check.write_report(report) if report else None
    if not check.ok:
        raise PreflightFailed(check, report_path)
    steps.next(f"writing {', '.join(check.formats)}")
    work = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
    try:
        root = work / "package"
        files = _write_all(root, path.stem, check, steps)
        manifest = build_manifest(path.name, check, root, files, reg)
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
        steps.next("zipping")
        tmp_zip = work / "package.zip"
        _zip(root, tmp_zip)
        check_output(path, overwrite)  # the name may have been taken while we worked
        os.replace(tmp_zip, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps.done()
    if feedback is not None:
        feedback.info(f"wrote {path}: {check.features} features in {len(check.layers)} layers")
    return ExportResult(path, check, manifest, report_path, manifest["files"])


def _write_all(root: Path, package: str, check: Preflight, steps: Steps) -> list[tuple[Path, str, dict[str, int]]]:
    """Every data and metadata file; returns (path, format, {layer: features})."""
    written: list[tuple[Path, str, dict[str, int]]] = []
    counts = {m.spec.name: m.count for m in check.layers}
    layers = check.layers
    for k, fmt in enumerate(check.formats):
        steps.sub(k / (len(check.formats) + 1))
        folder = root / fmt
        folder.mkdir(parents=True)
        label = FORMATS[fmt][0]
        if fmt == "gpkg":
            target = folder / f"{package}.gpkg"
            write_gpkg(target, layers)
            written.append((target, label, counts))
        elif fmt == "shp":
            for layer in layers:
                for part in write_shapefile(folder, layer):
                    written.append((part, label, {layer.spec.name: layer.count}))
        elif fmt == "geojson":
            for layer in layers:
                target = folder / f"{layer.spec.name}.geojson"
                write_geojson(target, layer)
                written.append((target, label, {layer.spec.name: layer.count}))
        elif fmt == "kml":
            for layer in layers:
                written.append((write_kml(folder, layer), label, {layer.spec.name: layer.count}))
    meta = root / "metadata"
    meta.mkdir()
    created = check.checked_at
    versions = [FORMAT_VERSIONS[f] for f in check.formats]
    for layer in layers:
        target = meta / f"{layer.spec.name}.xml"
        target.write_bytes(layer_record(check, layer, package, created, versions))
        written.append((target, "ISO 19139 XML", {layer.spec.name: layer.count}))
    prof_dir = root / "profile"
    prof_dir.mkdir()
    prof_name = Path(check.profile.file).name if check.profile.file != "<profile>" else "profile.json"
    (prof_dir / prof_name).write_text(check.profile.text, encoding="utf-8")
    written.append((prof_dir / prof_name, "profile", {}))
    (root / "preflight.html").write_text(check.html(), encoding="utf-8")
    written.append((root / "preflight.html", "HTML report", {}))
    return written


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(package: str, check: Preflight, root: Path, files: list[tuple[Path, str, dict[str, int]]],
                   reg: Registry) -> dict[str, Any]:
    prof = check.profile
    entries = []
    for path, fmt, layers in files:
        rel = path.relative_to(root).as_posix()
        entries.append({"path": rel, "format": fmt, "layers": layers, "features": sum(layers.values()),
                        "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    entries.sort(key=lambda e: e["path"])
    return {
        "manifest_version": MANIFEST_VERSION,
        "package": package,
        "created": check.checked_at,
        "created_by": f"JalNet {__version__}",
        "profile": {"name": prof.name, "version": prof.version, "title": prof.title, "file": prof.file,
                    "sha256": prof.sha256},
        "registry": check.registry,
        "registry_crs": check.registry_crs,
        "registry_schema_version": reg.schema_version,
        "crs": "EPSG:4326",
        "schemes": check.schemes,
        "formats": list(check.formats),
        "layers": [{
            "name": m.spec.name, "title": m.spec.title, "source": m.spec.source, "geometry": m.spec.geometry,
            "features": m.count, "id_field": m.spec.id_field.name, "scheme_field": m.spec.scheme_field.name,
            "bbox": list(m.bbox) if m.bbox else None, "repaired_geometries": m.repaired,
            "fields": [{"name": f.name, "shp_name": f.shapefile_name, "type": f.type, "length": f.length,
                        "precision": f.precision, "mandatory": f.mandatory, "unique": f.unique}
                       for f in m.spec.exported],
            "withheld_fields": [f.name for f in m.spec.withheld],
        } for m in check.layers],
        "files": entries,
    }


def _zip(root: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(root).as_posix())

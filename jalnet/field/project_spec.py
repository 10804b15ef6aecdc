"""What the field project shows, as plain data, and the QGIS process that writes it.

The engine decides the layers, styles, read-only flags, default values and widgets; a
separate Python process with QGIS (``python -m jalnet.plugin.field_project SPEC OUT``)
turns that into the .qgs, the same way QGIS itself would save it, so the engine never
imports QGIS.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import JalnetError
from ..registry import Registry
from ..registry.schema import layer
from .layout import CAPTURE_LAYERS, GPKG_NAME, PHOTO_DIR, REFERENCE_LAYERS

STYLES = Path(__file__).resolve().parent.parent / "styles"
#: Fields the app fills in; hidden from the form.
HIDDEN_FIELDS = ("fid", "capture_uuid", "registry_fid")
_QGIS_PYTHON = "/usr/bin/python3"
_TIMEOUT_S = 300


def _defaults(target: str | None, scheme_id: str) -> dict[str, str]:
    """QGIS expressions for the default values of a capture layer (applied when a feature is added)."""
    quoted = "'" + scheme_id.replace("'", "''") + "'"
    out = {
        "capture_uuid": "substr(uuid(), 2, 36)",
        "captured_on": "format_date(now(), 'yyyy-MM-dd HH:mm:ss')",
        # QField's position variable; empty on a desktop without a GNSS device
        "accuracy_m": "round(@position_horizontal_accuracy, 1)",
    }
    if target is not None:
        out["scheme_id"] = quoted
        out["status"] = "'functional'" if target == "fhtc" else "'in_service'"
    if target == "fhtc":
        out["fhtc_id"] = "'FLD-T-' || substr(uuid(), 2, 8)"
        out["connected"] = "format_date(now(), 'yyyy-MM-dd')"
    elif target == "valves":
        out["valve_id"] = "'FLD-V-' || substr(uuid(), 2, 8)"
    elif target == "pipes":
        out["laid_date"] = "format_date(now(), 'yyyy-MM-dd')"
    return out


def project_spec(folder: Path, reg: Registry, scheme_id: str, scheme_name: str, rasters: list[Path],
                 extent: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """The project as data: paths relative to *folder*, styles as absolute paths to read."""
    layers = []
    for cl in CAPTURE_LAYERS:
        layers.append({
            "table": cl.name, "name": cl.title, "group": "Field capture", "readonly": False,
            "style": str(STYLES / f"{cl.style}.qml") if cl.style else None,
            "defaults": _defaults(cl.target, scheme_id), "hidden": list(HIDDEN_FIELDS),
            "photo_field": "photo", "aliases": {f.name: f.description for f in cl.schema_fields()},
        })  # fmt: skip
    for name in REFERENCE_LAYERS:
        style = STYLES / f"{name}.qml"
        layers.append({"table": name, "name": f"{layer(name).title} (reference)", "group": "Scheme (read-only)",
                       "readonly": True, "style": str(style) if style.exists() else None})
    return {
        "title": f"JalNet field capture: {scheme_name} ({scheme_id})",
        "epsg": reg.epsg,
        "extent": list(extent) if extent else None,
        "gpkg": GPKG_NAME,
        "photo_dir": PHOTO_DIR,
        "layers": layers,
        "rasters": [{"file": p.name, "name": "Hillshade" if "hillshade" in p.name else "DEM"}
                    for p in sorted(rasters, key=lambda p: "hillshade" not in p.name)],
    }


def qgis_python() -> str:
    """A Python that can import qgis: this one when it can, else the system's."""
    if importlib.util.find_spec("qgis") is not None:
        return sys.executable
    if Path(_QGIS_PYTHON).exists():
        return _QGIS_PYTHON
    raise JalnetError("QGIS's Python (the qgis module) is not available here; install QGIS to write field packages")


def write_project(spec: dict[str, Any], out: Path) -> Path:
    """Write *out* (.qgs) from *spec* in a QGIS process of its own; raises JalnetError with its message."""
    spec_path = out.with_name(".project_spec.json")
    spec_path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run([qgis_python(), "-m", "jalnet.plugin.field_project", str(spec_path), str(out)],
                              env=env, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise JalnetError(f"QGIS took over {_TIMEOUT_S} s to write {out.name}; nothing was written") from None
    finally:
        spec_path.unlink(missing_ok=True)
    if done.returncode != 0 or not out.exists():
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        raise JalnetError(f"QGIS could not write the field project {out.name}: {lines[-1] if lines else 'no message'}")
    return out

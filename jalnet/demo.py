"""The demo: the main job of JalNet run end to end on the bundled sample scheme.

Creates the sample registry in the UTM zone of the data, loads the sample scheme, and
writes ``registry.gpkg``, ``summary.html`` and (when QGIS's Python is available)
``jalnet_demo.qgz`` with the styled layers. Each capability adds its step here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyogrio

from .feedback import Feedback, Steps
from .registry import create_registry, load_layers
from .registry.store import utm_epsg
from .report.html import page
from .report.summary import registry_sections
from .samples import sample_path


@dataclass
class DemoResult:
    out_dir: Path
    registry: Path
    summary: Path
    project: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def sample_crs() -> str:
    """UTM zone of the sample scheme, as a user's registry would be chosen."""
    bounds = pyogrio.read_info(str(sample_path("sample_scheme.gpkg")), layer="pipes")["total_bounds"]
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    return f"EPSG:{utm_epsg(lon, lat)}"


def run_demo(out_dir: str | Path = "out", feedback: Feedback | None = None, project: bool = True) -> DemoResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = Steps(feedback, 4)
    steps.next("creating the sample registry")
    registry_path = out / "registry.gpkg"
    reg = create_registry(registry_path, crs=sample_crs(), overwrite=True)
    with reg:
        steps.next("loading the sample scheme")
        counts = load_layers(reg, sample_path("sample_scheme.gpkg"), feedback=None, tool="demo")
        counts.pop("batch_id", None)
        steps.next("writing the summary")
        scheme = reg.read("schemes")
        subtitle = ", ".join(f"{s.name} ({s.scheme_id})" for s in scheme.itertuples()) or "sample scheme"
        summary = out / "summary.html"
        summary.write_text(page("JalNet demo: sample scheme", subtitle, registry_sections(reg)), encoding="utf-8")
        target = reg.target
    result = DemoResult(out, registry_path, summary, None, counts)
    steps.next("writing the QGIS project")
    if project:
        result.project = _write_project(target, out / "jalnet_demo.qgz", result)
    steps.done()
    return result


def _write_project(registry_target: str, path: Path, result: DemoResult) -> Path | None:
    try:
        from .plugin.project import write_project
    except ImportError as err:
        result.notes.append(f"QGIS project not written: QGIS's Python (qgis) is not available here ({err})")
        return None
    extras = [(str(sample_path("dem.tif")), "DEM (sample)", None)]
    write_project(registry_target, str(path), extra_layers=extras, title="JalNet demo")
    return path

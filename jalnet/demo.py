"""The demo: the main job of JalNet run end to end on the bundled sample scheme.

Creates the sample registry in the UTM zone of the data, loads the sample scheme, lets
every capability engine run its demo step (``jalnet/<engine>/demo.py`` with
``run(ctx: DemoContext) -> None``), and writes ``registry.gpkg``, ``summary.html`` and,
when QGIS's Python is available, ``jalnet_demo.qgz`` with the styled layers (written by
QGIS's Python in a process of its own: the engine never imports QGIS).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio

from .errors import JalnetError
from .feedback import Feedback, Steps
from .registry import create_registry, load_layers, open_registry
from .registry.store import utm_epsg
from .report.html import Section, page
from .report.summary import registry_sections
from .samples import sample_path

#: Engines with a demo step, in the order the main job runs them.
DEMO_STEPS = ("tracks", "hydraulics", "design", "flood", "geology", "gatishakti", "field", "health")


@dataclass
class DemoContext:
    """What a demo step gets and adds to: the registry, the output folder, the report."""

    out_dir: Path
    registry: str
    feedback: Feedback | None
    sections: list[Section] = field(default_factory=list)
    #: extra layers for the QGIS project: (path or URI, display name, QML path or None)
    project_layers: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: lines for the terminal: what each step wrote
    outputs: list[str] = field(default_factory=list)


@dataclass
class DemoResult:
    out_dir: Path
    registry: Path
    summary: Path
    project: Path | None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


def sample_crs() -> str:
    """UTM zone of the sample scheme, as a user's registry would be chosen."""
    bounds = pyogrio.read_info(str(sample_path("sample_scheme.gpkg")), layer="pipes")["total_bounds"]
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    return f"EPSG:{utm_epsg(lon, lat)}"


def _steps() -> list:
    modules = []
    for name in DEMO_STEPS:
        try:
            modules.append(importlib.import_module(f"{__package__}.{name}.demo"))
        except ModuleNotFoundError as err:
            if err.name not in (f"{__package__}.{name}", f"{__package__}.{name}.demo"):
                raise
    return modules


def run_demo(out_dir: str | Path = "out", feedback: Feedback | None = None, project: bool = True) -> DemoResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    engine_steps = _steps()
    steps = Steps(feedback, 4 + len(engine_steps))
    steps.next("creating the sample registry")
    registry_path = out / "registry.gpkg"
    with create_registry(registry_path, crs=sample_crs(), overwrite=True) as reg:
        target = reg.target
        steps.next("loading the sample scheme")
        counts = load_layers(reg, sample_path("sample_scheme.gpkg"), tool="demo")
        counts.pop("batch_id", None)
    ctx = DemoContext(out, target, feedback)
    for module in engine_steps:
        steps.next(f"demo step: {module.__name__.split('.')[-2]}")
        module.run(ctx)
    steps.next("writing the summary")
    with open_registry(target, readonly=True) as reg:
        scheme = reg.read("schemes")
        subtitle = ", ".join(f"{s.name} ({s.scheme_id})" for s in scheme.itertuples()) or "sample scheme"
        sections = registry_sections(reg) + ctx.sections
    summary = out / "summary.html"
    summary.write_text(page("JalNet demo: sample scheme", subtitle, sections), encoding="utf-8")
    result = DemoResult(out, registry_path, summary, None, counts, outputs=ctx.outputs)
    steps.next("writing the QGIS project")
    if project:
        result.project = _write_project(target, out / "jalnet_demo.qgz", ctx, result)
    steps.done()
    return result


def qgis_python() -> str | None:
    """A Python that has QGIS's bindings: ``JALNET_QGIS_PYTHON``, else the system's ``python3``."""
    candidates = [os.environ.get("JALNET_QGIS_PYTHON"), "/usr/bin/python3", shutil.which("python3")]
    for python in dict.fromkeys(c for c in candidates if c):
        try:
            done = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, timeout=60,
                                  env=_qgis_env())
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return python
    return None


def _qgis_env() -> dict[str, str]:
    """QGIS's Python with only JalNet's own folder added: none of the engine's libraries."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    # the project writer asks this engine (this Python, with JalNet) for the registry's layers
    env.setdefault("JALNET_ENGINE", sys.executable)
    return env


def _write_project(registry_target: str, path: Path, ctx: DemoContext, result: DemoResult) -> Path | None:
    """The .qgz, written by QGIS's Python in a process of its own (the engine never imports QGIS)."""
    python = qgis_python()
    if python is None:
        result.notes.append("QGIS project not written: no Python with QGIS's bindings found "
                            "(set JALNET_QGIS_PYTHON to QGIS's Python)")
        return None
    extras = [(str(sample_path("dem.tif")), "DEM (sample)", None)] + ctx.project_layers
    spec = {"registry": registry_target, "out": str(path.resolve()), "extra_layers": extras, "title": "JalNet demo"}
    with tempfile.TemporaryDirectory(prefix="jalnet_project_") as folder:
        spec_path = Path(folder) / "project.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        done = subprocess.run([python, "-m", "jalnet.plugin.project", str(spec_path)], capture_output=True,
                              text=True, env=_qgis_env(), timeout=600)
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or "").splitlines() if ln.strip()]
        raise JalnetError(f"QGIS could not write the project {path}: {lines[-1] if lines else done.returncode}")
    return path

"""Two processes, one rule: QGIS-side code never imports the engine stack; the engine never imports qgis.

Checked in fresh interpreters of this checkout's Python, where every engine library *is*
importable, so only the code's own imports can keep them out.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import jalnet

ROOT = Path(jalnet.__file__).resolve().parent
ENGINE_STACK = ("geopandas", "pyogrio", "fiona", "rasterio", "pyproj", "wntr")


def modules_of(*packages: str) -> list[str]:
    names = []
    for package in packages:
        names.append(f"jalnet.{package}")
        names += [m.name for m in pkgutil.walk_packages([str(ROOT / package)], prefix=f"jalnet.{package}.")]
    return names


def fresh(code: str) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qgis_side_imports_no_engine_library() -> None:
    names = modules_of("plugin", "processing", "engineclient")
    assert "jalnet.plugin.hydraulics_dock" in names and "jalnet.processing.snap_network" in names
    found = fresh(f"""
import importlib, json, sys
from qgis.core import QgsApplication
app = QgsApplication([], False); app.initQgis()
sys.path.append(QgsApplication.pkgDataPath() + "/python/plugins")  # QGIS's own Processing plugin, as in QGIS
for name in {names!r}:
    importlib.import_module(name)
import jalnet
from jalnet.processing.provider import JalnetProvider
provider = JalnetProvider()
QgsApplication.processingRegistry().addProvider(provider)
algs = provider.algorithms()
for alg in algs:
    alg.createInstance().initAlgorithm()
print(json.dumps({{"algorithms": len(algs), "skipped": provider.skipped,
                  "loaded": sorted(m for m in {ENGINE_STACK!r} if m in sys.modules)}}))
""")
    from jalnet.processing.provider import ALGORITHMS

    assert found["algorithms"] == len(ALGORITHMS) and found["skipped"] == []
    assert found["loaded"] == []


def test_engine_side_never_imports_qgis() -> None:
    names = [n for n in modules_of("engine", "registry", "topology", "hydraulics", "flood", "geology", "gatishakti",
                                   "tracks", "report", "cli")]
    found = fresh(f"""
import importlib, json, sys
for name in {names!r}:
    importlib.import_module(name)
from jalnet.engine.jobs import JOBS, run_job
from jalnet.feedback import NullFeedback
for job in sorted(set(v.split(":")[0] for v in JOBS.values())):
    importlib.import_module("jalnet.engine.jobs." + job)
run_job("sleep", {{"seconds": 0}}, NullFeedback())
print(json.dumps({{"qgis": sorted(m for m in sys.modules if m == "qgis" or m.startswith("qgis."))}}))
""")
    assert found["qgis"] == []

"""Benchmark: what running the engine in its own process costs QGIS, cold and warm.

Not a test: run it by hand and read the figures.

    python benchmarks/bench_engine.py            # 3 repeats
    python benchmarks/bench_engine.py --repeat 5

Two jobs on the sample scheme: validate the network (``jalnet:validatenetwork``) and the
peak-hour hydraulic run (``jalnet:hydraulicsrun``, one scenario, DEM for elevations).
Each is timed four ways, every way in processes of its own:

- engine: the engine function called in a Python that has already imported everything
  (the job's own time; the baseline every overhead is measured from);
- CLI: ``jalnet network validate`` / ``jalnet hydraulics run`` (a new Python each time);
- Processing cold: the first ``processing.run`` of a new QGIS process (QGIS's own Python,
  without the engine's libraries): the job runs in an engine process of its own while the
  warm worker starts in the background (desktop QGIS starts it when it loads the plugin);
- Processing warm: the next calls in that QGIS process, after a user's pause (--pause):
  a child forked from the worker, which has the stack imported;
- Processing, no worker (``JALNET_ENGINE_WARM=0``: a new engine process per job, the route
  where fork is not available, e.g. Windows).

Overhead = route time - engine time (medians). Target: warm < 0.5 s, cold < 3 s.
Peak RSS is each process's ru_maxrss (the QGIS process; its engine children apart).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGINE = Path(sys.executable).with_name("jalnet")
QGIS_PYTHON = os.environ.get("JALNET_QGIS_PYTHON", "/usr/bin/python3")


def setup(work: Path) -> dict[str, str]:
    from jalnet.registry import create_registry, load_layers
    from jalnet.samples import sample_path

    work.mkdir(parents=True, exist_ok=True)
    registry = work / "registry.gpkg"
    with create_registry(registry, crs="EPSG:32646", overwrite=True) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
    return {"registry": str(registry), "dem": str(sample_path("dem.tif")), "work": str(work)}


def processing_params(job: str, paths: dict[str, str], i: int) -> dict[str, object]:
    if job == "validate":
        return {"REGISTRY": paths["registry"], "OUTPUT": f"{paths['work']}/findings_p{i}.gpkg"}
    return {"REGISTRY": paths["registry"], "SCENARIOS": "peak_hour", "DEM": paths["dem"], "LOAD": False,
            "OUTPUT": f"{paths['work']}/hydraulics_p{i}.gpkg"}


ENGINE_CODE = """
import json, resource, statistics, sys, time
from jalnet.topology import validate
from jalnet.hydraulics.scenarios import run_scenario
paths, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
def once(job, i):
    t = time.perf_counter()
    if job == "validate":
        validate(paths["registry"]).write(f"{paths['work']}/findings_e{i}.gpkg")
    else:
        run_scenario(paths["registry"], "4010457", "peak_hour", out=f"{paths['work']}/hydraulics_e{i}.gpkg",
                     dem=paths["dem"])
    return time.perf_counter() - t
out = {}
for job in ("validate", "peak_hour"):
    once(job, 0)  # imports and caches warm
    out[job] = statistics.median(once(job, i) for i in range(1, repeat + 1))
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

QGIS_CODE = """
import json, os, resource, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import QgsApplication
app = QgsApplication([], False); app.initQgis()
sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
from processing.core.Processing import Processing
Processing.initialize()
import processing
from jalnet.processing.provider import JalnetProvider
provider = JalnetProvider()  # kept: the registry does not own a Python object
QgsApplication.processingRegistry().addProvider(provider)
alg, params_list, PAUSE = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
from jalnet.engineclient import client
times = []
for i, params in enumerate(params_list):
    t = time.perf_counter()
    processing.run(alg, params)
    times.append(time.perf_counter() - t)
    if i == 0 and client.warm_enabled():
        client.wait_ready()  # the worker the first call started in the background
        time.sleep(PAUSE)  # a user's pause between two runs: the worker finishes preloading
stack = sorted(m for m in ("geopandas", "pyogrio", "pyproj", "rasterio", "wntr") if m in sys.modules)
print(json.dumps({"times": times, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "engine_libs_in_qgis": stack}))
os._exit(0)
"""


def run_json(args: list[str], env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_times(job: str, paths: dict[str, str], repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        if job == "validate":
            args = [str(ENGINE), "-q", "network", "validate", "--registry", paths["registry"], "--out",
                    f"{paths['work']}/findings_c{i}.gpkg", "--fail-on", "never"]
        else:
            args = [str(ENGINE), "-q", "hydraulics", "run", "--registry", paths["registry"], "--scenario",
                    "peak_hour", "--engine", "serial", "--dem", paths["dem"],
                    "--out", f"{paths['work']}/hydraulics_c{i}.gpkg"]
        t = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise SystemExit(f"CLI failed: {done.stderr[-2000:]}")
    return times


def qgis_env(warm: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYTHONPATH=str(ROOT), JALNET_ENGINE=str(ENGINE), QT_QPA_PLATFORM="offscreen",
               JALNET_ENGINE_WARM="1" if warm else "0")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/jalnet_bench_engine")
    parser.add_argument("--pause", type=float, default=3.0,
                        help="seconds between the first and the next runs in one QGIS (default 3)")
    args = parser.parse_args()
    if not ENGINE.exists() or not shutil.which(QGIS_PYTHON):
        raise SystemExit(f"needs this checkout's jalnet ({ENGINE}) and QGIS's Python ({QGIS_PYTHON})")
    paths = setup(Path(args.workdir))
    base = run_json([sys.executable, "-c", ENGINE_CODE, json.dumps(paths), str(args.repeat)])
    print(f"sample scheme; medians of {args.repeat}; engine process peak RSS {base['rss_mb']:.0f} MB\n")
    print(f"{'job':<10} {'route':<26} {'time s':>8} {'overhead s':>11} {'QGIS RSS MB':>12}")
    algs = {"validate": "jalnet:validatenetwork", "peak_hour": "jalnet:hydraulicsrun"}
    for job in ("validate", "peak_hour"):
        t_engine = base[job]
        print(f"{job:<10} {'engine (in process)':<26} {t_engine:8.2f} {'-':>11} {'-':>12}")
        cli = statistics.median(cli_times(job, paths, args.repeat))
        print(f"{job:<10} {'CLI':<26} {cli:8.2f} {cli - t_engine:11.2f} {'-':>12}")
        params = [processing_params(job, paths, i) for i in range(args.repeat + 1)]
        warm = run_json([QGIS_PYTHON, "-c", QGIS_CODE, algs[job], json.dumps(params), str(args.pause)],
                        qgis_env(True))
        assert warm["engine_libs_in_qgis"] == [], warm["engine_libs_in_qgis"]
        cold_t, warm_t = warm["times"][0], statistics.median(warm["times"][1:])
        print(f"{job:<10} {'Processing cold (1st call)':<26} {cold_t:8.2f} {cold_t - t_engine:11.2f} "
              f"{warm['rss_mb']:12.0f}")
        print(f"{job:<10} {'Processing warm':<26} {warm_t:8.2f} {warm_t - t_engine:11.2f} {'':>12}")
        each = run_json([QGIS_PYTHON, "-c", QGIS_CODE, algs[job], json.dumps(params[:args.repeat]), "0"],
                        qgis_env(False))
        own = statistics.median(each["times"])
        print(f"{job:<10} {'Processing, no worker':<26} {own:8.2f} {own - t_engine:11.2f} {each['rss_mb']:12.0f}")
    print(f"\nthis process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

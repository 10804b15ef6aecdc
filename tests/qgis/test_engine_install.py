"""The plugin zip in a clean QGIS profile installs its own engine, offline, and the engine validates a network.

Everything a user does, in order: ``make package``'s zip unpacked into a fresh profile's
plugins folder; QGIS's own Python (Debian's /usr/bin/python3, not the test venv: it has none
of the engine's libraries); *Install the JalNet engine* from the engine dialog, run headless,
with a wheel of JalNet built here and the dependency wheels of ``.venv/wheelhouse``
(scripts/bootstrap.sh downloads them) as its only sources (``--no-index``: the live index
is never reached); then the installed engine creates a registry from the sample scheme and
validates its network. Each later step (e.g. ``qgis_process``) is one more function using
the ``installed`` fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from jalnet.engineclient.locate import MARKER, managed_env_dir

pytestmark = pytest.mark.qgis

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / ".venv" / "wheelhouse"
QGIS_PYTHON = "/usr/bin/python3"
ENGINE_STACK = ("geopandas", "pyogrio", "fiona", "rasterio", "shapely", "networkx", "wntr")


def clean_environment(tmp: Path) -> dict[str, str]:
    """No venv, no PYTHONPATH, no pip configuration of this machine, no engine set: a new user's QGIS."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "JALNET_", "VIRTUAL_ENV", "CONDA"))}
    env.update(PATH="/usr/bin:/bin", PIP_CONFIG_FILE=os.devnull, QT_QPA_PLATFORM="offscreen", HOME=str(tmp / "home"),
               PYTHONNOUSERSITE="1", JALNET_ENGINE_EXTRAS="")  # core engines: what 'network validate' needs
    (tmp / "home").mkdir(exist_ok=True)
    return env


def build_plugin_zip(out: Path) -> Path:
    subprocess.run(["bash", str(ROOT / "scripts" / "package.sh"), str(out)], check=True, capture_output=True,
                   timeout=300)
    [zip_path] = out.glob("jalnet.*.zip")
    return zip_path


@pytest.fixture(scope="module")
def installed(tmp_path_factory, jalnet_wheel) -> dict:
    if not any(WHEELHOUSE.glob("numpy-*.whl")):
        pytest.fail(f"no dependency wheels in {WHEELHOUSE}: run scripts/bootstrap.sh")
    tmp = tmp_path_factory.mktemp("engine")
    env = clean_environment(tmp)
    has = subprocess.run([QGIS_PYTHON, "-s", "-c", "import importlib.util as u, json; print(json.dumps("
                          f"[m for m in {list(ENGINE_STACK)!r} if u.find_spec(m)]))"],
                         env=env, capture_output=True, text=True, check=True)
    assert json.loads(has.stdout) == [], "QGIS's Python must not have the engine's libraries for this test"

    plugins = tmp / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(build_plugin_zip(tmp / "zip")) as zf:
        zf.extractall(plugins)
    wheel = jalnet_wheel
    done = subprocess.run(
        [QGIS_PYTHON, "-s", str(Path(__file__).with_name("engine_install_headless.py")), str(plugins.parents[1]),
         str(plugins),
         os.pathsep.join([str(wheel.parent), str(WHEELHOUSE)])],
        env=env, capture_output=True, text=True, timeout=900, cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(env=env, tmp=tmp, plugins=plugins)
    return result


def run_engine(engine: list[str], args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(engine + args, env=env, capture_output=True, text=True, timeout=300)


def test_install_from_the_dialog_into_the_profile(installed) -> None:
    profile = installed["profile_dir"]
    assert Path(installed["plugin_file"]).is_relative_to(installed["plugins"])  # the zip's plugin, not this checkout
    assert installed["engine_before"] is None and "No JalNet engine found" in installed["status_before"]
    assert installed["task_error"] == "", installed["log"][-2000:]
    engine = installed["engine_after"]
    assert engine == [str(managed_env_dir(profile) / "bin" / "jalnet")]
    assert installed["progress_final"] == 100 and installed["status_after"].startswith("Engine: ")
    log = installed["log"]
    assert "--no-index" in log and "Successfully installed" in log and "jalnet-0.1.0" in log
    assert "The JalNet engine is installed and checked." in log
    report = json.loads((managed_env_dir(profile) / MARKER).read_text())
    assert int(report["numpy"].split(".")[0]) >= 2  # the engine's own numpy, not QGIS's numpy 1
    assert report["jalnet"] == "0.1.0"
    assert (Path(profile) / "jalnet" / "engine-install.log").read_text().strip().endswith(
        "jalnet 0.1.0")
    assert installed["engine_modules_in_qgis"] == []  # installing imported nothing of the engine into QGIS
    print(f"engine installed in {installed['seconds']} s: numpy {report['numpy']}, pandas {report['pandas']}, "
          f"geopandas {report['geopandas']}")


def test_installed_engine_validates_the_sample_network(installed) -> None:
    engine, env, tmp = installed["engine_after"], installed["env"], installed["tmp"]
    sample = installed["plugins"] / "jalnet" / "data" / "sample_scheme.gpkg"
    registry, errors = tmp / "registry.gpkg", tmp / "errors.gpkg"
    for args in (["registry", "create", str(registry), "--crs", "EPSG:32646"], ["registry", "load", str(registry),
                                                                                   str(sample)]):
        done = run_engine(engine, args, env)
        assert done.returncode == 0, done.stderr
    done = run_engine(engine, ["network", "validate", "--registry", str(registry), "--out", str(errors), "--json",
                               "--fail-on", "error"], env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["counts"] == {"error": 0, "warning": 0, "info": 0}  # the sample scheme is clean
    assert len(result["by_rule"]) >= 25 and errors.is_file()


def test_qgis_process_runs_validatenetwork_with_the_installed_engine(installed) -> None:
    """The user's last step: a JalNet algorithm from QGIS, with the engine the plugin installed (no JALNET_ENGINE)."""
    env, tmp = {**installed["env"], "QGIS_CUSTOM_CONFIG_PATH": str(installed["tmp"])}, installed["tmp"]
    assert "JALNET_ENGINE" not in env and shutil.which("jalnet", path=env["PATH"]) is None  # only the installed one
    registry, findings = tmp / "qp_registry.gpkg", tmp / "qp_findings.gpkg"
    sample = installed["plugins"] / "jalnet" / "data" / "sample_scheme.gpkg"
    for args in (["registry", "create", str(registry), "--crs", "EPSG:32646"],
                 ["registry", "load", str(registry), str(sample)]):
        done = run_engine(installed["engine_after"], args, env)
        assert done.returncode == 0, done.stderr
    qgis_process = "/usr/bin/qgis_process.bin"  # Debian's qgis_process wrapper script is broken
    done = subprocess.run([qgis_process, "plugins", "enable", "jalnet"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    done = subprocess.run([qgis_process, "--json", "run", "jalnet:validatenetwork", "--", f"REGISTRY={registry}",
                           f"OUTPUT={findings}"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    results = json.loads(done.stdout[done.stdout.index("{"):])["results"]
    assert results["ERRORS"] == 0 and findings.is_file()

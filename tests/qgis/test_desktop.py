"""Desktop QGIS under Xvfb with the plugin: the demo project, one engine action per panel, a normal quit.

QGIS's own Python (the system's, as a user has it) runs the plugin; the engines run in
this checkout's ``jalnet`` (JALNET_ENGINE). The session script is
tests/qgis/desktop_session.py. Before the engines had a process of their own, QGIS with
the plugin's libraries crashed on quit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = Path(sys.executable).with_name("jalnet")
SCRIPT = Path(__file__).with_name("desktop_session.py")
ENGINE_STACK = {"geopandas", "pyogrio", "fiona", "rasterio", "pyproj", "wntr"}

pytestmark = pytest.mark.skipif(not (shutil.which("qgis") and shutil.which("xvfb-run") and ENGINE.exists()),
                                reason="needs desktop QGIS, xvfb-run and this checkout's jalnet")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, subprocess.CompletedProcess]:
    demo = tmp_path_factory.mktemp("desktop_demo")
    made = subprocess.run([str(ENGINE), "demo", "--out", str(demo)], capture_output=True, text=True, timeout=600)
    assert made.returncode == 0 and (demo / "jalnet_demo.qgz").exists(), made.stderr[-2000:]
    profiles = tmp_path_factory.mktemp("profiles")
    ini = profiles / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\njalnet=true\n\n[qgis]\ncheckVersion=false\n", encoding="utf-8")
    result = demo / "desktop_result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "QT_QPA_PLATFORM")}
    env.update(QGIS_PLUGINPATH=str(ROOT), JALNET_ENGINE=str(ENGINE), JALNET_DESKTOP_DEMO=str(demo),
               JALNET_DESKTOP_RESULT=str(result), HOME=str(profiles))
    args = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", "qgis", "--nologo", "--profiles-path", str(profiles),
            "--code", str(SCRIPT)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=420)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # xvfb-run, Xvfb, QGIS and its engine worker
        stdout, stderr = proc.communicate()
    done = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    assert result.exists(), f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return json.loads(result.read_text(encoding="utf-8")), done


def test_each_panel_action_ran_through_the_engine(session) -> None:
    state, done = session
    assert state["errors"] == [], "\n".join(state["errors"])
    steps = state["steps"]
    assert steps == {"project": True, "registry": True, "striplog": True, "findings_open": True,
                     "findings_accept": True, "hydraulics": True, "health": True}, steps
    assert state["registry_layers"] > 0 and state["findings"] > 0 and state["scenarios"] > 1
    assert "pressure" in state["hydraulics_status"] and state["hydraulics_layers"] > 0
    assert state["report_button"]  # the message bar offers the run's report
    assert state["health_schemes"] >= 1 and "still open" in state["health_summary"]
    assert state["health_modules"]["module_hydraulics"] == "checked"  # the panel's peak-hour run was kept


def test_qgis_quits_normally_without_the_engine_stack(session) -> None:
    state, done = session
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(state["modules"]) & ENGINE_STACK == set(), state["modules"]

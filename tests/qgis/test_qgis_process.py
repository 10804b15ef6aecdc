"""Every JalNet Processing algorithm through the real ``qgis_process`` on the sample data.

``/usr/bin/qgis_process.bin`` is the executable: Debian's ``qgis_process`` wrapper script is
broken ("Command --noversioncheck not known!"). QGIS finds the plugin through
``QGIS_PLUGINPATH`` (this checkout) and the engine through ``JALNET_ENGINE`` (this
checkout's ``jalnet``), in a throw-away HOME so no real QGIS profile is touched. Each run
must exit 0 (before the engine had its own process, every JalNet algorithm exited 134 on
QGIS's exit: two GDALs and two PROJs in one process) with its outputs present and valid.
The algorithms run in one scheme's life: create, load, copy, import tracks, snap,
validate, hydraulics, flood, geology, Gati Shakti, undo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from jalnet.samples import sample_path

ROOT = Path(__file__).resolve().parents[2]
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
ENGINE = Path(sys.executable).with_name("jalnet")

pytestmark = pytest.mark.skipif(not QGIS_PROCESS.exists() or not ENGINE.exists(),
                                reason="needs /usr/bin/qgis_process.bin and this checkout's jalnet")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    environ = {**os.environ, "HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "QGIS_PLUGINPATH": str(ROOT),
               "JALNET_ENGINE": str(ENGINE)}
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):  # QGIS's own Python, as a user starts it
        environ.pop(name, None)
    done = subprocess.run([str(QGIS_PROCESS), "plugins", "enable", "jalnet"], env=environ, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return environ


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {"dir": tmp_path_factory.mktemp("qp")}


def qgis_process(env: dict[str, str], alg: str, **params: Any) -> dict[str, Any]:
    """Run one algorithm; assert exit 0; its results."""
    args = [str(QGIS_PROCESS), "--json", "run", f"jalnet:{alg}", "--"]
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            args.append(f"{key}={item}")
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{alg} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout[done.stdout.index("{"):])["results"]


def layer_count(path: Path | str, layer: str) -> int:
    return int(pyogrio.read_info(str(path), layer=layer)["features"])


def test_createregistry(env, work) -> None:
    reg = work["dir"] / "registry.gpkg"
    out = qgis_process(env, "createregistry", OUTPUT=reg, CRS="EPSG:32646")
    assert out["CRS_AUTHID"] == "EPSG:32646" and reg.exists()
    assert layer_count(reg, "pipes") == 0
    work["reg"] = reg


def test_loadlayers(env, work) -> None:
    out = qgis_process(env, "loadlayers", REGISTRY=work["reg"], INPUT=sample_path("sample_scheme.gpkg"))
    sample = layer_count(sample_path("sample_scheme.gpkg"), "pipes")
    assert out["PIPES"] == sample == layer_count(work["reg"], "pipes") > 0
    assert out["BATCH_ID"]


def test_copyregistry(env, work) -> None:
    copy = work["dir"] / "copy.gpkg"
    out = qgis_process(env, "copyregistry", SOURCE=work["reg"], DESTINATION=copy)
    assert out["FEATURES"] > 0 and layer_count(copy, "pipes") == layer_count(work["reg"], "pipes")


def test_importtracks(env, work) -> None:
    report = work["dir"] / "tracks.html"
    out = qgis_process(env, "importtracks", REGISTRY=work["reg"],
                       INPUT=[sample_path("contractor/tracks_2024-03.gpx")], REPORT=report, LOAD="false")
    assert out["FILES_IMPORTED"] == 1 and out["PIPES"] > 0 and out["BATCH_ID"]
    assert layer_count(work["reg"], "staged_pipes") == out["PIPES"]
    assert "<html" in report.read_text(encoding="utf-8").lower()
    work["tracks_batch"] = out["BATCH_ID"]


def test_snapnetwork(env, work) -> None:
    snap = work["dir"] / "snap.gpkg"
    out = qgis_process(env, "snapnetwork", REGISTRY=work["reg"], BATCH=work["tracks_batch"], DRY_RUN="true",
                       OUTPUT=snap)
    assert out["ADDED"] + out["CONFLATED"] + out["REJECTED"] > 0
    assert {name for name, _ in pyogrio.list_layers(snap)} >= {"snap_lines", "snap_points"}


def test_validatenetwork(env, work) -> None:
    findings, html = work["dir"] / "findings.gpkg", work["dir"] / "health.html"
    out = qgis_process(env, "validatenetwork", REGISTRY=work["reg"], OUTPUT=findings, REPORT=html)
    assert html.stat().st_size > 1000
    total = sum(layer_count(findings, name) for name in ("findings_points", "findings_lines"))
    assert total == out["ERRORS"] + out["WARNINGS"] + out["NOTES"]  # the sample scheme is clean: 0
    assert layer_count(findings, "rules") > 20  # the catalogue the run checked


def test_hydraulicsbuild(env, work) -> None:
    inp = work["dir"] / "model.inp"
    out = qgis_process(env, "hydraulicsbuild", REGISTRY=work["reg"], SCHEME="4010457", OUTPUT=inp)
    assert out["PIPES"] > 0 and out["JUNCTIONS"] > 0 and "[PIPES]" in inp.read_text()
    work["inp"] = inp


def test_hydraulicsexportinp(env, work) -> None:
    inp = work["dir"] / "export.inp"
    qgis_process(env, "hydraulicsexportinp", REGISTRY=work["reg"], OUTPUT=inp, UNITS=1)
    text = inp.read_text()
    assert "[JUNCTIONS]" in text and "LPS" in text


def test_hydraulicsimportinp(env, work) -> None:
    reg = work["dir"] / "from_inp.gpkg"
    qgis_process(env, "createregistry", OUTPUT=reg, CRS="EPSG:32646")
    out = qgis_process(env, "hydraulicsimportinp", INPUT=work["inp"], REGISTRY=reg, CRS="EPSG:32646", SCHEME="INP1")
    assert out["SCHEME_ID"] == "INP1" and out["PIPES"] == layer_count(reg, "pipes") > 0


def test_hydraulicsrun(env, work) -> None:
    res = work["dir"] / "hydraulics.gpkg"
    before = layer_count(work["reg"], "hyd_runs")
    out = qgis_process(env, "hydraulicsrun", REGISTRY=work["reg"], SCENARIOS="peak_hour", OUTPUT=res)
    assert out["RUNS"] == 1 and out["FAILURES"] == 0
    assert out["STORED"] == 1 and layer_count(work["reg"], "hyd_runs") == before + 1
    assert any(layer_count(res, name) > 0 for name, _ in pyogrio.list_layers(res))


def test_assessflood(env, work) -> None:
    impact, pdf = work["dir"] / "impact.gpkg", work["dir"] / "impact.pdf"
    out = qgis_process(env, "assessflood", REGISTRY=work["reg"], DEPTH=sample_path("flood_depth.tif"), OUTPUT=impact,
                       PDF=pdf)
    assert layer_count(impact, "impact_pipes") == layer_count(work["reg"], "pipes")
    assert out["SCHEMES_AFFECTED"] >= 0 and pdf.read_bytes()[:4] == b"%PDF"


def test_geologyimport(env, work) -> None:
    folder = sample_path("lithology")
    out = qgis_process(env, "geologyimport", REGISTRY=work["reg"], BOREHOLES=folder / "boreholes.csv",
                       INTERVALS=folder / "intervals.csv", CONSTRUCTION=folder / "construction.csv")
    assert out["IMPORTED"] == layer_count(work["reg"], "boreholes") > 1 and out["BATCH_ID"]
    work["geology_batch"] = out["BATCH_ID"]


def test_geologyvalidate(env, work) -> None:
    found = work["dir"] / "geology_findings.gpkg"
    out = qgis_process(env, "geologyvalidate", REGISTRY=work["reg"], OUTPUT=found)
    assert layer_count(found, pyogrio.list_layers(found)[0][0]) == out["FINDINGS"]


def test_geologystriplog(env, work) -> None:
    folder = work["dir"] / "logs"
    folder.mkdir()
    out = qgis_process(env, "geologystriplog", REGISTRY=work["reg"], BOREHOLES="BH-01", FORMAT=1, OUTPUT=folder)
    assert out["FILES"] == 1 and (folder / "BH-01.png").read_bytes()[:4] == b"\x89PNG"


def test_geologysection(env, work) -> None:
    png = work["dir"] / "section.png"
    out = qgis_process(env, "geologysection", REGISTRY=work["reg"], THROUGH="BH-01,BH-02", OUTPUT=png)
    assert out["BOREHOLES"] >= 2 and Path(out["OUTPUT"]).read_bytes()[:4] == b"\x89PNG"


def test_gatishaktiexport(env, work) -> None:
    package = work["dir"] / "gatishakti.zip"
    out = qgis_process(env, "gatishaktiexport", REGISTRY=work["reg"], OUTPUT=package, OVERWRITE="true")
    assert out["FAULTS"] == 0 and out["FEATURES"] > 0
    import zipfile

    assert zipfile.ZipFile(package).testzip() is None and len(zipfile.ZipFile(package).namelist()) > 1


def test_designpipes(env, work) -> None:
    design = work["dir"] / "design.gpkg"
    out = qgis_process(env, "designpipes", REGISTRY=work["reg"], SCHEME="4010457", OUTPUT=design, LOAD="false")
    assert 0 < out["COST_INR"] <= out["HAND_COST_INR"]
    assert layer_count(design, "design_pipes") >= layer_count(work["reg"], "pipes") > 0
    assert Path(out["BOQ"]).exists() and "<html" in Path(out["REPORT"]).read_text(encoding="utf-8").lower()


def test_fieldpackage(env, work) -> None:
    folder = work["dir"] / "field"
    out = qgis_process(env, "fieldpackage", REGISTRY=work["reg"], SCHEME="4010457", OUTPUT=folder)
    assert Path(out["PROJECT"]).exists() and (folder / "jalnet_field.json").exists()
    assert layer_count(folder / "field_data.gpkg", "pipes") > 0
    work["field"] = folder


def test_fieldsync(env, work) -> None:
    out = qgis_process(env, "fieldsync", REGISTRY=work["reg"], PACKAGE=work["field"])
    assert out["CONFLICTS"] == 0 and out["BATCH_ID"] == ""  # nothing was changed in the field


def test_datahealth(env, work) -> None:
    health, html = work["dir"] / "health.gpkg", work["dir"] / "health_dashboard.html"
    out = qgis_process(env, "datahealth", REGISTRY=work["reg"], OUTPUT=health, REPORT=html)
    assert layer_count(health, "scheme_health") >= 1 and "<html" in html.read_text(encoding="utf-8").lower()
    assert out["ERRORS"] + out["WARNINGS"] + out["NOTES"] >= 0 and out["NEW"] >= 0


def test_undobatch(env, work) -> None:
    before = layer_count(work["reg"], "boreholes")
    out = qgis_process(env, "undobatch", REGISTRY=work["reg"], BATCH=work["geology_batch"])
    assert out["UNDO_BATCH_ID"] and before > 0 == layer_count(work["reg"], "boreholes")


def test_every_algorithm_ran() -> None:
    """This module runs each algorithm the provider lists (keep them in step)."""
    from jalnet.processing.provider import ALGORITHMS

    names = {entry.split(":")[0].replace("_", "") for entry in ALGORITHMS}
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert names <= tested, sorted(names - tested)
    assert shutil.which(str(QGIS_PROCESS))

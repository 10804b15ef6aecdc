"""The demo, end to end: its three outputs exist and its QGIS project opens with working layers."""

from __future__ import annotations

import os

import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

from jalnet.demo import run_demo
from jalnet.registry import open_registry

pytestmark = pytest.mark.qgis


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, qgis_app):
    """Run as ``make demo`` does: a relative output folder, from the folder above it."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("demo"))
    try:
        result = run_demo("out")
        for name in ("out_dir", "registry", "summary", "project"):
            if getattr(result, name) is not None:
                setattr(result, name, getattr(result, name).resolve())
    finally:
        os.chdir(here)
    return result


def test_demo_writes_registry_summary_and_project(demo) -> None:
    assert demo.registry.exists() and demo.summary.exists() and demo.project is not None and demo.project.exists()
    with open_registry(demo.registry, readonly=True) as reg:
        # the sample scheme plus the contractor branches the tracks loop snapped in, with their
        # 16 tap connections and 2 valves as assets
        assert reg.count("fhtc") == 430 + 16 and reg.count("valves") == 17 + 2
        lines = reg.read("service_lines")  # each new tap with its service line from its pipe
        assert len(lines) == 16 and set(lines["pipe_id"]) <= set(reg.read("pipes")["pipe_id"])
        assert reg.count("pipes") > 41
        assert (reg.read("staged_pipes")["state"] != "staged").all()
        assert set(reg.read("staged_points")["state"]) == {"added"}
        assert reg.count("boreholes") == 5
    html = demo.summary.read_text(encoding="utf-8")
    for heading in ("Schemes", "Pipes by material and diameter", "Change log", "Data health"):
        assert f"<h2>{heading}</h2>" in html
    health = (demo.out_dir / "health.html").read_text(encoding="utf-8")
    assert "<svg" in health and "4010457" in health


def test_demo_project_opens_with_valid_styled_layers(demo, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # QGIS opens a project from anywhere: every path in it must resolve
    project = QgsProject()
    assert project.read(str(demo.project))
    layers = list(project.mapLayers().values())
    names = {lyr.name() for lyr in layers}
    assert all(lyr.isValid() for lyr in layers), [lyr.name() for lyr in layers if not lyr.isValid()]
    assert any(isinstance(lyr, QgsRasterLayer) for lyr in layers)  # DEM, flood depth
    pipes = [lyr for lyr in layers if isinstance(lyr, QgsVectorLayer) and lyr.name() == "Pipes"]
    assert len(pipes) == 1 and pipes[0].featureCount() > 41
    assert pipes[0].renderer().type() == "categorizedSymbol"
    assert project.crs().authid() == "EPSG:32646"
    health = [lyr for lyr in layers if lyr.name() == "Schemes by data-health score"]
    assert len(health) == 1 and health[0].featureCount() == 1 and health[0].renderer().type() == "graduatedSymbol"
    assert len(names) >= 20
    design = [lyr for lyr in layers if lyr.name().startswith("design_pipes")]
    assert len(design) == 1 and design[0].featureCount() > 41
    assert design[0].renderer().type() == "graduatedSymbol"


def test_demo_designs_the_sample_scheme(demo) -> None:
    out = demo.out_dir
    assert (out / "design.gpkg").exists() and (out / "design_boq.csv").exists()
    report = (out / "design_report.html").read_text(encoding="utf-8")
    assert "Longitudinal profile of the critical path" in report and "saving" in report
    assert "Pipe design: scheme" in demo.summary.read_text(encoding="utf-8")


def test_demo_leaves_nothing_beside_its_output_folder(demo) -> None:
    """EPANET's scratch files stay out of the working folder; flood's hydraulic method ran too."""
    assert sorted(p.name for p in demo.out_dir.parent.iterdir()) == ["out"]
    assert (demo.out_dir / "flood_impact_hydraulic.gpkg").exists()
    assert any("by pressure" in line for line in demo.outputs)

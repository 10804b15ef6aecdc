"""Hydraulics in QGIS: the four Processing algorithms, styled results, and the panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import (
    QgsExpressionContextUtils,
    QgsGraduatedSymbolRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsRenderContext,
)

pytest.importorskip("wntr")

pytestmark = pytest.mark.qgis

DATA = Path(__file__).resolve().parents[1] / "data"
ALGORITHMS = {"jalnet:hydraulicsbuild", "jalnet:hydraulicsimportinp", "jalnet:hydraulicsexportinp",
              "jalnet:hydraulicsrun"}


def run(alg: str, params: dict, context: QgsProcessingContext | None = None) -> dict:
    import processing

    return processing.run(alg, params, context=context, feedback=QgsProcessingFeedback())


@pytest.fixture
def registry(jalnet_provider, tmp_path) -> str:
    path = str(tmp_path / "reg.gpkg")
    run("jalnet:createregistry", {"OUTPUT": path, "CRS": "EPSG:32646"})
    out = run("jalnet:hydraulicsimportinp", {"INPUT": str(DATA / "Net1.inp"), "REGISTRY": path,
                                             "CRS": "EPSG:32646", "SCHEME": "NET1"})
    assert out["SCHEME_ID"] == "NET1" and out["PIPES"] == 12 and out["BATCH_ID"]
    return path


def test_the_algorithms_are_in_the_toolbox_with_help(jalnet_provider) -> None:
    algs = {a.id(): a for a in jalnet_provider.algorithms()}
    assert ALGORITHMS <= set(algs)
    for name in ALGORITHMS:
        assert algs[name].group() == "Hydraulics" and len(algs[name].shortHelpString()) > 300


def test_build_and_export_write_inp_files_that_read_back(registry, tmp_path) -> None:
    import wntr

    built = run("jalnet:hydraulicsbuild", {"REGISTRY": registry, "SCHEME": "NET1",
                                            "OUTPUT": str(tmp_path / "built.inp")})
    assert built["JUNCTIONS"] == 9 and built["PIPES"] == 12
    exported = run("jalnet:hydraulicsexportinp", {"REGISTRY": registry, "UNITS": 1,
                                                  "OUTPUT": str(tmp_path / "out.inp")})
    wn = wntr.network.WaterNetworkModel(exported["OUTPUT"])
    original = wntr.network.WaterNetworkModel(str(DATA / "Net1.inp"))
    assert wn.describe(level=0) == original.describe(level=0)
    assert "LPS" in Path(exported["OUTPUT"]).read_text()


def test_bad_input_becomes_a_processing_error(registry, tmp_path) -> None:
    with pytest.raises(QgsProcessingException, match="is not in the registry"):
        run("jalnet:hydraulicsbuild", {"REGISTRY": registry, "SCHEME": "NOPE"})
    bad = tmp_path / "bad.inp"
    bad.write_text("[JUNCTIONS]\n 1 10 0\n[PIPES]\n 2 1 X 100 10 100 0 Open\n[END]\n")
    with pytest.raises(QgsProcessingException, match="bad.inp is not a valid EPANET input file"):
        run("jalnet:hydraulicsimportinp", {"INPUT": str(bad), "REGISTRY": registry, "CRS": "EPSG:32646"})


def test_run_writes_results_and_loads_them_styled(registry, tmp_path) -> None:
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    out = run("jalnet:hydraulicsrun", {"REGISTRY": registry, "SCENARIOS": "peak_hour, eps_24h",
                                       "OUTPUT": str(tmp_path / "res.gpkg")}, context)
    assert out["RUNS"] == 2 and out["FAILURES"] == 0
    to_load = context.layersToLoadOnCompletion()
    names = {details.name for details in to_load.values()}
    assert "Pressure over time (m) [eps_24h]" in names and "Velocity at the peak hour (m/s) [peak_hour]" in names
    assert all("subset=" in uri for uri in to_load)


def test_results_load_styled_and_temporal(registry, tmp_path, project) -> None:
    from jalnet.hydraulics.scenarios import run_scenario
    from jalnet.plugin.hydraulics_layers import load_results

    out = str(tmp_path / "res.gpkg")
    run_scenario(registry, "NET1", ["eps_24h"], out=out, start="2025-01-01")
    from jalnet.engine.jobs.hydraulics import result_layers

    specs = result_layers(out, "NET1", "eps_24h", "eps")
    layers = {layer.name(): layer for layer in load_results(out, "NET1", "eps_24h", specs, project)}
    nodes = layers["Pressure at the peak hour (m) [eps_24h]"]
    assert isinstance(nodes.renderer(), QgsGraduatedSymbolRenderer)
    assert '"pressure_peak_m"' in nodes.renderer().classAttribute()
    # coloured by service pressure: junctions only (a source's pressure is 0, a tank's is its level)
    context = QgsRenderContext()
    context.expressionContext().appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(nodes))
    renderer = nodes.renderer().clone()
    renderer.startRender(context, nodes.fields())
    drawn: dict[str, set[bool]] = {}
    for feature in nodes.getFeatures():
        context.expressionContext().setFeature(feature)
        drawn.setdefault(feature["layer"], set()).add(renderer.symbolForFeature(feature, context) is not None)
    renderer.stopRender(context)
    assert drawn == {"junctions": {True}, "tanks": {False}, "sources": {False}}
    steps = layers["Pressure over time (m) [eps_24h]"]
    assert steps.temporalProperties().isActive() and steps.featureCount() == 11
    span = project.timeSettings().temporalRange()
    assert span.begin().toString("yyyy-MM-dd hh:mm") == "2025-01-01 00:00"
    assert span.begin().secsTo(span.end()) == 25 * 3600
    assert project.layerTreeRoot().findGroup("Hydraulics: NET1 eps_24h") is not None


def test_panel_lists_schemes_and_scenarios_and_shows_a_run(registry, tmp_path, qgis_iface, project) -> None:
    from jalnet.plugin.hydraulics_dock import HydraulicsDock, ScenarioTask

    dock = HydraulicsDock(qgis_iface)
    dock.set_registry(registry)
    assert [dock.scheme.itemText(i) for i in range(dock.scheme.count())] == ["NET1"]
    scenarios = [dock.scenario.itemData(i) for i in range(dock.scenario.count())]
    assert {"peak_hour", "criticality", "chlorine"} <= set(scenarios)
    task = ScenarioTask(registry, "NET1", "peak_hour", str(tmp_path / "dock.gpkg"), None)
    assert task.run(), task.error
    dock.task = task
    dock._done(True)
    assert "pressure 74.3 to 88.9 m; no household taps" in dock.status.text()
    assert project.layerTreeRoot().findGroup("Hydraulics: NET1 peak_hour") is not None
    failing = ScenarioTask(registry, "NET1", "nope", str(tmp_path / "x.gpkg"), None)
    assert not failing.run() and "no scenario 'nope'" in failing.error


def test_panel_opened_on_a_project_takes_its_registry(registry, qgis_iface, project, monkeypatch) -> None:
    from types import SimpleNamespace

    from jalnet.plugin import hydraulics_dock
    from jalnet.plugin.layers import add_registry_layers

    add_registry_layers(registry, project)
    dem = QgsRasterLayer(str(Path(__file__).resolve().parents[2] / "jalnet" / "data" / "dem.tif"), "DEM (sample)")
    flood = QgsRasterLayer(str(Path(__file__).resolve().parents[2] / "jalnet" / "data" / "flood_depth.tif"), "Flood")
    assert dem.isValid() and flood.isValid()
    project.addMapLayers([dem, flood])
    monkeypatch.setattr(qgis_iface, "addDockWidget", lambda area, d: None)
    plugin = SimpleNamespace(iface=qgis_iface, actions={}, hydraulics_dock=None)
    dock = hydraulics_dock.toggle(plugin, True)
    assert Path(dock.registry.filePath()) == Path(registry).resolve()
    assert dock.scheme.currentText() == "NET1" and dock.scenario.count() > 5
    assert dock.out.filePath().endswith("reg_hydraulics.gpkg")
    assert Path(dock.dem.filePath()).name == "dem.tif"  # the project's elevation model, not the flood raster

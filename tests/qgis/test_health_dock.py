"""The Data health panel: a run through the engine, schemes worst first, drill-down, trend, dashboard, accepting."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QEvent

from jalnet.demo import sample_crs
from jalnet.plugin.engine_calls import EngineTask
from jalnet.plugin.health_dock import HealthDock
from jalnet.registry import create_registry, load_layers, open_registry
from jalnet.samples import sample_path

pytestmark = pytest.mark.qgis
SCHEME = "4010457"


@pytest.fixture
def registry(tmp_path: Path) -> dict:
    """The sample scheme with a health run kept (one tap without household id), then that tap fixed and two new
    faults: a junction 14 m too high in a stored hydraulic run, and a second tap without household id."""
    from jalnet.health import check_health
    from jalnet.hydraulics import run_scenario

    path = tmp_path / "registry.gpkg"
    with create_registry(path, crs=sample_crs()) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
        taps = reg.read("fhtc")
        with reg.batch("test", "first fault") as b:
            b.update("fhtc", int(taps.index[3]), {"household_id": None})
    first = check_health(path)
    assert "REG-001" in set(first.findings["rule"])
    with open_registry(path) as reg:
        taps, junctions = reg.read("fhtc"), reg.read("junctions", {"node_id": "J-0005"})
        with reg.batch("test", "fix one, break two") as b:
            b.update("fhtc", int(taps.index[3]), {"household_id": "HH-FIXED"})
            b.update("fhtc", int(taps.index[7]), {"household_id": None})
            b.update("junctions", int(junctions.index[0]), {"elevation_m": float(junctions["elevation_m"].iloc[0]) + 14})
    run_scenario(path, SCHEME, "peak_hour")
    return {"path": str(path), "fixed_tap": str(taps["fhtc_id"].iloc[3]), "new_tap": str(taps["fhtc_id"].iloc[7])}


@pytest.fixture
def dock(recording_iface, project):
    recording_iface.mapCanvas().setDestinationCrs(QgsCoordinateReferenceSystem(sample_crs()))
    widget = HealthDock(recording_iface)
    widget.opened: list = []
    widget.open_url = widget.opened.append
    widget.ask_note = lambda finding: "the household shares its neighbour's tap (survey 2025)"
    yield widget
    widget.deleteLater()


def run_in_panel(dock: HealthDock, registry: str, tmp_path: Path) -> None:
    """Run as the Run button does, the task's work done here instead of in the task manager's thread."""
    dock.set_registry(registry)
    dock.out.setFilePath(str(tmp_path / "health.gpkg"))
    args = {"registry": registry, "scheme": None, "store": True, "output": dock.out.filePath(),
            "report": str(tmp_path / "health.html")}
    task = EngineTask("JalNet data health", "datahealth", args)
    assert task.run(), task.error
    dock.task = task
    dock._done(True)


def test_run_lists_schemes_worst_first_with_trend_and_drills_down(dock, registry, tmp_path, project,
                                                                  recording_iface) -> None:
    run_in_panel(dock, registry["path"], tmp_path)
    assert dock.health is not None and dock.schemes.rowCount() == 1
    assert dock.schemes.item(0, 1).text() == SCHEME and float(dock.schemes.item(0, 0).text()) < 100
    assert "1 new" not in dock.summary.text() and "2 new" in dock.summary.text()  # HYD-001 and REG-001
    assert "1 fixed" in dock.summary.text()
    assert [dock.schemes.item(0, c).text() for c in (6, 7)] == ["2", "1"]  # new, fixed
    rules = {f.get("rule"): f for f in dock.shown}
    assert {"HYD-001", "REG-001"} <= set(rules)
    assert rules["HYD-001"].get("asset_ids") == "J-0005" and rules["HYD-001"].get("trend") == "new"

    row = dock.shown.index(rules["HYD-001"])
    dock.select_finding(row)
    canvas = recording_iface.mapCanvas()
    assert canvas.extent().contains(QgsPointXY(rules["HYD-001"].geometry.asPoint()))
    assert min(canvas.extent().width(), canvas.extent().height()) < 100
    assert "J-0005" in dock.detail.text() and "below the 7 m norm" in dock.detail.text()

    dock.show_combo.setCurrentIndex(dock.show_combo.findData("fixed"))
    assert [f.get("asset_id") for f in dock.shown] == [registry["fixed_tap"]]
    dock.show_combo.setCurrentIndex(dock.show_combo.findData("new"))
    assert {f.get("rule") for f in dock.shown} == {"HYD-001", "REG-001"}

    names = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    schemes = names["Schemes by data-health score"]
    assert schemes.featureCount() == 1 and schemes.renderer().type() == "graduatedSymbol"
    assert project.layerTreeRoot().findGroup("Data health") is not None
    assert dock.open_dashboard() and dock.opened[0].toLocalFile() == str(tmp_path / "health.html")


def test_accepted_finding_leaves_the_panel_and_the_next_run(dock, registry, tmp_path) -> None:
    from jalnet.health import check_health

    run_in_panel(dock, registry["path"], tmp_path)
    [tap] = [f for f in dock.shown if f.get("rule") == "REG-001"]
    dock.select_finding(dock.shown.index(tap))
    assert dock.accept_current()
    assert tap not in dock.shown
    assert dock.health.accepted == 1
    assert "1 accepted exception" in dock.summary.text()
    with open_registry(registry["path"], readonly=True) as reg:
        assert list(reg.read("network_exceptions")["fingerprint"]) == [tap.get("fingerprint")]
    again = HealthDock(dock.iface)
    assert again.open_file(str(tmp_path / "health.gpkg"))
    again.choose_scheme(SCHEME)
    assert "REG-001" not in {f.get("rule") for f in again.shown} and again.health.accepted == 1
    again.deleteLater()
    after = check_health(registry["path"], store=False)
    assert "REG-001" not in set(after.findings["rule"]) and after.accepted == 1


def test_a_file_that_is_not_a_health_file_is_refused(dock, registry) -> None:
    assert not dock.open_file(registry["path"])
    assert not dock.open_file("/nonexistent/health.gpkg")
    assert dock.health is None and "not a JalNet data-health GeoPackage" in dock.summary.text()


def test_plugin_action_opens_the_panel_on_the_project_registry(recording_iface, registry) -> None:
    import jalnet
    from jalnet.plugin.layers import add_registry_layers

    add_registry_layers(registry["path"], QgsProject.instance())
    plugin = jalnet.classFactory(recording_iface)
    plugin.initGui()
    try:
        assert plugin.actions["health"].text() == "Data health panel"
        plugin.toggle_health(True)
        dock = plugin.health_dock
        assert isinstance(dock, HealthDock) and dock in recording_iface.calls["dock_add"]
        assert Path(dock.registry.filePath()) == Path(registry["path"]).resolve()
        assert dock.out.filePath().endswith("registry_health.gpkg")
    finally:
        plugin.unload()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        QCoreApplication.processEvents()
    assert dock in recording_iface.calls["dock_remove"] and plugin.health_dock is None

"""The network findings panel: open an error file, filter, step, zoom, mark fixed, accept an exception."""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio
import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsPointXY, QgsProject
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from shapely.geometry import LineString

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from topology_nets import make_registry, pipe, variant  # noqa: E402

from jalnet.plugin.findings_dock import FindingsDock  # noqa: E402
from jalnet.registry import open_registry  # noqa: E402
from jalnet.topology import validate  # noqa: E402

pytestmark = pytest.mark.qgis


@pytest.fixture
def errors(tmp_path: Path) -> tuple[str, Path]:
    """A registry with a crossing (error), a loose end (warning) and a missing material (warning)."""
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P3"), "pipe_id": "P9", "contractor": "B", "from_node": "J4",
                            "to_node": None, "length_m": None, "geometry": LineString([(100, 100), (150, -40)])})
    pipe(layers, "P1")["material"] = None
    path = make_registry(str(tmp_path / "net.gpkg"), layers)
    out = validate(path).write(tmp_path / "errors.gpkg")
    return path, out


@pytest.fixture
def dock(recording_iface, project):
    recording_iface.mapCanvas().setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:32646"))
    widget = FindingsDock(recording_iface)
    widget.ask_note = lambda finding: "crosses below at 1.2 m (as-built sheet 4)"
    yield widget
    widget.deleteLater()


def statuses(path: Path) -> dict[str, str]:
    frames = [pyogrio.read_dataframe(path, layer=n) for n in ("findings_points", "findings_lines")]
    return {r: s for f in frames for r, s in zip(f["rule"], f["status"])}


def test_open_lists_findings_worst_first_and_loads_layers(dock, errors, project: QgsProject) -> None:
    registry, out = errors
    assert dock.open_file(str(out))
    assert dock.registry.text() == registry
    assert [f.get("rule") for f in dock.shown] == ["NET-012", "NET-020", "NET-041"]
    assert dock.table.rowCount() == 3 and dock.table.item(0, 0).text() == "error"
    names = {lyr.name() for lyr in project.mapLayers().values()}
    assert {"Network findings (points)", "Network findings (lines)"} <= names
    dock.severity.setCurrentText("warning")
    assert [f.get("rule") for f in dock.shown] == ["NET-020", "NET-041"]
    dock.severity.setCurrentText("All")
    dock.rule.setCurrentText("NET-041")
    assert len(dock.shown) == 1 and dock.shown[0].get("asset_ids") == "P1"


def test_step_zooms_to_each_finding(dock, errors, recording_iface) -> None:
    _, out = errors
    dock.open_file(str(out))
    first = dock.step(1)
    assert first.get("rule") == "NET-012"
    canvas = recording_iface.mapCanvas()
    crossing = first.geometry.asPoint()
    assert canvas.extent().contains(QgsPointXY(crossing))
    assert min(canvas.extent().width(), canvas.extent().height()) < 100  # zoomed in, not the whole network
    second = dock.step(1)
    assert second.get("rule") == "NET-020"
    assert canvas.extent().contains(QgsPointXY(second.geometry.asPoint()))
    assert dock.step(-1) is first


def test_mark_fixed_and_accept(dock, errors) -> None:
    registry, out = errors
    dock.open_file(str(out))
    dock.step(1)
    crossing = dock.current()
    assert dock.accept_current()
    with open_registry(registry) as reg:
        accepted = reg.read("network_exceptions")
    assert list(accepted["fingerprint"]) == [crossing.get("fingerprint")]
    assert accepted["note"].iloc[0].startswith("crosses below")
    assert dock.current().get("rule") == "NET-020"  # the accepted one left the 'open' list
    assert dock.mark_fixed()
    assert statuses(out) == {"NET-012": "accepted", "NET-020": "fixed", "NET-041": "open"}
    assert [f.get("rule") for f in dock.shown] == ["NET-041"]
    dock.status.setCurrentText("All")
    assert len(dock.shown) == 3
    # the next validation leaves the accepted crossing out
    assert "NET-012" not in set(validate(registry).findings["rule"])


def test_a_file_that_is_not_an_error_file_is_refused(dock, errors, recording_iface) -> None:
    registry, _ = errors
    assert not dock.open_file(registry)
    assert not dock.open_file("/nonexistent/errors.gpkg")
    assert dock.findings == []


def test_plugin_action_opens_and_unload_removes_the_panel(recording_iface) -> None:
    import jalnet

    plugin = jalnet.classFactory(recording_iface)
    plugin.initGui()
    try:
        assert "findings" in plugin.actions and plugin.actions["findings"].text() == "Network findings panel"
        plugin.toggle_findings(True)
        dock = plugin.findings_dock
        assert isinstance(dock, FindingsDock) and dock in recording_iface.calls["dock_add"]
    finally:
        plugin.unload()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)  # the toolbar really goes, for later tests
        QCoreApplication.processEvents()
    assert dock in recording_iface.calls["dock_remove"] and plugin.findings_dock is None


def test_the_health_file_opens_in_the_panel_and_an_accepted_finding_leaves_the_next_run(dock, tmp_path: Path) -> None:
    from jalnet.health import check_health, run_health

    layers = variant()
    layers["pipes"].append({**pipe(layers, "P2"), "pipe_id": "P9"})  # entered twice: network and Gati Shakti
    registry = make_registry(str(tmp_path / "h.gpkg"), layers)
    out = tmp_path / "health.gpkg"
    run_health(registry, out)
    assert dock.open_file(str(out)) and dock.registry.text() == registry
    assert {"NET-010", "GS-duplicate_feature"} <= {str(f.get("rule")) for f in dock.shown}
    dock.rule.setCurrentText("NET-010")
    dock.select(0)
    assert dock.accept_current()
    again = check_health(registry, store=False)
    assert again.accepted == 1 and "NET-010" not in set(again.findings["rule"])

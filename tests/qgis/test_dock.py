"""The registry panel opens a registry, shows its contents and log, and undoes a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsDataSourceUri, QgsProject

from jalnet.plugin.connections import redact, target_from_uri
from jalnet.plugin.layers import PROP_LAYER, registry_layers
from jalnet.plugin.registry_dock import RegistryDock
from jalnet.registry import open_registry

pytestmark = pytest.mark.qgis


@pytest.fixture
def dock(recording_iface, project):
    widget = RegistryDock(recording_iface)
    widget.confirm_undo = lambda batch_id: True  # no modal question in tests
    yield widget
    widget.deleteLater()


def pipes_layer(project: QgsProject):
    return next(vl for vl in project.mapLayers().values() if vl.customProperty(PROP_LAYER) == "pipes")


def test_open_shows_contents_and_loads_layers(dock, project, loaded_registry, recording_iface) -> None:
    path, batch_id = loaded_registry
    dock.picker.set_file(path)
    assert dock.picker.current_target().url == path
    dock.picker.open_button.click()

    assert dock.target == path
    assert dock.info_view.count_of("pipes") == 3
    assert dock.info_view.count_of("valves") == 0
    assert "EPSG:32646" in dock.info_view.crs_label.text()
    assert dock.log_view.table.rowCount() == 1
    assert pipes_layer(project).featureCount() == 3
    assert project.layerTreeRoot().findGroup("scheme") is not None
    assert any("layers loaded" in m for m in recording_iface.messageBar().get_messages(Qgis.Success))


def test_undo_from_the_panel_empties_layers(dock, project, loaded_registry) -> None:
    path, batch_id = loaded_registry
    assert dock.open_target(path)
    dock.log_view.select_batch(batch_id)
    assert dock.log_view.selected_batch() == batch_id
    assert dock.log_view.undo_button.isEnabled()

    dock.log_view.undo_button.click()

    with open_registry(path) as reg:
        assert reg.count("pipes") == 0
    assert dock.info_view.count_of("pipes") == 0
    assert pipes_layer(project).featureCount() == 0  # layers were reloaded
    assert dock.log_view.table.rowCount() == 2
    dock.log_view.select_batch(batch_id)
    assert not dock.log_view.undo_button.isEnabled()  # already undone


def test_undo_refused_while_layer_is_being_edited(dock, project, loaded_registry, recording_iface) -> None:
    path, batch_id = loaded_registry
    dock.open_target(path)
    pipes = pipes_layer(project)
    assert pipes.startEditing()
    try:
        assert dock.undo_batch(batch_id) is None
    finally:
        pipes.rollBack()
    with open_registry(path) as reg:
        assert reg.count("pipes") == 3
    assert any("save or discard" in m for m in recording_iface.messageBar().get_messages(Qgis.Warning))


def test_open_error_is_reported_not_raised(dock, tmp_path: Path, recording_iface) -> None:
    assert dock.open_target(str(tmp_path / "nothing.gpkg")) is False
    assert dock.target is None
    assert any("cannot open" in m for m in recording_iface.messageBar().get_messages(Qgis.Critical))


def test_saved_connection_becomes_a_registry_url() -> None:
    uri = QgsDataSourceUri()
    uri.setConnection("db.phed.example", "5433", "jjm", "gis user", "s3cret")
    target = target_from_uri(uri, "assam")
    assert target.url == "postgresql://gis%20user:s3cret@db.phed.example:5433/jjm?schema=assam"
    assert target.authcfg is None
    assert "s3cret" not in redact(target.url)
    assert "s3cret" not in target_from_uri(uri, "assam", with_password=False).url


def test_postgis_registry_layers(project, pg_target, pipes_4326) -> None:
    from jalnet.plugin.layers import add_registry_layers
    from jalnet.registry import create_registry, load_layers

    with create_registry(pg_target) as reg:
        load_layers(reg, str(pipes_4326))
    layers = add_registry_layers(pg_target, project)
    pipes = next(vl for vl in layers if vl.customProperty(PROP_LAYER) == "pipes")
    assert pipes.providerType() == "postgres" and pipes.isValid()
    assert pipes.featureCount() == 3
    assert registry_layers(project, pg_target)


def test_typed_url_offers_an_auth_config(dock) -> None:
    picker = dock.picker
    picker.tabs.setCurrentIndex(1)
    picker.connection_combo.setCurrentText("Other: type a URL")
    assert picker.auth_select.isEnabled()
    picker.url_edit.setText("postgresql://gis@db.phed.example:5432/jjm?schema=assam")
    target = picker.current_target()
    assert target.url == "postgresql://gis@db.phed.example:5432/jjm?schema=assam" and target.authcfg is None

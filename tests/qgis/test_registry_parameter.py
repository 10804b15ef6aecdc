"""The Registry parameter offers the registry open in the panel and the project's registries."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.PyQt.QtWidgets import QWidget

from jalnet.plugin.registry_dock import RegistryDock
from jalnet.processing.base import RegistryParameter

pytestmark = pytest.mark.qgis


def test_dialog_offers_the_panel_registry_first(qgis_processing, recording_iface, project, loaded_registry,
                                                tmp_path) -> None:
    from processing.gui.wrappers import WidgetWrapperFactory

    from jalnet.processing.registry_widget import RegistryWidgetWrapper, project_registries

    path, _ = loaded_registry
    project.removeEntry("jalnet", "open_registry")  # a fresh project
    assert project_registries(project) == []
    other = tmp_path / "other.gpkg"
    from jalnet.registry import create_registry

    create_registry(str(other), crs="EPSG:32646").close()
    dock = RegistryDock(recording_iface)
    assert dock.open_target(str(other))  # its layers are in the project
    assert dock.open_target(path)  # and this one is the panel's now
    resolved = str(Path(path).resolve())
    assert project_registries(project) == [resolved, str(other.resolve())]

    param = RegistryParameter("REGISTRY", "Registry")
    assert param.clone().metadata() == param.metadata()
    wrapper = WidgetWrapperFactory.create_wrapper(param, QWidget())
    assert isinstance(wrapper, RegistryWidgetWrapper)
    assert [wrapper.combo.itemText(i) for i in range(wrapper.combo.count())] == [resolved, str(other.resolve())]
    assert wrapper.value() == resolved  # preselected: the dialog can run at once
    wrapper.setValue("postgresql://gis@db:5432/jjm?schema=assam")
    assert wrapper.value() == "postgresql://gis@db:5432/jjm?schema=assam"
    assert param.checkValueIsAcceptable(wrapper.value())
    dock.deleteLater()

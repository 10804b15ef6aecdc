"""The plugin loads into QGIS, registers its provider and UI, and unloads cleanly."""

from __future__ import annotations

import pytest
from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QToolBar

import jalnet
from jalnet.dependencies import DEPENDENCIES, Missing

pytestmark = pytest.mark.qgis


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()


def toolbars(iface) -> list[QToolBar]:
    return [tb for tb in iface.mainWindow().findChildren(QToolBar) if tb.objectName() == "JalNetToolbar"]


@pytest.fixture
def plugin_factory(recording_iface, qgis_processing):
    """classFactory + initGui, with unload guaranteed even when a test fails."""
    loaded = []

    def make():
        plugin = jalnet.classFactory(recording_iface)
        plugin.initGui()
        loaded.append(plugin)
        return plugin

    yield make
    for plugin in loaded:
        if plugin.provider is not None or plugin.actions:
            plugin.unload()
    flush_deletes()


def test_plugin_loads_and_unloads(plugin_factory, recording_iface) -> None:
    registry = QgsApplication.processingRegistry()
    assert registry.providerById("jalnet") is None
    plugin = plugin_factory()

    provider = registry.providerById("jalnet")
    assert provider is not None and provider.name() == "JalNet"
    ids = {alg.id() for alg in provider.algorithms()}
    assert {"jalnet:createregistry", "jalnet:loadlayers", "jalnet:undobatch", "jalnet:copyregistry"} <= ids

    menu = [(m, a.text()) for m, a in recording_iface.calls["menu_add"]]
    assert ("&JalNet", "Registry panel") in menu
    assert ("&JalNet", "Create registry…") in menu
    assert ("&JalNet", "Open registry…") in menu
    assert ("&JalNet", "Processing toolbox (JalNet)") in menu
    [toolbar] = toolbars(recording_iface)
    assert {a.text() for a in toolbar.actions()} >= {"Registry panel", "Create registry…", "Open registry…"}
    assert all(a.isEnabled() for a in toolbar.actions())
    assert recording_iface.messageBar().get_messages(Qgis.Warning) == []

    plugin.toggle_dock(True)
    assert plugin.dock is not None and plugin.dock.isVisibleTo(recording_iface.mainWindow())
    assert recording_iface.calls["dock_add"] == [plugin.dock]
    dock = plugin.dock

    plugin.unload()
    flush_deletes()
    assert registry.providerById("jalnet") is None
    assert len(recording_iface.calls["menu_remove"]) == len(recording_iface.calls["menu_add"])
    assert toolbars(recording_iface) == []
    assert recording_iface.calls["dock_remove"] == [dock]
    assert plugin.dock is None and plugin.actions == {}


def test_plugin_can_be_reloaded(plugin_factory) -> None:
    first = plugin_factory()
    first.unload()
    flush_deletes()
    second = plugin_factory()
    assert QgsApplication.processingRegistry().providerById("jalnet") is second.provider


def test_missing_required_package_warns_and_skips_tools(plugin_factory, recording_iface, monkeypatch) -> None:
    geopandas = next(d for d in DEPENDENCIES if d.module == "geopandas")
    wntr = next(d for d in DEPENDENCIES if d.module == "wntr")
    fake = [Missing(geopandas, None, "ModuleNotFoundError: No module named 'geopandas'"), Missing(wntr)]
    monkeypatch.setattr("jalnet.plugin.main.check_dependencies", lambda **kw: fake)

    plugin = plugin_factory()  # must not raise

    warnings = recording_iface.messageBar().get_messages(Qgis.Warning)
    assert len(warnings) == 1
    assert "geopandas" in warnings[0] and "wntr" not in warnings[0]
    provider = QgsApplication.processingRegistry().providerById("jalnet")
    assert provider is not None
    # QGIS's Python lacking the engine's libraries hides no algorithm: they run in the engine process
    assert len(provider.algorithms()) == 17 and provider.skipped == []
    assert not plugin.actions["create"].isEnabled()
    assert not plugin.actions["panel"].isEnabled()
    assert plugin.actions["toolbox"].isEnabled()


def test_missing_optional_package_is_only_logged(plugin_factory, recording_iface, monkeypatch) -> None:
    wntr = next(d for d in DEPENDENCIES if d.module == "wntr")
    monkeypatch.setattr("jalnet.plugin.main.check_dependencies", lambda **kw: [Missing(wntr)])
    plugin = plugin_factory()
    assert recording_iface.messageBar().get_messages(Qgis.Warning) == []
    assert len(plugin.provider.algorithms()) >= 4


def test_show_registry_opens_the_panel_with_layers(plugin_factory, recording_iface, project, loaded_registry) -> None:
    path, _ = loaded_registry
    plugin = plugin_factory()
    assert plugin.show_registry(path)
    assert plugin.dock.isVisibleTo(recording_iface.mainWindow())
    assert plugin.dock.info_view.count_of("pipes") == 3
    assert plugin.dock.picker.file_widget.filePath() == path
    assert len(project.mapLayers()) >= 10


def test_loading_the_plugin_does_not_import_the_engine(tmp_path) -> None:
    """QGIS starts the provider at every launch: geopandas/pyproj must wait until a tool runs."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from qgis.core import QgsApplication\n"
        "app = QgsApplication([], False); app.initQgis()\n"
        "import jalnet\n"
        "plugin = jalnet.classFactory(None)\n"
        "plugin.initProcessing()\n"
        "assert len(plugin.provider.algorithms()) >= 4, plugin.provider.skipped\n"
        "heavy = sorted(m for m in ('pyproj', 'geopandas', 'pyogrio', 'jalnet.registry') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "QgsApplication.processingRegistry().removeProvider(plugin.provider)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_dependency_dialog_shows_the_install_command(plugin_factory, monkeypatch) -> None:
    from jalnet.plugin import main

    pyogrio = next(d for d in DEPENDENCIES if d.module == "pyogrio")
    monkeypatch.setattr(main, "check_dependencies", lambda **kw: [Missing(pyogrio)])
    shown: list[str] = []
    monkeypatch.setattr(main.QMessageBox, "exec_", lambda box: shown.append(box.text()) or 0)
    plugin = plugin_factory()
    plugin.show_dependencies()
    assert len(shown) == 1
    assert '"pyogrio>=0.6"' in shown[0] and '"numpy<2"' in shown[0]


def test_panel_action_toggles_the_dock(plugin_factory, recording_iface) -> None:
    plugin = plugin_factory()
    window = recording_iface.mainWindow()
    window.show()  # a dock's visibility follows its window's
    try:
        plugin.actions["panel"].trigger()
        assert plugin.dock.isVisible() and plugin.actions["panel"].isChecked()
        plugin.actions["panel"].trigger()
        assert not plugin.dock.isVisible() and not plugin.actions["panel"].isChecked()
    finally:
        window.hide()

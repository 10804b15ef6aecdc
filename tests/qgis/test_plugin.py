"""The plugin loads into QGIS, registers its provider and UI, and unloads cleanly."""

from __future__ import annotations

import pytest
from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QToolBar

import jalnet
from jalnet.dependencies import DEPENDENCIES, Missing
from jalnet.processing.provider import ALGORITHMS

pytestmark = pytest.mark.qgis


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()


def toolbars(iface) -> list[QToolBar]:
    return [tb for tb in iface.mainWindow().findChildren(QToolBar) if tb.objectName() == "JalNetToolbar"]


@pytest.fixture(autouse=True)
def engine_here(monkeypatch):
    """The engine is this test Python (it has JalNet), as JALNET_ENGINE; no engine path in the settings."""
    import sys

    from qgis.core import QgsSettings

    monkeypatch.setenv("JALNET_ENGINE", sys.executable)
    QgsSettings().remove("jalnet/engine_path")
    return sys.executable


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
    # JalNet's own icons (jalnet/icons/*.svg), none borrowed from the QGIS theme
    assert all(not a.icon().pixmap(24, 24).isNull() for a in toolbar.actions())
    assert len({a.icon().cacheKey() for a in toolbar.actions()}) == len(toolbar.actions())
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


def test_missing_package_in_qgis_python_skips_tools_without_pip_advice(plugin_factory, recording_iface,
                                                                        monkeypatch) -> None:
    geopandas = next(d for d in DEPENDENCIES if d.module == "geopandas")
    wntr = next(d for d in DEPENDENCIES if d.module == "wntr")
    fake = [Missing(geopandas, None, "ModuleNotFoundError: No module named 'geopandas'"), Missing(wntr)]
    monkeypatch.setattr("jalnet.plugin.main.check_dependencies", lambda **kw: fake)

    plugin = plugin_factory()  # must not raise

    assert recording_iface.messageBar().get_messages(Qgis.Warning) == []  # the engine has its own Python
    provider = QgsApplication.processingRegistry().providerById("jalnet")
    assert provider is not None
    # QGIS's Python lacking the engine's libraries hides no algorithm: they run in the engine process
    assert len(provider.algorithms()) == len(ALGORITHMS) and provider.skipped == []
    assert plugin.actions["toolbox"].isEnabled()


def test_registry_actions_follow_the_engine_not_qgis_python(plugin_factory, recording_iface, monkeypatch) -> None:
    """QGIS's Python without geopandas (the usual Windows QGIS) still has the registry tools once an engine is found."""
    geopandas = next(d for d in DEPENDENCIES if d.module == "geopandas")
    monkeypatch.setattr("jalnet.plugin.main.check_dependencies",
                        lambda **kw: [Missing(geopandas, None, "ModuleNotFoundError: No module named 'geopandas'")])
    monkeypatch.setattr("jalnet.plugin.engine.current_engine", lambda: ["/opt/engine/bin/jalnet"])
    plugin = plugin_factory()
    assert all(plugin.actions[key].isEnabled() for key in ("panel", "create", "open"))
    plugin.unload()
    flush_deletes()
    monkeypatch.setattr("jalnet.plugin.engine.current_engine", lambda: None)  # no engine: offered, tools off
    plugin = plugin_factory()
    assert not any(plugin.actions[key].isEnabled() for key in ("panel", "create", "open"))
    assert "JalNet engine" in plugin.actions["open"].toolTip()
    assert any("not installed yet" in m for m in recording_iface.messageBar().get_messages(Qgis.Warning))


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


def test_no_engine_offers_the_installer_never_pip(plugin_factory, recording_iface, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("JALNET_ENGINE")
    monkeypatch.setenv("PATH", str(tmp_path))  # no jalnet on PATH; the test profile has no managed engine
    plugin = plugin_factory()
    warnings = recording_iface.messageBar().get_messages(Qgis.Warning)
    assert len(warnings) == 1 and "JalNet engine is not installed" in warnings[0]
    assert "pip" not in warnings[0]
    assert "jalnet_engine" in {a.objectName() for a in plugin.actions.values()}


def test_engine_dialog_shows_the_engine_and_saves_its_path(plugin_factory, monkeypatch, engine_here) -> None:
    from qgis.core import QgsSettings

    from jalnet.plugin import engine

    shown: list[str] = []
    monkeypatch.setattr(engine.EngineDialog, "exec_", lambda dlg: shown.append(dlg.status.text()) or 0)
    plugin = plugin_factory()
    plugin.show_engine()
    assert shown == [f"Engine: {engine_here} -m jalnet"]
    dialog = plugin.engine_dialog
    dialog.path_edit.setText("/nowhere/jalnet")
    monkeypatch.delenv("JALNET_ENGINE")
    monkeypatch.setenv("PATH", "/nonexistent")
    dialog.save_path()
    assert QgsSettings().value("jalnet/engine_path") == "/nowhere/jalnet"
    assert dialog.status.text().startswith("No JalNet engine found (looked in plugin setting: /nowhere/jalnet;")
    assert dialog.install_button.text() == "Install the JalNet engine"
    QgsSettings().remove("jalnet/engine_path")


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

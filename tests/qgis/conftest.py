"""Fixtures for tests that need QGIS (pytest-qgis starts an offscreen QgsApplication).

Without python3-qgis the whole folder is skipped, unless JALNET_REQUIRE_QGIS=1 (CI on a
QGIS image), where a missing QGIS is an error rather than a silent skip.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

try:
    import qgis.core  # noqa: F401
except ImportError as err:
    if os.environ.get("JALNET_REQUIRE_QGIS") == "1":
        raise RuntimeError(f"JALNET_REQUIRE_QGIS=1 but QGIS's Python bindings cannot be imported: {err}") from err
    HAVE_QGIS = False
    collect_ignore_glob = ["test_*.py"]
else:
    HAVE_QGIS = True

# Processing runs the engines in the JalNet engine process: this checkout's own `jalnet`.
_ENGINE = Path(sys.executable).with_name("jalnet")
if _ENGINE.exists():
    os.environ.setdefault("JALNET_ENGINE", str(_ENGINE))


def pytest_report_header(config: pytest.Config) -> str:
    if HAVE_QGIS:
        from qgis.core import Qgis

        return f"QGIS {Qgis.QGIS_VERSION}"
    return "QGIS not importable: tests/qgis skipped (set JALNET_REQUIRE_QGIS=1 to fail instead)"


if HAVE_QGIS:
    from qgis.core import QgsApplication, QgsProject

    PROCESSING_PLUGINS = Path(QgsApplication.pkgDataPath()) / "python" / "plugins"
    if PROCESSING_PLUGINS.is_dir() and str(PROCESSING_PLUGINS) not in sys.path:
        sys.path.append(str(PROCESSING_PLUGINS))

    @pytest.fixture
    def jalnet_provider(qgis_processing):
        """JalNet's provider in the Processing registry, as the plugin registers it.

        Per test, and removed afterwards, so plugin tests can check that loading the plugin
        is what registers it.
        """
        from jalnet.processing.provider import JalnetProvider

        registry = QgsApplication.processingRegistry()
        provider = registry.providerById("jalnet")
        added = None
        if provider is None:
            added = JalnetProvider()
            assert registry.addProvider(added)
            provider = added
        yield provider
        if added is not None and registry.providerById("jalnet") is added:
            registry.removeProvider(added)

    @pytest.fixture
    def project(qgis_new_project) -> QgsProject:
        """The (emptied) project instance."""
        return QgsProject.instance()

    @pytest.fixture
    def recording_iface(qgis_iface, monkeypatch: pytest.MonkeyPatch):
        """pytest-qgis's iface plus the menu and dock methods its stub lacks, recording calls."""
        calls: dict[str, list] = {"menu_add": [], "menu_remove": [], "dock_add": [], "dock_remove": []}
        monkeypatch.setattr(qgis_iface, "addPluginToMenu", lambda menu, a: calls["menu_add"].append((menu, a)))
        monkeypatch.setattr(
            qgis_iface, "removePluginMenu", lambda menu, a: calls["menu_remove"].append((menu, a)), raising=False
        )
        monkeypatch.setattr(qgis_iface, "addDockWidget", lambda area, d: calls["dock_add"].append(d))
        monkeypatch.setattr(qgis_iface, "removeDockWidget", lambda d: calls["dock_remove"].append(d), raising=False)
        qgis_iface.calls = calls
        bar = qgis_iface.messageBar()
        for messages in bar.messages.values():
            messages.clear()
        yield qgis_iface
        del qgis_iface.calls


@pytest.fixture
def pipes_4326(tmp_path: Path) -> Path:
    """A GeoPackage with a 'pipes' layer of three pipes in EPSG:4326 (near Guwahati, Assam)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame(
        {
            "pipe_id": ["P-1", "P-2", "P-3"],
            "material": ["DI", "HDPE", None],
            "diameter_mm": [150.0, 90.0, 63.0],
            "status": ["in_service", "in_service", "planned"],
            "contractor_note": ["not a registry field", "", ""],
        },
        geometry=[
            LineString([(91.70, 26.10), (91.71, 26.10)]),
            LineString([(91.71, 26.10), (91.71, 26.11)]),
            LineString([(91.71, 26.11), (91.72, 26.115)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "contractor.gpkg"
    gdf.to_file(path, layer="pipes", driver="GPKG")
    return path


@pytest.fixture
def loaded_registry(tmp_path: Path, pipes_4326: Path) -> tuple[str, str]:
    """A registry with the three pipes loaded as one batch; returns (path, batch_id)."""
    from jalnet.registry import create_registry, load_layers

    path = str(tmp_path / "scheme.gpkg")
    with create_registry(path, crs="EPSG:32646") as reg:
        result = load_layers(reg, str(pipes_4326))
    return path, result["batch_id"]

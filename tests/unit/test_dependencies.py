"""The dependency check finds missing, broken and old packages and says how to install them."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util

import pytest

from jalnet import dependencies as deps
from jalnet.dependencies import Dependency, check_dependencies, install_hint, version_tuple

FAKE_REQUIRED = Dependency("jalnet_fake_required_mod", "jalnet-fake-required", "1.0", "the fake tool")
FAKE_OPTIONAL = Dependency("jalnet_fake_optional_mod", "jalnet-fake-optional", "1.0", "hydraulics", required=False)
FAKE_OLD = Dependency("jalnet_fake_old_mod", "jalnet-fake-old", "1.2", "old stuff")
FAKE_BROKEN = Dependency("jalnet_fake_broken_mod", "jalnet-fake-broken", "1.0", "broken stuff")
ABSENT = {"jalnet_fake_required_mod", "jalnet_fake_optional_mod", "numpy"}


@pytest.fixture
def fake_packages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """importlib sees some names as absent, one as old and one as present but failing to import."""
    real_find_spec, real_import, real_version = (
        importlib.util.find_spec,
        importlib.import_module,
        importlib.metadata.version,
    )
    imported: list[str] = []

    def find_spec(name: str, package: str | None = None):
        if name in ABSENT:
            return None
        if name in ("jalnet_fake_old_mod", "jalnet_fake_broken_mod"):
            return importlib.machinery.ModuleSpec(name, None)
        return real_find_spec(name, package)

    def import_module(name: str, package: str | None = None):
        imported.append(name)
        if name == "jalnet_fake_broken_mod":
            raise ImportError("DLL load failed while importing _geos: The specified module could not be found.")
        return real_import(name, package)

    def version(dist: str) -> str:
        if dist == "jalnet-fake-old":
            return "0.9.1"
        return real_version(dist)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(importlib, "import_module", import_module)
    monkeypatch.setattr(importlib.metadata, "version", version)
    return imported


def test_version_tuple_orders_versions() -> None:
    assert version_tuple("2.0.1rc1") == (2, 0, 1)
    assert version_tuple("1.26.4") < version_tuple("2.0")
    assert version_tuple("0.12") < version_tuple("0.12.2")


def test_missing_and_old_are_reported_required_first(fake_packages) -> None:
    present = Dependency("json", "json", "0", "nothing")
    missing = check_dependencies((FAKE_OPTIONAL, present, FAKE_REQUIRED, FAKE_OLD))
    assert [m.module for m in missing] == ["jalnet_fake_required_mod", "jalnet_fake_old_mod", "jalnet_fake_optional_mod"]
    assert missing[0].found is None and "No module named" in missing[0].error
    assert missing[1].found == "0.9.1"
    assert "too old" in missing[1].describe() and "1.2" in missing[1].describe()
    assert missing[2].required is False
    assert fake_packages == []  # the quick check (at every QGIS start) imports nothing


def test_deep_check_catches_a_package_that_does_not_import(fake_packages) -> None:
    assert check_dependencies((FAKE_BROKEN,)) == []  # present on disk...
    [broken] = check_dependencies((FAKE_BROKEN,), import_modules=True)  # ...but does not load
    assert "DLL load failed" in broken.error and broken.found is None
    assert "jalnet_fake_broken_mod" in fake_packages


def test_required_dependencies_are_installed_where_tests_run() -> None:
    # The package's own requirements: if one is missing here, the check itself is wrong.
    assert [m.describe() for m in check_dependencies(import_modules=True) if m.required] == []


def test_numpy_missing_is_detected_in_the_real_list(fake_packages) -> None:
    missing = [m for m in check_dependencies() if m.required]
    assert [m.module for m in missing] == ["numpy"]
    assert deps.missing_modules(missing) == {"numpy"}


def test_install_hint_windows_uses_osgeo4w_and_pins_numpy(fake_packages) -> None:
    missing = check_dependencies((FAKE_REQUIRED,))
    hint = install_hint(missing, platform="win32")
    assert "OSGeo4W Shell" in hint
    assert 'python -m pip install --upgrade "numpy<2" "jalnet-fake-required>=1.0"' in hint
    assert "--user" not in hint


def test_install_hint_linux_gives_pip_user_and_apt(fake_packages) -> None:
    missing = [m for m in check_dependencies() if m.module == "numpy"]
    hint = install_hint(missing, platform="linux")
    assert 'python3 -m pip install --user --upgrade "numpy>=1.21,<2"' in hint
    assert "sudo apt install python3-numpy" in hint
    assert "--break-system-packages" in hint


def test_linux_gets_a_shapely_that_works_with_qgis_own_geos() -> None:
    shapely = next(d for d in deps.DEPENDENCIES if d.module == "shapely")
    missing = [deps.Missing(shapely)]
    assert '"shapely>=2.0,<2.1"' in install_hint(missing, platform="linux")
    assert '"shapely>=2.0"' in install_hint(missing, platform="win32")
    # QGIS on Debian 12 runs GEOS 3.11: shapely 2.1+ asks it for 4-dimension WKB, which it refuses
    message = deps.geos_conflict("2.2.0", (3, 11), platform="linux")
    assert message is not None and "shapely 2.2.0" in message and '"shapely>=2.0,<2.1"' in message
    assert deps.geos_conflict("2.0.7", (3, 11), platform="linux") is None
    assert deps.geos_conflict("2.2.0", (3, 12), platform="linux") is None
    assert deps.geos_conflict("2.2.0", (3, 11), platform="win32") is None  # Windows DLLs keep their own GEOS
    assert deps.geos_conflict(None, (3, 11), platform="linux") is None


def test_pyarrow_is_pinned_to_a_version_that_imports_with_numpy_1() -> None:
    pyarrow = next(d for d in deps.DEPENDENCIES if d.module == "pyarrow")
    assert not pyarrow.required  # results are the same without it, only slower to write
    for platform in ("win32", "linux", "darwin"):
        assert '"numpy<2" "pyarrow>=8,<26"' in install_hint([deps.Missing(pyarrow)], platform=platform)


def test_install_hint_when_nothing_is_missing() -> None:
    assert "All Python packages" in install_hint([])

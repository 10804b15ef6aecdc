"""The dependency check finds missing, broken and old packages and says how to install them."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util

import pytest

from jalnet import dependencies as deps
from jalnet.dependencies import Dependency, check_dependencies, version_tuple

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


@pytest.mark.parametrize("platform", ["win32", "linux", "darwin"])
def test_engine_hint_never_installs_into_qgis_python(platform) -> None:
    hint = deps.engine_hint(platform)
    assert "Install the JalNet engine" in hint
    assert '-m pip install "jalnet[all]"' in hint  # into a venv of its own ...
    assert "-m venv" in hint
    for qgis_route in ("OSGeo4W", "numpy<2", "--user", "--break-system-packages", "QGIS.app"):
        assert qgis_route not in hint  # ... never into QGIS's Python
    assert ("Scripts" in hint) == platform.startswith("win")

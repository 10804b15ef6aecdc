"""The QGIS plugin zip that `make package` builds is one the plugin repository accepts.

scripts/package.sh copies the work tree (tracked and untracked files, less the ignored
ones) into a throw-away git repository, commits it and runs `qgis-plugin-ci package`
there; these tests build the zip that way once and inspect it.

Skipped when qgis-plugin-ci or git is missing, unless CI or JALNET_REQUIRE_PACKAGING=1
is set: then it fails instead.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

import jalnet

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = "jalnet"
MAX_ZIP_BYTES = 25 * 1000 * 1000  # the QGIS plugin repository's limit is 25 MB
REQUIRED_METADATA = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
    "tracker",  # qgis-plugin-ci refuses to package without it
)
BINARY_SUFFIXES = (".so", ".pyd", ".dll", ".exe", ".dylib", ".pyc", ".pyo")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


PACKAGING_REQUIRED = _truthy(os.environ.get("CI")) or _truthy(os.environ.get("JALNET_REQUIRE_PACKAGING"))


def _pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
    assert match, "no version in pyproject.toml's [project]"
    return match.group(1)


def _parse_metadata(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep qgisMinimumVersion's case
    parser.read_string(text)
    assert parser.has_section("general"), "metadata.txt has no [general] section"
    return dict(parser.items("general"))


def _find_qgis_plugin_ci() -> str | None:
    beside_python = Path(sys.executable).parent / "qgis-plugin-ci"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("qgis-plugin-ci")


def _need(tool: str | None, what: str) -> str:
    if tool:
        return tool
    message = f"{what} not found (scripts/bootstrap.sh installs it)"
    if PACKAGING_REQUIRED:
        pytest.fail(message + "; packaging is required under CI / JALNET_REQUIRE_PACKAGING=1")
    pytest.skip(message)


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory) -> Path:
    qpc = _need(_find_qgis_plugin_ci(), "qgis-plugin-ci")
    _need(shutil.which("git"), "git")
    out = tmp_path_factory.mktemp("package")
    env = dict(os.environ, QGIS_PLUGIN_CI=qpc)
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "package.sh"), str(out)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"packaging failed:\n{result.stdout}\n{result.stderr}"
    zips = sorted(out.glob("*.zip"))
    assert [z.name for z in zips] == [f"jalnet.{_pyproject_version()}.zip"], result.stdout + result.stderr
    return zips[0]


@pytest.fixture(scope="module")
def zip_names(plugin_zip: Path) -> list[str]:
    with zipfile.ZipFile(plugin_zip) as zf:
        assert zf.testzip() is None, "corrupt member in the plugin zip"
        return zf.namelist()


@pytest.fixture(scope="module")
def zip_metadata(plugin_zip: Path) -> dict[str, str]:
    with zipfile.ZipFile(plugin_zip) as zf:
        return _parse_metadata(zf.read(f"{PLUGIN_DIR}/metadata.txt").decode("utf-8"))


def test_versions_agree():
    """pyproject.toml, jalnet.__version__ and the source metadata.txt name one version."""
    version = _pyproject_version()
    assert jalnet.__version__ == version
    source_metadata = ROOT / PLUGIN_DIR / "metadata.txt"
    assert source_metadata.is_file(), "jalnet/metadata.txt is missing"
    assert _parse_metadata(source_metadata.read_text(encoding="utf-8")).get("version") == version


def test_zip_has_one_top_folder(zip_names):
    tops = {name.split("/", 1)[0] for name in zip_names}
    assert tops == {PLUGIN_DIR}
    assert all(name.startswith(f"{PLUGIN_DIR}/") for name in zip_names)


def test_zip_has_plugin_entry_points(zip_names):
    for needed in ("metadata.txt", "__init__.py", "LICENSE"):
        assert f"{PLUGIN_DIR}/{needed}" in zip_names, f"{needed} missing from the zip"


def test_zip_metadata_fields(zip_metadata):
    missing = [key for key in REQUIRED_METADATA if not zip_metadata.get(key, "").strip()]
    assert not missing, f"metadata.txt lacks {missing}"
    assert zip_metadata["name"].strip()
    assert re.fullmatch(r"3\.\d+(\.\d+)?", zip_metadata["qgisMinimumVersion"].strip())
    assert "@" in zip_metadata["email"]
    assert zip_metadata["repository"].strip().startswith(("http://", "https://"))
    assert zip_metadata["hasProcessingProvider"].strip().lower() == "yes"


def test_zip_metadata_version(zip_metadata):
    assert zip_metadata["version"].strip() == jalnet.__version__ == _pyproject_version()


def test_zip_changelog_from_changelog_md(zip_metadata):
    """qgis-plugin-ci writes CHANGELOG.md's latest entries into metadata.txt's changelog."""
    version = _pyproject_version()
    changelog_md = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog_md, re.MULTILINE), (
        f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' entry"
    )
    assert f"Version {version}:" in zip_metadata.get("changelog", "")


def test_source_changelog_left_to_packaging():
    """qgis-plugin-ci replaces only the `changelog=` line itself: text on the lines under it
    would stay in the zip after the generated changelog, so metadata.txt leaves it empty."""
    source = _parse_metadata((ROOT / PLUGIN_DIR / "metadata.txt").read_text(encoding="utf-8"))
    assert source.get("changelog", "").strip() == "", (
        "leave `changelog=` empty in jalnet/metadata.txt: `make package` fills it from CHANGELOG.md"
    )


def test_zip_icon_present(zip_metadata, zip_names):
    icon = zip_metadata.get("icon", "").strip()
    if icon:
        assert f"{PLUGIN_DIR}/{icon}" in zip_names, f"icon {icon} named in metadata.txt is not in the zip"


def test_zip_has_no_tests(zip_names):
    offenders = [
        name
        for name in zip_names
        if {"tests", "test"} & set(name.split("/")[:-1])
        or re.fullmatch(r"(test_.*|.*_test|conftest)\.py", name.rsplit("/", 1)[-1])
    ]
    assert not offenders, f"tests in the plugin zip: {offenders}"


def test_zip_has_no_binaries(zip_names):
    offenders = [name for name in zip_names if name.lower().endswith(BINARY_SUFFIXES) or "/__pycache__/" in name]
    assert not offenders, f"compiled files in the plugin zip: {offenders}"


def test_zip_size(plugin_zip):
    size = plugin_zip.stat().st_size
    assert size < MAX_ZIP_BYTES, f"{plugin_zip.name} is {size} bytes, over the 25 MB limit"


def test_zip_metadata_sends_users_to_the_engine_not_to_pip(zip_metadata):
    about = zip_metadata["about"]
    assert not re.search(r"\bpip\b", about)
    for qgis_route in ("OSGeo4W", "numpy (below 2)", "in the Python that QGIS uses"):
        assert qgis_route not in about
    assert "Install the JalNet engine" in about
    assert not re.search(r"\b\d+ algorithms\b", about)  # a count goes stale: none is stated


def test_zip_has_the_toolbar_icons(zip_names):
    icons = {n.rsplit("/", 1)[-1] for n in zip_names if n.startswith(f"{PLUGIN_DIR}/icons/")}
    assert {"registry.svg", "create.svg", "open.svg", "toolbox.svg", "engine.svg"} <= icons


def test_wheel_installs_every_engine_with_the_all_extra(jalnet_wheel):
    """The wheel the engine installer installs: every extra is part of 'all', the toolbar icons and data ship."""
    wheel = jalnet_wheel
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        [meta_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(meta_name).decode("utf-8")
    assert "Provides-Extra: all" in meta
    all_reqs = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and
                re.search(r"extra == ['\"]all['\"]", line)]
    with open(ROOT / "pyproject.toml", "rb") as f:
        extras = set(tomllib.load(f)["project"]["optional-dependencies"]) - {"all", "test"}
    assert all_reqs and all(any(e in req for req in all_reqs) for e in extras), all_reqs
    assert "jalnet/icons/engine.svg" in names and "jalnet/data/sample_scheme.gpkg" in names
    assert "jalnet/engineclient/install.py" in names
    # pip resolves jalnet[all] from this wheel with no index: every engine's packages are installed here
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links",
                           str(wheel.parent), f"jalnet[all] @ {wheel.as_uri()}"], env={**env, "PIP_CONFIG_FILE": os.devnull},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Would install jalnet-" in done.stdout
    for package in ("wntr", "lasio", "psycopg2-binary"):
        assert f"Requirement already satisfied: {package}" in done.stdout

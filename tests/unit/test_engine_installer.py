"""The engine installer's options, masking and failure paths (the full install: tests/qgis/test_engine_install.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from jalnet.engineclient import install
from jalnet.engineclient.install import Cancelled, Installer, InstallError, InstallOptions, mask
from jalnet.engineclient.locate import MARKER, managed_engine, managed_env_dir


def test_mask_hides_url_passwords_only() -> None:
    assert mask("--index-url https://ram:s3cr3t@mirror.example/simple") == \
        "--index-url https://ram:***@mirror.example/simple"
    assert mask("postgresql://u:p%40ss@db:5432/x?schema=a") == "postgresql://u:***@db:5432/x?schema=a"
    assert mask("https://mirror.example/simple and C:\\x:y") == "https://mirror.example/simple and C:\\x:y"


def test_options_from_settings_and_environment(tmp_path, monkeypatch) -> None:
    for var in (install.ENV_WHEELHOUSE, install.ENV_INDEX_URL, install.ENV_USE_UV, install.ENV_EXTRAS):
        monkeypatch.delenv(var, raising=False)
    plain = InstallOptions.from_settings(str(tmp_path))
    assert plain.env_dir == managed_env_dir(str(tmp_path))
    assert (plain.find_links, plain.index_url, plain.no_index) == ([], None, False)
    assert plain.requirement == f"jalnet[all]=={install.__version__}"

    offline = InstallOptions.from_settings(str(tmp_path), wheelhouse=f"/a{os.pathsep}/b")
    assert offline.find_links == ["/a", "/b"] and offline.no_index  # a wheelhouse alone: offline
    mirror = InstallOptions.from_settings(str(tmp_path), wheelhouse="/a", index_url="https://m/simple")
    assert not mirror.no_index and mirror.index_url == "https://m/simple"

    monkeypatch.setenv(install.ENV_WHEELHOUSE, "/w")
    monkeypatch.setenv(install.ENV_EXTRAS, "")
    from_env = InstallOptions.from_settings(str(tmp_path))
    assert from_env.find_links == ["/w"] and from_env.no_index
    assert from_env.requirement == f"jalnet=={install.__version__}"
    argv = Installer(from_env).pip_argv(Path("/env/bin/python"))
    assert argv[:4] == ["/env/bin/python", "-m", "pip", "install"]
    assert argv[-4:] == ["--no-index", "--find-links", "/w", from_env.requirement]


def test_clean_env_drops_qgis_python_variables() -> None:
    env = install.clean_env({"PYTHONHOME": "C:/OSGeo4W/apps/Python39", "PYTHONPATH": "x", "PATH": "/bin"})
    assert env == {"PATH": "/bin", "PYTHONNOUSERSITE": "1", "PYTHONIOENCODING": "utf-8"}


def test_base_python_is_found() -> None:
    python = install.find_base_python()
    assert Path(python).is_file() and "python" in Path(python).name


@pytest.fixture
def offline_env(tmp_path):
    """Options for an offline install from an empty wheel folder: pip can only fail."""
    empty = tmp_path / "wheels"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    options = InstallOptions(env_dir=managed_env_dir(str(tmp_path / "profile")), python=sys.executable,
                             find_links=[str(empty)], no_index=True, index_url="https://ram:s3cr3t@mirror.invalid/s",
                             env=env)
    return options


def test_failed_install_says_why_in_one_line_and_is_not_used(offline_env, tmp_path) -> None:
    lines: list[str] = []
    progress: list[float] = []
    with pytest.raises(InstallError) as err:
        Installer(offline_env, progress=lambda f, s: progress.append(f), log=lines.append).run()
    message = str(err.value)
    assert "\n" not in message and message.startswith("installing jalnet[all]")
    assert "engine-install.log" in message
    assert not (offline_env.env_dir / MARKER).exists()
    assert managed_engine(str(tmp_path / "profile")) is None
    log_text = (offline_env.env_dir.parent / "engine-install.log").read_text()
    assert "s3cr3t" not in log_text and "s3cr3t" not in "\n".join(lines)
    assert "ram:***@mirror.invalid" in log_text
    assert progress[0] == 0.0 and max(progress) < 1.0


def test_cancel_stops_pip(offline_env) -> None:
    seen: list[str] = []
    with pytest.raises(Cancelled):
        Installer(offline_env, log=seen.append, cancelled=lambda: any("pip" in x for x in seen)).run()
    assert not (offline_env.env_dir / MARKER).exists()

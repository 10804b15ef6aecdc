"""find_engine: the plugin setting, then JALNET_ENGINE, then the managed environment, then PATH."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jalnet.engineclient import locate
from jalnet.engineclient.locate import MARKER, env_executable, find_engine, managed_env_dir


def script(path: Path, body: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    """One engine in each place the search looks; PATH holds only the PATH one."""
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    configured = script(tmp_path / "configured" / "jalnet")
    from_env = script(tmp_path / "fromenv" / "jalnet")
    profile = tmp_path / "profile"
    managed = script(env_executable(managed_env_dir(str(profile)), "jalnet"))
    (managed_env_dir(str(profile)) / MARKER).write_text(json.dumps({"jalnet": "0.1.0"}))
    on_path = script(tmp_path / "pathdir" / "jalnet")
    monkeypatch.setenv("PATH", str(on_path.parent))
    return {"configured": configured, "env": from_env, "profile": profile, "managed": managed, "path": on_path}


def test_managed_env_dir_is_inside_the_profile() -> None:
    assert managed_env_dir("/p/profiles/default") == Path("/p/profiles/default/jalnet/engine-env")


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for executables")
def test_search_order(places, monkeypatch) -> None:
    monkeypatch.setenv(locate.ENV_VAR, str(places["env"]))
    profile = str(places["profile"])
    assert find_engine(str(places["configured"]), profile) == [str(places["configured"])]
    assert find_engine(None, profile) == [str(places["env"])]
    assert find_engine("", profile) == [str(places["env"])]  # an empty setting is no setting
    monkeypatch.delenv(locate.ENV_VAR)
    assert find_engine(None, profile) == [str(places["managed"])]
    assert find_engine(None, None) == [str(places["path"])]
    monkeypatch.setenv("PATH", str(places["profile"]))  # no jalnet there
    assert find_engine(None, None) is None
    # a setting that points nowhere falls through to the next place
    assert find_engine(str(places["profile"] / "missing" / "jalnet"), profile) == [str(places["managed"])]


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for executables")
def test_managed_environment_needs_the_installer_marker(places) -> None:
    profile = str(places["profile"])
    (managed_env_dir(profile) / MARKER).unlink()  # an install that stopped half way
    assert find_engine(None, profile) == [str(places["path"])]


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for executables")
def test_python_with_jalnet_runs_as_module_and_python_without_is_skipped(tmp_path, places, monkeypatch) -> None:
    good = script(tmp_path / "good" / "python3", "exit 0")  # find_spec('jalnet.cli') found
    bad = script(tmp_path / "bad" / "python3", "exit 1")  # a Python without JalNet
    profile = str(places["profile"])
    assert find_engine(str(good), profile) == [str(good), "-m", "jalnet"]
    assert find_engine(str(bad), profile) == [str(places["managed"])]
    monkeypatch.setenv(locate.ENV_VAR, str(good))
    assert find_engine(None, profile) == [str(good), "-m", "jalnet"]


def test_real_python_with_jalnet(tmp_path) -> None:
    import sys

    assert locate.engine_command(sys.executable) == [sys.executable, "-m", "jalnet"]


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for executables")
def test_an_environment_folder_is_accepted(tmp_path, places) -> None:
    env = tmp_path / "someenv"
    exe = script(env_executable(env, "jalnet"))
    assert find_engine(str(env), str(places["profile"])) == [str(exe)]
    assert [where for where, _ in locate.candidates(str(env), str(places["profile"]))] == [
        "plugin setting", "managed environment", "PATH"]

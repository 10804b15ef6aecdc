"""Where the JalNet engine is: the command that starts its CLI, found without importing it.

The QGIS side never imports the engine stack (geopandas, pyogrio, pyproj, ...): it runs the
engine in a process of its own, so it only needs to know which command starts it. Looked
for in this order, the first usable one wins:

1. *configured*: the plugin's setting (QgsSettings key :data:`SETTING_KEY`);
2. the ``JALNET_ENGINE`` environment variable;
3. the managed environment the plugin installs, :func:`managed_env_dir` of the profile;
4. ``jalnet`` on PATH.

1 and 2 name a ``jalnet`` executable, a Python that has JalNet, or an environment folder
holding either. Pure standard library: no QGIS import, so tests and the CLI can use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ENV_VAR = "JALNET_ENGINE"
#: QgsSettings key of the engine path the user set in the plugin's settings.
SETTING_KEY = "jalnet/engine_path"
#: Written into the managed environment by the installer once its check passed; an
#: environment without it is a broken or unfinished install and is not used.
MARKER = "jalnet-engine.json"

_WINDOWS = sys.platform.startswith("win")


def managed_env_dir(profile_dir: str) -> Path:
    """The environment the plugin installs the engine into, inside the QGIS profile folder."""
    return Path(profile_dir) / "jalnet" / "engine-env"


def env_executable(env_dir: str | os.PathLike, name: str) -> Path:
    """``<env>/bin/<name>`` (``<env>\\Scripts\\<name>.exe`` on Windows)."""
    if _WINDOWS:
        return Path(env_dir) / "Scripts" / f"{name}.exe"
    return Path(env_dir) / "bin" / name


def _is_python(path: Path) -> bool:
    return path.name.lower().removesuffix(".exe").startswith("python")


def python_has_jalnet(python: str | os.PathLike) -> bool:
    """True when *python* can import JalNet's CLI module (a cheap look-up, nothing heavy is imported)."""
    code = "import importlib.util,sys; sys.exit(importlib.util.find_spec('jalnet.cli') is None)"
    try:
        done = subprocess.run([str(python), "-c", code], cwd=str(Path(python).parent), capture_output=True,
                              timeout=60, **_no_window())
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _no_window() -> dict:
    """No console window flashing up on Windows for each helper process."""
    return {"creationflags": subprocess.CREATE_NO_WINDOW} if _WINDOWS else {}


def engine_command(path: str | os.PathLike) -> list[str] | None:
    """The argv prefix for *path* (an executable, a Python, or an environment folder), or None if unusable."""
    candidate = Path(os.path.expanduser(str(path)))
    if candidate.is_dir():
        for name in ("jalnet", "python"):
            found = engine_command(env_executable(candidate, name))
            if found:
                return found
        return None
    if not candidate.is_file() or not os.access(candidate, os.X_OK):
        return None
    if _is_python(candidate):
        return [str(candidate), "-m", "jalnet"] if python_has_jalnet(candidate) else None
    return [str(candidate)]


def managed_engine(profile_dir: str) -> list[str] | None:
    """The engine of the managed environment, when the installer finished and checked it."""
    env_dir = managed_env_dir(profile_dir)
    if not (env_dir / MARKER).is_file():
        return None
    exe = env_executable(env_dir, "jalnet")
    return [str(exe)] if exe.is_file() else None


def candidates(configured: str | None = None, profile_dir: str | None = None) -> list[tuple[str, str]]:
    """(where, what) for each place looked in, in search order, for messages ("looked in ...")."""
    out = []
    if configured:
        out.append(("plugin setting", configured))
    if os.environ.get(ENV_VAR):
        out.append((ENV_VAR, os.environ[ENV_VAR]))
    if profile_dir:
        out.append(("managed environment", str(managed_env_dir(profile_dir))))
    out.append(("PATH", "jalnet"))
    return out


def find_engine(configured: str | None = None, profile_dir: str | None = None) -> list[str] | None:
    """The argv prefix that starts the engine CLI (e.g. ``['/x/bin/jalnet']``), or None when there is none."""
    for where, what in candidates(configured, profile_dir):
        if where == "managed environment":
            found = managed_engine(str(profile_dir))
        elif where == "PATH":
            exe = shutil.which("jalnet")
            found = [exe] if exe else None
        else:
            found = engine_command(what)
        if found:
            return found
    return None

"""Where the JalNet engine is: the argv prefix that starts the ``jalnet`` command.

Minimal form: the ``JALNET_ENGINE`` environment variable (a ``jalnet`` executable or a
Python that has JalNet), then ``jalnet`` on PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def managed_env_dir(profile_dir: str) -> Path:
    """The engine environment the plugin manages inside a QGIS profile folder."""
    return Path(profile_dir) / "jalnet" / "engine-env"


def _argv(value: str) -> list[str] | None:
    path = shutil.which(value) or (value if Path(value).exists() else None)
    if not path:
        return None
    name = Path(path).name.lower()
    return [path, "-m", "jalnet"] if name.startswith("python") else [path]


def find_engine(configured: str | None = None, profile_dir: str | None = None) -> list[str] | None:
    """The argv prefix that starts the engine CLI, or None when there is none."""
    for value in (configured, os.environ.get("JALNET_ENGINE")):
        if value and value.strip():
            found = _argv(value.strip())
            if found:
                return found
    found = shutil.which("jalnet")
    return [found] if found else None

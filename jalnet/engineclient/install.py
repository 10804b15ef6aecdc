"""Install the JalNet engine into an environment of its own, managed by the plugin.

The engine (geopandas, pyogrio, pyproj, rasterio, wntr ...) runs in its own process, so it
needs its own Python environment, independent of the one QGIS runs: numpy 2 and current
releases are fine there, and nothing has to be pip-installed into QGIS's Python. This
module makes that environment (``python -m venv``, or ``uv`` when asked for), pip-installs
``jalnet[all]`` into it from the package index or from a local wheelhouse / index (offline
departments, tests), then checks it by running the engine. Pure standard library: the
plugin runs it from a QgsTask, and ``python -m jalnet.engineclient.install`` runs it by hand.

Progress goes to a callback (fraction done, step name) and every line of output to a log
callback and to ``<profile>/jalnet/engine-install.log``, with passwords in URLs masked.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import __version__
from ..masking import mask
from .locate import MARKER, _no_window, env_executable, managed_env_dir

#: Environment variables with the same meaning as the plugin's settings (see InstallOptions).
ENV_WHEELHOUSE = "JALNET_WHEELHOUSE"
ENV_INDEX_URL = "JALNET_INDEX_URL"
ENV_USE_UV = "JALNET_USE_UV"
#: Extras of jalnet to install ("all" when unset; "" installs the core engines only: registry, tracks, network).
ENV_EXTRAS = "JALNET_ENGINE_EXTRAS"
#: QgsSettings keys of the same options.
SETTING_WHEELHOUSE = "jalnet/engine_wheelhouse"
SETTING_INDEX_URL = "jalnet/engine_index_url"

#: Modules the check imports in the new environment: what every engine needs.
CHECK_MODULES = ("numpy", "pandas", "shapely", "pyproj", "geopandas", "pyogrio", "networkx")

Progress = Callable[[float, str], None]
Log = Callable[[str], None]


class InstallError(Exception):
    """The install stopped; the message is one line for the user, the log has the details."""


class Cancelled(InstallError):
    """The user cancelled."""


@dataclass
class InstallOptions:
    """What to install, where from, with which Python."""

    env_dir: Path
    #: Base Python for the environment; None: found by :func:`find_base_python`.
    python: str | None = None
    #: Local folders (or URLs) of wheels: pip's --find-links. With ``no_index`` they are the only source.
    find_links: list[str] = field(default_factory=list)
    #: A package index other than PyPI (a department mirror).
    index_url: str | None = None
    no_index: bool = False
    #: Extras of the jalnet distribution; "all" is every engine.
    extras: str = "all"
    #: Version to install; the plugin's own by default, so plugin and engine match.
    version: str | None = __version__
    use_uv: bool = False
    #: Environment for the pip/uv processes (None: this process's).
    env: dict[str, str] | None = None

    @property
    def requirement(self) -> str:
        req = "jalnet" + (f"[{self.extras}]" if self.extras else "")
        return req + (f"=={self.version}" if self.version else "")

    @classmethod
    def from_settings(cls, profile_dir: str, wheelhouse: str = "", index_url: str = "") -> InstallOptions:
        """Options for the managed environment of *profile_dir*; settings first, then environment variables.

        A wheelhouse is an offline source: pip looks there only (``--no-index``), unless an
        index URL is given too.
        """
        wheelhouse = wheelhouse or os.environ.get(ENV_WHEELHOUSE, "")
        index_url = index_url or os.environ.get(ENV_INDEX_URL, "")
        links = [p for p in wheelhouse.split(os.pathsep) if p]
        return cls(
            env_dir=managed_env_dir(profile_dir),
            find_links=links,
            index_url=index_url or None,
            no_index=bool(links) and not index_url,
            use_uv=os.environ.get(ENV_USE_UV, "") not in ("", "0"),
            extras=os.environ.get(ENV_EXTRAS, "all"),
        )


#: Variables QGIS sets for its own Python (PYTHONHOME, PYTHONPATH on Windows) that would make
#: the environment's Python see QGIS's packages, or the plugin folder as an installed jalnet.
_PYTHON_VARS = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")


def clean_env(base: dict[str, str] | os._Environ) -> dict[str, str]:
    """*base* without QGIS's Python variables, and without the user site-packages, for the engine's processes."""
    env = {k: v for k, v in base.items() if k not in _PYTHON_VARS}
    env["PYTHONNOUSERSITE"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _python_version(python: str) -> tuple[int, int] | None:
    code = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60, env=clean_env(os.environ),
                              **_no_window())
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    major, minor = done.stdout.strip().split(".")
    return int(major), int(minor)


def python_candidates() -> list[str]:
    """Pythons to try, QGIS's own first: inside QGIS ``sys.executable`` may be qgis-bin(.exe), so look beside it."""
    found: list[str] = []
    names = ("python.exe", "python3.exe") if sys.platform.startswith("win") else ("python3", "python")
    for path in (getattr(sys, "_base_executable", ""), sys.executable):
        if path and Path(path).name.lower().startswith("python"):
            found.append(path)
    for prefix in (sys.base_exec_prefix, sys.exec_prefix):
        for sub in ("", "bin"):
            for name in names:
                found.append(str(Path(prefix, sub, name)))
    for name in names:
        exe = shutil.which(name)
        if exe:
            found.append(exe)
    unique: list[str] = []
    for path in found:
        if path not in unique and Path(path).is_file():
            unique.append(path)
    return unique


def find_base_python(minimum: tuple[int, int] = (3, 9)) -> str:
    """The first candidate Python that can make a venv with pip and is recent enough."""
    tried = []
    for python in python_candidates():
        version = _python_version(python)
        if version and version >= minimum:
            return python
        tried.append(python)
    raise InstallError(
        f"no Python {minimum[0]}.{minimum[1]}+ with venv and ensurepip found (tried: {', '.join(tried) or 'none'}); "
        "set the Python to use in JalNet's engine settings, or install python3-venv"
    )


class Installer:
    """One install run: :meth:`run` does it all; a callback may cancel between output lines."""

    def __init__(self, options: InstallOptions, progress: Progress | None = None, log: Log | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        self.options = options
        self.progress = progress or (lambda fraction, step: None)
        self._log = log or (lambda line: None)
        self.cancelled = cancelled or (lambda: False)
        self.log_path = Path(options.env_dir).parent / "engine-install.log"
        self._log_file = None

    # -- output ---------------------------------------------------------------------------
    def log(self, line: str) -> None:
        line = mask(line.rstrip())
        if self._log_file is not None:
            self._log_file.write(line + "\n")
            self._log_file.flush()
        self._log(line)

    def _run(self, argv: list[str], step: str, start: float, end: float, expected_lines: int = 0) -> list[str]:
        """Run *argv*, logging its output and moving progress from *start* towards *end*."""
        self.log("$ " + " ".join(argv))
        env = clean_env(self.options.env if self.options.env is not None else os.environ)
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                    encoding="utf-8", errors="replace", **_no_window())
        except OSError as err:
            raise InstallError(f"{step}: cannot start {argv[0]}: {err}") from None
        lines: list[str] = []
        with proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip())
                self.log(line)
                if expected_lines:  # pip's line count is not known ahead: approach *end* without reaching it
                    self.progress(start + (end - start) * (1 - math.exp(-len(lines) / expected_lines)), step)
                if self.cancelled():
                    proc.kill()
                    raise Cancelled("install cancelled; the engine environment is incomplete and will not be used")
        if proc.wait() != 0:
            last = next((x for x in reversed(lines) if x.strip()), "no output")
            raise InstallError(f"{step} failed (exit {proc.returncode}): {mask(last.strip())}; see {self.log_path}")
        self.progress(end, step)
        return lines

    # -- steps ----------------------------------------------------------------------------
    def create_env(self, python: str) -> Path:
        """A fresh environment (an old one is replaced), returning its Python."""
        env_dir = Path(self.options.env_dir)
        if self.options.use_uv and shutil.which("uv"):
            self._run([shutil.which("uv") or "uv", "venv", "--seed", "--python", python, str(env_dir)],
                      "creating the environment", 0.05, 0.15)
        else:
            if env_dir.exists():
                shutil.rmtree(env_dir)
            self._run([python, "-m", "venv", str(env_dir)], "creating the environment", 0.05, 0.15)
        env_python = env_executable(env_dir, "python")
        if not env_python.is_file():
            raise InstallError(f"creating the environment made no {env_python}; see {self.log_path}")
        return env_python

    def pip_argv(self, env_python: Path) -> list[str]:
        opts = self.options
        uv = shutil.which("uv") if opts.use_uv else None
        if uv:
            argv = [uv, "pip", "install", "--python", str(env_python)]
        else:
            argv = [str(env_python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                    "--progress-bar", "off", "--prefer-binary"]
        if opts.no_index:
            argv.append("--no-index")
        for link in opts.find_links:
            argv += ["--find-links", link]
        if opts.index_url:
            argv += ["--index-url", opts.index_url]
        return argv + [opts.requirement]

    def check(self) -> dict:
        """Run the installed engine: its version, and the libraries every engine needs import."""
        env_dir = Path(self.options.env_dir)
        jalnet = env_executable(env_dir, "jalnet")
        lines = self._run([str(jalnet), "--version"], "checking the engine", 0.92, 0.95)
        version = lines[-1].split()[-1] if lines else ""
        if self.options.version and version != self.options.version:
            raise InstallError(f"the engine reports version {version!r}, expected {self.options.version}")
        code = ("import importlib, json, sys; "
                f"print(json.dumps({{'python': sys.version.split()[0], **{{m: getattr(importlib.import_module(m), "
                f"'__version__', '?') for m in {list(CHECK_MODULES)!r}}}}}))")
        out = self._run([str(env_executable(env_dir, "python")), "-c", code], "checking the engine", 0.95, 0.99)
        report = json.loads(out[-1])
        report["jalnet"] = version
        return report

    def run(self) -> dict:
        """Create, install, check; returns what the check found (versions). Raises InstallError."""
        env_dir = Path(self.options.env_dir)
        env_dir.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_path, "w", encoding="utf-8") as self._log_file:
            try:
                self.log(f"JalNet engine install, {datetime.datetime.now().isoformat(timespec='seconds')}, "
                         f"into {env_dir}")
                self.progress(0.0, "finding a Python")
                python = self.options.python or find_base_python()
                self.log(f"base Python: {python}")
                (env_dir / MARKER).unlink(missing_ok=True)
                env_python = self.create_env(python)
                self._run(self.pip_argv(env_python), f"installing {self.options.requirement}", 0.15, 0.9,
                          expected_lines=40)
                report = self.check()
                report["base_python"] = python
                report["seconds"] = round(time.monotonic() - started, 1)
                (env_dir / MARKER).write_text(json.dumps(report, indent=1), encoding="utf-8")
                self.log(f"done in {report['seconds']} s: " + ", ".join(f"{k} {v}" for k, v in report.items()
                                                                        if k not in ("base_python", "seconds")))
                self.progress(1.0, "done")
                return report
            except InstallError as err:
                self.log(f"stopped: {err}")
                raise
            finally:
                self._log_file = None


def install_engine(options: InstallOptions, progress: Progress | None = None, log: Log | None = None,
                   cancelled: Callable[[], bool] | None = None) -> dict:
    """Make the engine environment of *options*; see :class:`Installer`."""
    return Installer(options, progress, log, cancelled).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m jalnet.engineclient.install PROFILE_DIR [--wheelhouse DIR] [--index-url URL]``."""
    parser = argparse.ArgumentParser(prog="python -m jalnet.engineclient.install",
                                     description="install the JalNet engine into a QGIS profile's managed environment")
    parser.add_argument("profile_dir",
                        help="the QGIS profile folder (Settings > User Profiles > Open Active Profile Folder)")
    parser.add_argument("--wheelhouse", default="",
                        help=f"offline: install only from these wheel folders ({ENV_WHEELHOUSE})")
    parser.add_argument("--index-url", default="", help=f"a package index other than PyPI ({ENV_INDEX_URL})")
    parser.add_argument("--python", help="the Python to make the environment with (default: this one, or python3)")
    parser.add_argument("--extras", default=None, help=f"jalnet extras to install (default: all; {ENV_EXTRAS})")
    args = parser.parse_args(argv)
    options = InstallOptions.from_settings(args.profile_dir, args.wheelhouse, args.index_url)
    options.python = args.python
    if args.extras is not None:
        options.extras = args.extras
    try:
        report = install_engine(options, progress=lambda f, s: print(f"[{f:4.0%}] {s}", file=sys.stderr),
                                log=print)
    except InstallError as err:
        print(f"jalnet engine install: {err}", file=sys.stderr)
        return 3
    print(f"engine ready: {env_executable(options.env_dir, 'jalnet')} (jalnet {report['jalnet']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Python packages JalNet's engines need, and how a user gets them.

The engines run in a process of their own (the JalNet engine, with its own Python
environment), so nothing is installed into QGIS's Python: :func:`engine_hint` says how the
plugin installs the engine, or how to install it by hand. The checks here tell which
packages a Python has (the engine installer, the CLI and the tests use them). Pure Python
(no QGIS import).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import re
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Dependency:
    """One Python package: how to import it, how to install it, and who needs it."""

    module: str  # import name
    pip_name: str  # name on PyPI
    min_version: str
    needed_for: str  # what stops working without it, in words a user understands
    required: bool = True  # False: only some tools need it
    apt_name: str | None = None  # Debian/Ubuntu package, when one exists


#: Everything JalNet imports beyond the standard library and QGIS itself.
DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("numpy", "numpy", "1.21", "all tools", apt_name="python3-numpy"),
    Dependency("pandas", "pandas", "1.4", "the asset registry", apt_name="python3-pandas"),
    Dependency("shapely", "shapely", "2.0", "the asset registry and geometry tools", apt_name="python3-shapely"),
    Dependency("pyproj", "pyproj", "3.3", "coordinate systems", apt_name="python3-pyproj"),
    Dependency("geopandas", "geopandas", "0.12", "the asset registry", apt_name="python3-geopandas"),
    Dependency("pyogrio", "pyogrio", "0.6", "reading and writing GeoPackages"),
    Dependency("networkx", "networkx", "2.6", "network topology checks", apt_name="python3-networkx"),
    Dependency("rasterio", "rasterio", "1.3", "flood and elevation rasters", apt_name="python3-rasterio"),
    Dependency("matplotlib", "matplotlib", "3.5", "reports, strip logs and sections", apt_name="python3-matplotlib"),
    Dependency("defusedxml", "defusedxml", "0.7", "reading GPX, KML and KMZ files safely", apt_name="python3-defusedxml"),
    Dependency("scipy", "scipy", "1.6", "fitting walked pipes; least-cost pipe design (HiGHS)",
               apt_name="python3-scipy"),
    Dependency("wntr", "wntr", "1.3", "hydraulic simulation (EPANET)", required=False),
    Dependency("distributed", "dask[distributed]", "2023.1", "running many schemes' models in parallel",
               required=False),
    Dependency("pyarrow", "pyarrow", "8.0", "writing large result layers fast (results are the same without it)",
               required=False),
    Dependency("openpyxl", "openpyxl", "3.0", "Excel litholog sheets", required=False, apt_name="python3-openpyxl"),
    Dependency("lasio", "lasio", "0.30", "LAS geophysical logs", required=False),
    Dependency(
        "psycopg2", "psycopg2-binary", "2.8", "registries in PostGIS", required=False, apt_name="python3-psycopg2"
    ),
)


@dataclass(frozen=True)
class Missing:
    """A dependency that is absent (``found`` is None) or older than needed."""

    dependency: Dependency
    found: str | None = None  # installed version when too old
    error: str = ""  # import error text, for the log

    @property
    def module(self) -> str:
        return self.dependency.module

    @property
    def required(self) -> bool:
        return self.dependency.required

    def describe(self) -> str:
        """One line for a message bar or log."""
        dep = self.dependency
        if self.found is None:
            state = "not installed"
        else:
            state = f"version {self.found} is too old (need {dep.min_version} or later)"
        return f"{dep.pip_name}: {state}; needed for {dep.needed_for}"


def version_tuple(text: str) -> tuple[int, ...]:
    """Leading numeric parts of a version (``"2.0.1rc1"`` -> ``(2, 0, 1)``), enough to compare minimums."""
    parts: list[int] = []
    for piece in text.split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


def installed_version(dist: str) -> str | None:
    """Version of an installed distribution, from its metadata (nothing is imported)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _installed_version(dep: Dependency, module: object) -> str | None:
    # Distribution metadata is authoritative; a module's __version__ is the fallback
    # (Debian's psycopg2 has "2.9.5 (dt dec pq3 ext lo64)").
    for dist in (dep.pip_name, dep.module):
        found = installed_version(dist)
        if found:
            return found
    version = getattr(module, "__version__", None)
    return str(version).split()[0] if version else None


def check_one(dep: Dependency, import_module: bool = False) -> Missing | None:
    """What is wrong with *dep*, or None when it is usable.

    By default the package is only looked up (``find_spec`` and its installed version),
    not imported: QGIS runs this at every start, and importing pyproj or pyogrio wheels
    that bundle their own PROJ/GDAL next to QGIS's can make QGIS crash when it exits,
    even in sessions that never use JalNet (and wntr alone takes two seconds to import).
    ``import_module=True`` imports it too, which also catches a package that is present
    but does not load (a DLL or numpy ABI mismatch, common on Windows): the "Python
    dependencies" dialog does that deeper check on request.
    """
    try:
        spec = importlib.util.find_spec(dep.module)
    except (ImportError, ValueError) as err:
        return Missing(dep, None, f"{type(err).__name__}: {err}")
    if spec is None:
        return Missing(dep, None, f"No module named '{dep.module}'")
    module = None
    if import_module:
        try:
            module = importlib.import_module(dep.module)
        except Exception as err:  # a broken install raises more than ImportError (DLL load, ABI)
            return Missing(dep, None, f"{type(err).__name__}: {err}")
    found = _installed_version(dep, module)
    if found and version_tuple(found) < version_tuple(dep.min_version):
        return Missing(dep, found, "")
    return None


def check_dependencies(
    dependencies: tuple[Dependency, ...] = DEPENDENCIES, import_modules: bool = False
) -> list[Missing]:
    """Every dependency that is absent (or, with *import_modules*, does not import) or too old; required first."""
    missing = [m for m in (check_one(dep, import_modules) for dep in dependencies) if m is not None]
    return sorted(missing, key=lambda m: not m.required)


def missing_modules(missing: list[Missing]) -> set[str]:
    """Import names of the missing packages, to decide which tools can run."""
    return {m.module for m in missing}


def engine_hint(platform: str | None = None) -> str:
    """How to get the JalNet engine: the plugin's installer, or by hand into an environment of its own.

    Never pip into QGIS's Python: the engine runs in a process of its own, with its own
    Python environment, where numpy 2 and current releases are fine.
    """
    platform = platform or sys.platform
    lines = [
        "JalNet runs its tools in an engine of its own (its own Python environment, never QGIS's).",
        "In QGIS: Plugins > JalNet > JalNet engine… > Install the JalNet engine.",
        "",
        "Or by hand, with any Python 3.9 or later:",
    ]
    if platform.startswith("win"):
        lines += ["    py -m venv %USERPROFILE%\\jalnet-engine",
                  '    %USERPROFILE%\\jalnet-engine\\Scripts\\python -m pip install "jalnet[all]"',
                  "then set Plugins > JalNet > JalNet engine… > Engine path to "
                  "%USERPROFILE%\\jalnet-engine\\Scripts\\jalnet.exe (or set JALNET_ENGINE)."]
    else:
        lines += ["    python3 -m venv ~/jalnet-engine",
                  '    ~/jalnet-engine/bin/python -m pip install "jalnet[all]"',
                  "then set Plugins > JalNet > JalNet engine… > Engine path to ~/jalnet-engine/bin/jalnet "
                  "(or set JALNET_ENGINE)."]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m jalnet.dependencies: the deep check of this Python
    missing = check_dependencies(import_modules=True)
    print("\n".join(m.describe() for m in missing) or "All Python packages JalNet uses are installed.")
    print()
    print(engine_hint())

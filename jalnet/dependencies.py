"""Python packages JalNet needs, and how a QGIS user installs the missing ones.

QGIS ships its own Python, so a plugin cannot rely on ``pip`` having run: the plugin
checks at load time and tells the user the exact command for their platform instead of
failing with an ``ImportError`` deep inside a tool. Pure Python (no QGIS import) so the
CLI and the tests can use it too.
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


#: On Linux, QGIS's own GEOS library answers shapely's calls too: the dynamic linker binds
#: them to the GEOS already loaded by QGIS, not to the one in shapely's wheel. shapely 2.1
#: and later ask GEOS for 4-dimension WKB, which GEOS before 3.12 refuses ("WKB output
#: dimension must be 2 or 3"), so no result can be written. Debian 12's QGIS runs GEOS 3.11.
LINUX_SHAPELY = "shapely>=2.0,<2.1"
#: pyarrow 26 and later need numpy 2 at import without saying so to pip, and QGIS keeps numpy 1.
NUMPY1_PYARROW = "pyarrow>=8,<26"


def pip_requirements(missing: list[Missing], platform: str | None = None) -> list[str]:
    """Requirement strings for pip; ``numpy<2`` always, because QGIS is built against numpy 1."""
    platform = platform or sys.platform
    reqs = ['"numpy<2"']
    for m in missing:
        dep = m.dependency
        if dep.module == "numpy":
            reqs[0] = f'"numpy>={dep.min_version},<2"'
        elif dep.module == "shapely" and platform.startswith("linux"):
            reqs.append(f'"{LINUX_SHAPELY}"')
        elif dep.module == "pyarrow":
            reqs.append(f'"{NUMPY1_PYARROW}"')
        else:
            reqs.append(f'"{dep.pip_name}>={dep.min_version}"')
    return reqs


def geos_conflict(shapely_version: str | None, host_geos: tuple[int, int], platform: str | None = None) -> str | None:
    """Why shapely cannot work inside this QGIS, and the fix; None when it can (see LINUX_SHAPELY)."""
    platform = platform or sys.platform
    if not shapely_version or not platform.startswith("linux"):
        return None
    if version_tuple(shapely_version)[:2] < (2, 1) or tuple(host_geos[:2]) >= (3, 12):
        return None
    return (f"shapely {shapely_version} cannot write geometries inside this QGIS (GEOS {host_geos[0]}.{host_geos[1]}): "
            f"close QGIS and run: python3 -m pip install --user --break-system-packages \"{LINUX_SHAPELY}\"")


def install_hint(missing: list[Missing], platform: str | None = None) -> str:
    """Exact commands that install *missing* into the Python QGIS runs, for this platform."""
    if not missing:
        return "All Python packages JalNet needs are installed."
    platform = platform or sys.platform
    reqs = " ".join(pip_requirements(missing, platform))
    lines = ["JalNet needs these Python packages in the Python that QGIS uses:"]
    lines += [f"  - {m.describe()}" for m in missing]
    lines.append("")
    if platform.startswith("win"):
        lines += [
            "Close QGIS, open the 'OSGeo4W Shell' from the Start menu (as administrator if QGIS",
            "was installed for all users) and run:",
            "",
            f"    python -m pip install --upgrade {reqs}",
        ]
    elif platform == "darwin":
        lines += [
            "Close QGIS, open Terminal and run:",
            "",
            f"    /Applications/QGIS.app/Contents/MacOS/bin/python3 -m pip install --user --upgrade {reqs}",
        ]
    else:
        apt = sorted({m.dependency.apt_name for m in missing if m.dependency.apt_name})
        lines += ["Close QGIS, open a terminal and run:", "", f"    python3 -m pip install --user --upgrade {reqs}", ""]
        lines.append(
            "On Debian 12 / Ubuntu 23.04 and later pip refuses this outside a virtual environment; "
            "add --break-system-packages (it only writes to ~/.local)."
        )
        if apt:
            lines += [
                "Or, where your distribution's packages are new enough (see the versions above):",
                "",
                f"    sudo apt install {' '.join(apt)}",
            ]
    lines += ["", "Then start QGIS again. numpy must stay below 2: QGIS is built against numpy 1."]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m jalnet.dependencies: the deep check, as the plugin's dialog does
    print(install_hint(check_dependencies(import_modules=True)))

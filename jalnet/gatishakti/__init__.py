"""PM Gati Shakti export: registry layers as a checked, profile-driven package in WGS 84.

Python API::

    from jalnet.gatishakti import check_export, export_package
    check = check_export("registry.gpkg", profile="default", scheme="4010457")   # writes nothing
    print(check.text())                                                        # faults by kind
    result = export_package("registry.gpkg", "gatishakti_4010457.zip", scheme="4010457",
                            formats="gpkg,shp,geojson,kml")                     # PreflightFailed on faults
    result.manifest["files"]                                                   # path, format, sha256...

Profiles (``jalnet/gatishakti/profiles/*.json``, or any JSON/YAML file) say which layers,
fields, types, lengths, code lists, mandatory and withheld fields the package has; see
:mod:`jalnet.gatishakti.profile`.
"""

from .package import ExportResult, PreflightFailed, export_package
from .preflight import Preflight, check_export
from .profile import Profile, bundled_profiles, load_profile

__all__ = [
    "ExportResult",
    "Preflight",
    "PreflightFailed",
    "Profile",
    "bundled_profiles",
    "check_export",
    "export_package",
    "load_profile",
]

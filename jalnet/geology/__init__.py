"""Lithologs and source geology: boreholes, lithology and well construction in the registry.

Python API::

    from jalnet.geology import import_lithologs, validate_registry, write_striplogs, write_section
    with open_registry("scheme.gpkg") as reg:
        result = import_lithologs(reg, "boreholes.csv", "intervals.csv", "construction.csv",
                                  findings_path="findings.csv")
        findings = validate_registry(reg, out="validation.csv", store=True)
        write_striplogs(reg, "striplogs")                      # striplogs/<id>.png and .svg
        write_section(reg, "section", through=["BH-01", "BH-05"], dem="dem.tif")
"""

from .export import export_lithologs
from .importer import ImportResult, import_lithologs
from .model import Lithologs, read_lithologs
from .section import build_section, line_from_wkt, line_through, section_figure, write_section
from .striplog import striplog_figure, write_striplogs
from .validate import RULES, Finding, validate, validate_registry

__all__ = [
    "RULES",
    "Finding",
    "ImportResult",
    "Lithologs",
    "build_section",
    "export_lithologs",
    "import_lithologs",
    "line_from_wkt",
    "line_through",
    "read_lithologs",
    "section_figure",
    "striplog_figure",
    "validate",
    "validate_registry",
    "write_section",
    "write_striplogs",
]

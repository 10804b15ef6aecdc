"""Pipe network topology: snapping contractor pipes into the registry, validation, data health.

Python API::

    from jalnet.topology import snap, validate, health_report
    result = snap("scheme.gpkg", batch=import_batch)   # one undoable batch; tolerance from the data
    found = validate("scheme.gpkg")                                    # findings, accepted exceptions left out
    found.write("errors.gpkg")                                         # styled point and line layers
    html, table = health_report(found, "scheme.gpkg")                  # per scheme and division, worst first
"""

from .exceptions import accept_exception, accepted_fingerprints, list_exceptions
from .findings import ValidationResult, read_findings
from .health import health_report
from .loop import run_demo_loop
from .network import NetworkData
from .rules import PARAMS, RULES
from .snap import SnapResult, snap
from .validate import validate, validate_network

__all__ = [
    "PARAMS",
    "RULES",
    "NetworkData",
    "SnapResult",
    "ValidationResult",
    "accept_exception",
    "accepted_fingerprints",
    "health_report",
    "list_exceptions",
    "read_findings",
    "run_demo_loop",
    "snap",
    "validate",
    "validate_network",
]

"""Data health over the whole registry: every module's checks in one pass, a score per scheme, the trend.

Python API::

    from jalnet.health import check_health
    result = check_health("registry.gpkg")            # or an open Registry; scheme="4010457" for one
    result.write("health.gpkg"); result.write_report("health.html")
    result.schemes                                     # score per scheme, worst first
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "HealthResult": "run",
    "check_health": "run",
    "run_health": "run",
    "health_report": "report",
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)

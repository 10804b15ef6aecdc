"""Hydraulic models of schemes with WNTR/EPANET, straight from the asset registry.

Python API::

    from jalnet.hydraulics import build_model, import_inp, export_inp, run_scenario, run_all
    wn, report = build_model("registry.gpkg", "4010457", dem="dem.tif")     # wntr WaterNetworkModel
    import_inp("Net3.inp", "registry.gpkg", crs="EPSG:32646", scheme="NET3")
    export_inp("registry.gpkg", "NET3", "net3_out.inp")
    result = run_scenario("registry.gpkg", "4010457", "peak_hour", out="results.gpkg")
    report = run_all("registry.gpkg", out="state.gpkg", engine="dask")    # every scheme, in parallel
    report.summaries                                                    # one comparison line per run

WNTR is imported only when a function that needs it runs, so ``import jalnet.hydraulics``
stays cheap and the rest of JalNet works without it.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "build_model": "build",
    "BuildParams": "build",
    "BuildReport": "build",
    "import_inp": "epanet_io",
    "export_inp": "epanet_io",
    "run_scenario": "scenarios",
    "run_scheme": "scenarios",
    "save_scenario": "scenarios",
    "list_scenarios": "scenarios",
    "default_scenarios": "scenarios",
    "run_all": "parallel",
    "households_below_pressure": "service",
    "Norms": "norms",
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)

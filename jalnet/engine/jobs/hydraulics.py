"""Hydraulics jobs: build a model, EPANET .inp in and out, run scenarios (Processing and the panel)."""

from __future__ import annotations

from typing import Any

from ...errors import InputError
from ...feedback import Feedback
from ...hydraulics.build import build_model, parse_params, scheme_ids
from ...hydraulics.epanet_io import export_inp, import_inp
from ...hydraulics.parallel import run_all
from ...hydraulics.results import map_layers
from ...hydraulics.scenarios import list_scenarios, run_scenario
from ...registry import open_registry

#: Results of more runs than this are written but not all loaded into the project.
MAX_LOADED_RUNS = 8


def result_layers(out: str, scheme: str, scenario: str, kind: str | None) -> list[dict[str, Any]]:
    return [{"uri": uri, "title": title, "group": f"Hydraulics: {scheme} {scenario}",
             "style": {"kind": "qml", "path": qml}}
            for uri, title, qml in map_layers(out, scheme, scenario, kind)]


def build(registry: str, scheme: str, dem: str | None, params: str, output: str | None,
          feedback: Feedback) -> dict[str, Any]:
    model_params = parse_params(params or "")
    if output:
        report = export_inp(registry, scheme, output, dem=dem, params=model_params, feedback=feedback)
        feedback.info(f"wrote {output}")
    else:
        _, report = build_model(registry, scheme, dem=dem, params=model_params, feedback=feedback)
    feedback.info(f"scheme {scheme}: " + ", ".join(f"{v} {k}" for k, v in report.counts.items() if v))
    feedback.info(f"{report.households} households, {report.persons:.0f} persons, average demand "
                  f"{report.demand_lps:.2f} l/s ({report.demand_source}); peak factor {report.peak_factor:.2f}")
    if report.elevations_from_dem:
        feedback.info(f"{len(report.elevations_from_dem)} elevation(s) taken from the DEM")
    feedback.set_progress(100)
    return {"outputs": {"OUTPUT": output or "", "JUNCTIONS": report.counts.get("junctions", 0),
                        "PIPES": report.counts.get("pipes", 0), "HOUSEHOLDS": report.households,
                        "DEMAND_LPS": report.demand_lps, "WARNINGS": "\n".join(report.warnings)}}


def import_inp_file(path: str, registry: str, crs: str, scheme: str | None, id_prefix: str, replace: bool,
                    feedback: Feedback) -> dict[str, Any]:
    report = import_inp(path, registry, crs, scheme=scheme, feedback=feedback, id_prefix=id_prefix, replace=replace)
    feedback.info(f"scheme {report.scheme}: " + ", ".join(f"{v} {k}" for k, v in report.counts.items()))
    feedback.info(f"batch {report.batch_id}: undo it with 'Undo registry batch' if this was a mistake")
    return {"outputs": {"BATCH_ID": report.batch_id or "", "SCHEME_ID": report.scheme,
                        "PIPES": report.counts.get("pipes", 0), "JUNCTIONS": report.counts.get("junctions", 0)}}


def export_inp_file(registry: str, scheme: str | None, output: str, units: str | None, crs: str | None,
                    dem: str | None, params: str, feedback: Feedback) -> dict[str, Any]:
    if not scheme:
        with open_registry(registry, readonly=True) as reg:
            schemes = scheme_ids(reg)
        if len(schemes) != 1:
            raise InputError(f"the registry has {len(schemes)} schemes ({', '.join(schemes[:8])}); give the scheme ID")
        scheme = schemes[0]
    report = export_inp(registry, scheme, output, units=units, crs=crs, dem=dem, params=parse_params(params or ""),
                        feedback=feedback)
    feedback.info(f"wrote {output}: scheme {scheme}, " + ", ".join(f"{v} {k}" for k, v in report.counts.items() if v))
    feedback.set_progress(100)
    return {"outputs": {"OUTPUT": output}}


def run(registry: str, schemes: list[str] | None, scenarios: list[str] | None, output: str, dem: str | None,
        params: str, norms: str | None, engine: str, address: str | None, workers: int | None, load: bool,
        feedback: Feedback, store: bool = True) -> dict[str, Any]:
    report = run_all(registry, schemes=schemes, scenarios=scenarios, out=output, dem=dem,
                     params=parse_params(params or ""), norms=norms, engine=engine, address=address,
                     workers=workers, feedback=feedback, store=store)
    for f in report.failures:
        feedback.warning(f"scheme {f['scheme_id']} {f['scenario']}: {f['error']}")
    if not report.summaries:
        raise InputError("no scenario ran; see the messages above")
    inadequate = 0
    for s in report.summaries:
        inadequate += s.get("households_inadequate") or 0
        feedback.info(f"{s['scheme_id']} {s['scenario']}: pressure {s['pressure_min_m']!s:.6} to "
                      f"{s['pressure_max_m']!s:.6} m, {s.get('households_inadequate')} household(s) without "
                      f"adequate pressure, {s['errors']} error(s), {s['warnings']} warning(s)")
    layers = [spec for s in report.summaries[:MAX_LOADED_RUNS]
              for spec in result_layers(output, s["scheme_id"], s["scenario"], s["kind"])] if load else []
    if report.run_ids:
        feedback.info(f"kept in the registry as run(s) {', '.join(report.run_ids[:10])}"
                      + (f" and {len(report.run_ids) - 10} more" if len(report.run_ids) > 10 else ""))
    return {"outputs": {"OUTPUT": output, "RUNS": len(report.summaries), "FAILURES": len(report.failures),
                        "HOUSEHOLDS_INADEQUATE": inadequate, "STORED": len(report.run_ids)},
            "load": layers,
            "summary": f"{len(report.summaries)} run(s), {inadequate} household(s) without adequate pressure"}


def scenarios(registry: str, feedback: Feedback, scheme: str | None = None) -> dict[str, Any]:
    """The registry's schemes and, for *scheme*, its scenarios (the panel's pickers)."""
    with open_registry(registry, readonly=True) as reg:
        schemes = scheme_ids(reg)
    items = [] if not scheme else [{"name": s.name, "kind": s.kind, "stored": bool(s.stored)}
                                   for s in list_scenarios(registry, scheme)]
    return {"schemes": schemes, "scenarios": items}


def scenario(registry: str, scheme: str, scenario: str, output: str, dem: str | None,
             feedback: Feedback, store: bool = True) -> dict[str, Any]:
    """Run one scenario of one scheme (the panel's Run), kept in the registry: its summary and styled layers."""
    (result,) = run_scenario(registry, scheme, scenario, out=output, dem=dem, feedback=feedback, store=store)
    return {"kind": result.kind, "summary": result.summary,
            "load": result_layers(output, scheme, scenario, result.kind)}

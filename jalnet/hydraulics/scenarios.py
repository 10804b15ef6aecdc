"""Named hydraulic scenarios, stored in the registry with their parameters, and running them.

Kinds (``hyd_scenario_kind``): steady peak hour; extended period; design-year demand;
N-1 criticality of pipes and valve-isolated segments; pump outage; source outage; water
age; residual chlorine. A scheme without stored scenarios can still run the standard
ones (:data:`STANDARD`) with their default parameters; ``jalnet hydraulics scenario``
stores and edits them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InputError, JalnetError
from ..feedback import Feedback, check_canceled
from ..pandas_text import python_strings
from ..registry import Registry, borrow
from ..registry.access import using_registry
from ..registry.schema import DOMAINS
from .build import BuildParams, BuildReport, SchemeData, build_from_data, load_schemes, open_target
from .extras import dumps, key, loads
from .norms import Norms
from .peak import demand_pattern, flatten, peak_step
from .results import ScenarioResult, combine, summarise, write_results
from .simulate import simulate
from .wntr_compat import require_wntr

KINDS = tuple(DOMAINS["hyd_scenario_kind"])

#: name -> (kind, parameters, description): what every scheme can run without storing anything.
STANDARD: dict[str, tuple[str, dict[str, Any], str]] = {
    "peak_hour": ("peak_hour", {}, "Steady state at the peak hour of today's demand"),
    "eps_24h": ("eps", {"duration_h": 24}, "24 hours with the demand pattern, tanks and pumps working"),
    "design_year": ("design_year", {}, "Peak hour with the demand of the scheme's design year"),
    "criticality": ("criticality", {}, "Each pipe and each valve-isolated segment closed in turn at the peak hour"),
    "pump_outage": ("pump_outage", {"duration_h": 24}, "24 hours with each pump out of service in turn"),
    "source_outage": ("source_outage", {"duration_h": 24}, "24 hours with each source out of service in turn"),
    "water_age": ("water_age", {"duration_h": 168}, "Water age over a week (the last day is reported)"),
    "chlorine": ("chlorine", {"duration_h": 168, "dose_mg_l": 1.0, "bulk_per_day": -0.5, "wall_m_per_day": -0.05},
                 "Residual chlorine from a dose at the sources, over a week (the last day is reported)"),
}

_COMMON = {"duration_h", "hydraulic_step_min", "report_step_min", "demand_multiplier", "closed", "norms", "start",
           "demand_model", "required_pressure_m", "minimum_pressure_m", "per_step"}
_BY_KIND = {
    "peak_hour": {"peak_factor"},
    "eps": set(),
    "design_year": {"growth_factor", "peak_factor", "period"},
    "criticality": {"peak_factor", "elements"},
    "pump_outage": {"elements"},
    "source_outage": {"elements"},
    "water_age": set(),
    "chlorine": {"dose_mg_l", "bulk_per_day", "wall_m_per_day", "dose_nodes"},
}
_BUILD = {f.name for f in dataclasses.fields(BuildParams)}


@dataclass
class Scenario:
    scheme: str
    name: str
    kind: str
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    stored: bool = False

    def check(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"scenario {self.name}: kind '{self.kind}' unknown; use one of {', '.join(KINDS)}")
        allowed = _COMMON | _BY_KIND[self.kind] | _BUILD
        unknown = sorted(set(self.parameters) - allowed)
        if unknown:
            raise InputError(f"scenario {self.name} ({self.kind}): unknown parameter(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(sorted(allowed))}")
        BuildParams.from_dict(self.build_params())

    def build_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.parameters.items() if k in _BUILD}


# -- storage -----------------------------------------------------------------------------
def stored_scenarios(reg: Registry, schemes: list[str]) -> dict[str, dict[str, Scenario]]:
    out: dict[str, dict[str, Scenario]] = {s: {} for s in schemes}
    frame = reg.read("hyd_scenarios", where={"scheme_id": list(schemes)})
    for row in frame.itertuples():
        params = loads(row.parameters, f"hyd_scenarios {row.scenario_key} parameters") or {}
        if not isinstance(params, dict):
            raise InputError(f"hyd_scenarios {row.scenario_key}: parameters must be a JSON object")
        out[row.scheme_id][row.name] = Scenario(row.scheme_id, row.name, row.kind, params,
                                                row.description if isinstance(row.description, str) else "", True)
    return out


def resolve(scheme: str, name: str, stored: dict[str, Scenario]) -> Scenario:
    """A stored scenario, else a standard one by name."""
    if name in stored:
        return stored[name]
    if name in STANDARD:
        kind, params, description = STANDARD[name]
        return Scenario(scheme, name, kind, dict(params), description)
    known = sorted(set(stored) | set(STANDARD))
    raise InputError(f"scheme {scheme} has no scenario '{name}'; known: {', '.join(known)} (store new ones with "
                     "'jalnet hydraulics scenario add')")


def list_scenarios(registry: Registry | str | os.PathLike, scheme: str) -> list[Scenario]:
    reg, close = open_target(registry)
    try:
        stored = stored_scenarios(reg, [scheme])[scheme]
    finally:
        if close:
            reg.close()
    out = list(stored.values())
    out += [resolve(scheme, n, {}) for n in STANDARD if n not in stored]
    return out


def save_scenario(registry: Registry | str | os.PathLike, scheme: str, name: str, kind: str,
                  parameters: dict[str, Any] | None = None, description: str = "") -> str | None:
    """Store (or replace) a scenario; returns the registry batch id."""
    scenario = Scenario(scheme, name, kind, dict(parameters or {}), description)
    scenario.check()
    if not name or "/" in name:
        raise InputError(f"scenario name '{name}': give a name without '/'")
    reg, owned = borrow(registry)
    try:
        row = {"scenario_key": key(scheme, name), "scheme_id": scheme, "name": name, "kind": kind,
               "parameters": dumps(scenario.parameters), "description": description or None}
        existing = reg.read("hyd_scenarios", where={"scenario_key": row["scenario_key"]})
        with reg.batch("hydraulics scenario", f"scenario {name} of scheme {scheme}") as b:
            if existing.empty:
                b.insert("hyd_scenarios", [row])
            else:
                b.update("hyd_scenarios", int(existing.index[0]), {k: v for k, v in row.items()})
        return b.id if b.n_changes else None
    finally:
        if owned:
            reg.close()


def store_standard(registry: Registry | str | os.PathLike, scheme: str, names: list[str] | None = None
                   ) -> str | None:
    """Store the standard scenarios (or some of them) for a scheme, so engineers can edit them."""
    reg, owned = borrow(registry)
    try:
        stored = stored_scenarios(reg, [scheme])[scheme]
        rows = []
        for name in names or list(STANDARD):
            if name not in STANDARD:
                raise InputError(f"'{name}' is not a standard scenario ({', '.join(STANDARD)})")
            if name in stored:
                continue
            kind, params, description = STANDARD[name]
            rows.append({"scenario_key": key(scheme, name), "scheme_id": scheme, "name": name, "kind": kind,
                         "parameters": dumps(params), "description": description})
        if not rows:
            return None
        with reg.batch("hydraulics scenario", f"standard scenarios of scheme {scheme}") as b:
            b.insert("hyd_scenarios", rows)
        return b.id
    finally:
        if owned:
            reg.close()


def delete_scenario(registry: Registry | str | os.PathLike, scheme: str, name: str) -> str:
    reg, owned = borrow(registry)
    try:
        existing = reg.read("hyd_scenarios", where={"scenario_key": key(scheme, name)})
        if existing.empty:
            raise InputError(f"scheme {scheme} has no stored scenario '{name}'")
        with reg.batch("hydraulics scenario", f"delete scenario {name} of scheme {scheme}") as b:
            b.delete("hyd_scenarios", existing.index.tolist())
        return b.id
    finally:
        if owned:
            reg.close()


# -- running -----------------------------------------------------------------------------
@dataclass
class RunContext:
    """One scenario of one scheme, about to run."""

    data: SchemeData
    scenario: Scenario
    dem: str | None
    params: dict[str, Any]  # build parameters given for the whole run
    norms: Norms
    feedback: Feedback | None
    start: pd.Timestamp | None = None

    @property
    def label(self) -> str:
        return f"scheme {self.data.scheme}, scenario {self.scenario.name}"

    @property
    def p(self) -> dict[str, Any]:
        return self.scenario.parameters

    def build(self) -> tuple[Any, BuildReport]:
        merged = {**self.params, **self.scenario.build_params()}
        wn, report = build_from_data(self.data, self.dem, merged, None)
        prepare(wn, report, self)
        return wn, report

    def begin(self, wn: Any) -> pd.Timestamp:
        if self.start is not None:
            return self.start
        given = self.p.get("start")
        if given:
            try:
                return pd.Timestamp(given)
            except (ValueError, TypeError):
                raise InputError(f"{self.label}: start '{given}' is not a date/time (YYYY-MM-DDTHH:MM)") from None
        return pd.Timestamp.today().normalize() + pd.to_timedelta(float(wn.options.time.start_clocktime or 0), unit="s")

    def number(self, name: str, default: float | None) -> float | None:
        value = self.p.get(name, default)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(f"{self.label}: {name}={value!r} is not a number") from None

    def summarise(self, wn: Any, report: BuildReport, run: Any, quality: str | None = None) -> ScenarioResult:
        per_step = str(self.p.get("per_step", True)).lower() not in ("0", "false", "no")
        return summarise(wn, report, run, self.data.scheme, self.scenario.name, self.scenario.kind, self.norms,
                         self.begin(wn), quality, per_step)


def prepare(wn: Any, report: BuildReport, ctx: RunContext) -> None:
    """Settings every kind shares: duration, steps, demand model, closed links, demand multiplier."""
    opts = wn.options
    duration = ctx.number("duration_h", None)
    if duration is not None:
        opts.time.duration = int(round(duration * 3600))
    for name, attr in (("hydraulic_step_min", "hydraulic_timestep"), ("report_step_min", "report_timestep")):
        value = ctx.number(name, None)
        if value is not None:
            setattr(opts.time, attr, int(round(value * 60)))
    if opts.time.report_timestep < opts.time.hydraulic_timestep:
        opts.time.hydraulic_timestep = opts.time.report_timestep
    model = str(ctx.p.get("demand_model", opts.hydraulic.demand_model or "DDA")).upper()
    if model not in ("DDA", "PDD", "DD", "PDA"):
        raise InputError(f"{ctx.label}: demand_model {model}: use DDA or PDD")
    opts.hydraulic.demand_model = "PDD" if model in ("PDD", "PDA") else "DDA"
    if opts.hydraulic.demand_model in ("PDD", "PDA"):  # WNTR keeps PDD as PDA
        # EPANET reads these globally; they must be apart, or EPANET refuses the model (error 200)
        required = ctx.number("required_pressure_m", ctx.norms.min_pressure_m)
        minimum = ctx.number("minimum_pressure_m", 0.0)
        if required - minimum < 0.1:
            raise InputError(f"{ctx.label}: required_pressure_m must exceed minimum_pressure_m by at least 0.1 m")
        opts.hydraulic.required_pressure, opts.hydraulic.minimum_pressure = required, minimum
    multiplier = ctx.number("demand_multiplier", 1.0)
    if multiplier != 1.0:
        scale_demand(wn, multiplier)
    closed = ctx.p.get("closed") or []
    if isinstance(closed, str):
        closed = [c.strip() for c in closed.split(",") if c.strip()]
    for asset in closed:
        links = [n for n, (_, a) in report.link_assets.items() if a == asset]
        if not links:
            raise InputError(f"{ctx.label}: closed link {asset} is not a pipe, pump or valve of the model")
        for name in links:
            close_link(wn, name)


def scale_demand(wn: Any, factor: float) -> None:
    for _, node in wn.junctions():
        for d in node.demand_timeseries_list:
            d.base_value = d.base_value * factor


def close_link(wn: Any, name: str) -> list[tuple[str, Any]]:
    """Close a link for the whole run: no control may open it again. Returns the controls
    taken out (name, control), for a caller that reopens the link afterwards."""
    link = wn.get_link(name)
    removed = [(c, obj) for c, obj in wn.controls() if any(getattr(a, "_target_obj", None) is link
                                                          for a in obj.actions())]
    for ctrl, _ in removed:
        wn.remove_control(ctrl)
    link.initial_status = "CLOSED"
    return removed


def to_steady_peak(wn: Any, report: BuildReport, factor: float | None) -> float:
    """Steady state at the peak hour: every demand at its peak-hour value, on a constant pattern.

    With the model's own patterns (an imported .inp, no *factor* given) each demand takes its
    pattern's multiplier at the step where the total demand is largest; otherwise every demand
    is multiplied by *factor* (or the report's peak factor). Returns the factor applied overall.
    """
    wn.options.time.duration = 0
    if factor is None and report.demand_source == "stored":
        k, curves, peak = peak_step(wn)
        for _, node in wn.junctions():
            for d in node.demand_timeseries_list:
                mult = curves.get(demand_pattern(wn, d.pattern_name))
                d.base_value = d.base_value * (float(mult[k]) if mult is not None else 1.0)
        flatten(wn)
        return peak
    factor = float(report.peak_factor if factor is None else factor)
    scale_demand(wn, factor)
    flatten(wn)
    return factor


def _run_steady(ctx: RunContext, growth: bool = False) -> ScenarioResult:
    wn, report = ctx.build()
    factor = ctx.number("peak_factor", None)
    if growth:
        g = ctx.number("growth_factor", report.growth_factor)
        if g is None:
            raise InputError(f"{ctx.label}: no growth factor: give growth_factor, or the scheme's design_population "
                             "and household connections to derive it")
        scale_demand(wn, g)
        if str(ctx.p.get("period", "steady")) == "eps":
            run = simulate(wn, ctx.label, ctx.feedback)
            return ctx.summarise(wn, report, run)
    at = peak_time(wn) if factor is None and report.demand_source == "stored" else None
    to_steady_peak(wn, report, factor)
    run = simulate(wn, ctx.label, ctx.feedback)
    result = ctx.summarise(wn, report, run)
    if at is not None:  # the hour of the model's own patterns the peak is taken from
        result.summary["peak_at"] = ctx.begin(wn) + at
    return result


def peak_time(wn: Any) -> pd.Timedelta:
    """Time into the run at which the model's patterns reach their peak step (within one cycle)."""
    k, curves, _ = peak_step(wn)
    t = wn.options.time
    step = float(t.pattern_timestep or 3600)
    cycle = step * max([len(c) for c in curves.values()] or [1])
    return pd.to_timedelta((k * step - float(t.pattern_start or 0)) % cycle, unit="s")


def _run_eps(ctx: RunContext) -> ScenarioResult:
    wn, report = ctx.build()
    if wn.options.time.duration <= 0:
        wn.options.time.duration = 24 * 3600
    run = simulate(wn, ctx.label, ctx.feedback)
    return ctx.summarise(wn, report, run)


def _run_quality(ctx: RunContext, parameter: str) -> ScenarioResult:
    wn, report = ctx.build()
    if wn.options.time.duration < 24 * 3600:
        wn.options.time.duration = 168 * 3600
    opts = wn.options
    for name in list(wn.source_name_list):
        wn.remove_source(name)
    if parameter == "AGE":
        opts.quality.parameter = "AGE"
    else:
        dose = ctx.number("dose_mg_l", 1.0)
        if dose <= 0:
            raise InputError(f"{ctx.label}: dose_mg_l must be positive")
        opts.quality.parameter = "CHEMICAL"
        opts.quality.chemical_name = "Chlorine"
        opts.quality.inpfile_units = "mg/L"
        opts.reaction.bulk_order = opts.reaction.wall_order = opts.reaction.tank_order = 1.0
        opts.reaction.bulk_coeff = ctx.number("bulk_per_day", -0.5) / 86400.0
        opts.reaction.wall_coeff = ctx.number("wall_m_per_day", -0.05) / 86400.0
        for _, link in wn.pipes():
            link.bulk_coeff = None
            link.wall_coeff = None
        for _, node in wn.nodes():
            node.initial_quality = 0.0
        targets = ctx.p.get("dose_nodes") or []
        if isinstance(targets, str):
            targets = [t.strip() for t in targets.split(",") if t.strip()]
        names = []
        for asset in targets:
            match = [n for n, (_, a) in report.node_assets.items() if a == asset]
            if not match:
                raise InputError(f"{ctx.label}: dose node {asset} is not a node of the model")
            names += match
        names = names or list(wn.reservoir_name_list)
        for name in names:
            node = wn.get_node(name)
            if node.node_type == "Reservoir":
                node.initial_quality = dose / 1000.0
                wn.add_source(f"dose-{name}", name, "CONCEN", dose / 1000.0)
            else:
                wn.add_source(f"dose-{name}", name, "SETPOINT", dose / 1000.0)
    run = simulate(wn, ctx.label, ctx.feedback)
    return ctx.summarise(wn, report, run, quality=parameter)


def run_one(ctx: RunContext) -> ScenarioResult:
    """Run one scenario of one scheme."""
    kind = ctx.scenario.kind
    started = time.perf_counter()
    if kind == "peak_hour":
        result = _run_steady(ctx)
    elif kind == "design_year":
        result = _run_steady(ctx, growth=True)
    elif kind == "eps":
        result = _run_eps(ctx)
    elif kind == "water_age":
        result = _run_quality(ctx, "AGE")
    elif kind == "chlorine":
        result = _run_quality(ctx, "CHEMICAL")
    else:
        from .criticality import run_criticality, run_outages

        result = run_criticality(ctx) if kind == "criticality" else run_outages(ctx)
    result.summary["seconds"] = round(time.perf_counter() - started, 3)
    return result


def run_scheme(data: SchemeData, scenarios: list[Scenario], dem: str | None = None,
               params: dict[str, Any] | None = None, norms: Norms | None = None, feedback: Feedback | None = None,
               start: pd.Timestamp | None = None, strict: bool = True
               ) -> tuple[list[ScenarioResult], list[dict[str, Any]]]:
    """Run scenarios of one scheme; with strict=False a failing scenario is recorded, not raised."""
    with python_strings():
        return _run_scheme(data, scenarios, dem, params, norms, feedback, start, strict)


def _run_scheme(data: SchemeData, scenarios: list[Scenario], dem: str | None, params: dict[str, Any] | None,
                norms: Norms | None, feedback: Feedback | None, start: pd.Timestamp | None, strict: bool
                ) -> tuple[list[ScenarioResult], list[dict[str, Any]]]:
    require_wntr()
    results, failures = [], []
    for k, scenario in enumerate(scenarios):
        check_canceled(feedback)
        if feedback is not None:
            feedback.info(f"scheme {data.scheme}: scenario {scenario.name} ({scenario.kind})")
        scenario.check()
        norms_here = Norms.from_any(scenario.parameters.get("norms"), norms or Norms())
        ctx = RunContext(data, scenario, dem, dict(params or {}), norms_here, feedback, start)
        try:
            results.append(run_one(ctx))
        except JalnetError as err:
            if strict:
                raise
            failures.append({"scheme_id": data.scheme, "scenario": scenario.name, "error": str(err)})
        if feedback is not None:
            feedback.set_progress(100.0 * (k + 1) / len(scenarios))
    return results, failures


def run_scenario(registry: Registry | str | os.PathLike, scheme: str, scenario: str | list[str] | None = None,
                 out: str | os.PathLike | None = None, dem: str | os.PathLike | None = None,
                 params: dict[str, Any] | None = None, norms: Norms | dict[str, Any] | str | None = None,
                 feedback: Feedback | None = None, start: Any = None, store: bool = True) -> list[ScenarioResult]:
    """Run one scenario (a name), several (a list) or all of a scheme (None), optionally writing *out*.

    With *store* the runs are kept in the registry (:mod:`jalnet.hydraulics.stored`); each result's
    summary then has its ``run_id``.
    """
    from .stored import engine_text, now, store_runs

    started = now()
    reg, close = open_target(registry)
    try:
        data = load_schemes(reg, [scheme])[scheme]
        stored = stored_scenarios(reg, [scheme])[scheme]
    finally:
        if close:
            reg.close()
    names = _names(scenario, stored)
    chosen = [resolve(scheme, n, stored) for n in names]
    norms_used = Norms.from_any(norms)
    results, _ = run_scheme(data, chosen, str(dem) if dem else None, params, norms_used, feedback,
                            pd.Timestamp(start) if start is not None else None)
    layers = combine(results, [])
    if out is not None:
        write_results(layers, out)
    if store and results:
        settings = {"model": params or {}, "dem": str(dem) if dem else None, "norms": norms_used.as_dict(),
                    "start": str(pd.Timestamp(start)) if start is not None else None}
        with using_registry(registry) as target:
            ids = store_runs(target, layers, [r.summary for r in results], started, engine_text("serial", 1),
                             settings)
        for result, run_id in zip(results, ids):
            result.summary["run_id"] = run_id
    return results


def _names(scenario: str | list[str] | None, stored: dict[str, Scenario]) -> list[str]:
    if scenario is None:
        return list(stored) or list(STANDARD)
    if isinstance(scenario, str):
        return [scenario]
    return list(scenario)

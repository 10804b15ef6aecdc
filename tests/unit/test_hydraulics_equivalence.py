"""Every scenario kind JalNet runs equals a direct EPANET run of the same intent, on real networks.

Each network is imported into a registry and run the way an engineer runs it (the
scheme's data read from the registry, the scenario by name). The reference is built
straight from the original ``.inp`` with WNTR and run by EPANET; each ``direct_*``
function below *is* the statement of what the scenario means. Pressures must agree
within 0.01 m and flows within 0.01 l/s at every node and link and every reported step
(water age within 0.01 h, chlorine within 0.001 mg/l).

What JalNet simulated is read from the EPANET runs it made (a recorder around its
``simulate``), every step of them; the published peak values are checked as well.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

wntr = pytest.importorskip("wntr")

from jalnet.hydraulics import criticality, scenarios  # noqa: E402
from jalnet.hydraulics.build import load_schemes  # noqa: E402
from jalnet.hydraulics.epanet_io import import_inp  # noqa: E402
from jalnet.hydraulics.scenarios import list_scenarios, run_scheme, save_scenario  # noqa: E402
from jalnet.registry import create_registry, open_registry  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
NETWORKS = ("Net1", "Net3", "Net6", "ky4", "ky10")
CRS = "EPSG:32646"
TOL_PRESSURE_M = 0.01
TOL_FLOW_LPS = 0.01
TOL_AGE_H = 0.01
TOL_CHLORINE_MG_L = 0.001
GROWTH = 1.25  # design_year: demand grows by a quarter
PDD_REQUIRED_M, PDD_MINIMUM_M = 20.0, 0.0
CRITICAL_SAMPLE = 3  # pipes closed in turn, per network
#: the large networks run their quality scenarios over two days instead of the standard week
QUALITY_HOURS = {"Net6": 48, "ky4": 48, "ky10": 48}

#: scenario name -> (kind, parameters) stored in the registry for every network; the
#: standard ones (peak_hour, eps_24h, water_age, chlorine) are run as shipped.
STORED = {
    "design_year_g": ("design_year", {"growth_factor": GROWTH}),
    "peak_pdd": ("peak_hour", {"demand_model": "PDD", "required_pressure_m": PDD_REQUIRED_M,
                               "minimum_pressure_m": PDD_MINIMUM_M}),
}
SCENARIOS = ("peak_hour", "eps_24h", "design_year_g", "peak_pdd", "water_age", "chlorine", "criticality_sample",
             "pump_outage_one", "source_outage_one")

MAX_DIFF: dict[tuple[str, str], dict[str, float]] = {}


# -- the intents, as direct runs of the .inp ------------------------------------------------
def original(net: str) -> Any:
    return wntr.network.WaterNetworkModel(str(DATA / f"{net}.inp"))


def peak_pattern_step(net: str, folder: Path) -> int:
    """The pattern step of the day with the largest total junction demand, as EPANET computes
    the demands over a 24-hour run of the .inp reported at every pattern step."""
    wn = original(net)
    step = wn.options.time.pattern_timestep
    wn.options.time.duration = 24 * 3600 - step
    wn.options.time.report_timestep = step
    wn.options.time.hydraulic_timestep = min(wn.options.time.hydraulic_timestep, step)
    wn.options.quality.parameter = "NONE"
    demand = run_direct(wn, folder / "day").node["demand"][wn.junction_name_list]
    return int(np.argmax(demand.sum(axis=1).to_numpy()))


def direct_peak_hour(net: str, k: int) -> Any:
    """Peak hour: the .inp for one instant, its patterns started at the peak step (EPANET's PATTERN START)."""
    wn = original(net)
    wn.options.time.pattern_start += k * wn.options.time.pattern_timestep
    wn.options.time.duration = 0
    return wn


def direct_eps_24h(net: str) -> Any:
    """24 hours of the .inp as it stands: patterns, tanks, pumps and controls working."""
    wn = original(net)
    wn.options.time.duration = 24 * 3600
    return wn


def direct_design_year(net: str, k: int) -> Any:
    """Design year: the peak hour with every demand grown by the growth factor (EPANET's DEMAND MULTIPLIER)."""
    wn = direct_peak_hour(net, k)
    wn.options.hydraulic.demand_multiplier *= GROWTH
    return wn


def direct_pdd(net: str, k: int) -> Any:
    """Pressure-dependent demand at the peak hour: full demand from the required pressure up, none below the minimum."""
    wn = direct_peak_hour(net, k)
    wn.options.hydraulic.demand_model = "PDD"
    wn.options.hydraulic.required_pressure = PDD_REQUIRED_M
    wn.options.hydraulic.minimum_pressure = PDD_MINIMUM_M
    return wn


def direct_water_age(net: str) -> Any:
    """Water age over the scenario's hours (a week; two days for the large networks), the .inp's own quality
    sources removed."""
    wn = original(net)
    wn.options.time.duration = QUALITY_HOURS.get(net, 168) * 3600
    for name in list(wn.source_name_list):
        wn.remove_source(name)
    wn.options.quality.parameter = "AGE"
    return wn


def direct_chlorine(net: str) -> Any:
    """Chlorine dosed at 1 mg/l at every reservoir, first-order decay -0.5/day in the bulk and
    -0.05 m/day at the wall in every pipe, everything starting at zero."""
    wn = direct_water_age(net)
    opts = wn.options
    opts.quality.parameter = "CHEMICAL"
    opts.quality.chemical_name = "Chlorine"
    opts.quality.inpfile_units = "mg/L"
    opts.reaction.bulk_order = opts.reaction.wall_order = opts.reaction.tank_order = 1.0
    opts.reaction.bulk_coeff = -0.5 / 86400.0
    opts.reaction.wall_coeff = -0.05 / 86400.0
    for _, pipe in wn.pipes():
        pipe.bulk_coeff = pipe.wall_coeff = None
    for _, node in wn.nodes():
        node.initial_quality = 0.0
    for name in wn.reservoir_name_list:
        wn.get_node(name).initial_quality = 0.001  # kg/m3
        wn.add_source(f"dose-{name}", name, "CONCEN", 0.001)
    return wn


def shut(wn: Any, name: str) -> None:
    """Close a link for the whole run: no control opens it again."""
    link = wn.get_link(name)
    for c in [c for c, ctrl in wn.controls() if any(getattr(a, "_target_obj", None) is link for a in ctrl.actions())]:
        wn.remove_control(c)
    link.initial_status = "CLOSED"


def direct_closed(net: str, k: int, pipe: str) -> Any:
    """One criticality case: the peak hour with one pipe closed, and no control opening it again."""
    wn = direct_peak_hour(net, k)
    shut(wn, pipe)
    return wn


def direct_outage(net: str, kind: str, name: str) -> Any:
    """A pump outage: 24 hours with the pump closed throughout; a source outage: every link at the source closed."""
    wn = direct_eps_24h(net)
    links = [name] if kind == "pump" else [n for n, link in wn.links() if name in (link.start_node_name,
                                                                                   link.end_node_name)]
    for link_name in links:
        shut(wn, link_name)
    return wn


def run_direct(wn: Any, folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    os.chdir(folder)  # EPANET's scratch files go where it runs
    try:
        return wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(folder / "run"))
    finally:
        os.chdir(here)


def critical_pipes(net: str, k: int, folder: Path) -> list[str]:
    """The pipes carrying the most water at the peak hour, and a pipe a control acts on when there is one."""
    wn = direct_peak_hour(net, k)
    flow = run_direct(wn, folder).link["flowrate"].iloc[0][wn.pipe_name_list].abs()
    chosen = flow.sort_values(ascending=False, kind="stable").index[:CRITICAL_SAMPLE - 1].tolist()
    controlled = sorted({a._target_obj.name for _, c in wn.controls() for a in c.actions()
                         if getattr(a._target_obj, "link_type", None) == "Pipe"} - set(chosen))
    rest = [p for p in wn.pipe_name_list if p not in chosen]
    chosen.append(controlled[0] if controlled else rest[len(rest) // 2])
    return chosen


# -- JalNet's runs ---------------------------------------------------------------------------
class Recorder:
    """Keeps every EPANET run JalNet makes, by its label, and passes it on unchanged."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.runs: dict[str, Any] = {}

    def __call__(self, wn: Any, label: str, feedback: Any = None) -> Any:
        run = self.real(wn, label, feedback)
        self.runs[label] = run.results
        return run


@pytest.fixture(scope="module")
def nets(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Per network: the registry it was imported into, its peak step and the sampled pipes (made on first use)."""
    folder = tmp_path_factory.mktemp("equivalence")
    cache: dict[str, dict[str, Any]] = {}

    class Lazy(dict):
        def __missing__(self, net: str) -> dict[str, Any]:
            path = str(folder / f"{net}.gpkg")
            scheme = net.upper()
            with create_registry(path, CRS) as reg:
                import_inp(DATA / f"{net}.inp", reg, CRS, scheme=scheme)
            k = peak_pattern_step(net, folder / net / "peak")
            pipes = critical_pipes(net, k, folder / net / "critical")
            hours = QUALITY_HOURS.get(net)
            stored = dict(STORED)
            if hours:
                stored["water_age"] = ("water_age", {"duration_h": hours})
                stored["chlorine"] = ("chlorine", {**scenarios.STANDARD["chlorine"][1], "duration_h": hours})
            stored["criticality_sample"] = ("criticality", {"elements": ",".join(pipes)})
            first = original(net)
            outages = {"pump": sorted(first.pump_name_list)[0], "source": sorted(first.reservoir_name_list)[0]}
            for kind, element in outages.items():
                stored[f"{kind}_outage_one"] = (f"{kind}_outage", {"duration_h": 24, "elements": element})
            for name, (kind, params) in stored.items():
                save_scenario(path, scheme, name, kind, params)
            with open_registry(path, readonly=True) as reg:
                data = load_schemes(reg, [scheme])[scheme]
            cache[net] = {"registry": path, "scheme": scheme, "data": data, "k": k, "pipes": pipes,
                          "outages": outages, "folder": folder / net}
            self[net] = cache[net]
            return cache[net]

    return Lazy()


def run_jalnet(info: dict[str, Any], name: str, monkeypatch) -> tuple[Any, dict[str, Any]]:
    recorder = Recorder(scenarios.simulate)
    monkeypatch.setattr(scenarios, "simulate", recorder)
    monkeypatch.setattr(criticality, "simulate", recorder)
    chosen = [s for s in list_scenarios(info["registry"], info["scheme"]) if s.name == name]
    assert len(chosen) == 1
    results, failures = run_scheme(info["data"], chosen)
    assert not failures
    return results[0], recorder.runs


# -- comparing -------------------------------------------------------------------------------
def compare(net: str, scenario: str, direct: Any, got: Any, quality: str | None = None) -> dict[str, float]:
    """Max differences over every node/link and reported step; asserts the tolerances."""
    ref_p, ref_q = direct.node["pressure"], direct.link["flowrate"]
    p, q = got.node["pressure"], got.link["flowrate"]
    assert list(ref_p.index) == list(p.index), f"{net} {scenario}: reported times differ"
    assert set(ref_p.columns) == set(p.columns) and set(ref_q.columns) == set(q.columns)
    diff = {"steps": len(ref_p.index),
            "pressure_m": float(np.abs(ref_p.to_numpy() - p[ref_p.columns].to_numpy()).max()),
            "flow_lps": float(np.abs(ref_q.to_numpy() - q[ref_q.columns].to_numpy()).max()) * 1000.0}
    if quality:
        ref_c, c = direct.node["quality"], got.node["quality"]
        scale = 1 / 3600.0 if quality == "AGE" else 1000.0  # s -> h, kg/m3 -> mg/l
        diff["quality"] = float(np.abs(ref_c.to_numpy() - c[ref_c.columns].to_numpy()).max()) * scale
    MAX_DIFF[(net, scenario)] = {**MAX_DIFF.get((net, scenario), {}), **{
        k: max(v, MAX_DIFF.get((net, scenario), {}).get(k, 0.0)) for k, v in diff.items()}}
    assert diff["pressure_m"] <= TOL_PRESSURE_M, f"{net} {scenario}: pressure differs by {diff['pressure_m']:.4f} m"
    assert diff["flow_lps"] <= TOL_FLOW_LPS, f"{net} {scenario}: flow differs by {diff['flow_lps']:.4f} l/s"
    if quality == "AGE":
        assert diff["quality"] <= TOL_AGE_H, f"{net} {scenario}: water age differs by {diff['quality']:.4f} h"
    elif quality:
        assert diff["quality"] <= TOL_CHLORINE_MG_L, f"{net} {scenario}: chlorine differs by {diff['quality']:.5f} mg/l"
    return diff


def check_published_peak(result: Any, direct: Any) -> None:
    """The peak values JalNet publishes are the direct run's (nodes cut off from every source are blank)."""
    nodes = result.nodes.set_index("model_id")
    ref = direct.node["pressure"].iloc[0]
    shown = nodes["pressure_peak_m"].reindex(ref.index)
    known = shown.notna()
    assert known.mean() > 0.5
    assert np.abs(shown[known] - ref[known]).max() <= TOL_PRESSURE_M
    junctions = direct.node["demand"].iloc[0][direct.node["demand"].columns.intersection(
        nodes.index[nodes["node_type"] == "Junction"])]
    assert result.summary["demand_peak_lps"] == pytest.approx(float(junctions.clip(lower=0).sum()) * 1000.0,
                                                               rel=1e-6, abs=1e-6)


# -- the suite -------------------------------------------------------------------------------
@pytest.mark.parametrize("net", NETWORKS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_equals_a_direct_epanet_run(net, scenario, nets, monkeypatch) -> None:
    info = nets[net]
    k, folder = info["k"], info["folder"] / scenario
    result, runs = run_jalnet(info, scenario, monkeypatch)
    label = f"scheme {info['scheme']}, scenario {scenario}"
    if scenario == "criticality_sample":
        direct = run_direct(direct_peak_hour(net, k), folder / "base")
        compare(net, scenario, direct, runs[label])
        assert sorted(result.criticality["element_id"]) == sorted(info["pipes"])
        for pipe in info["pipes"]:
            case = f"{label}, pipe {pipe} closed"
            try:
                expected = run_direct(direct_closed(net, k, pipe), folder / pipe)
            except Exception:  # noqa: BLE001 - EPANET cannot solve it: JalNet must say so too
                row = result.criticality.set_index("element_id").loc[pipe]
                assert not row["solved"] and case not in runs
                continue
            compare(net, scenario, expected, runs[case])
        return
    if scenario.endswith("_outage_one"):
        kind = scenario.split("_")[0]
        element = info["outages"][kind]
        compare(net, scenario, run_direct(direct_eps_24h(net), folder / "base"), runs[label])
        assert list(result.criticality["element_id"]) == [element]
        case = f"{label}, {kind} {element} out"
        try:
            expected = run_direct(direct_outage(net, kind, element), folder / "out")
        except Exception:  # noqa: BLE001 - EPANET cannot solve it: JalNet must say so too
            assert not result.criticality["solved"].iloc[0] and case not in runs
            return
        compare(net, scenario, expected, runs[case])
        return
    direct_model = {
        "peak_hour": lambda: direct_peak_hour(net, k),
        "eps_24h": lambda: direct_eps_24h(net),
        "design_year_g": lambda: direct_design_year(net, k),
        "peak_pdd": lambda: direct_pdd(net, k),
        "water_age": lambda: direct_water_age(net),
        "chlorine": lambda: direct_chlorine(net),
    }[scenario]()
    direct = run_direct(direct_model, folder)
    quality = {"water_age": "AGE", "chlorine": "CHEMICAL"}.get(scenario)
    compare(net, scenario, direct, runs[label], quality)
    if scenario in ("peak_hour", "design_year_g"):
        check_published_peak(result, direct)
        t = original(net).options.time  # the hour reported is the peak step's
        at = result.summary["peak_at"]
        assert (at - at.normalize()).total_seconds() == (t.start_clocktime + k * t.pattern_timestep) % 86400


def test_the_eps_peak_is_the_hour_of_largest_demand(nets, monkeypatch) -> None:
    """ky4 fills its tanks at night: the peak of an extended run is still the hour consumers draw most."""
    info = nets["ky4"]
    result, runs = run_jalnet(info, "eps_24h", monkeypatch)
    demand = runs[f"scheme {info['scheme']}, scenario eps_24h"].node["demand"]
    wn = original("ky4")
    junctions = demand[wn.junction_name_list].clip(lower=0).sum(axis=1)
    t = float(junctions.idxmax())
    assert t == info["k"] * wn.options.time.pattern_timestep
    start = result.summary["peak_at"]
    assert (start - start.normalize()).total_seconds() == t
    assert result.summary["demand_peak_lps"] == pytest.approx(junctions.max() * 1000.0, rel=1e-5)
    assert result.summary["demand_peak_lps"] > 100.0  # ky4's real peak, 114.9 l/s


@pytest.fixture(scope="module", autouse=True)
def _table():
    """The max differences, one line per network and scenario (shown with -s)."""
    yield
    if MAX_DIFF:
        print("\nnetwork  scenario            steps  pressure_m  flow_lps  quality")
        for (net, scenario), d in sorted(MAX_DIFF.items()):
            q = f"{d['quality']:.2e}" if "quality" in d else "-"
            print(f"{net:8} {scenario:19} {int(d['steps']):5}  {d['pressure_m']:.2e}    {d['flow_lps']:.2e}  {q}")


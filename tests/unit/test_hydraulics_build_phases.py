"""Each phase of a model build on its own: a BuildState with only the phases it builds on run.

The village of :mod:`hydraulics_nets`: a source at 70 m, junctions A..E, pipes P1..P6,
three sluice valves, 15 households of 5 persons at 55 lpcd.
"""

from __future__ import annotations

import pytest
from hydraulics_nets import ELEV, PIPES, SCHEME, pumped_village_registry, village_registry

pytest.importorskip("wntr")

from jalnet.errors import InputError  # noqa: E402
from jalnet.hydraulics.build import PHASES, BuildParams, BuildReport, load_schemes  # noqa: E402
from jalnet.hydraulics.build_demand import demand  # noqa: E402
from jalnet.hydraulics.build_devices import pumps, valves  # noqa: E402
from jalnet.hydraulics.build_nodes import nodes  # noqa: E402
from jalnet.hydraulics.build_options import controls, options, patterns_and_curves  # noqa: E402
from jalnet.hydraulics.build_pipes import pipes  # noqa: E402
from jalnet.hydraulics.build_state import DEMAND_PATTERN, BuildState  # noqa: E402
from jalnet.hydraulics.model_graph import connectivity  # noqa: E402
from jalnet.registry import open_registry  # noqa: E402


def state(path: str, **params) -> BuildState:
    with open_registry(path, readonly=True) as reg:
        data = load_schemes(reg, [SCHEME])[SCHEME]
    return BuildState(data, None, BuildParams.from_dict(params), None, BuildReport(SCHEME, crs=data.crs))


@pytest.fixture(scope="module")
def village(tmp_path_factory) -> str:
    return village_registry(str(tmp_path_factory.mktemp("phases") / "village.gpkg"))


def test_the_phases_run_in_build_order() -> None:
    order = [f.__name__ for _, functions in PHASES for f in functions]
    assert order == ["options", "patterns_and_curves", "nodes", "pipes", "pumps", "valves", "demand", "controls",
                     "connectivity"]


def test_options_alone_give_a_registry_scheme_the_defaults(village) -> None:
    s = state(village, headloss="D-W")
    options(s)
    patterns_and_curves(s)
    t = s.wn.options.time
    assert (t.duration, t.hydraulic_timestep, t.pattern_timestep) == (24 * 3600, 900, 3600)
    assert s.wn.options.hydraulic.headloss == "D-W" and s.wn.options.hydraulic.inpfile_units == "LPS"
    assert s.wn.num_junctions == 0 and s.wn.num_patterns == 0


def test_nodes_alone_place_junctions_and_sources_with_their_elevations(village) -> None:
    s = state(village)
    nodes(s)
    assert s.wn.num_junctions == 5 and s.wn.num_reservoirs == 1 and s.wn.num_links == 0
    for name, z in ELEV.items():
        assert s.wn.get_node(f"{SCHEME}-{name}").elevation == z
    assert s.wn.get_node(f"{SCHEME}-SRC").base_head == 70.0
    assert s.lookup[f"{SCHEME}-C"] == f"{SCHEME}-C" and s.node_kind[f"{SCHEME}-SRC"] == "Reservoir"
    assert s.report.node_assets[f"{SCHEME}-SRC"] == ("sources", f"{SCHEME}-SRC")


def test_nodes_without_an_elevation_need_a_dem(tmp_path) -> None:
    path = village_registry(str(tmp_path / "r.gpkg"), junctions=lambda j: j.assign(elevation_m=None))
    with pytest.raises(InputError, match=r"5 node\(s\) have no elevation.*--dem"):
        nodes(state(path))


def test_pipes_join_the_nodes_with_their_drawn_lengths(village) -> None:
    s = state(village)
    nodes(s)
    pipes(s)
    assert sorted(s.wn.pipe_name_list) == sorted(f"{SCHEME}-{p}" for p, *_ in PIPES)
    p3 = s.wn.get_link(f"{SCHEME}-P3")
    assert (p3.start_node_name, p3.end_node_name) == (f"{SCHEME}-B", f"{SCHEME}-C")
    assert p3.length == pytest.approx(100.0) and p3.diameter == pytest.approx(0.09)
    assert s.report.roughness_from_table == 6 and s.rising == set()


def test_pipes_need_their_nodes_first(village) -> None:
    with pytest.raises(InputError, match=r"pipe VIL-P1 ends at node VIL-SRC, which is not a junction"):
        pipes(state(village))


def test_isolation_valves_stay_on_their_pipes_as_segment_boundaries(village) -> None:
    s = state(village)
    nodes(s)
    pipes(s)
    pumps(s)
    valves(s)
    assert s.wn.num_valves == 0 and s.wn.num_pumps == 0
    layer = s.report.valve_layer.set_index("valve_id")
    assert layer.loc[f"{SCHEME}-V1", "link"] == f"{SCHEME}-P2" and layer.loc[f"{SCHEME}-V1", "node"] == f"{SCHEME}-A"


def test_a_pump_draws_from_its_source(tmp_path) -> None:
    s = state(pumped_village_registry(str(tmp_path / "r.gpkg"), head=40.0, capacity_kl=50.0, init_level=2.0,
                                      flow_lps=3.0))
    nodes(s)
    pipes(s)
    pumps(s)
    pump = s.wn.get_link(f"{SCHEME}-PMP")
    assert (pump.start_node_name, pump.end_node_name) == (f"{SCHEME}-SRC", f"{SCHEME}-S")
    assert s.native_pumps == [f"{SCHEME}-PMP"] and len(s.wn.control_name_list) == 0
    controls(s)  # a pump placed in the registry gets level controls on the tank it fills
    assert {f"{SCHEME}-PMP on", f"{SCHEME}-PMP off"} == set(s.wn.control_name_list)


def test_demand_puts_the_households_on_their_junctions(village) -> None:
    s = state(village)
    nodes(s)
    pipes(s)
    demand(s)
    lps = 5 * 55 / 86400.0  # one household: 5 persons at 55 lpcd, in l/s
    for node, n in {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}.items():
        (d,) = s.wn.get_node(f"{SCHEME}-{node}").demand_timeseries_list
        assert d.base_value * 1000.0 == pytest.approx(n * lps) and d.pattern_name == DEMAND_PATTERN
    assert s.report.households == 15 and s.report.demand_lps == pytest.approx(15 * lps)


def test_connectivity_refuses_a_node_no_source_reaches(tmp_path) -> None:
    path = village_registry(str(tmp_path / "r.gpkg"), pipes=lambda p: p[p["pipe_id"] != f"{SCHEME}-P5"]
                            .assign(status=lambda f: f["status"].where(f["pipe_id"] != f"{SCHEME}-P4", "abandoned")))
    s = state(path)
    nodes(s)
    pipes(s)
    with pytest.raises(InputError, match=r"not connected to any source or tank: junctions VIL-D"):
        connectivity(s)
    s = state(path, drop_disconnected=True)
    nodes(s)
    pipes(s)
    connectivity(s)
    assert f"{SCHEME}-D" not in s.wn.node_name_list and any("left out 1 node" in w for w in s.report.warnings)

"""Every validation rule: a small network that triggers it, and a close one that does not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from topology_nets import base, data, pipe, split_pipe, variant

from jalnet.errors import InputError
from jalnet.topology import RULES, validate_network
from jalnet.topology.findings import fingerprint
from jalnet.topology.rules import resolve_params, select_rules

Layers = dict[str, list[dict[str, Any]]]


def run(layers: Layers, code: str, **params: float) -> Any:
    return validate_network(data(layers), rules=[code], params=params or None).findings


# -- one function per rule: (triggering layers, non-triggering layers, asset ids expected in the finding) ------------
def net_001() -> tuple[Layers, Layers, set[str]]:
    bowtie = variant()
    bowtie["villages"][0]["geometry"] = Polygon([(-50, -50), (250, 150), (250, -50), (-50, 150)])
    return bowtie, base(), {"V1"}


def net_002() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["fhtc"].append({"fhtc_id": "F2", "scheme_id": "S1", "geometry": None})
    ok = variant()
    ok["fhtc"].append({"fhtc_id": "F2", "scheme_id": "S1", "geometry": Point(120, 5)})
    return bad, ok, {"F2"}


def net_003() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P2")["geometry"] = MultiLineString([[(100, 0), (150, 0)], [(150, 0), (200, 0)]])
    return bad, base(), {"P2"}


def net_004() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(200, 0), (200, 0)])})
    return bad, base(), {"P9"}


def _stub(length: float) -> Layers:
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P2"), "pipe_id": "P9", "from_node": "J3", "to_node": "J9",
                            "geometry": LineString([(200, 0), (200 + length, 0)])})
    layers["junctions"][2]["node_type"] = "junction"
    layers["junctions"].append({"node_id": "J9", "scheme_id": "S1", "node_type": "end_cap",
                                "geometry": Point(200 + length, 0)})
    return layers


def net_005() -> tuple[Layers, Layers, set[str]]:
    return _stub(0.3), _stub(0.6), {"P9"}


def net_006() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["geometry"] = LineString([(100, 0), (100, 60), (120, 40), (80, 40), (100, 100)])
    ok = variant()
    pipe(ok, "P3")["geometry"] = LineString([(100, 0), (100, 40), (120, 60), (100, 100)])
    return bad, ok, {"P3"}


def net_010() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(200, 0.2), (150, 0.1),
                                                                                     (100, 0)])})
    ok = variant()  # a second pipe between the same nodes by another route: a loop, not a duplicate
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(100, 0), (150, 30), (200, 0)])})
    return bad, ok, {"P2", "P9"}


def net_011() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(150, 0), (200, 0), (200, 40)])})
    ok = variant()
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(200, 0), (200, 40)])})
    return bad, ok, {"P2", "P9"}


def net_012() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(150, -40), (150, 40)])})
    ok = variant()  # the same crossing, noded: both pipes split at (150, 0)
    split_pipe(ok, "P2", (150, 0), "P8", "J8")
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(150, -40), (150, 0)])})
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P7", "geometry": LineString([(150, 0), (150, 40)])})
    return bad, ok, {"P2", "P9"}


def net_013() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(150, 0), (150, 40)])})
    ok = variant()
    split_pipe(ok, "P2", (150, 0), "P8", "J8")
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(150, 0), (150, 40)])})
    return bad, ok, {"P2", "P9"}


def net_020() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["junctions"][2]["node_type"] = "junction"  # J3 at the end of P2 is no longer an end cap
    ok = variant()  # no end cap record, but a valve stands at the end: a legitimate dead end
    ok["junctions"][2]["node_type"] = "junction"
    ok["valves"] = [{"valve_id": "V1", "scheme_id": "S1", "valve_type": "scour", "geometry": Point(200, 0)}]
    return bad, ok, {"P2"}


def _loose(offset: float) -> Layers:
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P2"), "pipe_id": "P9", "geometry": LineString([(150, offset), (150, 40)])})
    layers["junctions"].append({"node_id": "J9", "scheme_id": "S1", "node_type": "end_cap", "geometry": Point(150, 40)})
    return layers


def net_021() -> tuple[Layers, Layers, set[str]]:
    ok = variant()
    split_pipe(ok, "P2", (150, 0), "P8", "J8")
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(150, 0), (150, 40)])})
    return _loose(0.4), ok, {"P9", "P2"}


def net_022() -> tuple[Layers, Layers, set[str]]:
    return _loose(3.0), _loose(8.0), {"P9", "P2"}


def net_023() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["junctions"].append({"node_id": "J9", "scheme_id": "S1", "node_type": "junction", "geometry": Point(50, 20)})
    return bad, base(), {"J9"}


def net_024() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["to_node"] = "J3"  # J3 is at the end of P2, not of P3
    ok = variant()
    pipe(ok, "P1")["from_node"] = "T1"  # naming the tank standing at the start is fine too
    return bad, ok, {"P3", "J3"}


def net_025() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    split_pipe(bad, "P2", (150, 0), "P8", "J8")
    ok = variant()  # same split with a valve on the node: a real node
    split_pipe(ok, "P2", (150, 0), "P8", "J8")
    ok["valves"] = [{"valve_id": "V1", "scheme_id": "S1", "valve_type": "sluice", "geometry": Point(150, 0)}]
    return bad, ok, {"P2", "P8"}


def net_026() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P1")["geometry"] = LineString([(100, 0), (50, 0), (0, 0)])  # drawn J2 -> J1, recorded J1 -> J2
    ok = variant()
    pipe(ok, "P1").update(geometry=LineString([(100, 0), (50, 0), (0, 0)]), from_node="J2", to_node="J1")
    return bad, ok, {"P1"}


def test_reversed_pipe_is_not_also_a_wrong_reference() -> None:
    bad, _, _ = net_026()
    assert run(bad, "NET-024").empty


def _with_source(layers: Layers) -> Layers:
    layers["sources"] = [{"source_id": "SRC1", "scheme_id": "S1", "source_type": "borewell", "geometry": Point(0, 0)}]
    return layers


def net_032() -> tuple[Layers, Layers, set[str]]:
    bad = _with_source(variant())  # a ground tank 1.5 km away on a pipe of its own: nothing fills it
    bad["tanks"].append({"tank_id": "GSR2", "scheme_id": "S1", "tank_type": "GSR", "geometry": Point(1500, 0)})
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "from_node": "GSR2", "to_node": None,
                         "geometry": LineString([(1500, 0), (1500, 80)])})
    ok = _with_source(variant())
    ok["tanks"].append({"tank_id": "GSR2", "scheme_id": "S1", "tank_type": "GSR", "geometry": Point(200, 0)})
    return bad, ok, {"GSR2"}


def test_tank_at_no_pipe_is_unfillable_but_a_scheme_without_sources_is_left_to_the_registry_rules() -> None:
    layers = _with_source(variant())
    layers["tanks"].append({"tank_id": "GSR3", "scheme_id": "S1", "tank_type": "GSR", "geometry": Point(900, 900)})
    found = run(layers, "NET-032")
    assert list(found["asset_ids"]) == ["GSR3"] and "stands at no pipe end" in found["message"].iloc[0]
    layers.pop("sources")
    assert run(layers, "NET-032").empty


def net_033() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["schemes"][0]["layout"] = "branched"
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "from_node": "J3", "to_node": "J4",
                         "geometry": LineString([(200, 0), (100, 100)])})  # closes P2-P3 into a loop
    bad["junctions"][2]["node_type"] = "junction"
    ok = copy.deepcopy(bad)
    ok["schemes"][0]["layout"] = "looped"
    return bad, ok, {"P2", "P3", "P9"}


def net_030() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"].append({**pipe(bad, "P2"), "pipe_id": "P9", "geometry": LineString([(0, 120), (200, 120)])})
    ok = variant()
    ok["pipes"].append({**pipe(ok, "P2"), "pipe_id": "P9", "geometry": LineString([(100, 100), (200, 120)])})
    return bad, ok, {"P9"}


def net_031() -> tuple[Layers, Layers, set[str]]:
    bad = variant(tanks=[])
    ok = variant(tanks=[], sources=[{"source_id": "SRC1", "scheme_id": "S1", "source_type": "borewell",
                                     "geometry": Point(0, 0)}])
    return bad, ok, {"P1", "P2", "P3"}


def net_040() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["diameter_mm"] = None
    return bad, base(), {"P3"}


def net_041() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["material"] = None
    return bad, base(), {"P3"}


def net_042() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["material"] = "Plastic"
    return bad, base(), {"P3"}


def net_043() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["diameter_mm"] = 100.0  # not an HDPE size (90 or 110)
    ok = variant()
    pipe(ok, "P3")["material"], pipe(ok, "P3")["diameter_mm"] = "DI", 100.0
    return bad, ok, {"P3"}


def net_044() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["diameter_mm"] = 200.0
    ok = variant()
    pipe(ok, "P3")["diameter_mm"] = 160.0  # as wide as its feed is fine
    return bad, ok, {"P3"}


def net_045() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["pipes"] = [p for p in bad["pipes"] if p["pipe_id"] != "P3"]
    bad["junctions"] = [j for j in bad["junctions"] if j["node_id"] != "J4"]
    ok = copy.deepcopy(bad)
    ok["junctions"][1]["node_type"] = "reducer"
    return bad, ok, {"P1", "P2"}


def net_046() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P2")["length_m"] = 130.0
    ok = variant()
    pipe(ok, "P2")["length_m"] = 104.0  # 4 %, 4 m: within both limits
    return bad, ok, {"P2"}


def net_050() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["villages"][0]["geometry"] = Polygon([(-50, -50), (250, -50), (250, 60), (-50, 60)])
    return bad, base(), {"P3"}


def net_051() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["fhtc"][0]["geometry"] = Point(150, 45)
    ok = variant()
    ok["fhtc"][0]["geometry"] = Point(150, 29)
    return bad, ok, {"F1"}


def net_052() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    bad["junctions"][3]["scheme_id"] = None
    return bad, base(), {"J4"}


def net_053() -> tuple[Layers, Layers, set[str]]:
    bad = variant()
    pipe(bad, "P3")["scheme_id"] = "S9"
    return bad, base(), {"P3"}


CASES: dict[str, Callable[[], tuple[Layers, Layers, set[str]]]] = {
    f"NET-{name[4:]}": func for name, func in globals().items() if name.startswith("net_") and callable(func)
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


def test_base_network_is_clean_for_all_rules() -> None:
    found = validate_network(data(base())).findings
    assert found.empty, found[["rule", "message"]].to_string()


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_triggers(code: str) -> None:
    bad, _, ids = CASES[code]()
    found = run(bad, code)
    assert len(found) >= 1, f"{code} did not trigger"
    assert set(found["rule"]) == {code}
    assert set(found["severity"]) == {RULES[code].severity}
    reported = {a.strip() for text in found["asset_ids"] for a in text.split(",")}
    assert ids <= reported, f"{code}: expected {ids} in {reported}"
    assert found.geometry.notna().all() or code == "NET-002"
    assert found["fingerprint"].str.len().eq(16).all()
    assert found["message"].str.len().gt(10).all()


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_stays_quiet_on_the_close_correct_case(code: str) -> None:
    _, ok, _ = CASES[code]()
    found = run(ok, code)
    assert found.empty, found[["rule", "message"]].to_string()


# -- details ---------------------------------------------------------------------------------------------------------
def test_crossing_point_and_tee_end_are_where_they_are() -> None:
    bad, _, _ = net_012()
    [x] = run(bad, "NET-012").geometry
    assert (x.x, x.y) == pytest.approx((150, 0))
    bad, _, _ = net_013()
    found = run(bad, "NET-013")
    assert len(found) == 1 and "start of P9 rests on P2" in found["message"].iloc[0]


def test_near_miss_distances_follow_parameters() -> None:
    layers = _loose(3.0)
    assert len(run(layers, "NET-022")) == 1
    assert run(layers, "NET-022", near_miss_m=2.0).empty
    assert len(run(layers, "NET-020", near_miss_m=2.0)) == 1  # then it is a plain dangling end
    assert len(run(layers, "NET-021", gap_max_m=4.0, near_miss_m=5.0)) == 1


def test_overlap_length_is_measured() -> None:
    bad, _, _ = net_011()
    found = run(bad, "NET-011")
    assert "50.0 m" in found["message"].iloc[0]
    assert found.geometry.iloc[0].length == pytest.approx(50.0)


def test_disconnected_part_is_not_the_part_with_the_tank() -> None:
    bad, _, _ = net_030()
    found = run(bad, "NET-030")
    assert len(found) == 1 and found["asset_ids"].iloc[0] == "P9"
    assert "no water can reach it" in found["message"].iloc[0]


def test_outside_part_is_the_part_outside() -> None:
    bad, _, _ = net_050()
    [outside] = run(bad, "NET-050").geometry
    # village ends at y=60 (+1 m tolerance): 39 m of P3 lie beyond
    assert outside.length == pytest.approx(39.0, abs=0.01)


def test_fingerprint_is_stable_and_order_free() -> None:
    assert fingerprint("NET-012", ["P2", "P9"]) == fingerprint("NET-012", ["P9", "P2"])
    assert fingerprint("NET-020", ["P2"], "start") != fingerprint("NET-020", ["P2"], "end")
    bad, _, _ = net_012()
    assert run(bad, "NET-012")["fingerprint"].iloc[0] == fingerprint("NET-012", ["P2", "P9"])


def test_accepted_findings_are_left_out() -> None:
    bad, _, _ = net_012()
    first = validate_network(data(bad), rules=["NET-012"])
    again = validate_network(data(bad), rules=["NET-012"], accepted=set(first.findings["fingerprint"]))
    assert again.findings.empty and again.accepted == 1


def test_rule_selection_and_parameters_are_checked() -> None:
    assert select_rules(["net-012", "Connectivity"]) == ["NET-012", "NET-030", "NET-031", "NET-032", "NET-033"]
    with pytest.raises(InputError, match="unknown rule"):
        select_rules(["NET-999"])
    with pytest.raises(InputError, match="unknown validation parameter"):
        resolve_params({"near": 3})
    with pytest.raises(InputError, match="not a number"):
        resolve_params({"near_miss_m": "five"})
    with pytest.raises(InputError, match="must not exceed"):
        resolve_params({"gap_max_m": 6})


def test_contacts_agree_with_geos_on_a_random_network() -> None:
    """Crossings found by the numpy segment pass are exactly the pairs GEOS says cross (interiors meet at points)."""
    rng = np.random.default_rng(4)
    lines = []
    for _ in range(300):
        x, y = rng.uniform(0, 1000, 2)
        steps = rng.normal(0, 40, (3, 2))
        lines.append(LineString(np.vstack([[x, y], [x, y] + np.cumsum(steps, axis=0)])))
    layers = {"schemes": base()["schemes"],
              "pipes": [{"pipe_id": f"R{i}", "scheme_id": "S1", "geometry": g} for i, g in enumerate(lines)]}
    found = run(layers, "NET-012")
    got = {tuple(sorted(a.split(", "))) for a in found["asset_ids"]}
    tree = shapely.STRtree(lines)
    i, j = tree.query(lines, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    crossing = shapely.relate_pattern(np.array(lines)[i], np.array(lines)[j], "0********")
    expected = {tuple(sorted((f"R{a}", f"R{b}"))) for a, b in zip(i[crossing], j[crossing])}
    assert len(expected) > 20
    assert got == expected


def test_self_intersection_of_a_closed_pipe() -> None:
    layers = variant()
    pipe(layers, "P3")["geometry"] = LineString([(100, 0), (100, 50), (130, 50), (100, 0)])
    found = run(layers, "NET-006")
    assert len(found) == 1 and "ends where it starts" in found["message"].iloc[0]


def test_nominal_diameter_check_knows_materials() -> None:
    layers = variant()
    pipe(layers, "P3")["material"], pipe(layers, "P3")["diameter_mm"] = "GI", 65.0
    assert run(layers, "NET-043").empty
    pipe(layers, "P3")["diameter_mm"] = 3500.0
    assert len(run(layers, "NET-043")) == 1

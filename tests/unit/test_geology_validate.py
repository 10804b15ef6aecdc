"""Each litholog validation rule: a case that fires it and one that does not."""

from __future__ import annotations

import geopandas as gpd
import pytest
from geology_synth import A_XY, CRS, lithologs
from shapely.geometry import Point

from jalnet.geology.validate import RULES, findings_text, validate

CLEAN_INTERVALS = [("B1", 0, 10, "CH", False), ("B1", 10, 40, "SP", True), ("B1", 40, 60, "CH", False)]


def hole(**fields) -> dict:
    base = {"borehole_id": "B1", "x": A_XY[0], "y": A_XY[1], "collar_elev_m": 50.0, "drilled_depth_m": 60.0,
            "swl_m": 5.0}
    base.update(fields)
    return base


def rules(data, sources=None, **kw) -> list[str]:
    return [f.rule for f in validate(data, sources, **kw)]


def test_clean_log_has_no_findings() -> None:
    data = lithologs([hole()], CLEAN_INTERVALS, [("B1", 15, 35, "screen"), ("B1", 0, 15, "casing")])
    assert validate(data) == []


@pytest.mark.parametrize("intervals, fires", [
    ([("B1", 0, 10, "CH", False), ("B1", 12, 60, "SP", True)], True),   # 10-12 not logged
    ([("B1", 2, 10, "CH", False), ("B1", 10, 60, "SP", True)], True),   # top 0-2 not logged
    ([("B1", 0, 10, "CH", False), ("B1", 10, 55, "SP", True)], True),   # ends above drilled depth
    ([("B1", 0, 10, "CH", False), ("B1", 10, 60, "SP", True)], False),
    ([("B1", 0, 10, "CH", False), ("B1", 10.005, 60, "SP", True)], False),  # within tolerance
])
def test_interval_gap(intervals, fires: bool) -> None:
    assert ("interval_gap" in rules(lithologs([hole()], intervals))) is fires


def test_gap_message_names_the_unlogged_depths() -> None:
    found = validate(lithologs([hole()], [("B1", 0, 10, "CH", False), ("B1", 12, 60, "SP", True)]))
    assert [f.message for f in found if f.rule == "interval_gap"] == ["10–12 m is not logged"]


@pytest.mark.parametrize("intervals, fires", [
    ([("B1", 0, 12, "CH", False), ("B1", 10, 60, "SP", True)], True),
    ([("B1", 0, 60, "CH", False), ("B1", 20, 25, "SP", True)], True),   # a layer inside another
    ([("B1", 0, 10, "CH", False), ("B1", 10, 60, "SP", True)], False),
])
def test_interval_overlap(intervals, fires: bool) -> None:
    assert ("interval_overlap" in rules(lithologs([hole()], intervals))) is fires


@pytest.mark.parametrize("interval, fires", [((10, 10), True), ((12, 10), True), ((10, 12), False)])
def test_from_not_above_to(interval, fires: bool) -> None:
    intervals = [("B1", 0, 10, "CH", False), ("B1", *interval, "SP", True)]
    assert ("interval_from_ge_to" in rules(lithologs([hole()], intervals))) is fires


def test_from_ge_to_in_construction() -> None:
    data = lithologs([hole()], CLEAN_INTERVALS, [("B1", 30, 20, "screen")])
    assert "interval_from_ge_to" in rules(data)


@pytest.mark.parametrize("bottom, fires", [(65, True), (60, False)])
def test_interval_below_drilled_depth(bottom: float, fires: bool) -> None:
    intervals = [("B1", 0, 10, "CH", False), ("B1", 10, bottom, "SP", True)]
    assert ("interval_below_depth" in rules(lithologs([hole()], intervals))) is fires


def test_construction_below_drilled_depth() -> None:
    assert "interval_below_depth" in rules(lithologs([hole()], CLEAN_INTERVALS, [("B1", 0, 62, "casing")]))
    assert "interval_below_depth" not in rules(lithologs([hole()], CLEAN_INTERVALS, [("B1", 0, 58, "casing")]))


def test_unknown_lithology() -> None:
    unknown = [("B1", 0, 10, None, False, "blackish_mud"), ("B1", 10, 60, "SP", True)]
    found = validate(lithologs([hole()], unknown))
    assert [f.rule for f in found] == ["unknown_lithology"]
    assert "'blackish_mud'" in found[0].message
    assert "unknown_lithology" not in rules(lithologs([hole()], CLEAN_INTERVALS))


@pytest.mark.parametrize("screen, fires", [
    ((15, 35), False),   # inside the 10-40 m sand
    ((35, 45), True),    # 5 m of it in the clay below
    ((5, 15), True),     # starts in the clay above
    ((10, 40), False),   # exactly the aquifer
])
def test_screen_not_in_aquifer(screen, fires: bool) -> None:
    data = lithologs([hole()], CLEAN_INTERVALS, [("B1", *screen, "screen")])
    assert ("screen_not_in_aquifer" in rules(data)) is fires


def test_screen_spanning_two_adjacent_aquifers_is_fine_and_message_names_the_clay() -> None:
    intervals = [("B1", 0, 10, "CH", False), ("B1", 10, 20, "SP", True), ("B1", 20, 30, "GW", True),
                 ("B1", 30, 60, "CH", False)]
    assert rules(lithologs([hole()], intervals, [("B1", 12, 28, "screen")])) == []
    found = validate(lithologs([hole()], intervals, [("B1", 25, 33, "screen")]))
    assert [f.rule for f in found] == ["screen_not_in_aquifer"]
    assert "3 m of it is outside" in found[0].message and "CH 30–60 m" in found[0].message


@pytest.mark.parametrize("swl, fires", [(61.0, True), (60.0, False), (None, False)])
def test_swl_below_drilled_depth(swl, fires: bool) -> None:
    assert ("swl_below_depth" in rules(lithologs([hole(swl_m=swl)], CLEAN_INTERVALS))) is fires


@pytest.mark.parametrize("collar, fires", [(None, True), (50.0, False)])
def test_missing_collar_elevation(collar, fires: bool) -> None:
    assert ("missing_collar_elevation" in rules(lithologs([hole(collar_elev_m=collar)], CLEAN_INTERVALS))) is fires


@pytest.mark.parametrize("dx, limit, fires", [(150.0, 100.0, True), (60.0, 100.0, False), (150.0, 200.0, False)])
def test_far_from_source(dx: float, limit: float, fires: bool) -> None:
    sources = gpd.GeoDataFrame({"source_id": ["SRC-1"]}, geometry=[Point(A_XY[0] + dx, A_XY[1])], crs=CRS)
    data = lithologs([hole(source_id="SRC-1")], CLEAN_INTERVALS)
    found = validate(data, sources, max_source_distance_m=limit)
    assert ("far_from_source" in [f.rule for f in found]) is fires
    if fires:
        assert f"{dx:.0f} m from its source SRC-1" in found[0].message


def test_unknown_source() -> None:
    sources = gpd.GeoDataFrame({"source_id": ["SRC-1"]}, geometry=[Point(A_XY)], crs=CRS)
    assert rules(lithologs([hole(source_id="SRC-9")], CLEAN_INTERVALS), sources) == ["unknown_source"]
    assert rules(lithologs([hole(source_id="SRC-1")], CLEAN_INTERVALS), sources) == []


def test_no_lithology() -> None:
    assert rules(lithologs([hole()], [])) == ["no_lithology"]


def test_every_rule_has_a_severity_and_findings_text_joins_them() -> None:
    assert all(sev in ("error", "warning", "info") for sev, _ in RULES.values())
    found = validate(lithologs([hole(collar_elev_m=None, swl_m=70.0)], CLEAN_INTERVALS))
    text = findings_text(found)["B1"]
    assert text.startswith("swl_below_depth: ") and "; missing_collar_elevation: " in text

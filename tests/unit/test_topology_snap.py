"""Snapping staged contractor pipes into a registry network: targets, splits, gaps, overshoots, conflation, undo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point
from topology_nets import base, make_registry, pipe, stage, variant

from jalnet.errors import InputError
from jalnet.registry import content_digest, open_registry
from jalnet.topology import snap, validate
from jalnet.topology.snap import SnapResult


@pytest.fixture
def reg_path(tmp_path: Path) -> str:
    return make_registry(str(tmp_path / "net.gpkg"), base())


def read(path: str, layer: str):
    with open_registry(path, readonly=True) as reg:
        return reg.read(layer)


def by_id(frame, key: str):
    return frame.set_index(key)


def digest(path: str, log: bool = True) -> dict[str, str]:
    with open_registry(path, readonly=True) as reg:
        return content_digest(reg, include_log=log)


def test_end_goes_to_the_node_of_highest_priority(tmp_path: Path) -> None:
    layers = variant()
    layers["tanks"].append({"tank_id": "T2", "scheme_id": "S1", "tank_type": "GSR", "geometry": Point(106, 101)})
    path = make_registry(str(tmp_path / "p.gpkg"), layers)
    # starts 3 m from end cap J4 and 3.2 m from tank T2: the tank wins
    stage(path, [{"geometry": LineString([(103, 100), (103, 180)])}])
    result = snap(path, tolerance=5)
    [row] = result.candidates.itertuples()
    assert row.state == "added" and "tank T2" in row.message
    new = by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id]
    assert new.geometry.coords[0] == pytest.approx((106, 101))
    junctions = by_id(read(path, "junctions"), "node_id")
    assert junctions.loc[new.from_node].geometry.equals(Point(106, 101))
    assert junctions.loc[new.from_node, "node_type"] == "junction"
    assert junctions.loc[new.to_node, "node_type"] == "end_cap"  # the far end is free
    assert junctions.loc["J4", "node_type"] == "end_cap"  # untouched


def test_end_goes_to_a_node_before_a_pipe(reg_path: str) -> None:
    # starts on P3 (0 m) but 4 m from its end node J4: nodes come first
    stage(reg_path, [{"geometry": LineString([(100, 96), (160, 140)]), "diameter_mm": 90.0}])
    result = snap(reg_path, tolerance=5)
    new = by_id(read(reg_path, "pipes"), "pipe_id").loc[result.candidates["result_pipe_id"].iloc[0]]
    assert new.from_node == "J4" and new.geometry.coords[0] == (100, 100)
    assert len(read(reg_path, "pipes")) == 4  # P3 not split
    assert by_id(read(reg_path, "junctions"), "node_id").loc["J4", "node_type"] == "junction"  # no longer an end


def test_valve_in_the_middle_of_a_pipe_beats_the_pipe(tmp_path: Path) -> None:
    layers = variant(valves=[{"valve_id": "V1", "scheme_id": "S1", "valve_type": "sluice", "pipe_id": "P3",
                              "geometry": Point(100, 54)}])
    path = make_registry(str(tmp_path / "v.gpkg"), layers)
    stage(path, [{"geometry": LineString([(101, 50), (160, 50)])}])
    snap(path, tolerance=5)
    pipes = by_id(read(path, "pipes"), "pipe_id")
    assert pipes.loc["P3"].geometry.coords[-1] == pytest.approx((100, 54))  # split at the valve
    assert len(pipes) == 5


def test_end_onto_a_pipe_splits_it_with_a_junction(tmp_path: Path) -> None:
    layers = variant()
    layers["fhtc"].append({"fhtc_id": "F2", "scheme_id": "S1", "pipe_id": "P2", "geometry": Point(180, 10)})
    path = make_registry(str(tmp_path / "s.gpkg"), layers)
    before = by_id(read(path, "pipes"), "pipe_id").loc["P2"].geometry
    stage(path, [{"geometry": LineString([(150, 3), (150, 60)])}])
    result = snap(path, tolerance=5)
    assert result.counts["split_pipes"] == 1 and result.counts["new_junctions"] == 2
    pipes = by_id(read(path, "pipes"), "pipe_id")
    new_id = result.candidates["result_pipe_id"].iloc[0]
    [part_id] = [p for p in pipes.index if p not in ("P1", "P2", "P3", new_id)]
    p2, part = pipes.loc["P2"], pipes.loc[part_id]
    assert p2.geometry.coords[-1] == pytest.approx((150, 0)) and part.geometry.coords[0] == pytest.approx((150, 0))
    assert shapely.union_all([p2.geometry, part.geometry]).equals(before)  # split, not moved
    assert p2.to_node == part.from_node and part.to_node == "J3"
    assert p2.length_m + part.length_m == pytest.approx(99.0)  # reported length shared in proportion
    assert pipes.loc[new_id].from_node == p2.to_node
    junctions = by_id(read(path, "junctions"), "node_id")
    assert junctions.loc[p2.to_node, "node_type"] == "junction"
    assert by_id(read(path, "fhtc"), "fhtc_id").loc["F2", "pipe_id"] == part_id  # the tap follows its part
    assert validate(path).findings.empty


def test_pieces_of_one_walk_are_joined_across_the_gap(reg_path: str) -> None:
    stage(reg_path, [
        {"source_ref": "trk 1 'BR' [piece 1/2]", "geometry": LineString([(200, 2), (240, 2), (260, 3)])},
        {"source_ref": "trk 1 'BR' [piece 2/2]", "geometry": LineString([(295, 4), (330, 5)])},
    ])
    result = snap(reg_path, tolerance=5)
    assert list(result.candidates["state"]) == ["added", "added"]
    assert result.candidates["result_pipe_id"].nunique() == 1
    new = by_id(read(reg_path, "pipes"), "pipe_id").loc[result.candidates["result_pipe_id"].iloc[0]]
    assert new.geometry.coords[0] == (200, 0) and new.geometry.coords[-1] == pytest.approx((330, 5))
    assert "35 m gap" in result.candidates["message"].iloc[0]


def test_free_ends_of_two_walks_meet_at_one_junction(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(200, 3), (200, 80)])},
                     {"geometry": LineString([(202, 82), (280, 82)])}])
    result = snap(reg_path, tolerance=5)
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.from_node
    assert a.geometry.coords[-1] == b.geometry.coords[0]
    found = validate(reg_path, rules=["Topology", "Connectivity"]).findings
    assert list(found["rule"]) == ["NET-025"]  # two walks with the same attributes meet: a note, not an error


def test_overshoot_across_a_pipe_is_trimmed(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(150, -3), (150, 60)])}])
    result = snap(reg_path, tolerance=5)
    assert "trimmed 3.0 m overshoot at the start across P2" in result.candidates["message"].iloc[0]
    new = by_id(read(reg_path, "pipes"), "pipe_id").loc[result.candidates["result_pipe_id"].iloc[0]]
    assert new.geometry.coords[0] == pytest.approx((150, 0))
    assert new.geometry.length == pytest.approx(60)
    assert new.length_m == pytest.approx(60.0)  # no reported length: the drawn one
    assert validate(reg_path, rules=["NET-012", "NET-013", "NET-020"]).findings.empty


def test_overshoot_past_a_node_is_trimmed(reg_path: str) -> None:
    # comes up from the south, passes end cap J3 (200,0) by 3 m and stops
    stage(reg_path, [{"geometry": LineString([(200, -80), (200, -20), (200, 3)])}])
    result = snap(reg_path, tolerance=5)
    new = by_id(read(reg_path, "pipes"), "pipe_id").loc[result.candidates["result_pipe_id"].iloc[0]]
    assert new.geometry.coords[-1] == (200, 0) and new.to_node == "J3"
    assert new.geometry.length == pytest.approx(80)


def test_a_track_repeating_a_pipe_is_conflated(tmp_path: Path) -> None:
    layers = variant()
    pipe(layers, "P3")["material"] = None
    path = make_registry(str(tmp_path / "c.gpkg"), layers)
    walked = LineString([(101.5, 98), (99, 70), (101.2, 40), (98.8, 10), (100.5, -2)])  # P3 walked back, noisy
    stage(path, [{"geometry": walked, "material": "HDPE"}])
    result = snap(path, tolerance=5)
    [row] = result.candidates.itertuples()
    assert row.state == "conflated" and row.result_pipe_id == "P3"
    assert "filled material" in row.message
    pipes = by_id(read(path, "pipes"), "pipe_id")
    assert len(pipes) == 3 and pipes.loc["P3", "material"] == "HDPE"
    assert pipes.loc["P3"].geometry.equals(LineString([(100, 0), (100, 100)]))
    staged = read(path, "staged_pipes")
    assert staged["state"].tolist() == ["conflated"] and staged["result_pipe_id"].tolist() == ["P3"]


def test_two_tracks_of_the_same_new_pipe_give_one_pipe(reg_path: str) -> None:
    line = [(200, 0), (200, 60), (260, 60)]
    stage(reg_path, [{"geometry": LineString(line)},
                     {"geometry": LineString([(x + 1.5, y - 1) for x, y in line])}])
    result = snap(reg_path, tolerance=5)
    assert sorted(result.candidates["state"]) == ["added", "conflated"]
    assert result.candidates["result_pipe_id"].nunique() == 1
    assert len(read(reg_path, "pipes")) == 4


def _near_miss_registry(tmp_path: Path) -> str:
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P2"), "pipe_id": "P9", "from_node": None, "to_node": "J9",
                            "geometry": LineString([(150, 2.5), (150, 60)])})
    layers["junctions"].append({"node_id": "J9", "scheme_id": "S1", "node_type": "end_cap", "geometry": Point(150, 60)})
    return make_registry(str(tmp_path / "m.gpkg"), layers)


def test_existing_geometry_moves_only_when_allowed(tmp_path: Path) -> None:
    path = _near_miss_registry(tmp_path)
    assert len(validate(path, rules=["NET-022"]).findings) == 1
    before = digest(path)
    result = snap(path, tolerance=5)
    assert result.batch_id is None and digest(path) == before  # nothing staged, nothing moved
    old = by_id(read(path, "pipes"), "pipe_id")
    result = snap(path, tolerance=5, allow_move_existing=True)
    assert result.counts["moved_ends"] == 1 and result.batch_id
    pipes = by_id(read(path, "pipes"), "pipe_id")
    assert pipes.loc["P9"].geometry.coords[0] == pytest.approx((150, 0))
    assert pipes.loc["P9"].geometry.coords[-1] == (150, 60)
    for pid in ("P1", "P3"):
        assert pipes.loc[pid].geometry.equals(old.loc[pid].geometry)
    assert validate(path, rules=["Topology", "Connectivity"]).findings.empty


def test_dry_run_writes_nothing(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(150, 3), (150, 60)])}])
    before = digest(reg_path)
    result = snap(reg_path, tolerance=5, dry_run=True)
    assert digest(reg_path) == before
    assert result.dry_run and result.batch_id is None
    assert result.counts["added"] == 1 and result.counts["split_pipes"] == 1
    changes = result.changes
    assert {"added", "new pipe", "new junction", "split"} <= set(changes["change"])
    assert changes.crs.to_epsg() == 32646


def test_second_run_changes_nothing_and_undo_restores_exactly(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(150, 3), (150, 60)])},
                     {"geometry": LineString([(103, 100), (103, 160)])}])
    before = digest(reg_path, log=False)
    first = snap(reg_path, tolerance=5)
    after_first = digest(reg_path)
    second = snap(reg_path, tolerance=5)
    assert second.batch_id is None and second.candidates.empty
    assert digest(reg_path) == after_first
    with open_registry(reg_path) as reg:
        assert reg.batches().set_index("batch_id").loc[first.batch_id, "tool"] == "network snap"
        reg.undo(first.batch_id)
    assert digest(reg_path, log=False) == before


def test_bad_candidates_are_rejected_and_odd_values_left_out(reg_path: str) -> None:
    stage(reg_path, [
        {"geometry": LineString([(300, 300), (300.2, 300.1)])},
        {"geometry": LineString([(200, 3), (200, 80)]), "material": "Plastic", "diameter_mm": 5000.0},
    ])
    result = snap(reg_path, tolerance=5)
    rows = result.candidates.set_index("candidate_id")
    assert rows.loc["IMP-1-L0001", "state"] == "rejected" and "0.22 m long" in rows.loc["IMP-1-L0001", "message"]
    assert rows.loc["IMP-1-L0002", "state"] == "added"
    assert "material 'Plastic' is not a pipe material code" in rows.loc["IMP-1-L0002", "message"]
    assert "diameter_mm 5000 is outside" in rows.loc["IMP-1-L0002", "message"]
    new = by_id(read(reg_path, "pipes"), "pipe_id").loc[rows.loc["IMP-1-L0002", "result_pipe_id"]]
    assert pd.isna(new.material) and pd.isna(new.diameter_mm)
    assert new.scheme_id == "S1"  # taken from the node it joins
    found = validate(reg_path)
    assert set(found.findings["rule"]) == {"NET-040", "NET-041"}


def test_only_the_given_import_batch_is_snapped(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(150, 3), (150, 60)])}], batch="IMP-1")
    stage(reg_path, [{"geometry": LineString([(103, 100), (103, 160)])}], batch="IMP-2")
    result = snap(reg_path, batch="IMP-2", tolerance=5)
    assert list(result.candidates["candidate_id"]) == ["IMP-2-L0001"]
    assert read(reg_path, "staged_pipes").set_index("candidate_id")["state"].to_dict() == {
        "IMP-1-L0001": "staged", "IMP-2-L0001": "added"}
    with pytest.raises(InputError, match="nothing staged comes from import batch NOPE"):
        snap(reg_path, batch="NOPE")
    with pytest.raises(InputError, match="tolerance"):
        snap(reg_path, tolerance=0)


def test_end_cap_continued_with_another_size_becomes_a_reducer(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(202, 1), (245, 1)]), "diameter_mm": 90.0}])
    snap(reg_path, tolerance=5)
    assert by_id(read(reg_path, "junctions"), "node_id").loc["J3", "node_type"] == "reducer"
    assert validate(reg_path).findings.empty


def test_new_pipe_ids_continue_the_registry_numbering(tmp_path: Path) -> None:
    from jalnet.topology.ids import next_ids

    assert next_ids(["P-0001", "P-0041", "X7"], 2, "P-") == ["P-0042", "P-0043"]
    assert next_ids([], 1, "J-") == ["J-0001"]
    assert next_ids(["P1", "P2", "P3"], 1, "P-") == ["P4"]


def test_snap_validate_and_undo_on_both_stores(registry_target: str) -> None:
    """The same loop on a GeoPackage and on PostGIS (the registry API is the same)."""
    make_registry(registry_target, variant())
    stage(registry_target, [{"geometry": LineString([(150, 3), (150, 60)])}])
    before = digest(registry_target, log=False)
    result = snap(registry_target, tolerance=5)
    assert result.counts["split_pipes"] == 1
    assert validate(registry_target).findings.empty
    with open_registry(registry_target) as reg:
        reg.undo(result.batch_id)
    assert digest(registry_target, log=False) == before


def test_cancel_midway_writes_nothing(reg_path: str) -> None:
    from jalnet.errors import Canceled
    from jalnet.feedback import NullFeedback

    class StopHalfway(NullFeedback):
        def is_canceled(self) -> bool:
            return self.progress > 40

    stage(reg_path, [{"geometry": LineString([(150, 3), (150, 60)])}])
    before = digest(reg_path)
    with pytest.raises(Canceled):
        snap(reg_path, tolerance=5, feedback=StopHalfway())
    assert digest(reg_path) == before


def test_an_end_resting_near_the_end_of_a_walk_that_itself_ends_on_another(reg_path: str) -> None:
    # A's end lies 1.98 m beside B's last metre; B ends 1.5 m short of C's middle. A is placed
    # before B, so B's end must be placed first (this used to leave A's end without a node).
    ox, oy = 1000.0, 1000.0
    stage(reg_path, [{"geometry": LineString([(ox + 60, oy + 80), (ox + 1.99, oy + 1.98)])},
                     {"geometry": LineString([(ox + 100, oy), (ox + 1.5, oy)])},
                     {"geometry": LineString([(ox, oy - 100), (ox, oy + 100)])}])
    result = snap(reg_path, tolerance=2)
    assert list(result.candidates["state"]) == ["added"] * 3
    assert "end joined to the end of IMP-1-L0002" in result.candidates["message"].iloc[0]
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    junctions = by_id(read(reg_path, "junctions"), "node_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"].iloc[:2])
    assert a.to_node == b.to_node and junctions.loc[a.to_node].geometry.equals(Point(ox, oy))
    assert set(pipes["from_node"]) | set(pipes["to_node"]) <= set(junctions.index)
    assert len(pipes) == 3 + 4  # C split where B meets it


def stage_points(path: str, points: list[dict], batch: str = "IMP-1") -> None:
    import geopandas as gpd

    rows = [{"candidate_id": f"{batch}-P{i:04d}", "import_batch": batch, "source_file": "walk.gpx",
             "source_ref": f"wpt {i}", "state": "staged", **p} for i, p in enumerate(points, 1)]
    with open_registry(path) as reg, reg.batch("test", "stage points") as b:
        b.insert("staged_points", gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs="EPSG:32646"))


def test_points_become_assets_in_the_same_batch(reg_path: str) -> None:
    stage(reg_path, [{"geometry": LineString([(200, 3), (200, 80)])}])  # a new branch from end cap J3
    stage_points(reg_path, [
        {"kind": "valve", "name": "Scour valve", "geometry": Point(102, 40)},  # 2 m off P3: split there
        {"kind": "fhtc", "geometry": Point(209, 50)},  # beside the new branch
        {"kind": "fhtc", "asset_id": "F1", "geometry": Point(150.5, 10)},  # the existing tap F1 again
        {"kind": "other", "geometry": Point(0, 50)},
    ])
    before = digest(reg_path, log=False)
    result = snap(reg_path, tolerance=5)
    states = dict(zip(result.points["kind"] + result.points["candidate_id"].str[-1], result.points["state"]))
    assert states == {"valve1": "added", "fhtc2": "added", "fhtc3": "conflated", "other4": "rejected"}
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    valves = by_id(read(reg_path, "valves"), "valve_id")
    [valve] = valves.index
    assert valves.loc[valve, "valve_type"] == "scour" and valves.loc[valve].geometry.equals(Point(100, 40))
    node = pipes.loc["P3"].to_node  # P3 split at a new junction where the valve stands
    junctions = by_id(read(reg_path, "junctions"), "node_id")
    assert junctions.loc[node].geometry.equals(Point(100, 40)) and junctions.loc[node, "node_type"] == "junction"
    assert (pipes["from_node"] == node).sum() == 1 and valve not in set(pipes["from_node"]) | set(pipes["to_node"])
    assert valves.loc[valve, "pipe_id"] == "P3"
    assert pipes.loc["P3"].length_m + pipes[pipes["from_node"] == node]["length_m"].iloc[0] == pytest.approx(100)
    fhtc = by_id(read(reg_path, "fhtc"), "fhtc_id")
    assert len(fhtc) == 2 and fhtc.drop("F1")["pipe_id"].iloc[0] == result.candidates["result_pipe_id"].iloc[0]
    assert "repeats tap connection F1 (ID F1)" in result.points["message"].iloc[2]
    # every tap gets its service line, from the nearest point of its pipe to the tap; F1 had none
    lines = by_id(read(reg_path, "service_lines"), "fhtc_id")
    new_tap = fhtc.drop("F1").index[0]
    assert sorted(lines.index) == sorted(["F1", new_tap])
    assert lines.loc[new_tap].geometry.equals(LineString([(200, 50), (209, 50)]))
    assert lines.loc[new_tap, "pipe_id"] == fhtc.loc[new_tap, "pipe_id"] and lines.loc[new_tap, "length_m"] == 9.0
    assert lines.loc["F1"].geometry.equals(LineString([(150, 0), (150, 10)])) and lines.loc["F1", "pipe_id"] == "P2"
    assert "service line" in result.points["message"].iloc[1]
    with open_registry(reg_path) as reg:  # one batch: undone at once
        reg.undo(result.batch_id)
    assert digest(reg_path, log=False) == before


def test_a_tap_matches_the_household_record(tmp_path: Path) -> None:
    """A tap on record for a household (its ID, a rough place) is the contractor's point of that household."""
    layers = variant(fhtc=[{"fhtc_id": "F1", "scheme_id": "S1", "pipe_id": "P2", "geometry": Point(150, 10)},
                           {"fhtc_id": "HS-77", "scheme_id": "S1", "household_id": "HH-0077", "geometry": Point(125, 12)}])
    path = make_registry(str(tmp_path / "net.gpkg"), layers)
    stage_points(path, [{"kind": "fhtc", "attributes": '{"household_id": "hh-0077"}', "geometry": Point(120, 6)},
                        {"kind": "fhtc", "attributes": '{"household_id": "HH-0078", "household": "Ram Das"}',
                         "geometry": Point(180, -7)}])
    result = snap(path)
    assert list(result.points["state"]) == ["conflated", "added"], list(result.points["message"])
    assert "repeats tap connection HS-77 (household hh-0077, 8 m away)" in result.points["message"].iloc[0]
    fhtc = by_id(read(path, "fhtc"), "fhtc_id")
    assert len(fhtc) == 3 and fhtc.loc["HS-77"].geometry.equals(Point(125, 12)) and fhtc.loc["HS-77", "pipe_id"] == "P2"
    added = fhtc.drop(["F1", "HS-77"]).iloc[0]
    assert added["household_id"] == "HH-0078" and added["household_head"] == "Ram Das"
    lines = by_id(read(path, "service_lines"), "fhtc_id")
    assert lines.loc["HS-77"].geometry.equals(LineString([(125, 0), (125, 12)]))
    assert lines.loc[added.name].geometry.equals(LineString([(180, 0), (180, -7)]))


def test_a_walk_only_partly_along_a_pipe_is_added(reg_path: str) -> None:
    # 100 m along P2 (2 m off), then 22 m on past its end cap J3: 82 % of it lies along P2, but its
    # last 22 m are new pipe, longer than an overshoot. The repeat of P2 beside it is conflated.
    stage(reg_path, [{"geometry": LineString([(100, 2), (200, 2), (222, 2)])},
                     {"geometry": LineString([(101, -2), (150, -1.5), (199, -2)])}])
    result = snap(reg_path, tolerance=5)
    assert list(result.candidates["state"]) == ["added", "conflated"]
    assert result.candidates["result_pipe_id"].iloc[1] == "P2"


def test_tolerance_comes_from_the_lines_source_and_gps_error() -> None:
    from jalnet.topology.snap_tolerance import fit_tolerance

    walks = pd.DataFrame({"geom_source": ["gps_track"] * 3, "accuracy_m": [3.0, 3.2, 2.8]})
    got = fit_tolerance(walks)
    assert got.tolerance == 14.0 and got.error == 3.0 and "GPS error 3.0 m" in got.why
    silent = fit_tolerance(pd.DataFrame({"geom_source": ["contractor_kml"], "accuracy_m": [None]}))
    assert silent.tolerance == 18.0 and "5 m assumed" in silent.why  # 2 x 5 m + 8 m
    survey = fit_tolerance(pd.DataFrame({"geom_source": ["survey"] * 2, "accuracy_m": [None, None]}))
    assert survey.tolerance == 1.5 and "survey" in survey.why
    assert fit_tolerance(walks, tolerance=6).tolerance == 6 and fit_tolerance(walks, 6).why == "6 m as given"


def test_a_plan_on_the_staged_lines_surroundings_is_the_whole_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd
    from topology_nets import data as network_data

    from jalnet.topology import snap_area
    from jalnet.topology.snap_plan import plan_snap

    layers = base()
    layers["pipes"].append({**layers["pipes"][1], "pipe_id": "P9", "from_node": "J8", "to_node": "J9",
                            "geometry": LineString([(900, 900), (1000, 900)])})  # far away: left out
    staged = gpd.GeoDataFrame({"candidate_id": ["C1", "C2"], "import_batch": "B", "source_file": "f",
                               "source_ref": ["a", "b"], "state": "staged"},
                              geometry=[LineString([(150, 3), (150, 60)]), LineString([(103, 100), (103, 160)])],
                              crs="EPSG:32646")
    whole = plan_snap(network_data(layers), staged, 5.0)
    monkeypatch.setattr(snap_area, "WHOLE_BELOW", 0)
    cut, rows = snap_area.near_staged(network_data(layers), staged.geometry.values, 8.5)
    assert sorted(cut.pipes["pipe_id"]) == ["P2", "P3"]  # P1 and the far P9 are out of reach
    part = plan_snap(network_data(layers), staged, 5.0)
    assert part.pipe_updates.keys() == whole.pipe_updates.keys() and part.junction_updates == whole.junction_updates
    key = [(r["pipe_id"], r["from_node"], r["to_node"], r["geometry"].wkt) for r in whole.new_pipes]
    assert [(r["pipe_id"], r["from_node"], r["to_node"], r["geometry"].wkt) for r in part.new_pipes] == key


def _with_pipes(tmp_path: Path, name: str, pipes: list[tuple[str, str, str, list]],
                nodes: list[tuple[str, tuple[float, float], str]]) -> str:
    """The base network plus *pipes* (id, from, to, vertices; attributes as P1's) and their *nodes*
    (id, xy, node type), as a registry named *name*."""
    layers = variant()
    common = {k: v for k, v in pipe(layers, "P1").items() if k not in ("pipe_id", "from_node", "to_node", "geometry")}
    for pid, a, b, line in pipes:
        layers["pipes"].append({**common, "pipe_id": pid, "from_node": a, "to_node": b, "length_m": None,
                                "geometry": LineString(line)})
    for nid, xy, kind in nodes:
        layers["junctions"].append({"node_id": nid, "scheme_id": "S1", "node_type": kind, "geometry": Point(xy)})
    return make_registry(str(tmp_path / name), layers)


def _parallel_registry(tmp_path: Path, joined: bool) -> str:
    """Base network plus PA (0,130)-(150,130), and pipes ending at C (8,133) and D (142,133), the nodes of
    a main 3 m beside PA (joined by an existing pipe when *joined*)."""
    pipes = [("PA", "JA", "JB", [(0, 130), (150, 130)]), ("PC", "JC", "JC2", [(8, 133), (8, 148)]),
             ("PD", "JD", "JD2", [(142, 133), (142, 148)])]
    if joined:
        pipes.append(("PCD", "JC", "JD", [(8, 133), (142, 133)]))
    nodes = [(n, xy, "junction") for n, xy in (("JA", (0, 130)), ("JB", (150, 130)), ("JC", (8, 133)),
                                                ("JC2", (8, 148)), ("JD", (142, 133)), ("JD2", (142, 148)))]
    return _with_pipes(tmp_path, "par.gpkg", pipes, nodes)


def test_a_walk_of_a_main_beside_an_existing_one_is_added_between_its_own_nodes(tmp_path: Path) -> None:
    path = _parallel_registry(tmp_path, joined=False)
    # 3.5 m from PA all along (a repeat's distance at 14 m), but its ends are at C and D, which no pipe joins
    stage(path, [{"geometry": LineString([(9, 134), (70, 133.5), (141, 133.5)])}])
    result = snap(path, tolerance=14)
    [row] = result.candidates.itertuples()
    assert row.state == "added", row.message
    new = by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id]
    assert {new.from_node, new.to_node} == {"JC", "JD"}
    assert by_id(read(path, "pipes"), "pipe_id").loc["PA"].geometry.equals(LineString([(0, 130), (150, 130)]))


def test_a_walk_beside_two_existing_parallel_mains_is_still_a_repeat(tmp_path: Path) -> None:
    path = _parallel_registry(tmp_path, joined=True)  # C-D exists: the walk repeats one of the two
    stage(path, [{"geometry": LineString([(9, 134), (70, 133.5), (141, 133.5)])}])
    result = snap(path, tolerance=14)
    [row] = result.candidates.itertuples()
    assert row.state == "conflated" and row.result_pipe_id in ("PA", "PCD"), row.message


def test_walks_meeting_at_an_angle_away_from_a_pipe_meet_each_other(reg_path: str) -> None:
    # they meet at (170, 10), 10 m from P2: within each end's reach of P2 (14 m), but not where they meet
    stage(reg_path, [{"geometry": LineString([(170, 90), (170, 10)])},
                     {"geometry": LineString([(215, 45), (171, 11)])}])
    result = snap(reg_path, tolerance=14)
    assert list(result.candidates["state"]) == ["added", "added"]
    assert result.counts["split_pipes"] == 0
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.to_node
    assert Point(a.geometry.coords[-1]).distance(Point(170, 10)) < 2.0


def _walks_meeting(path: str, lines: list[list[tuple[float, float]]], **options: float
                   ) -> tuple[SnapResult, pd.DataFrame, set[str]]:
    """Stage *lines* as walks of 3 m GPS error and snap them, each added: the result, the pipes, and the
    nodes the walks' last ends are on."""
    stage(path, [{"geometry": LineString(coords), "accuracy_m": 3.0} for coords in lines])
    result = snap(path, **options)
    assert list(result.candidates["state"]) == ["added"] * len(lines), list(result.candidates["message"])
    pipes = by_id(read(path, "pipes"), "pipe_id")
    return result, pipes, {pipes.loc[i].to_node for i in result.candidates["result_pipe_id"]}


def test_walks_whose_lines_lead_to_one_point_on_a_pipe_split_it_once(reg_path: str) -> None:
    # three walks whose lines lead to about (150.5, -3.5) stop on P2, each line crossing it 3.5 m from the
    # next (their GPS error): 7 m from first to last along it, more than a repeat's distance (4.5 m here),
    # yet they meet: one junction, not two
    result, _, ends = _walks_meeting(reg_path, [[(117, 30), (145.5, 1.5)], [(150.5, 60), (150.5, 1)],
                                                [(184, 30), (155.5, 1.5)]], tolerance=14)
    assert len(ends) == 1, list(result.candidates["message"])


def test_a_walk_running_past_where_walks_meet_towards_a_pipe_meets_them(reg_path: str) -> None:
    # two walks stop about 2 m short of (170, 10), 10 m from P2; a third runs 9.5 m past it towards P2 and
    # stops 3.3 m from it, nearer the pipe than the point: all three meet there, P2 is not split
    result, pipes, ends = _walks_meeting(reg_path, [[(170, 90), (170, 12)], [(215, 45), (171.6, 11.2)],
                                                    [(130, 50), (176.72, 3.28)]], tolerance=14)
    assert result.counts["split_pipes"] == 0, list(result.candidates["message"])
    assert len(ends) == 1, list(result.candidates["message"])
    assert Point(pipes.loc[result.candidates["result_pipe_id"].iloc[0]].geometry.coords[-1]).distance(
        Point(170, 10)) < 3.0


def test_walks_meeting_on_a_pipe_from_either_side_split_it_once(reg_path: str) -> None:
    # each stops on P2, 3 m apart along it (GPS error): one junction between them, not two
    stage(reg_path, [{"geometry": LineString([(120, 60), (120, 2)])},
                     {"geometry": LineString([(123, -2), (123, -40)])}])
    result = snap(reg_path, tolerance=14)
    assert list(result.candidates["state"]) == ["added", "added"]
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.from_node
    assert a.geometry.coords[-1] == pytest.approx((121.5, 0))
    assert result.counts["split_pipes"] == 1


def test_a_walk_past_the_end_of_a_short_pipe_to_another_node_is_added(tmp_path: Path) -> None:
    path = _with_pipes(tmp_path, "short.gpkg", [("PS", "JA", "JS", [(0, 130), (20, 130)]),
                                                ("PT", "JT", "JT2", [(40, 131), (40, 150)])],
                       [(n, xy, "junction") for n, xy in (("JA", (0, 130)), ("JS", (20, 130)), ("JT", (40, 131)),
                                                           ("JT2", (40, 150)))])
    # from JA along PS (20 m, all of it within reach) and on to JT: the pipe JA-JT, not PS walked again
    stage(path, [{"geometry": LineString([(0.5, 131), (39, 131.5)])}])
    result = snap(path, tolerance=14)
    [row] = result.candidates.itertuples()
    assert row.state == "added", row.message
    new = by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id]
    assert {new.from_node, new.to_node} == {"JA", "JT"}


def test_two_walks_of_a_new_pipe_each_off_by_gps_error_give_one_pipe(reg_path: str) -> None:
    # 9 m apart all along (more than a repeat's distance of a walk from a pipe, 7 m here): each within it
    # of the pipe between them, so they may be up to sqrt(2) times that from each other
    stage(reg_path, [{"geometry": LineString([(150, 105.5), (195, 108.5), (240, 105.5)])},
                     {"geometry": LineString([(150, 114.5), (195, 117.5), (240, 114.5)])}])
    result = snap(reg_path, tolerance=14)
    assert sorted(result.candidates["state"]) == ["added", "conflated"]


def test_two_walks_from_one_place_to_two_existing_nodes_close_together_are_two_pipes(tmp_path: Path) -> None:
    path = _with_pipes(tmp_path, "two.gpkg", [("P4", "J5", "J6", [(100, 105), (60, 105)])],
                       [("J5", (100, 105), "junction"), ("J6", (60, 105), "junction")])
    # J4 (100, 100) and J5 (100, 105): the two walks lie 1-3 m apart all along (alike within the GPS
    # error), but each ends nearest its own node: two pipes, not one walked twice
    stage(path, [{"geometry": LineString([(160, 100.5), (101.5, 100.8)])},
                 {"geometry": LineString([(160, 101.5), (101.5, 104)])}])
    result = snap(path, tolerance=14)
    assert list(result.candidates["state"]) == ["added", "added"], list(result.candidates["message"])
    pipes = by_id(read(path, "pipes"), "pipe_id")
    ends = [{pipes.loc[i].from_node, pipes.loc[i].to_node} for i in result.candidates["result_pipe_id"]]
    assert "J4" in ends[0] and "J5" in ends[1]
    assert len((ends[0] | ends[1]) - {"J4", "J5"}) == 1  # they start at one new junction


def test_a_walk_to_the_loose_end_of_a_short_stub_ends_there(tmp_path: Path) -> None:
    path = _with_pipes(tmp_path, "stub.gpkg", [("P6", "J4", "J8", [(100, 100), (100, 105)])],
                       [("J8", (100, 105), "end_cap")])
    # the walk comes in 20 degrees off the 5 m stub J4-J8 and stops 1.1 m from its loose end J8
    # (4 m from J4, where P3 and the stub meet): the stub is extended from J8
    stage(path, [{"geometry": LineString([(79.5, 48.6), (99.6, 104.0)])}])
    result = snap(path, tolerance=14)
    [row] = result.candidates.itertuples()
    assert row.state == "added", row.message
    new = by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id]
    assert "J8" in {new.from_node, new.to_node}, row.message


def test_a_walk_past_its_node_along_a_pipe_longer_than_the_reach_ends_at_the_near_node(tmp_path: Path) -> None:
    # JN (40, 130) is the loose end of PL, 17.5 m (more than the 14 m reach) east to JF, where PF goes on:
    # the walk comes from the west and runs 9.4 m past JN along PL, stopping nearer JF (8.1 m ahead)
    # than JN (behind it): its pipe ends at JN, not laid over PL to JF
    path = _with_pipes(tmp_path, "along.gpkg", [("PL", "JN", "JF", [(40, 130), (57.5, 130)]),
                                                ("PF", "JF", "JF2", [(57.5, 130), (57.5, 110)])],
                       [(n, xy, "junction") for n, xy in (("JN", (40, 130)), ("JF", (57.5, 130)),
                                                           ("JF2", (57.5, 110)))])
    stage(path, [{"geometry": LineString([(-30, 130.8), (49.4, 130.8)])}])
    result = snap(path, tolerance=14)
    [row] = result.candidates.itertuples()
    assert row.state == "added", row.message
    new = by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id]
    assert new.to_node == "JN", row.message


def test_walks_meeting_in_line_beside_a_pipe_meet_each_other(tmp_path: Path) -> None:
    # two walks of one street meet end to end 9 m beside PA, which runs along them: within the reach of
    # the pipe (14 m), but a walk's line lies beside where it ends by its GPS error only (3 m here, two of
    # them 6 m): they meet each other, and PA is not split
    path = _with_pipes(tmp_path, "inline.gpkg", [("PA", "JA", "JB", [(0, 130), (150, 130)])],
                       [("JA", (0, 130), "junction"), ("JB", (150, 130), "junction")])
    stage(path, [{"geometry": LineString([(25, 139), (68, 139)]), "accuracy_m": 3.0},
                 {"geometry": LineString([(120, 138.5), (74, 138.5)]), "accuracy_m": 3.0}])
    result = snap(path)
    assert list(result.candidates["state"]) == ["added", "added"], list(result.candidates["message"])
    assert result.counts["split_pipes"] == 0, list(result.candidates["message"])
    pipes = by_id(read(path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.to_node


def test_walks_meeting_in_line_beside_a_node_meet_each_other(tmp_path: Path) -> None:
    # two walks of one street (12 degrees apart) meet end to end 7.3 m beside JA, the junction of a main
    # running along them: within their reach of it (14 m), but walks meeting in line fix where beside their
    # line they meet, and JA is more than two GPS errors (3 m here) beside it
    path = _with_pipes(tmp_path, "inline_node.gpkg", [("PA", "JW", "JA", [(40, 400), (100, 400)]),
                                                      ("PB", "JA", "JE", [(100, 400), (160, 400)])],
                       [("JW", (40, 400), "junction"), ("JA", (100, 400), "junction"), ("JE", (160, 400), "junction")])
    stage(path, [{"geometry": LineString([(0, 407.3), (100, 407.3)]), "accuracy_m": 3.0},
                 {"geometry": LineString([(200, 428.5), (100.3, 407.4)]), "accuracy_m": 3.0}])
    result = snap(path)
    assert list(result.candidates["state"]) == ["added", "added"], list(result.candidates["message"])
    pipes = by_id(read(path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.to_node != "JA", list(result.candidates["message"])


def test_a_walk_running_past_where_walks_meet_towards_a_node_meets_them(tmp_path: Path) -> None:
    # two walks stop about 2 m from (200, 400); a third runs 9.5 m past it towards JX, an existing node 16 m
    # beyond the point, and stops 6.5 m from JX (within its reach, 14 m): all three meet at the point
    path = _with_pipes(tmp_path, "past_node.gpkg", [("PX", "JX", "JY", [(190.4, 387.2), (120, 387.2)])],
                       [("JX", (190.4, 387.2), "junction"), ("JY", (120, 387.2), "junction")])
    result, _, ends = _walks_meeting(path, [[(200, 460), (200, 402)], [(250, 380), (202, 399.2)],
                                            [(230, 440), (194.3, 392.4)]])
    assert len(ends) == 1 and "JX" not in ends, list(result.candidates["message"])


def test_a_walk_past_a_fitting_of_two_short_pipes_ends_at_its_near_node(tmp_path: Path) -> None:
    # JT (a tee) and JF are joined by two short pipes through JM (4 m and 7 m: a fitting drawn as pipes);
    # a walk along the street ends 0.9 m from JT, having passed JF 7 m behind it along its way: the new
    # pipe ends at JF, not at JT (it would lie over the fitting)
    path = _with_pipes(tmp_path, "fitting.gpkg", [("PFM", "JF", "JM", [(300, 500), (296.4, 505.8)]),
                                                   ("PMT", "JM", "JT", [(296.4, 505.8), (300.25, 507)]),
                                                   ("PN", "JT", "JN", [(300.25, 507), (300, 560)]),
                                                   ("PE", "JT", "JE", [(300.25, 507), (340, 520)])],
                       [("JF", (300, 500), "junction"), ("JM", (296.4, 505.8), "junction"),
                        ("JT", (300.25, 507), "junction"), ("JN", (300, 560), "junction"),
                        ("JE", (340, 520), "junction")])
    stage(path, [{"geometry": LineString([(330, 420), (299.6, 506.7)]), "accuracy_m": 3.0}])
    result = snap(path)
    [row] = result.candidates.itertuples()
    assert row.state == "added", row.message
    assert by_id(read(path, "pipes"), "pipe_id").loc[row.result_pipe_id].to_node == "JF", row.message


def test_walks_meeting_at_an_angle_two_gps_errors_off_a_pipe_meet_each_other(reg_path: str) -> None:
    # they meet at (170.2, 6.5), 6.5 m from P2: within half the tolerance (7 m) of it, but more than two
    # GPS errors (3 m each), so not on it
    stage(reg_path, [{"geometry": LineString([(170, 90), (170, 6)]), "accuracy_m": 3.0},
                     {"geometry": LineString([(215, 41), (171, 7)]), "accuracy_m": 3.0}])
    result = snap(reg_path, tolerance=14)
    assert list(result.candidates["state"]) == ["added", "added"]
    assert result.counts["split_pipes"] == 0, list(result.candidates["message"])
    pipes = by_id(read(reg_path, "pipes"), "pipe_id")
    a, b = (pipes.loc[i] for i in result.candidates["result_pipe_id"])
    assert a.to_node == b.to_node

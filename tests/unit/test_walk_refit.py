"""A walk's line fitted again with its ends pinned on the nodes they land on."""

from __future__ import annotations

import numpy as np
import shapely

from jalnet.topology.lines import with_ends
from jalnet.topology.walk_refit import refit_to_ends


def test_a_pinned_end_stays_and_the_free_one_fits_the_line() -> None:
    drawn = np.array([shapely.LineString([(0, 2), (100, 2)])], dtype=object)
    got = shapely.get_coordinates(refit_to_ends(drawn, np.array([[0.0, 0.0]]), np.full((1, 2), np.nan))[0])
    assert got[0].tolist() == [0.0, 0.0]
    # the least-squares line through (0, 0) nearest to y = 2 all along x = 0..100 ends at
    # y = 2 * (1/2) / (1/3) = 3: the free end makes up for the pinned one
    assert abs(got[1, 1] - 3.0) < 0.01 and abs(got[1, 0] - 100.0) < 0.01


def test_a_walk_off_its_nodes_turns_onto_them_instead_of_jogging() -> None:
    truth = shapely.LineString([(0, 0), (300, 0), (300, 200)])
    # the walk lies 3 m off to one side near its start, right on the pipe at its far end
    drawn = shapely.LineString([(2, 3), (300.5, 1.5), (300, 198)])
    start, end = np.array([[0.0, 0.0]]), np.array([[300.0, 200.0]])
    lines = np.array([drawn], dtype=object)
    jog = with_ends(lines, start, end, 0.01)[0]
    got = refit_to_ends(lines, start, end)[0]
    assert shapely.get_coordinates(got)[[0, -1]].tolist() == [[0.0, 0.0], [300.0, 200.0]]
    assert shapely.get_num_coordinates(got) == 3  # the bend kept, no jog vertex added
    # away from the ends the line moved towards the pipe, not away from it
    probe = shapely.points([(20, 0), (150, 0)])
    assert (shapely.distance(probe, got) < shapely.distance(probe, jog) - 0.2).all()
    assert shapely.hausdorff_distance(got, truth) < shapely.hausdorff_distance(jog, truth)


def test_free_ends_leave_a_line_as_it_was_and_lines_are_solved_apart() -> None:
    a = shapely.LineString([(0, 0), (50, 10), (120, 0)])
    b = shapely.LineString([(500, 0), (560, 40)])
    nan = np.full((2, 2), np.nan)
    same = refit_to_ends(np.array([a, b], dtype=object), nan, nan)
    assert shapely.hausdorff_distance(same[0], a) < 1e-6 and shapely.hausdorff_distance(same[1], b) < 1e-6
    # pinning b's end does not move a
    end = np.array([[np.nan, np.nan], [563.0, 38.0]])
    got = refit_to_ends(np.array([a, b], dtype=object), nan, end)
    assert shapely.hausdorff_distance(got[0], a) < 1e-6
    assert shapely.get_coordinates(got[1])[-1].tolist() == [563.0, 38.0]


def _meet_three(tmp_path, y_west: float) -> tuple[list[shapely.LineString], list[shapely.LineString], shapely.Point]:
    """Three walks (5 m GPS error) meeting at a junction they make; the one from the west ends at
    (200, *y_west*), beside where the other two cross. Returns the walks, their pipes and the junction."""
    from topology_nets import base, make_registry, stage

    from jalnet.registry import open_registry
    from jalnet.topology import snap

    walks = [shapely.LineString([(150, y_west), (200, y_west)]), shapely.LineString([(200, 120), (200, 63)]),
             shapely.LineString([(260, 60), (203, 60)])]
    path = make_registry(str(tmp_path / f"meet{y_west:g}.gpkg"), base())
    stage(path, [{"geometry": w, "accuracy_m": 5.0} for w in walks])
    result = snap(path)
    assert list(result.candidates["state"]) == ["added"] * 3
    with open_registry(path, readonly=True) as reg:
        pipes = reg.read("pipes").set_index("pipe_id")
        junctions = reg.read("junctions").set_index("node_id")
    got = [pipes.geometry[i] for i in result.candidates["result_pipe_id"]]
    [node] = {pipes.to_node[i] for i in result.candidates["result_pipe_id"]}
    return walks, got, junctions.geometry[node]


def test_an_end_within_its_gps_error_of_the_junction_walks_make_is_moved_there(tmp_path) -> None:
    walks, got, node = _meet_three(tmp_path, 53.0)
    west, line = walks[0], got[0]
    end = shapely.Point(west.coords[-1])
    # the case concerned: within the error (5 m) of the junction, and farther off its own line than
    # the wander simplified out of new lines (0.75 errors), so a joint there would be kept
    assert end.distance(node) < 5.0 and shapely.Point(node).distance(west) > 3.75 + 0.5
    assert np.allclose(shapely.get_coordinates(line), [[150.0, 53.0], [node.x, node.y]])  # no joint at the stop


def test_an_end_farther_than_its_gps_error_from_the_junction_keeps_its_place(tmp_path) -> None:
    walks, got, node = _meet_three(tmp_path, 50.0)
    end = shapely.Point(walks[0].coords[-1])
    assert end.distance(node) > 5.0
    assert np.allclose(shapely.get_coordinates(got[0]), [[150.0, 50.0], [200.0, 50.0], [node.x, node.y]], atol=1e-6)

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

"""A walk's line fitted again with its ends pinned on the nodes they land on."""

from __future__ import annotations

import numpy as np
import shapely

from jalnet.topology.lines import with_ends
from jalnet.topology.walk_refit import refit_to_ends
from jalnet.tracks.fit import least_squares


def test_pinned_vertices_stay_and_the_others_fit_the_fixes() -> None:
    rng = np.random.default_rng(3)
    x = np.linspace(0, 100, 201)
    y = 2.0 + rng.normal(0, 0.3, len(x))  # fixes along y = 2
    verts = np.array([[0.0, 0.0], [100.0, 5.0]])
    free = least_squares(x, y, np.zeros(len(x), dtype=np.int64), verts, np.ones(len(x)))
    assert np.allclose(free[:, 1], 2.0, atol=0.2)
    pinned = least_squares(x, y, np.zeros(len(x), dtype=np.int64), verts, np.ones(len(x)),
                           np.array([True, False]))
    assert np.array_equal(pinned[0], [0.0, 0.0])
    # the free end makes up for the pinned one: the least-squares line through (0, 0) and fixes at
    # y = 2 spread evenly along it ends at y = 2 * (1/2) / (1/3) = 3
    assert abs(pinned[1, 1] - 3.0) < 0.3


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

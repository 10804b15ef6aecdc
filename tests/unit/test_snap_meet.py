"""Where walks meet: the batch form gives what the one-group form gives."""

from __future__ import annotations

import numpy as np
import shapely

from jalnet.topology.snap_meet import ALONG_SPREAD, MIN_RUN_M, last_runs, meeting_point, meeting_points
from jalnet.topology.snap_model import End


def test_meeting_points_match_meeting_point_group_by_group() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    labels = np.unique(rng.integers(0, 1500, n), return_inverse=True)[1]
    xy = rng.normal(0, 5, (n, 2))
    angle = rng.uniform(0, 2 * np.pi, n)
    head = np.c_[np.cos(angle), np.sin(angle)]
    head[rng.random(n) < 0.1] = 0  # some ends without a heading
    run = rng.uniform(0, 80, n)
    n_groups = int(labels.max()) + 1
    out = meeting_points(xy, head, run, labels, n_groups)
    sizes = np.bincount(labels)
    assert (sizes == 2).sum() > 100 and (sizes > 2).sum() > 100  # both paths are exercised
    for g in range(n_groups):
        k = np.flatnonzero(labels == g)
        want = meeting_point(xy[k], head[k], run[k]) if len(k) > 1 else tuple(xy[k[0]])
        assert np.allclose(out[g], want, atol=1e-6), g


def test_two_crossing_walks_meet_between_their_lines_crossing_and_their_stops() -> None:
    # both stopped short of the junction at (0, 0), each 0.3-0.5 m beside it; runs of MIN_RUN_M
    xy = np.array([[-4.0, 0.5], [0.3, -5.0]])
    head = np.array([[1.0, 0.0], [0.0, 1.0]])
    out = meeting_points(xy, head, np.full(2, MIN_RUN_M), np.array([0, 0]), 1)
    # x: the second line (side weight 1) at 0.3 and the first walk's stop (1 / ALONG_SPREAD^2) at -4
    along = 1 / ALONG_SPREAD**2
    assert np.allclose(out[0], [(0.3 - 4.0 * along) / (1 + along), (0.5 - 5.0 * along) / (1 + along)])
    # long runs are known better beside them: the point moves to the crossing (0.3, 0.5)
    far = meeting_points(xy, head, np.full(2, 100 * MIN_RUN_M), np.array([0, 0]), 1)[0]
    near = (10 * np.array([0.3, 0.5]) + along * np.array([-4.0, -5.0])) / (10 + along)  # weight sqrt(100)
    assert np.allclose(far, near) and np.hypot(*(far - [0.3, 0.5])) < 0.3 < np.hypot(*(out[0] - [0.3, 0.5]))


def test_walks_continuing_one_another_meet_on_the_better_line_at_the_midpoint_of_their_stops() -> None:
    # one walk stopped 3 m short of the junction, the other ran 4 m past it; 0.6 m apart beside
    xy = np.array([[-3.0, 0.0], [4.0, 0.6]])
    head = np.array([[1.0, 0.0], [-1.0, 0.0]])
    same = meeting_points(xy, head, np.array([MIN_RUN_M, MIN_RUN_M]), np.array([0, 0]), 1)[0]
    assert np.allclose(same, [0.5, 0.3])  # equal runs: the mean of the ends
    # the first walk's last run is 4 x longer: twice the weight beside (square root), the same along
    longer = meeting_points(xy, head, np.array([4 * MIN_RUN_M, MIN_RUN_M]), np.array([0, 0]), 1)[0]
    assert np.allclose(longer, [0.5, 0.2])


def test_an_end_without_a_direction_to_trust_counts_as_its_point() -> None:
    # the second walk's last run is a few fixes long: its line says less than its end, every way
    xy = np.array([[-4.0, 0.0], [1.0, -3.0]])
    head = np.array([[1.0, 0.0], [0.0, 1.0]])
    short = meeting_points(xy, head, np.array([MIN_RUN_M, 5.0]), np.array([0, 0]), 1)[0]
    unknown = meeting_points(xy, np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([MIN_RUN_M, 0.0]),
                             np.array([0, 0]), 1)[0]
    along = 1 / ALONG_SPREAD**2
    want = [(-4.0 * along + 1.0 * along) / (2 * along), (0.0 * 1 - 3.0 * along) / (1 + along)]
    assert np.allclose(short, want) and np.allclose(unknown, want)
    assert meeting_point(xy[:1], head[:1]) == (-4.0, 0.0)  # one end: where it stopped


def test_groups_of_three_or_more_solved_together_give_meeting_point_exactly() -> None:
    rng = np.random.default_rng(6)
    n = 3000
    labels = rng.integers(0, 700, n)  # mostly groups of 3-6 ends
    xy = rng.normal(0, 2, (n, 2)) + labels[:, None] * 100.0
    angle = rng.uniform(0, 2 * np.pi, n)
    head = np.c_[np.cos(angle), np.sin(angle)]
    head[rng.random(n) < 0.05] = 0
    run = np.where(rng.random(n) < 0.05, 10.0, 60.0)
    out = meeting_points(xy, head, run, labels, 700)
    sizes = np.bincount(labels, minlength=700)
    assert (sizes > 2).sum() > 500
    for g in np.flatnonzero(sizes > 2):
        k = np.flatnonzero(labels == g)
        assert tuple(out[g]) == meeting_point(xy[k], head[k], run[k]), g


def test_last_runs_are_the_first_or_last_leg() -> None:
    lines = np.array([shapely.linestrings([[0, 0], [3, 4], [3, 10]]), shapely.linestrings([[0, 0], [0, 2]])],
                     dtype=object)
    ends = [End(0, True, (0.0, 0.0)), End(0, False, (3.0, 10.0)), End(1, False, (0.0, 2.0))]
    assert last_runs(lines, ends).tolist() == [5.0, 6.0, 2.0]

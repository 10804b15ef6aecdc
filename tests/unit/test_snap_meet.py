"""Where walks meet: the batch form gives what the one-group form gives."""

from __future__ import annotations

import numpy as np

from jalnet.topology.snap_meet import meeting_point, meeting_points


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
    out = meeting_points(xy, head, run, labels, n_groups, 10.0)
    sizes = np.bincount(labels)
    assert (sizes == 2).sum() > 100 and (sizes > 2).sum() > 100  # both paths are exercised
    for g in range(n_groups):
        k = np.flatnonzero(labels == g)
        want = meeting_point(xy[k], head[k], 10.0, run[k]) if len(k) > 1 else tuple(xy[k[0]])
        assert np.allclose(out[g], want, atol=1e-6), g


def test_two_crossing_walks_meet_where_their_lines_cross() -> None:
    xy = np.array([[-4.0, 0.5], [0.3, -5.0]])  # both stopped short of the junction at (0, 0)
    head = np.array([[1.0, 0.0], [0.0, 1.0]])
    out = meeting_points(xy, head, np.array([50.0, 50.0]), np.array([0, 0]), 1, 10.0)
    assert np.allclose(out[0], [0.3, 0.5])

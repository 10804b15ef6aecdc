"""Walks fitted as straight runs between their bends, and where walks meeting at a junction meet."""

from __future__ import annotations

import numpy as np
import shapely

from jalnet.topology.snap_meet import crossing_along, meeting_point
from jalnet.tracks.clean import smooth, smoothing_half_window
from jalnet.tracks.fit import fit_runs


def _drift(n: int, sigma: float, rng: np.random.Generator, memory: int = 20) -> np.ndarray:
    """(n, 2) slowly drifting GPS error (AR(1), *memory* fixes) of RMS *sigma* per axis, plus white noise."""
    rho = np.exp(-1.0 / memory)
    out = np.zeros((n, 2))
    out[0] = rng.normal(0, sigma, 2)
    for k in range(1, n):
        out[k] = rho * out[k - 1] + rng.normal(0, sigma * np.sqrt(1 - rho * rho), 2)
    return out + rng.normal(0, sigma / 2, (n, 2))


def _walk(truth: shapely.LineString, rng: np.random.Generator, sigma: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    s = np.arange(0, truth.length, 1.1)
    p = shapely.get_coordinates(shapely.line_interpolate_point(truth, s)) + _drift(len(s), sigma, rng)
    return p[:, 0], p[:, 1]


def _fit(x: np.ndarray, y: np.ndarray) -> shapely.LineString:
    sx, sy = smooth(x, y, smoothing_half_window(x, y, 3.0))
    return shapely.linestrings(fit_runs(x, y, np.column_stack([sx, sy]), 3.0))


def test_a_straight_walk_comes_out_straight_through_the_drift() -> None:
    rng = np.random.default_rng(7)
    truth = shapely.LineString([(0, 0), (600, 0)])
    better = []
    for _ in range(10):
        x, y = _walk(truth, rng)
        got = _fit(x, y)
        line = shapely.distance(shapely.points(shapely.get_coordinates(shapely.segmentize(got, 1.0))), truth)
        fixes = shapely.distance(shapely.points(x, y), truth)
        better.append(np.median(line) / np.median(fixes))
    # the fitted line lies much nearer the pipe than the fixes do, drift and all
    assert np.median(better) < 0.6 and max(better) < 1.0, better


def test_real_bends_stay() -> None:
    rng = np.random.default_rng(8)
    truth = shapely.LineString([(0, 0), (200, 0), (200, 150), (350, 150)])  # two right angles
    got = _fit(*_walk(truth, rng))
    for corner in [(200, 0), (200, 150)]:
        assert shapely.distance(shapely.Point(corner), got) < 4.0
    assert shapely.hausdorff_distance(got, truth) < 8.0


def test_a_long_walk_is_fitted_in_time_proportional_to_its_fixes() -> None:
    import time

    rng = np.random.default_rng(9)
    n = 100_000
    s = np.arange(n) * 1.1
    x = 1000 * np.sin(s / 3000) + s * 0.5 + rng.normal(0, 2, n)
    y = 800 * np.cos(s / 2000) + rng.normal(0, 2, n)
    shape = np.column_stack([x, y])
    t0 = time.process_time()
    verts = fit_runs(x, y, shape, 3.0)
    assert len(verts) > 50 and time.process_time() - t0 < 5.0  # not fixes x bends (some 10^8 projections)


def test_walks_meet_near_where_their_lines_cross() -> None:
    # three walks into one junction at (0, 0): each stopped short or ran past along its own line
    ends = np.array([(-6.0, 0.0), (0.0, 5.0), (4.0, 4.0)])
    heads = np.array([(1.0, 0.0), (0.0, -1.0), (-1.0, -1.0)]) / np.array([[1.0], [1.0], [np.sqrt(2)]])
    at = meeting_point(ends, heads, np.array([100.0, 80.0, 60.0]))
    mean = ends.mean(axis=0)
    # the lines pull it to the crossing; the stops (all short here) keep it a little back
    assert np.hypot(*at) < 1.5 < np.hypot(*mean)
    assert np.hypot(*meeting_point(ends, heads, np.array([3000.0, 3000.0, 3000.0]))) < 0.5
    # near parallel lines (a walk continuing another): on the line, midway between the ends
    line = meeting_point(np.array([(-3.0, 0.0), (4.0, 0.5)]), np.array([(1.0, 0.0), (-1.0, 0.0)]))
    assert np.allclose(line, (0.5, 0.25))
    # a walk whose last run is too short to give a direction counts as its end only
    short = meeting_point(ends, heads, np.array([100.0, 10.0, 60.0]))
    unknown = heads.copy()
    unknown[1] = 0.0
    assert np.allclose(short, meeting_point(ends, unknown, np.array([100.0, 10.0, 60.0])))
    assert not np.allclose(short, at)


def test_an_end_short_of_a_pipe_meets_it_where_its_line_crosses() -> None:
    pipe = np.array([shapely.LineString([(0, 0), (100, 0)])], dtype=object)
    # the walk comes down at 45 degrees and stops 4 m above the pipe: it meets it at x = 54, not 50
    along = crossing_along(pipe, np.array([(50.0, 4.0)]), np.array([(1 / np.sqrt(2), -1 / np.sqrt(2))]), 14.0,
                           np.array([50.0]))
    assert along[0] == np.float64(54.0) or abs(along[0] - 54.0) < 1e-9
    # a walk running along the pipe keeps the foot of its end
    same = crossing_along(pipe, np.array([(50.0, 1.0)]), np.array([(1.0, 0.0)]), 14.0, np.array([50.0]))
    assert same[0] == 50.0

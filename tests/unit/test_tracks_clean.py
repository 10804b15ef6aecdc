"""Cleaning one track, on synthetic walks whose truth and faults are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from tracks_synth import walk

from jalnet.tracks.clean import CleanOptions, clean_track, duplicates, gaps, smooth, spikes, standstills


def _line(result, k: int = 0) -> shapely.LineString:
    return shapely.linestrings(result.pieces[k])


def _accounted(result, n: int) -> None:
    """Every input point is kept or dropped for one reason, and the pieces' counts add up."""
    kept = sum(len(p) for p in result.piece_points)
    assert kept + sum(result.dropped().values()) == n
    assert kept == result.kept()
    assert sum(result.counted(k) for k in range(len(result.pieces))) == n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_injected_spikes_are_dropped_exactly(seed: int) -> None:
    w = walk(seed, spikes=7)
    result = clean_track(w.x, w.y, w.t, w.acc)
    dropped = np.flatnonzero(result.reason == "spike")
    assert dropped.tolist() == w.spikes.tolist()
    assert result.dropped() == {"spike": 7}
    _accounted(result, len(w.x))


def test_spikes_found_without_times_and_in_pairs() -> None:
    w = walk(4, spikes=0, dt=3.0)
    x, y = w.x.copy(), w.y.copy()
    x[50] += 150  # a single spike
    x[120:122] += 90  # two fixes in a row far off, then back
    y[120:122] -= 60
    mask = spikes(x, y, None, np.full(len(x), 5.0), CleanOptions())
    assert np.flatnonzero(mask).tolist() == [50, 120, 121]


def test_a_jump_without_return_is_a_gap_not_a_spike() -> None:
    w = walk(5, dt=2.0)
    x = w.x.copy()
    x[200:] += 150  # the walker reappears 150 m further on and carries on from there
    mask = spikes(x, w.y, None, np.full(len(x), 5.0), CleanOptions())
    assert not mask.any()
    where, why = gaps(x, w.y, None, 10.0, CleanOptions())
    assert where.tolist() == [199]
    assert "jump of" in why[0]


def test_standstill_cloud_is_dropped_but_one_fix() -> None:
    w = walk(6, standstill_s=90)
    result = clean_track(w.x, w.y, w.t, w.acc)
    at_stop = result.reason[w.standstill]
    # all but one fix of the 91 at the stop go, as standstill; at most a few walking fixes near it too
    assert np.count_nonzero(at_stop == "standstill") >= len(w.standstill) - 1
    extra = np.count_nonzero(result.reason == "standstill") - np.count_nonzero(at_stop == "standstill")
    radius = 2 * np.median(w.acc)
    assert extra <= 2 * radius / 1.2 + 4  # walking fixes within the standstill radius, before and after
    assert result.dropped().keys() == {"standstill"}
    _accounted(result, len(w.x))


def test_no_standstill_without_times() -> None:
    # An untimed line (a KML export) cannot tell standing from walking slowly: nothing is dropped as standstill.
    w = walk(7, sigma=3.0, dt=2.0)
    assert not standstills(w.x, w.y, None, np.full(len(w.x), 5.0), CleanOptions()).any()
    result = clean_track(w.x[::2], w.y[::2])
    assert "standstill" not in result.dropped()
    assert result.kept() == len(w.x[::2]) and len(result.pieces) == 1


def test_time_gap_splits_the_track_in_two() -> None:
    w = walk(8, gap=(0.45, 0.55, 600))
    result = clean_track(w.x, w.y, w.t, w.acc)
    assert len(result.pieces) == 2
    assert "no fix for" in result.splits[0]
    # the pieces meet the two sides of the unlogged stretch
    first, second = _line(result, 0), _line(result, 1)
    assert first.length > 300 and second.length > 300
    _accounted(result, len(w.x))


def test_a_pause_without_moving_does_not_split() -> None:
    w = walk(9, dt=1.0)
    t = w.t.copy()
    t[400:] += 900  # 15 minutes without a fix, but the walker did not move meanwhile
    result = clean_track(w.x, w.y, t, w.acc)
    assert len(result.pieces) == 1


def test_dropped_spikes_and_standstills_do_not_make_gaps() -> None:
    w = walk(10, standstill_s=150, dt=2.0)
    result = clean_track(w.x, w.y, w.t, w.acc)
    assert len(result.pieces) == 1, result.splits


def test_duplicates_and_low_accuracy() -> None:
    w = walk(11)
    x, y, t, acc = (np.insert(a, [100, 200, 200], a[[100, 200, 200]]) for a in (w.x, w.y, w.t, w.acc))
    acc[300:305] = 40.0
    assert np.flatnonzero(duplicates(x, y, t)).tolist() == [101, 202, 203]
    result = clean_track(x, y, t, acc)
    assert result.dropped() == {"duplicate": 3, "low_accuracy": 5}
    assert result.accuracy_m == pytest.approx(np.median(acc))


def test_cleaned_line_is_within_a_few_metres_of_the_truth() -> None:
    """sigma 4 m white noise, 1 fix/s, spikes and a standstill: the staged line follows the true pipe."""
    w = walk(12, sigma=4.0, spikes=5, standstill_s=60)
    raw = shapely.linestrings(np.column_stack([w.x, w.y]))
    result = clean_track(w.x, w.y, w.t, w.acc)
    line = _line(result)
    assert shapely.hausdorff_distance(raw, w.truth) > 50  # the spikes
    assert shapely.hausdorff_distance(line, w.truth) < 8.0  # 2 sigma, ends included
    along = shapely.line_interpolate_point(line, np.linspace(0, line.length, 500))
    assert np.mean(shapely.distance(along, w.truth)) < 1.5
    assert line.length == pytest.approx(w.truth.length, rel=0.03)
    assert len(result.pieces[0]) < 0.1 * len(w.x)  # simplified to the accuracy


@pytest.mark.parametrize("seed", range(5))
def test_truth_distance_over_seeds_and_rates(seed: int) -> None:
    for dt in (1.0, 3.0, 5.0):
        w = walk(100 + seed, sigma=4.0, dt=dt, spikes=3)
        line = _line(clean_track(w.x, w.y, w.t, w.acc))
        assert shapely.hausdorff_distance(line, w.truth) < 12.0
        # along the whole line (a point every metre), not at its few vertices, half of which are its ends
        along = shapely.points(shapely.get_coordinates(shapely.segmentize(line, 1.0)))
        assert np.mean(shapely.distance(along, w.truth)) < 1.5


def test_smoothing_keeps_a_straight_line_in_place() -> None:
    x = np.linspace(0, 100, 51)
    y = 0.5 * x + 3
    sx, sy = smooth(x, y, 4)
    assert np.allclose(sx, x) and np.allclose(sy, y)  # no shrinking at the ends


def test_too_short_and_empty_tracks() -> None:
    result = clean_track(np.array([0.0, 3.0]), np.array([0.0, 0.0]))
    assert result.pieces == [] and result.dropped() == {"short_segment": 2}
    empty = clean_track(np.zeros(0), np.zeros(0))
    assert empty.pieces == [] and empty.dropped() == {}


def test_times_out_of_order_fall_back_to_distance() -> None:
    w = walk(13, spikes=2)
    t = w.t.copy()
    t[[50, 51]] = t[[51, 50]]
    result = clean_track(w.x, w.y, t, w.acc)
    assert "out of order" in result.splits[0]
    assert result.dropped().get("spike") == 2

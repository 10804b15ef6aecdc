"""The snap plan's array helpers: crossings in numpy (doubtful pairs left to GEOS), the registry cut
to a batch's surroundings, ids continuing a large registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from jalnet.topology.ids import next_ids
from jalnet.topology.lines import crossings
from jalnet.topology.snap_area import within_reach


def test_clean_crossings_match_geos_and_doubtful_pairs_are_left_to_it() -> None:
    a = np.array([
        LineString([(0, 0), (10, 10)]),  # crosses b once, inside both segments
        LineString([(0, 5), (5, 5), (10, 5), (10, -5)]),  # crosses b twice (a bend between)
        LineString([(0, 0), (5, 0)]),  # ends on b's vertex
        LineString([(0, 0), (10, 0)]),  # shares a stretch with b
        LineString([(0, 0), (1, 0)]),  # far from b
    ], dtype=object)
    b = np.array([
        LineString([(0, 10), (10, 0)]),
        LineString([(2, 0), (2, 10), (8, 10), (8, -2)]),
        LineString([(5, 0), (5, 5)]),
        LineString([(5, 0), (15, 0)]),
        LineString([(5, 5), (6, 6)]),
    ], dtype=object)
    xy, pair, unsure = crossings(a, b)
    assert unsure.tolist() == [False, False, True, True, False]
    assert pair.tolist().count(0) == 1 and pair.tolist().count(1) == 2 and 4 not in pair.tolist()
    for i in (0, 1):
        geos = shapely.get_coordinates(shapely.intersection(a[i], b[i]))
        mine = xy[pair == i]
        assert len(mine) == len(geos)
        assert np.abs(np.sort(mine, axis=0) - np.sort(geos, axis=0)).max() < 1e-9


def test_new_ids_continue_the_highest_of_a_large_registry() -> None:
    ids = pd.Series([f"P{k:07d}" for k in range(200_000)] + [None, ""], dtype=object)
    assert next_ids(ids, 2, "P-") == ["P0200000", "P0200001"]
    # a greatest id of another pattern (or of another type) falls back to reading every id
    assert next_ids(pd.Series(["P-0007", "P-0041", "Q-9"], dtype=object), 1, "P-") == ["P-0042"]
    assert next_ids(pd.Series(["P-0041", "P-0007", 12], dtype=object), 1, "P-") == ["P-0042"]
    assert next_ids(pd.Series(["P-9998", "P-10000", "P-9999"], dtype=object), 2, "P-") == ["P-10001", "P-10002"]


def test_the_pipes_near_a_batch_are_those_an_index_of_the_pipes_finds() -> None:
    rng = np.random.default_rng(3)
    start = rng.uniform(0, 2000, (5000, 2))
    pipes = shapely.linestrings(np.stack([start, start + rng.normal(0, 30, (5000, 2))], axis=1))
    walk = rng.uniform(0, 2000, (300, 2))
    lines = shapely.linestrings(np.stack([walk, walk + rng.normal(0, 15, (300, 2)),
                                          walk + rng.normal(0, 25, (300, 2))], axis=1))
    _, hit = shapely.STRtree(pipes).query(lines, predicate="dwithin", distance=8.5)
    near = within_reach(pipes, lines, 8.5)
    assert len(near) > 100
    assert near.tolist() == np.unique(hit).tolist()

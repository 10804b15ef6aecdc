"""The snap plan's array helpers: crossings in numpy (doubtful pairs left to GEOS), distances and
points along lines worked out as GEOS does (bit for bit), the registry cut to a batch's
surroundings, ids continuing a large registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from jalnet.topology.ids import next_ids
from jalnet.topology.lines import crossings, interpolate, point_distances
from jalnet.topology.snap_area import packed, within_reach
from jalnet.topology.spatial import points_within


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


def test_ids_held_as_text_by_pandas_continue_as_the_same_ids_as_objects() -> None:
    values = [f"P{k:07d}" for k in range(0, 90_000, 3)] + [None, "", "P0000004"]
    for given in (values, ["P-0041", "P-0007", "Q-9"], ["P-9998", "P-10000", "P-9999"], [None, ""], []):
        text, objects = pd.Series(given, dtype="string"), pd.Series(given, dtype=object)
        assert next_ids(text, 3, "P-") == next_ids(objects, 3, "P-")
    assert next_ids(pd.Series(values, dtype="string"), 1, "P-") == ["P0089998"]


def _lines_and_points(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bent lines of 2-8 vertices (one with a repeated vertex, one closed), and points at, near and far
    from them: on vertices, beside segments, past the ends."""
    lines = []
    for _ in range(400):
        n = int(rng.integers(2, 9))
        lines.append(LineString(np.cumsum(rng.normal(0, 20, (n, 2)), axis=0) + rng.uniform(3e5, 3.1e5, 2)))
    lines += [LineString([(0, 0), (5, 5), (5, 5), (10, 0)]), LineString([(0, 0), (5, 0), (5, 5), (0, 0)])]
    lines = np.array(lines, dtype=object)
    xy, which = shapely.get_coordinates(lines, return_index=True)
    near = rng.integers(0, len(lines), len(xy))
    points = np.vstack([xy, xy + rng.normal(0, 3, xy.shape), xy + rng.normal(0, 300, xy.shape)])
    return lines, points, np.concatenate([which, which, near])


def test_point_distances_are_geos_distances_to_the_last_bit() -> None:
    lines, points, which = _lines_and_points(np.random.default_rng(5))
    geos = shapely.distance(shapely.points(points), lines[which])
    assert np.array_equal(point_distances(points, lines, which), geos)
    # other geometries are left to GEOS
    other = np.array([shapely.MultiLineString([[(0, 0), (1, 0)], [(3, 0), (4, 0)]])], dtype=object)
    assert point_distances([(2.5, 1.0)], other, [0]).tolist() == [shapely.distance(shapely.Point(2.5, 1), other[0])]


def test_points_along_lines_are_geos_points_to_the_last_bit() -> None:
    lines, _, _ = _lines_and_points(np.random.default_rng(6))
    rng = np.random.default_rng(7)
    which = rng.integers(0, len(lines), 5000)
    length = shapely.length(lines)[which]
    at_vertices = shapely.line_locate_point(lines[which], shapely.get_point(lines[which], 1))
    for along in (rng.uniform(0, 1, 5000) * length, np.zeros(5000), length, length + 1.0, at_vertices,
                  length * (1 - 1e-16), -rng.uniform(0, 1, 5000) * length):
        geos = shapely.get_coordinates(shapely.line_interpolate_point(lines[which], along))
        assert np.array_equal(interpolate(lines, which, along), geos)


def test_geometries_packed_in_memory_are_the_same_geometries() -> None:
    geoms = np.array([LineString([(0.1, 0.2), (3.3333333333333335, 4.0)]), LineString([(0, 0, 1.5), (1, 1, 2.5)]),
                      shapely.MultiLineString([[(0, 0), (1, 0)], [(3, 0), (4, 0)]]), None], dtype=object)
    again = packed(geoms)
    assert again[3] is None
    assert shapely.to_wkb(again[:3]).tolist() == shapely.to_wkb(geoms[:3]).tolist()
    assert all(a is not b for a, b in zip(again[:3], geoms[:3]))
    assert shapely.has_z(again).tolist() == [False, True, False, False]


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


def test_points_within_gives_the_pairs_of_a_distance_query_in_its_order_with_geos_distances() -> None:
    rng = np.random.default_rng(5)
    tree_xy = rng.uniform(0, 200, size=(3000, 2))
    tree = shapely.STRtree(shapely.points(tree_xy))
    xy = rng.uniform(0, 200, size=(500, 2))
    xy[:20] = tree_xy[:20] + [3.0, 4.0]  # exactly 5 m off: on the edge of reach
    for reach in (5.0, rng.uniform(1, 9, size=len(xy))):
        src, dst, d = points_within(tree, xy, reach, tree_xy)
        want_src, want_dst = tree.query(shapely.points(xy), predicate="dwithin", distance=reach)
        assert src.tolist() == want_src.tolist() and dst.tolist() == want_dst.tolist()
        assert d.tolist() == shapely.distance(shapely.points(xy[src]), shapely.points(tree_xy[dst])).tolist()

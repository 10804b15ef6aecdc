"""The snap plan's bulk steps give what the one-at-a-time ones gave: nodes made, close pairs, a street grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from jalnet.topology.lines import crossings
from jalnet.topology.snap_model import NodeBook, close_pairs, near_cells, others_in_groups, others_of


def _junctions(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"node_id": [f"J{i}" for i in range(len(xy))], "scheme_id": "S1",
                             "node_type": "junction"}, geometry=[Point(p) for p in xy], crs="EPSG:32646")


def test_nodes_made_in_bulk_are_the_nodes_made_one_by_one() -> None:
    rng = np.random.default_rng(3)
    tol = 0.5
    # scattered points, some within a tolerance of each other (crowded), some of an existing junction
    pts = rng.uniform(0, 60, (399, 2))
    pts[::7] = pts[1::7] + rng.uniform(-0.4, 0.4, (len(pts[1::7]), 2))
    existing = [tuple(p) for p in pts[::11] + 0.3]
    schemes = [f"S{i % 3}" for i in range(len(pts))]
    one, bulk = NodeBook(_junctions(existing), tol), NodeBook(_junctions(existing), tol)
    one.at((5.0, 5.0), None)  # a node already in the book before the batch
    bulk.at((5.0, 5.0), None)
    keys = [one.at((float(x), float(y)), s) for (x, y), s in zip(pts, schemes)]
    assert bulk.at_many(pts, schemes).tolist() == keys
    assert bulk.xy == one.xy and bulk.junction == one.junction and bulk.scheme == one.scheme
    assert len(set(keys)) < len(pts)  # the batch did meet nodes, old and its own
    # and the book goes on answering single look-ups the same
    assert bulk.at((float(pts[3, 0]), float(pts[3, 1])), None) == keys[3]


def test_close_pairs_are_all_pairs_within_reach() -> None:
    rng = np.random.default_rng(8)
    xy = rng.uniform(0, 100, (300, 2))
    xy[1::2] = xy[::2] + rng.uniform(-3, 3, xy[::2].shape)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    i, j = np.nonzero(np.triu(d <= 2.5, k=1))
    a, b = close_pairs(xy, 2.5)
    assert len(a) > 100 and list(zip(a.tolist(), b.tolist())) == sorted(zip(i.tolist(), j.tolist()))


def test_near_cells_keep_every_point_within_reach_and_few_others() -> None:
    rng = np.random.default_rng(4)
    xy = rng.uniform(-500, 500, (2000, 2))
    around = rng.uniform(-500, 500, (40, 2))
    xy[:40] = around + rng.uniform(-2, 2, around.shape)
    xy[40] = np.nan  # no point: kept, nothing to judge by
    keep = near_cells(xy, around, 2.0)
    d = np.hypot(*(xy[:, None, :] - around[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert keep[d <= 2.0].all() and keep[40]
    assert keep.sum() < 200  # most points are far from all of them and left out
    assert not near_cells(xy, np.zeros((0, 2)), 2.0)[:40].any()


def test_others_names_at_a_meeting_are_the_rest_of_the_group() -> None:
    for n in range(2, 7):
        group = [f"C{k}" for k in range(n)]
        assert others_of(group) == [", ".join(group[:k] + group[k + 1:]) for k in range(n)]


def test_others_of_many_groups_are_those_of_each_group() -> None:
    sizes = [2, 3, 2, 4, 6, 3, 5, 2]
    names = [f"C{k}" for k in range(sum(sizes))]
    start = np.r_[0, np.cumsum(sizes)[:-1]]
    expected = [other for lo, n in zip(start.tolist(), sizes) for other in others_of(names[lo : lo + n])]
    assert others_in_groups(names, start, np.array(sizes)) == expected


def test_crossings_in_map_coordinates_never_call_meeting_lines_apart() -> None:
    """What numpy says of line pairs before GEOS is asked, in map coordinates (large numbers): never
    'apart' (no crossing and not left to GEOS) for lines that meet, touching ones included, and a
    clean crossing where GEOS finds it."""
    rng = np.random.default_rng(12)
    n = 4000
    a0 = rng.uniform(0, 50, (n, 2)) + [330000.0, 2900000.0]
    a = shapely.linestrings(np.stack([a0, a0 + rng.uniform(-30, 30, (n, 2))], axis=1))
    b0 = a0 + rng.uniform(-20, 20, (n, 2))
    b1 = b0 + rng.uniform(-30, 30, (n, 2))
    b1[:300] = shapely.get_coordinates(a[:300])[1::2]  # touching at a's end
    b0[300:400] = (a0[300:400] + shapely.get_coordinates(a[300:400])[1::2]) / 2  # starting on a's middle
    b = shapely.linestrings(np.stack([b0, b1], axis=1))
    b[400:500] = shapely.linestrings(np.stack([a0[400:500], b1[400:500], b0[400:500]], axis=1))  # bent
    at, pair, unsure = crossings(a, b)
    apart = ~unsure
    apart[pair] = False
    meets = shapely.intersects(a, b)
    assert apart.sum() > n / 4 and not (apart & meets).any()
    assert unsure[:300].all()  # touching at an end: GEOS decides
    assert len(np.unique(pair)) > n / 10 and meets[pair].all()
    # straight pairs GEOS is not asked about: one point each, where GEOS puts it (bent ones: the other test)
    one = ~unsure[pair] & ~np.isin(pair, np.arange(400, 500))
    assert len(np.unique(pair[one])) == one.sum()
    geos = shapely.get_coordinates(shapely.intersection(a[pair[one]], b[pair[one]]))
    assert len(geos) == one.sum() and np.hypot(*(geos - at[one]).T).max() < 1e-6


def test_street_grid_self_snap_joins_every_junction_once() -> None:
    """A 6 x 6 street grid with ends up to 1.5 m off their junction: one node per junction, no caps."""
    from jalnet.topology import NetworkData
    from jalnet.topology.snap_plan import plan_snap

    rng = np.random.default_rng(5)
    n, spacing = 6, 60.0
    ends = []
    for i in range(n):
        for j in range(n - 1):
            ends.append(((i * spacing, j * spacing), (i * spacing, (j + 1) * spacing)))
            ends.append(((j * spacing, i * spacing), ((j + 1) * spacing, i * spacing)))
    xy = np.array(ends, dtype=float)
    off = rng.random(xy.shape[:2]) < 0.3
    xy[off] += rng.uniform(-1.0, 1.0, (int(off.sum()), 2))
    staged = gpd.GeoDataFrame({"candidate_id": [f"G{k:03d}" for k in range(len(xy))], "import_batch": "G",
                               "source_file": "grid.gpkg", "source_ref": [f"g{k}" for k in range(len(xy))],
                               "geom_source": "digitised", "state": "staged"},
                              geometry=shapely.linestrings(xy), crs="EPSG:32646")
    plan = plan_snap(NetworkData("EPSG:32646", {}), staged, tolerance=2.0)
    assert len(plan.new_pipes) == len(xy)  # no tee splits a segment
    assert len(plan.new_junctions) == n * n  # one node per street junction
    assert not any(j["node_type"] == "end_cap" for j in plan.new_junctions if j["node_id"])
    degree = pd.Series([r[k] for r in plan.new_pipes for k in ("from_node", "to_node")]).value_counts()
    corners_edges = 4 + 4 * (n - 2)
    assert sorted(degree.value_counts().items()) == [(2, 4), (3, corners_edges - 4), (4, (n - 2) ** 2)]

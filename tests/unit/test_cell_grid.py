"""The grid of point keys a snap's node book looks nodes up in: bulk and one-by-one additions agree."""

import numpy as np
import shapely

from jalnet.topology.cell_grid import CellGrid, nearest_index, nearest_within


def _plain(size: float, points: list[tuple[float, float]]) -> dict[tuple[int, int], list[int]]:
    grid: dict[tuple[int, int], list[int]] = {}
    for key, (x, y) in enumerate(points):
        grid.setdefault((int(np.floor(x / size)), int(np.floor(y / size))), []).append(key)
    return grid


def test_keys_by_cell_in_the_order_added_from_bulk_and_single_additions():
    rng = np.random.default_rng(3)
    points = [tuple(p) for p in (rng.uniform(-50, 50, size=(400, 2))).tolist()]
    grid = CellGrid(4.0)
    grid.add_many(0, np.array(points[:150]))
    for key in range(150, 200):
        grid.add(key, points[key])
    grid.add_many(200, np.array(points[200:]))
    expected = _plain(4.0, points)
    for cell, keys in expected.items():
        assert list(grid.keys(cell)) == keys
    assert list(grid.keys((1000, 1000))) == []
    assert grid.cell(points[7]) in expected and 7 in expected[grid.cell(points[7])]


def test_points_far_out_go_to_the_dict():
    grid = CellGrid(1e-6)
    far = np.array([[5e6, 3e6], [5e6, 3e6], [-5e6, 1.0]])
    grid.add_many(0, far)
    assert list(grid.keys(grid.cell((5e6, 3e6)))) == [0, 1]
    assert list(grid.keys(grid.cell((-5e6, 1.0)))) == [2]


def test_nearest_within_agrees_with_the_index_and_leaves_ties_and_the_edge_to_it() -> None:
    rng = np.random.default_rng(8)
    targets = np.round(rng.uniform(0, 100, size=(2000, 2)) * 4) / 4  # quarter metres: exact sums
    targets[:30] = np.c_[np.arange(200, 230, dtype=float) * 10, np.zeros(30)]  # apart from the rest
    targets[1000:1010] = targets[:10]  # the same place twice: a tie
    xy = np.round(rng.uniform(0, 100, size=(3000, 2)) * 4) / 4
    xy[:10] = targets[:10] + [0.25, 0.0]  # as near to both twins
    xy[10:20] = targets[20:30] + [0.5, 0.0]  # exactly at the reach
    near, unsure = nearest_within(xy, targets, 0.5)
    src, dst = shapely.STRtree(shapely.points(targets)).query_nearest(shapely.points(xy), max_distance=0.5,
                                                                      all_matches=False)
    want = np.full(len(xy), -1)
    want[src] = dst
    assert unsure[:20].all()
    assert (near[~unsure] == want[~unsure]).all() and (want[~unsure] >= 0).sum() > 100


def test_nearest_index_is_the_index_answer_ties_and_edges_included() -> None:
    rng = np.random.default_rng(9)
    targets = np.round(rng.uniform(0, 50, size=(1500, 2)) * 4) / 4
    targets[700:750] = targets[:50]  # twins: the index's own choice must come back
    xy = np.vstack([targets[:50] + [0.25, 0.0], targets[100:150] + [0.0, 0.5],
                    np.round(rng.uniform(0, 50, size=(1000, 2)) * 4) / 4])
    src, dst = shapely.STRtree(shapely.points(targets)).query_nearest(shapely.points(xy), max_distance=0.5,
                                                                      all_matches=False)
    want = np.full(len(xy), -1)
    want[src] = dst
    assert nearest_index(xy, targets, 0.5).tolist() == want.tolist()

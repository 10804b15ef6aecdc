"""The grid of point keys a snap's node book looks nodes up in: bulk and one-by-one additions agree."""

import numpy as np

from jalnet.topology.cell_grid import CellGrid


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

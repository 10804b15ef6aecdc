"""Depth sampling: nearest cell in the raster's own CRS, windowed reads, nodata and off-raster as NaN, pipes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from flood_synth import CRS, lonlat_raster, nearest_cell, utm, write_raster
from rasterio.transform import Affine

from jalnet.flood import raster as raster_module
from jalnet.flood.overlay import Hazard, Sampler, pipe_depths, point_depths
from jalnet.flood.raster import open_depth_raster


def test_points_in_registry_crs_sampled_in_raster_crs(tmp_path: Path) -> None:
    path = tmp_path / "depth_4326.tif"
    values, transform = lonlat_raster(path)
    rng = np.random.default_rng(5)
    lx, ly = rng.uniform(-100, 420, 400), rng.uniform(-100, 400, 400)  # some off the raster
    x, y = utm(lx, ly)
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    expected = nearest_cell(values, transform, lon, lat)
    with open_depth_raster(path) as raster:
        sampler = Sampler(Hazard(raster), pyproj.CRS(CRS))
        got, inundated = point_depths(sampler, shapely.points(x, y))
    assert inundated is None
    assert np.isnan(expected).sum() > 20 and (expected > 0).sum() > 5  # the test covers every case
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.allclose(got[~np.isnan(got)], expected[~np.isnan(expected)])
    # off the raster or on nodata is NaN, never 0
    off = (lx < -60) | (lx > 350) | (ly < -60) | (ly > 360)
    assert np.isnan(got[off & (np.abs(lx + 60) > 15) & (np.abs(lx - 350) > 15)]).all()


def test_chunked_reads_match_the_whole_array_and_read_each_chunk_once(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    values = np.round(rng.uniform(0, 3, (100, 130)), 2).astype("float32")
    values[40:55, 60:90] = -9999.0
    transform = Affine(5.0, 0, 500000.0, 0, -5.0, 2926000.0)
    path = tmp_path / "tiled.tif"
    write_raster(path, values, transform, CRS, tiled=True, block=16)
    monkeypatch.setattr(raster_module, "CHUNK_CELLS", 16 * 16)
    x = rng.uniform(499990, 500000 + 5 * 130 + 10, 5000)
    y = rng.uniform(2926000 - 5 * 100 - 10, 2926010, 5000)
    reads: list[tuple[int, int]] = []
    with open_depth_raster(path) as raster:
        assert raster.chunk == (16, 16)
        original = raster._read_chunk

        def counting(key: tuple[int, int]) -> np.ndarray:
            if key not in raster._cache:
                reads.append(key)
            return original(key)

        monkeypatch.setattr(raster, "_read_chunk", counting)
        got = raster.sample(x, y)
    expected = nearest_cell(values, transform, x, y)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.allclose(got[~np.isnan(got)], expected[~np.isnan(expected)])
    assert len(reads) == len(set(reads)) == 7 * 9  # every chunk of the 100 x 130 raster, once


def test_rotated_geotransform(tmp_path: Path) -> None:
    values = np.arange(20 * 30, dtype="float32").reshape(20, 30)
    transform = Affine(8.0, 3.0, 500000.0, 3.0, -8.0, 2926000.0)
    path = tmp_path / "rotated.tif"
    write_raster(path, values, transform, CRS)
    rng = np.random.default_rng(3)
    cols, rows = rng.uniform(-2, 32, 300), rng.uniform(-2, 22, 300)
    x = transform.c + transform.a * cols + transform.b * rows
    y = transform.f + transform.d * cols + transform.e * rows
    with open_depth_raster(path) as raster:
        got = raster.sample(x, y)
    # independent inverse of the 2x2 matrix
    m = np.array([[transform.a, transform.b], [transform.d, transform.e]])
    cr = np.linalg.solve(m, np.vstack([x - transform.c, y - transform.f]))
    c, r = np.floor(cr[0]).astype(int), np.floor(cr[1]).astype(int)
    inside = (r >= 0) & (r < 20) & (c >= 0) & (c < 30)
    assert np.isnan(got[~inside]).all()
    assert np.array_equal(got[inside], values[r[inside], c[inside]])


def _pipe_raster(tmp_path: Path) -> Path:
    """10 m cells; row 1 holds 0, 0.5, 1.0, nodata, 0.25, 0 from west to east."""
    values = np.zeros((3, 6), dtype="float32")
    values[1] = [0.0, 0.5, 1.0, -9999.0, 0.25, 0.0]
    path = tmp_path / "pipe.tif"
    write_raster(path, values, Affine(10.0, 0, 500000.0, 0, -10.0, 2925100.0), CRS)
    return path


def test_pipe_statistics_by_hand(tmp_path: Path) -> None:
    # along the middle of row 1, 60 m on the raster then 20 m off it
    pipe = shapely.LineString([(500000.0, 2925085.0), (500080.0, 2925085.0)])
    with open_depth_raster(_pipe_raster(tmp_path)) as raster:
        stats = pipe_depths(Sampler(Hazard(raster), pyproj.CRS(CRS)), np.array([pipe]), step=5.0).iloc[0]
    covered = [(10, 0.0), (10, 0.5), (10, 1.0), (10, 0.25), (10, 0.0)]  # the nodata cell and 20 m off are not
    assert stats["length_m"] == pytest.approx(80.0)
    assert stats["sampled_length_m"] == pytest.approx(sum(n for n, _ in covered))
    assert stats["max_depth_m"] == pytest.approx(1.0)
    assert stats["mean_depth_m"] == pytest.approx(sum(n * d for n, d in covered) / sum(n for n, _ in covered))
    assert stats["flooded_length_m"] == pytest.approx(sum(n for n, d in covered if d > 0))


def test_pipe_entirely_off_the_raster_has_no_statistics(tmp_path: Path) -> None:
    pipe = shapely.LineString([(400000.0, 2925085.0), (400050.0, 2925085.0)])
    with open_depth_raster(_pipe_raster(tmp_path)) as raster:
        stats = pipe_depths(Sampler(Hazard(raster), pyproj.CRS(CRS)), np.array([pipe]), step=5.0).iloc[0]
    assert stats["length_m"] == pytest.approx(50.0)
    assert stats["sampled_length_m"] == 0
    assert np.isnan(stats["max_depth_m"]) and np.isnan(stats["mean_depth_m"]) and np.isnan(stats["flooded_length_m"])


def test_diagonal_pipe_against_fine_sampling_in_another_crs(tmp_path: Path) -> None:
    path = tmp_path / "depth_4326.tif"
    values, transform = lonlat_raster(path)
    pipe = shapely.LineString([utm(-30, -20), utm(60, 70), utm(190, 200), utm(230, 330)])
    with open_depth_raster(path) as raster:
        step = raster.pixel_size_m(utm(100, 100), pyproj.CRS(CRS)) / 2
        stats = pipe_depths(Sampler(Hazard(raster), pyproj.CRS(CRS)), np.array([pipe]), step=step).iloc[0]
    # independent: 2 cm steps, each sample stands for 2 cm of pipe
    dense = shapely.segmentize(pipe, 0.02)
    xy = shapely.get_coordinates(dense)
    mid = (xy[1:] + xy[:-1]) / 2
    seg = np.hypot(*(xy[1:] - xy[:-1]).T)
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(mid[:, 0], mid[:, 1])
    depth = nearest_cell(values, transform, lon, lat)
    known = ~np.isnan(depth)
    crossings = 2 * int(np.abs(np.diff((depth > 0).astype(int))).sum() + np.abs(np.diff(known.astype(int))).sum())
    assert stats["length_m"] == pytest.approx(pipe.length, abs=1e-3)  # reported in mm
    assert stats["max_depth_m"] == pytest.approx(np.nanmax(depth))
    assert stats["sampled_length_m"] == pytest.approx(seg[known].sum(), abs=step / 2 * crossings + 0.1)
    assert stats["flooded_length_m"] == pytest.approx(seg[known & (depth > 0)].sum(), abs=step / 2 * crossings + 0.1)
    assert stats["mean_depth_m"] == pytest.approx((seg * np.nan_to_num(depth))[known].sum() / seg[known].sum(),
                                                  abs=0.02)

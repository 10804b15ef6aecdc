"""Strip logs and sections: the files are written and show what they should."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
import rasterio
from geology_synth import A_XY, B_XY, CRS, make_registry, write_las, write_sheets
from rasterio.transform import from_origin
from shapely.geometry import LineString

from jalnet.errors import InputError
from jalnet.geology import import_lithologs, read_lithologs, write_section, write_striplogs
from jalnet.geology.section import along_line_order, build_section, correlate, line_through, sample_dem
from jalnet.geology.vocabulary import STYLES


def colour_present(png: np.ndarray, hex_colour: str, tol: float = 0.02) -> bool:
    rgb = np.array([int(hex_colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    return bool((np.abs(png[..., :3] - rgb).max(axis=-1) < tol).any())


@pytest.fixture
def loaded(tmp_path: Path):
    with make_registry(tmp_path / "r.gpkg") as reg:
        import_lithologs(reg, *write_sheets(tmp_path / "in"), las_files=[write_las(tmp_path / "a.las", "BH-A")])
        yield reg


def test_strip_log_shows_lithology_construction_and_water_level(loaded, tmp_path: Path) -> None:
    paths = write_striplogs(loaded, tmp_path / "logs", ["BH-A"])
    assert sorted(p.name for p in paths) == ["BH-A.png", "BH-A.svg"]
    svg = (tmp_path / "logs" / "BH-A.svg").read_text(encoding="utf-8")
    for text in ("Borehole BH-A", "medium sand", "Medium sand", "SWL 4.5 m", "150 mm screen", "slot 1 mm",
                 "Gravel pack", "Aquifer (water-bearing) interval", "Gamma", "GR (API)", "Elevation (m above MSL)"):
        assert text in svg, text
    png = mpimg.imread(tmp_path / "logs" / "BH-A.png")
    assert png.shape[0] > 1000 and png.shape[1] > 700
    assert png[..., :3].std() > 0.05  # not blank
    assert colour_present(png, STYLES["SP"].colour)  # the medium sand (SP) is drawn
    assert colour_present(png, STYLES["CH"].colour)  # and the clay (CH)
    assert colour_present(png, "#1f6fd1")  # screens and the water level
    assert colour_present(png, "#e0c28c")  # gravel pack


def test_strip_log_without_construction_says_so(loaded, tmp_path: Path) -> None:
    [svg] = write_striplogs(loaded, tmp_path / "logs", ["BH-B"], formats=["svg"])
    text = svg.read_text(encoding="utf-8")
    assert "construction" in text and "not recorded" in text and "SWL 5 m" in text
    with pytest.raises(InputError, match="no borehole BH-Z"):
        write_striplogs(loaded, tmp_path / "logs", ["BH-Z"])


def test_correlate_joins_splits_and_pinches_out() -> None:
    # one to one
    bands, lone_l, lone_r = correlate([(40.0, 20.0)], [(38.0, 15.0)])
    assert bands == [((40.0, 20.0), (38.0, 15.0))] and lone_l == lone_r == []
    # two units on the left, one on the right: the right one is split in proportion (10 m and 30 m)
    bands, _, _ = correlate([(40.0, 30.0), (25.0, -5.0)], [(42.0, 2.0)])
    assert bands == [((40.0, 30.0), (42.0, 32.0)), ((25.0, -5.0), (32.0, 2.0))]
    # no overlap: each side pinches out alone
    bands, lone_l, lone_r = correlate([(40.0, 30.0)], [(10.0, 0.0)])
    assert bands == [] and lone_l == [0] and lone_r == [0]


def test_section_places_boreholes_at_their_chainage(loaded) -> None:
    data = read_lithologs(loaded)
    pts = dict(zip(data.boreholes["borehole_id"], data.boreholes.geometry))
    d = pts["BH-A"].distance(pts["BH-B"])  # 400 m, to the centimetre of the lon/lat in the sheet
    assert d == pytest.approx(400, abs=0.05)
    line = line_through(data, ["BH-A", "BH-B"])
    assert line.length == pytest.approx(d + 2 * 50)  # extended 50 m past both ends
    section = build_section(data, line, loaded.crs, None, corridor_m=100)
    got = {b.borehole_id: (b.chainage, b.offset, b.collar) for b in section.boreholes}
    assert got == {"BH-A": (pytest.approx(50.0), pytest.approx(0.0, abs=1e-6), 50.0),
                   "BH-B": (pytest.approx(50.0 + d), pytest.approx(0.0, abs=1e-6), 52.0)}
    assert "ground drawn through the collar elevations" in section.notes[0]
    # a line that passes 150 m north of the boreholes, with a 100 m corridor: nothing to draw
    far = LineString([(A_XY[0], A_XY[1] + 150), (B_XY[0], B_XY[1] + 150)])
    with pytest.raises(InputError, match="no borehole within 100 m"):
        build_section(data, far, loaded.crs, None, corridor_m=100)
    near = build_section(data, far, loaded.crs, None, corridor_m=200)
    assert [round(b.offset) for b in near.boreholes] == [150, 150]
    assert along_line_order(data, ["BH-B", "BH-A"]) == ["BH-A", "BH-B"]


def plane_dem(path: Path) -> Path:
    """A DEM in lon/lat whose elevation rises 1 m per 0.001 degree of longitude, with a nodata hole."""
    lon0, lat0 = 91.0, 26.5
    res = 0.0005
    cols, rows = 200, 200
    lon = lon0 + (np.arange(cols) + 0.5) * res
    z = np.tile(40.0 + (lon - lon0) * 1000.0, (rows, 1)).astype("float32")
    z[:5, :5] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(lon0, lat0, res, res), nodata=-9999.0) as dst:
        dst.write(z, 1)
    return path


def test_dem_sampled_bilinear_in_its_own_crs(tmp_path: Path) -> None:
    import pyproj

    dem = plane_dem(tmp_path / "dem.tif")
    lons = np.array([91.01, 91.0333, 91.07, 91.2])  # the last is off the raster
    lats = np.array([26.45, 26.47, 26.42, 26.45])
    x, y = pyproj.Transformer.from_crs(4326, 32646, always_xy=True).transform(lons, lats)
    z = sample_dem(dem, np.asarray(x), np.asarray(y), pyproj.CRS(CRS))
    np.testing.assert_allclose(z[:3], 40.0 + (lons[:3] - 91.0) * 1000.0, atol=1e-3)
    assert np.isnan(z[3])
    corner = pyproj.Transformer.from_crs(4326, 32646, always_xy=True).transform(91.0006, 26.4994)
    assert np.isnan(sample_dem(dem, np.array([corner[0]]), np.array([corner[1]]), pyproj.CRS(CRS))[0])


def test_section_files(loaded, tmp_path: Path) -> None:
    section, paths = write_section(loaded, tmp_path / "sec.png", through=["BH-A", "BH-B"], corridor_m=100)
    assert [p.name for p in paths] == ["sec.png", "sec.svg"]
    svg = paths[1].read_text(encoding="utf-8")
    ve = section.vertical_exaggeration
    for text in ("BH-A", "BH-B", f"vertical exaggeration ×{ve:g}", "Aquifer, correlated", "Distance along the section"):
        assert text in svg, text
    assert section.links == [("BH-A", "BH-B", 1)]  # the sand of BH-A joined to the sand of BH-B
    png = mpimg.imread(paths[0])
    assert png[..., :3].std() > 0.05 and colour_present(png, STYLES["SP"].colour)
    with pytest.raises(InputError, match="at least two"):
        write_section(loaded, tmp_path / "x", through=["BH-A"])

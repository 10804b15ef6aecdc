"""Bad flood input: one clear line, exit 2, nothing written; and the command line on the sample scheme."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import rasterio
import shapely
from flood_synth import CRS, lonlat_raster, make_registry, nearest_cell, utm

from jalnet.cli import main
from jalnet.errors import InputError
from jalnet.flood import FloodEvent, assess_flood
from jalnet.registry import create_registry, load_layers
from jalnet.samples import sample_path


@pytest.fixture
def reg(tmp_path: Path) -> str:
    return make_registry(tmp_path / "registry.gpkg")


def bow_tie(path: Path) -> None:
    ring = [utm(0, 0), utm(50, 50), utm(50, 0), utm(0, 50), utm(0, 0)]
    gdf = gpd.GeoDataFrame({"name": ["ok", "bow tie"]},
                           geometry=[shapely.box(*utm(100, 100), *utm(150, 150)), shapely.Polygon(ring)], crs=CRS)
    gdf.to_file(path, layer="extent", engine="pyogrio")


def bad_inputs(tmp_path: Path) -> dict[str, tuple[dict, str]]:
    """Each bad input as assess_flood keyword arguments and the message it must give."""
    no_crs = tmp_path / "no_crs.tif"
    lonlat_raster(no_crs, crs=None)
    far = tmp_path / "far.tif"
    lonlat_raster(far, far=True)
    good = tmp_path / "good.tif"
    lonlat_raster(good)
    invalid = tmp_path / "invalid.gpkg"
    bow_tie(invalid)
    thresholds = tmp_path / "thresholds.csv"
    thresholds.write_text("asset_type,critical_height_m\ntubewell,0.5\n")
    return {
        "raster without CRS": ({"events": [FloodEvent(depth=str(no_crs))]}, "has no coordinate reference system"),
        "no overlap": ({"events": [FloodEvent(depth=str(far))]}, "do not overlap"),
        "invalid polygons": ({"events": [FloodEvent(extent=str(invalid))]},
                             r"layer extent feature 2 is not a valid polygon \(Self-intersection"),
        "unknown asset type": ({"events": [FloodEvent(depth=str(good))], "thresholds": thresholds},
                               "unknown asset type 'tubewell'"),
        "missing raster": ({"events": [FloodEvent(depth=str(tmp_path / "nope.tif"))]}, "does not exist"),
        "not a raster": ({"events": [FloodEvent(depth=str(thresholds))]}, "cannot read .* as a raster"),
        "same event twice": ({"events": [FloodEvent(depth=str(good), name="a"), FloodEvent(depth=str(good), name="a")]},
                             "given twice"),
    }


def test_bad_input_gives_one_line_and_writes_nothing(reg: str, tmp_path: Path) -> None:
    for case, (kwargs, message) in bad_inputs(tmp_path).items():
        out = tmp_path / f"{case.replace(' ', '_')}.gpkg"
        report = tmp_path / f"{case.replace(' ', '_')}.html"
        with pytest.raises(InputError, match=message) as err:
            assess_flood(reg, kwargs.pop("events"), out, report=report, **kwargs)
        assert "\n" not in str(err.value), case
        assert not out.exists() and not report.exists(), case
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], case  # no temporary left


def test_invalid_polygons_can_be_repaired(reg: str, tmp_path: Path) -> None:
    path = tmp_path / "invalid.gpkg"
    bow_tie(path)
    result = assess_flood(reg, [FloodEvent(extent=str(path))], tmp_path / "i.gpkg", repair_extent=True)
    assert any("1 invalid polygon(s)" in n for n in result.events[0].notes)
    # the repaired bow tie is two triangles meeting at (25, 25); the source at (5, 5) is in the lower one
    assert result.impacts["sources"]["severity"].iloc[0] == "unknown_depth"


def test_cli_errors_exit_2_with_one_line(reg: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    no_crs = tmp_path / "no_crs.tif"
    lonlat_raster(no_crs, crs=None)
    out = tmp_path / "impact.gpkg"
    code = main(["-q", "flood", "assess", "--registry", reg, "--depth", str(no_crs), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no coordinate reference system" in err[0] and not out.exists()
    code = main(["-q", "flood", "assess", "--registry", reg, "--depth", str(no_crs), "--depth", str(no_crs),
                 "--event", "one", "--out", str(out)])
    assert code == 2 and "1 --event for 2 event(s)" in capsys.readouterr().err
    good = tmp_path / "good.tif"
    lonlat_raster(good)
    out.write_text("existing")
    code = main(["-q", "flood", "assess", "--registry", reg, "--depth", str(good), "--out", str(out)])
    assert code == 2 and "already exists" in capsys.readouterr().err and out.read_text() == "existing"


def test_cli_events_file_and_timeline(reg: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lonlat_raster(tmp_path / "a.tif")
    lonlat_raster(tmp_path / "b.tif", shift=0.25)
    (tmp_path / "events.csv").write_text("event,date,depth\nJuly,2024-07-03,a.tif\nJune,2024-06-01,b.tif\n")
    out, csv = tmp_path / "impact.gpkg", tmp_path / "summary.csv"
    code = main(["-q", "flood", "assess", "--registry", reg, "--events", str(tmp_path / "events.csv"),
                 "--out", str(out), "--summary", str(csv)])
    assert code == 0, capsys.readouterr().err
    assert "June" in capsys.readouterr().out and csv.exists()
    history = tmp_path / "history.csv"
    assert main(["flood", "timeline", "--impact", str(out), "--csv", str(history)]) == 0
    text = capsys.readouterr().out
    assert text.index("June") < text.index("July")
    rows = history.read_text().splitlines()
    assert any(r.startswith("sources,SRC-1,SCH-1,2,2,June,2024-06-01") for r in rows)
    assert main(["flood", "tables", "--write", str(tmp_path)]) == 0
    written = tmp_path / "critical_heights.csv"
    assert main(["flood", "tables", "--thresholds", str(written)]) == 0  # what it writes reads back


def test_sample_flood_on_the_sample_scheme(tmp_path: Path) -> None:
    """The bundled flood over the bundled scheme, checked against an independent lookup of the raster."""
    reg = str(tmp_path / "sample.gpkg")
    with create_registry(reg, crs="EPSG:32646") as r:
        load_layers(r, sample_path("sample_scheme.gpkg"))
    out = tmp_path / "impact.gpkg"
    assert main(["-q", "flood", "assess", "--registry", reg, "--depth", str(sample_path("flood_depth.tif")),
                 "--out", str(out), "--report", str(tmp_path / "r.html")]) == 0
    taps = pyogrio.read_dataframe(sample_path("sample_scheme.gpkg"), layer="fhtc").to_crs(32646)
    with rasterio.open(sample_path("flood_depth.tif")) as src:
        values, transform = src.read(1), src.transform
    expected = nearest_cell(values, transform, taps.geometry.x.to_numpy(), taps.geometry.y.to_numpy(), src.nodata)
    got = pyogrio.read_dataframe(out, layer="impact_fhtc").set_index("fhtc_id").loc[taps["fhtc_id"]]
    assert np.array_equal(got["depth_m"].isna().to_numpy(), np.isnan(expected))
    assert np.allclose(got["depth_m"].dropna(), expected[~np.isnan(expected)], atol=1e-4)
    # jalnet/data/README.md: 130 of 430 taps flooded; F-0197, F-0360, F-0429, F-0430 off the raster,
    # F-0328 to F-0332 on the nodata patch
    assert int((got["depth_m"] > 0).sum()) == 130
    no_data = set(got.index[got["severity"] == "no_data"])
    assert no_data == {"F-0197", "F-0360", "F-0429", "F-0430", "F-0328", "F-0329", "F-0330", "F-0331", "F-0332"}
    sources = pyogrio.read_dataframe(out, layer="impact_sources")
    assert sources["depth_m"].iloc[0] == pytest.approx(0.70) and bool(sources["out_of_service"].iloc[0])
    assert pyproj.CRS(pyogrio.read_info(out, layer="impact_pipes")["crs"]).to_epsg() == 32646

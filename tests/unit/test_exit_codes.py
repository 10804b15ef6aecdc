"""One meaning per exit code for every command, and flood rasters that give nothing usable refused (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from flood_synth import CRS, lonlat_raster, make_registry, utm, write_raster
from rasterio.transform import Affine

from jalnet.cli import EXIT_CODES, main
from jalnet.flood import FloodEvent, assess_flood

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_has_the_exit_code_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme


def _crash(args: argparse.Namespace) -> int:
    raise ZeroDivisionError("float division by zero")


def _unreadable(args: argparse.Namespace) -> int:
    raise PermissionError(13, "Permission denied", "/data/locked.gpx")


@pytest.mark.parametrize("func,code,words", [
    (_crash, 3, ["internal error (a bug, not your input): ZeroDivisionError: float division by zero",
                 "the traceback is in", "bug report"]),
    (_unreadable, 2, ["jalnet: error: /data/locked.gpx: Permission denied; check the path and its permissions"]),
])
def test_bugs_exit_3_and_unreadable_paths_exit_2_in_one_line(monkeypatch, capsys, func, code, words) -> None:
    real = argparse.ArgumentParser.parse_args

    def parse_args(self, *args, **kwargs):  # whatever command was named, run *func*
        return argparse.Namespace(**{**vars(real(self, *args, **kwargs)), "func": func})

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)
    assert main(["-q", "registry", "info", "nowhere.gpkg"]) == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err, err
    if code == 3:
        saved = Path(err.split("the traceback is in ")[1].split(";")[0])
        text = saved.read_text(encoding="utf-8")
        assert "Traceback" in text and "ZeroDivisionError" in text
        saved.unlink()


# --- flood rasters ------------------------------------------------------------------------------------
@pytest.fixture
def registry(tmp_path: Path) -> str:
    return make_registry(tmp_path / "registry.gpkg")


def assess(cli_args: list[str], registry: str, tmp_path: Path) -> int:
    return main(["-q", "flood", "assess", "--registry", registry, "--out", str(tmp_path / "impact.gpkg"), *cli_args])


def test_all_nodata_raster_is_refused_and_writes_nothing(registry: str, tmp_path: Path, capsys) -> None:
    values, transform = lonlat_raster(tmp_path / "ok.tif")
    write_raster(tmp_path / "empty.tif", np.full(values.shape, -9999.0, dtype="float32"), transform, "EPSG:4326")
    assert assess(["--depth", str(tmp_path / "empty.tif")], registry, tmp_path) == 2
    err = capsys.readouterr().err
    assert "empty.tif holds only nodata where the assets of" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "impact.gpkg").exists()


def test_raster_off_the_assets_is_refused(registry: str, tmp_path: Path, capsys) -> None:
    lonlat_raster(tmp_path / "far.tif", far=True)
    assert assess(["--depth", str(tmp_path / "far.tif")], registry, tmp_path) == 2
    assert "do not overlap" in capsys.readouterr().err
    assert not (tmp_path / "impact.gpkg").exists()


def test_raster_without_nodata_needs_the_user_to_say(registry: str, tmp_path: Path, capsys) -> None:
    values, transform = lonlat_raster(tmp_path / "ok.tif")
    write_raster(tmp_path / "bare.tif", values, transform, "EPSG:4326", nodata=None)
    assert assess(["--depth", str(tmp_path / "bare.tif")], registry, tmp_path) == 2
    err = capsys.readouterr().err
    assert "declares no nodata value" in err and "--nodata VALUE" in err and "--no-nodata" in err
    assert not (tmp_path / "impact.gpkg").exists()
    # told what nodata is, -9999 is missing data: F-4 (on the hole) has no depth, not "dry"
    assert assess(["--depth", str(tmp_path / "bare.tif"), "--nodata", "-9999"], registry, tmp_path) == 0
    import geopandas as gpd

    fhtc = gpd.read_file(tmp_path / "impact.gpkg", layer="impact_fhtc").set_index("fhtc_id")
    assert np.isnan(fhtc.loc["F-4", "depth_m"]) and fhtc.loc["F-4", "severity"] == "no_data"
    # confirmed to have none, -9999 is read as a depth (below ground: dry), as the user said
    assert assess(["--depth", str(tmp_path / "bare.tif"), "--no-nodata", "--overwrite"], registry, tmp_path) == 0
    fhtc = gpd.read_file(tmp_path / "impact.gpkg", layer="impact_fhtc").set_index("fhtc_id")
    assert fhtc.loc["F-4", "depth_m"] == 0.0


def test_one_cell_rasters(registry: str, tmp_path: Path) -> None:
    # one 1,000 m cell over the whole scheme, 0.4 m deep: every asset gets that depth
    x0, y0 = utm(-300, 700)
    write_raster(tmp_path / "one.tif", np.array([[0.4]], dtype="float32"), Affine(1000.0, 0, x0, 0, -1000.0, y0), CRS)
    result = assess_flood(registry, [FloodEvent(depth=str(tmp_path / "one.tif"))], tmp_path / "one.gpkg")
    assert set(result.impacts["fhtc"]["depth_m"]) == {0.4}
    # one nodata cell over the scheme: nothing usable
    write_raster(tmp_path / "hole.tif", np.array([[-9999.0]], dtype="float32"), Affine(1000.0, 0, x0, 0, -1000.0, y0),
                 CRS)
    with pytest.raises(Exception, match="holds only nodata"):
        assess_flood(registry, [FloodEvent(depth=str(tmp_path / "hole.tif"))], tmp_path / "hole.gpkg")
    assert not (tmp_path / "hole.gpkg").exists()
    # one 1 m cell far from every asset: no overlap
    write_raster(tmp_path / "dot.tif", np.array([[1.0]], dtype="float32"), Affine(1.0, 0, x0 - 5000, 0, -1.0, y0), CRS)
    with pytest.raises(Exception, match="do not overlap"):
        assess_flood(registry, [FloodEvent(depth=str(tmp_path / "dot.tif"))], tmp_path / "dot.gpkg")

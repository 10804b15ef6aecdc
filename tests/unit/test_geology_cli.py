"""``jalnet geology``: import, validate, striplog, section, export; exit codes and one-line errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from geology_synth import INTERVALS, make_registry, write_sheets

from jalnet.cli import main
from jalnet.registry import open_registry
from jalnet.samples import sample_path


def test_import_validate_draw_export(tmp_path: Path, capsys) -> None:
    make_registry(tmp_path / "r.gpkg").close()
    reg = str(tmp_path / "r.gpkg")
    b, i, c = write_sheets(tmp_path / "in")
    assert main(["-q", "geology", "import", str(b), str(i), "--construction", str(c), "--registry", reg,
                 "--findings", str(tmp_path / "f.csv")]) == 0
    out = capsys.readouterr().out
    assert "imported 2 borehole(s): 2 boreholes, 6 lithology intervals, 4 construction intervals" in out
    assert "undo with: jalnet registry undo" in out

    assert main(["-q", "geology", "validate", "--registry", reg, "--out", str(tmp_path / "v.csv")]) == 0
    with (tmp_path / "v.csv").open(encoding="utf-8") as f:
        assert f.readline().strip() == "borehole_id,rule,severity,message"
    assert "0 finding(s)" in capsys.readouterr().out

    assert main(["-q", "geology", "striplog", "--registry", reg, "--out", str(tmp_path / "logs"), "--borehole",
                 "BH-A", "--format", "svg"]) == 0
    assert [p.name for p in (tmp_path / "logs").iterdir()] == ["BH-A.svg"]

    assert main(["-q", "geology", "section", "--registry", reg, "--out", str(tmp_path / "sec"), "--through",
                 "BH-A,BH-B", "--corridor", "50"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "sec.png").stat().st_size > 10_000 and (tmp_path / "sec.svg").exists()
    assert "BH-A" in out and "vertical exaggeration" in out

    assert main(["-q", "geology", "export", "--registry", reg, "--out", str(tmp_path / "exp")]) == 0
    with (tmp_path / "exp" / "intervals.csv").open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 6


def test_refused_boreholes_are_listed_and_exit_0_unless_fail_on(tmp_path: Path, capsys) -> None:
    make_registry(tmp_path / "r.gpkg").close()
    intervals = [list(r) for r in INTERVALS]
    intervals[4][1] = "12,5,0"
    b, i, c = write_sheets(tmp_path / "in", intervals=intervals)
    assert main(["-q", "geology", "import", str(b), str(i), "--registry", str(tmp_path / "r.gpkg")]) == 0
    captured = capsys.readouterr()
    assert "refused 1 borehole(s): BH-B" in captured.out and "intervals.csv row 5, column from_m" in captured.out
    assert "jalnet: warning: 1 borehole(s) refused: BH-B" in captured.err
    with open_registry(tmp_path / "r.gpkg", readonly=True) as reg:
        assert list(reg.read("boreholes")["borehole_id"]) == ["BH-A"]
    # the same refusal is a finding at --fail-on error: exit 1, and BH-A is still imported
    make_registry(tmp_path / "r2.gpkg").close()
    assert main(["-q", "geology", "import", str(b), str(i), "--registry", str(tmp_path / "r2.gpkg"),
                 "--fail-on", "error"]) == 1
    with open_registry(tmp_path / "r2.gpkg", readonly=True) as reg:
        assert list(reg.read("boreholes")["borehole_id"]) == ["BH-A"]


def test_all_boreholes_refused_is_exit_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    make_registry(tmp_path / "r.gpkg").close()
    intervals = [list(r) for r in INTERVALS]
    intervals[1][1] = "x"
    intervals[4][1] = "12,5,0"
    b, i, c = write_sheets(tmp_path / "in", intervals=intervals)
    assert main(["-q", "geology", "import", str(b), str(i), "--registry", str(tmp_path / "r.gpkg")]) == 2
    assert "all 2 borehole(s) were refused; nothing was written" in capsys.readouterr().err
    with open_registry(tmp_path / "r.gpkg", readonly=True) as reg:
        assert reg.read("boreholes").empty


def test_section_from_a_line_file_and_validate_store(tmp_path: Path, capsys) -> None:
    import geopandas as gpd
    from geology_synth import A_XY, B_XY, CRS
    from shapely.geometry import LineString

    make_registry(tmp_path / "r.gpkg").close()
    reg = str(tmp_path / "r.gpkg")
    b, i, c = write_sheets(tmp_path / "in")
    main(["-q", "geology", "import", str(b), str(i), "--construction", str(c), "--registry", reg])
    line = gpd.GeoDataFrame(geometry=[LineString([(A_XY[0] - 100, A_XY[1] + 30), (B_XY[0] + 100, B_XY[1] + 30)])],
                            crs=CRS).to_crs(4326)
    line.to_file(tmp_path / "line.geojson")
    assert main(["-q", "geology", "section", "--registry", reg, "--out", str(tmp_path / "s"), "--line-file",
                 str(tmp_path / "line.geojson"), "--dem", str(sample_path("dem.tif")), "--format", "png"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("BH-")}
    assert rows["BH-A"] == ["100", "30", "50.00"] and rows["BH-B"] == ["500", "30", "52.00"]  # chainage, offset
    assert main(["-q", "geology", "validate", "--registry", reg, "--out", str(tmp_path / "v.csv"), "--store",
                 "--max-source-distance", "0"]) == 0
    with open_registry(reg, readonly=True) as r:
        assert r.read("boreholes", {"borehole_id": "BH-A"})["first_aquifer_m"].iloc[0] == 10.0


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    make_registry(tmp_path / "r.gpkg").close()
    out = subprocess.run([sys.executable, "-m", "jalnet", "-q", "geology", "import", str(tmp_path / "none.csv"),
                          "--registry", str(tmp_path / "r.gpkg")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == f"jalnet: error: {tmp_path / 'none.csv'} does not exist"
    assert "Traceback" not in out.stderr
    assert main(["-q", "geology", "import", str(tmp_path / "none.csv"), "--registry", str(tmp_path / "r.gpkg"),
                 "--map", "collar_elev_m=RL"]) == 2
    assert "write TABLE:FIELD=COLUMN" in capsys.readouterr().err

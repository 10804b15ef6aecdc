"""The jalnet command: help, registry actions, exit codes and one-line errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import geopandas as gpd
import pytest
import shapely

from jalnet.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jalnet", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_commands():
    out = run("--help")
    assert out.returncode == 0
    for command in ("registry", "demo"):
        assert command in out.stdout
    sub = run("registry", "--help").stdout
    for action in ("create", "info", "load", "log", "undo", "copy"):
        assert action in sub


def test_create_load_log_undo_round_trip(tmp_path, capsys):
    reg = tmp_path / "r.gpkg"
    src = tmp_path / "field.gpkg"
    gpd.GeoDataFrame(
        {"pipe_id": ["P1", "P2"], "material": ["HDPE", "DI"], "diameter_mm": [110, 150], "remarks": ["a", "b"]},
        geometry=[shapely.LineString([(91.43, 26.44), (91.431, 26.44)]),
                  shapely.LineString([(91.431, 26.44), (91.431, 26.441)])],
        crs=4326,
    ).to_file(src, layer="pipes")
    assert main(["-q", "registry", "create", str(reg), "--crs", "EPSG:32646"]) == 0
    assert main(["-q", "registry", "load", str(reg), str(src)]) == 0
    out = capsys.readouterr()
    assert "pipes" in out.out and "2" in out.out
    assert "remarks" in out.err  # the ignored field is named
    assert main(["registry", "info", str(reg), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"]["pipes"] == 2
    assert main(["registry", "log", str(reg), "--json"]) == 0
    batches = json.loads(capsys.readouterr().out)
    assert len(batches) == 1 and batches[0]["n_changes"] == 2
    assert main(["registry", "undo", str(reg), "--batch", batches[0]["batch_id"]]) == 0
    assert "undid batch" in capsys.readouterr().out
    assert main(["registry", "info", str(reg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["layers"]["pipes"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["registry", "info", "{tmp}/nothing.gpkg"], "no registry at"),
        (["registry", "info", "{tmp}/text.gpkg"], "not a GeoPackage"),
        (["registry", "create", "{tmp}/new.gpkg", "--crs", "EPSG:4326"], "not a projected CRS"),
        (["registry", "undo", "{tmp}/ok.gpkg", "--batch", "nope"], "no batch 'nope'"),
        (["registry", "load", "{tmp}/ok.gpkg", "{tmp}/missing.shp"], "does not exist"),
        (["registry", "load", "{tmp}/ok.gpkg", "{tmp}/text.gpkg"], "cannot read"),
        (["registry", "load", "{tmp}/ok.gpkg", "{tmp}/bad_values.gpkg"], "row 1 (pipe_id X1): material 'plastic'"),
        (["registry", "info", "postgresql://u:pw@127.0.0.1:9/db"], "cannot reach PostGIS"),
        (["registry", "info", "{tmp}/future.gpkg"], "newer than this JalNet"),
        (["registry", "info", "{tmp}/damaged.gpkg"], "missing layer 'fhtc'"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "text.gpkg").write_text("not a database")
    assert main(["-q", "registry", "create", str(tmp_path / "ok.gpkg")]) == 0
    line = shapely.LineString([(91.4, 26.4), (91.5, 26.4)])
    gpd.GeoDataFrame({"pipe_id": ["X1"], "material": ["plastic"]}, geometry=[line], crs=4326).to_file(
        tmp_path / "bad_values.gpkg", layer="pipes"
    )
    for name, sql in (("future", "UPDATE jalnet_meta SET value='99' WHERE key='schema_version'"),
                      ("damaged", "DROP TABLE fhtc")):
        assert main(["-q", "registry", "create", str(tmp_path / f"{name}.gpkg")]) == 0
        conn = sqlite3.connect(tmp_path / f"{name}.gpkg")
        conn.execute(sql)
        conn.commit()
        conn.close()
    out = run("-q", *[a.format(tmp=tmp_path) for a in args])
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("jalnet: error:")
    assert message in lines[0]
    assert not (tmp_path / "new.gpkg").exists()


def test_usage_errors_exit_2():
    out = run("registry", "frobnicate")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr

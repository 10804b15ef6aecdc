"""``jalnet tracks import``: exit 0 when any file was imported, 2 when none was; never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import tracks_synth as ts

from jalnet.registry import content_digest, create_registry, open_registry


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jalnet", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def registry(tmp_path: Path) -> str:
    path = tmp_path / "reg.gpkg"
    create_registry(path, crs="EPSG:32646").close()
    return str(path)


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    gpx = ts.gpx11(tmp_path / "walk.gpx", [("BR-1", "HDPE 63 mm", [ts.walk(1, spikes=2)])])
    kml = ts.write(tmp_path / "export.kml", ts.kml(ts.folder(
        "WO-1", ts.placemark("BR-2", ts.line_string(ts.walk(2, dt=3.0, line=ts.truth_line(dx=1500))),
                             ts.data({"PIPE_NO": "P-9"})))))
    return [str(gpx), str(kml)]


def test_import_exits_0_and_prints_the_summary(registry: str, files: list[str]) -> None:
    out = run("-q", "tracks", "import", *files, "--registry", registry, "--map", "pipe_id=PIPE_NO")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "walk.gpx" in out.stdout and "export.kml" in out.stdout
    assert "2 of 2 file(s) imported: 2 pipe and 0 point candidate(s) staged; batch " in out.stdout
    assert "2 pts spike" in out.stdout and "jalnet registry undo" in out.stdout
    with open_registry(registry) as reg:
        pipes = reg.read("staged_pipes")
        assert pipes["pipe_id"].tolist()[1] == "P-9"
        assert list(reg.batches()["tool"]) == ["tracks import"]


def test_a_refused_file_is_a_warning_and_the_others_import(registry: str, files: list[str], tmp_path: Path) -> None:
    bad = ts.write(tmp_path / "broken.gpx", '<?xml version="1.0"?><gpx><trk><trkpt lat="26.4')
    out = run("-q", "tracks", "import", str(bad), *files, "--registry", registry)
    assert out.returncode == 0
    assert "Traceback" not in out.stderr + out.stdout
    assert f"jalnet: warning: refused: {bad}: not well-formed XML" in out.stderr
    assert "1 file(s) refused; the other files were imported (batch " in out.stderr
    with open_registry(registry) as reg:
        assert set(reg.read("staged_pipes")["source_file"]) == {"walk.gpx", "export.kml"}


def test_only_refused_files_leave_the_registry_unchanged(registry: str, tmp_path: Path) -> None:
    laughs = ts.write(tmp_path / "x.kml", '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>')
    with open_registry(registry) as reg:
        before = content_digest(reg)
    out = run("-q", "tracks", "import", str(laughs), "--registry", registry)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "DOCTYPE" in out.stderr and "nothing was written" in out.stderr
    with open_registry(registry) as reg:
        assert content_digest(reg) == before


def test_dry_run_json_and_report(registry: str, files: list[str], tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    out = run("-q", "tracks", "import", *files, "--registry", registry, "--dry-run", "--json", "--report", str(html))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["dry_run"] is True and data["batch_id"] is None and data["pipe_candidates"] == 2
    assert data["files"][0]["points_dropped"]["spike"] == 2
    assert "Contractor files imported" in html.read_text(encoding="utf-8")
    with open_registry(registry) as reg:
        assert reg.count("staged_pipes") == 0


def test_csv_columns_and_accuracy_options(registry: str, tmp_path: Path) -> None:
    w = ts.walk(3)
    w.acc[50:60] = 12.0
    lon, lat = w.lonlat
    rows = ["N,E,T,ERR"] + [f"{la:.7f},{lo:.7f},{tm},{a}" for la, lo, tm, a in zip(lat, lon, w.times(), w.acc)]
    path = ts.write(tmp_path / "log.csv", "\n".join(rows))
    out = run("-q", "tracks", "import", str(path), "--registry", registry)
    assert out.returncode == 2 and "no latitude and no longitude column (columns: N, E, T, ERR)" in out.stderr
    out = run("-q", "tracks", "import", str(path), "--registry", registry, "--columns", "lat=N,lon=E",
              "--columns", "time=T,accuracy=ERR", "--max-accuracy", "10")
    assert out.returncode == 0, out.stderr
    assert "10 pts low accuracy" in out.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--map", "pipeid=X"], "'pipeid' is not a field that can be mapped"),
    (["--map", "pipe_id"], "write NAME=VALUE"),
    (["--columns", "latitude=Y"], "'latitude' is not a CSV column role"),
    (["--mapping", "/nonexistent/map.json"], "mapping file /nonexistent/map.json does not exist"),
])  # fmt: skip
def test_bad_options_are_one_line_errors(registry: str, files: list[str], args: list[str], message: str) -> None:
    out = run("tracks", "import", *files, "--registry", registry, *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_registry_is_an_error(files: list[str], tmp_path: Path) -> None:
    out = run("tracks", "import", *files, "--registry", str(tmp_path / "none.gpkg"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "none.gpkg" in out.stderr


def test_a_folder_imports_its_track_files(registry: str, files: list[str], tmp_path: Path) -> None:
    out = run("-q", "tracks", "import", str(tmp_path), "--registry", registry)
    assert out.returncode == 0, out.stderr
    assert "2 of 2 file(s) imported" in out.stdout  # reg.gpkg is a registry, not a track file

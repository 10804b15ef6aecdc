"""Every scheme of a registry in parallel (Dask) or serially; a failing scheme is collected, not fatal."""

from __future__ import annotations

import pyogrio
import pytest

pytest.importorskip("wntr")

from jalnet.cli import main  # noqa: E402
from jalnet.feedback import NullFeedback  # noqa: E402
from jalnet.hydraulics.parallel import run_all  # noqa: E402
from jalnet.hydraulics.synthetic import add_schemes  # noqa: E402
from jalnet.registry import create_registry  # noqa: E402


@pytest.fixture(scope="module")
def schemes(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("par") / "state.gpkg")
    with create_registry(path, "EPSG:32646") as reg:
        ids = add_schemes(reg, 4, rows=3, cols=3)
        broken = reg.read("pipes", where={"scheme_id": ids[2]})
        with reg.batch("test", "a pipe loses its diameter") as b:
            b.update("pipes", int(broken.index[2]), {"diameter_mm": None})
    return path


def _check(report, out) -> None:
    assert report.schemes == 4 and report.scenarios_run == 3
    assert sorted(s["scheme_id"] for s in report.summaries) == ["GEN-00001", "GEN-00002", "GEN-00004"]
    assert all(s["scenario"] == "peak_hour" and s["kind"] == "peak_hour" for s in report.summaries)
    assert [(f["scheme_id"], f["scenario"]) for f in report.failures] == [("GEN-00003", "peak_hour")]
    assert "GEN-00003-P002 has no diameter_mm" in report.failures[0]["error"]
    comparison = pyogrio.read_dataframe(out, layer="comparison")
    assert sorted(comparison["scheme_id"]) == ["GEN-00001", "GEN-00002", "GEN-00004"]
    assert (comparison["households"] == 27).all()
    assert pyogrio.read_dataframe(out, layer="failures")["scheme_id"].tolist() == ["GEN-00003"]


def test_dask_runs_every_scheme_and_collects_the_failing_one(schemes, tmp_path) -> None:
    pytest.importorskip("distributed")
    fb = NullFeedback()
    out = tmp_path / "state_results.gpkg"
    report = run_all(schemes, scenarios="peak_hour", out=out, engine="dask", workers=2, chunk=1, feedback=fb)
    _check(report, out)
    assert report.engine == "dask" and report.workers == 2
    assert report.results == []  # the layers went to the file; only the comparison lines came back
    assert fb.progress == pytest.approx(100.0)
    assert any("GEN-00003 peak_hour failed" in m for m in fb.messages)


def test_serial_engine_gives_the_same(schemes, tmp_path) -> None:
    out = tmp_path / "serial.gpkg"
    report = run_all(schemes, scenarios="peak_hour", out=out, engine="serial", keep_results=True)
    _check(report, out)
    assert [r.summary for r in report.results] == report.summaries
    nodes = pyogrio.read_dataframe(out, layer="nodes")
    assert len(nodes) == sum(len(r.nodes) for r in report.results)


def test_cli_runs_one_scheme_and_reports_errors_in_one_line(schemes, tmp_path, capsys) -> None:
    out = tmp_path / "one.gpkg"
    assert main(["-q", "hydraulics", "run", "--registry", schemes, "--scheme", "GEN-00001", "--scenario",
                 "peak_hour", "--out", str(out)]) == 0
    assert "1 scenario run(s) of 1 scheme(s)" in capsys.readouterr().out
    assert main(["-q", "hydraulics", "build", "--registry", schemes, "--scheme", "GEN-00003"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GEN-00003-P002 has no diameter_mm" in err
    assert main(["-q", "hydraulics", "run", "--registry", schemes, "--scheme", "NOPE", "--out", str(out)]) == 2
    assert "NOPE" in capsys.readouterr().err

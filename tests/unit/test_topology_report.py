"""Error GeoPackage, data-health report, accepted exceptions and the ``jalnet network`` commands."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point
from topology_nets import make_registry, pipe, stage, variant

from jalnet.cli import main
from jalnet.errors import InputError
from jalnet.registry import open_registry
from jalnet.topology import accept_exception, health_report, read_findings, validate
from jalnet.topology.findings import LINE_LAYER, POINT_LAYER


def two_schemes() -> dict:
    """S1 with a crossing and a loose end; S2 (other division) with a missing diameter only."""
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P3"), "pipe_id": "P9", "contractor": "B", "from_node": "J4",
                            "to_node": None, "length_m": None, "geometry": LineString([(100, 100), (150, -40)])})
    layers["schemes"].append({"scheme_id": "S2", "name": "Scheme two", "division": "Div B", "district": "D"})
    layers["tanks"].append({"tank_id": "T2", "scheme_id": "S2", "tank_type": "OHT", "geometry": Point(500, 0)})
    layers["pipes"].append({**pipe(layers, "P1"), "pipe_id": "Q1", "scheme_id": "S2", "diameter_mm": None,
                            "from_node": None, "to_node": None, "length_m": None,
                            "geometry": LineString([(500, 0), (600, 0)])})
    layers["junctions"].append({"node_id": "K1", "scheme_id": "S2", "node_type": "end_cap", "geometry": Point(600, 0)})
    return layers


@pytest.fixture
def reg_path(tmp_path: Path) -> str:
    return make_registry(str(tmp_path / "two.gpkg"), two_schemes())


def test_error_geopackage_has_styled_point_and_line_layers(reg_path: str, tmp_path: Path) -> None:
    result = validate(reg_path)
    assert set(result.findings["rule"]) == {"NET-012", "NET-020", "NET-040"}
    out = result.write(tmp_path / "errors.gpkg")
    points = pyogrio.read_dataframe(out, layer=POINT_LAYER)
    lines = pyogrio.read_dataframe(out, layer=LINE_LAYER)
    assert set(points["rule"]) == {"NET-012", "NET-020"} and set(lines["rule"]) == {"NET-040"}
    assert points.crs.to_epsg() == 32646 and set(points["status"]) == {"open"}
    assert list(lines["scheme_id"]) == ["S2"] and list(lines["division"]) == ["Div B"]
    with sqlite3.connect(out) as conn:
        styles = dict(conn.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    assert set(styles) == {POINT_LAYER, LINE_LAYER} and "<qgis" in styles[POINT_LAYER]
    run = dict(pyogrio.read_dataframe(out, layer="validation_run")[["key", "value"]].to_numpy())
    assert run["error"] == "2" and run["warning"] == "1" and run["registry"].endswith("two.gpkg")
    again = read_findings(out)
    assert len(again) == len(result.findings) and set(again["fingerprint"]) == set(result.findings["fingerprint"])
    with pytest.raises(InputError, match="is a JalNet registry"):
        result.write(reg_path)


def test_health_report_puts_the_worst_scheme_first(reg_path: str) -> None:
    result = validate(reg_path)
    html, table = health_report(result, reg_path)
    assert list(table["scheme_id"]) == ["S1", "S2"]  # S1: an error and a warning; S2: one error
    s1 = table.set_index("scheme_id").loc["S1"]
    assert (s1["errors"], s1["warnings"], s1["NET-012"], s1["NET-020"]) == (1, 1, 1, 1)
    assert s1["pipes"] == 4 and s1["km"] == pytest.approx((300 + math.hypot(50, 140)) / 1000, abs=1e-3)
    assert table.set_index("scheme_id").loc["S2", "errors_per_km"] == pytest.approx(10.0)
    for text in ("Div A", "Div B", "Scheme two", "NET-040", "Divisions, worst first", "<img"):
        assert text in html
    assert html.index("Scheme one") < html.index("Scheme two")


def test_accepted_exception_is_not_reported_again(reg_path: str) -> None:
    first = validate(reg_path)
    crossing = first.findings[first.findings["rule"] == "NET-012"].iloc[0]
    with open_registry(reg_path) as reg:
        exception_id = accept_exception(reg, crossing["fingerprint"], "crosses 1 m below P2 (as-built drawing 12)",
                                        finding=crossing.to_dict())
        assert accept_exception(reg, crossing["fingerprint"], "again") == exception_id  # already accepted
        row = reg.read("network_exceptions").iloc[0]
        assert (row["rule"], row["asset_ids"]) == ("NET-012", "P2, P9")
        batch = reg.batches()["batch_id"].iloc[-1]
    again = validate(reg_path)
    assert again.accepted == 1 and "NET-012" not in set(again.findings["rule"])
    assert len(again.findings) == len(first.findings) - 1
    with open_registry(reg_path) as reg:  # accepting is an ordinary batch: it can be undone
        reg.undo(batch)
    assert "NET-012" in set(validate(reg_path).findings["rule"])


def test_accept_refuses_unknown_findings_and_missing_notes(reg_path: str) -> None:
    with open_registry(reg_path) as reg:
        with pytest.raises(InputError, match="no current finding has fingerprint 0123"):
            accept_exception(reg, "0123", "because")
        with pytest.raises(InputError, match="say why"):
            accept_exception(reg, "0123", " ")


def test_cli_validate_accept_and_rules(reg_path: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out, report, csv = tmp_path / "e.gpkg", tmp_path / "h.html", tmp_path / "h.csv"
    code = main(["-q", "network", "validate", "--registry", reg_path, "--out", str(out), "--report", str(report),
                 "--csv", str(csv), "--fail-on", "error"])
    assert code == 1 and out.exists() and report.exists()
    assert pd.read_csv(csv)["scheme_id"].tolist() == ["S1", "S2"]
    assert "2 errors, 1 warnings" in capsys.readouterr().out
    crossing = read_findings(out).query("rule == 'NET-012'")["fingerprint"].iloc[0]
    assert main(["network", "accept", "--registry", reg_path, "--fingerprint", crossing, "--note", "at depth",
                 "--errors", str(out)]) == 0
    assert main(["-q", "network", "validate", "--registry", reg_path, "--out", str(out), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert counts["counts"]["error"] == 1 and counts["accepted"] == 1
    assert main(["network", "rules", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    assert len(catalogue["rules"]) >= 28 and {"near_miss_m", "fhtc_max_distance_m"} <= {
        p["parameter"] for p in catalogue["parameters"]}


def test_cli_snap_dry_run_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = make_registry(str(tmp_path / "s.gpkg"), variant())
    stage(path, [{"geometry": LineString([(150, 3), (150, 60)])}])
    proposed = tmp_path / "proposed.gpkg"
    assert main(["-q", "network", "snap", "--registry", path, "--dry-run", "--out", str(proposed)]) == 0
    text = capsys.readouterr().out
    assert "dry run: nothing was written" in text and "added 1" in text
    assert {n for n, _ in pyogrio.list_layers(proposed)} == {"snap_lines", "snap_points"}
    assert main(["-q", "network", "validate", "--registry", path, "--out", str(tmp_path / "x.gpkg"),
                 "--param", "near_miss_m=ten"]) == 2
    assert "near_miss_m: 'ten' is not a number" in capsys.readouterr().err
    assert main(["-q", "network", "snap", "--registry", path, "--batch", "NOPE"]) == 2

"""Data health over the whole registry: each fault class injected into a copy of the sample is found by the right
rule on the right asset, the clean sample gives no finding, runs are kept and compared, the dashboard is offline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from jalnet.demo import sample_crs
from jalnet.health import check_health, run_health
from jalnet.registry import Registry, create_registry, load_layers, open_registry
from jalnet.samples import DATA_DIR, sample_path
from jalnet.topology import accept_exception

pytestmark = pytest.mark.skipif(not (DATA_DIR / "contractor" / "truth.gpkg").exists(),
                                reason="sample data not generated (python scripts/make_sample_data.py)")


def contractor_registry(path: Path, points: bool) -> Path:
    """The sample scheme with the contractor's walks snapped in (and their tap and valve points, if *points*)."""
    from jalnet.topology import snap
    from jalnet.tracks import expand_paths, import_tracks

    with create_registry(path, crs=sample_crs()) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
    report = import_tracks(str(path), expand_paths([sample_path("contractor")], skip=("truth.gpkg",)))
    if not points:
        with open_registry(path) as reg, reg.batch("test", "contractor pipes only") as b:
            b.delete("staged_points", [int(i) for i in reg.read("staged_points").index])
    snap(str(path), batch=report.batch_id, tolerance=15.0)
    return path


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample registry with the contractor's pipes snapped in (not their taps: those lack household ids)
    and the lithologs."""
    from jalnet.geology import import_lithologs

    path = contractor_registry(tmp_path_factory.mktemp("health") / "clean.gpkg", points=False)
    folder = sample_path("lithology")
    with open_registry(path) as reg:
        import_lithologs(reg, folder / "boreholes.csv", folder / "intervals.csv", folder / "construction.csv")
    return path


@pytest.fixture
def copy(clean: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(clean, tmp_path / "registry.gpkg"))


def test_contractor_taps_without_household_id_are_named(tmp_path: Path) -> None:
    """Taps a contractor captured as points become assets without a household ID: health names each one."""
    path = contractor_registry(tmp_path / "points.gpkg", points=True)
    with open_registry(path, readonly=True) as reg:
        taps = reg.read("fhtc")
        added = reg.read("staged_points")
    new = set(added["message"].str.extract(r"added as tap connection (\S+)")[0].dropna())
    assert len(new) >= 10 and new <= set(taps["fhtc_id"])
    found = check_health(path, store=False).findings
    named = set(found.loc[found["rule"] == "REG-001", "asset_ids"])
    assert named == new  # each promoted tap, and no tap of the sample scheme (they have household ids)


def test_clean_sample_has_no_finding_in_any_module(clean: Path, tmp_path: Path) -> None:
    path = Path(shutil.copy(clean, tmp_path / "c.gpkg"))
    with open_registry(path) as reg, reg.batch("test", "the sample scheme is looped") as batch:
        batch.update("schemes", int(reg.read("schemes").index[0]), {"layout": "looped"})
    result = check_health(path, store=False)
    assert result.findings.empty, result.findings[["rule", "asset_ids", "message"]].to_string()
    assert result.schemes["score"].tolist() == [100.0]
    assert result.modules["hydraulics"].startswith("no scheme has a stored hydraulic run")
    assert all(result.modules[m] == "checked" for m in ("network", "registry", "geology", "gatishakti"))


# -- the fault classes: each edits the copy and returns the (rule, asset id) that must be found --------------------
def _pipe_row(reg: Registry, k: int = 3):
    pipes = reg.read("pipes")
    return pipes, pipes.iloc[[k]].copy()


def dangling_end(reg: Registry) -> tuple[str, str]:
    pipes, row = _pipe_row(reg)
    x, y = row.geometry.iloc[0].coords[-1]
    row["pipe_id"], row["geometry"] = "P-DANGLE", [LineString([(x, y), (x + 40, y + 45)])]
    with reg.batch("test", "dangle") as b:
        b.insert("pipes", row)
    return "NET-020", "P-DANGLE"


def crossing_without_node(reg: Registry) -> tuple[str, str]:
    pipes, row = _pipe_row(reg)
    line = pipes.geometry.iloc[3]
    mid = line.interpolate(0.5, normalized=True)
    a, b_ = line.interpolate(0.45, normalized=True), line.interpolate(0.55, normalized=True)
    dx, dy = b_.y - a.y, -(b_.x - a.x)  # perpendicular to the pipe
    norm = float(np.hypot(dx, dy))
    dx, dy = 30 * dx / norm, 30 * dy / norm
    row["pipe_id"], row["geometry"] = "P-CROSS", [LineString([(mid.x - dx, mid.y - dy), (mid.x + dx, mid.y + dy)])]
    with reg.batch("test", "cross") as b:
        b.insert("pipes", row)
    return "NET-012", "P-CROSS"


def duplicate_pipe(reg: Registry) -> tuple[str, str]:
    _, row = _pipe_row(reg)
    row["pipe_id"] = "P-TWICE"
    with reg.batch("test", "dup") as b:
        b.insert("pipes", row)
    return "NET-010", "P-TWICE"


def duplicate_pipe_gatishakti(reg: Registry) -> tuple[str, str]:
    duplicate_pipe(reg)
    return "GS-duplicate_feature", "P-TWICE"


def missing_diameter(reg: Registry) -> tuple[str, str]:
    pipes = reg.read("pipes")
    with reg.batch("test", "dia") as b:
        b.update("pipes", int(pipes.index[5]), {"diameter_mm": None})
    return "NET-040", str(pipes["pipe_id"].iloc[5])


def tap_far_away(reg: Registry) -> tuple[str, str]:
    taps = reg.read("fhtc")
    p = taps.geometry.iloc[0]
    with reg.batch("test", "far tap") as b:
        b.update("fhtc", int(taps.index[0]), geometry=Point(p.x + 931, p.y + 400))
    return "NET-051", str(taps["fhtc_id"].iloc[0])


def unknown_scheme(reg: Registry) -> tuple[str, str]:
    valves = reg.read("valves")
    with reg.batch("test", "scheme") as b:
        b.update("valves", int(valves.index[0]), {"scheme_id": "9999999"})
    return "NET-053", str(valves["valve_id"].iloc[0])


def asset_without_scheme(reg: Registry) -> tuple[str, str]:
    junctions = reg.read("junctions")
    with reg.batch("test", "no scheme") as b:
        b.update("junctions", int(junctions.index[2]), {"scheme_id": None})
    return "NET-052", str(junctions["node_id"].iloc[2])


def unfed_ground_tank(reg: Registry) -> tuple[str, str]:
    tank = reg.read("tanks").iloc[[0]].copy()
    x, y = tank.geometry.iloc[0].x + 1500, tank.geometry.iloc[0].y
    tank["tank_id"], tank["tank_type"], tank["geometry"] = "GSR-09", "GSR", [Point(x, y)]
    _, row = _pipe_row(reg)
    row["pipe_id"], row["geometry"] = "P-GSR", [LineString([(x, y), (x + 120, y + 10)])]
    with reg.batch("test", "tank") as b:
        b.insert("tanks", tank)
        b.insert("pipes", row)
    return "NET-032", "GSR-09"


def loop_in_branched_scheme(reg: Registry) -> tuple[str, str]:
    """A pipe joining the far ends of two branches, in a scheme the department records as branched."""
    pipes = reg.read("pipes")
    junctions = reg.read("junctions")
    caps = junctions[junctions["node_type"] == "end_cap"]
    xy = np.array([(g.x, g.y) for g in caps.geometry])
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) + np.eye(len(xy)) * 1e9
    i, j = np.unravel_index(np.argmin(d), d.shape)
    row = pipes.iloc[[0]].copy()
    row["pipe_id"], row["from_node"], row["to_node"] = "P-LOOP", None, None
    row["geometry"] = [LineString([tuple(xy[i]), tuple(xy[j])])]
    with reg.batch("test", "loop") as b:
        b.update("schemes", int(reg.read("schemes").index[0]), {"layout": "branched"})
        b.insert("pipes", row)
    return "NET-033", "P-LOOP"


def drawn_reversed(reg: Registry) -> tuple[str, str]:
    pipes = reg.read("pipes")
    junctions = reg.read("junctions")
    tree = shapely.STRtree(np.asarray(junctions.geometry.values))
    for fid, line, pid in zip(pipes.index, pipes.geometry, pipes["pipe_id"]):
        a, b_ = (tree.query_nearest(Point(line.coords[k]), max_distance=0.5) for k in (0, -1))
        if len(a) and len(b_):
            start, end = junctions["node_id"].iloc[a[0]], junctions["node_id"].iloc[b_[0]]
            with reg.batch("test", "reversed") as b:
                b.update("pipes", int(fid), {"from_node": end, "to_node": start})
            return "NET-026", str(pid)
    raise AssertionError("no pipe between two junctions")


def tap_without_household(reg: Registry) -> tuple[str, str]:
    taps = reg.read("fhtc")
    with reg.batch("test", "household") as b:
        b.update("fhtc", int(taps.index[7]), {"household_id": None})
    return "REG-001", str(taps["fhtc_id"].iloc[7])


def two_taps_one_household(reg: Registry) -> tuple[str, str]:
    taps = reg.read("fhtc")
    with reg.batch("test", "household") as b:
        b.update("fhtc", int(taps.index[9]), {"household_id": taps["household_id"].iloc[8]})
    return "REG-002", str(taps["fhtc_id"].iloc[9])


def scheme_without_source_or_village(reg: Registry, code: str) -> tuple[str, str]:
    scheme = reg.read("schemes").iloc[[0]].copy()
    scheme["scheme_id"], scheme["name"] = "4019999", "Empty scheme"
    with reg.batch("test", "scheme") as b:
        b.insert("schemes", scheme)
    return code, "4019999"


def future_date(reg: Registry) -> tuple[str, str]:
    pipes = reg.read("pipes")
    with reg.batch("test", "date") as b:
        b.update("pipes", int(pipes.index[1]), {"laid_date": "2099-01-31"})
    return "REG-005", str(pipes["pipe_id"].iloc[1])


def source_without_records(reg: Registry, code: str) -> tuple[str, str]:
    source = reg.read("sources").iloc[[0]].copy()
    x, y = source.geometry.iloc[0].x, source.geometry.iloc[0].y
    source["source_id"], source["yield_lpm"], source["geometry"] = "SRC-09", None, [Point(x + 5, y)]
    with reg.batch("test", "source") as b:
        b.insert("sources", source)
    return code, "SRC-09"


def screen_in_clay(reg: Registry) -> tuple[str, str]:
    cons = reg.read("construction_intervals")
    screens = cons[cons["kind"] == "screen"]
    ivs = reg.read("lithology_intervals")
    bid = str(screens["borehole_id"].iloc[0])
    clay = ivs[(ivs["borehole_id"] == bid) & ~ivs["aquifer"].astype(bool)].iloc[0]
    with reg.batch("test", "screen") as b:
        b.update("construction_intervals", int(screens.index[0]), {"from_m": float(clay["from_m"]),
                                                                   "to_m": float(clay["to_m"])})
    return "screen_not_in_aquifer", bid


FAULTS: dict[str, Callable[[Registry], tuple[str, str]]] = {
    "dangling end": dangling_end, "crossing without node": crossing_without_node, "duplicate pipe": duplicate_pipe,
    "duplicate pipe (Gati Shakti)": duplicate_pipe_gatishakti, "missing diameter": missing_diameter,
    "tap 931 m from the pipes": tap_far_away, "unknown scheme id": unknown_scheme,
    "asset without scheme": asset_without_scheme, "ground tank nothing fills": unfed_ground_tank,
    "loop in a branched scheme": loop_in_branched_scheme, "drawn against from/to": drawn_reversed,
    "tap without household id": tap_without_household, "two taps for one household": two_taps_one_household,
    "scheme without a source": lambda reg: scheme_without_source_or_village(reg, "REG-003"),
    "scheme without a village": lambda reg: scheme_without_source_or_village(reg, "REG-004"),
    "install date in the future": future_date,
    "source without a yield record": lambda reg: source_without_records(reg, "REG-006"),
    "source without a water-quality record": lambda reg: source_without_records(reg, "REG-007"),
    "screen outside the aquifer": screen_in_clay,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_injected_fault_is_found_with_rule_and_asset(copy: Path, fault: str) -> None:
    with open_registry(copy) as reg:
        rule, asset = FAULTS[fault](reg)
    found = check_health(copy, store=False).findings
    hits = found[found["rule"] == rule]
    ids = {a.strip() for text in hits["asset_ids"] for a in str(text).split(",")}
    assert asset in ids, f"{fault}: {rule} on {asset} not found; got\n" + \
        found[["rule", "asset_ids", "message"]].to_string()


def test_runs_are_kept_and_compared(copy: Path, tmp_path: Path) -> None:
    first = check_health(copy)
    assert first.run_id and first.findings.empty and first.previous is None
    with open_registry(copy) as reg:
        rule, asset = missing_diameter(reg)
        duplicate_pipe(reg)
    second = check_health(copy)
    assert second.previous["run_id"] == first.run_id
    assert second.trend_counts == {"new": len(second.findings), "open": 0, "fixed": 0}
    target = second.findings[second.findings["rule"] == rule].iloc[0]
    with open_registry(copy) as reg:
        pipes = reg.read("pipes", {"pipe_id": asset})
        with reg.batch("test", "fix") as b:
            b.update("pipes", int(pipes.index[0]), {"diameter_mm": 110.0})
        accept_exception(reg, str(second.findings[second.findings["rule"] == "NET-010"]["fingerprint"].iloc[0]),
                         "checked on site: two parallel mains", finding={"rule": "NET-010", "layer": "pipes"})
    third = check_health(copy)
    assert target["fingerprint"] in set(third.fixed["fingerprint"])
    assert "NET-010" not in set(third.findings["rule"]) and third.accepted == 1
    assert set(third.findings["trend"]) <= {"open"}
    assert (third.findings["first_seen"] == second.started).all()
    with open_registry(copy, readonly=True) as reg:
        runs = reg.read("health_runs")
        assert len(runs) == 3 and runs["fixed"].tolist()[-1] >= 1
        kept = reg.read("health_findings", {"run_id": third.run_id})
        assert "fixed" in set(kept["status"])


def test_files_and_offline_dashboard(copy: Path, tmp_path: Path) -> None:
    with open_registry(copy) as reg:
        unfed_ground_tank(reg)
        crossing_without_node(reg)
    result = run_health(copy, tmp_path / "health.gpkg", tmp_path / "health.html")
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "health.gpkg")}
    assert {"findings_points", "findings_lines", "scheme_health", "schemes_by_score", "divisions_by_score",
            "districts_by_score", "validation_run", "layer_styles"} <= layers
    areas = pyogrio.read_dataframe(tmp_path / "health.gpkg", layer="scheme_health")
    assert areas["score"].tolist() == result.schemes["score"].tolist() and areas["score"].iloc[0] < 100
    points = pyogrio.read_dataframe(tmp_path / "health.gpkg", layer="findings_points")
    assert {"rule", "module", "severity", "layer", "asset_ids", "scheme_id", "division", "district", "fingerprint",
            "first_seen", "trend", "status"} <= set(points.columns)
    html = (tmp_path / "health.html").read_text(encoding="utf-8")
    assert "<svg" in html and "GSR-09" in html and "id='scheme-4010457'" in html
    assert "<script" not in html and "<link" not in html and "https://" not in html


def test_bad_input_is_one_clear_line(copy: Path, tmp_path: Path) -> None:
    from jalnet.errors import InputError

    with pytest.raises(InputError, match="scheme 42 is not in"):
        check_health(copy, scheme="42", store=False)
    with pytest.raises(InputError, match="must end with .gpkg"):
        run_health(copy, tmp_path / "health.txt")


def test_cli_exit_codes_and_json(copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    from jalnet.cli import main

    assert main(["health", "--registry", str(copy), "--no-store", "--fail-on", "error"]) == 0
    with open_registry(copy) as reg:
        missing_diameter(reg)
    capsys.readouterr()
    assert main(["health", "--registry", str(copy), "--fail-on", "error", "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["counts"]["error"] >= 1 and got["run_id"] and got["schemes"][0]["score"] < 100
    assert main(["health", "--registry", str(tmp_path / "none.gpkg")]) == 2


# -- hydraulic service norms from the last stored run ------------------------------------------------------------
SCHEME = "4010457"
DEM = str(sample_path("dem.tif"))  # for the contractor's new junctions, which have no elevation


def _hyd(found):
    return found[found["module"] == "hydraulics"]


def raised_junction(reg: Registry) -> tuple[str, str]:
    """A junction surveyed 14 m too high: its pressure falls below the 7 m norm."""
    junctions = reg.read("junctions", {"node_id": "J-0005"})
    with reg.batch("test", "junction elevation") as b:
        b.update("junctions", int(junctions.index[0]), {"elevation_m": float(junctions["elevation_m"].iloc[0]) + 14})
    return "HYD-001", "J-0005"


def narrow_main(reg: Registry) -> tuple[str, str]:
    """A 200 mm gravity main entered as 32 mm: the peak flow runs through it above 3 m/s."""
    pipes = reg.read("pipes", {"pipe_id": "P-0002"})
    with reg.batch("test", "pipe diameter") as b:
        b.update("pipes", int(pipes.index[0]), {"diameter_mm": 32.0})
    return "HYD-003", "P-0002"


def test_hydraulic_runs_are_stored_with_their_settings(copy: Path) -> None:
    from jalnet.hydraulics import run_scenario

    assert _hyd(check_health(copy, store=False).findings).empty
    (result,) = run_scenario(copy, SCHEME, "peak_hour", dem=DEM, params={"lpcd": 55})
    with open_registry(copy, readonly=True) as reg:
        runs = reg.read("hyd_runs")
        nodes = reg.read("hyd_run_nodes", {"run_id": result.summary["run_id"]})
        links = reg.read("hyd_run_links", {"run_id": result.summary["run_id"]})
        junctions, pipes = reg.read("junctions"), reg.read("pipes")
        batch = reg.batches().iloc[-1]
    run = runs.iloc[-1]
    assert run["run_id"] == result.summary["run_id"] == "RUN-0001"
    assert (run["scheme_id"], run["scenario"], run["kind"]) == (SCHEME, "peak_hour", "peak_hour")
    assert run["engine"].startswith("WNTR") and run["run_by"] == batch["username"] and run["started"] is not None
    assert '"lpcd": 55' in run["settings"] and '"min_pressure_m": 7.0' in run["settings"]
    assert batch["tool"] == "hydraulics run"
    assert set(nodes["asset_id"]) <= set(junctions["node_id"]) and len(nodes) == run["junctions"]
    assert set(links["asset_id"]) == set(pipes["pipe_id"])
    assert nodes["pressure_min_m"].min() == pytest.approx(run["pressure_min_m"], abs=1e-3)
    assert links["velocity_max_ms"].max() == pytest.approx(run["velocity_max_ms"], abs=1e-3)


def test_clean_run_gives_no_hydraulic_finding(copy: Path) -> None:
    from jalnet.cli import main

    args = ["hydraulics", "run", "--registry", str(copy), "--scheme", SCHEME, "--scenario", "peak_hour",
            "--out", str(copy.with_name("results.gpkg")), "--dem", DEM]
    assert main([*args, "--no-store"]) == 0
    with open_registry(copy, readonly=True) as reg:
        assert reg.count("hyd_runs") == 0
    assert main(args) == 0
    with open_registry(copy, readonly=True) as reg:
        assert reg.count("hyd_runs") == 1
    result = check_health(copy, store=False)
    assert result.modules["hydraulics"] == "checked"
    assert _hyd(result.findings).empty, result.findings[["rule", "asset_ids", "message"]].to_string()


@pytest.mark.parametrize("inject", [raised_junction, narrow_main], ids=["low pressure", "high velocity"])
def test_injected_service_fault_is_found_from_the_last_run(copy: Path, inject: Callable) -> None:
    from jalnet.hydraulics import run_all, run_scenario

    run_scenario(copy, SCHEME, "peak_hour", dem=DEM)
    with open_registry(copy) as reg:
        rule, asset = inject(reg)
    assert _hyd(check_health(copy, store=False).findings).empty  # the stored run is from before the fault
    report = run_all(str(copy), schemes=[SCHEME], scenarios=["peak_hour", "design_year"], engine="serial",
                     dem=DEM)
    found = _hyd(check_health(copy, store=False).findings)
    hits = found[found["rule"] == rule]
    assert asset in set(hits["asset_ids"]), found[["rule", "asset_ids", "message"]].to_string()
    hit = hits[hits["asset_ids"] == asset].iloc[0]
    assert hit["scheme_id"] == SCHEME and hit["geometry"] is not None and report.run_ids[0] in hit["message"]
    assert "peak_hour" in hit["message"]  # design_year ran later but is a what-if, not today's service
    if rule == "HYD-001":
        assert set(found["asset_ids"]) == {asset}  # only the raised junction


def test_scheme_without_a_stored_run_is_named(tmp_path: Path) -> None:
    from jalnet.hydraulics import run_scenario

    path = tmp_path / "two.gpkg"
    with create_registry(path, crs=sample_crs()) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
        pipes = reg.read("pipes")
        other = pipes.iloc[:2].copy()
        other["pipe_id"], other["scheme_id"] = ["Q-1", "Q-2"], "4010999"
        other["geometry"] = other.geometry.translate(5000, 0)
        with reg.batch("test", "second scheme") as b:
            b.insert("schemes", [{"scheme_id": "4010999", "name": "Second"}])
            b.insert("pipes", other)
    run_scenario(path, SCHEME, "peak_hour")
    why = check_health(path, store=False).modules["hydraulics"]
    assert why.startswith("checked 1 scheme(s)") and "4010999" in why and SCHEME not in why


def test_a_v3_registry_is_upgraded_to_hold_runs(copy: Path) -> None:
    import sqlite3

    from jalnet.hydraulics import run_scenario

    con = sqlite3.connect(copy)  # the registry as schema v3 wrote it: without the run tables
    for table in ("hyd_runs", "hyd_run_nodes", "hyd_run_links"):
        con.execute(f'DROP TABLE "{table}"')
        for meta in ("gpkg_contents", "gpkg_data_columns", "gpkg_extensions"):
            con.execute(f"DELETE FROM {meta} WHERE table_name = ?", (table,))
        con.execute("DELETE FROM gpkg_data_column_constraints WHERE constraint_name LIKE ?", (f"{table}_%",))
    con.execute("UPDATE jalnet_meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with open_registry(copy, readonly=True) as reg:
        assert reg.schema_version == 3
        pipes = reg.count("pipes")
    why = check_health(copy, store=False).modules["hydraulics"]
    assert why.startswith("the registry is schema v3")
    (result,) = run_scenario(copy, SCHEME, "peak_hour", dem=DEM)
    with open_registry(copy, readonly=True) as reg:
        assert reg.schema_version == 4 and reg.count("pipes") == pipes
        assert reg.read("hyd_runs")["run_id"].tolist() == [result.summary["run_id"]]
    assert check_health(copy, store=False).modules["hydraulics"] == "checked"


def test_runs_stored_in_postgis_are_read_back(pg_target: str) -> None:
    from jalnet.hydraulics import run_all

    with create_registry(pg_target, crs=sample_crs()) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
        junctions = reg.read("junctions", {"node_id": "J-0005"})
        with reg.batch("test", "junction elevation") as b:
            b.update("junctions", int(junctions.index[0]), {"elevation_m": float(junctions["elevation_m"].iloc[0]) + 14})
    report = run_all(pg_target, schemes=[SCHEME], scenarios=["peak_hour"], engine="serial")
    with open_registry(pg_target, readonly=True) as reg:
        runs, nodes = reg.read("hyd_runs"), reg.read("hyd_run_nodes")
    assert runs["run_id"].tolist() == report.run_ids == ["RUN-0001"]
    assert not nodes["cut_off"].astype(bool).any() and len(nodes) == runs["junctions"].iloc[0]
    found = _hyd(check_health(pg_target, store=False).findings)
    assert found[["rule", "asset_ids"]].values.tolist() == [["HYD-001", "J-0005"]]

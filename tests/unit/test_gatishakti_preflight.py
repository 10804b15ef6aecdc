"""The pre-flight check refuses a registry with each kind of fault, naming layer, feature and field."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import shapely
from gatishakti_support import SCHEME, copy_registry_file, drop_unique, make_sample_registry, sql

from jalnet.cli import main
from jalnet.errors import InputError
from jalnet.gatishakti import PreflightFailed, check_export, export_package
from jalnet.gatishakti.geometry import TOLERANCE
from jalnet.registry import open_registry


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_registry(tmp_path_factory.mktemp("gs_base") / "registry.gpkg")


@pytest.fixture
def registry(base: Path, tmp_path: Path) -> Path:
    return copy_registry_file(base, tmp_path)


def _fid(path: Path, table: str, key: str, value: str) -> int:
    return sql(path, f'SELECT fid FROM "{table}" WHERE "{key}" = ?', (value,))[0][0]


def _edit(path: Path, layer: str, key: str, value: str, values: dict, geometry=None) -> int:
    fid = _fid(path, layer, key, value)
    with open_registry(path) as reg, reg.batch("test", "make a fault") as b:
        b.update(layer, fid, values, geometry)
    return fid


def _refuses(registry: Path, tmp_path: Path, kind: str, **kwargs) -> list:
    """The check finds faults of this kind and the export refuses, writing nothing."""
    check = check_export(registry, **kwargs)
    assert not check.ok
    found = [f for f in check.faults if f.kind == kind]
    assert found, check.text()
    out = tmp_path / "out.zip"
    with pytest.raises(PreflightFailed) as err:
        export_package(registry, out, **kwargs)
    assert "nothing was written" in str(err.value)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    return found


def test_clean_sample_passes(registry: Path) -> None:
    check = check_export(registry, layers=["jjm_pipeline", "jjm_source", "jjm_fhtc", "jjm_village", "jjm_valve"])
    assert check.ok, check.text()
    assert check.schemes == [SCHEME] and not check.repairs
    assert "PASSED" in check.text()


def test_empty_mandatory_value(registry: Path, tmp_path: Path) -> None:
    fid = _edit(registry, "pipes", "pipe_id", "P-0007", {"material": None})
    found = _refuses(registry, tmp_path, "mandatory_empty")
    assert [(f.layer, f.feature, f.fid, f.field) for f in found] == [("jjm_pipeline", "P-0007", fid, "material")]
    assert f"jjm_pipeline P-0007 (fid {fid}): material is mandatory but empty" in check_export(registry).text()


def test_code_outside_the_profile_list(registry: Path, tmp_path: Path) -> None:
    _edit(registry, "pipes", "pipe_id", "P-0012", {"material": "MDPE"})
    assert check_export(registry).ok  # the default profile lists every registry material
    found = _refuses(registry, tmp_path, "code_not_in_list", profile="state_gis_cell_example")
    assert [(f.layer, f.feature, f.field) for f in found] == [("WS_PIPELINE", "P-0012", "PIPE_MATERIAL")]
    assert "'MDPE' is not in the profile's code list" in found[0].message


def test_code_outside_the_registry_domain(registry: Path, tmp_path: Path) -> None:
    con = sqlite3.connect(registry)  # as a registry edited by a tool that ignored the domain constraint
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, lambda geom: 0)  # named by the rtree triggers; no geometry changes here
    con.execute("PRAGMA ignore_check_constraints = ON")
    con.execute("UPDATE tanks SET tank_type = 'ESR' WHERE tank_id = 'OHT-01'")
    con.commit()
    con.close()
    found = _refuses(registry, tmp_path, "code_not_in_list")
    assert [(f.layer, f.feature, f.field) for f in found] == [("jjm_reservoir", "OHT-01", "tank_type")]


def test_geometry_that_cannot_be_repaired(registry: Path, tmp_path: Path) -> None:
    with open_registry(registry, readonly=True) as reg:
        start = reg.read("pipes", where={"pipe_id": "P-0020"}).geometry.iloc[0].coords[0]
    fid = _edit(registry, "pipes", "pipe_id", "P-0020", {}, shapely.LineString([start, start]))
    found = _refuses(registry, tmp_path, "geometry")
    assert [(f.layer, f.feature, f.fid) for f in found] == [("jjm_pipeline", "P-0020", fid)]
    assert "zero length" in found[0].message


def _bowtie(village: shapely.MultiPolygon, size: float) -> shapely.MultiPolygon:
    """The village with a twist at its first corner: the ring crosses itself, leaving a lobe of about size² m²."""
    ring = list(village.geoms[0].exterior.coords)[:-1]
    (x, y), (nx, ny) = ring[0], ring[1]
    length = ((nx - x) ** 2 + (ny - y) ** 2) ** 0.5
    ux, uy = (nx - x) / length, (ny - y) / length

    def at(along: float, across: float) -> tuple[float, float]:
        return x + ux * along - uy * across, y + uy * along + ux * across

    # P0 -> (3s, -2s) -> (0, -s) -> P1: the second and fourth edges cross about 1.5 s along the first edge
    return shapely.MultiPolygon([shapely.Polygon([ring[0], at(3 * size, -2 * size), at(0, -size)] + ring[1:])])


def test_invalid_polygon_repaired_when_safe_refused_when_not(registry: Path, tmp_path: Path) -> None:
    with open_registry(registry, readonly=True) as reg:
        village = reg.read("villages", where={"village_id": "300509"}).geometry.iloc[0]
    small = _bowtie(village, 3.0)
    assert not small.is_valid
    _edit(registry, "villages", "village_id", "300509", {}, small)
    check = check_export(registry, layers=["jjm_village"])
    assert check.ok, check.text()
    assert [(r.layer, r.feature) for r in check.repairs] == [("jjm_village", "300509")]
    mapped = check.layers[0].geometry
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in mapped)
    result = export_package(registry, tmp_path / "ok.zip", layers=["jjm_village"], formats="geojson")
    assert result.manifest["layers"][0]["repaired_geometries"] == 1
    big = _bowtie(village, 150.0)
    _edit(registry, "villages", "village_id", "300509", {}, big)
    found = _refuses(registry, tmp_path, "geometry", layers=["jjm_village"])
    assert found[0].feature == "300509" and "would change its area" in found[0].message
    assert TOLERANCE == 1e-3


def test_ids_not_unique(registry: Path, tmp_path: Path) -> None:
    drop_unique(registry, "pipes")
    con = sqlite3.connect(registry)
    columns = [r[1] for r in con.execute('PRAGMA table_info("pipes")') if r[1] != "fid"]
    names = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"INSERT INTO pipes ({names}) SELECT {names} FROM pipes WHERE pipe_id = 'P-0002'")
    con.commit()
    con.close()
    fids = [r[0] for r in sql(registry, "SELECT fid FROM pipes WHERE pipe_id = 'P-0002' ORDER BY fid")]
    assert len(fids) == 2
    found = _refuses(registry, tmp_path, "duplicate_id")
    assert {(f.field, f.fid) for f in found} == {(field, fid) for field in ("asset_uid", "asset_id") for fid in fids}
    assert f"(also fid {fids[1]})" in next(f.message for f in found if f.fid == fids[0])


def test_unknown_scheme_and_too_long_values(registry: Path, tmp_path: Path) -> None:
    _edit(registry, "pipes", "pipe_id", "P-0030", {"scheme_id": "4019999"})
    found = _refuses(registry, tmp_path, "unknown_scheme")
    assert [(f.feature, f.field) for f in found] == [("P-0030", "scheme_id")]
    _edit(registry, "pipes", "pipe_id", "P-0030", {"scheme_id": SCHEME, "pipe_id": "P-" + "9" * 40})
    found = _refuses(registry, tmp_path, "too_long")
    assert {f.field for f in found} == {"asset_id"}  # asset_uid (60 characters) still holds it
    assert "has 42 characters, the field holds 30" in next(f.message for f in found if f.field == "asset_id")


def test_every_fault_kind_in_one_report(registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _edit(registry, "pipes", "pipe_id", "P-0007", {"diameter_mm": None})
    _edit(registry, "pumps", "pump_id", "PMP-01", {"pump_type": None})
    with open_registry(registry, readonly=True) as reg:
        start = reg.read("pipes", where={"pipe_id": "P-0020"}).geometry.iloc[0].coords[0]
    _edit(registry, "pipes", "pipe_id", "P-0020", {}, shapely.LineString([start, start]))
    report = tmp_path / "report.html"
    code = main(["gatishakti", "export", "--registry", str(registry), "--out", str(tmp_path / "x.zip"),
                 "--report", str(report)])
    assert code == 2
    captured = capsys.readouterr()
    assert "FAILED, 3 fault(s)" in captured.out
    assert "jjm_pipeline P-0007" in captured.out and "dia_mm is mandatory but empty" in captured.out
    assert "jjm_pump PMP-01" in captured.out and "jjm_pipeline P-0020" in captured.out
    assert "jalnet: error: pre-flight check found 3 fault(s) (2 mandatory value empty, 1 geometry" in captured.err
    assert not (tmp_path / "x.zip").exists()
    html = report.read_text(encoding="utf-8")
    assert "Mandatory value empty (2)" in html and "Geometry that cannot be repaired (1)" in html and "P-0020" in html
    assert main(["-q", "gatishakti", "check", "--registry", str(registry)]) == 1  # findings, not a user error
    assert main(["-q", "gatishakti", "export", "--registry", str(registry), "--check"]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["-q", "gatishakti", "check", "--registry", str(registry), "--fail-on", "never"]) == 0
    assert not (tmp_path / "x.zip").exists()


def test_scheme_filter(registry: Path) -> None:
    check = check_export(registry, scheme=SCHEME)
    assert check.ok and check.layers[0].count == 41
    with pytest.raises(InputError, match="scheme 'X' is not in registry"):
        check_export(registry, scheme="X")


def test_pipe_entered_twice_is_refused(registry: Path, tmp_path: Path) -> None:
    with open_registry(registry) as reg:
        pipes = reg.read("pipes")
        twin = pipes.iloc[[2]].copy()
        twin["pipe_id"] = "P-TWIN"
        twin["geometry"] = [shapely.reverse(twin.geometry.iloc[0])]  # drawn the other way round
        with reg.batch("test", "a pipe entered twice") as b:
            b.insert("pipes", twin)
    found = _refuses(registry, tmp_path, "duplicate_feature", layers=["jjm_pipeline"])
    assert [f.feature for f in found] == ["P-TWIN"]
    assert str(pipes["pipe_id"].iloc[2]) in found[0].message and "entered twice" in found[0].message

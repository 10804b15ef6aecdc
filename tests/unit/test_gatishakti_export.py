"""The PM Gati Shakti package read back without JalNet: CRS, counts, fields, mandatory values, no personal data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from gatishakti_support import (
    SCHEME,
    dbf_fields,
    dbf_records,
    gpkg_lonlat_bounds,
    make_sample_registry,
    shp_bbox,
    sql,
)

from jalnet.cli import main
from jalnet.errors import Canceled, InputError
from jalnet.feedback import NullFeedback
from jalnet.gatishakti import export_package, load_profile
from jalnet.gatishakti import package as package_module

KML = "{http://www.opengis.net/kml/2.2}"
GMD = "{http://www.isotc211.org/2005/gmd}"
GCO = "{http://www.isotc211.org/2005/gco}"
LAYERS = ["jjm_pipeline", "jjm_source", "jjm_reservoir", "jjm_treatment", "jjm_pump", "jjm_fhtc"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_registry(tmp_path_factory.mktemp("gs_registry") / "registry.gpkg")


@pytest.fixture(scope="module")
def package(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gs_package") / f"gatishakti_{SCHEME}.zip"
    result = export_package(registry, out, scheme=SCHEME, layers=LAYERS)
    assert result.path == out and out.is_file()
    with zipfile.ZipFile(out) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return out, members


def _registry_rows(registry: Path, table: str, columns: str) -> list[tuple]:
    return sql(registry, f'SELECT {columns} FROM "{table}" WHERE scheme_id = ? ORDER BY fid', (SCHEME,))


def _unpack(members: dict[str, bytes], folder: Path) -> None:
    for name, data in members.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _registry_bbox_wgs84(registry: Path, table: str) -> tuple[float, float, float, float]:
    return gpkg_lonlat_bounds(registry, table, f"WHERE scheme_id = '{SCHEME}'")


def test_manifest_lists_every_file_with_its_checksum_and_the_registry_counts(registry: Path, package) -> None:
    _, members = package
    manifest = json.loads(members["manifest.json"])
    assert manifest["crs"] == "EPSG:4326" and manifest["schemes"] == [SCHEME]
    assert manifest["profile"]["name"] == "pmgs-jjm-default" and manifest["profile"]["version"] == "1.0"
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(members) - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(members[entry["path"]]).hexdigest() == entry["sha256"], entry["path"]
        assert len(members[entry["path"]]) == entry["bytes"]
    sources = {"jjm_pipeline": "pipes", "jjm_source": "sources", "jjm_reservoir": "tanks",
               "jjm_treatment": "treatment_units", "jjm_pump": "pumps", "jjm_fhtc": "fhtc"}
    for layer in manifest["layers"]:
        expected = sql(registry, f'SELECT count(*) FROM "{sources[layer["name"]]}" WHERE scheme_id = ?', (SCHEME,))[0][0]
        assert layer["features"] == expected > 0, layer["name"]
    assert [m["name"] for m in manifest["layers"]] == LAYERS
    fhtc = next(m for m in manifest["layers"] if m["name"] == "jjm_fhtc")
    assert set(fhtc["withheld_fields"]) == {"household_head", "phone", "persons"}
    formats = {f["path"].split("/")[0] for f in manifest["files"]}
    assert {"gpkg", "shp", "geojson", "kml", "metadata", "profile"} <= formats


def test_geopackage_read_with_sqlite(registry: Path, package, tmp_path: Path) -> None:
    _, members = package
    gpkg = tmp_path / "package.gpkg"
    gpkg.write_bytes(members[f"gpkg/gatishakti_{SCHEME}.gpkg"])
    contents = dict(sql(gpkg, "SELECT table_name, srs_id FROM gpkg_contents"))
    assert set(contents) == set(LAYERS) and set(contents.values()) == {4326}
    assert {r[0] for r in sql(gpkg, "SELECT srs_id FROM gpkg_geometry_columns")} == {4326}
    assert sql(gpkg, "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = 4326") \
        == [("EPSG", 4326)]
    profile = load_profile("default")
    registry_pipes = _registry_rows(registry, "pipes", "pipe_id, material, diameter_mm")
    got = sql(gpkg, "SELECT asset_id, material, dia_mm, scheme_id, asset_uid FROM jjm_pipeline ORDER BY fid")
    assert [(r[0], r[1], r[2]) for r in got] == [(p, m, round(d)) for p, m, d in registry_pipes]
    assert all(r[3] == SCHEME and r[4] == f"{SCHEME}/{r[0]}" for r in got)
    for layer in LAYERS:
        spec = profile.layer(layer)
        columns = {row[1]: row[2] for row in sql(gpkg, f'PRAGMA table_info("{layer}")')}
        exported = {f.name: f for f in spec.exported}
        assert set(columns) == set(exported) | {"fid", "geom"}
        for name, f in exported.items():
            if f.type == "string":
                assert columns[name] == f"TEXT({f.length})", (layer, name)
            if f.mandatory:
                empty = sql(gpkg, f'SELECT count(*) FROM "{layer}" WHERE "{name}" IS NULL OR trim("{name}") = \'\'')
                assert empty == [(0,)], (layer, name)
        west, south, east, north = sql(gpkg, "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE "
                                             "table_name = ?", (layer,))[0]
        expected = _registry_bbox_wgs84(registry, spec.source)
        assert west == pytest.approx(expected[0], abs=1e-5) and north == pytest.approx(expected[3], abs=1e-5)
        assert 91 < west <= east < 92 and 26 < south <= north < 27


def test_shapefiles_have_short_names_profile_lengths_and_utf8(registry: Path, package) -> None:
    _, members = package
    profile = load_profile("default")
    for layer in LAYERS:
        spec = profile.layer(layer)
        assert members[f"shp/{layer}.cpg"].decode("ascii").strip().upper() in ("UTF-8", "UTF8")
        assert b"WGS_1984" in members[f"shp/{layer}.prj"] and b"UTM" not in members[f"shp/{layer}.prj"]
        n_records, fields = dbf_fields(members[f"shp/{layer}.dbf"])
        count = sql(registry, f'SELECT count(*) FROM "{spec.source}" WHERE scheme_id = ?', (SCHEME,))[0][0]
        assert n_records == count
        by_name = {name: (kind, length) for name, kind, length, _ in fields}
        assert list(by_name) == [f.shapefile_name for f in spec.exported]
        for f in spec.exported:
            assert len(f.shapefile_name) <= 10
            if f.type == "string":
                assert by_name[f.shapefile_name] == ("C", f.length), (layer, f.name)
        rows = dbf_records(members[f"shp/{layer}.dbf"])
        assert {r["scheme_id"] for r in rows} == {SCHEME}
        assert all(r["asset_uid"] for r in rows)
        xmin, ymin, xmax, ymax = shp_bbox(members[f"shp/{layer}.shp"])
        assert 91 < xmin <= xmax < 92 and 26 < ymin <= ymax < 27
    pipes = dbf_records(members["shp/jjm_pipeline.dbf"])
    expected = _registry_rows(registry, "pipes", "pipe_id, material, diameter_mm, laid_date")
    assert [(r["asset_id"], r["material"], int(r["dia_mm"]), r["laid_date"]) for r in pipes] == \
        [(p, m, round(d), date.replace("-", "")) for p, m, d, date in expected]


def test_geojson_is_rfc7946(registry: Path, package) -> None:
    _, members = package
    profile = load_profile("default")
    for layer in LAYERS:
        data = json.loads(members[f"geojson/{layer}.geojson"])
        assert data["type"] == "FeatureCollection" and "crs" not in data
        spec = profile.layer(layer)
        count = sql(registry, f'SELECT count(*) FROM "{spec.source}" WHERE scheme_id = ?', (SCHEME,))[0][0]
        assert len(data["features"]) == count
        names = [f.name for f in spec.exported]
        for feature in data["features"]:
            assert list(feature["properties"]) == names
            assert feature["properties"]["scheme_id"] == SCHEME
            for f in spec.exported:
                if f.mandatory:
                    assert feature["properties"][f.name] not in (None, ""), (layer, f.name)
            first = feature["geometry"]["coordinates"]
            while isinstance(first[0], list):
                first = first[0]
            lon, lat = first
            assert 91 < lon < 92 and 26 < lat < 27
    source = json.loads(members["geojson/jjm_source.geojson"])["features"][0]
    assert source["properties"]["longitude"] == pytest.approx(source["geometry"]["coordinates"][0], abs=1e-7)


def test_kml_names_placemarks_by_asset_uid(registry: Path, package) -> None:
    _, members = package
    profile = load_profile("default")
    for layer in LAYERS:
        root = ET.fromstring(members[f"kml/{layer}.kml"])
        placemarks = list(root.iter(f"{KML}Placemark"))
        spec = profile.layer(layer)
        assert len(placemarks) == len(_registry_rows(registry, spec.source, "fid"))
        for placemark in placemarks:
            data = {d.get("name"): d.text for d in placemark.iter(f"{KML}SimpleData")}
            assert set(data) <= {f.name for f in spec.exported} and "asset_uid" in data
            assert data["scheme_id"] == SCHEME
            assert placemark.findtext(f"{KML}name") == data["asset_uid"]
    root = ET.fromstring(members["kml/jjm_pipeline.kml"])
    ids = [{d.get("name"): d.text for d in p.iter(f"{KML}SimpleData")}["asset_id"] for p in root.iter(f"{KML}Placemark")]
    assert ids == [p for (p,) in _registry_rows(registry, "pipes", "pipe_id")]
    first = root.find(f".//{KML}Placemark//{KML}coordinates").text.split()[0].split(",")
    assert 91 < float(first[0]) < 92 and 26 < float(first[1]) < 27


def test_no_personal_data_anywhere_in_the_package(registry: Path, package) -> None:
    out, members = package
    people = _registry_rows(registry, "fhtc", "household_head, phone")
    assert len(people) == 430
    latin = next(h for h, _ in people if h.isascii())
    assamese = next(h for h, _ in people if not h.isascii())
    phones = [p for _, p in people[:50]]
    raw = out.read_bytes()
    for name, data in members.items():
        for secret in [latin, assamese] + phones:
            assert secret.encode("utf-8") not in data, (name, secret)
        if not name.startswith(("profile/", "metadata/", "manifest", "preflight")):  # these name withheld fields
            assert b"household_head" not in data, name
    for secret in [latin, assamese] + phones:
        assert secret.encode("utf-8") not in raw


def test_registry_sensitive_fields_are_withheld_even_from_a_profile_built_in_code(registry: Path,
                                                                                   tmp_path: Path) -> None:
    profile = load_profile("default")
    fhtc = profile.layer("jjm_fhtc")
    forgetful = dataclasses.replace(fhtc, include=True, fields=tuple(
        dataclasses.replace(f, sensitive=False) for f in fhtc.fields))  # bypasses the profile validator
    assert not any(f.sensitive for f in forgetful.fields)
    profile = dataclasses.replace(profile, layers=(forgetful,))
    out = tmp_path / "fhtc.zip"
    export_package(registry, out, profile=profile, formats="geojson,shp")
    phone = _registry_rows(registry, "fhtc", "phone")[0][0]
    with zipfile.ZipFile(out) as zf:
        data = json.loads(zf.read("geojson/jjm_fhtc.geojson"))
        assert all(phone.encode() not in zf.read(n) for n in zf.namelist())
    names = set(data["features"][0]["properties"])
    assert "household_head" not in names and "phone" not in names and "persons" in names


def test_metadata_records_are_iso19139(registry: Path, package) -> None:
    _, members = package
    for layer in LAYERS:
        root = ET.fromstring(members[f"metadata/{layer}.xml"])
        assert root.tag == f"{GMD}MD_Metadata"
        code = root.find(f"{GMD}referenceSystemInfo//{GMD}RS_Identifier/{GMD}code/{GCO}CharacterString").text
        assert code == "EPSG:4326"
        box = root.find(f".//{GMD}EX_GeographicBoundingBox")
        west = float(box.find(f"{GMD}westBoundLongitude/{GCO}Decimal").text)
        north = float(box.find(f"{GMD}northBoundLatitude/{GCO}Decimal").text)
        source = load_profile("default").layer(layer).source
        expected = _registry_bbox_wgs84(registry, source)
        assert west == pytest.approx(expected[0], abs=1e-5) and north == pytest.approx(expected[3], abs=1e-5)
        lineage = root.find(f".//{GMD}LI_Lineage/{GMD}statement/{GCO}CharacterString").text
        assert "registry registry.gpkg" in lineage and "profile pmgs-jjm-default v1.0" in lineage
        title = root.find(f".//{GMD}citation/{GMD}CI_Citation/{GMD}title/{GCO}CharacterString").text
        assert title == load_profile("default").layer(layer).title
        assert root.find(f".//{GMD}pointOfContact//{GMD}organisationName") is not None


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
def test_system_gdal_reads_every_format(registry: Path, package, tmp_path: Path) -> None:
    _, members = package
    _unpack(members, tmp_path)
    count = sql(registry, "SELECT count(*) FROM pipes WHERE scheme_id = ?", (SCHEME,))[0][0]
    for path, layer in ((f"gpkg/gatishakti_{SCHEME}.gpkg", "jjm_pipeline"), ("shp/jjm_pipeline.shp", "jjm_pipeline"),
                        ("geojson/jjm_pipeline.geojson", "jjm_pipeline"),
                        ("kml/jjm_pipeline.kml", "jjm_pipeline")):
        info = subprocess.run(["ogrinfo", "-ro", "-so", str(tmp_path / path), layer], capture_output=True, text=True,
                              check=True).stdout
        assert f"Feature Count: {count}" in info, path
        assert 'ID["EPSG",4326]' in info, path


def test_existing_package_is_refused_and_untouched(registry: Path, package, tmp_path: Path) -> None:
    out = tmp_path / "pkg.zip"
    out.write_bytes(b"an older package")
    with pytest.raises(InputError, match="already exists; pick another name or pass --overwrite"):
        export_package(registry, out)
    assert out.read_bytes() == b"an older package"
    assert main(["gatishakti", "export", "--registry", str(registry), "--out", str(out)]) == 2
    assert out.read_bytes() == b"an older package"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.zip"]


def test_failure_while_writing_leaves_the_old_package_and_no_temporary_files(registry: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pkg.zip"
    out.write_bytes(b"an older package")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(package_module, "write_kml", broken)
    with pytest.raises(OSError, match="disk full"):
        export_package(registry, out, overwrite=True)
    assert out.read_bytes() == b"an older package"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.zip"]
    monkeypatch.undo()

    class CancelAtOnce(NullFeedback):
        def is_canceled(self) -> bool:
            return True

    with pytest.raises(Canceled):
        export_package(registry, out, overwrite=True, feedback=CancelAtOnce())
    assert out.read_bytes() == b"an older package"
    result = export_package(registry, out, overwrite=True, formats="geojson")
    assert zipfile.is_zipfile(out) and result.check.formats == ("geojson",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.zip"]


def test_bad_output_and_options_are_refused(registry: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must end with .zip"):
        export_package(registry, tmp_path / "pkg.gpkg")
    with pytest.raises(InputError, match="does not exist; create it first"):
        export_package(registry, tmp_path / "missing" / "pkg.zip")
    with pytest.raises(InputError, match="unknown format 'dwg'"):
        export_package(registry, tmp_path / "pkg.zip", formats="gpkg,dwg")
    with pytest.raises(InputError, match="scheme '999' is not in registry registry.gpkg"):
        export_package(registry, tmp_path / "pkg.zip", scheme="999")
    with pytest.raises(InputError, match="no layer 'wells'"):
        export_package(registry, tmp_path / "pkg.zip", layers=["wells"])
    assert list(tmp_path.iterdir()) == []


def test_second_profile_renames_and_recodes(registry: Path, tmp_path: Path) -> None:
    out = tmp_path / "state.zip"
    result = export_package(registry, out, profile="state_gis_cell_example")
    assert result.check.formats == ("gpkg", "shp", "geojson")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert not any(n.startswith("kml/") for n in names)
        _, fields = dbf_fields(zf.read("shp/WS_PIPELINE.dbf"))
        rows = dbf_records(zf.read("shp/WS_PIPELINE.dbf"))
        storage = json.loads(zf.read("geojson/WS_STORAGE.geojson"))
    assert [f[0] for f in fields] == ["SCH_CODE", "PIPE_CODE", "PIPE_MAT", "PIPE_DIA", "PIPE_STAT", "LAID_ON", "DEPT"]
    materials = dict(sql(registry, "SELECT pipe_id, material FROM pipes"))
    full = {"DI": "DUCTILE_IRON", "HDPE": "HDPE", "UPVC": "UPVC", "GI": "GALVANISED_IRON"}
    assert all(r["PIPE_MAT"] == full[materials[r["PIPE_CODE"]]] for r in rows)
    assert {r["DEPT"] for r in rows} == {"PHED"} and {r["PIPE_STAT"] for r in rows} == {"WORKING"}
    assert storage["features"][0]["properties"]["STRUCT_TYPE"] == "ESR"


def test_cli_export_check_and_profiles(registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli.zip"
    assert main(["-q", "gatishakti", "export", "--registry", str(registry), "--check"]) == 0
    assert "pre-flight check: PASSED" in capsys.readouterr().out
    assert not out.exists()
    assert main(["-q", "gatishakti", "export", "--registry", str(registry), "--out", str(out), "--format",
                 "gpkg,shp", "--scheme", SCHEME, "--report", str(tmp_path / "report.html")]) == 0
    printed = capsys.readouterr().out
    assert f"package   {out}" in printed and "jjm_pipeline" in printed
    with zipfile.ZipFile(out) as zf:
        assert {n.split("/")[0] for n in zf.namelist()} == {"gpkg", "shp", "metadata", "profile", "manifest.json",
                                                           "preflight.html"}
    assert "Pre-flight check" in (tmp_path / "report.html").read_text(encoding="utf-8")
    plus = tmp_path / "plus.zip"
    assert main(["-q", "gatishakti", "export", "--registry", str(registry), "--out", str(plus), "--format", "geojson",
                 "--layers", "+jjm_fhtc,+valves"]) == 0
    with zipfile.ZipFile(plus) as zf:
        layers = [m["name"] for m in json.loads(zf.read("manifest.json"))["layers"]]
    assert layers == ["jjm_pipeline", "jjm_source", "jjm_reservoir", "jjm_treatment", "jjm_pump", "jjm_fhtc",
                      "jjm_valve"]
    capsys.readouterr()
    assert main(["gatishakti", "profiles"]) == 0
    listing = capsys.readouterr().out
    assert "state_gis_cell_example" in listing and "jjm_fhtc*" in listing
    assert main(["gatishakti", "export", "--registry", str(registry)]) == 2
    assert "give --out PACKAGE.zip" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "lenght": 1}), encoding="utf-8")
    assert main(["gatishakti", "check", "--registry", str(registry), "--profile", str(bad)]) == 2
    assert "profile bad.json: unknown key 'lenght'" in capsys.readouterr().err


def test_registry_stays_untouched(registry: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(registry.read_bytes()).hexdigest()
    export_package(registry, tmp_path / "again.zip", formats="gpkg")
    assert hashlib.sha256(registry.read_bytes()).hexdigest() == before
    con = sqlite3.connect(registry)
    try:
        assert con.execute("SELECT count(*) FROM jalnet_batches").fetchone()[0] == 1
    finally:
        con.close()


def test_demo_step_writes_the_sample_scheme_package(registry: Path, tmp_path: Path) -> None:
    from jalnet.demo import DemoContext
    from jalnet.gatishakti import demo

    ctx = DemoContext(tmp_path, str(registry), None)
    demo.run(ctx)
    package = tmp_path / f"gatishakti_{SCHEME}.zip"
    assert zipfile.is_zipfile(package) and (tmp_path / f"gatishakti_{SCHEME}_preflight.html").exists()
    with zipfile.ZipFile(package) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    pipes = sql(registry, "SELECT count(*) FROM pipes")[0][0]
    assert manifest["layers"][0]["features"] == pipes
    assert [s.title for s in ctx.sections] == [f"PM Gati Shakti package: scheme {SCHEME}"]
    assert "manifest" in ctx.sections[0].body_html.lower() and "jjm_pipeline" in ctx.sections[0].body_html
    assert ctx.outputs and ctx.outputs[0].startswith(f"gatishakti gatishakti_{SCHEME}.zip")
    assert any(path.startswith(f"/vsizip/{package}/gpkg/") for path, _, _ in ctx.project_layers)

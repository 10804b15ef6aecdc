"""The field package opened in QGIS (the engine QField runs on), edited there, and synced back."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shapely
from qgis.core import (
    QgsFieldConstraints,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsVectorLayer,
    QgsVectorLayerUtils,
    edit,
)

from jalnet.field import package_scheme, sync_package
from jalnet.registry import content_digest
from jalnet.registry.schema import DOMAINS, layer
from jalnet.samples import sample_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from field_support import PHOTO_BYTES, SCHEME, sample_registry  # noqa: E402


@pytest.fixture
def packaged(tmp_path):
    reg = sample_registry(str(tmp_path / "registry.gpkg"))
    out = tmp_path / "field"
    result = package_scheme(reg, SCHEME, out, dem=sample_path("dem.tif"))
    yield reg, out, result
    reg.close()


def _open(path: Path) -> QgsProject:
    project = QgsProject()
    assert project.read(str(path)), project.error()
    return project


def test_project_opens_with_valid_layers_relative_paths_and_domain_forms(packaged, tmp_path):
    reg, out, result = packaged
    # moved elsewhere, as on a phone: only relative paths keep it working
    moved = tmp_path / "on_the_phone"
    out.rename(moved)
    project = _open(moved / "field_capture.qgs")
    layers = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    assert len(layers) == 4 + 7 + 2  # capture, reference, DEM + hillshade
    assert all(lyr.isValid() for lyr in layers.values()), [n for n, lyr in layers.items() if not lyr.isValid()]
    sources = [m.find("datasource").text for m in ET.parse(moved / "field_capture.qgs").getroot().iter("maplayer")]
    assert len(sources) == len(layers) and all(s.startswith("./") for s in sources), sources
    assert str(tmp_path) not in (moved / "field_capture.qgs").read_text()

    taps = layers["Taps (FHTC)"]
    assert not taps.readOnly() and layers["Pipes (reference)"].readOnly()
    status = taps.fields().indexOf("status")
    setup = taps.editorWidgetSetup(status)
    assert setup.type() == "ValueMap"
    codes = {v for entry in setup.config()["map"] for v in entry.values()}
    assert set(DOMAINS["fhtc_status"]) <= codes
    fhtc_id = taps.fields().indexOf("fhtc_id")
    assert taps.fieldConstraints(fhtc_id) & QgsFieldConstraints.ConstraintNotNull
    persons = taps.fields().indexOf("persons")
    assert taps.fieldConstraints(persons) & QgsFieldConstraints.ConstraintExpression
    assert taps.defaultValueDefinition(taps.fields().indexOf("scheme_id")).expression() == f"'{SCHEME}'"
    assert "position_horizontal_accuracy" in taps.defaultValueDefinition(
        taps.fields().indexOf("accuracy_m")).expression()
    photo = taps.editorWidgetSetup(taps.fields().indexOf("photo"))
    assert photo.type() == "ExternalResource" and photo.config()["RelativeStorage"] == 1
    valves = layers["Valves"]
    valve_type = valves.editorWidgetSetup(valves.fields().indexOf("valve_type"))
    assert valve_type.type() == "ValueMap"
    pipes = layers["New pipes (walk)"]
    assert pipes.editorWidgetSetup(pipes.fields().indexOf("material")).type() == "ValueMap"
    assert pipes.geometryType() == 1  # lines, for QField's tracking
    project.clear()


def test_edits_made_in_qgis_come_back_with_one_sync(packaged):
    reg, out, _ = packaged
    project = _open(out / "field_capture.qgs")
    layers = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    taps: QgsVectorLayer = layers["Taps (FHTC)"]
    valves: QgsVectorLayer = layers["Valves"]
    first = reg.read("valves").iloc[0]
    # beside a distribution pipe, away from the taps already on it: promotion takes it from that pipe
    pipes, existing = reg.read("pipes"), reg.read("fhtc")
    dist = pipes[pipes["pipe_function"].isna() | (pipes["pipe_function"] == "distribution")]
    spot = next(p for p in (shapely.Point(g.interpolate(0.5, normalized=True).x + 8.0,
                                          g.interpolate(0.5, normalized=True).y) for g in dist.geometry)
                if existing.distance(p).min() > 15)
    (out / "DCIM" / "new_tap.jpg").write_bytes(PHOTO_BYTES)
    with edit(taps):
        # a new tap as QField's form makes it: default values evaluated, the photo path relative
        feature = QgsVectorLayerUtils.createFeature(
            taps, QgsGeometry.fromPointXY(QgsPointXY(spot.x, spot.y)),
            {taps.fields().indexOf("photo"): "DCIM/new_tap.jpg", taps.fields().indexOf("persons"): 4})
        assert taps.addFeature(feature)
    with edit(valves):
        fid = next(f.id() for f in valves.getFeatures() if f["valve_id"] == first["valve_id"])
        assert valves.changeGeometry(fid, QgsGeometry.fromPointXY(QgsPointXY(first.geometry.x + 2,
                                                                             first.geometry.y)))
    project.clear()

    report = sync_package(reg, out)
    assert report.counts.get("fhtc_added") == 1 and report.counts.get("valves_updated") == 1, report.counts
    assert not report.conflicts
    new = reg.read("fhtc").iloc[-1]
    assert new["scheme_id"] == SCHEME and new["fhtc_id"].startswith("FLD-T-") and new["status"] == "functional"
    assert new["persons"] == 4 and new["pipe_id"] in set(pipes["pipe_id"])
    assert pipes.distance(spot)[pipes["pipe_id"] == new["pipe_id"]].iloc[0] <= 8.01
    att = reg.read("attachments")
    assert list(att["asset_id"]) == [new["fhtc_id"]] and att["size_bytes"].iloc[0] == len(PHOTO_BYTES)
    moved = reg.read("valves", where={"valve_id": first["valve_id"]}).geometry.iloc[0]
    assert abs(moved.x - first.geometry.x - 2) < 0.01
    after = content_digest(reg)
    assert sync_package(reg, out).batch_id is None and content_digest(reg) == after
    assert layer("attachments").since == 3


def test_processing_algorithms_package_and_sync(packaged, tmp_path, jalnet_provider):
    import processing

    reg, _, _ = packaged
    out = tmp_path / "via_processing"
    result = processing.run("jalnet:fieldpackage", {"REGISTRY": reg.target, "SCHEME": SCHEME, "OUTPUT": str(out)})
    assert Path(result["PROJECT"]).is_file() and (out / "jalnet_field.json").is_file()
    synced = processing.run("jalnet:fieldsync", {"REGISTRY": reg.target, "PACKAGE": str(out), "DRY_RUN": True})
    assert synced["BATCH_ID"] == "" and synced["CONFLICTS"] == 0


def test_demo_step_writes_the_field_package(tmp_path):
    from jalnet.demo import DemoContext
    from jalnet.field.demo import FOLDER, run

    sample_registry(str(tmp_path / "registry.gpkg")).close()
    ctx = DemoContext(tmp_path, str(tmp_path / "registry.gpkg"), None)
    run(ctx)
    project = _open(tmp_path / FOLDER / "field_capture.qgs")
    assert project.mapLayersByName("Hillshade") and project.mapLayersByName("Taps (FHTC)")
    assert any("field" in line for line in ctx.outputs) and ctx.sections[0].title == "Field package (QField)"
    project.clear()


def test_plugin_menu_opens_the_field_tools_with_the_project_registry(recording_iface, qgis_processing, monkeypatch,
                                                                      tmp_path):
    import processing

    import jalnet

    calls = []
    monkeypatch.setattr(processing, "execAlgorithmDialog",
                        lambda alg, params: calls.append((alg, params)) or {"PROJECT": str(tmp_path / "p.qgs")})
    plugin = jalnet.classFactory(recording_iface)
    plugin.initGui()
    try:
        menu = [a.text() for _, a in recording_iface.calls["menu_add"]]
        assert "Field package for QField…" in menu and "Sync field package…" in menu
        plugin.actions["field_package"].trigger()
        plugin.actions["field_sync"].trigger()
        assert [alg for alg, _ in calls] == ["jalnet:fieldpackage", "jalnet:fieldsync"]
    finally:
        plugin.unload()

"""The geology Processing algorithms and the strip log panel drive the geology engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsProject, QgsVectorLayer

from jalnet.geology import read_lithologs, validate
from jalnet.registry import open_registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from geology_synth import A_XY, B_XY, lonlat, make_registry, write_sheets  # noqa: E402

pytestmark = pytest.mark.qgis

ALGORITHMS = {"jalnet:geologyimport", "jalnet:geologyvalidate", "jalnet:geologystriplog", "jalnet:geologysection"}


def run(alg: str, params: dict) -> dict:
    import processing
    from qgis.core import QgsProcessingFeedback

    return processing.run(alg, params, feedback=QgsProcessingFeedback())


@pytest.fixture
def imported(jalnet_provider, tmp_path: Path) -> str:
    make_registry(tmp_path / "r.gpkg").close()
    b, i, c = write_sheets(tmp_path / "in")
    out = run("jalnet:geologyimport", {"REGISTRY": str(tmp_path / "r.gpkg"), "BOREHOLES": str(b), "INTERVALS": str(i),
                                       "CONSTRUCTION": str(c), "FINDINGS": str(tmp_path / "f.csv")})
    assert out["IMPORTED"] == 2 and out["REFUSED"] == 0 and out["BATCH_ID"]
    return str(tmp_path / "r.gpkg")


def test_algorithms_are_listed_with_help(jalnet_provider) -> None:
    algs = {a.id(): a for a in jalnet_provider.algorithms()}
    assert ALGORITHMS <= set(algs)
    for name in ALGORITHMS:
        assert algs[name].group() == "Geology" and len(algs[name].shortHelpString()) > 300


def test_import_refuses_bad_rows_and_reports(jalnet_provider, tmp_path: Path) -> None:
    make_registry(tmp_path / "r.gpkg").close()
    from geology_synth import borehole_rows

    holes = borehole_rows()
    holes[2][4] = "1,250"
    b, i, c = write_sheets(tmp_path / "in", boreholes=holes)
    out = run("jalnet:geologyimport", {"REGISTRY": str(tmp_path / "r.gpkg"), "BOREHOLES": str(b), "INTERVALS": str(i),
                                       "COLUMNS": "boreholes:drilled_depth_m=drilled_depth_m", "TERMS": "clay=CI",
                                       "FINDINGS": str(tmp_path / "f.csv")})
    assert out["IMPORTED"] == 1 and out["REFUSED"] == 1
    assert "ambiguous" in (tmp_path / "f.csv").read_text(encoding="utf-8")
    with open_registry(tmp_path / "r.gpkg") as reg:
        assert set(reg.read("lithology_intervals")["lithology"]) == {"CI", "SP"}
    with pytest.raises(QgsProcessingException, match="does not exist"):
        run("jalnet:geologyimport", {"REGISTRY": str(tmp_path / "r.gpkg"), "BOREHOLES": str(tmp_path / "x.csv")})


def test_validate_striplog_section(imported: str, tmp_path: Path) -> None:
    found = run("jalnet:geologyvalidate", {"REGISTRY": imported, "MAX_SOURCE_DISTANCE": 0.0,
                                           "OUTPUT": "memory:findings"})
    with open_registry(imported) as reg:
        data = read_lithologs(reg)
        expected = validate(data, reg.read("sources"), 0.0)
    layer = found["OUTPUT"] if isinstance(found["OUTPUT"], QgsVectorLayer) else None
    if layer is None:
        from qgis.core import QgsProcessingContext, QgsProcessingUtils

        layer = QgsProcessingUtils.mapLayerFromString(found["OUTPUT"], QgsProcessingContext())
    assert found["FINDINGS"] == len(expected) and layer.featureCount() == len(expected)

    logs = run("jalnet:geologystriplog", {"REGISTRY": imported, "BOREHOLES": "BH-B", "FORMAT": 1,
                                          "OUTPUT": str(tmp_path / "logs")})
    assert logs["FILES"] == 1 and (tmp_path / "logs" / "BH-B.png").stat().st_size > 20_000

    line = QgsVectorLayer("LineString?crs=EPSG:4326", "line", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(*lonlat((A_XY[0] - 80, A_XY[1]))),
                                                    QgsPointXY(*lonlat((B_XY[0] + 80, B_XY[1])))]))
    line.dataProvider().addFeatures([feature])
    section = run("jalnet:geologysection", {"REGISTRY": imported, "LINE": line, "CORRIDOR": 50.0,
                                            "OUTPUT": str(tmp_path / "section.png")})
    assert section["BOREHOLES"] == 2 and section["EXAGGERATION"] >= 1
    assert Path(section["OUTPUT"]).stat().st_size > 20_000 and (tmp_path / "section.svg").exists()
    with pytest.raises(QgsProcessingException, match="two or more borehole IDs"):
        run("jalnet:geologysection", {"REGISTRY": imported, "OUTPUT": str(tmp_path / "x.png")})


def test_strip_log_panel_follows_the_selection(imported: str, qgis_iface, project: QgsProject,
                                               tmp_path: Path) -> None:
    from jalnet.plugin.layers import PROP_LAYER, add_registry_layers
    from jalnet.plugin.striplog_dock import StripLogDock

    add_registry_layers(imported, project)
    boreholes = next(v for v in project.mapLayers().values() if v.customProperty(PROP_LAYER) == "boreholes")
    dock = StripLogDock(qgis_iface)
    try:
        ids = {f["borehole_id"]: f.id() for f in boreholes.getFeatures()}
        boreholes.selectByIds([ids["BH-A"]])
        dock.on_selection(boreholes)
        assert dock.borehole_id == "BH-A" and not dock.image.pixmap().isNull()
        assert dock.image.pixmap().height() > 500 and "BH-A" in dock.title.text()
        assert not dock.section_button.isEnabled()
        saved = dock.save_to(str(tmp_path / "bh.png"))
        assert [p.name for p in saved] == ["bh.png", "bh.svg"]

        boreholes.selectByIds([ids["BH-B"], ids["BH-A"]])
        dock.on_selection(boreholes)
        assert dock.section_button.isEnabled()
        assert dock.section_through_selected()
        assert "Section through BH-A, BH-B" in dock.title.text() and not dock.image.pixmap().isNull()
    finally:
        dock.disconnect_signals()
        dock.deleteLater()


def test_panel_action_toggles_and_unload_removes_it(recording_iface, qgis_processing) -> None:
    import jalnet

    plugin = jalnet.classFactory(recording_iface)
    plugin.initGui()
    try:
        action = plugin.actions["striplog"]
        action.trigger()
        dock = plugin.striplog_dock
        window = recording_iface.mainWindow()
        assert dock is not None and dock.isVisibleTo(window) and action.isChecked()
        assert recording_iface.calls["dock_add"] == [dock]
        action.trigger()
        assert not dock.isVisibleTo(window) and not action.isChecked()
    finally:
        plugin.unload()
    assert plugin.striplog_dock is None and dock in recording_iface.calls["dock_remove"]

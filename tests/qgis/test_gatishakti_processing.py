"""``jalnet:gatishaktiexport`` from Processing: the package, the check alone, and refusals."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from jalnet.registry import create_registry, load_layers, open_registry
from jalnet.samples import sample_path

pytestmark = pytest.mark.qgis


@pytest.fixture(scope="module")
def sample_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gatishakti") / "registry.gpkg"
    with create_registry(path, crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
    return path


def run(params: dict, feedback: QgsProcessingFeedback | None = None) -> dict:
    import processing

    return processing.run("jalnet:gatishaktiexport", params, feedback=feedback or QgsProcessingFeedback())


def _count(registry: Path, table: str) -> int:
    con = sqlite3.connect(registry)
    try:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    finally:
        con.close()


def test_export_writes_a_package_qgis_reads_in_wgs84(jalnet_provider, sample_registry: Path, tmp_path: Path) -> None:
    alg = jalnet_provider.algorithm("gatishaktiexport")
    assert alg is not None and alg.displayName() == "Export for PM Gati Shakti"
    assert len(alg.shortHelpString()) > 150 and "jalnet" in alg.tags()
    out, report = tmp_path / "gs.zip", tmp_path / "preflight.html"
    feedback = QgsProcessingFeedback()
    result = run({"REGISTRY": str(sample_registry), "OUTPUT": str(out), "REPORT": str(report),
                  "LAYERS": "jjm_pipeline, jjm_source, jjm_fhtc", "FORMATS": [0, 1]}, feedback)
    assert result["OUTPUT"] == str(out) and result["FAULTS"] == 0
    expected = _count(sample_registry, "pipes") + _count(sample_registry, "sources") + _count(sample_registry, "fhtc")
    assert result["FEATURES"] == expected
    assert report.exists() and "Passed" in report.read_text(encoding="utf-8")
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert not any(n.startswith(("geojson/", "kml/")) for n in zf.namelist())
    assert manifest["formats"] == ["gpkg", "shp"] and manifest["profile"]["name"] == "pmgs-jjm-default"
    other = tmp_path / "state.zip"
    names = alg.parameterDefinition("PROFILE").options()
    run({"REGISTRY": str(sample_registry), "OUTPUT": str(other), "PROFILE": names.index("state_gis_cell_example")})
    with zipfile.ZipFile(other) as zf:
        assert json.loads(zf.read("manifest.json"))["profile"]["name"] == "state-gis-cell-example"
    pipes = QgsVectorLayer(f"/vsizip/{out}/gpkg/gs.gpkg|layername=jjm_pipeline", "pipes", "ogr")
    assert pipes.isValid() and pipes.crs().authid() == "EPSG:4326"
    assert pipes.featureCount() == _count(sample_registry, "pipes")
    extent = pipes.extent()
    assert 91 < extent.xMinimum() < extent.xMaximum() < 92 and 26 < extent.yMinimum() < extent.yMaximum() < 27
    fhtc = QgsVectorLayer(f"/vsizip/{out}/shp/jjm_fhtc.shp", "fhtc", "ogr")
    assert fhtc.isValid() and fhtc.crs().authid() == "EPSG:4326"
    names = fhtc.fields().names()
    assert "scheme_id" in names and "household_head" not in names and "phone" not in names
    assert all(len(n) <= 10 for n in names)
    assert {f["scheme_id"] for f in fhtc.getFeatures()} == {"4010457"}


def test_check_only_reports_faults_and_export_refuses(jalnet_provider, sample_registry: Path, tmp_path: Path) -> None:
    faulty = tmp_path / "faulty.gpkg"
    faulty.write_bytes(sample_registry.read_bytes())
    with open_registry(faulty) as reg, reg.batch("test", "empty a material") as b:
        fid = int(reg.read("pipes", where={"pipe_id": "P-0009"}).index[0])
        b.update("pipes", fid, {"material": None})
    out = tmp_path / "never.zip"
    result = run({"REGISTRY": str(faulty), "CHECK_ONLY": True, "OUTPUT": str(out)})
    assert result["FAULTS"] == 1 and "P-0009" in result["SUMMARY"]
    assert not out.exists()
    with pytest.raises(QgsProcessingException, match="pre-flight check found 1 fault"):
        run({"REGISTRY": str(faulty), "OUTPUT": str(out)})
    assert not out.exists()
    out.write_bytes(b"old")
    with pytest.raises(QgsProcessingException, match="already exists"):
        run({"REGISTRY": str(sample_registry), "OUTPUT": str(out)})
    assert out.read_bytes() == b"old"
    with pytest.raises(QgsProcessingException, match="not found"):
        run({"REGISTRY": str(sample_registry), "OUTPUT": str(tmp_path / "x.zip"),
             "PROFILE_FILE": str(tmp_path / "nosuch.json")})

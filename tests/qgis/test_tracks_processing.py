"""``jalnet:importtracks`` runs the tracks engine from Processing: staged candidates, layers, report, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsCategorizedSymbolRenderer, QgsProcessingException, QgsProcessingFeedback, QgsProject

from jalnet.registry import content_digest, create_registry, open_registry
from jalnet.samples import sample_path
from jalnet.tracks import expand_paths
from jalnet.tracks.demo import NOT_INPUT

pytestmark = pytest.mark.qgis


@pytest.fixture
def registry(tmp_path: Path) -> str:
    path = str(tmp_path / "registry.gpkg")
    create_registry(path, crs="EPSG:32646").close()
    return path


def run(params: dict, load: bool = False, feedback: QgsProcessingFeedback | None = None) -> dict:
    import processing

    runner = processing.runAndLoadResults if load else processing.run
    return runner("jalnet:importtracks", params, feedback=feedback or QgsProcessingFeedback())


def test_import_sample_contractor_files(jalnet_provider, registry: str, tmp_path: Path, project: QgsProject) -> None:
    alg = jalnet_provider.algorithm("importtracks")
    assert alg is not None and alg.group() == "Contractor tracks" and len(alg.shortHelpString()) > 150
    files = expand_paths([sample_path("contractor")], skip=NOT_INPUT)
    report = tmp_path / "import.html"
    feedback = QgsProcessingFeedback()
    result = run({"REGISTRY": registry, "INPUT": files, "REPORT": str(report)}, load=True, feedback=feedback)
    assert result["FILES_IMPORTED"] == len(files) == 5 and result["FILES_REFUSED"] == 0
    with open_registry(registry) as reg:
        pipes, points = reg.read("staged_pipes"), reg.read("staged_points")
        assert result["PIPES"] == len(pipes) == 8 and result["POINTS"] == len(points) == 18
        assert set(pipes["import_batch"]) == {result["BATCH_ID"]}
        dropped = sum(pipes["points_in"] - pipes["points_kept"])
    assert result["POINTS_DROPPED"] == dropped > 0
    assert "Contractor files imported" in report.read_text(encoding="utf-8")
    assert feedback.progress() == pytest.approx(100)
    # the staging layers open styled
    loaded = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    staged = loaded["Staged point candidates"]
    assert staged.featureCount() == 18
    assert isinstance(staged.renderer(), QgsCategorizedSymbolRenderer) and staged.renderer().classAttribute() == "kind"
    assert loaded["Staged pipe candidates"].featureCount() == 8


def test_field_mapping_columns_and_accuracy(jalnet_provider, registry: str, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    rows = ["Y,X,T,ERR,LINE"]
    for k in range(120):
        rows.append(f"{26.44 + k * 0.00002:.6f},{91.43:.6f},2024-03-12T10:{k // 60:02d}:{k % 60:02d}+05:30,"
                    f"{30 if k in (10, 11) else 4},L-7")
    log.write_text("\n".join(rows), encoding="utf-8")
    result = run({"REGISTRY": registry, "INPUT": [str(log)], "COLUMNS": "lat=Y,lon=X,time=T,accuracy=ERR",
                  "FIELD_MAP": "pipe_id=LINE", "MAX_ACCURACY": 20, "LOAD": False})
    assert result["PIPES"] == 1 and result["POINTS_DROPPED"] >= 2
    with open_registry(registry) as reg:
        pipe = reg.read("staged_pipes").iloc[0]
    assert pipe["pipe_id"] == "L-7" and '"low_accuracy": 2' in pipe["dropped"]


def test_refused_files_are_warnings_and_all_refused_is_an_error(jalnet_provider, registry: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpx"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY e "x">]><gpx>&e;</gpx>', encoding="utf-8")
    with open_registry(registry) as reg:
        before = content_digest(reg)
    with pytest.raises(QgsProcessingException, match="No file could be imported.*DOCTYPE"):
        run({"REGISTRY": registry, "INPUT": [str(bad)], "LOAD": False})
    with open_registry(registry) as reg:
        assert content_digest(reg) == before
    good = sample_path("contractor", "route_old.gpx")
    result = run({"REGISTRY": registry, "INPUT": [str(bad), str(good)], "LOAD": False})
    assert result["FILES_IMPORTED"] == 1 and result["FILES_REFUSED"] == 1 and result["PIPES"] == 1


def test_dry_run_and_bad_mapping(jalnet_provider, registry: str) -> None:
    good = str(sample_path("contractor", "route_old.gpx"))
    result = run({"REGISTRY": registry, "INPUT": [good], "DRY_RUN": True})
    assert result["PIPES"] == 1 and result["BATCH_ID"] == ""
    with open_registry(registry) as reg:
        assert reg.count("staged_pipes") == 0
    with pytest.raises(QgsProcessingException, match="not a field that can be mapped"):
        run({"REGISTRY": registry, "INPUT": [good], "FIELD_MAP": "pipeid=X"})

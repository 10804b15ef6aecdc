"""The Processing algorithms drive the registry engine: create, load, undo, copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback

from jalnet.registry import content_digest, open_registry

pytestmark = pytest.mark.qgis

ALGORITHMS = {"jalnet:createregistry", "jalnet:loadlayers", "jalnet:undobatch", "jalnet:copyregistry"}


def run(alg: str, params: dict, feedback: QgsProcessingFeedback | None = None) -> dict:
    import processing

    return processing.run(alg, params, feedback=feedback or QgsProcessingFeedback())


def test_provider_has_every_algorithm_with_help(jalnet_provider) -> None:
    ids = {alg.id() for alg in jalnet_provider.algorithms()}
    assert ALGORITHMS <= ids
    assert jalnet_provider.skipped == []  # no algorithm file failed to load
    for alg in jalnet_provider.algorithms():
        assert alg.group(), alg.id()
        assert len(alg.shortHelpString()) > 150, alg.id()
        assert "jalnet" in alg.tags(), alg.id()  # the toolbox action filters on it
        if alg.id() in ALGORITHMS:
            assert alg.group() == "Registry"


def test_create_load_undo_through_processing(jalnet_provider, tmp_path: Path, pipes_4326: Path) -> None:
    reg_path = str(tmp_path / "new.gpkg")
    out = run("jalnet:createregistry", {"OUTPUT": reg_path, "CRS": "EPSG:32646"})
    assert out["OUTPUT"] == reg_path and out["CRS_AUTHID"] == "EPSG:32646"
    with open_registry(reg_path) as reg:
        assert reg.epsg == 32646 and reg.count("pipes") == 0

    feedback = QgsProcessingFeedback()
    loaded = run("jalnet:loadlayers", {"REGISTRY": reg_path, "INPUT": str(pipes_4326)}, feedback)
    assert loaded["PIPES"] == 3 and loaded["TOTAL"] == 3 and loaded["COUNTS"] == "pipes=3"
    batch_id = loaded["BATCH_ID"]
    assert batch_id
    with open_registry(reg_path) as reg:
        assert reg.count("pipes") == 3
        pipes = reg.read("pipes")
        assert sorted(pipes["pipe_id"]) == ["P-1", "P-2", "P-3"]
        # reprojected from EPSG:4326 into UTM 46N metres
        assert 300_000 < pipes.geometry.iloc[0].coords[0][0] < 900_000
        assert list(reg.batches()["batch_id"]) == [batch_id]
    assert feedback.progress() == pytest.approx(100)

    undone = run("jalnet:undobatch", {"REGISTRY": reg_path, "BATCH": batch_id})
    assert undone["UNDO_BATCH_ID"] and undone["UNDO_BATCH_ID"] != batch_id
    with open_registry(reg_path) as reg:
        assert reg.count("pipes") == 0
        assert reg.batches().set_index("batch_id").loc[batch_id, "undone_by"] == undone["UNDO_BATCH_ID"]


def test_load_only_chosen_layers(jalnet_provider, tmp_path: Path, pipes_4326: Path) -> None:
    reg_path = str(tmp_path / "r.gpkg")
    run("jalnet:createregistry", {"OUTPUT": reg_path, "CRS": "EPSG:32646"})
    with pytest.raises(QgsProcessingException, match="has no layer 'sources'"):
        run("jalnet:loadlayers", {"REGISTRY": reg_path, "INPUT": str(pipes_4326), "LAYERS": "pipes, sources"})
    with pytest.raises(QgsProcessingException, match="'mains' is not a registry layer"):
        run("jalnet:loadlayers", {"REGISTRY": reg_path, "INPUT": str(pipes_4326), "LAYERS": "pipes=mains"})
    with open_registry(reg_path) as reg:
        assert reg.count("pipes") == 0  # a refused load writes nothing
    loaded = run("jalnet:loadlayers", {"REGISTRY": reg_path, "INPUT": str(pipes_4326), "LAYERS": " pipes=pipes "})
    assert loaded["TOTAL"] == 3


def test_layer_mapping_text() -> None:
    from jalnet.processing.load_layers import LoadLayers

    assert LoadLayers.layer_mapping("") is None
    assert LoadLayers.layer_mapping("pipes, final_valves = valves,") == {"pipes": "pipes", "final_valves": "valves"}


def test_engine_errors_become_processing_errors(jalnet_provider, tmp_path: Path, pipes_4326: Path) -> None:
    existing = tmp_path / "exists.gpkg"
    run("jalnet:createregistry", {"OUTPUT": str(existing), "CRS": "EPSG:32646"})
    with pytest.raises(QgsProcessingException, match="already exists"):
        run("jalnet:createregistry", {"OUTPUT": str(existing), "CRS": "EPSG:32646"})
    with pytest.raises(QgsProcessingException, match="not a projected CRS"):
        run("jalnet:createregistry", {"OUTPUT": str(tmp_path / "geo.gpkg"), "CRS": "EPSG:4326"})
    with pytest.raises(QgsProcessingException, match="no batch"):
        run("jalnet:undobatch", {"REGISTRY": str(existing), "BATCH": "nope"})
    with pytest.raises(QgsProcessingException, match="no registry at"):
        run("jalnet:loadlayers", {"REGISTRY": str(tmp_path / "missing.gpkg"), "INPUT": str(pipes_4326)})


def test_overwrite_replaces_a_registry(jalnet_provider, loaded_registry) -> None:
    path, _ = loaded_registry
    run("jalnet:createregistry", {"OUTPUT": path, "CRS": "EPSG:32645", "OVERWRITE": True})
    with open_registry(path) as reg:
        assert reg.epsg == 32645 and reg.count("pipes") == 0


def test_cancel_writes_nothing(jalnet_provider, tmp_path: Path, pipes_4326: Path) -> None:
    reg_path = str(tmp_path / "c.gpkg")
    run("jalnet:createregistry", {"OUTPUT": reg_path, "CRS": "EPSG:32646"})
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="cancel"):
        run("jalnet:loadlayers", {"REGISTRY": reg_path, "INPUT": str(pipes_4326)}, feedback)
    with open_registry(reg_path) as reg:
        assert reg.count("pipes") == 0 and reg.count("jalnet_batches") == 0


def test_copy_registry_keeps_content(jalnet_provider, loaded_registry, tmp_path: Path) -> None:
    src, _ = loaded_registry
    dst = str(tmp_path / "copy.gpkg")
    out = run("jalnet:copyregistry", {"SOURCE": src, "DESTINATION": dst})
    assert out["OUTPUT"] == dst and out["FEATURES"] == 3
    with open_registry(src) as a, open_registry(dst) as b:
        assert content_digest(a) == content_digest(b)
    with pytest.raises(QgsProcessingException, match="already exists"):
        run("jalnet:copyregistry", {"SOURCE": src, "DESTINATION": dst})


def test_registry_parameter_accepts_postgres_urls(jalnet_provider) -> None:
    alg = jalnet_provider.algorithm("undobatch")
    param = alg.parameterDefinition("REGISTRY")
    assert param.checkValueIsAcceptable("postgresql://gis@db.example:5432/jjm?schema=assam")
    assert param.checkValueIsAcceptable("/data/scheme.gpkg")
    assert not param.checkValueIsAcceptable("")
    assert param.clone().checkValueIsAcceptable("postgresql://u@h/db?schema=s")

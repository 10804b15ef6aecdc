"""Design pipe sizes in QGIS: the Processing algorithm writes the design, loads it styled, applies and undoes."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback, QgsProject, QgsVectorLayer

pytest.importorskip("wntr")

pytestmark = pytest.mark.qgis


def run(alg: str, params: dict, context: QgsProcessingContext | None = None) -> dict:
    import processing

    return processing.run(alg, params, context=context, feedback=QgsProcessingFeedback())


@pytest.fixture
def registry(jalnet_provider, tmp_path) -> str:
    from jalnet.demo import sample_crs
    from jalnet.registry import create_registry, load_layers
    from jalnet.samples import sample_path

    path = str(tmp_path / "reg.gpkg")
    with create_registry(path, crs=sample_crs(), overwrite=True) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"), tool="test")
    return path


def test_design_writes_loads_styled_and_applies_as_one_undoable_batch(registry, tmp_path) -> None:
    import jalnet
    from jalnet.registry import open_registry
    from jalnet.registry.store import content_digest
    from jalnet.samples import sample_path

    with open_registry(registry, readonly=True) as reg:
        before = content_digest(reg, include_log=False)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    out = run("jalnet:designpipes", {"REGISTRY": registry, "SCHEME": "4010457", "DEM": str(sample_path("dem.tif")),
                                     "APPLY": True, "OUTPUT": str(tmp_path / "design.gpkg")}, context)
    assert 0 < out["COST_INR"] < out["HAND_COST_INR"] and out["SAVING_PERCENT"] > 0
    assert out["BATCH_ID"] and out["BOQ"].endswith("design_boq.csv") and out["REPORT"].endswith("design_report.html")
    to_load = context.layersToLoadOnCompletion()
    assert {details.name for details in to_load.values()} == {"design_pipes (4010457)", "design_nodes (4010457)"}
    pipes = QgsVectorLayer(f"{out['OUTPUT']}|layername=design_pipes", "p", "ogr")
    assert pipes.isValid() and pipes.featureCount() >= 40
    assert pipes.loadNamedStyle(str(Path(jalnet.__file__).parent / "styles" / "design_pipes.qml"))[1]
    assert pipes.renderer().type() == "graduatedSymbol"
    run("jalnet:undobatch", {"REGISTRY": registry, "BATCH": out["BATCH_ID"]})
    with open_registry(registry, readonly=True) as reg:
        assert content_digest(reg, include_log=False) == before


def test_bad_input_becomes_a_processing_error(registry, tmp_path) -> None:
    from jalnet.samples import sample_path

    with pytest.raises(QgsProcessingException, match="below the minimum head"):
        run("jalnet:designpipes", {"REGISTRY": registry, "SCHEME": "4010457", "DEM": str(sample_path("dem.tif")),
                                   "MIN_HEAD": 30, "OUTPUT": str(tmp_path / "d.gpkg")})
    assert not (tmp_path / "d.gpkg").exists()

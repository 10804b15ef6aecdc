"""``jalnet:snapnetwork`` and ``jalnet:validatenetwork`` from Processing: registry batch, error layers, styles."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRuleBasedRenderer,
    QgsVectorLayer,
)
from shapely.geometry import LineString

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from topology_nets import make_registry, pipe, stage, variant  # noqa: E402

from jalnet.registry import content_digest, open_registry  # noqa: E402

pytestmark = pytest.mark.qgis


def run(alg: str, params: dict, load: bool = False) -> dict:
    import processing

    runner = processing.runAndLoadResults if load else processing.run
    return runner(alg, params, feedback=QgsProcessingFeedback())


@pytest.fixture
def registry(tmp_path: Path) -> str:
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P3"), "pipe_id": "P9", "contractor": "B", "from_node": "J4",
                            "to_node": None, "length_m": None, "geometry": LineString([(100, 100), (150, -40)])})
    return make_registry(str(tmp_path / "net.gpkg"), layers)


def test_algorithms_are_in_the_network_group(jalnet_provider) -> None:
    for name in ("snapnetwork", "validatenetwork"):
        alg = jalnet_provider.algorithm(name)
        assert alg is not None, name
        assert alg.group() == "Network" and len(alg.shortHelpString()) > 300 and "jalnet" in alg.tags()


def test_snap_dry_run_then_for_real(jalnet_provider, tmp_path: Path) -> None:
    path = make_registry(str(tmp_path / "s.gpkg"), variant())
    stage(path, [{"geometry": LineString([(150, 3), (150, 60)])}])
    with open_registry(path) as reg:
        before = content_digest(reg)
    proposed = tmp_path / "proposed.gpkg"
    dry = run("jalnet:snapnetwork", {"REGISTRY": path, "TOLERANCE": 5, "DRY_RUN": True, "OUTPUT": str(proposed)})
    assert dry["BATCH_ID"] == "" and dry["ADDED"] == 1 and dry["SPLIT_PIPES"] == 1
    assert QgsVectorLayer(f"{proposed}|layername=snap_lines", "l", "ogr").featureCount() == 3  # candidate, 2 pipes
    with open_registry(path) as reg:
        assert content_digest(reg) == before
    done = run("jalnet:snapnetwork", {"REGISTRY": path, "TOLERANCE": 5})
    assert done["BATCH_ID"] and done["NEW_PIPES"] == 2 and done["NEW_JUNCTIONS"] == 2
    with open_registry(path) as reg:
        assert reg.count("pipes") == 5
        assert reg.batches()["tool"].iloc[-1] == "network snap"
    again = run("jalnet:snapnetwork", {"REGISTRY": path, "TOLERANCE": 5})
    assert again["BATCH_ID"] == "" and again["ADDED"] == 0


def test_validate_writes_styled_error_layers_and_report(jalnet_provider, registry: str, tmp_path: Path,
                                                        project: QgsProject) -> None:
    out, report, csv = tmp_path / "errors.gpkg", tmp_path / "health.html", tmp_path / "health.csv"
    result = run("jalnet:validatenetwork", {"REGISTRY": registry, "OUTPUT": str(out), "REPORT": str(report),
                                            "CSV": str(csv)}, load=True)
    assert (result["ERRORS"], result["WARNINGS"], result["NOTES"]) == (1, 1, 0)
    assert result["OUTPUT"] == str(out) and report.exists() and csv.exists()
    loaded = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    points = loaded["Network findings (points)"]
    assert points.featureCount() == 2
    assert isinstance(points.renderer(), QgsRuleBasedRenderer)
    labels = {r.label() for r in points.renderer().rootRule().children()}
    assert {"Error", "Warning", "Note", "Fixed or accepted"} <= labels
    # opened later by hand, the file brings its own default style
    by_hand = QgsVectorLayer(f"{out}|layername=findings_points", "by hand", "ogr")
    assert by_hand.isValid() and isinstance(by_hand.renderer(), QgsRuleBasedRenderer)


def test_validate_parameters_and_errors(jalnet_provider, registry: str, tmp_path: Path) -> None:
    out = tmp_path / "e.gpkg"
    only = run("jalnet:validatenetwork", {"REGISTRY": registry, "OUTPUT": str(out), "RULES": "NET-020"})
    assert (only["ERRORS"], only["WARNINGS"]) == (0, 1)
    far = run("jalnet:validatenetwork", {"REGISTRY": registry, "OUTPUT": str(out), "RULES": "NET-051",
                                         "FHTC_DISTANCE": 5})
    assert far["WARNINGS"] == 1  # the tap 10 m from P2
    with pytest.raises(QgsProcessingException, match="unknown rule 'NET-999'"):
        run("jalnet:validatenetwork", {"REGISTRY": registry, "OUTPUT": str(out), "RULES": "NET-999"})
    with pytest.raises(QgsProcessingException, match="scheme S7 is not in"):
        run("jalnet:validatenetwork", {"REGISTRY": registry, "OUTPUT": str(out), "SCHEME": "S7"})

"""``jalnet:datahealth`` from Processing: the run kept in the registry, styled layers, the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qgis.core import QgsGraduatedSymbolRenderer, QgsProcessingFeedback, QgsVectorLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from topology_nets import make_registry, pipe, variant  # noqa: E402

from jalnet.registry import open_registry  # noqa: E402

pytestmark = pytest.mark.qgis


def run(params: dict) -> dict:
    import processing

    return processing.run("jalnet:datahealth", params, feedback=QgsProcessingFeedback())


def test_data_health_algorithm(jalnet_provider, tmp_path: Path) -> None:
    alg = jalnet_provider.algorithm("datahealth")
    assert alg is not None and alg.group() == "Network" and len(alg.shortHelpString()) > 300
    layers = variant()
    layers["pipes"].append({**pipe(layers, "P2"), "pipe_id": "P9"})  # P2 entered twice
    path = make_registry(str(tmp_path / "net.gpkg"), layers)
    out, report = tmp_path / "health.gpkg", tmp_path / "health.html"
    got = run({"REGISTRY": path, "OUTPUT": str(out), "REPORT": str(report)})
    assert got["ERRORS"] >= 2 and got["NEW"] == got["ERRORS"] + got["WARNINGS"] + got["NOTES"]
    schemes = QgsVectorLayer(got["SCHEMES"], "s", "ogr")
    assert schemes.isValid() and schemes.featureCount() == 1
    assert isinstance(schemes.renderer(), QgsGraduatedSymbolRenderer)  # the default style embedded in the file
    lines = QgsVectorLayer(f"{out}|layername=findings_lines", "l", "ogr")
    assert "NET-010" in {f["rule"] for f in lines.getFeatures()}
    assert "<svg" in report.read_text(encoding="utf-8")
    with open_registry(path, readonly=True) as reg:
        assert reg.count("health_runs") == 1
    again = run({"REGISTRY": path, "OUTPUT": str(out), "STORE": False})
    assert again["NEW"] == 0 and again["ERRORS"] == got["ERRORS"]

"""``jalnet:assessflood`` runs the flood engine from Processing: outputs, styled layers, PDF, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pyogrio
import pytest
from qgis.core import QgsCategorizedSymbolRenderer, QgsProcessingException, QgsProcessingFeedback, QgsProject

from jalnet.registry import create_registry, load_layers
from jalnet.samples import sample_path

pytestmark = pytest.mark.qgis


@pytest.fixture(scope="module")
def sample_registry(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("flood") / "registry.gpkg")
    with create_registry(path, crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
    return path


def run(params: dict, load: bool = False) -> dict:
    import processing

    runner = processing.runAndLoadResults if load else processing.run
    return runner("jalnet:assessflood", params, feedback=QgsProcessingFeedback())


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-"), "not a PDF"
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_assess_sample_flood_with_pdf_and_styled_layers(jalnet_provider, sample_registry: str, tmp_path: Path,
                                                        project: QgsProject) -> None:
    alg = jalnet_provider.algorithm("assessflood")
    assert alg is not None and alg.group() == "Flood" and len(alg.shortHelpString()) > 150
    out, pdf, csv = tmp_path / "impact.gpkg", tmp_path / "impact.pdf", tmp_path / "summary.csv"
    result = run({"REGISTRY": sample_registry, "DEPTH": str(sample_path("flood_depth.tif")), "OUTPUT": str(out),
                  "PDF": str(pdf), "SUMMARY": str(csv), "DATE": "2024-07-03", "EVENT": "July wave"}, load=True)
    assert result["OUTPUT"] == str(out) and out.exists() and csv.exists()
    assert pdf_pages(pdf) >= 2  # the map page and the tables
    # the sample flood: 130 of 430 taps wet (jalnet/data/README.md), the source and IRP above their critical height
    fhtc = pyogrio.read_dataframe(out, layer="impact_fhtc")
    assert result["HOUSEHOLDS_FLOODED"] == int((fhtc["depth_m"] > 0).sum()) == 130
    assert set(fhtc["event"]) == {"July wave"} and set(fhtc["date"]) == {"2024-07-03"}
    assert result["HOUSEHOLDS_LOSING_SUPPLY"] == int(fhtc["loses_supply"].sum()) > 0
    sources = pyogrio.read_dataframe(out, layer="impact_sources")
    assert bool(sources["out_of_service"].iloc[0]) is True

    loaded = {lyr.name(): lyr for lyr in project.mapLayers().values()}
    impact = loaded["Flood impact: fhtc"]
    assert impact.featureCount() == 430
    renderer = impact.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer) and renderer.classAttribute() == "severity"
    assert {"no_data", "dry", "high"} <= {c.value() for c in renderer.categories()}


def test_extent_only_and_bad_input(jalnet_provider, sample_registry: str, tmp_path: Path) -> None:
    out = tmp_path / "extent.gpkg"
    result = run({"REGISTRY": sample_registry, "EXTENT": str(sample_path("flood_extent.gpkg")), "OUTPUT": str(out)})
    fhtc = pyogrio.read_dataframe(out, layer="impact_fhtc")
    assert fhtc["depth_m"].isna().all()
    assert result["HOUSEHOLDS_FLOODED"] == int((fhtc["severity"] == "unknown_depth").sum()) > 0

    with pytest.raises(QgsProcessingException, match="Give a flood depth raster"):
        run({"REGISTRY": sample_registry, "OUTPUT": str(tmp_path / "none.gpkg")})
    bad = tmp_path / "thresholds.csv"
    bad.write_text("asset_type,critical_height_m\nwindmill,1.0\n")
    with pytest.raises(QgsProcessingException, match="unknown asset type 'windmill'"):
        run({"REGISTRY": sample_registry, "DEPTH": str(sample_path("flood_depth.tif")), "THRESHOLDS": str(bad),
             "OUTPUT": str(tmp_path / "bad.gpkg")})
    assert not (tmp_path / "bad.gpkg").exists()


def test_hydraulic_method_with_the_dem(jalnet_provider, sample_registry: str, tmp_path: Path) -> None:
    pytest.importorskip("wntr")
    out = tmp_path / "hydraulic.gpkg"
    result = run({"REGISTRY": sample_registry, "DEPTH": str(sample_path("flood_depth.tif")), "METHOD": 1,
                  "DEM": str(sample_path("dem.tif")), "OUTPUT": str(out)})
    fhtc = pyogrio.read_dataframe(out, layer="impact_fhtc")
    # the flooded source and its iron removal plant leave the OHT without refill: the scheme runs dry
    assert result["HOUSEHOLDS_LOSING_SUPPLY"] == int((fhtc["supply_status"] == "below_pressure").sum()) > 0

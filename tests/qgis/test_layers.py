"""Registry layers load into QGIS grouped and styled; write_project writes a usable .qgz."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFieldConstraints,
    QgsProject,
    QgsVectorLayer,
)

from jalnet.plugin.layers import GROUP_ORDER, PROP_LAYER, add_registry_layers, registry_layers, style_path
from jalnet.registry.schema import ASSET_LAYERS, DOMAINS, layer

pytestmark = pytest.mark.qgis


def by_name(layers: list[QgsVectorLayer]) -> dict[str, QgsVectorLayer]:
    return {vl.customProperty(PROP_LAYER): vl for vl in layers}


def test_every_spatial_layer_has_a_style() -> None:
    # Fails when a layer is added to the schema: run scripts/make_styles.py.
    for name in ASSET_LAYERS:
        if layer(name).geometry:
            assert style_path(name).exists(), name


def test_styles_load_without_the_authors_font(tmp_path: Path, monkeypatch) -> None:
    """A QML naming its author's font must not make QGIS warn 'font not available' on other machines."""
    import jalnet.plugin.layers as layers_mod

    text = style_path("villages").read_text(encoding="utf-8")
    text = text.replace("<text-style ", '<text-style fontFamily="No Such Font 123" ', 1)
    (tmp_path / "villages.qml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(layers_mod, "STYLES", tmp_path)
    vl = QgsVectorLayer("MultiPolygon?crs=EPSG:32646&field=name:string", "v", "memory")
    assert layers_mod.apply_style(vl, "villages")
    assert vl.labelsEnabled()
    assert vl.labeling().settings().format().fontFound()  # False would mean a "font not available" warning


def test_add_registry_layers_groups_and_styles(project: QgsProject, loaded_registry) -> None:
    path, _ = loaded_registry
    layers = add_registry_layers(path, project)
    named = by_name(layers)
    assert set(named) == set(ASSET_LAYERS)
    assert all(vl.isValid() for vl in layers)

    pipes = named["pipes"]
    assert pipes.featureCount() == 3
    assert pipes.crs().authid() == "EPSG:32646"
    assert pipes.name() == "Pipes"
    renderer = pipes.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer)
    assert renderer.classAttribute() == "material"
    assert {c.value() for c in renderer.categories()} >= set(DOMAINS["pipe_material"])
    assert renderer.categories()[0].symbol().dataDefinedWidth().isActive()  # width by diameter

    material = pipes.fields().indexOf("material")
    setup = pipes.editorWidgetSetup(material)
    assert setup.type() == "ValueMap"
    codes = [next(iter(entry.values())) for entry in setup.config()["map"]]
    assert set(DOMAINS["pipe_material"]) <= set(codes)
    assert pipes.attributeAlias(pipes.fields().indexOf("diameter_mm")) == "Nominal diameter (mm)"
    constraints = pipes.fields().field("pipe_id").constraints()
    assert constraints.constraints() & QgsFieldConstraints.ConstraintNotNull
    diameter = pipes.fields().field("diameter_mm").constraints()
    assert "3000" in diameter.constraintExpression()
    assert pipes.editorWidgetSetup(pipes.fields().indexOf("laid_date")).type() == "DateTime"

    villages = named["villages"]
    assert villages.labelsEnabled() and villages.labeling().settings().fieldName == "name"

    root = project.layerTreeRoot()
    top = root.findGroup("scheme")
    assert top is not None and root.children()[0] is top
    groups = [g.name() for g in top.children()]
    expected = {layer(n).group for n in ASSET_LAYERS}
    assert set(groups) == expected
    assert [g for g in GROUP_ORDER if g in expected] == groups[: len([g for g in GROUP_ORDER if g in expected])]
    assert groups.index("Network") < groups.index("Assets") < groups.index("Administrative")
    assets = [n.layer().customProperty(PROP_LAYER) for n in top.findGroup("Assets").findLayers()]
    assert assets[-1] == "pipes" and assets[0] == "sources"  # points above the lines they sit on
    assert registry_layers(project, str(Path(path).resolve())) != []


def test_loading_twice_replaces_the_group(project: QgsProject, loaded_registry) -> None:
    path, _ = loaded_registry
    add_registry_layers(path, project, group_name="Scheme A")
    add_registry_layers(path, project, group_name="Scheme A")
    root = project.layerTreeRoot()
    assert [g.name() for g in root.children()].count("Scheme A") == 1
    assert len(project.mapLayers()) == len(ASSET_LAYERS)


def test_write_project_reads_back(tmp_path: Path, loaded_registry) -> None:
    from jalnet.plugin.project import write_project

    path, _ = loaded_registry
    extra = tmp_path / "roads.geojson"
    extra.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"NH 27"},'
        '"geometry":{"type":"LineString","coordinates":[[91.69,26.09],[91.73,26.12]]}}]}'
    )
    out = write_project(path, str(tmp_path / "demo.qgz"),
                        extra_layers=[(str(extra), "Roads", None)], title="Test scheme")
    assert out.endswith("demo.qgz")
    with zipfile.ZipFile(out) as zf:
        qgs = next(n for n in zf.namelist() if n.endswith(".qgs"))
        text = zf.read(qgs).decode()
    assert str(tmp_path) not in text  # relative paths only: the folder can move
    assert "./scheme.gpkg|layername=pipes" in text
    assert "fontFamily=" not in text  # the default font of whoever opens it, no "font missing" warning

    project = QgsProject()
    assert project.read(out)
    layers = list(project.mapLayers().values())
    assert len(layers) == len(ASSET_LAYERS) + 1
    assert all(vl.isValid() for vl in layers), [vl.name() for vl in layers if not vl.isValid()]
    assert project.crs().authid() == "EPSG:32646"
    assert project.title() == "Test scheme"
    extent = project.viewSettings().defaultViewExtent()
    pipes = next(vl for vl in layers if vl.customProperty(PROP_LAYER) == "pipes")
    assert extent.contains(pipes.extent())
    assert extent.width() < 5 * pipes.extent().width() + 500
    assert isinstance(pipes.renderer(), QgsCategorizedSymbolRenderer)
    project.clear()


def test_write_project_refuses_a_missing_extra_layer(tmp_path: Path, loaded_registry) -> None:
    from jalnet.errors import JalnetError
    from jalnet.plugin.project import write_project

    path, _ = loaded_registry
    with pytest.raises(JalnetError, match="cannot open"):
        write_project(path, str(tmp_path / "x.qgz"), extra_layers=[(str(tmp_path / "nope.tif"), "DEM", None)])
    assert not (tmp_path / "x.qgz").exists()

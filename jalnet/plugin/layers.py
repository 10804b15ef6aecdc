"""Loading a registry's layers into a QGIS project: grouped, styled, tagged.

Used by the registry panel and by :func:`jalnet.plugin.project.write_project`, so the
demo project and an interactive session show the registry the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from qgis.core import (
    QgsDataSourceUri,
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsProject,
    QgsProviderRegistry,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument, QDomNode

from . import logging as log

STYLES = Path(__file__).resolve().parent.parent / "styles"
#: Custom properties set on every registry layer, so the panel can find them again.
PROP_REGISTRY = "jalnet/registry"
PROP_LAYER = "jalnet/layer"
#: Layer-tree groups, top (drawn last) to bottom: contractor candidates over the network,
#: fittings above pipes, boundaries below all. Groups not listed follow, in schema order.
GROUP_ORDER = ("Staging", "Network", "Assets", "Consumers", "Administrative", "Geology", "Hydraulics", "Validation")
#: Groups shown collapsed: specialist and working layers most users rarely open.
COLLAPSED_GROUPS = ("Staging", "Geology", "Hydraulics", "Validation")
_GEOMETRY_ORDER = {"POINT": 0, "LINESTRING": 1, "MULTIPOLYGON": 2, None: 3}


def registry_title(target: str) -> str:
    """A short name for a registry: the file name, or "database.schema" for PostGIS."""
    from urllib.parse import parse_qsl, urlsplit

    if _is_postgres(target):
        parts = urlsplit(target)
        schema = dict(parse_qsl(parts.query)).get("schema", "jalnet")
        database = parts.path.lstrip("/") or "postgres"
        return f"{database}.{schema}"
    return Path(target).stem


def style_path(layer_name: str) -> Path:
    return STYLES / f"{layer_name}.qml"


def ordered_layers(names: list[str]) -> list[tuple[str, list[str]]]:
    """Registry layers grouped by their schema ``group``, in layer-tree order."""
    from ..registry.schema import layer

    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(layer(name).group, []).append(name)
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    out = []
    for group in sorted(groups, key=lambda g: rank.get(g, len(rank))):
        members = sorted(groups[group], key=lambda n: (_GEOMETRY_ORDER.get(layer(n).geometry, 3), names.index(n)))
        out.append((group, members))
    return out


def strip_font_families(node: QDomNode) -> None:
    """Remove label font families under *node*, so QGIS uses the user's default font.

    A QML or project written on one machine names that machine's font ("DejaVu LGC
    Sans" on Debian); where it is missing, QGIS warns "font not available" every time.
    """
    if node.isDocument():
        styles = node.toDocument().elementsByTagName("text-style")
    else:
        styles = node.toElement().elementsByTagName("text-style")
    for i in range(styles.count()):
        style = styles.at(i).toElement()
        style.removeAttribute("fontFamily")
        style.removeAttribute("namedStyle")


def apply_style(vl: QgsVectorLayer, layer_name: str) -> bool:
    """Load ``styles/<layer>.qml`` (symbols, forms, aliases); False when there is none or it fails."""
    path = style_path(layer_name)
    if not path.exists():
        return False
    doc = QDomDocument()
    parsed = doc.setContent(path.read_text(encoding="utf-8"))
    if not (parsed[0] if isinstance(parsed, tuple) else parsed):
        log.warning(f"style {path.name} is not valid XML")
        return False
    strip_font_families(doc)
    ok, message = vl.importNamedStyle(doc)
    if not ok:
        log.warning(f"style {path.name} not applied to {layer_name}: {message}")
    return bool(ok)


def use_authcfg(uri: str, authcfg: str | None) -> str:
    """Swap user/password in a PostGIS URI for a QGIS authentication config, so none is saved in projects."""
    if not authcfg:
        return uri
    ds = QgsDataSourceUri(uri)
    ds.setUsername("")
    ds.setPassword("")
    ds.setAuthConfigId(authcfg)
    return ds.uri(False)


def remove_group(project: QgsProject, group: QgsLayerTreeGroup) -> None:
    """Remove a group and the layers in it from the project."""
    ids = [node.layerId() for node in group.findLayers()]
    parent = group.parent()
    if parent is not None:
        parent.removeChildNode(group)
    project.removeMapLayers(ids)


def _is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def registry_key(target: str) -> str:
    """How a registry is recognised: the resolved GeoPackage path, or the URL without password."""
    if _is_postgres(target):
        from .connections import redact

        return redact(target)
    return str(Path(target).expanduser().resolve())


def layer_registry(layer: QgsMapLayer) -> str | None:
    """The registry a layer was loaded from (see :func:`registry_key`), or None for other layers.

    For a GeoPackage it is read from the layer's source, not stored, so a project that
    was moved with its registry still knows its layers.
    """
    if layer.customProperty(PROP_LAYER) is None:
        return None
    if layer.providerType() == "ogr":
        path = QgsProviderRegistry.instance().decodeUri("ogr", layer.source()).get("path")
        return str(Path(path).resolve()) if path else None
    return layer.customProperty(PROP_REGISTRY)


def project_registry(project: QgsProject) -> str | None:
    """The GeoPackage registry whose layers the project shows (the first one found), or None."""
    for layer in project.mapLayers().values():
        target = layer_registry(layer)
        if target and not _is_postgres(target):
            return target
    return None


def project_dem(project: QgsProject) -> str | None:
    """The file of the project's one raster layer named as an elevation model ("DEM", "elevation"), or None."""
    found = [lyr for lyr in project.mapLayers().values() if isinstance(lyr, QgsRasterLayer) and lyr.providerType() ==
             "gdal" and re.search(r"\b(dem|dtm|elevation)\b", lyr.name(), re.IGNORECASE)]
    return found[0].source() if len(found) == 1 else None


def registry_layers(project: QgsProject, target: str) -> list[QgsMapLayer]:
    """Layers of *project* that were loaded from the registry *target*."""
    key = registry_key(target)
    return [lyr for lyr in project.mapLayers().values() if layer_registry(lyr) == key]


def open_layer(name: str, uri: str, provider: str, target: str) -> QgsVectorLayer | None:
    """One registry layer, styled and tagged; None (and a log line) when QGIS cannot open it."""
    from ..registry.schema import layer

    vl = QgsVectorLayer(uri, layer(name).title, provider)
    if not vl.isValid():
        log.warning(f"cannot open registry layer {name} ({provider}): {vl.error().summary()}")
        return None
    apply_style(vl, name)
    if provider != "ogr":  # a GeoPackage is recognised by its path (see layer_registry)
        vl.setCustomProperty(PROP_REGISTRY, registry_key(target))
    vl.setCustomProperty(PROP_LAYER, name)
    return vl


def add_registry_layers(
    registry_target: str,
    project: QgsProject,
    group_name: str | None = None,
    authcfg: str | None = None,
) -> list[QgsVectorLayer]:
    """Add the registry's layers to *project* under one group, sub-grouped and styled.

    An existing top-level group of the same name is replaced, so opening a registry again
    reloads it rather than duplicating it. Layers that QGIS cannot open are logged and
    skipped. Raises :class:`jalnet.errors.JalnetError` when the registry cannot be opened.
    """
    from ..registry import open_registry

    with open_registry(registry_target, readonly=True) as reg:
        names = reg.layer_names()
        sources = {name: reg.layer_source(name) for name in names}
        target = reg.target
    if authcfg is None and _is_postgres(registry_target):
        from .connections import stored_authcfg

        authcfg = stored_authcfg(registry_target)
        if authcfg is None and urlsplit(registry_target).password:
            log.warning("the password in the registry URL is not kept (QGIS's authentication database is not "
                        "available): QGIS asks for it, or give it in a pgpass file or a QGIS auth config")
    group_name = group_name or registry_title(registry_target)

    # The group is built detached and inserted once, so the layer tree view takes the
    # expanded/collapsed state from the nodes instead of expanding as layers arrive.
    top = QgsLayerTreeGroup(group_name)
    added: list[QgsVectorLayer] = []
    for group, members in ordered_layers(names):
        sub = QgsLayerTreeGroup(group)
        sub.setExpanded(group not in COLLAPSED_GROUPS)
        for name in members:
            uri, provider = sources[name]
            vl = open_layer(name, use_authcfg(uri, authcfg) if provider == "postgres" else uri, provider, target)
            if vl is None:
                continue
            project.addMapLayer(vl, False)
            node = sub.addLayer(vl)
            node.setExpanded(False)  # 11 pipe materials would push everything else off screen
            node.setCustomProperty("showFeatureCount", True)  # counts per layer and per category
            added.append(vl)
        if sub.children():
            top.addChildNode(sub)

    root = project.layerTreeRoot()
    old = root.findGroup(group_name)
    if old is not None and old.parent() is root:
        remove_group(project, old)
    root.insertChildNode(0, top)
    log.info(f"loaded {len(added)} layer(s) of registry {target} into group '{group_name}'")
    return added


def layers_extent(layers: list[QgsVectorLayer], prefer: str = "pipes") -> QgsRectangle:
    """Extent of the *prefer* layer when it has features, else of all non-empty spatial layers."""

    def extent_of(vl: QgsVectorLayer) -> QgsRectangle | None:
        if not vl.isSpatial() or vl.featureCount() == 0:
            return None
        vl.updateExtents()
        ext = vl.extent()
        return None if ext.isNull() else ext

    for vl in layers:
        if vl.customProperty(PROP_LAYER) == prefer:
            ext = extent_of(vl)
            if ext is not None:
                return ext
    total = QgsRectangle()
    total.setMinimal()
    for vl in layers:
        ext = extent_of(vl)
        if ext is not None:
            total.combineExtentWith(ext)
    return total

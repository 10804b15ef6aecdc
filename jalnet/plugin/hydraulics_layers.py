"""Hydraulic results into the QGIS project: styled layers of one scheme and scenario, in a group.

The engine says which layers a run wrote and with which style
(the ``load`` list of its job, from :func:`jalnet.hydraulics.results.map_layers`); this puts them in the project and sets the
project's time range to the run's, so the temporal controller can play it at once.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsDateTimeRange, QgsLayerTreeGroup, QgsMapLayer, QgsProject, QgsVectorLayer

from ..errors import InputError


def load_results(path: str, scheme: str, scenario: str, specs: list[dict[str, Any]],
                 project: QgsProject | None = None, group: str | None = None) -> list[QgsMapLayer]:
    """Add the styled result layers of one scheme and scenario; returns them (top first).

    *specs* are the engine's ``load`` entries for the run (``uri``, ``title``, ``style.path``).
    """
    project = project or QgsProject.instance()
    if not specs:
        raise InputError(f"{path} has no results for scheme {scheme}, scenario {scenario}")
    root = project.layerTreeRoot()
    name = group or f"Hydraulics: {scheme} {scenario}"
    existing = root.findGroup(name)
    if existing is not None:
        root.removeChildNode(existing)
    tree: QgsLayerTreeGroup = root.insertGroup(0, name)
    layers: list[QgsMapLayer] = []
    for spec in specs:
        uri, title, qml = spec["uri"], spec["title"], spec["style"]["path"]
        layer = QgsVectorLayer(uri, title, "ogr")
        if not layer.isValid():
            raise InputError(f"QGIS cannot open {uri}")
        message, ok = layer.loadNamedStyle(qml)
        if not ok:
            raise InputError(f"style {qml} cannot be applied to {title}: {message}")
        project.addMapLayer(layer, False)
        tree.addLayer(layer)
        layers.append(layer)
        if layer.temporalProperties().isActive():
            _widen_time_range(project, layer)
    return layers


def _widen_time_range(project: QgsProject, layer: QgsVectorLayer) -> None:
    fields = layer.fields()
    begin = layer.minimumValue(fields.indexOf("t_start"))
    end = layer.maximumValue(fields.indexOf("t_end"))
    if not (hasattr(begin, "isValid") and begin.isValid() and hasattr(end, "isValid") and end.isValid()):
        return
    extent = QgsDateTimeRange(begin, end)
    settings = project.timeSettings()
    current = settings.temporalRange()
    if current.begin().isValid() and current.end().isValid():
        begin = min(current.begin(), extent.begin())
        end = max(current.end(), extent.end())
        extent = QgsDateTimeRange(begin, end)
    settings.setTemporalRange(extent)

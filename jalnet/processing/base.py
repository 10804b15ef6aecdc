"""What every JalNet Processing algorithm shares: naming, help, errors, the registry parameter.

Algorithms are thin adapters that never import an engine: ``engine_args`` turns the
parameters into one engine call (QGIS layers become files first), the call runs in the
JalNet engine process (:mod:`jalnet.engineclient`) with its progress, messages and Cancel
wired to the dialog, its one-line error becomes a ``QgsProcessingException``, and the
layers it names are loaded styled when the algorithm finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProject,
    QgsRasterFileWriter,
    QgsRasterLayer,
    QgsRasterPipe,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..engineclient import client
from ..plugin.engine_calls import configure as configure_engine

ICON_PATH = Path(__file__).resolve().parent.parent / "icon.png"


def is_postgres_url(value: str) -> bool:
    return value.strip().lower().startswith(("postgresql://", "postgres://"))


class RegistryParameter(QgsProcessingParameterFile):
    """A registry: one the project already uses (offered first), a GeoPackage, or a typed ``postgresql://`` URL.

    A plain file parameter refuses URLs and a string parameter has no Browse button; a
    registry is usually a file, sometimes a PostGIS schema, so this accepts both. In dialogs
    its widget (:mod:`jalnet.processing.registry_widget`) lists the registry open in the
    panel and those whose layers the project shows; ``qgis_process`` ignores the widget.
    """

    WIDGET = "jalnet.processing.registry_widget.RegistryWidgetWrapper"

    def __init__(self, name: str, description: str, optional: bool = False) -> None:
        super().__init__(
            name,
            description,
            behavior=QgsProcessingParameterFile.File,
            fileFilter="JalNet registry (*.gpkg *.GPKG)",
            optional=optional,
        )
        self.setMetadata({"widget_wrapper": {"class": self.WIDGET}})

    def clone(self) -> RegistryParameter:
        optional = bool(self.flags() & QgsProcessingParameterDefinition.FlagOptional)
        copy = RegistryParameter(self.name(), self.description(), optional)
        copy.setHelp(self.help())
        copy.setMetadata(self.metadata())
        return copy

    def checkValueIsAcceptable(self, value: Any, context: QgsProcessingContext | None = None) -> bool:  # noqa: N802
        if isinstance(value, str) and is_postgres_url(value):
            return True
        return super().checkValueIsAcceptable(value, context)


class JalnetAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses set the class constants and implement initAlgorithm/processAlgorithm."""

    #: Algorithm id within the provider (``jalnet:<NAME>``); lowercase, no spaces.
    NAME = ""
    DISPLAY_NAME = ""
    GROUP = "Registry"
    GROUP_ID = "registry"
    HELP = ""
    #: Extra search words for the toolbox ("jalnet" is always added, so the toolbox can filter on it).
    TAGS: tuple[str, ...] = ("registry", "asset", "water supply", "jal jeevan")
    #: The engine job (see :mod:`jalnet.engine.jobs`); the algorithm's NAME when empty.
    JOB = ""

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("JalNet", text)

    def createInstance(self) -> JalnetAlgorithm:  # noqa: N802
        return type(self)()

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:  # noqa: N802
        return self.tr(self.DISPLAY_NAME)

    def group(self) -> str:
        return self.tr(self.GROUP)

    def groupId(self) -> str:  # noqa: N802
        return self.GROUP_ID

    def tags(self) -> list[str]:
        return ["jalnet", *self.TAGS]

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(self.HELP)

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def registry_target(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> str:
        """The registry a parameter names: an absolute GeoPackage path or a PostGIS URL."""
        value = (self.parameterAsString(parameters, name, context) or "").strip()
        if not value:
            raise QgsProcessingException(self.tr("No registry given: choose a GeoPackage or type a postgresql:// URL"))
        if is_postgres_url(value):
            return value
        return str(Path(value).expanduser().resolve())

    def engine_args(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> dict[str, Any]:
        """The engine job's arguments (plain JSON) from the algorithm's parameters."""
        raise NotImplementedError

    def finish(self, result: dict[str, Any], parameters: dict[str, Any], context: QgsProcessingContext,
               feedback: QgsProcessingFeedback) -> dict[str, Any]:
        """The algorithm's outputs from the job's result (subclasses add QGIS-side work)."""
        return dict(result.get("outputs") or {})

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        feedback = feedback or QgsProcessingFeedback()
        result = run_engine_job(self.JOB or self.NAME, self.engine_args(parameters, context, feedback), feedback)
        for spec in result.get("load") or []:
            load_on_completion(context, spec["uri"], spec["title"], partial(apply_layer_style, spec=spec["style"]),
                               group=spec.get("group"))
        return self.finish(result, parameters, context, feedback)


def run_engine_job(job: str, args: dict[str, Any], feedback: QgsProcessingFeedback | None) -> dict[str, Any]:
    """Run one engine job with its progress, messages and Cancel in *feedback*; an engine error
    becomes the one-line ``QgsProcessingException``."""
    feedback = feedback or QgsProcessingFeedback()
    push_warning = getattr(feedback, "pushWarning", None) or partial(feedback.reportError, fatalError=False)
    configure_engine()
    # qgis_process runs one algorithm per process: a worker would only cost its start-up
    warm = False if QgsApplication.instance() and QgsApplication.instance().platform() == "qgis_process" else None
    try:
        return client.run_job(job, args, progress=feedback.setProgress, info=feedback.pushInfo,
                              warning=push_warning, is_canceled=feedback.isCanceled, warm=warm)
    except client.EngineError as err:
        raise QgsProcessingException(str(err)) from err


def apply_layer_style(layer: QgsMapLayer, spec: dict[str, Any]) -> None:
    """Style a layer the engine wrote, as its ``style`` spec says (see :mod:`jalnet.engine.jobs`)."""
    kind = spec.get("kind")
    if kind == "qml":
        layer.loadNamedStyle(spec["path"])
    elif kind == "flood":
        from ..plugin.flood_style import style_impact_layer

        style_impact_layer(layer, spec["layer"], spec["classes"])
    elif kind in ("jalnet", "staged"):
        from ..plugin.layers import PROP_LAYER, apply_style

        apply_style(layer, spec["name"])
        if kind == "staged":
            layer.setCustomProperty(PROP_LAYER, spec["name"])


def raster_file(layer: QgsRasterLayer | None, context: QgsProcessingContext,
                feedback: QgsProcessingFeedback | None = None) -> str | None:
    """A file the engine can read for a raster layer: its own file when GDAL reads it from
    disk, else a GeoTIFF QGIS writes (a WMS/WCS layer, a model output in memory...)."""
    if layer is None:
        return None
    source = layer.source()
    if layer.providerType() == "gdal" and Path(source).exists():
        return source
    from qgis.core import QgsProcessingUtils

    path = QgsProcessingUtils.generateTempFilename(f"{layer.name() or 'raster'}.tif")
    writer = QgsRasterFileWriter(path)
    writer.setOutputFormat("GTiff")
    pipe = QgsRasterPipe()
    pipe.set(layer.dataProvider().clone())
    provider = layer.dataProvider()
    error = writer.writeRaster(pipe, provider.xSize(), provider.ySize(), provider.extent(), provider.crs(),
                               context.transformContext(), feedback)
    if error != QgsRasterFileWriter.NoError:
        raise QgsProcessingException(f"cannot write raster layer '{layer.name()}' to a file for the engine "
                                     f"(error {error}); save it as a GeoTIFF and use that")
    return path


#: Processing holds layer post-processors by raw pointer; Python keeps them alive until the layers load.
_POST_PROCESSORS: list[QgsProcessingLayerPostProcessorInterface] = []


class _StyleOnLoad(QgsProcessingLayerPostProcessorInterface):
    """Runs a styling function on a layer once QGIS has loaded it."""

    def __init__(self, style: Callable[[QgsMapLayer], None]) -> None:
        super().__init__()
        self.style = style

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802
        self.style(layer)
        layer.triggerRepaint()


def load_on_completion(context: QgsProcessingContext, uri: str, title: str, style: Callable[[QgsMapLayer], None],
                       group: str | None = None) -> None:
    """Queue a layer to open, styled by *style*, when the algorithm finishes."""
    del _POST_PROCESSORS[: max(0, len(_POST_PROCESSORS) - 200)]
    details = QgsProcessingContext.LayerDetails(title, context.project() or QgsProject.instance(), group or title)
    post = _StyleOnLoad(style)
    details.setPostProcessor(post)
    _POST_PROCESSORS.append(post)
    if group and hasattr(details, "groupName"):  # QGIS >= 3.32 puts it in a layer-tree group
        details.groupName = group
    context.addLayerToLoadOnCompletion(uri, details)

"""What every JalNet Processing algorithm shares: naming, help, errors, the registry parameter.

Algorithms are thin adapters: they read parameters, call one engine function with a
:class:`~jalnet.processing.feedback.ProcessingFeedback`, and turn a
:class:`~jalnet.errors.JalnetError` into a ``QgsProcessingException`` so the user sees the
engine's one-line message instead of a traceback. Engines are imported inside
``processAlgorithm`` so that a missing package never stops the provider from loading.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from qgis.core import (
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProject,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..errors import JalnetError

ICON_PATH = Path(__file__).resolve().parent.parent / "icon.png"
#: Packages the registry engine imports; algorithms that use the registry need all of them.
REGISTRY_MODULES: tuple[str, ...] = ("numpy", "pandas", "shapely", "pyproj", "geopandas", "pyogrio")

T = TypeVar("T")


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
    #: Python modules the engine behind this algorithm imports; the provider skips the
    #: algorithm when one is missing (see :mod:`jalnet.dependencies`).
    REQUIRES: tuple[str, ...] = REGISTRY_MODULES

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

    @staticmethod
    def run_engine(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call an engine function; a JalnetError becomes the one-line Processing error."""
        try:
            return func(*args, **kwargs)
        except JalnetError as err:
            raise QgsProcessingException(str(err)) from err


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

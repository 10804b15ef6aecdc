"""The "JalNet" Processing provider (id ``jalnet``).

Algorithms live one per file in this package and are listed once, in :data:`ALGORITHMS`;
adding a tool means adding its file and one line here. Every algorithm is always there:
its engine runs in the JalNet engine process, so what QGIS's own Python lacks does not
matter (a missing engine is the run's one-line error). One broken algorithm file never
takes the others down with it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .. import __version__
from .base import ICON_PATH, JalnetAlgorithm

#: "module:Class" of every algorithm, relative to this package, in toolbox order.
ALGORITHMS: tuple[str, ...] = (
    "create_registry:CreateRegistry",
    "load_layers:LoadLayers",
    "undo_batch:UndoBatch",
    "copy_registry:CopyRegistry",
    "import_tracks:ImportTracks",
    "snap_network:SnapNetwork", "validate_network:ValidateNetwork", "data_health:DataHealth",
    "hydraulics_build:HydraulicsBuild", "hydraulics_import_inp:HydraulicsImportInp", "hydraulics_export_inp:HydraulicsExportInp", "hydraulics_run:HydraulicsRun",  # noqa: E501
    "design_pipes:DesignPipes",
    "assess_flood:AssessFlood",
    "geology_import:GeologyImport",
    "geology_validate:GeologyValidate",
    "geology_striplog:GeologyStripLog",
    "geology_section:GeologySection",
    "gatishakti_export:GatiShaktiExport",
    "field_package:FieldPackage", "field_sync:FieldSync",
)


def algorithm_classes() -> tuple[list[type[JalnetAlgorithm]], list[str]]:
    """Import every listed algorithm class; returns (classes, error messages)."""
    classes: list[type[JalnetAlgorithm]] = []
    errors: list[str] = []
    for entry in ALGORITHMS:
        module_name, class_name = entry.split(":")
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
            classes.append(getattr(module, class_name))
        except Exception as err:  # noqa: BLE001 - report and keep the other algorithms
            errors.append(f"cannot load algorithm {entry}: {type(err).__name__}: {err}")
    return classes, errors


class JalnetProvider(QgsProcessingProvider):
    """Processing provider; *missing_modules* (modules QGIS's own Python lacks) no longer hide
    algorithms and is kept for callers that pass it."""

    def __init__(self, missing_modules: Iterable[str] = ()) -> None:
        super().__init__()
        self.missing_modules = set(missing_modules)
        self.skipped: list[str] = []  # why an algorithm is not there, for the log and tests

    def id(self) -> str:
        return "jalnet"

    def name(self) -> str:
        return "JalNet"

    def longName(self) -> str:  # noqa: N802
        return f"JalNet {__version__}: rural drinking-water schemes"

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def versionInfo(self) -> str:  # noqa: N802
        return __version__

    def loadAlgorithms(self) -> None:  # noqa: N802
        self.skipped = []
        classes, errors = algorithm_classes()
        self.skipped.extend(errors)
        for cls in classes:
            self.addAlgorithm(cls())
        if QgsApplication.instance() is not None and QgsApplication.instance().platform() == "desktop":
            from ..engineclient import client
            from .base import configure_engine

            configure_engine()
            client.prestart()  # the session's warm worker, ready before the first JalNet run
        if self.skipped:
            from ..plugin.logging import warning

            for message in self.skipped:
                warning(f"Processing: {message}")

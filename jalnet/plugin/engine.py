"""The JalNet engine from QGIS: where it is, its path setting, and *Install the JalNet engine*.

The engine runs in a process of its own with its own Python environment, so nothing is ever
installed into QGIS's Python. When no engine is found, this dialog installs one into the
QGIS profile folder (:mod:`jalnet.engineclient.install`) in a QgsTask, so QGIS stays
responsive, with a progress bar, the installer's log, and Cancel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qgis.core import QgsApplication, QgsSettings, QgsTask
from qgis.PyQt.QtCore import pyqtSignal
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..engineclient.install import (
    SETTING_INDEX_URL,
    SETTING_WHEELHOUSE,
    InstallError,
    InstallOptions,
    install_engine,
)
from ..engineclient.locate import MARKER, SETTING_KEY, candidates, find_engine, managed_env_dir
from . import logging as log

INSTALL_TEXT = "Install the JalNet engine"


def profile_dir() -> str:
    """The active QGIS profile folder, where the managed engine environment lives."""
    return QgsApplication.qgisSettingsDirPath()


def configured_engine() -> str:
    """The engine path set in the plugin's settings ('' when none)."""
    return str(QgsSettings().value(SETTING_KEY, "") or "")


def current_engine() -> list[str] | None:
    """The command that starts the engine for this QGIS profile, or None."""
    return find_engine(configured_engine() or None, profile_dir())


def engine_versions(profile: str) -> dict[str, str]:
    """What the installer's check found in the managed environment ({} when it holds no engine)."""
    marker = managed_env_dir(profile) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class EngineInstallTask(QgsTask):
    """Runs the installer in QGIS's task manager; ``line`` carries each log line to the dialog."""

    line = pyqtSignal(str)
    done = pyqtSignal(bool, str)

    def __init__(self, options: InstallOptions) -> None:
        super().__init__(INSTALL_TEXT, QgsTask.CanCancel)
        self.options = options
        self.report: dict[str, Any] = {}
        self.error = ""

    def run(self) -> bool:  # worker thread: no widgets here, only signals
        try:
            self.report = install_engine(self.options, progress=lambda f, step: self.setProgress(100 * f),
                                         log=self.line.emit, cancelled=self.isCanceled)
        except InstallError as err:
            self.error = str(err)
            return False
        return True

    def finished(self, ok: bool) -> None:  # main thread
        if ok:
            log.info(f"JalNet engine installed in {self.options.env_dir}")
        else:
            log.warning(f"JalNet engine not installed: {self.error or 'cancelled'}")
        self.done.emit(ok, self.error)


class EngineDialog(QDialog):
    """Engine status, its path setting, and the installer (progress and log)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("JalNet engine")
        self.setMinimumWidth(640)
        self.task: EngineInstallTask | None = None
        settings = QgsSettings()
        layout = QVBoxLayout(self)

        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(configured_engine())
        self.path_edit.setPlaceholderText("a jalnet executable, a Python that has JalNet, or an environment folder")
        self.path_edit.setToolTip("Leave empty to use JALNET_ENGINE, the installed engine, or jalnet on PATH")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        save = QPushButton("Use this engine")
        save.clicked.connect(self.save_path)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        path_row.addWidget(save)
        form = QFormLayout()
        form.addRow("Engine path", path_row)
        layout.addLayout(form)

        box = QGroupBox(INSTALL_TEXT)
        inner = QVBoxLayout(box)
        about = QLabel(
            "JalNet's tools run in an engine of their own, with its own Python packages (geopandas, pyogrio, "
            "pyproj, wntr...), so nothing is installed into QGIS's Python. The installer makes a Python "
            f"environment in your QGIS profile folder ({managed_env_dir(profile_dir())}) and installs "
            "jalnet[all] from the Python Package Index. Offline offices can point it at a folder of wheels."
        )
        about.setWordWrap(True)
        inner.addWidget(about)
        sources = QFormLayout()
        self.wheelhouse_edit = QLineEdit(str(settings.value(SETTING_WHEELHOUSE, "") or ""))
        self.wheelhouse_edit.setPlaceholderText("optional: a folder of wheels (offline install)")
        self.index_edit = QLineEdit(str(settings.value(SETTING_INDEX_URL, "") or ""))
        self.index_edit.setPlaceholderText("optional: a package index other than PyPI")
        sources.addRow("Wheel folder", self.wheelhouse_edit)
        sources.addRow("Index URL", self.index_edit)
        inner.addLayout(sources)
        row = QHBoxLayout()
        self.install_button = QPushButton(INSTALL_TEXT)
        self.install_button.clicked.connect(self.start_install)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_install)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        row.addWidget(self.install_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        inner.addLayout(row)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMinimumHeight(180)
        inner.addWidget(self.log_view)
        layout.addWidget(box)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    # -- status and path ---------------------------------------------------------------
    def refresh(self) -> None:
        engine = current_engine()
        if engine:
            versions = engine_versions(profile_dir())
            detail = ", ".join(f"{k} {versions[k]}" for k in ("jalnet", "python", "numpy", "geopandas")
                               if k in versions)
            self.status.setText(f"Engine: {' '.join(engine)}" + (f" ({detail})" if detail else ""))
        else:
            looked = "; ".join(f"{where}: {what}" for where, what in
                               candidates(configured_engine() or None, profile_dir()))
            self.status.setText(f"No JalNet engine found (looked in {looked}). Install it below.")
        self.install_button.setText("Install the JalNet engine again" if engine else INSTALL_TEXT)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "The jalnet executable or a Python that has JalNet")
        if path:
            self.path_edit.setText(path)

    def save_path(self) -> None:
        """Store the engine path (empty: search as usual) and show what is found now."""
        QgsSettings().setValue(SETTING_KEY, self.path_edit.text().strip())
        self.refresh()

    # -- install ---------------------------------------------------------------------------
    def options(self) -> InstallOptions:
        settings = QgsSettings()
        settings.setValue(SETTING_WHEELHOUSE, self.wheelhouse_edit.text().strip())
        settings.setValue(SETTING_INDEX_URL, self.index_edit.text().strip())
        return InstallOptions.from_settings(profile_dir(), self.wheelhouse_edit.text().strip(),
                                            self.index_edit.text().strip())

    def start_install(self) -> EngineInstallTask:
        """Start the installer as a QgsTask; the dialog follows it."""
        self.log_view.clear()
        self.progress.setValue(0)
        task = EngineInstallTask(self.options())
        task.line.connect(self.log_view.appendPlainText)
        task.progressChanged.connect(lambda value: self.progress.setValue(int(value)))
        task.done.connect(self._install_done)
        self.install_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.task = task
        QgsApplication.taskManager().addTask(task)
        return task

    def cancel_install(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _install_done(self, ok: bool, error: str) -> None:
        self.install_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.log_view.appendPlainText("The JalNet engine is installed and checked." if ok else
                                      f"Not installed: {error or 'cancelled'}")
        self.refresh()


def log_path() -> Path:
    """The installer's log, for messages that point the user at it."""
    return managed_env_dir(profile_dir()).parent / "engine-install.log"

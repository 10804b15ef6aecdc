"""Panels' engine calls: one job in the JalNet engine process, its error as a JalnetError.

The panels never import an engine; they call :func:`call` (quick jobs, e.g. a registry's
contents) or run a :class:`EngineTask` in QGIS's task manager (long jobs, with progress
and Cancel). :func:`push_result` puts the outcome in the message bar with a button that
opens the run's report.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qgis.core import Qgis, QgsApplication, QgsSettings, QgsTask
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import QPushButton

from ..engineclient import client
from ..errors import Canceled, JalnetError

#: QGIS setting naming the engine (a ``jalnet`` executable or a Python that has JalNet).
ENGINE_SETTING = "jalnet/engine_path"


def configure() -> None:
    client.configure(QgsSettings().value(ENGINE_SETTING, "", type=str) or None, QgsApplication.qgisSettingsDirPath())


def call(job: str, args: dict[str, Any], *, progress: Callable[[float], None] | None = None,
         info: Callable[[str], None] | None = None, warning: Callable[[str], None] | None = None,
         is_canceled: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Run *job* in the engine and return its result; its one-line error as a :class:`JalnetError`."""
    configure()
    try:
        return client.run_job(job, args, progress=progress, info=info, warning=warning, is_canceled=is_canceled)
    except client.EngineCanceled as err:
        raise Canceled(str(err)) from None
    except client.EngineError as err:
        raise JalnetError(str(err)) from None


def registry_info(target: str) -> dict[str, Any]:
    """A registry's info, change log and layer sources (the ``registry.info`` job)."""
    return call("registry.info", {"registry": target})


class EngineTask(QgsTask):
    """One engine job as a QGIS background task: progress in the task bar, Cancel stops the job."""

    def __init__(self, description: str, job: str, args: dict[str, Any]) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self.job, self.args = job, args
        self.messages: list[str] = []
        self.result: dict[str, Any] = {}
        self.error: str | None = None

    def run(self) -> bool:
        try:
            self.result = call(self.job, self.args, progress=self.setProgress, info=self.messages.append,
                               warning=lambda m: self.messages.append("warning: " + m), is_canceled=self.isCanceled)
        except JalnetError as err:
            self.error = str(err)
            return False
        except Exception as err:  # noqa: BLE001 - a task must report, never raise into QGIS
            self.error = f"{type(err).__name__}: {err}"
            return False
        return True


def push_result(iface: Any, text: str, report: str | None = None, level: int = Qgis.Success,
                duration: int = 15) -> None:
    """The outcome of a panel's run in the message bar; with *report*, an "Open report" button."""
    bar = iface.messageBar()
    if not report or not hasattr(bar, "createMessage"):
        link = f' <a href="{QUrl.fromLocalFile(str(report)).toString()}">Open report</a>' if report else ""
        bar.pushMessage("JalNet", text + link, level, duration)
        return
    widget = bar.createMessage("JalNet", text)
    button = QPushButton("Open report", widget)
    button.setObjectName("jalnet_open_report")
    button.setToolTip(str(report))
    button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(report)))))
    widget.layout().addWidget(button)
    bar.pushWidget(widget, level, duration)


def write_run_report(output: str, summary: str, messages: list[str]) -> str | None:
    """A small HTML page beside a panel run's output: what ran, its result and every message.

    The message bar's "Open report" opens it; None when the folder cannot be written.
    """
    path = Path(output).with_name(Path(output).stem + "_run.html")
    items = "\n".join(f"<li>{html.escape(m)}</li>" for m in messages)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>JalNet run</title></head><body>"
            f"<h1>JalNet run</h1><p>{html.escape(summary)}</p><p>Output: {html.escape(str(output))}</p>"
            f"<h2>Messages</h2><ul>{items}</ul></body></html>")
    try:
        path.write_text(page, encoding="utf-8")
    except OSError:
        return None
    return str(path)

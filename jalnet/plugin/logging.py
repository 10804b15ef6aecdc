"""Logging into the QGIS "Log Messages" panel under the tag "JalNet".

A user reporting a problem is asked for that panel's "JalNet" tab, so everything the
plugin does that can go wrong (dependency check, loading layers, undo) is logged there.
The Python ``logging`` records of the engines (logger ``"jalnet"``) are forwarded too
while the plugin is loaded.
"""

from __future__ import annotations

import logging

from qgis.core import Qgis, QgsMessageLog

from ..masking import mask

TAG = "JalNet"

_LEVELS = {
    logging.DEBUG: Qgis.Info,
    logging.INFO: Qgis.Info,
    logging.WARNING: Qgis.Warning,
    logging.ERROR: Qgis.Critical,
    logging.CRITICAL: Qgis.Critical,
}


def log(message: str, level: Qgis.MessageLevel = Qgis.Info) -> None:
    """Write one line to the JalNet tab of the QGIS message log."""
    QgsMessageLog.logMessage(mask(message), TAG, level, notifyUser=level in (Qgis.Warning, Qgis.Critical))


def info(message: str) -> None:
    log(message, Qgis.Info)


def warning(message: str) -> None:
    log(message, Qgis.Warning)


def error(message: str) -> None:
    log(message, Qgis.Critical)


class MessageLogHandler(logging.Handler):
    """Forwards Python logging records to the QGIS message log."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = _LEVELS.get(record.levelno, Qgis.Info)
            QgsMessageLog.logMessage(mask(self.format(record)), TAG, level, notifyUser=False)
        except Exception:  # a log handler must never raise into the caller
            self.handleError(record)


def install_handler(logger_name: str = "jalnet") -> MessageLogHandler:
    """Attach a handler to the engines' logger; keep the return value for :func:`remove_handler`."""
    handler = MessageLogHandler(logging.INFO)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def remove_handler(handler: MessageLogHandler | None, logger_name: str = "jalnet") -> None:
    if handler is not None:
        logging.getLogger(logger_name).removeHandler(handler)

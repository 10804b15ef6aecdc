"""The JSON-lines protocol between the engine process and QGIS (pure standard library).

One JSON object per line, each with a ``type``:

- ``started``  ``{"pid": N, "job": NAME}``: the process doing the job (Cancel stops that pid)
- ``progress`` ``{"percent": 0..100}``
- ``info`` / ``warning`` ``{"message": TEXT}``
- ``result``   ``{"result": {...}}``: the job's outputs (paths, counts, layers to load); exit 0
- ``error``    ``{"message": ONE LINE, "exit_code": N}``: exit code as the CLI's (2 user error,
  130 canceled, 3 internal error)

The request is one line too: ``{"job": NAME, "args": {...}}``. It travels on stdin or the
worker's socket, never on the command line, so a database password never shows in ``ps``.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

#: Exit code of an unexpected (internal) engine error, as the CLI's.
INTERNAL_ERROR = 3
CANCELED = 130


def encode(kind: str, **fields: Any) -> str:
    """One protocol line (with its newline)."""
    return json.dumps({"type": kind, **fields}, ensure_ascii=False, default=str) + "\n"


def decode(line: str | bytes | None) -> dict[str, Any] | None:
    """A protocol message, or None for a line that is not one (e.g. a stray print)."""
    try:
        message = json.loads(line) if line else None
    except ValueError:
        return None
    return message if isinstance(message, dict) and "type" in message else None


def request(job: str, args: dict[str, Any]) -> str:
    return json.dumps({"job": job, "args": args}, ensure_ascii=False, default=str) + "\n"


class JsonFeedback:
    """Engine feedback (the :class:`jalnet.feedback.Feedback` interface) that writes protocol lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.canceled = False
        self._last = -1.0

    def _send(self, kind: str, **fields: Any) -> None:
        self.stream.write(encode(kind, **fields))
        self.stream.flush()

    def set_progress(self, percent: float) -> None:
        percent = round(max(0.0, min(100.0, float(percent))), 1)
        if percent != self._last:  # engines report often; only changes cross the pipe
            self._last = percent
            self._send("progress", percent=percent)

    def info(self, message: str) -> None:
        self._send("info", message=str(message))

    def warning(self, message: str) -> None:
        self._send("warning", message=str(message))

    def is_canceled(self) -> bool:
        return self.canceled

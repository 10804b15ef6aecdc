"""Run one request in this process: the job, its messages, its exit code.

Cancel is a SIGTERM to this process: the handler marks the feedback canceled and raises
:class:`~jalnet.errors.Canceled` where the engine is, so its registry transaction rolls
back on the way out (a SIGKILL later, if it comes, loses nothing either: SQLite and
PostgreSQL roll back an unfinished transaction themselves).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import Any, TextIO

from ..errors import Canceled, JalnetError
from . import protocol
from .jobs import run_job


def protocol_stream() -> TextIO:
    """The real stdout for protocol lines; fd 1 then goes to stderr, so a stray print
    from a library cannot break the protocol."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    return out


def run_request(message: dict[str, Any], out: TextIO) -> int:
    """Run ``{"job", "args"}``, writing protocol lines to *out*; returns the exit code."""
    feedback = protocol.JsonFeedback(out)

    def cancel(signum: int, frame: Any) -> None:
        if not feedback.canceled:
            feedback.canceled = True
            raise Canceled("canceled by the user; nothing was written")

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, cancel)
    job = str(message.get("job") or "")
    try:
        out.write(protocol.encode("started", pid=os.getpid(), job=job))
        out.flush()
        result = run_job(job, dict(message.get("args") or {}), feedback)
        out.write(protocol.encode("result", result=result))
        code = 0
    except JalnetError as err:
        out.write(protocol.encode("error", message=str(err), exit_code=err.exit_code))
        code = err.exit_code
    except Exception as err:  # noqa: BLE001 - internal: one line for QGIS, the traceback on stderr
        traceback.print_exc(file=sys.stderr)
        text = " ".join(f"{type(err).__name__}: {err}".split())
        out.write(protocol.encode("error", message=f"internal error in {job}: {text}",
                                  exit_code=protocol.INTERNAL_ERROR))
        code = protocol.INTERNAL_ERROR
    finally:
        if hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        out.flush()
    except OSError:
        pass  # QGIS went away; nothing to tell
    return code


def run_line(line: str, out: TextIO) -> int:
    """Run the request *line* (JSON), writing protocol lines to *out*; returns the exit code."""
    try:
        message = json.loads(line)
    except ValueError:
        out.write(protocol.encode("error", message="engine: the request is not JSON", exit_code=2))
        out.flush()
        return 2
    return run_request(message, out)


def run_stdin() -> int:
    """``jalnet engine run``: one request from stdin, protocol on stdout."""
    out = protocol_stream()
    return run_line(sys.stdin.readline(), out)

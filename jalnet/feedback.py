"""Progress and cancel reporting shared by engines, the CLI and Processing.

Engines take any object with the small :class:`Feedback` interface. Processing passes an
adapter over ``QgsProcessingFeedback``; the CLI passes :class:`ConsoleFeedback`, which
draws a progress bar on a terminal and plain lines in logs.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from .errors import Canceled


class Feedback(Protocol):
    def set_progress(self, percent: float) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def is_canceled(self) -> bool: ...


class NullFeedback:
    """Feedback that records messages but shows nothing (Python API default)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.progress = 0.0

    def set_progress(self, percent: float) -> None:
        self.progress = percent

    def info(self, message: str) -> None:
        self.messages.append(message)

    def warning(self, message: str) -> None:
        self.messages.append("warning: " + message)

    def is_canceled(self) -> bool:
        return False


class ConsoleFeedback(NullFeedback):
    """A progress bar on a terminal; on a pipe or log, a line every 10%."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1
        self._label = ""
        self._start = time.monotonic()

    def set_progress(self, percent: float) -> None:
        super().set_progress(percent)
        if self.quiet:
            return
        percent = max(0.0, min(100.0, percent))
        if self.tty:
            filled = int(percent / 100 * 30)
            bar = "#" * filled + "-" * (30 - filled)
            elapsed = time.monotonic() - self._start
            self.stream.write(f"\r[{bar}] {percent:5.1f}% {elapsed:6.1f}s {self._label[:40]:<40}")
            if percent >= 100:
                self.stream.write("\n")
            self.stream.flush()
        elif int(percent // 25) > self._last_decile:
            # In logs, a line at each quarter of long work is enough; info lines say the rest.
            self._last_decile = int(percent // 25)
            if 0 < percent < 100:
                self.stream.write(f"  {percent:3.0f}%\n")

    def info(self, message: str) -> None:
        super().info(message)
        self._label = message
        if not self.quiet and not self.tty:
            self.stream.write(message + "\n")

    def warning(self, message: str) -> None:
        super().warning(message)
        if self.tty:
            self.stream.write("\n")
        self.stream.write("warning: " + message + "\n")


def check_canceled(feedback: Feedback | None) -> None:
    """Raise :class:`Canceled` when the user asked to stop; call between steps."""
    if feedback is not None and feedback.is_canceled():
        raise Canceled("canceled by the user; nothing was written")


class Steps:
    """Maps the progress of step *i* of *n* onto the whole 0-100% range."""

    def __init__(self, feedback: Feedback | None, n: int) -> None:
        self.feedback = feedback
        self.n = max(1, n)
        self.i = 0

    def next(self, message: str) -> None:
        check_canceled(self.feedback)
        if self.feedback is not None:
            self.feedback.info(message)
            self.feedback.set_progress(100.0 * self.i / self.n)
        self.i += 1

    def sub(self, fraction: float) -> None:
        """Progress within the current step (0..1)."""
        check_canceled(self.feedback)
        if self.feedback is not None:
            done = (self.i - 1 + max(0.0, min(1.0, fraction))) / self.n
            self.feedback.set_progress(100.0 * done)

    def done(self) -> None:
        if self.feedback is not None:
            self.feedback.set_progress(100.0)

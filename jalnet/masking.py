"""Passwords out of everything JalNet shows or writes: messages, logs, reports, layer sources.

Pure standard library, so the engines, the CLI, the QGIS side and the engine installer all
use the same rule: the password of a ``scheme://user:password@host`` URL becomes ``***``.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.IGNORECASE)


def mask(text: str) -> str:
    """*text* with the password of every ``scheme://user:password@`` replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1***@", text)


class MaskingStream:
    """A text stream that masks URL passwords in everything written to it (the CLI's stdout/stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def mask_std_streams() -> tuple[TextIO, TextIO]:
    """Mask sys.stdout and sys.stderr; returns the originals, to put back."""
    originals = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, MaskingStream):
        sys.stdout = MaskingStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, MaskingStream):
        sys.stderr = MaskingStream(sys.stderr)  # type: ignore[assignment]
    return originals

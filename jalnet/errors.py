"""Errors a user can act on.

Every failure caused by input (a file, a layer, a row, a connection) is raised as a
:class:`JalnetError` whose message is one line naming the thing and what to do. The CLI
prints it without a traceback and exits 2; Processing algorithms turn it into a
``QgsProcessingException``.
"""

from __future__ import annotations


class JalnetError(Exception):
    """A user error: bad input, missing file, unreachable database."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # One line, always: multi-line messages get folded so the CLI stays tidy.
        super().__init__(" ".join(str(message).split()))


class RegistryError(JalnetError):
    """The registry cannot be opened, read or written as asked."""


class RegistryLocked(RegistryError):
    """Another writer holds the registry."""


class InputError(JalnetError):
    """An input file, layer or value is not usable."""


class Canceled(JalnetError):
    """The user canceled a long operation; whatever it was writing was rolled back."""

    exit_code = 130

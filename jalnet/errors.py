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


class RegistryConflict(RegistryError):
    """Another writer got there first: nothing was written.

    *transient* conflicts (a deadlock, a serialization failure, a lock wait that timed
    out, a key another writer took a moment earlier) go away on their own, so writers
    retry them a few times (:mod:`jalnet.registry.retry`); a feature changed since it
    was read is not transient for an edit the user typed, who must look and re-run.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RegistryLocked(RegistryConflict):
    """Another writer holds the registry."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message, transient)


class InputError(JalnetError):
    """An input file, layer or value is not usable."""


class Canceled(JalnetError):
    """The user canceled a long operation; whatever it was writing was rolled back."""

    exit_code = 130

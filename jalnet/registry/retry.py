"""Bounded retries of a whole registry write when another editor got in the way.

A write is one transaction: when it fails nothing is written, so running the whole
read-plan-write again is safe. Transient conflicts (deadlock, serialization failure, a
lock wait that timed out, a key another writer took at the same moment) are retried a
few times with growing, jittered waits; after that the user gets the one-line error.
Engines that plan on data read before their transaction (the snap) also retry a
:class:`StaleRead`: planning again on the current data is exactly the "re-run" the
message would ask for.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from ..errors import RegistryConflict

T = TypeVar("T")


class StaleRead(RegistryConflict):
    """A feature changed or vanished between the read a write was planned on and the write."""


def attempts() -> int:
    """How many times a write is tried in all (JALNET_WRITE_ATTEMPTS, default 5)."""
    try:
        return max(1, int(os.environ.get("JALNET_WRITE_ATTEMPTS", "5")))
    except ValueError:
        return 5


def retrying(fn: Callable[..., T], replan: bool = False) -> Callable[..., T]:
    """*fn* run again (up to :func:`attempts` in all) on transient conflicts, and with *replan*
    also when a feature it read changed before it wrote."""

    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        tries = attempts()
        for k in range(tries):
            try:
                return fn(*args, **kwargs)
            except RegistryConflict as err:
                again = err.transient or (replan and isinstance(err, StaleRead))
                if not again or k == tries - 1:
                    raise
                time.sleep(min(2.0, 0.05 * 2**k) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    return run

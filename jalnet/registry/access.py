"""One way to take "a registry or a path": engines accept an open :class:`Registry` or a target.

An open Registry is used as it is and left open (the caller owns it); a GeoPackage path or
``postgresql://`` URL is opened for the call and closed after it, even when the call fails.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .store import Registry, open_registry

RegistryLike = Registry | str | os.PathLike
T = TypeVar("T")


def borrow(registry: RegistryLike, readonly: bool = False) -> tuple[Registry, bool]:
    """(an open Registry, whether it was opened here and must be closed by the caller)."""
    if isinstance(registry, Registry):
        return registry, False
    return open_registry(registry, readonly=readonly), True


@contextmanager
def using_registry(registry: RegistryLike, readonly: bool = False) -> Iterator[Registry]:
    """``with using_registry(x) as reg:`` for an open Registry (left open) or a target (closed after)."""
    reg, owned = borrow(registry, readonly)
    try:
        yield reg
    finally:
        if owned:
            reg.close()


def takes_target(readonly: bool = False) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator for an engine function whose first argument is a Registry: it also accepts a target."""

    def wrap(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def call(registry: RegistryLike, *args: Any, **kwargs: Any) -> T:
            with using_registry(registry, readonly) as reg:
                return func(reg, *args, **kwargs)

        return call

    return wrap

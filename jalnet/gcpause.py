"""Python's cyclic garbage collector paused while a step makes many objects at once.

Building a WNTR model makes tens of thousands of linked objects; every so many new
objects, the collector walks all the live ones, which cost a quarter of a Net6 build.
Nothing made there is garbage until the step ends, so the walks find nothing: pausing
them changes no result. The collector comes back (if it was on) when the step ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()

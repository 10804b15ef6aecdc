"""New business ids that continue a layer's own numbering (P-0041 -> P-0042).

The numbering pattern comes from the ids an engine read; the numbers themselves, while a
writable registry is attached with :func:`keys_from`, come from the registry's key
counter, so editors planning at the same time never hand out the same id. Without one
(a dry run, a plain frame) they continue the highest id read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

_NUMBERED = re.compile(r"^(.*?)(\d+)$")
#: Ids looked at to find the numbering pattern (a registry may hold millions).
_SAMPLE = 20_000
#: The layer whose key each default prefix numbers.
KEY_LAYERS = {"P-": "pipes", "J-": "junctions", "V-": "valves", "F-": "fhtc", "EXC-": "network_exceptions",
              "HR-": "health_runs"}
_ALLOCATE: ContextVar[Callable[[str, str, int, int], list[str] | None] | None] = ContextVar("jalnet_keys",
                                                                                            default=None)


@contextmanager
def keys_from(registry: Any) -> Iterator[None]:
    """New ids given inside the block come from *registry*'s key counter (see Registry.allocate_keys)."""
    def allocate(default_prefix: str, prefix: str, width: int, n: int) -> list[str] | None:
        layer = KEY_LAYERS.get(default_prefix)
        return None if layer is None else registry.allocate_keys(layer, prefix, width, n)

    token = _ALLOCATE.set(allocate)
    try:
        yield
    finally:
        _ALLOCATE.reset(token)


def next_ids(existing: Iterable[str | None], n: int, default_prefix: str, width: int = 4) -> list[str]:
    """*n* ids not in *existing*, following its most common "prefix + number" pattern.

    A registry numbered ``P-0001..P-0041`` continues with ``P-0042``; an empty one starts
    at ``<default_prefix>0001``. The pattern comes from a sample; the highest number from
    one vectorised pass (zero-padded numbers of one width sort as text), so a million ids
    cost a fraction of a second, not a Python loop over each.
    """
    ids: Any
    if isinstance(existing, pd.Series) and isinstance(existing.dtype, pd.StringDtype):
        # text held by pandas (Arrow): filtered and its greatest found there, no million Python objects made
        ids = existing.dropna()
        ids = ids[ids != ""]
        sample = ids.iloc[:: max(1, len(ids) // _SAMPLE)].to_numpy(dtype=str)
    else:
        values = existing.to_numpy(dtype=object) if isinstance(existing, pd.Series) else np.asarray(list(existing),
                                                                                                     dtype=object)
        # kept as objects: text arrays of a million ids cost more to make than everything below
        ids = values[pd.notna(values)] if len(values) else np.zeros(0, dtype=object)
        ids = ids[ids != ""]
        sample = np.asarray(ids[:: max(1, len(ids) // _SAMPLE)], dtype=str)
    patterns: Counter[tuple[str, int]] = Counter()
    for value in sample:
        match = _NUMBERED.match(str(value))
        if match:
            patterns[(match.group(1), len(match.group(2)))] += 1
    number = 0
    prefix = default_prefix
    if patterns:
        (prefix, width), _ = patterns.most_common(1)[0]
    allocate = _ALLOCATE.get()
    given = allocate(default_prefix, prefix, width, n) if allocate is not None and n > 0 else None
    if given is not None:
        return given
    if patterns:
        number = _highest(ids, prefix, width)
    out: list[str] = []
    taken: np.ndarray | None = None
    numbered = (prefix.replace("{", "{{").replace("}", "}}") + f"{{:0{width}d}}").format  # one format, many numbers
    while len(out) < n:
        batch = list(map(numbered, range(number + 1, number + 1 + (n - len(out)))))
        number += len(batch)
        # numbers outgrew the width (P-9999 -> P-10000): such ids may have been given some other way
        wide = [] if number < 10**width else batch if number - len(batch) + 1 >= 10**width else \
            [c for c in batch if len(c) > len(prefix) + width]
        if wide and taken is None:
            taken = np.asarray(ids, dtype=str)
        wide_text = np.asarray(wide, dtype=str)
        clash = set(wide_text[np.isin(wide_text, taken)]) if wide else set()
        out += [c for c in batch if c not in clash] if clash else batch
    return out


def _highest(ids: np.ndarray | pd.Series, prefix: str, width: int) -> int:
    """Highest number among ids "prefix + *width* digits" (*ids*: objects, or a text Series).

    Such ids sort as text in the order of their numbers, so when the greatest id of all
    is one of them (the usual case: one pattern), it is the answer, found in one pass over
    the objects. Else the characters' codes are read off a text array in one go.
    """
    size = len(prefix) + width
    try:
        top = ids.max() if len(ids) else None
    except TypeError:  # ids of mixed types: compared as text below
        top = None
    if isinstance(top, str) and len(top) == size and top.startswith(prefix) and \
            all("0" <= c <= "9" for c in top[len(prefix):]):
        return int(top[len(prefix):])
    ids = np.asarray(ids, dtype=str)
    longest = ids.dtype.itemsize // 4
    if not len(ids) or longest < size:
        return 0
    codes = np.ascontiguousarray(ids).view(np.uint32).reshape(len(ids), longest)
    keep = codes[:, size - 1] != 0
    if longest > size:
        keep &= codes[:, size] == 0
    if prefix:
        keep &= np.all(codes[:, : len(prefix)] == np.array([ord(c) for c in prefix], dtype=np.uint32), axis=1)
    digits = codes[keep, len(prefix):size].astype(np.int64) - ord("0")
    digits = digits[np.all((digits >= 0) & (digits <= 9), axis=1)]
    return int((digits @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))).max()) if len(digits) else 0

"""New business ids that continue a layer's own numbering (P-0041 -> P-0042)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

_NUMBERED = re.compile(r"^(.*?)(\d+)$")
#: Ids looked at to find the numbering pattern (a registry may hold millions).
_SAMPLE = 20_000


def next_ids(existing: Iterable[str | None], n: int, default_prefix: str, width: int = 4) -> list[str]:
    """*n* ids not in *existing*, following its most common "prefix + number" pattern.

    A registry numbered ``P-0001..P-0041`` continues with ``P-0042``; an empty one starts
    at ``<default_prefix>0001``.
    """
    values = existing.to_numpy(dtype=object) if isinstance(existing, pd.Series) else existing
    ids = pd.Series([v for v in values if isinstance(v, str) and v], dtype=object)
    step = max(1, len(ids) // _SAMPLE)
    patterns: Counter[tuple[str, int]] = Counter()
    for value in ids.iloc[::step]:
        match = _NUMBERED.match(value)
        if match:
            patterns[(match.group(1), len(match.group(2)))] += 1
    if patterns:
        (prefix, width), _ = patterns.most_common(1)[0]
        same = ids[ids.str.startswith(prefix, na=False) & (ids.str.len() == len(prefix) + width)]
        numbers = pd.to_numeric(same.str[len(prefix):], errors="coerce")
        number = int(np.nanmax(numbers.to_numpy(dtype=float))) if numbers.notna().any() else 0
    else:
        prefix, number = default_prefix, 0
    taken = set(ids)
    out: list[str] = []
    while len(out) < n:
        number += 1
        candidate = f"{prefix}{number:0{width}d}"
        if candidate not in taken:  # only when numbers outgrew the width (P-9999 -> P-10000)
            out.append(candidate)
    return out

"""Findings accepted as legitimate (a crossing at different depths, a capped end without a cap record).

They are stored in the registry layer ``network_exceptions`` by fingerprint, written in a
logged batch like every other edit (so accepting can be undone), and validation leaves
them out of its findings from then on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..errors import InputError
from ..registry import Registry
from ..registry.store import _username
from .ids import keys_from, next_ids

LAYER = "network_exceptions"


def accepted_fingerprints(registry: Registry) -> set[str]:
    frame = registry.read(LAYER)
    return set(frame["fingerprint"].dropna().astype(str))


def list_exceptions(registry: Registry) -> pd.DataFrame:
    return registry.read(LAYER)


def accept_exception(registry: Registry, fingerprint: str, note: str, finding: dict[str, Any] | None = None,
                     accepted_by: str | None = None) -> str:
    """Accept the finding with *fingerprint*; returns the exception id (an existing one if already accepted).

    *finding* gives its rule, layer and asset_ids (from an error layer); without it the
    registry is validated to find them.
    """
    fingerprint = (fingerprint or "").strip()
    if not fingerprint:
        raise InputError("give the fingerprint of the finding to accept (column 'fingerprint' of the error layer)")
    if not (note or "").strip():
        raise InputError(f"finding {fingerprint}: say why it is accepted (--note), so others know it was checked")
    existing = registry.read(LAYER, where={"fingerprint": fingerprint})
    if len(existing):
        return str(existing["exception_id"].iloc[0])
    if finding is None:
        finding = _find(registry, fingerprint)
    if not finding.get("rule"):
        raise InputError(f"finding {fingerprint}: its rule code is missing")
    row = {
        "exception_id": _new_id(registry),
        "rule": str(finding["rule"]),
        "fingerprint": fingerprint,
        "layer": finding.get("layer"),
        "asset_ids": finding.get("asset_ids"),
        "note": note.strip(),
        "accepted_by": accepted_by or _username(),
        "accepted_at": dt.datetime.now(dt.timezone.utc),
    }
    with registry.batch("network accept", f"accept {row['rule']} finding {fingerprint} as an exception") as batch:
        batch.insert(LAYER, [row])
    return row["exception_id"]


def _new_id(registry: Registry) -> str:
    with keys_from(registry):  # from the registry's counter: two people accepting at once get two ids
        return next_ids(registry.read(LAYER)["exception_id"], 1, "EXC-")[0]


def _find(registry: Registry, fingerprint: str) -> dict[str, Any]:
    from .validate import validate

    result = validate(registry)
    hit = result.findings[result.findings["fingerprint"] == fingerprint]
    if hit.empty:
        raise InputError(f"no current finding has fingerprint {fingerprint} in {registry.target}; it may be fixed "
                         "already (run 'jalnet network validate' to see the current findings)")
    return hit.iloc[0].to_dict()


"""Registry jobs: create, load, undo a batch, copy, describe."""

from __future__ import annotations

import time
from typing import Any

from ...errors import Canceled
from ...feedback import Feedback, check_canceled
from ...registry import copy_registry, create_registry, load_layers, open_registry
from ...registry.postgis import redact
from ...registry.schema import ASSET_LAYERS


def _is_url(value: str) -> bool:
    return value.strip().lower().startswith(("postgresql://", "postgres://"))


def create(path: str, crs: str, overwrite: bool, feedback: Feedback) -> dict[str, Any]:
    feedback.info(f"creating registry {path} in {crs}")
    with create_registry(path, crs=crs, overwrite=overwrite) as reg:
        feedback.info(f"created {reg.target}: schema version {reg.schema_version}, {len(reg.layer_names())} layers")
        authid = f"EPSG:{reg.epsg}"
    feedback.set_progress(100)
    return {"outputs": {"OUTPUT": path, "CRS_AUTHID": authid}}


def load(registry: str, source: str, layers: dict[str, str] | None, feedback: Feedback) -> dict[str, Any]:
    with open_registry(registry) as reg:
        result = load_layers(reg, source, layers=layers, feedback=feedback)
    check_canceled(feedback)
    batch_id = result.pop("batch_id", None)
    counts = {name: int(n) for name, n in result.items()}
    for name, n in counts.items():
        feedback.info(f"{name}: {n} feature(s) loaded")
    if batch_id:
        feedback.info(f"batch {batch_id}: undo it with 'Undo registry batch' if this was a mistake")
    else:
        feedback.warning("nothing was loaded: the matching layers are empty")
    out: dict[str, Any] = {"BATCH_ID": batch_id or "", "TOTAL": sum(counts.values()),
                           "COUNTS": ", ".join(f"{name}={n}" for name, n in counts.items())}
    out.update({name.upper(): n for name, n in counts.items()})  # for scripts: result["PIPES"]
    return {"outputs": out}


def undo(registry: str, batch: str, feedback: Feedback) -> dict[str, Any]:
    with open_registry(registry) as reg:
        feedback.info(f"undoing batch {batch} in {reg.target}")
        undo_id = reg.undo(batch, feedback=feedback)
    feedback.info(f"batch {batch} undone by batch {undo_id}")
    feedback.set_progress(100)
    return {"outputs": {"UNDO_BATCH_ID": undo_id}}


def copy(source: str, destination: str, overwrite: bool, feedback: Feedback) -> dict[str, Any]:
    counts = copy_registry(source, destination, overwrite=overwrite, feedback=feedback) or {}
    for name, n in counts.items():
        feedback.info(f"{name}: {n} row(s)")
    shown = redact(destination) if _is_url(destination) else destination
    return {"outputs": {"OUTPUT": shown, "FEATURES": sum(n for k, n in counts.items() if k in ASSET_LAYERS)}}


def info(registry: str, feedback: Feedback) -> dict[str, Any]:
    """What QGIS needs to show a registry: its info, change log, and each layer's QGIS source."""
    with open_registry(registry, readonly=True) as reg:
        names = list(reg.layer_names())
        batches = reg.batches()
        rows = [{k: (None if v is None or v != v else v) for k, v in row.items()}  # NaN/NaT -> None
                for row in batches.astype(object).to_dict("records")]
        return {"target": reg.target, "epsg": reg.epsg, "info": reg.info(), "batches": rows, "layers": names,
                "sources": {name: list(reg.layer_source(name)) for name in names}}


def sleep(seconds: float, feedback: Feedback) -> dict[str, Any]:
    """A job that only waits (tests and the benchmark measure the engine's own cost with it)."""
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        if feedback.is_canceled():
            raise Canceled("canceled by the user")
        time.sleep(0.02)
    return {"outputs": {"SLEPT": seconds}}

"""Loading layers from any vector file (GeoPackage, shapefile, GeoJSON...) into the registry.

Layers are matched to registry layers by name (or an explicit mapping) and fields by
name; all of it goes in as one batch, so a refused row leaves the registry untouched.
"""

from __future__ import annotations

import os
from typing import Any

import pyogrio

from ..errors import InputError
from ..feedback import Feedback, Steps
from .schema import ASSET_LAYERS, LAYERS
from .store import Registry


def load_layers(registry: Registry, source: str | os.PathLike, layers: dict[str, str] | list[str] | None = None,
                feedback: Feedback | None = None, tool: str = "registry load") -> dict[str, Any]:
    """Insert the matching layers of *source*; returns counts per layer and the batch id."""
    source = str(source)
    if not os.path.exists(source):
        raise InputError(f"{source} does not exist")
    try:
        available = [str(name) for name, _ in pyogrio.list_layers(source)]
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot read {source} as a vector data source: {str(err).splitlines()[0]}") from None
    mapping = _mapping(source, available, layers)
    if not mapping:
        raise InputError(
            f"{source} has no layer named like a registry layer (has: {', '.join(available)}; "
            f"registry layers: {', '.join(ASSET_LAYERS)}); map them with --layer SOURCE=TARGET"
        )
    order = sorted(mapping.items(), key=lambda item: ASSET_LAYERS.index(item[1]))
    steps = Steps(feedback, len(order) + 1)
    frames = []
    for src_name, dst_name in order:
        steps.next(f"reading {src_name}")
        lyr = LAYERS[dst_name]
        frame = pyogrio.read_dataframe(source, layer=src_name, read_geometry=lyr.geometry is not None)
        extra = [c for c in frame.columns if c not in lyr.field_names and c != getattr(frame, "_geometry_column_name",
                                                                                        "geometry")]
        extra = [c for c in extra if c != "geometry"]
        if extra and feedback is not None:
            feedback.warning(f"{source} layer {src_name}: ignoring field(s) not in the registry: {', '.join(extra)}")
        frames.append((src_name, dst_name, frame.drop(columns=extra)))
    counts: dict[str, Any] = {}
    steps.next("writing to the registry")
    with registry.batch(tool, f"load {os.path.basename(source)}") as batch:
        for src_name, dst_name, frame in frames:
            try:
                counts[dst_name] = len(batch.insert(dst_name, frame))
            except InputError as err:
                raise InputError(f"{source} layer {src_name}: {err}") from None
    steps.done()
    counts["batch_id"] = batch.id if batch.n_changes else None
    return counts


def _mapping(source: str, available: list[str], layers: dict[str, str] | list[str] | None) -> dict[str, str]:
    if layers is None:
        return {name: name for name in available if name in ASSET_LAYERS}
    if isinstance(layers, list):
        layers = {name: name for name in layers}
    for src_name, dst_name in layers.items():
        if src_name not in available:
            raise InputError(f"{source} has no layer '{src_name}' (has: {', '.join(available)})")
        if dst_name not in ASSET_LAYERS:
            raise InputError(f"'{dst_name}' is not a registry layer (registry layers: {', '.join(ASSET_LAYERS)})")
    return dict(layers)

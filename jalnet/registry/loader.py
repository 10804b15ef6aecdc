"""Loading layers from any vector file (GeoPackage, shapefile, GeoJSON...) into the registry.

Layers are matched to registry layers by name (or an explicit mapping) and fields by
name; all of it goes in as one batch, so a refused row leaves the registry untouched.
Large layers are read and written a chunk of features at a time (rows into PostGIS by
COPY), so memory does not grow with the file.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyogrio

from ..errors import InputError
from ..feedback import Feedback, Steps, check_canceled
from .schema import ASSET_LAYERS, LAYERS, Layer
from .store import Batch, Registry
from .values import row_label

#: Features read and written at a time from a large layer.
LOAD_CHUNK = 100_000
_ROW = re.compile(r"(\b[a-z_]+ row )(\d+)")


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
    counts: dict[str, Any] = {}
    with registry.batch(tool, f"load {os.path.basename(source)}") as batch:
        for src_name, dst_name in order:
            steps.next(f"loading {src_name}")
            counts[dst_name] = _load_layer(batch, source, src_name, dst_name, feedback)
    steps.done()
    counts["batch_id"] = batch.id if batch.n_changes else None
    return counts


def _load_layer(batch: Batch, source: str, src_name: str, dst_name: str, feedback: Feedback | None) -> int:
    """One layer, read and written LOAD_CHUNK features at a time (memory follows the chunk, not the file)."""
    lyr = LAYERS[dst_name]
    total = _feature_count(source, src_name)
    chunked = total > LOAD_CHUNK
    with ThreadPoolExecutor(max_workers=1) as reader:  # the next chunk is read while this one is written
        return _load_chunks(batch, source, src_name, lyr, chunked, reader, feedback)


def _read_chunk(source: str, src_name: str, lyr: Layer, start: int, chunked: bool) -> Any:
    return pyogrio.read_dataframe(source, layer=src_name, read_geometry=lyr.geometry is not None,
                                  skip_features=start, max_features=LOAD_CHUNK if chunked else None)


def _load_chunks(batch: Batch, source: str, src_name: str, lyr: Layer, chunked: bool, reader: ThreadPoolExecutor,
                 feedback: Feedback | None) -> int:
    """Insert the layer chunk by chunk, asking *reader* for the next chunk before writing this one."""
    dst_name = lyr.name
    seen: set[str] = set()
    written = 0
    start = 0
    pending: Future | None = reader.submit(_read_chunk, source, src_name, lyr, 0, chunked)
    while pending is not None:
        check_canceled(feedback)
        frame = pending.result()
        pending = None
        if chunked and len(frame) == LOAD_CHUNK:
            pending = reader.submit(_read_chunk, source, src_name, lyr, start + LOAD_CHUNK, chunked)
        if start == 0:
            extra = [c for c in frame.columns if c not in lyr.field_names and c != "geometry"
                     and c != getattr(frame, "_geometry_column_name", "geometry")]
            if extra and feedback is not None:
                feedback.warning(f"{source} layer {src_name}: ignoring field(s) not in the registry: "
                                 f"{', '.join(extra)}")
        frame = frame.drop(columns=[c for c in frame.columns if c not in lyr.field_names and c != "geometry"
                                    and c != getattr(frame, "_geometry_column_name", "geometry")])
        if frame.empty and start > 0:
            break
        try:
            if chunked and lyr.key in frame.columns:  # duplicates across chunks are duplicates in the file
                keys = frame[lyr.key].astype(object).where(frame[lyr.key].notna(), None)
                for pos, key in enumerate(keys):
                    if key is not None and str(key) in seen:
                        raise InputError(f"{row_label(lyr, frame, pos)}: {lyr.key} '{key}' appears twice in the data")
                seen.update(str(k) for k in keys if k is not None)
            written += len(batch.insert(dst_name, frame))
        except InputError as err:
            message = _ROW.sub(lambda m, off=start: f"{m.group(1)}{int(m.group(2)) + off}", str(err), count=1)
            raise InputError(f"{source} layer {src_name}: {message}") from None
        start += len(frame)
    return written


def _feature_count(source: str, layer: str) -> int:
    try:
        return int(pyogrio.read_info(source, layer=layer).get("features", -1))
    except Exception:  # noqa: BLE001 - GDAL raises several error types; read it whole then
        return -1


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

"""Copying a whole registry to a new one (GeoPackage <-> PostGIS), fids and change log kept.

The source is read a chunk of rows at a time and each chunk written at once (COPY on
PostGIS), so memory stays flat however large the registry; the destination is one
transaction (GeoPackage: a temporary file renamed at the end), so a failed copy leaves
nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import RegistryError
from ..feedback import Feedback, check_canceled
from . import bulk, reads
from .gpkg import q
from .postgis import PostgisBackend, is_postgis_target
from .schema import LAYERS, Layer
from .store import Registry, _insert_rows, create_registry, open_registry


def copy_registry(source: str | os.PathLike, destination: str | os.PathLike, overwrite: bool = False,
                  feedback: Feedback | None = None) -> dict[str, int]:
    """Copy every layer and the change log to a new registry (GeoPackage <-> PostGIS), fids kept."""
    src = open_registry(source, readonly=True)
    dst_target = str(destination)
    is_pg = is_postgis_target(dst_target)
    final = Path(dst_target) if not is_pg else None
    if final is not None:
        if final.exists() and not overwrite:
            src.close()
            raise RegistryError(f"{final} already exists; pick another name or pass --overwrite to replace it")
        work = final.with_name(f".{final.name}.{os.getpid()}.copy.gpkg")
        work.unlink(missing_ok=True)
        dst = create_registry(work, f"EPSG:{src.epsg}")
    else:
        dst = create_registry(dst_target, f"EPSG:{src.epsg}", overwrite=overwrite)
    counts: dict[str, int] = {}
    try:
        with src, dst, dst._transaction():
            # layers of a newer schema than the source's stay empty (the source, opened read-only, lacks them)
            names = [n for n in LAYERS if n != "jalnet_meta" and LAYERS[n].since <= src.schema_version]
            for k, name in enumerate(names):
                check_canceled(feedback)
                if feedback is not None:
                    feedback.info(f"copying {name}")
                    feedback.set_progress(100.0 * k / len(names))
                lyr = LAYERS[name]
                counts[name] = _copy_layer(src, dst, lyr, feedback)
                if counts[name]:
                    dst._b.after_write([lyr])
            for key, value in src.meta().items():
                if key.startswith("copied_from") or key in ("schema_version", "epsg"):
                    continue
                dst._set_meta(key, value)
            dst._set_meta("copied_from", src.target)
    except BaseException:
        if final is not None:
            work.unlink(missing_ok=True)
        else:
            cleanup = PostgisBackend.connect(dst_target, must_exist=False)
            try:
                cleanup.drop_everything()
            finally:
                cleanup.close()
        raise
    if final is not None:
        os.replace(work, final)
    if feedback is not None:
        feedback.set_progress(100.0)
    return counts


def _copy_layer(src: Registry, dst: Registry, lyr: Layer, feedback: Feedback | None) -> int:
    """Rows of one layer, a chunk at a time; into PostGIS by COPY, sending one chunk while reading the next."""
    count = 0
    chunks = reads.iter_select(src, lyr, chunk=bulk.COPY_CHUNK)
    if dst.kind != "postgis":
        for fids, columns, geoms in chunks:
            check_canceled(feedback)
            if fids:
                _insert_rows(dst._b, dst.epsg, lyr, fids, columns, geoms if lyr.geometry else None)
                count += len(fids)
        return count
    names = lyr.field_names
    types = ["INTEGER"] + [lyr.field(n).type for n in names]
    chunks = reads.iter_select(src, lyr, chunk=bulk.COPY_CHUNK, wkb=True)  # WKB straight through, no shapely

    def texts() -> Iterator[str]:
        nonlocal count
        for fids, columns, geoms in chunks:
            check_canceled(feedback)
            if fids:
                count += len(fids)
                yield bulk.chunk_text([pd.Series(np.asarray(fids, dtype=np.int64)), *(columns[n] for n in names)],
                                      geoms if lyr.geometry else None, dst.epsg, types)

    index = q(lyr.name + "_geom_idx")
    if lyr.geometry:  # one index build after the rows is quicker than growing it row by row
        dst._b.execute(f"DROP INDEX IF EXISTS {q(dst._b.schema)}.{index}")
    bulk.overlapped(dst._b, bulk.copy_sql(dst._b.table(lyr.name), ["fid", *names], lyr.geometry is not None), texts())
    if lyr.geometry:
        dst._b.execute(f'CREATE INDEX {index} ON {dst._b.table(lyr.name)} USING GIST ("geom")')
    return count

"""Bulk writing: many rows into one table in one go.

On PostGIS the rows go through PostgreSQL's COPY protocol (text format, geometry as
hex EWKB), a chunk of rows per COPY: an order of magnitude faster than INSERTs, and the
rows are the same ones the INSERT path writes (constraints and triggers still apply).
On a GeoPackage, SQLite's executemany is already fast and stays.
"""

from __future__ import annotations

import io
import queue
import re
import struct
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import shapely

from .gpkg import q
from .values import plain

#: Rows per COPY statement (bounded memory for the text buffer).
COPY_CHUNK = 50_000
#: Below this many rows an INSERT is as quick and keeps the error messages of the INSERT path.
COPY_FROM = 200

_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def uses_copy(backend: Any, n: int) -> bool:
    return backend.kind == "postgis" and n >= COPY_FROM


def _text(value: Any) -> str:
    """One value in COPY's text format (NULL is \\N)."""
    if value.__class__ is str:
        return value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, float):
        return "\\N" if value != value else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def ewkb_hex(geoms: np.ndarray, srid: int) -> list[str]:
    """Geometries as hex EWKB with their SRID (what PostGIS reads from COPY text), NULL as \\N."""
    return wkb_to_ewkb_hex(shapely.to_wkb(np.asarray(geoms, dtype=object), byte_order=1, output_dimension=2), srid)


def wkb_to_ewkb_hex(wkbs: Sequence[bytes | None], srid: int) -> list[str]:
    """Little-endian 2D WKB made EWKB by setting the SRID flag and putting the SRID in the header.

    The same bytes as GEOS's EWKB writer, several times faster than asking GEOS for hex;
    WKB in another form (big-endian, with Z or M) goes through GEOS.
    """
    srid_bytes = struct.pack("<I", int(srid))
    out = []
    for w in wkbs:
        if w is None:
            out.append("\\N")
        elif w[0] == 1 and w[2] == 0 and w[3] == 0 and w[4] == 0:
            out.append((w[:4] + b"\x20" + srid_bytes + w[5:]).hex())
        else:
            geom = shapely.from_wkb(bytes(w))
            out.append(shapely.to_wkb(shapely.set_srid(geom, int(srid)), hex=True, byte_order=1, output_dimension=2,
                                      include_srid=True))
    return out


def text_column(values: Any, ftype: str = "") -> list[str]:
    """A column (pandas Series, or a list of plain values) in COPY text, vectorised where typed.

    *ftype* is the field's type: an INTEGER field held as floats (NULLs make pandas use
    float) is written as whole numbers, which a BIGINT column reads.
    """
    import pandas as pd

    if isinstance(values, pd.Series):
        dtype = values.dtype
        if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            missing = values.isna().to_numpy()
            whole = pd.api.types.is_integer_dtype(dtype) or ftype == "INTEGER"
            arr = values.to_numpy(dtype=float, na_value=0).astype(np.int64) if whole and not \
                pd.api.types.is_integer_dtype(dtype) else values.to_numpy(dtype=np.int64 if whole else float,
                                                                          na_value=0)
            return np.where(missing, "\\N", arr.astype(str)).tolist()
        if pd.api.types.is_bool_dtype(dtype):
            missing = values.isna().to_numpy()
            arr = values.to_numpy(dtype=bool, na_value=False)
            return np.where(missing, "\\N", np.where(arr, "t", "f")).tolist()
        values = values.tolist()
    elif not isinstance(values, list):
        values = list(values)
    plain_texts = _plain_texts(values)
    if plain_texts is not None:
        return plain_texts
    return [_text(v) if v.__class__ is str else _text(plain(v)) for v in values]


def _plain_texts(values: list) -> list[str] | None:
    """Texts and NULLs only, none needing an escape (most columns): COPY text in one pass; else None."""
    texts = [v for v in values if v.__class__ is str]
    if len(texts) + len([v for v in values if v is None]) != len(values) or _SPECIAL.search("".join(texts)):
        return None
    return ["\\N" if v is None else v for v in values]


def copy_sql(table: str, columns: Sequence[str], with_geom: bool) -> str:
    names = [q(c) for c in columns] + (['"geom"'] if with_geom else [])
    return f"COPY {table} ({', '.join(names)}) FROM STDIN"


def chunk_text(values: Sequence[Any], geoms: np.ndarray | None, srid: int, types: Sequence[str]) -> str:
    """Rows given column by column as one COPY text buffer."""
    cols = [text_column(col, t) for col, t in zip(values, types)]
    if geoms is not None:  # shapely geometries, or WKB as read from the source
        raw = len(geoms) and not isinstance(next((g for g in geoms if g is not None), None), shapely.Geometry)
        cols.append(wkb_to_ewkb_hex(list(geoms), srid) if raw else ewkb_hex(geoms, srid))
    return "\n".join(map("\t".join, zip(*cols))) + "\n"


def copy_columns(backend: Any, table: str, columns: Sequence[str], values: Sequence[Any],
                 geoms: np.ndarray | None = None, srid: int = 0, types: Sequence[str] = ()) -> None:
    """COPY rows given column by column (Series or lists, field *types* alongside); *geoms* fill a last ``geom``."""
    for sql, text in column_chunks(table, columns, values, geoms, srid, types):
        send(backend, sql, text)


def column_chunks(table: str, columns: Sequence[str], values: Sequence[Any], geoms: np.ndarray | None = None,
                  srid: int = 0, types: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """The COPY statements of :func:`copy_columns` as (sql, text) pairs, each text made when asked for."""
    types = list(types) or [""] * len(values)
    n = len(values[0]) if len(values) else (len(geoms) if geoms is not None else 0)
    sql = copy_sql(table, columns, geoms is not None)
    for start in range(0, n, COPY_CHUNK):
        stop = min(n, start + COPY_CHUNK)
        yield sql, chunk_text([col[start:stop] for col in values], None if geoms is None else geoms[start:stop],
                              srid, types)


def send(backend: Any, sql: str, text: str) -> None:
    """One COPY of a text buffer."""
    backend._cur.copy_expert(sql, io.StringIO(text), size=1 << 20)


def overlapped(backend: Any, sql: str, texts: Iterator[str], depth: int = 2) -> None:
    """COPY each buffer *texts* yields, sending one while the next is made (PostgreSQL works meanwhile)."""
    send_overlapped(backend, ((sql, text) for text in texts), depth)


def send_overlapped(backend: Any, copies: Iterator[tuple[str, str]], depth: int = 2) -> None:
    """COPY each (sql, text) *copies* yields, sending one while the next is made.

    The buffers are made in this thread (their source may be an SQLite connection, which
    stays in its thread); a second thread only sends. Nothing else may use the connection
    until this returns.
    """
    pending: queue.Queue = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []

    def sender() -> None:
        while True:
            item = pending.get()
            if item is None:
                return
            if not failed:
                try:
                    send(backend, *item)
                except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                    failed.append(err)

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    try:
        for item in copies:
            if failed:
                break
            pending.put(item)
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]


def copy_tuples(backend: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows given as tuples of plain Python values (text, numbers, hex text...)."""
    names = [q(c) for c in columns]
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= COPY_CHUNK:
            _copy_text(backend, sql, [[_text(v) for v in col] for col in zip(*chunk)])
            chunk = []
    if chunk:
        _copy_text(backend, sql, [[_text(v) for v in col] for col in zip(*chunk)])


def _copy_text(backend: Any, sql: str, cols: list[list[str]]) -> None:
    send(backend, sql, "\n".join(map("\t".join, zip(*cols))) + "\n")


def insert_tuples(backend: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Plain rows into *table*: COPY on PostGIS when there are many, INSERT otherwise."""
    if uses_copy(backend, len(rows)):
        copy_tuples(backend, table, columns, rows)
        return
    sql = f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    backend.executemany(sql, rows)

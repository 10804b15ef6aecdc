"""Writing inside one logged transaction: :class:`Batch`, which :meth:`Registry.batch` opens.

Every feature change goes into the change log (operation, feature, old and new attributes
and geometry), so a committed batch can be undone exactly. Inserts of many features build
their change-log rows a chunk at a time (:mod:`.changelog`) and, on PostGIS, send them by COPY.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, JalnetError
from . import bulk, changelog, schema
from .gpkg import q
from .retry import StaleRead
from .schema import LAYERS, Layer
from .values import check_required, check_unique, normalise_column, normalise_geometry, plain, to_json

if TYPE_CHECKING:
    from .store import Registry

_CHUNK = 500
#: Change-log columns after fid and change_id (which the database gives when the rows are written).
_LOG_COLUMNS = ["batch_id", "seq", "op", "layer", "feature_fid", "feature_key", "time", "old_attrs", "new_attrs",
                "old_geom", "new_geom"]


def _now() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _existing(backend: Any, lyr: Layer, keys: Sequence[str]) -> set[str]:
    """Which of *keys* the layer already holds (through the key's unique index)."""
    found: set[str] = set()
    table = backend.table(lyr.name)
    for start in range(0, len(keys), _CHUNK):
        chunk = list(keys[start : start + _CHUNK])
        rows = backend.execute(
            f"SELECT {q(lyr.key)} FROM {table} WHERE {q(lyr.key)} IN ({', '.join('?' * len(chunk))})", chunk
        ).fetchall()
        found.update(r[0] for r in rows)
    return found


# =========================================================================================
class Batch:
    """Writes inside one registry transaction; every feature change is logged.

    Ids come from the database: fids, change ids and the batch number from the tables'
    sequences (PostGIS) or from inside the one-writer-at-a-time transaction (GeoPackage).
    Rows are locked before they change (PostGIS ``SELECT ... FOR UPDATE``); rows a caller
    read before the batch began and declared with :meth:`expect` must still be as read,
    else :class:`~jalnet.registry.retry.StaleRead` and nothing is written.
    """

    def __init__(self, registry: Registry, tool: str, description: str) -> None:
        self.reg = registry
        self._b = registry._b
        self.tool = tool
        self.description = description
        self._fid = self._b.new_fids(LAYERS["jalnet_batches"], 1)[0]
        self.id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + f"-{self._fid:06d}"
        self.time = _now()
        self.n_changes = 0
        self._touched: dict[str, Layer] = {}
        self._log: list[tuple[Any, ...]] = []
        self._expected: dict[str, pd.DataFrame] = {}
        self._expected_at: dict[str, dict[int, int]] = {}

    def expect(self, layer: str, frame: pd.DataFrame) -> None:
        """Rows as the caller read them before this batch (a ``fid`` column, or indexed by fid).

        Updates and deletes of those features check them against the locked current row:
        a feature another editor changed or deleted meanwhile stops the batch (nothing is
        written) with one line naming it and who changed it when. This is the row version
        of an engine that plans outside its transaction (the snap)."""
        self._expected[layer] = frame
        self._expected_at.pop(layer, None)

    # -- public operations ------------------------------------------------------------------
    def insert(self, layer: str, data: Any, keep_fid: bool = False) -> list[int]:
        """Add features (GeoDataFrame, DataFrame or list of dicts); returns their fids."""
        lyr = schema.layer(layer)
        frame, geoms = self._frame(lyr, data)
        if frame.empty:
            return []
        check_required(lyr, frame)
        values = {n: normalise_column(lyr, n, frame[n], frame) for n in lyr.field_names if n in frame.columns}
        check_unique(lyr, pd.DataFrame(values), self._existing_keys(lyr, values[lyr.key]))
        if lyr.geometry:
            geoms = normalise_geometry(lyr, geoms, pd.DataFrame(values))
        if keep_fid:
            if "fid" not in frame.columns:
                raise InputError(f"{layer}: keep_fid needs a 'fid' column")
            fids = [int(f) for f in frame["fid"]]
        else:
            fids = self._b.new_fids(lyr, len(frame))
        n = len(fids)
        wkbs = shapely.to_wkb(geoms, byte_order=1, output_dimension=2) if lyr.geometry else None
        self._flush_log()  # rows logged one at a time before these keep their place in the order
        ids = self._b.new_fids(LAYERS["jalnet_changes"], n)  # change id = fid, from the database
        first = self.n_changes + 1
        self.n_changes += n
        self._touched[lyr.name] = lyr
        if bulk.uses_copy(self._b, n):  # rows, then their log rows, by COPY: each sent while the next is made
            bulk.send_overlapped(self._b, chain(_row_chunks(self._b, self.reg.epsg, lyr, fids, values, wkbs),
                                                self._log_chunks(lyr, fids, values, wkbs, ids, first)))
        else:
            _insert_rows(self._b, self.reg.epsg, lyr, fids, values, geoms)
            keys, attrs, hexes = _log_values(lyr, values, wkbs, n)
            bulk.insert_tuples(self._b, self._b.table("jalnet_changes"), ["fid", "change_id", *_LOG_COLUMNS], [
                (cid, cid, self.id, first + k, "insert", lyr.name, int(fids[k]), keys[k], self.time, None, attrs[k],
                 None, hexes[k]) for k, cid in enumerate(ids)])
        return fids

    @property
    def user(self) -> str:
        """Who writes the batch (as the change log records it)."""
        return _username()

    def update(self, layer: str, fid: int, values: dict[str, Any] | None = None, geometry: Any = None) -> None:
        """Change some attributes and/or the geometry of one feature."""
        values = dict(values or {})
        data = {k: [v] for k, v in values.items()}
        frame = gpd.GeoDataFrame(data, geometry=[geometry], crs=self.reg.crs, index=[fid]) if geometry is not None \
            else pd.DataFrame(data, index=[fid])
        self.update_many(layer, frame)

    def update_many(self, layer: str, frame: pd.DataFrame) -> None:
        """Change features given as a frame indexed by fid (columns = fields to set, optional geometry)."""
        lyr = schema.layer(layer)
        if frame.empty:
            return
        geoms = None
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
            gdf = frame if frame.crs is None or frame.crs == self.reg.crs else frame.to_crs(self.reg.crs)
            geoms = np.asarray(gdf.geometry.values, dtype=object)
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        self._check_columns(lyr, frame.columns)
        fids = [int(f) for f in frame.index]
        current = self._locked_rows(lyr, fids)
        new_values = {n: normalise_column(lyr, n, frame[n], frame) for n in frame.columns}
        if lyr.geometry and geoms is not None:
            geoms = normalise_geometry(lyr, geoms, frame)
        for k, fid in enumerate(fids):
            old_attrs, old_wkb = current[fid]
            attrs = dict(old_attrs)
            for n, col in new_values.items():
                attrs[n] = plain(col.iloc[k])
            wkb = shapely.to_wkb(geoms[k], byte_order=1, output_dimension=2) if geoms is not None else old_wkb
            self._set(lyr, fid, attrs, wkb, old=(old_attrs, old_wkb))

    def delete(self, layer: str, fids: Sequence[int]) -> None:
        """Remove features by fid."""
        self._delete(schema.layer(layer), [int(f) for f in fids])

    # -- internals, also used by undo -------------------------------------------------------
    def _frame(self, lyr: Layer, data: Any) -> tuple[pd.DataFrame, np.ndarray | None]:
        if isinstance(data, list):
            data = pd.DataFrame(data)
            if "geometry" in data.columns:
                data = gpd.GeoDataFrame(data, geometry="geometry")
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"{lyr.name}: give features as a GeoDataFrame, DataFrame or list of dicts")
        geoms = None
        if isinstance(data, gpd.GeoDataFrame) and data.geometry.name in data.columns:
            if lyr.geometry is None:
                raise InputError(f"{lyr.name} has no geometry; drop the geometry column")
            if data.crs is not None and data.crs != self.reg.crs:
                data = data.to_crs(self.reg.crs)
            geoms = np.asarray(data.geometry.values, dtype=object)
            data = pd.DataFrame(data.drop(columns=data.geometry.name))
        elif lyr.geometry is not None:
            raise InputError(f"{lyr.name}: features need geometry (a GeoDataFrame)")
        data = data.reset_index(drop=True)
        self._check_columns(lyr, [c for c in data.columns if c != "fid"])
        return data, geoms

    def _check_columns(self, lyr: Layer, columns: Sequence[str]) -> None:
        unknown = [c for c in columns if c not in lyr.field_names]
        if unknown:
            raise InputError(
                f"{lyr.name}: column(s) {', '.join(map(str, unknown))} not in the registry schema "
                f"(fields: {', '.join(lyr.field_names)})"
            )

    def _existing_keys(self, lyr: Layer, keys: pd.Series) -> set[str]:
        return _existing(self._b, lyr, keys.dropna().tolist())

    def _locked_rows(self, lyr: Layer, fids: list[int]) -> dict[int, tuple[dict[str, Any], bytes | None]]:
        """The current rows of *fids*, locked until the batch ends, checked against what the caller read."""
        self._b.lock_rows(lyr, fids)
        current = self.reg._rows(lyr, fids)
        for fid in fids:
            if fid not in current:
                if fid in self._expected_positions(lyr.name):
                    self._stale(lyr, fid, "was deleted")
                raise JalnetError(f"{lyr.name}: no feature with fid {fid}")
        if lyr.name in self._expected:
            self._check_expected(lyr, current)
        return current

    def _expected_positions(self, name: str) -> dict[int, int]:
        if name not in self._expected:
            return {}
        if name not in self._expected_at:
            frame = self._expected[name]
            fids = frame["fid"] if "fid" in frame.columns else frame.index
            self._expected_at[name] = {int(f): k for k, f in enumerate(fids)}
        return self._expected_at[name]

    def _check_expected(self, lyr: Layer, current: dict[int, tuple[dict[str, Any], bytes | None]]) -> None:
        frame, at = self._expected[lyr.name], self._expected_positions(lyr.name)
        names = [n for n in lyr.field_names if n in frame.columns]
        geom = isinstance(frame, gpd.GeoDataFrame) and lyr.geometry is not None
        for fid, (attrs, wkb) in current.items():
            k = at.get(fid)
            if k is None:
                continue
            row = frame.iloc[k]
            seen = json.loads(to_json({n: plain(row[n]) for n in names}))
            if seen != json.loads(to_json({n: attrs.get(n) for n in names})):
                self._stale(lyr, fid, "changed")
            if geom:
                was, now = frame.geometry.iloc[k], (shapely.from_wkb(wkb) if wkb is not None else None)
                if (was is None or was.is_empty) != (now is None or now.is_empty) or (
                        now is not None and was is not None and not now.equals_exact(was, 0.0)):
                    self._stale(lyr, fid, "changed")

    def _stale(self, lyr: Layer, fid: int, what: str) -> None:
        frame, k = self._expected[lyr.name], self._expected_positions(lyr.name)[fid]
        key = plain(frame[lyr.key].iloc[k]) if lyr.key in frame.columns else None
        name = f"{lyr.name} {key} (fid {fid})" if key not in (None, "") else f"{lyr.name} fid {fid}"
        raise StaleRead(f"{name} {what} after this command read it: {self.reg.last_change(lyr.name, fid)}; "
                        "nothing was written; re-run the command to work on the current data")

    def _write_rows(self, lyr: Layer, fids: list[int], values: dict[str, pd.Series], geoms: np.ndarray | None) -> None:
        _insert_rows(self._b, self.reg.epsg, lyr, fids, values, geoms)
        self._touched[lyr.name] = lyr

    def _delete(self, lyr: Layer, fids: list[int]) -> None:
        current = self._locked_rows(lyr, fids)
        table = self._b.table(lyr.name)
        for start in range(0, len(fids), _CHUNK):
            chunk = fids[start : start + _CHUNK]
            self._b.execute(f'DELETE FROM {table} WHERE "fid" IN ({", ".join("?" * len(chunk))})', chunk)
        for fid in fids:
            attrs, wkb = current[fid]
            self._record("delete", lyr, fid, attrs.get(lyr.key), attrs, None, wkb, None)
        self._touched[lyr.name] = lyr

    def _restore(self, lyr: Layer, fid: int, attrs: dict[str, Any], wkb: bytes | None) -> None:
        frame = pd.DataFrame([attrs])
        values = {n: normalise_column(lyr, n, frame[n], frame) for n in lyr.field_names if n in frame.columns}
        geoms = shapely.from_wkb([wkb]) if lyr.geometry else None
        self._write_rows(lyr, [fid], values, geoms)
        self._record("insert", lyr, fid, attrs.get(lyr.key), None, attrs, None, wkb)

    def _set(self, lyr: Layer, fid: int, attrs: dict[str, Any], wkb: bytes | None,
             old: tuple[dict[str, Any], bytes | None] | None = None) -> None:
        if old is None:
            old = self._locked_rows(lyr, [fid])[fid]
        names = lyr.field_names
        frame = pd.DataFrame([{n: attrs.get(n) for n in names}])
        values = [_db_values(normalise_column(lyr, n, frame[n], frame))[0] for n in names]
        sets = [f"{q(n)} = ?" for n in names]
        params: list[Any] = list(values)
        if lyr.geometry:
            sets.append(f'"geom" = {self._b.geom_param(self.reg.epsg)}')
            params += self._b.geoms_to_db(shapely.from_wkb([wkb]), self.reg.epsg)
        self._b.execute(f'UPDATE {self._b.table(lyr.name)} SET {", ".join(sets)} WHERE "fid" = ?', params + [fid])
        self._record("update", lyr, fid, attrs.get(lyr.key), old[0], attrs, old[1], wkb)
        self._touched[lyr.name] = lyr

    def _record(self, op: str, lyr: Layer, fid: int, key: Any, old_attrs: dict | None, new_attrs: dict | None,
                old_wkb: bytes | None, new_wkb: bytes | None) -> None:
        self._log.append((
            self.id, self.n_changes + 1, op, lyr.name, int(fid),
            None if key is None else str(key), self.time,
            None if old_attrs is None else to_json(old_attrs), None if new_attrs is None else to_json(new_attrs),
            None if old_wkb is None else bytes(old_wkb).hex(), None if new_wkb is None else bytes(new_wkb).hex(),
        ))
        self.n_changes += 1
        if len(self._log) >= 5000:
            self._flush_log()

    def _log_chunks(self, lyr: Layer, fids: Sequence[int], values: dict[str, pd.Series], wkbs: Any,
                    ids: Sequence[int], first: int) -> Iterator[tuple[str, str]]:
        """COPY texts of the inserted features' change-log rows (change ids *ids*, seq from *first*),
        built for the whole chunk at once (:mod:`.changelog`) when the first one is asked for."""
        n = len(fids)
        keys, attrs, hexes = _log_values(lyr, values, wkbs, n)
        sql = bulk.copy_sql(self._b.table("jalnet_changes"), ["fid", "change_id", *_LOG_COLUMNS], False)
        text = bulk._text
        for start in range(0, n, bulk.COPY_CHUNK):
            stop = min(n, start + bulk.COPY_CHUNK)
            cids = list(map(str, ids[start:stop]))
            rows = zip(cids, cids, repeat(text(self.id)), map(str, range(first + start, first + stop)),
                       repeat("insert"), repeat(text(lyr.name)), map(str, fids[start:stop]),
                       map(text, keys[start:stop]), repeat(text(self.time)), repeat("\\N"),
                       map(_json_copy, attrs[start:stop]), repeat("\\N"),
                       ("\\N" if g is None else g for g in hexes[start:stop]))
            yield sql, "\n".join(map("\t".join, rows)) + "\n"

    def _flush_log(self) -> None:
        if not self._log:
            return
        cols = ["fid", "change_id", "batch_id", "seq", "op", "layer", "feature_fid", "feature_key", "time",
                "old_attrs", "new_attrs", "old_geom", "new_geom"]
        ids = self._b.new_fids(LAYERS["jalnet_changes"], len(self._log))  # change id = fid, from the database
        bulk.insert_tuples(self._b, self._b.table("jalnet_changes"), cols,
                           [(cid, cid) + row for cid, row in zip(ids, self._log)])
        self._log = []

    def _finish(self, undoes: str | None) -> None:
        """Write the batch record; a batch that changed nothing leaves no trace."""
        self._flush_log()
        if self.n_changes == 0:
            return
        table = self._b.table("jalnet_batches")
        self._b.execute(
            f"INSERT INTO {table} (fid, batch_id, tool, description, started, username, n_changes, undoes, undone_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (self._fid, self.id, self.tool, self.description, self.time, _username(), self.n_changes, undoes),
        )
        self._touched.setdefault("jalnet_changes", LAYERS["jalnet_changes"])
        self._touched.setdefault("jalnet_batches", LAYERS["jalnet_batches"])
        self._b.after_write(self._touched.values())


def _insert_rows(backend: Any, epsg: int, lyr: Layer, fids: Sequence[int], values: dict[str, pd.Series],
                 geoms: np.ndarray | None) -> None:
    """Plain INSERT (COPY on PostGIS when many) of checked rows with explicit fids (no logging: callers log)."""
    names = list(values)
    if bulk.uses_copy(backend, len(fids)):
        for sql, text in _row_chunks(backend, epsg, lyr, fids, values, geoms):
            bulk.send(backend, sql, text)
        return
    cols = ['"fid"'] + [q(n) for n in names]
    marks = ["?"] * (1 + len(names))
    columns: list[Sequence[Any]] = [list(fids)] + [_db_values(values[n]) for n in names]
    if lyr.geometry:
        cols.append('"geom"')
        marks.append(backend.geom_param(epsg))
        columns.append(backend.geoms_to_db(geoms, epsg))
    sql = f"INSERT INTO {backend.table(lyr.name)} ({', '.join(cols)}) VALUES ({', '.join(marks)})"
    backend.executemany(sql, zip(*columns))


def _row_chunks(backend: Any, epsg: int, lyr: Layer, fids: Sequence[int], values: dict[str, pd.Series],
                geoms: Any) -> Iterator[tuple[str, str]]:
    """The COPY texts of rows with explicit fids (*geoms* shapely geometries or WKB)."""
    names = list(values)
    return bulk.column_chunks(backend.table(lyr.name), ["fid", *names],
                              [pd.Series(np.asarray(fids, dtype=np.int64))] + [values[n].reset_index(drop=True)
                                                                              for n in names],
                              geoms if lyr.geometry else None, epsg, ["INTEGER"] + [lyr.field(n).type for n in names])


def _log_values(lyr: Layer, values: dict[str, pd.Series], wkbs: Any, n: int) -> tuple[list, list, list]:
    """Business keys, attributes JSON and geometry hex of *n* inserted features, for their change-log rows."""
    hexes = changelog.hex_wkbs(wkbs) if wkbs is not None else [None] * n
    return changelog.keys_text(lyr, values, n), changelog.attrs_json(lyr, values, n), hexes


def _json_copy(text: str) -> str:
    """Change-log JSON in COPY text: JSON escapes control characters itself, so only backslashes double."""
    return text.replace("\\", "\\\\") if "\\" in text else text


def _username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return os.environ.get("USER", "")


def _db_values(series: pd.Series) -> list[Any]:
    return [plain(v) for v in series.tolist()]


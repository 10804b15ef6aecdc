"""The registry: open/create, read, write in logged transactions, undo, copy.

Every write goes through :meth:`Registry.batch`: one database transaction that also
writes one change-log batch (operation, time, feature, old and new attributes and
geometry). A failure anywhere rolls the whole batch back, and a committed batch can be
undone exactly, provided nothing changed the same features since.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import __version__
from ..errors import InputError, JalnetError, RegistryConflict, RegistryError
from ..feedback import Feedback, check_canceled
from . import bulk, reads, schema
from .gpkg import GpkgBackend, q
from .postgis import PostgisBackend, is_postgis_target
from .retry import StaleRead, retrying
from .schema import LAYERS, SCHEMA_VERSION, Layer
from .values import check_required, check_unique, normalise_column, normalise_geometry, plain, to_json

_CHUNK = 500


def _now() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _is_db_error(err: BaseException) -> bool:
    return isinstance(err, sqlite3.Error) or type(err).__module__.startswith("psycopg2")


def metric_crs(crs: str | int | pyproj.CRS) -> tuple[pyproj.CRS, int]:
    """A projected CRS in metres with an EPSG code, or a clear refusal."""
    try:
        obj = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise RegistryError(f"unknown CRS '{crs}'; give an EPSG code such as EPSG:32646") from None
    epsg = obj.to_epsg()
    unit = obj.axis_info[0].unit_name if obj.axis_info else ""
    if not obj.is_projected or unit not in ("metre", "meter"):
        raise RegistryError(
            f"{crs} is not a projected CRS in metres; the registry measures lengths and distances, so give the "
            "UTM zone of the scheme (EPSG:32643 to EPSG:32647 across India; Assam is EPSG:32646)"
        )
    if epsg is None:
        raise RegistryError(f"CRS '{crs}' has no EPSG code; give one such as EPSG:32646")
    return obj, epsg


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing a lon/lat point."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + max(1, min(60, zone))


# =========================================================================================
class Registry:
    """An open registry. Use :func:`open_registry` or :func:`create_registry`."""

    def __init__(self, backend: Any, readonly: bool = False) -> None:
        self._b = backend
        self.readonly = readonly
        self._in_transaction = False
        meta = self.meta()
        try:
            self.schema_version = int(meta["schema_version"])
            self.epsg = int(meta["epsg"])
        except (KeyError, ValueError):
            raise RegistryError(f"{backend.describe()} has no valid jalnet_meta; it is not a JalNet registry") from None
        if self.schema_version > SCHEMA_VERSION:
            raise RegistryError(
                f"{backend.describe()} has registry schema version {self.schema_version}, newer than this JalNet "
                f"{__version__} understands ({SCHEMA_VERSION}); upgrade JalNet to open it"
            )
        self.crs = pyproj.CRS.from_epsg(self.epsg)
        self._check_layers()
        if self.schema_version < SCHEMA_VERSION and not readonly:
            retrying(self._upgrade)()  # editors opening it at once: a lock wait is retried

    # -- basics ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self._b.kind

    @property
    def target(self) -> str:
        return self._b.describe()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._b.close()

    def __repr__(self) -> str:
        return f"<Registry {self.kind} {self.target} EPSG:{self.epsg} v{self.schema_version}>"

    def meta(self) -> dict[str, str]:
        if not self._b.table_exists("jalnet_meta"):
            raise RegistryError(
                f"{self._b.describe()} is not a JalNet registry (no jalnet_meta table); "
                "create one with 'jalnet registry create'"
            )
        rows = self._b.execute(f"SELECT key, value FROM {self._b.table('jalnet_meta')}").fetchall()
        return {k: v for k, v in rows}

    def _check_layers(self) -> None:
        for lyr in LAYERS.values():
            if lyr.since <= self.schema_version and not self._b.table_exists(lyr.name):
                raise RegistryError(
                    f"registry {self.target} is missing layer '{lyr.name}' (schema v{self.schema_version} has it); "
                    "restore the file, or create a new registry and load the layers you have into it"
                )

    def _upgrade(self) -> None:
        """Add the layers, fields and indexes newer schema versions define.

        Editors opening an old registry at once: the first locks the schema_version row and
        upgrades; the others wait for it, then find the registry current and do nothing."""
        old = self.schema_version
        meta = LAYERS["jalnet_meta"]
        with self._transaction():
            version_fid = self._b.scalar(f"SELECT fid FROM {self._b.table(meta.name)} WHERE key = 'schema_version'")
            self._b.lock_rows(meta, [version_fid])
            if int(self.meta()["schema_version"]) >= SCHEMA_VERSION:
                self.schema_version = SCHEMA_VERSION
                return
            for lyr in LAYERS.values():
                if not self._b.table_exists(lyr.name):
                    self._b.create_layer(lyr, self.epsg)
                    continue
                present = set(self._b.columns(lyr.name))
                for fld in lyr.fields:
                    if fld.name not in present:
                        self._b.add_field(lyr, fld)
                self._b.create_indexes(lyr)
            self._set_meta("schema_version", str(SCHEMA_VERSION))
            self._set_meta(f"upgraded_from_{old}", _now())
        self.schema_version = SCHEMA_VERSION

    def _set_meta(self, key: str, value: str) -> None:
        table = self._b.table("jalnet_meta")
        self._b.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
        fid = self._b.new_fids(LAYERS["jalnet_meta"], 1)[0]
        self._b.execute(f"INSERT INTO {table} (fid, key, value) VALUES (?, ?, ?)", (fid, key, value))

    # -- business keys ------------------------------------------------------------------------
    def allocate_keys(self, layer: str, prefix: str, width: int, n: int) -> list[str] | None:
        """*n* new business keys ``prefix + number`` (P-0042...) of *layer*, from the registry's
        counter (``jalnet_keys``): the row is advanced in one statement, so editors asking at
        once get different numbers. The counter starts from the highest key in the layer, and
        skips past keys written some other way (a load, a QGIS edit). Numbers of a failed
        write are not reused. None when the registry cannot give keys (read-only, schema < 4).
        """
        if self.readonly or self.schema_version < 4 or n <= 0:
            return None
        lyr = schema.layer(layer)
        family = f"{lyr.name}.{lyr.key}:{prefix}{'#' * width}"
        if self._in_transaction:
            return self._take_keys(lyr, family, prefix, width, n)
        with self._transaction():  # short and on its own: the counter row is not held while a batch runs
            return self._take_keys(lyr, family, prefix, width, n)

    def _take_keys(self, lyr: Layer, family: str, prefix: str, width: int, n: int) -> list[str]:
        table = self._b.table("jalnet_keys")
        floor = 0
        for _ in range(3):
            if not self._b.scalar(f"SELECT count(*) FROM {table} WHERE family = ?", (family,)):
                floor = max(floor, self._highest_key(lyr, prefix))
                fid = self._b.new_fids(LAYERS["jalnet_keys"], 1)[0]
                self._b.execute(f"INSERT INTO {table} (fid, family, last_value) VALUES (?, ?, ?) "
                                "ON CONFLICT (family) DO NOTHING", (fid, family, 0))
            last = int(self._b.scalar(
                f"UPDATE {table} SET last_value = {self._b.greatest}(last_value, ?) + ? WHERE family = ? "
                "RETURNING last_value", (floor, n, family)))
            keys = [f"{prefix}{k:0{width}d}" for k in range(last - n + 1, last + 1)]
            if not _existing(self._b, lyr, keys):
                return keys
            floor = self._highest_key(lyr, prefix)  # keys written past the counter: jump over them
        raise RegistryConflict(f"{lyr.name}: cannot find free {lyr.key} values {prefix}...; check the layer's keys")

    def _highest_key(self, lyr: Layer, prefix: str) -> int:
        """Highest number among the layer's keys ``prefix + digits`` (longest first, then highest)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._b.execute(
            f"SELECT {q(lyr.key)} FROM {self._b.table(lyr.name)} WHERE {q(lyr.key)} LIKE ? ESCAPE '\\' "
            f"ORDER BY length({q(lyr.key)}) DESC, {q(lyr.key)} DESC LIMIT 1000", (pattern,)).fetchall()
        numbered = re.compile(re.escape(prefix) + r"(\d+)$")
        return max((int(m.group(1)) for (k,) in rows if (m := numbered.match(str(k)))), default=0)

    def layer_names(self) -> list[str]:
        return [n for n in schema.ASSET_LAYERS if LAYERS[n].since <= self.schema_version]

    def layer_source(self, name: str) -> tuple[str, str]:
        """(data source URI, provider key) for QGIS."""
        return self._b.layer_source(schema.layer(name), self.epsg)

    def count(self, name: str) -> int:
        lyr = schema.layer(name)
        return int(self._b.scalar(f"SELECT count(*) FROM {self._b.table(lyr.name)}"))

    def info(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "crs": f"EPSG:{self.epsg}",
            "crs_name": self.crs.name,
            "schema_version": self.schema_version,
            "created": self.meta().get("created"),
            "layers": {n: self.count(n) for n in self.layer_names()},
            "batches": self.count("jalnet_batches"),
        }

    # -- reading --------------------------------------------------------------------------
    def read(self, name: str, where: dict[str, Any] | None = None, bbox: tuple[float, float, float, float] | None = None,
             near: Any = None, distance: float = 0.0, schemes: Sequence[str] | None = None
             ) -> gpd.GeoDataFrame | pd.DataFrame:
        """A layer as a (Geo)DataFrame indexed by fid, columns in schema order.

        Filters (all optional, combined with AND): *where* field = value (or list of values),
        *bbox* (minx, miny, maxx, maxy) overlapping the feature's envelope, *near* geometries
        (one or an array) within *distance* metres, *schemes* a list of scheme_ids. They use
        the registry's indexes; rows are fetched in chunks (:mod:`.reads`).
        """
        return reads.read(self, schema.layer(name), where, bbox, near, distance, schemes)

    def _where(self, lyr: Layer, where: dict[str, Any] | None) -> tuple[str, list[Any]]:
        clauses, params = reads.where_clauses(self, lyr, where)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def _select(self, lyr: Layer, sql_where: str = "", params: Sequence[Any] = ()) -> tuple[
        list[int], dict[str, pd.Series], np.ndarray
    ]:
        clause = sql_where.strip()
        if clause.upper().startswith("WHERE "):
            clause = clause[6:]
        return reads.select(self, lyr, [clause] if clause else [], params)

    def _rows(self, lyr: Layer, fids: Sequence[int]) -> dict[int, tuple[dict[str, Any], bytes | None]]:
        """Current attributes and WKB of features, for the change log."""
        out: dict[int, tuple[dict[str, Any], bytes | None]] = {}
        fids = [int(f) for f in fids]
        for start in range(0, len(fids), _CHUNK):
            chunk = fids[start : start + _CHUNK]
            where = f' WHERE "fid" IN ({", ".join("?" * len(chunk))})'
            got, columns, geoms = self._select(lyr, where, chunk)
            wkbs = shapely.to_wkb(geoms, byte_order=1, output_dimension=2) if lyr.geometry else [None] * len(got)
            for k, fid in enumerate(got):
                attrs = {n: plain(columns[n].iloc[k]) for n in lyr.field_names}
                out[fid] = (attrs, wkbs[k])
        return out

    # -- change log -----------------------------------------------------------------------
    def batches(self) -> pd.DataFrame:
        frame = self.read("jalnet_batches")
        return frame.sort_values("started", kind="stable").reset_index(drop=True)

    def changes(self, batch_id: str) -> pd.DataFrame:
        frame = self.read("jalnet_changes", where={"batch_id": batch_id})
        return frame.sort_values("seq").reset_index(drop=True)

    # -- writing --------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.readonly:
            raise RegistryError(f"registry {self.target} was opened read-only")
        try:
            self._b.begin()
        except Exception as err:
            if _is_db_error(err):
                self._b.rollback()
                raise self._b.translate_error(err) from None
            raise
        self._in_transaction = True
        try:
            yield
            self._b.commit()
        except BaseException as err:
            self._b.rollback()
            if _is_db_error(err):
                raise self._b.translate_error(err) from None
            raise
        finally:
            self._in_transaction = False

    @contextmanager
    def batch(self, tool: str, description: str = "", _undoes: str | None = None) -> Iterator[Batch]:
        """One transaction and one change-log batch; everything or nothing is written."""
        with self._transaction():
            b = Batch(self, tool, description)
            yield b
            b._finish(_undoes)

    def undo(self, batch_id: str, feedback: Feedback | None = None) -> str:
        """Revert a batch exactly; refuses when its features changed since. Returns the undo batch id.

        The checks run inside the undo's transaction with the batch row and the features
        locked, so a concurrent edit or a second undo cannot slip in between check and write."""
        return retrying(lambda: self._undo(batch_id, feedback))()

    def _undo(self, batch_id: str, feedback: Feedback | None) -> str:
        found = self.read("jalnet_batches", where={"batch_id": batch_id})
        if found.empty:
            raise RegistryError(f"no batch '{batch_id}' in {self.target}; list them with 'jalnet registry log'")
        row = found.iloc[0]
        with self.batch("undo", f"undo of {batch_id} ({row['tool']}: {row['description']})", _undoes=batch_id) as b:
            self._b.lock_rows(LAYERS["jalnet_batches"], [int(found.index[0])])
            undone_by = self._b.scalar(f"SELECT undone_by FROM {self._b.table('jalnet_batches')} WHERE batch_id = ?",
                                       (batch_id,))
            if isinstance(undone_by, str) and undone_by:
                raise RegistryError(f"batch {batch_id} was already undone by batch {undone_by}")
            changes = self.changes(batch_id)
            self._check_undoable(batch_id, changes)
            total = len(changes)
            for k, ch in enumerate(changes[::-1].itertuples(index=False)):
                if feedback is not None and k % 200 == 0:
                    check_canceled(feedback)
                    feedback.set_progress(100.0 * k / max(1, total))
                lyr = schema.layer(ch.layer)
                if ch.op == "insert":
                    b._delete(lyr, [int(ch.feature_fid)])
                elif ch.op == "delete":
                    b._restore(lyr, int(ch.feature_fid), json.loads(ch.old_attrs), _unhex(ch.old_geom))
                else:
                    b._set(lyr, int(ch.feature_fid), json.loads(ch.old_attrs), _unhex(ch.old_geom))
            self._b.execute(
                f"UPDATE {self._b.table('jalnet_batches')} SET undone_by = ? WHERE batch_id = ?", (b.id, batch_id)
            )
        return b.id

    def _check_undoable(self, batch_id: str, changes: pd.DataFrame) -> None:
        """The registry must still hold what the batch left, feature by feature."""
        final: dict[tuple[str, int], Any] = {}
        for ch in changes.itertuples(index=False):
            key = (ch.layer, int(ch.feature_fid))
            final[key] = None if ch.op == "delete" else (json.loads(ch.new_attrs), ch.new_geom)
        by_layer: dict[str, list[int]] = {}
        for layer_name, fid in final:
            by_layer.setdefault(layer_name, []).append(fid)
        for layer_name, fids in by_layer.items():
            lyr = schema.layer(layer_name)
            self._b.lock_rows(lyr, fids)
            current = self._rows(lyr, fids)
            for fid in fids:
                want = final[(layer_name, fid)]
                have = current.get(fid)
                same = (want is None and have is None) or (
                    want is not None and have is not None and want[0] == json.loads(to_json(have[0]))
                    and _same_geom(want[1], have[1])
                )
                if not same:
                    raise RegistryError(
                        f"batch {batch_id} cannot be undone: {layer_name} feature fid {fid} changed after it "
                        f"({self._later_change(batch_id, layer_name, fid)}); undo the later batch first"
                    )

    def _later_change(self, batch_id: str, layer_name: str, fid: int) -> str:
        table = self._b.table("jalnet_changes")
        row = self._b.execute(
            f"SELECT batch_id FROM {table} WHERE layer = ? AND feature_fid = ? AND batch_id <> ? "
            "ORDER BY change_id DESC LIMIT 1",
            (layer_name, fid, batch_id),
        ).fetchone()
        if row is None or row[0] == batch_id:
            return "edited outside JalNet"
        return f"by batch {row[0]}"

    def last_change(self, layer_name: str, fid: int) -> str:
        """Who last changed a feature and when, from the change log, for conflict messages."""
        row = self._b.execute(
            f"SELECT c.batch_id, b.tool, b.username, c.time FROM {self._b.table('jalnet_changes')} c "
            f"LEFT JOIN {self._b.table('jalnet_batches')} b ON b.batch_id = c.batch_id "
            "WHERE c.layer = ? AND c.feature_fid = ? ORDER BY c.change_id DESC LIMIT 1",
            (layer_name, int(fid)),
        ).fetchone()
        if row is None:
            return "edited outside JalNet (no change-log entry)"
        batch, tool, user, when = row
        return f"changed by batch {batch} ({tool or 'unknown tool'}, user {user or 'unknown'}, {_text_time(when)})"


def _text_time(value: Any) -> str:
    if isinstance(value, str) or value is None:
        return str(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


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


def _same_geom(hex_wkb: Any, wkb: bytes | None) -> bool:
    if not isinstance(hex_wkb, str) or wkb is None:
        return not isinstance(hex_wkb, str) and wkb is None
    return shapely.from_wkb(bytes.fromhex(hex_wkb)).equals_exact(shapely.from_wkb(wkb), 0.0)


def _unhex(value: Any) -> bytes | None:
    return bytes.fromhex(value) if isinstance(value, str) and value else None


def _from_db(ftype: str, values: Sequence[Any]) -> pd.Series:
    """Database values to the pandas dtype of the field type, identical from both stores."""
    if ftype == "INTEGER":
        return pd.Series(pd.array([None if v is None else int(v) for v in values], dtype="Int64"))
    if ftype == "REAL":
        return pd.Series(np.array([np.nan if v is None else float(v) for v in values], dtype=float))
    if ftype == "BOOLEAN":
        return pd.Series(pd.array([None if v is None else bool(v) for v in values], dtype="boolean"))
    if ftype == "DATE":
        return pd.Series([None if v is None else (v if isinstance(v, str) else v.isoformat()) for v in values],
                         dtype=object)
    if ftype == "DATETIME":
        out = []
        for v in values:
            if v is None or isinstance(v, str):
                out.append(v)
            else:
                out.append(v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z")
        return pd.Series(out, dtype=object)
    # one object per distinct text: a state's million pipes repeat a few materials, statuses and schemes
    seen: dict[Any, Any] = {}
    return pd.Series([seen.setdefault(v, v) for v in values], dtype=object)


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
        self._write_rows(lyr, fids, values, geoms)
        attrs = _records(lyr, values, len(fids))
        wkbs = _wkbs(lyr, geoms, len(fids))
        for k, fid in enumerate(fids):
            self._record("insert", lyr, fid, attrs[k][lyr.key], None, attrs[k], None, wkbs[k])
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
        bulk.copy_columns(backend, backend.table(lyr.name), ["fid", *names],
                          [pd.Series(np.asarray(fids, dtype=np.int64))] + [values[n].reset_index(drop=True)
                                                                          for n in names],
                          geoms if lyr.geometry else None, epsg, ["INTEGER"] + [lyr.field(n).type for n in names])
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


def _username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return os.environ.get("USER", "")


def _db_values(series: pd.Series) -> list[Any]:
    return [plain(v) for v in series.tolist()]


def _records(lyr: Layer, values: dict[str, pd.Series], n: int) -> list[dict[str, Any]]:
    lists = {name: _db_values(col) for name, col in values.items()}
    return [{name: (lists[name][k] if name in lists else None) for name in lyr.field_names} for k in range(n)]


def _wkbs(lyr: Layer, geoms: np.ndarray | None, n: int) -> list[bytes | None]:
    if not lyr.geometry or geoms is None:
        return [None] * n
    return list(shapely.to_wkb(geoms, byte_order=1, output_dimension=2))


# =========================================================================================
def open_registry(target: str | os.PathLike, readonly: bool = False) -> Registry:
    """Open an existing registry (GeoPackage path or postgresql:// URL)."""
    target = str(target)
    if is_postgis_target(target):
        backend = PostgisBackend.connect(target, readonly=readonly)
    else:
        backend = GpkgBackend.connect(target, readonly=readonly)
    try:
        return Registry(backend, readonly=readonly)
    except BaseException:
        backend.close()
        raise


def create_registry(target: str | os.PathLike, crs: str | int | pyproj.CRS = "EPSG:32646",
                    overwrite: bool = False) -> Registry:
    """Create an empty registry; on any failure nothing is left behind."""
    target = str(target)
    crs_obj, epsg = metric_crs(crs)
    if is_postgis_target(target):
        backend = PostgisBackend.connect(target, must_exist=False)
        try:
            backend.begin()
            if overwrite:
                backend.drop_everything()
            _create_tables(backend, crs_obj, epsg)
            backend.commit()
        except BaseException as err:
            backend.rollback()
            backend.close()
            if _is_db_error(err):
                raise backend.translate_error(err) from None
            raise
        backend.close()
        return open_registry(target)
    path = Path(target)
    if path.suffix.lower() != ".gpkg":
        raise RegistryError(f"registry path {path} must end with .gpkg (or give a postgresql:// URL)")
    if path.exists() and not overwrite:
        raise RegistryError(f"{path} already exists; pick another name or pass --overwrite to replace it")
    if not path.parent.exists():
        raise RegistryError(f"folder {path.parent} does not exist; create it first")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        backend = GpkgBackend.connect(tmp, must_exist=False)
        try:
            backend.begin()
            _create_tables(backend, crs_obj, epsg)
            backend.commit()
        finally:
            backend.close()
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if _is_db_error(err):
            raise RegistryError(f"cannot create {path}: {err}") from None
        raise
    return open_registry(path)


def _create_tables(backend: Any, crs: pyproj.CRS, epsg: int) -> None:
    backend.create_base(crs, epsg)
    for lyr in LAYERS.values():
        backend.create_layer(lyr, epsg)
    meta = {"schema_version": str(SCHEMA_VERSION), "epsg": str(epsg), "crs_name": crs.name, "created": _now(),
            "created_by": f"jalnet {__version__}"}
    table = backend.table("jalnet_meta")
    backend.executemany(f"INSERT INTO {table} (fid, key, value) VALUES (?, ?, ?)",
                        [(i + 1, k, v) for i, (k, v) in enumerate(meta.items())])
    backend.after_write([LAYERS["jalnet_meta"]])


def content_digest(registry: Registry, include_log: bool = True) -> dict[str, str]:
    """SHA-256 per layer over fids, attributes and geometry: equal digests, equal content."""
    names = list(schema.ASSET_LAYERS) + (["jalnet_batches", "jalnet_changes"] if include_log else [])
    out = {}
    for name in names:
        lyr = LAYERS[name]
        fids, columns, geoms = registry._select(lyr)
        digest = hashlib.sha256()
        wkbs = shapely.to_wkb(geoms, byte_order=1, output_dimension=2, hex=True) if lyr.geometry else None
        for k, fid in enumerate(fids):
            attrs = {n: plain(columns[n].iloc[k]) for n in lyr.field_names}
            digest.update(f"{fid}\t{to_json(attrs)}\t{wkbs[k] if wkbs is not None else ''}\n".encode())
        out[name] = digest.hexdigest()
    return out

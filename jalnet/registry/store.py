"""The registry: open/create, read, write in logged transactions, undo, copy.

Every write goes through :meth:`Registry.batch`: one database transaction that also
writes one change-log batch (operation, time, feature, old and new attributes and
geometry). A failure anywhere rolls the whole batch back, and a committed batch can be
undone exactly, provided nothing changed the same features since.
"""

from __future__ import annotations

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
from ..errors import RegistryConflict, RegistryError
from ..feedback import Feedback, check_canceled
from . import reads, schema
from .batch import _CHUNK, Batch, _db_values, _existing, _insert_rows, _now, _username  # noqa: F401 - re-exported
from .gpkg import GpkgBackend, q
from .postgis import PostgisBackend, is_postgis_target
from .retry import retrying
from .schema import LAYERS, SCHEMA_VERSION, Layer
from .values import plain, to_json


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

"""GeoPackage store: one file, nothing to run, opened by QGIS and GDAL as is."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyproj

from ..errors import RegistryError, RegistryLocked
from . import gpkgblob
from .schema import DOMAINS, Field, Layer, indexes

GPKG_APPLICATION_ID = 0x47504B47
GPKG_USER_VERSION = 10300
_SQL_TYPES = {"TEXT": "TEXT", "INTEGER": "INTEGER", "REAL": "REAL", "DATE": "DATE", "DATETIME": "DATETIME",
              "BOOLEAN": "BOOLEAN"}


def lock_timeout() -> float:
    """Seconds to wait for another writer before giving up (JALNET_LOCK_TIMEOUT)."""
    try:
        return float(os.environ.get("JALNET_LOCK_TIMEOUT", "10"))
    except ValueError:
        return 10.0


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def check_clause(fld: Field) -> str:
    """The CHECK constraint of a field, identical text in both stores."""
    parts = []
    if fld.domain is not None:
        codes = ", ".join(sql_literal(c) for c in DOMAINS[fld.domain])
        parts.append(f"{q(fld.name)} IN ({codes})")
    if fld.min is not None:
        parts.append(f"{q(fld.name)} >= {fld.min!r}")
    if fld.max is not None:
        parts.append(f"{q(fld.name)} <= {fld.max!r}")
    if not parts:
        return ""
    return f" CHECK ({q(fld.name)} IS NULL OR ({' AND '.join(parts)}))"


class GpkgBackend:
    """SQLite connection in autocommit mode; the registry opens explicit transactions."""

    kind = "gpkg"
    placeholder = "?"
    greatest = "max"  # SQLite's two-argument max() is PostgreSQL's GREATEST()

    def __init__(self, path: str | os.PathLike, conn: sqlite3.Connection) -> None:
        self.path = Path(path)
        self.conn = conn

    # -- connection ---------------------------------------------------------------------
    @classmethod
    def connect(cls, path: str | os.PathLike, readonly: bool = False, must_exist: bool = True) -> GpkgBackend:
        path = Path(path)
        if must_exist:
            if not path.exists():
                raise RegistryError(
                    f"no registry at {path}: create one with 'jalnet registry create {path} --crs EPSG:32646'"
                )
            with open(path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise RegistryError(f"{path} is not a GeoPackage (not an SQLite file); give a .gpkg registry")
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=lock_timeout(), isolation_level=None)
        except sqlite3.Error as err:
            raise RegistryError(f"cannot open {path}: {err}") from None
        gpkgblob.register_functions(conn)
        backend = cls(path, conn)
        if must_exist:
            app_id = backend.scalar("PRAGMA application_id")
            if app_id != GPKG_APPLICATION_ID and not backend.table_exists("gpkg_contents"):
                conn.close()
                raise RegistryError(f"{path} is an SQLite file but not a GeoPackage; give a .gpkg registry")
        return backend

    def close(self) -> None:
        self.conn.close()

    def describe(self) -> str:
        return str(self.path)

    def translate_error(self, err: Exception) -> Exception:
        text = str(err)
        if "locked" in text or "busy" in text:
            return RegistryLocked(
                f"registry {self.path} is locked by another writer (a QGIS editing session or another "
                f"jalnet command); save or close that edit and retry"
            )
        if "readonly" in text or "read-only" in text:
            return RegistryError(f"registry {self.path} is read-only; check the file's permissions")
        return RegistryError(f"registry {self.path}: {text}")

    # -- transactions -------------------------------------------------------------------
    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.OperationalError as err:
            raise self.translate_error(err) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.OperationalError as err:
            raise self.translate_error(err) from None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- names and geometry -------------------------------------------------------------
    def table(self, name: str) -> str:
        return q(name)

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)))

    def columns(self, name: str) -> list[str]:
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({q(name)})")]

    def geom_param(self, srid: int) -> str:
        return "?"

    def geom_select(self) -> str:
        return q("geom")

    def geoms_to_db(self, geoms: np.ndarray, srid: int) -> list[bytes | None]:
        return gpkgblob.encode(geoms, srid)

    def geoms_from_db(self, values: Sequence[Any]) -> np.ndarray:
        return gpkgblob.decode(values)

    def wkb_from_db(self, values: Sequence[Any]) -> list[bytes | None]:
        return [gpkgblob.wkb_of(v) for v in values]

    # -- schema ---------------------------------------------------------------------------
    def create_base(self, crs: pyproj.CRS, epsg: int) -> None:
        """The GeoPackage core tables and the registry's CRS."""
        self.conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        self.conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        ex = self.conn.execute
        ex(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, "
            "organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
            "description TEXT)"
        )
        ex(
            "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, "
            "identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT "
            "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, "
            "srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"
        )
        ex(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, "
            "CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT uk_gc_table_name UNIQUE (table_name), "
            "CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), "
            "CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))"
        )
        ex(
            "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
            "definition TEXT NOT NULL, scope TEXT NOT NULL, "
            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
        )
        ex(
            "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, "
            "title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        ex(
            "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, "
            "value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, "
            "description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"
        )
        schema_ext = "http://www.geopackage.org/spec/#extension_schema"
        for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            ex("INSERT INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')", (table, schema_ext))
        srs_rows = [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, pyproj.CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),
             "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
        ]
        if epsg not in (4326,):
            srs_rows.append((crs.name, epsg, "EPSG", epsg, crs.to_wkt("WKT1_GDAL"), crs.name))
        ex_many = self.conn.executemany
        ex_many("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs_rows)
        rows = []
        for name, codes in DOMAINS.items():
            for code, description in codes.items():
                rows.append((name, "enum", code, None, None, None, None, description))
        ex_many("INSERT INTO gpkg_data_column_constraints VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def create_layer(self, layer: Layer, epsg: int) -> None:
        cols = ['"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL']
        if layer.geometry:
            cols.append(f'"geom" {layer.geometry}')
        for fld in layer.fields:
            cols.append(self._column_sql(layer, fld))
        self.conn.execute(f"CREATE TABLE {q(layer.name)} ({', '.join(cols)})")
        self.conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, ?, ?, ?, ?)",
            (layer.name, "features" if layer.geometry else "attributes", layer.name, layer.description or layer.title,
             epsg if layer.geometry else None),
        )
        if layer.geometry:
            self.conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)", (layer.name, layer.geometry, epsg)
            )
            self._create_rtree(layer.name)
        for fld in layer.fields:
            self._document_field(layer, fld)
        self.create_indexes(layer)

    def create_indexes(self, layer: Layer) -> None:
        """The layer's b-tree indexes (on create and on upgrade; existing ones are kept)."""
        present = set(self.columns(layer.name))
        for name, cols in indexes(layer):
            if set(cols) <= present:
                self.conn.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(layer.name)} "
                                  f"({', '.join(q(c) for c in cols)})")

    # -- ids and row locks ------------------------------------------------------------------
    def new_fids(self, layer: Layer, n: int) -> list[int]:
        """*n* unused fids. SQLite lets one writer in at a time (BEGIN IMMEDIATE), so the
        highest fid read inside the write transaction cannot be taken by anyone else."""
        start = int(self.scalar(f'SELECT max("fid") FROM {q(layer.name)}') or 0) + 1
        return list(range(start, start + n))

    def lock_rows(self, layer: Layer, fids: Sequence[int]) -> None:
        """Nothing to do: the write transaction already excludes every other writer."""

    def add_field(self, layer: Layer, fld: Field) -> None:
        self.conn.execute(f"ALTER TABLE {q(layer.name)} ADD COLUMN {self._column_sql(layer, fld)}")
        self._document_field(layer, fld)

    def _column_sql(self, layer: Layer, fld: Field) -> str:
        sql = f"{q(fld.name)} {_SQL_TYPES[fld.type]}"
        if fld.required:
            sql += " NOT NULL"
        if fld.unique:
            sql += " UNIQUE"
        return sql + check_clause(fld)

    def _document_field(self, layer: Layer, fld: Field) -> None:
        constraint = fld.domain
        if constraint is None and (fld.min is not None or fld.max is not None):
            constraint = f"{layer.name}_{fld.name}_range"
            self.conn.execute(
                "INSERT INTO gpkg_data_column_constraints VALUES (?, 'range', NULL, ?, 1, ?, 1, ?)",
                (constraint, fld.min if fld.min is not None else -1e308, fld.max if fld.max is not None else 1e308,
                 fld.description),
            )
        self.conn.execute(
            "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description, constraint_name) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (layer.name, fld.name, fld.name, fld.description or fld.name, fld.description, constraint),
        )

    def _create_rtree(self, table: str) -> None:
        t, c, i = table, "geom", "fid"
        rt = f"rtree_{t}_{c}"
        ex = self.conn.execute
        ex(f'CREATE VIRTUAL TABLE "{rt}" USING rtree(id, minx, maxx, miny, maxy)')
        values = f'NEW."{i}", ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")'
        ex(
            f'CREATE TRIGGER "{rt}_insert" AFTER INSERT ON "{t}" WHEN (new."{c}" NOT NULL AND NOT ST_IsEmpty(NEW."{c}")) '
            f'BEGIN INSERT OR REPLACE INTO "{rt}" VALUES ({values}); END'
        )
        ex(
            f'CREATE TRIGGER "{rt}_update1" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = NEW."{i}" AND '
            f'(NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) BEGIN INSERT OR REPLACE INTO "{rt}" VALUES ({values}); END'
        )
        ex(
            f'CREATE TRIGGER "{rt}_update2" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."{i}" = NEW."{i}" AND '
            f'(NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "{rt}" WHERE id = OLD."{i}"; END'
        )
        ex(
            f'CREATE TRIGGER "{rt}_update3" AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}" AND '
            f'(NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "{rt}" WHERE id = OLD."{i}"; '
            f'INSERT OR REPLACE INTO "{rt}" VALUES ({values}); END'
        )
        ex(
            f'CREATE TRIGGER "{rt}_update4" AFTER UPDATE ON "{t}" WHEN OLD."{i}" != NEW."{i}" AND '
            f'(NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "{rt}" WHERE id IN (OLD."{i}", NEW."{i}"); END'
        )
        ex(
            f'CREATE TRIGGER "{rt}_delete" AFTER DELETE ON "{t}" WHEN old."{c}" NOT NULL '
            f'BEGIN DELETE FROM "{rt}" WHERE id = OLD."{i}"; END'
        )
        ex(
            "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec/#extension_rtree', 'write-only')",
            (t,),
        )

    def after_write(self, layers: Iterable[Layer]) -> None:
        """Keep gpkg_contents' extent and last_change right, as GDAL would."""
        for layer in layers:
            if layer.geometry:
                rt = f'"rtree_{layer.name}_geom"'
                self.conn.execute(
                    f"UPDATE gpkg_contents SET min_x=(SELECT min(minx) FROM {rt}), max_x=(SELECT max(maxx) FROM {rt}), "
                    f"min_y=(SELECT min(miny) FROM {rt}), max_y=(SELECT max(maxy) FROM {rt}), "
                    "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
                    (layer.name,),
                )
            else:
                self.conn.execute(
                    "UPDATE gpkg_contents SET last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?",
                    (layer.name,),
                )

    def layer_source(self, layer: Layer, epsg: int) -> tuple[str, str]:
        return f"{self.path.resolve()}|layername={layer.name}", "ogr"

    def drop_everything(self) -> None:
        """Nothing to do: a failed GeoPackage creation deletes its temporary file."""

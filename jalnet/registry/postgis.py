"""PostGIS store: the same schema in a PostgreSQL schema, for many users and state scale.

A target is a libpq URL with one extra query parameter, the schema that holds the
registry: ``postgresql://user:password@host:5432/dbname?schema=assam``. Parts left out
(host, user, password...) come from the usual PG* environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import numpy as np
import pyproj
import shapely

from ..errors import RegistryConflict, RegistryError, RegistryLocked
from ..masking import mask
from .gpkg import check_clause, q
from .schema import DOMAINS, Field, Layer, indexes

_SQL_TYPES = {"TEXT": "TEXT", "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "DATE": "DATE",
              "DATETIME": "TIMESTAMP", "BOOLEAN": "BOOLEAN"}
_GEOM = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}
DEFAULT_SCHEMA = "jalnet"
#: SQLSTATEs another writer causes and a retry cures: serialization failure, deadlock, lock wait timed out.
_TRANSIENT = ("40001", "40P01", "55P03")
_UNIQUE_VIOLATION = "23505"


def is_postgis_target(target: str) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def split_target(target: str) -> tuple[str, str]:
    """(libpq URL without the schema parameter, schema name)."""
    base, _, query_text = target.partition("?")
    query = parse_qsl(query_text, keep_blank_values=True)
    schema = DEFAULT_SCHEMA
    rest = []
    for key, value in query:
        if key == "schema":
            schema = value
        else:
            rest.append((key, value))
    if not schema.replace("_", "").isalnum() or not schema[0].isalpha():
        raise RegistryError(f"PostGIS schema name '{schema}' must be letters, digits and _ , starting with a letter")
    return (base + "?" + urlencode(rest) if rest else base), schema.lower()


def redact(target: str) -> str:
    """The target without its password, for messages and logs."""
    return mask(target)


class PostgisBackend:
    kind = "postgis"
    placeholder = "%s"
    greatest = "GREATEST"

    def __init__(self, target: str, conn: Any, schema: str) -> None:
        self.target = target
        self.conn = conn
        self.schema = schema
        self._cur = conn.cursor()

    @classmethod
    def connect(cls, target: str, readonly: bool = False, must_exist: bool = True) -> PostgisBackend:
        try:
            import psycopg2
        except ImportError:
            raise RegistryError(
                "PostGIS registries need psycopg2: install it with 'python -m pip install psycopg2-binary'"
            ) from None
        url, schema = split_target(target)
        try:
            conn = psycopg2.connect(url, connect_timeout=10, application_name="jalnet")
        except psycopg2.Error as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise RegistryError(
                f"cannot reach PostGIS at {redact(url)}: {first}; check host, port, database and credentials"
            ) from None
        conn.autocommit = True
        if readonly:
            conn.set_session(readonly=True, autocommit=True)
        backend = cls(target, conn, schema)
        if must_exist and not backend.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema=%s AND table_name='jalnet_meta'",
            (schema,),
        ):
            conn.close()
            raise RegistryError(
                f"no registry in schema '{schema}' at {redact(url)}: create one with "
                f"'jalnet registry create \"{redact(target)}\" --crs EPSG:32646'"
            )
        return backend

    def close(self) -> None:
        self.conn.close()

    def describe(self) -> str:
        return redact(self.target)

    def translate_error(self, err: Exception) -> Exception:
        code = getattr(err, "pgcode", None)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if code in _TRANSIENT:
            what = {"40001": "a concurrent write", "40P01": "a deadlock with another writer"}.get(
                code, "another writer holding the rows")
            return RegistryLocked(f"registry {self.describe()}: stopped by {what}; nothing was written, "
                                  "re-run the command")
        if code == _UNIQUE_VIOLATION:  # a key another writer took between our check and our insert
            return RegistryConflict(f"registry {self.describe()}: {first}; another editor wrote the same key at the "
                                    "same moment; nothing was written, re-run the command", transient=True)
        return RegistryError(f"registry {self.describe()}: {first}")

    # -- transactions -------------------------------------------------------------------
    def begin(self) -> None:
        self.conn.autocommit = False
        timeout_ms = int(float(os.environ.get("JALNET_LOCK_TIMEOUT", "10")) * 1000)
        self._cur.execute(f"SET LOCAL lock_timeout = {timeout_ms}")

    def commit(self) -> None:
        self.conn.commit()
        self.conn.autocommit = True

    def rollback(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.autocommit = True

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._cur.execute(sql.replace("?", "%s"), tuple(params))
        return self._cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        from psycopg2.extras import execute_batch

        execute_batch(self._cur, sql.replace("?", "%s"), list(rows), page_size=1000)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else row[0]

    # -- names and geometry -------------------------------------------------------------
    def table(self, name: str) -> str:
        return f"{q(self.schema)}.{q(name)}"

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema=%s AND table_name=%s",
            (self.schema, name),
        ))

    def columns(self, name: str) -> list[str]:
        cur = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema=%s AND table_name=%s "
            "ORDER BY ordinal_position",
            (self.schema, name),
        )
        return [row[0] for row in cur.fetchall()]

    def geom_param(self, srid: int) -> str:
        return f"ST_GeomFromWKB(?, {int(srid)})"

    def geom_select(self) -> str:
        return 'ST_AsBinary("geom")'

    def geoms_to_db(self, geoms: np.ndarray, srid: int) -> list[Any]:
        import psycopg2

        wkbs = shapely.to_wkb(np.asarray(geoms, dtype=object), byte_order=1, output_dimension=2)
        return [None if w is None else psycopg2.Binary(w) for w in wkbs]

    def geoms_from_db(self, values: Sequence[Any]) -> np.ndarray:
        return shapely.from_wkb([None if v is None else bytes(v) for v in values])

    def wkb_from_db(self, values: Sequence[Any]) -> list[bytes | None]:
        return [None if v is None else bytes(v) for v in values]

    # -- schema ---------------------------------------------------------------------------
    def create_base(self, crs: pyproj.CRS, epsg: int) -> None:
        if not self.scalar("SELECT count(*) FROM pg_extension WHERE extname='postgis'"):
            try:
                self.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except Exception as err:  # noqa: BLE001 - psycopg2 error classes vary
                raise RegistryError(
                    f"PostGIS is not installed in {self.describe()} and cannot be added ({str(err).strip()}); "
                    "ask the database administrator to run CREATE EXTENSION postgis"
                ) from None
        if self.table_exists("jalnet_meta"):
            raise RegistryError(f"a registry already exists in schema '{self.schema}' of {self.describe()}")
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {q(self.schema)}")
        if not self.scalar("SELECT count(*) FROM spatial_ref_sys WHERE srid=%s", (epsg,)):
            raise RegistryError(f"PostGIS at {self.describe()} does not know EPSG:{epsg}")
        self.execute(
            f"CREATE TABLE {self.table('jalnet_domains')} (domain TEXT NOT NULL, code TEXT NOT NULL, "
            "description TEXT, PRIMARY KEY (domain, code))"
        )
        rows = [(name, code, text) for name, codes in DOMAINS.items() for code, text in codes.items()]
        self.executemany(f"INSERT INTO {self.table('jalnet_domains')} VALUES (?, ?, ?)", rows)

    def create_layer(self, layer: Layer, epsg: int) -> None:
        cols = ['"fid" BIGSERIAL PRIMARY KEY']
        if layer.geometry:
            cols.append(f'"geom" geometry({_GEOM[layer.geometry]}, {int(epsg)})')
        cols += [self._column_sql(fld) for fld in layer.fields]
        self.execute(f"CREATE TABLE {self.table(layer.name)} ({', '.join(cols)})")
        if layer.geometry:
            self.execute(f'CREATE INDEX {q(layer.name + "_geom_idx")} ON {self.table(layer.name)} USING GIST ("geom")')
        self.execute(f"COMMENT ON TABLE {self.table(layer.name)} IS %s", (layer.description or layer.title,))
        for fld in layer.fields:
            self._document_field(layer, fld)
        self.create_indexes(layer)

    def create_indexes(self, layer: Layer) -> None:
        """The layer's b-tree indexes (on create and on upgrade; existing ones are kept)."""
        present = set(self.columns(layer.name))
        for name, cols in indexes(layer):
            if set(cols) <= present:
                self.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {self.table(layer.name)} "
                             f"({', '.join(q(c) for c in cols)})")

    # -- ids and row locks ------------------------------------------------------------------
    def new_fids(self, layer: Layer, n: int) -> list[int]:
        """*n* fids from the table's sequence: never handed out twice, whatever other writers do
        (a rolled-back transaction leaves a gap, never a duplicate)."""
        if n <= 0:
            return []
        # the sequence looked up once, not once per id (that lookup cost more than nextval itself)
        cur = self.execute("WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'fid')::regclass AS seq) "
                           "SELECT nextval(s.seq) FROM s, generate_series(1, %s)", (self.table(layer.name), int(n)))
        return [int(r[0]) for r in cur.fetchall()]

    def lock_rows(self, layer: Layer, fids: Sequence[int]) -> None:
        """Lock the rows about to change until the transaction ends, in fid order (fewer deadlocks):
        a concurrent writer of the same rows waits, and then sees what this one wrote."""
        fids = sorted({int(f) for f in fids})
        for start in range(0, len(fids), 1000):
            chunk = fids[start : start + 1000]
            self.execute(f'SELECT "fid" FROM {self.table(layer.name)} WHERE "fid" = ANY(%s) ORDER BY "fid" '
                         "FOR UPDATE", (chunk,)).fetchall()

    def add_field(self, layer: Layer, fld: Field) -> None:
        self.execute(f"ALTER TABLE {self.table(layer.name)} ADD COLUMN {self._column_sql(fld)}")
        self._document_field(layer, fld)

    def _column_sql(self, fld: Field) -> str:
        sql = f"{q(fld.name)} {_SQL_TYPES[fld.type]}"
        if fld.required:
            sql += " NOT NULL"
        if fld.unique:
            sql += " UNIQUE"
        return sql + check_clause(fld)

    def _document_field(self, layer: Layer, fld: Field) -> None:
        self.execute(f"COMMENT ON COLUMN {self.table(layer.name)}.{q(fld.name)} IS %s", (fld.description,))

    def after_write(self, layers: Iterable[Layer]) -> None:
        """Move a fid sequence forward past fids written explicitly (a copy, a load with fids).

        Only ever forward, and only when the table holds a fid beyond the sequence: fids the
        sequence gave to other writers' open transactions are never handed out again."""
        for layer in layers:
            table = self.table(layer.name)
            self.execute(
                "SELECT setval(s.seq, m.top) FROM (SELECT pg_get_serial_sequence(%s, 'fid') AS seq) s, "
                f'(SELECT max("fid") AS top FROM {table}) m '
                "WHERE m.top > COALESCE(pg_sequence_last_value(s.seq::regclass), 0)",
                (table,),
            )

    def layer_source(self, layer: Layer, epsg: int) -> tuple[str, str]:
        """QGIS's data source for *layer*: never with a password, which would end up in project files.

        QGIS gets the password as libpq does (PGPASSWORD, a pgpass file, a ``service`` of
        pg_service.conf), or from a QGIS authentication configuration that the plugin puts in
        place of user and password (see jalnet.plugin.layers.use_authcfg).
        """
        url, schema = split_target(self.target)
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        uri = ""
        if params.get("service"):  # a pg_service.conf entry: host, port, database and user come from it
            uri = f"service='{params['service']}' "
        if not params.get("service") or parts.path.lstrip("/"):
            dbname = parts.path.lstrip("/") or os.environ.get("PGDATABASE", "")
            uri += f"dbname='{dbname}' " if dbname else ""
        if not params.get("service") or parts.hostname:
            host = parts.hostname or os.environ.get("PGHOST", "localhost")
            port = parts.port or int(os.environ.get("PGPORT", "5432"))
            uri += f"host={host} port={port} "
        user = unquote(parts.username) if parts.username else ("" if params.get("service") else
                                                              os.environ.get("PGUSER", ""))
        if user:
            uri += f"user='{user}' "
        if "sslmode" in params:
            uri += f"sslmode={params['sslmode']} "
        uri += "key='fid'"
        if layer.geometry:
            uri += f" srid={epsg} type={_GEOM[layer.geometry]}"
        uri += f' table="{schema}"."{layer.name}"'
        if layer.geometry:
            uri += ' (geom)'
        return uri, "postgres"

    def drop_everything(self) -> None:
        """Remove a half-made registry schema (creation is one transaction; this is the backstop)."""
        self.execute(f"DROP SCHEMA IF EXISTS {q(self.schema)} CASCADE")

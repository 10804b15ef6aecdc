"""Shared fixtures: registries on GeoPackage and on a real PostGIS.

PostGIS tests need a running PostgreSQL with PostGIS reachable through the libpq
environment (PGHOST, PGPORT, PGUSER, PGPASSWORD): ``make test`` starts a throwaway
cluster with ``pg_virtualenv``. Without one they are skipped, unless
JALNET_REQUIRE_POSTGIS=1, where they fail.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_DATABASE = "jalnet_test"


def _require(var: str) -> bool:
    return os.environ.get(var, "") == "1"


@pytest.fixture(scope="session")
def postgis_db() -> str:
    """A fresh database with PostGIS for this test session; returns its URL base."""
    try:
        import psycopg2
    except ImportError:
        if _require("JALNET_REQUIRE_POSTGIS"):
            pytest.fail("psycopg2 is not installed but JALNET_REQUIRE_POSTGIS=1")
        pytest.skip("psycopg2 not installed")
    try:
        admin = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"), connect_timeout=5)
    except psycopg2.Error as err:
        if _require("JALNET_REQUIRE_POSTGIS"):
            pytest.fail(f"no PostgreSQL reachable but JALNET_REQUIRE_POSTGIS=1: {err}")
        pytest.skip("no PostgreSQL reachable (run the suite with 'make test')")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        cur.execute(f"CREATE DATABASE {PG_DATABASE}")
    admin.close()
    conn = psycopg2.connect(dbname=PG_DATABASE)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION postgis")
    conn.close()
    return f"postgresql:///{PG_DATABASE}"


@pytest.fixture
def pg_target(postgis_db: str) -> str:
    """A registry URL in a schema of its own."""
    return f"{postgis_db}?schema=t_{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["gpkg", "postgis"])
def registry_target(request: pytest.FixtureRequest, tmp_path) -> str:
    """A not-yet-created registry target, once per backend."""
    if request.param == "gpkg":
        return str(tmp_path / "registry.gpkg")
    return request.getfixturevalue("pg_target")


@pytest.fixture(scope="session")
def jalnet_wheel(tmp_path_factory):
    """A wheel of this checkout (what the engine installer installs), built from a copy without any index."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"
    shutil.copytree(root, src, ignore=shutil.ignore_patterns(".venv", ".git", "out", "build", "*.egg-info",
                                                             "__pycache__", "*.zip", "tests", "benchmarks", "docs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(out / "wheel"), str(src)], check=True, capture_output=True, timeout=300)
    [wheel] = (out / "wheel").glob("jalnet-*.whl")
    return wheel

"""Passwords never in layer sources, messages or CLI output (the .qgz check: tests/qgis/test_credentials_project.py)."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from jalnet.masking import MaskingStream, mask
from jalnet.registry.postgis import PostgisBackend, redact
from jalnet.registry.schema import layer


class _Conn:
    def cursor(self):
        return None


def source(target: str) -> str:
    return PostgisBackend(target, _Conn(), "s").layer_source(layer("pipes"), 32646)[0]


def test_layer_source_never_holds_a_password(monkeypatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "from-env-secret")
    monkeypatch.setenv("PGUSER", "envuser")
    uri = source("postgresql://ram:url%40secret@db.example:6432/jjm?schema=assam&sslmode=require")
    assert "secret" not in uri and "password" not in uri
    assert "dbname='jjm' host=db.example port=6432 user='ram' sslmode=require" in uri
    assert 'table="assam"."pipes" (geom)' in uri
    assert "password" not in source("postgresql:///jjm?schema=assam")  # the PGPASSWORD-only case
    assert "user='envuser'" in source("postgresql:///jjm?schema=assam")


def test_pg_service_layer_source(monkeypatch) -> None:
    monkeypatch.setenv("PGHOST", "ignored-host")
    uri = source("postgresql:///?service=jjm_assam&schema=assam")
    assert uri.startswith("service='jjm_assam' key='fid'")  # host, db and user come from pg_service.conf
    assert "ignored-host" not in uri


def test_mask_and_masking_stream() -> None:
    assert redact("postgresql://ram:p%40ss@db:5432/x?schema=a") == "postgresql://ram:***@db:5432/x?schema=a"
    assert mask("postgres://u@db/x") == "postgres://u@db/x"
    out = io.StringIO()
    MaskingStream(out).write("opened https://u:pw@mirror/simple and postgresql://a:b@h/d\n")
    assert out.getvalue() == "opened https://u:***@mirror/simple and postgresql://a:***@h/d\n"


@pytest.mark.parametrize("args", [["registry", "info"], ["network", "validate", "--out", "x.gpkg", "--registry"]])
def test_cli_never_prints_the_password(args, tmp_path) -> None:
    url = "postgresql://ram:VerySecret42@127.0.0.1:9/jjm?schema=assam"  # nothing listens on port 9
    done = subprocess.run([sys.executable, "-m", "jalnet", *args, url], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "VerySecret42" not in done.stdout + done.stderr
    assert "ram:***@127.0.0.1:9" in done.stderr

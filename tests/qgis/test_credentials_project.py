"""No password in a saved project: PostGIS registry layers use a QGIS auth config, or libpq's own sources.

A registry is opened in QGIS (its layers added to a project) with the password given in
the URL, and separately with the password only in PGPASSWORD; the saved .qgz, the layer
sources and QGIS's message log must not hold it, and the layers must still read their
features (through the auth config, with PGPASSWORD gone, in the first case).
Each case runs in a QGIS process of its own with a throw-away QGIS authentication database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from jalnet.registry import create_registry, load_layers
from jalnet.samples import sample_path

pytestmark = [pytest.mark.qgis, pytest.mark.postgis]

SCRIPT = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsProject
app = QgsApplication([], False); app.initQgis()
mode, target, qgz = sys.argv[1:4]
messages = []
QgsApplication.messageLog().messageReceived.connect(lambda text, tag, level: messages.append(text))
if mode == "url":
    assert QgsApplication.authManager().setMasterPassword("throw-away master", True)
from jalnet.plugin.layers import PROP_LAYER, add_registry_layers
project = QgsProject.instance()
layers = add_registry_layers(target, project)
counts = {lyr.customProperty(PROP_LAYER): lyr.featureCount() for lyr in layers}
result = {"valid": all(lyr.isValid() for lyr in layers), "counts": counts, "sources": [lyr.source() for lyr in layers],
          "written": project.write(qgz), "messages": messages,
          "auth_configs": sorted(c.name() for c in QgsApplication.authManager().availableAuthMethodConfigs().values())}
print("RESULT " + json.dumps(result)); sys.stdout.flush()
os._exit(0)
"""


@pytest.fixture
def sample_registry(pg_target) -> str:
    with create_registry(pg_target, crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"), ["pipes", "sources", "tanks"], tool="test")
    return pg_target


def open_in_qgis(mode: str, target: str, tmp_path: Path, env: dict) -> tuple[dict, bytes]:
    qgz = tmp_path / f"{mode}.qgz"
    env = {**env, "QT_QPA_PLATFORM": "offscreen", "QGIS_AUTH_DB_DIR_PATH": str(tmp_path / "auth"),
           "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path / "config")}
    (tmp_path / "auth").mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode, target, str(qgz)], env=env, capture_output=True,
                          text=True, timeout=300)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(line[len("RESULT "):])
    assert result["written"] and result["valid"], result
    with zipfile.ZipFile(qgz) as zf:
        content = b"".join(zf.read(name) for name in zf.namelist())
    return result, content


def assert_no_password(password: str, result: dict, content: bytes) -> None:
    for form in {password, quote(password, safe="")}:
        assert form.encode() not in content
        assert not any(form in s for s in result["sources"])
        assert not any(form in m for m in result["messages"])
    assert b"password=" not in content


def test_password_in_the_url_goes_to_an_auth_config(sample_registry, tmp_path) -> None:
    password = os.environ["PGPASSWORD"]
    parts = urlsplit(sample_registry)
    host, port = os.environ.get("PGHOST", "localhost"), os.environ.get("PGPORT", "5432")
    url = f"postgresql://{os.environ['PGUSER']}:{quote(password, safe='')}@{host}:{port}{parts.path}?{parts.query}"
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}  # only the URL has it
    result, content = open_in_qgis("url", url, tmp_path, env)
    assert result["counts"]["pipes"] == 41 and result["counts"]["tanks"] >= 1  # read through the auth config
    assert all("authcfg=" in s for s in result["sources"])
    assert [n for n in result["auth_configs"] if n.startswith("JalNet postgres@")], result["auth_configs"]
    assert_no_password(password, result, content)


def test_password_only_in_pgpassword_is_not_copied(sample_registry, tmp_path) -> None:
    password = os.environ["PGPASSWORD"]
    assert ":" not in (urlsplit(sample_registry).netloc or "")  # no password in this URL
    result, content = open_in_qgis("env", sample_registry, tmp_path, dict(os.environ))
    assert result["counts"]["pipes"] == 41  # QGIS's libpq read PGPASSWORD itself
    assert not any("authcfg=" in s for s in result["sources"])
    assert_no_password(password, result, content)

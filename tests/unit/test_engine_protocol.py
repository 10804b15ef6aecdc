"""``jalnet engine run``: one request on stdin, JSON lines on stdout, the CLI's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jalnet.engine import protocol
from jalnet.engineclient import client

ENGINE = Path(sys.executable).with_name("jalnet")
pytestmark = pytest.mark.skipif(not ENGINE.exists(), reason="needs this checkout's jalnet")


def engine_run(request: str) -> tuple[int, list[dict], str]:
    done = subprocess.run([str(ENGINE), "engine", "run"], input=request, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def test_result_and_messages_are_json_lines(tmp_path: Path) -> None:
    reg = tmp_path / "r.gpkg"
    code, messages, _ = engine_run(protocol.request("createregistry", {"path": str(reg), "crs": "EPSG:32646",
                                                                       "overwrite": False}))
    assert code == 0 and reg.exists()
    assert [m["type"] for m in messages][0] == "started" and messages[-1]["type"] == "result"
    assert any(m["type"] == "info" and "EPSG:32646" in m["message"] for m in messages)
    assert messages[-1]["result"]["outputs"] == {"OUTPUT": str(reg), "CRS_AUTHID": "EPSG:32646"}


def test_user_error_is_one_line_with_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gpkg"
    code, messages, stderr = engine_run(protocol.request("undobatch", {"registry": str(missing), "batch": "x"}))
    assert code == 2 and messages[-1]["type"] == "error" and messages[-1]["exit_code"] == 2
    assert str(missing) in messages[-1]["message"] and "\n" not in messages[-1]["message"]
    assert "Traceback" not in stderr


def test_bad_requests(tmp_path: Path) -> None:
    code, messages, _ = engine_run("not json\n")
    assert code == 2 and messages == [{"type": "error", "message": "engine: the request is not JSON",
                                       "exit_code": 2}]
    code, messages, _ = engine_run(protocol.request("nosuchjob", {}))
    assert code == 2 and "no job named 'nosuchjob'" in messages[-1]["message"]
    code, messages, stderr = engine_run(protocol.request("createregistry", {"path": str(tmp_path / "x.gpkg")}))
    assert code == 3 and messages[-1]["message"].startswith("internal error in createregistry: TypeError")
    assert "Traceback" in stderr  # for the log; QGIS shows the one line


def test_client_turns_errors_into_engine_errors(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JALNET_ENGINE", str(ENGINE))
    seen: list[str] = []
    with pytest.raises(client.EngineError) as err:
        client.run_job("undobatch", {"registry": str(tmp_path / "nope.gpkg"), "batch": "x"}, warm=False,
                       info=seen.append)
    assert err.value.exit_code == 2 and "nope.gpkg" in str(err.value)
    monkeypatch.setenv("JALNET_ENGINE", str(tmp_path / "missing" / "jalnet"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(client.EngineError, match="JalNet engine was not found"):
        client.run_job("sleep", {"seconds": 0})

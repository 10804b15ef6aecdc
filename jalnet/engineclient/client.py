"""Run one engine job in the JalNet engine process and follow its JSON lines.

How QGIS's own GRASS and SAGA providers run their engines, plus a warm worker: on POSIX
the session starts ``jalnet engine serve`` in the background (it imports the scientific
stack once and forks a child per job), so calls start in milliseconds once it is ready;
until then, elsewhere (no fork, e.g. Windows), under ``qgis_process`` (one job per
process) or when the worker cannot start, each call starts ``jalnet engine run``. Cancel sends the job's
process SIGTERM (the engine rolls its registry transaction back and exits), then kills it
if it is still there after a grace period: no job outlives its Cancel.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..engine import protocol  # the message format only: standard library
from .locate import find_engine

#: Environment variables QGIS sets for its own GDAL, PROJ and Python; the engine has its own.
_QGIS_ONLY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "GDAL_DATA", "GDAL_DRIVER_PATH", "PROJ_LIB",
                  "PROJ_DATA", "GDAL_PAM_PROXY_DIR")
#: Seconds a canceled job has to roll back before it is killed.
CANCEL_GRACE_S = 5.0
#: Seconds the warm worker may take to import the stack and say it is ready.
WORKER_START_S = 90.0


class EngineError(Exception):
    """The engine's one-line error (or why the engine could not run), with its exit code."""

    def __init__(self, message: str, exit_code: int = 3) -> None:
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code


class EngineCanceled(EngineError):
    def __init__(self, message: str = "canceled by the user; nothing was written") -> None:
        super().__init__(message, protocol.CANCELED)


_settings: dict[str, str | None] = {"configured": None, "profile_dir": None}


def configure(configured: str | None = None, profile_dir: str | None = None) -> None:
    """The plugin's engine setting and the QGIS profile folder, for :func:`engine_command`."""
    _settings.update(configured=configured, profile_dir=profile_dir)


def engine_command() -> list[str]:
    argv = find_engine(_settings["configured"], _settings["profile_dir"])
    if not argv:
        raise EngineError("the JalNet engine was not found: install it from the JalNet plugin's dependency dialog, "
                          "or set JALNET_ENGINE to a 'jalnet' executable (or a Python that has JalNet)", 2)
    return argv


def engine_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _QGIS_ONLY_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _popen(argv: list[str], stderr: IO[bytes]) -> subprocess.Popen:
    kwargs: dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": stderr,
                              "env": engine_env()}
    if os.name == "nt":
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    else:
        kwargs["start_new_session"] = True  # Ctrl+C in a terminal QGIS goes to QGIS, not the engine
    return subprocess.Popen(argv, **kwargs)


def _pump(stream: IO[bytes], lines: queue.Queue) -> None:
    try:
        for raw in stream:
            lines.put(raw)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def warm_enabled() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and os.environ.get("JALNET_ENGINE_WARM", "1") != "0"


class Worker:
    """The session's warm worker (``jalnet engine serve``); ends when this process ends."""

    def __init__(self, argv: list[str]) -> None:
        self.folder = tempfile.mkdtemp(prefix="jalnet-engine-")
        self.socket_path = os.path.join(self.folder, "engine.sock")
        self.stderr = tempfile.TemporaryFile()
        self.proc = _popen([*argv, "engine", "serve", "--socket", self.socket_path], self.stderr)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(self.proc.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=WORKER_START_S)
        except queue.Empty:
            first = None
        ready = protocol.decode(first) if first else None
        if not ready or ready.get("type") != "ready":
            self.stop()
            raise EngineError(f"the JalNet engine worker did not start: {_tail(self.stderr)}")
        self.pid = int(ready["pid"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.socket_path)
        return sock

    def stop(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # the worker ends when its stdin closes
            self.proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.stderr):
            if stream is not None:
                stream.close()
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
        try:
            os.rmdir(self.folder)
        except OSError:
            pass


_worker: Worker | None = None
_starting = False
_worker_lock = threading.Lock()


def worker(argv: list[str]) -> Worker:
    """The running warm worker, started now if need be (or again if it died); waits until it is ready."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.alive():
            _worker = Worker(argv)
        return _worker


def ready_worker() -> Worker | None:
    with _worker_lock:
        return _worker if _worker is not None and _worker.alive() else None


def prestart(argv: list[str] | None = None) -> None:
    """Start the warm worker in the background (no wait); a job meanwhile runs in a process of its own."""
    global _starting
    if not warm_enabled():
        return
    with _worker_lock:
        if _starting or (_worker is not None and _worker.alive()):
            return
        _starting = True
    try:
        argv = argv or engine_command()
    except EngineError:
        _starting = False
        return
    threading.Thread(target=_start_worker, args=(argv,), daemon=True, name="jalnet-engine-worker").start()


def _start_worker(argv: list[str]) -> None:
    global _worker, _starting
    try:
        started: Worker | None = Worker(argv)
    except (OSError, EngineError):
        started = None
    with _worker_lock:
        if _worker is None or not _worker.alive():
            _worker = started
        elif started is not None:
            started.stop()
        _starting = False


def wait_ready(timeout: float = WORKER_START_S) -> bool:
    """Wait until the background worker is ready (benchmarks and tests); False if it did not start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_worker() is not None:
            return True
        if not _starting:
            return False
        time.sleep(0.05)
    return False


@atexit.register
def stop_worker() -> None:
    global _worker
    with _worker_lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def _tail(stream: IO[bytes]) -> str:
    try:
        stream.seek(0)
        lines = [ln for ln in stream.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except (OSError, ValueError):
        return "no message"
    return lines[-1].strip() if lines else "no message"


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (OSError, ProcessLookupError):
        pass


class _Job:
    """One running job: its message queue and how to stop it."""

    def __init__(self, job: str, args: dict[str, Any], warm: bool | None) -> None:
        argv = engine_command()
        request = protocol.request(job, args).encode("utf-8")
        self.lines: queue.Queue = queue.Queue()
        self.pid: int | None = None
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.stderr: IO[bytes] | None = None
        self.ended = False  # the message stream has ended
        try:
            if warm:  # asked for: start the worker now and wait for it
                self.sock = worker(argv).connect()
            elif warm is None and warm_enabled():  # the worker if it is ready, else start it for next time
                running = ready_worker()
                if running is not None:
                    self.sock = running.connect()
                else:
                    prestart(argv)
        except (OSError, EngineError):
            self.sock = None
        if self.sock is not None:
            self.sock.sendall(request)
            stream: IO[bytes] = self.sock.makefile("rb")
        else:
            self.stderr = tempfile.TemporaryFile()
            self.proc = _popen([*argv, "engine", "run"], self.stderr)
            self.pid = self.proc.pid
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(request)
            self.proc.stdin.close()
            stream = self.proc.stdout
        self.stream = stream
        threading.Thread(target=_pump, args=(stream, self.lines), daemon=True).start()

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            (self.proc.terminate if sig == signal.SIGTERM else self.proc.kill)()
        elif self.proc is None and self.pid:
            _kill(self.pid, sig)

    def finish(self) -> int | None:
        """Close the job's pipes (its process has ended or been killed); its exit code if it had its own."""
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=CANCEL_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        for closable in (self.stream, self.sock):
            try:
                if closable is not None:
                    closable.close()
            except OSError:
                pass
        return code

    def why(self) -> str:
        """The last line the engine wrote on stderr (why it stopped without answering)."""
        if self.stderr is None:
            return "no answer"
        text = _tail(self.stderr)
        self.stderr.close()
        return text

    def next_line(self, timeout: float) -> bytes | None:
        """The next raw line; None at the end of the stream; raises queue.Empty after *timeout*."""
        if self.ended:
            return None
        raw = self.lines.get(timeout=timeout)
        self.ended = raw is None
        return raw

    def cancel(self) -> None:
        """SIGTERM (the engine rolls back), then SIGKILL after the grace period; waits until it is gone."""
        self.signal(signal.SIGTERM)
        deadline = time.monotonic() + CANCEL_GRACE_S
        while not self.ended and time.monotonic() < deadline:
            try:
                self.next_line(0.1)
            except queue.Empty:
                continue
        if not self.ended:
            self.signal(getattr(signal, "SIGKILL", signal.SIGTERM))
        if self.proc is None and self.pid:
            _wait_gone(self.pid)
        self.finish()
        if self.stderr is not None:
            self.stderr.close()


def _wait_gone(pid: int, timeout: float = CANCEL_GRACE_S) -> None:
    """Wait until a forked job (a child of the worker, reaped there) has left the process table."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _exists(pid):
            return
        time.sleep(0.02)
    _kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


def _exists(pid: int) -> bool:
    if Path("/proc").is_dir():  # a zombie still answers kill(pid, 0); /proc tells when it is reaped
        return Path(f"/proc/{pid}").exists()
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def run_job(job: str, args: dict[str, Any], *, progress: Callable[[float], None] | None = None,
            info: Callable[[str], None] | None = None, warning: Callable[[str], None] | None = None,
            is_canceled: Callable[[], bool] | None = None, warm: bool | None = None) -> dict[str, Any]:
    """Run *job* with *args* in the engine; its result, or :class:`EngineError` with its one line.

    Messages arrive through the callbacks as they come; *is_canceled* is polled ten times
    a second and, when it says so, the job is stopped and :class:`EngineCanceled` raised.
    *warm*: None uses the worker when it is ready (starting it for later calls), True
    waits for it, False runs the job in a process of its own.
    """
    if is_canceled is not None and is_canceled():
        raise EngineCanceled()
    running = _Job(job, args, warm)
    result: dict[str, Any] | None = None
    error: EngineError | None = None
    try:
        while True:
            if is_canceled is not None and is_canceled():
                running.cancel()
                raise EngineCanceled()
            try:
                raw = running.next_line(0.1)
            except queue.Empty:
                continue
            if raw is None:
                break
            message = protocol.decode(raw)
            if message is None:
                continue
            kind = message["type"]
            if kind == "started":
                running.pid = running.pid or int(message.get("pid") or 0) or None
            elif kind == "progress" and progress is not None:
                progress(float(message.get("percent") or 0.0))
            elif kind == "info" and info is not None:
                info(str(message.get("message", "")))
            elif kind == "warning" and warning is not None:
                warning(str(message.get("message", "")))
            elif kind == "result":
                result = message.get("result") or {}
            elif kind == "error":
                code = int(message.get("exit_code") or protocol.INTERNAL_ERROR)
                text = str(message.get("message"))
                error = EngineCanceled(text) if code == protocol.CANCELED else EngineError(text, code)
    except BaseException:
        running.cancel()
        raise
    code = running.finish()
    if error is not None or result is None:
        why = running.why()
        raise error or EngineError(f"the JalNet engine stopped without a result (exit code {code}): {why}")
    if running.stderr is not None:
        running.stderr.close()
    return result


"""The warm worker (POSIX): imports the scientific stack once, forks a child per job.

Started once per QGIS session by :mod:`jalnet.engineclient`. It listens on a Unix socket;
each connection carries one request, served by a forked child that already has numpy,
pandas, shapely, GeoPandas, pyogrio and pyproj imported, so a job starts in milliseconds
instead of seconds. Cancel kills only that child. The worker ends when its stdin closes,
i.e. when the QGIS process that started it ends, however it ends.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import signal
import socket
import sys

from . import protocol
from .runner import protocol_stream

#: Imported before the worker says it is ready: what (nearly) every job needs.
PRELOAD = ("numpy", "pandas", "shapely", "pyproj", "pyogrio", "geopandas", "jalnet.registry.store")
#: Imported while the worker is idle, one at a time: the jobs and what they bring.
IDLE_PRELOAD = ("jalnet.engine.jobs.registry", "jalnet.engine.jobs.network", "jalnet.engine.jobs.tracks",
                "rasterio", "jalnet.engine.jobs.flood", "wntr", "jalnet.engine.jobs.hydraulics",
                "jalnet.engine.jobs.geology", "jalnet.engine.jobs.gatishakti")


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - an optional extra missing: the job that needs it says so
        pass


def warm_up() -> None:
    """First-use work every job would repeat after the fork: GDAL's drivers, PROJ's database,
    a GeoPackage read. Read-only, on the bundled sample; nothing stays open but PROJ's
    read-only database."""
    try:
        import pyogrio
        import pyproj

        from ..samples import sample_path

        sample = str(sample_path("sample_scheme.gpkg"))
        pyogrio.read_dataframe(sample, layer="schemes")
        pyogrio.read_dataframe(sample, layer="junctions", max_features=5).to_crs(32646)
        pyproj.Transformer.from_crs(4326, 32646, always_xy=True).transform(91.4, 26.4)
    except Exception:  # noqa: BLE001 - only a head start; a job reports its own errors
        pass


def _serve_child(conn: socket.socket) -> int:
    from .runner import run_line

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # jobs may start and wait for processes of their own
    writer = conn.makefile("w", encoding="utf-8", buffering=1)
    return run_line(conn.makefile("r", encoding="utf-8").readline(), writer)


def serve(path: str) -> int:
    """Listen on the Unix socket *path* until stdin closes."""
    for name in PRELOAD:
        _import(name)
    warm_up()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    stdout = protocol_stream()
    stdout.write(protocol.encode("ready", pid=os.getpid(), socket=path))
    stdout.flush()
    pending = list(IDLE_PRELOAD)
    try:
        while True:
            ready, _, _ = select.select([listener, sys.stdin], [], [], 0.05 if pending else None)
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
                return 0  # QGIS closed our stdin: it has ended
            if listener in ready:
                conn, _ = listener.accept()
                gc.freeze()  # the child's collector then leaves the parent's objects (and their pages) alone
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    code = 3
                    try:
                        code = _serve_child(conn)
                    finally:
                        os._exit(code)
                conn.close()
            elif not ready and pending:
                _import(pending.pop(0))
    finally:
        listener.close()
        try:
            os.unlink(path)
        except OSError:
            pass

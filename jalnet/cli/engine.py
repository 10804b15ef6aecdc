"""``jalnet engine``: the machine interface QGIS uses (JSON lines; see :mod:`jalnet.engine.protocol`).

``jalnet engine run`` reads one request ``{"job": NAME, "args": {...}}`` on stdin and streams
progress, messages and the result as JSON lines on stdout. ``jalnet engine serve --socket
PATH`` is the warm worker (POSIX). ``jalnet engine jobs`` lists the jobs. People use the
other commands; these are for programs.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("engine", help="the JSON-lines engine QGIS runs (for programs, not people)")
    esub = p.add_subparsers(dest="engine_command", metavar="ACTION")
    esub.required = True
    run = esub.add_parser("run", help="run one request read from stdin; JSON lines on stdout")
    run.set_defaults(func=_run)
    serve = esub.add_parser("serve", help="warm worker on a Unix socket: one forked child per request")
    serve.add_argument("--socket", required=True, help="path of the Unix socket to listen on")
    serve.set_defaults(func=_serve)
    jobs = esub.add_parser("jobs", help="list the jobs this engine knows")
    jobs.set_defaults(func=_jobs)


def main(argv: list[str]) -> int:
    """``jalnet engine ...`` without the other command groups (their imports cost QGIS a second)."""
    parser = argparse.ArgumentParser(prog="jalnet")
    add_parser(parser.add_subparsers(dest="group"))
    args = parser.parse_args(["engine", *argv])
    return int(args.func(args) or 0)


def _run(args: argparse.Namespace) -> int:
    from ..engine.runner import run_stdin

    return run_stdin()


def _serve(args: argparse.Namespace) -> int:
    from ..engine.server import serve

    return serve(args.socket)


def _jobs(args: argparse.Namespace) -> int:
    from ..engine.jobs import JOBS

    for name in sorted(JOBS):
        print(name)
    return 0

"""The ``jalnet`` command.

Each capability adds one command group from its own module (``registry``, ``tracks``,
``network``, ``hydraulics``, ``flood``, ``geology``, ``gatishakti``, ``demo``).

Exit codes mean the same for every command (``EXIT_CODES``): 0 done (warnings on stderr),
1 done but findings at or over ``--fail-on``, 2 user error or nothing usable (nothing
written), 3 internal error. They are set here, once: a command returns 0 or 1 (see
``common.findings_exit``) and raises ``JalnetError`` for everything a user can fix; any
other exception is a bug, reported in one line with where its traceback was saved.
Nothing prints a traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import JalnetError
from ..masking import mask_std_streams

#: What each exit code means, for every command (the README has the same table).
EXIT_CODES = {
    0: "done (warnings, if any, on stderr)",
    1: "done, but there are findings at or over --fail-on",
    2: "user error or nothing usable: nothing was written",
    3: "internal error (a bug): the traceback is saved for a bug report",
    130: "interrupted or canceled: nothing was written",
}
EXIT_INTERNAL = 3

#: Command groups in help order; each is a module ``jalnet.cli.<name>`` with ``add_parser(sub)``.
GROUPS = ("registry", "tracks", "network", "hydraulics", "flood", "geology", "gatishakti", "health", "field", "demo",
          "engine")


def _group_modules() -> list:
    modules = []
    for name in GROUPS:
        try:
            modules.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise  # a dependency of the group is missing: say so, don't hide the command
    return modules


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"jalnet: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="jalnet",
        description="GIS tools for rural drinking-water schemes: asset registry, GPS tracks, network "
        "validation, hydraulics, flood impact, lithologs, PM Gati Shakti export.",
    )
    parser.add_argument("--version", action="version", version=f"jalnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for group in _group_modules():
        group.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["engine"]:  # QGIS starts this often: skip importing every command group
        from . import engine

        return engine.main(args_list[1:])
    parser = build_parser()
    originals = mask_std_streams()  # a registry URL may carry a password: never print it
    args = None
    try:
        args = parser.parse_args(args_list)
        result = args.func(args)
    except JalnetError as err:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"jalnet: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("jalnet: interrupted; nothing was written\n")
        return 130
    except OSError as err:  # a file that cannot be read or written: the user can fix it
        if getattr(args, "debug", False):
            raise
        if err.filename is None:
            return _internal_error(err)
        sys.stderr.write(f"jalnet: error: {err.filename}: {err.strerror or err}; check the path and its permissions\n")
        return 2
    except Exception as err:  # noqa: BLE001 - anything else is a bug: one line and the saved traceback
        if getattr(args, "debug", False):
            raise
        return _internal_error(err)
    finally:
        sys.stdout, sys.stderr = originals
    return int(result or 0)


def _internal_error(err: BaseException) -> int:
    """Say that this is a bug, in one line, and save the traceback where the user can attach it to a report."""
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    try:
        fd, path = tempfile.mkstemp(prefix=f"jalnet-error-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"jalnet {__version__}, Python {sys.version.split()[0]}\n{' '.join(sys.argv)}\n\n{text}")
        where = f"the traceback is in {path}"
    except OSError:
        where = "run again with --debug to see the traceback"
    detail = " ".join(str(err).split()) or "no message"
    sys.stderr.write(f"jalnet: internal error (a bug, not your input): {type(err).__name__}: {detail}; {where}; "
                     "please attach it to a bug report\n")
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

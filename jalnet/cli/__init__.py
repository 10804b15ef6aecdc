"""The ``jalnet`` command.

Each capability adds one command group from its own module (``registry``, ``demo``;
later ``tracks``, ``network``, ``hydraulics``, ``flood``, ``geology``, ``gatishakti``).
User errors print one line and exit 2; nothing prints a traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import JalnetError

#: Command groups in help order; each is a module ``jalnet.cli.<name>`` with ``add_parser(sub)``.
GROUPS = ("registry", "tracks", "network", "hydraulics", "flood", "geology", "gatishakti", "health", "demo")


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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except JalnetError as err:
        if args.debug:
            raise
        sys.stderr.write(f"jalnet: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("jalnet: interrupted; nothing was written\n")
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())

"""Small pieces every command group uses."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from ..feedback import ConsoleFeedback

REGISTRY_HELP = "registry: a .gpkg path or postgresql://user@host:port/db?schema=NAME"


def add_registry(parser: argparse.ArgumentParser) -> None:
    """The --registry option every tool that reads or writes a registry takes."""
    parser.add_argument("--registry", required=True, metavar="REG", help=REGISTRY_HELP)


def feedback(args: argparse.Namespace) -> ConsoleFeedback:
    return ConsoleFeedback(quiet=getattr(args, "quiet", False))


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain-text table for terminals."""
    if not rows:
        return "(none)"
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    for r in rows:
        lines.append("  ".join(str("" if r.get(c) is None else r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(lines)


#: --fail-on levels and the finding severities that reach each.
FAIL_ON = {"error": ("error",), "warning": ("error", "warning"), "never": ()}


def add_fail_on(parser: argparse.ArgumentParser, default: str = "never") -> None:
    """The --fail-on option of every command that reports findings."""
    parser.add_argument("--fail-on", choices=tuple(FAIL_ON), default=default,
                        help=f"exit 1 when there are findings of this severity or worse (default {default}; "
                             "for scheduled checks)")


def findings_exit(counts: Mapping[str, int], fail_on: str) -> int:
    """1 when *counts* (findings per severity) has any at or over *fail_on*, else 0."""
    return 1 if any(counts.get(severity, 0) for severity in FAIL_ON[fail_on]) else 0


def warn(message: str) -> None:
    """A warning: the command still succeeds (exit 0), and says so on stderr."""
    sys.stderr.write(f"jalnet: warning: {message}\n")

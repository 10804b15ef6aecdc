"""Small pieces every command group uses."""

from __future__ import annotations

import argparse
import json
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


def fail_on_exit(counts: dict[str, int], fail_on: str) -> int:
    """Exit code for --fail-on: 1 when there are findings of that severity or worse, else 0."""
    if fail_on == "error" and counts.get("error"):
        return 1
    if fail_on == "warning" and (counts.get("error") or counts.get("warning")):
        return 1
    return 0

"""``jalnet demo``: the main job on the bundled sample scheme."""

from __future__ import annotations

import argparse
import time

from ..demo import run_demo
from .common import feedback


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run JalNet end to end on the bundled sample scheme")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--no-project", action="store_true", help="skip the QGIS project (no QGIS needed)")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    start = time.monotonic()
    result = run_demo(args.out, feedback=feedback(args), project=not args.no_project)
    for note in result.notes:
        print(f"note: {note}")
    print(f"registry  {result.registry}  ({', '.join(f'{k} {v}' for k, v in result.counts.items())})")
    for line in result.outputs:
        print(line)
    print(f"summary   {result.summary}")
    if result.project:
        print(f"project   {result.project}  (open it in QGIS)")
    print(f"done in {time.monotonic() - start:.1f} s")
    return 0

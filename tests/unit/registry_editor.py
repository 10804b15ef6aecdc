"""An attribute edit as a desktop editor makes it: read a feature, (think,) write it back.

    python registry_editor.py REGISTRY LAYER KEY '{"field": value}' [--barrier DIR --party N]

The feature is read first; with ``--barrier`` the editor then waits until *N* editors have
read, so two edits of one feature are sure to overlap. The write declares the row as read
(``Batch.expect``): if another editor changed it meanwhile nothing is written and the one-line
conflict is printed, exit 2, as the ``jalnet`` command line does. Prints the batch id.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from jalnet.errors import JalnetError
from jalnet.registry import open_registry
from jalnet.registry.retry import retrying


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("registry")
    parser.add_argument("layer")
    parser.add_argument("key")
    parser.add_argument("values")
    parser.add_argument("--barrier")
    parser.add_argument("--party", type=int, default=1)
    args = parser.parse_args()
    try:
        with open_registry(args.registry) as reg:
            key = reg_key(reg, args.layer)
            row = reg.read(args.layer, where={key: args.key})
            if row.empty:
                raise JalnetError(f"{args.layer}: no feature {args.key}")
            if args.barrier:
                wait(Path(args.barrier), args.party)

            def write() -> str:  # a lock wait that timed out is tried again; a changed feature is not
                with reg.batch("attribute edit", f"edit {args.layer} {args.key}") as b:
                    b.expect(args.layer, row)
                    b.update(args.layer, int(row.index[0]), json.loads(args.values))
                return b.id

            print(f"batch {retrying(write)()}")
    except JalnetError as err:
        sys.stderr.write(f"jalnet: error: {err}\n")
        return err.exit_code
    return 0


def reg_key(reg, layer: str) -> str:
    from jalnet.registry.schema import layer as layer_def

    return layer_def(layer).key


def wait(folder: Path, party: int, timeout: float = 60.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"ready-{time.time_ns()}").touch()
    end = time.monotonic() + timeout
    while len(list(folder.glob("ready-*"))) < party and time.monotonic() < end:
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())

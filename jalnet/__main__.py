"""``python -m jalnet``; guarded so worker processes (Dask, multiprocessing) can import it."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

"""pandas text kept as Python strings while a scheme's model is read, built, run and summarised.

pandas 3 stores text in Arrow arrays when pyarrow is installed. Arrow pays off on long
columns, but a scheme's work makes thousands of small frames and single-value lookups, where
each Arrow call costs more than it saves: a state's run of 1,000 village schemes took a third
longer. Inside this block new text columns are Python strings (the same ``str`` dtype and
values, another storage); the per-step series stay Arrow arrays, made explicitly. The option
is pandas-wide, so nested and concurrent blocks share one setting, restored by the last to leave.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_before: str | None = None


@contextmanager
def python_strings() -> Iterator[None]:
    global _depth, _before
    import pandas as pd

    with _lock:
        if _depth == 0:
            _before = pd.get_option("mode.string_storage")
            pd.set_option("mode.string_storage", "python")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                pd.set_option("mode.string_storage", _before)

"""Package attributes imported on first use (PEP 562), so importing a package stays cheap.

The QGIS plugin reads ``jalnet.registry.schema`` at start-up and ``jalnet.hydraulics``
works without WNTR until a model is built: neither may pull in geopandas or wntr early.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """``(__getattr__, __all__)`` for *package*, whose names live in its submodules ``exports[name]``."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__, sorted(exports)

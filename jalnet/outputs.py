"""Settings for the GeoPackages the tools write, shared so every output opens the same way.

GeoPackage 1.2 is what the GDAL inside QGIS 3.22 LTR (GDAL 3.4-3.6) reads without
"may only be partially supported" warnings; newer GDAL writes 1.4 by default.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from .errors import InputError

#: pyogrio ``dataset_options`` for every GeoPackage a tool creates.
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": "1.2"}

#: GDAL settings while a tool writes a new GeoPackage under a temporary name: no rollback
#: journal and no fsync (a failed write leaves only the temporary file, which is deleted),
#: and 64 KiB pages, which suit the long per-step series texts.
_STAGED_WRITE = {"OGR_SQLITE_JOURNAL": "OFF", "OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_PRAGMA": "page_size=65536"}


@contextmanager
def gdal_config(options: dict[str, str]) -> Iterator[None]:
    """GDAL configuration options for the writes inside the block, the previous values restored after."""
    import pyogrio

    before = {name: pyogrio.get_gdal_config_option(name) for name in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def staged_write() -> AbstractContextManager[None]:
    """Write faster into a temporary GeoPackage that is renamed into place only once complete."""
    return gdal_config(_STAGED_WRITE)


def write_gpkg_layer(frame: Any, path: str | os.PathLike, layer: str, **options: Any) -> None:
    """One layer into a GeoPackage, through GDAL's Arrow interface where pyarrow and GDAL >= 3.8
    allow it: long text columns (the per-step series) go to GDAL without a Python string each,
    about twice as fast as the row-by-row route, with the same field types."""
    import pyogrio

    pyogrio.write_dataframe(frame, str(path), layer=layer, driver="GPKG", dataset_options=GPKG_DATASET_OPTIONS,
                            use_arrow=arrow_write(), **options)


@functools.cache
def arrow_write() -> bool:
    """Whether pyogrio can write from Arrow here (pyarrow importable, GDAL >= 3.8)."""
    try:
        import pyarrow  # noqa: F401
        from pyogrio._compat import HAS_ARROW_WRITE_API
    except ImportError:
        return False
    return bool(HAS_ARROW_WRITE_API)


def gpkg_output(path: str | os.PathLike, what: str) -> Path:
    """The GeoPackage a tool is about to write, refused in one line before any work: a name not
    ending in .gpkg (*what* names the file in the message), or a folder that does not exist."""
    out = Path(path)
    if out.suffix.lower() != ".gpkg":
        raise InputError(f"{what} {out} must end with .gpkg")
    return output_folder(out)


def output_folder(path: str | os.PathLike, what: str = "") -> Path:
    """The file or folder a tool is about to write, refused in one line before any work when the
    folder it goes in does not exist (*what*, when given, says what the output is)."""
    out = Path(path)
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent}{f' for the {what}' if what else ''} does not exist; create it first")
    return out

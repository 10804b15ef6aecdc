"""Which reader a file needs, decided from its content as much as its name.

Files from phones get renamed and re-sent; a ``.gpx`` may hold KML, a ``.txt`` may hold
GPX. XML and zip content is recognised whatever the extension; everything else that is
not CSV text goes to GDAL.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import BinaryIO

import pyogrio

from ..errors import InputError
from .csvlog import read_csv
from .gpx import read_gpx
from .kml import kmz_document, read_kml
from .mapping import FieldMapping
from .model import Parsed
from .ogr import read_ogr
from .options import ImportOptions
from .safexml import local, with_parents, xml_events

#: Extensions taken when a folder is given.
TRACK_EXTENSIONS = (".gpx", ".kml", ".kmz", ".csv", ".txt", ".tsv", ".geojson", ".json", ".shp", ".gpkg", ".gml",
                    ".fgb", ".sqlite")
_XML_EXT = (".gpx", ".kml", ".xml")
_CSV_EXT = (".csv", ".txt", ".tsv")


def expand_paths(paths: list[str | os.PathLike], skip: tuple[str, ...] = ()) -> list[str]:
    """Files as given; a folder stands for the track files in it (sorted), minus names in *skip* and registries."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out += [str(f) for f in sorted(path.iterdir())
                    if f.is_file() and f.suffix.lower() in TRACK_EXTENSIONS and f.name not in skip
                    and not is_registry(f)]
        else:
            out.append(str(p))
    return out


def read_source(path: str, mapping: FieldMapping, opts: ImportOptions) -> Parsed:
    """Parse one file; InputError (naming the file) when it must be refused."""
    label = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(f"{label}: no such file")
    if p.is_dir():
        raise InputError(f"{label}: is a folder; give the files in it")
    size = p.stat().st_size
    if size > opts.max_file_mb * 2**20:
        raise InputError(f"{label}: {size / 2**20:.0f} MB is over the {opts.max_file_mb:.0f} MB limit for one file; "
                         "split the log or raise the limit")
    if size == 0:
        raise InputError(f"{label}: the file is empty (0 bytes); copy it again from the phone")
    ext = p.suffix.lower()
    if ext in (".shp", ".gpkg", ".fgb", ".sqlite", ".gdb"):  # binary formats GDAL opens itself (and their sidecars)
        if is_registry(p):
            raise InputError(f"{label}: is a JalNet registry, not a contractor file; give it with --registry")
        return read_ogr(label, label)
    head = _head(p)
    if not head:
        raise InputError(f"{label}: the file is empty (only blank space); copy it again from the phone")
    if head.startswith(b"PK\x03\x04") or ext == ".kmz":
        with kmz_document(label, label, int(opts.max_kmz_mb * 2**20), opts.max_kmz_ratio) as (member, name):
            return read_xml(member, f"{label} ({name})", opts, "KMZ")
    if _looks_like_xml(head):
        with p.open("rb") as fh:
            return read_xml(fh, label, opts)
    if ext in _XML_EXT:
        start = head[:24].decode("utf-8", "replace").strip().replace("\n", " ")
        raise InputError(f"{label}: not XML (it starts with '{start}'); a {ext} file must be XML: export it again "
                         "rather than renaming another file")
    if ext in _CSV_EXT:
        return read_csv(label, label, mapping, opts.hdop_uere_m, opts.naive_utc_offset_h)
    return read_ogr(label, label)


def _head(path: Path) -> bytes:
    """The first few kB of the file from its first non-blank byte; b"" when it is all blank space."""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            if chunk.strip():
                return chunk.lstrip() if chunk[:2] not in (b"<\x00", b"\x00<") else chunk
    return b""


def is_registry(path: Path) -> bool:
    """A GeoPackage holding JalNet's jalnet_meta table."""
    if path.suffix.lower() != ".gpkg":
        return False
    try:
        return "jalnet_meta" in {str(name) for name, _ in pyogrio.list_layers(str(path))}
    except Exception:  # noqa: BLE001 - not a readable GeoPackage: let the reader say so
        return False


def _looks_like_xml(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = data[:200].decode("utf-16", "ignore")
    else:
        head = data[:200].decode("utf-8", "ignore")
    return head.lstrip("\ufeff \t\r\n").startswith("<")


def read_xml(source: BinaryIO, label: str, opts: ImportOptions, kml_format: str = "KML") -> Parsed:
    """GPX or KML, told apart by the root element, read as a stream of elements."""
    events = with_parents(xml_events(source, label))
    root = next((elem for event, elem, _ in events if event == "start"), None)
    if root is None:
        raise InputError(f"{label}: not well-formed XML (no element found); the file is truncated or empty")
    kind = local(root.tag)
    if kind == "gpx":
        return read_gpx(root, events, label, opts.hdop_uere_m)
    if kind == "kml":
        return read_kml(root, events, label, kml_format, opts.naive_utc_offset_h)
    raise InputError(f"{label}: XML, but neither GPX nor KML (root element <{kind}>); export GPX or KML from the app")

"""KML and KMZ as exported by field apps and Google Earth: placemarks in nested folders.

Lines come from LineString, MultiGeometry and gx:Track/gx:MultiTrack (with their
``<when>`` times); points from Point placemarks. Attributes come from ExtendedData
(``Data`` and ``SchemaData/SimpleData``) and from the attribute tables some apps put in the
description. The folder path is kept in the reference ("WO 117 > BR-04 HDPE 63 mm") because
contractors file work orders as folders.

A KMZ is a zip: it is read in memory, never extracted, and refused when a member name
tries to leave the folder (zip-slip), when it would inflate past a size limit, or when it
compresses suspiciously well (a zip bomb).
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree import ElementTree as ET

import numpy as np

from ..errors import InputError
from .model import DroppedFeature, Parsed, RawPoint, RawTrack, clean_text
from .safexml import child, child_text, local, release
from .times import parse_times

_CONTAINERS = ("kml", "Document", "Folder")
_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry", "Track", "MultiTrack", "Model")
_ACCURACY_NAMES = ("accuracy", "acc", "hacc", "horizontal_accuracy")


@dataclass
class _Geoms:
    lines: list[dict[str, np.ndarray]] = field(default_factory=list)
    points: list[tuple[float, float, float]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def read_kml(root: ET.Element, events: Iterator[tuple[str, ET.Element, list[ET.Element]]], label: str,
             fmt: str = "KML", naive_offset_h: float = 5.5) -> Parsed:
    """Every placemark of a KML document, read from its events (``with_parents(xml_events(...))``) after the root.

    A placemark is read when it ends and then dropped from the tree; the per-point
    elements of a gx:Track (when, coord, SimpleArrayData values) are turned into numbers
    as they end, so memory follows the largest placemark, not the file.
    """
    if local(root.tag) != "kml":
        raise InputError(f"{label}: not a KML document (root element <{local(root.tag)}>)")
    parsed = Parsed(fmt)
    counter = 0
    series: dict[ET.Element, _Series] = {}
    for event, elem, stack in events:
        if event == "start":
            continue
        name = local(elem.tag)
        parent = local(stack[-1].tag) if stack else ""
        if name in _SERIES_ITEMS and parent in _SERIES_ITEMS[name]:
            series.setdefault(stack[-1], _Series(naive_offset_h)).add(name, elem.text)
            release(elem, stack)
        elif name == "Placemark" and all(local(e.tag) in _CONTAINERS for e in stack):
            counter += 1
            path = [f for f in (clean_text(child_text(e, "name")) for e in stack if local(e.tag) == "Folder") if f]
            _placemark(elem, path, counter, parsed, naive_offset_h, series)
            series.clear()
            release(elem, stack)
        elif name in ("Folder", "Document"):
            release(elem, stack)
    return parsed


#: Per-point elements kept as numbers while a placemark is read, and the parents they belong to.
_SERIES_ITEMS = {"when": ("Track",), "coord": ("Track",), "value": ("SimpleArrayData",)}


class _Series:
    """The when/coord of a gx:Track or the values of a gx:SimpleArrayData, as arrays built in chunks."""

    def __init__(self, naive_offset_h: float) -> None:
        self.naive_offset_h = naive_offset_h
        self.text: dict[str, list[str]] = {"when": [], "coord": [], "value": []}
        self.parts: dict[str, list[np.ndarray]] = {"when": [], "coord": [], "value": []}

    def add(self, kind: str, text: str | None) -> None:
        pending = self.text[kind]
        pending.append(text or "")
        if len(pending) >= 16384:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        pending = self.text[kind]
        if not pending:
            return
        if kind == "when":
            self.parts[kind].append(parse_times(pending, naive_offset_h=self.naive_offset_h))
        elif kind == "coord":
            self.parts[kind].append(np.column_stack(_coordinates(" ".join(",".join(c.split()) for c in pending))))
        else:
            self.parts[kind].append(np.array([_float(v) for v in pending]))
        pending.clear()

    def get(self, kind: str) -> np.ndarray | None:
        """The values of *kind*, or None when the element had none."""
        self._flush(kind)
        parts = self.parts[kind]
        return np.concatenate(parts) if parts else None


def _placemark(pm: ET.Element, path: list[str], k: int, parsed: Parsed, naive_offset_h: float,
               series: dict[ET.Element, _Series]) -> None:
    name = clean_text(child_text(pm, "name"))
    ref = " > ".join(path + [name or f"placemark {k}"])
    raw_desc = child_text(pm, "description")
    attrs = _table_attrs(raw_desc)
    attrs.update(_extended_data(pm))
    description = _strip_html(raw_desc)
    geoms = _Geoms()
    for c in pm:
        if local(c.tag) in _GEOMETRIES:
            _geometry(c, geoms, naive_offset_h, series)
    arrays = _simple_arrays(pm, series)
    if geoms.lines:
        def cat(key: str) -> np.ndarray:
            return np.concatenate([g[key] for g in geoms.lines])

        time, ele = cat("time"), cat("ele")
        acc = _accuracy_array(arrays, len(time))
        parsed.tracks.append(RawTrack(
            ref=ref, lon=cat("lon"), lat=cat("lat"), time=time if np.isfinite(time).any() else None,
            ele=ele if np.isfinite(ele).any() else None, acc=acc, name=name, description=description, attrs=attrs,
            geom_source="contractor_kml",
        ))  # fmt: skip
    stamp = child(pm, "TimeStamp")
    time = parse_times([child_text(stamp, "when") if stamp is not None else None], naive_offset_h=naive_offset_h)[0]
    for i, (lon, lat, ele) in enumerate(geoms.points, 1):
        pref = ref if len(geoms.points) == 1 and not geoms.lines else f"{ref} point {i}"
        parsed.points.append(RawPoint(pref, lon, lat, float(time) if np.isfinite(time) else None,
                                      ele if np.isfinite(ele) and ele != 0 else None,  # 0: clamped to ground
                                      name, description, dict(attrs)))
    if geoms.other and not geoms.lines and not geoms.points:
        kinds = ", ".join(sorted(set(geoms.other)))
        parsed.dropped.append(DroppedFeature(ref, "not_line_or_point", f"{ref}: {kinds} is not a pipe line or a point; "
                                             "draw pipes as lines (paths) and taps/valves as points"))
    elif not geoms.lines and not geoms.points and not geoms.other:
        parsed.dropped.append(DroppedFeature(ref, "no_coordinates", f"{ref}: placemark has no geometry"))


def _geometry(g: ET.Element, out: _Geoms, naive_offset_h: float, series: dict[ET.Element, _Series]) -> None:
    kind = local(g.tag)
    if kind == "MultiGeometry":
        for c in g:
            if local(c.tag) in _GEOMETRIES:
                _geometry(c, out, naive_offset_h, series)
    elif kind == "MultiTrack":
        for c in g:
            if local(c.tag) == "Track":
                _geometry(c, out, naive_offset_h, series)
    elif kind == "LineString":
        lon, lat, ele = _coordinates(child_text(g, "coordinates"))
        out.lines.append({"lon": lon, "lat": lat, "ele": ele, "time": np.full(len(lon), np.nan)})
    elif kind == "Track":
        track = series.get(g) or _Series(naive_offset_h)
        coords = track.get("coord")
        lon, lat, ele = (coords[:, 0], coords[:, 1], coords[:, 2]) if coords is not None else _coordinates(None)
        time = track.get("when")
        if time is None or len(time) != len(lon):
            time = np.full(len(lon), np.nan)
        out.lines.append({"lon": lon, "lat": lat, "ele": ele, "time": time})
    elif kind == "Point":
        lon, lat, ele = _coordinates(child_text(g, "coordinates"))
        if len(lon):
            out.points.append((float(lon[0]), float(lat[0]), float(ele[0])))
        else:
            out.other.append("a Point without coordinates")
    else:
        out.other.append(kind)


#: Where a long coordinates text may be cut: blank space between two tuples (not next to a comma).
_TUPLE_BREAK = re.compile(r"(?<=[^\s,])\s+(?=[^\s,])")


def _coordinates(text: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon, lat, altitude from 'lon,lat[,alt] lon,lat[,alt] ...'; NaN for unreadable tuples.

    A long text (a LineString of a million fixes) is read a megabyte at a time.
    """
    if not text:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    if len(text) <= 1 << 20:
        return _coordinate_piece(text)
    pieces, start = [], 0
    while start < len(text):
        cut = _TUPLE_BREAK.search(text, min(start + (1 << 20), len(text)))
        end = cut.start() if cut else len(text)
        pieces.append(np.column_stack(_coordinate_piece(text[start:end])))
        start = end
    out = np.concatenate(pieces)
    return out[:, 0], out[:, 1], out[:, 2]


def _coordinate_piece(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tuples = re.sub(r"\s*,\s*", ",", text.strip()).split()
    out = np.full((len(tuples), 3), np.nan)
    arity = {t.count(",") for t in tuples}
    if len(arity) == 1 and arity <= {1, 2}:  # the usual case, all 2-D or all 3-D: parsed at C speed
        try:
            k = arity.pop() + 1
            out[:, :k] = np.array(",".join(tuples).split(","), dtype=float).reshape(-1, k)
            return out[:, 0], out[:, 1], out[:, 2]
        except ValueError:
            pass
    for i, tup in enumerate(tuples):
        parts = tup.split(",")
        for j, part in enumerate(parts[:3]):
            try:
                out[i, j] = float(part)
            except ValueError:
                pass
    return out[:, 0], out[:, 1], out[:, 2]


def _extended_data(pm: ET.Element) -> dict[str, str]:
    out: dict[str, str] = {}
    ext = child(pm, "ExtendedData")
    if ext is None:
        return out
    for c in ext:
        kind = local(c.tag)
        if kind == "Data" and c.get("name"):
            value = child_text(c, "value")
            if value is not None:
                out[c.get("name")] = value
        elif kind == "SchemaData":
            for sd in c:
                if local(sd.tag) == "SimpleData" and sd.get("name") and (sd.text or "").strip():
                    out[sd.get("name")] = sd.text.strip()
    return out


def _simple_arrays(pm: ET.Element, series: dict[ET.Element, _Series]) -> dict[str, np.ndarray]:
    """gx:SimpleArrayData per-point values (e.g. accuracy) of a gx:Track."""
    out: dict[str, np.ndarray] = {}
    for arr in pm.iter():
        if local(arr.tag) == "SimpleArrayData" and arr.get("name") and arr in series:
            values = series[arr].get("value")
            if values is not None:
                out[arr.get("name").lower()] = values
    return out


def _accuracy_array(arrays: dict[str, np.ndarray], n: int) -> np.ndarray | None:
    for name in _ACCURACY_NAMES:
        acc = arrays.get(name)
        if acc is not None and len(acc) == n:
            return acc if np.isfinite(acc).any() else None
    return None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


_TAG = re.compile(r"<[^>]+>")
_ROW = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>\s*<td[^>]*>(.*?)</td>", re.IGNORECASE | re.DOTALL)


def _table_attrs(description: str | None) -> dict[str, str]:
    """'<tr><td>Pipe ID</td><td>P-12</td></tr>' tables that GIS exports put in descriptions."""
    if not description or "<t" not in description.lower():
        return {}
    out = {}
    for key, value in _ROW.findall(description):
        key, value = _strip_html(key), _strip_html(value)
        if key and value:
            out.setdefault(key, value)
    return out


def _strip_html(text: str | None) -> str | None:
    if text is None or "<" not in text:
        return clean_text(text)
    flat = _TAG.sub(" ", re.sub(r"<br\s*/?>|</tr>|</p>", "\n", text, flags=re.IGNORECASE))
    flat = flat.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return clean_text("\n".join(" ".join(line.split()) for line in flat.splitlines() if line.strip()))


# ---------------------------------------------------------------------------------------
# KMZ
# ---------------------------------------------------------------------------------------
@contextmanager
def kmz_document(path: str, label: str, max_bytes: int, max_ratio: float) -> Iterator[tuple[BinaryIO, str]]:
    """(stream, member name) of the KML document inside a KMZ, read from the zip (never extracted) with limits."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as err:
        raise InputError(f"{label}: not a valid KMZ (zip) file ({err}); the file may be truncated") from None
    with zf:
        chosen = _kml_member(infos, label, max_bytes, max_ratio)
        try:
            with zf.open(chosen) as f:
                yield _Bounded(f, max_bytes, f"{label}: refused: '{chosen.filename}' inflates past the "
                               f"{max_bytes / 2**20:.0f} MB limit"), chosen.filename
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
            raise InputError(f"{label}: cannot read '{chosen.filename}' from the KMZ ({err}); the file may be "
                             "truncated") from None


def _kml_member(infos: list[zipfile.ZipInfo], label: str, max_bytes: int, max_ratio: float) -> zipfile.ZipInfo:
    """The KML member to read; InputError when any member is unsafe."""
    for info in infos:
        name = info.filename
        parts = re.split(r"[\\/]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise InputError(f"{label}: refused: member '{name}' tries to leave the KMZ folder (zip-slip); "
                             "do not open this file, ask for a fresh export")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputError(f"{label}: refused: member '{name}' is a symbolic link (it could point at files outside "
                             "the KMZ); ask for a fresh export")
        if info.flag_bits & 0x1:
            raise InputError(f"{label}: member '{name}' is encrypted; export the KMZ again without a password")
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise InputError(f"{label}: refused: it would inflate to {total / 2**20:.1f} MB, over the "
                         f"{max_bytes / 2**20:.0f} MB limit for a KMZ (raise the limit if the file is genuine)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 2**20 and ratio > max_ratio:
            raise InputError(f"{label}: refused: member '{info.filename}' inflates {ratio:.0f} times "
                             f"(a zip bomb; the limit is {max_ratio:.0f} times)")
    kmls = [i for i in infos if i.filename.lower().endswith(".kml") and not i.is_dir()]
    if not kmls:
        nested = any(i.filename.lower().endswith((".kmz", ".zip")) for i in infos)
        raise InputError(f"{label}: the KMZ holds no .kml document (has: {', '.join(i.filename for i in infos[:8])})"
                         + ("; a KMZ inside a KMZ is not opened: unzip the outer one and import the inner KMZ"
                            if nested else ""))
    top = [i for i in kmls if "/" not in i.filename.strip("/")]
    return next((i for i in top if i.filename.lower() == "doc.kml"), (top or kmls)[0])


class _Bounded:
    """A read-only stream that refuses to give more than *limit* bytes (a zip member's size may lie)."""

    def __init__(self, raw: BinaryIO, limit: int, message: str) -> None:
        self.raw, self.left, self.message = raw, limit, message

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.left -= len(data)
        if self.left < 0:
            raise InputError(self.message)
        return data

"""GPX 1.0 and 1.1: tracks (trk/trkseg), routes (rte) and waypoints (wpt), with times and elevation.

A track's segments follow each other: the cleaner decides whether the break between two
segments is a real gap (lost fix while walking) or a pause. Accuracy comes from an
``<extensions>`` accuracy element (GPSLogger, OsmAnd) or, failing that, from ``<hdop>``
times ``hdop_uere_m`` (a phone's typical range error).
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .geo import parse_degree
from .model import Parsed, RawPoint, RawTrack, clean_text
from .safexml import child_text, local, namespace, release
from .times import parse_times

_ACCURACY_TAGS = ("accuracy", "acc", "hacc", "horizontal_accuracy", "horizontalaccuracy")
_FLUSH = 16384  # fixes held as text before they become arrays


def read_gpx(root: ET.Element, events: Iterator[tuple[str, ET.Element, list[ET.Element]]], label: str,
             hdop_uere_m: float = 5.0) -> Parsed:
    """Everything in a GPX document, read from its events (``with_parents(xml_events(...))``) after the root.

    Each track point is turned into numbers when it ends and then dropped from the tree,
    so a walk of a million fixes never exists as a million elements.
    """
    version = root.get("version") or ("1.1" if "GPX/1/1" in root.tag else "1.0" if "GPX/1/0" in root.tag else "?")
    parsed = Parsed(f"GPX {version}")
    counts = {"wpt": 0, "trk": 0, "rte": 0}
    fixes: _FixBuffer | None = None
    for event, elem, stack in events:
        depth = len(stack)
        if event == "start":
            if depth == 2 and local(elem.tag) in ("trk", "rte"):
                fixes = _FixBuffer(hdop_uere_m)
            continue
        kind = local(elem.tag)
        if fixes is not None and kind in ("trkpt", "rtept") and depth in (2, 3):
            fixes.add(elem)
            release(elem, stack)
        elif depth == 1 and kind in counts:
            counts[kind] += 1
            if kind == "wpt":
                parsed.points.append(_waypoint(elem, counts[kind], hdop_uere_m))
            elif fixes is not None:
                parsed.tracks.append(_track(elem, kind, counts[kind], fixes.arrays()))
                fixes = None
            release(elem, stack)
    # waypoints first, then tracks, then routes: the order of the GPX schema, whatever the file's order
    order = {"trk": 0, "rte": 1}
    parsed.tracks.sort(key=lambda t: order[t.ref.split(" ", 1)[0]])
    return parsed


class _FixBuffer:
    """The fixes of one track or route: text until ``_FLUSH`` of them, then numbers."""

    def __init__(self, hdop_uere_m: float) -> None:
        self.hdop_uere_m = hdop_uere_m
        self.ns: str | None = None
        self.text: dict[str, list] = {k: [] for k in ("lon", "lat", "ele", "time", "hdop", "acc")}
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, e: ET.Element) -> None:
        if self.ns is None:
            self.ns = namespace(e.tag)
        ns, text = self.ns, self.text
        text["lon"].append(e.get("lon"))
        text["lat"].append(e.get("lat"))
        text["ele"].append(e.findtext(ns + "ele"))
        text["time"].append(e.findtext(ns + "time"))
        text["hdop"].append(e.findtext(ns + "hdop"))
        ext = e.find(ns + "extensions")
        text["acc"].append(np.nan if ext is None else _extension_accuracy(ext))
        if len(text["lon"]) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        t = self.text
        if t["lon"]:
            acc = np.array(t["acc"], dtype=float)
            self.parts.append({
                "lon": _degrees(t["lon"]), "lat": _degrees(t["lat"]), "ele": _numbers(t["ele"]),
                "time": parse_times(t["time"], naive_offset_h=0.0),
                "acc": np.where(np.isfinite(acc), acc, _numbers(t["hdop"]) * self.hdop_uere_m),
            })  # fmt: skip
        for values in t.values():
            values.clear()

    def arrays(self) -> list[dict[str, np.ndarray]]:
        """All the fixes as one part (blocks joined one column at a time, each freed once joined)."""
        self._flush()
        if len(self.parts) <= 1:
            return self.parts
        whole = {}
        for key in list(self.parts[0]):
            whole[key] = np.concatenate([p.pop(key) for p in self.parts])
        self.parts = [whole]
        return self.parts


def _waypoint(elem: ET.Element, k: int, hdop_uere_m: float) -> RawPoint:
    buffer = _FixBuffer(hdop_uere_m)
    buffer.add(elem)
    fix = buffer.arrays()[0]
    name = clean_text(child_text(elem, "name"))
    return RawPoint(
        ref=_ref("wpt", k, name), lon=float(fix["lon"][0]), lat=float(fix["lat"][0]),
        time=_finite(fix["time"][0]), ele=_finite(fix["ele"][0]), name=name,
        description=_description(elem), attrs=_attrs(elem),
    )  # fmt: skip


def _ref(kind: str, k: int, name: str | None) -> str:
    return f"{kind} {k}" + (f" '{name}'" if name else "")


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _description(elem: ET.Element) -> str | None:
    parts = [clean_text(child_text(elem, tag)) for tag in ("desc", "cmt")]
    parts = [p for p in parts if p]
    return " | ".join(dict.fromkeys(parts)) or None


def _attrs(elem: ET.Element) -> dict[str, str]:
    """Simple child elements (type, number, sym, src, extension fields) as attributes."""
    out: dict[str, str] = {}
    for c in elem:
        name = local(c.tag)
        if name in ("trkseg", "trkpt", "rtept", "name", "desc", "cmt", "time", "ele", "link"):
            continue
        if name == "extensions":
            for ext in c.iter():
                if ext is not c and len(ext) == 0 and (ext.text or "").strip():
                    out.setdefault(local(ext.tag), ext.text.strip())
        elif len(c) == 0 and (c.text or "").strip():
            out[name] = c.text.strip()
    return out


def _numbers(texts: list[str | None]) -> np.ndarray:
    return pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)


def _degrees(texts: list[str | None]) -> np.ndarray:
    values = _numbers(texts)
    for i in np.flatnonzero(np.isnan(values)):
        values[i] = parse_degree(texts[i])
    return values


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else np.nan
    except ValueError:
        return np.nan


def _extension_accuracy(ext: ET.Element) -> float:
    for e in ext.iter():
        if local(e.tag).lower() in _ACCURACY_TAGS:
            value = _number(e.text)
            if np.isfinite(value):
                return value
    return np.nan


def _track(elem: ET.Element, kind: str, k: int, parts: list[dict[str, np.ndarray]]) -> RawTrack:
    name = clean_text(child_text(elem, "name"))

    def cat(key: str) -> np.ndarray:
        if len(parts) == 1:
            return parts[0][key]
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    time, ele, acc = cat("time"), cat("ele"), cat("acc")
    return RawTrack(
        ref=_ref(kind, k, name), lon=cat("lon"), lat=cat("lat"),
        time=time if np.isfinite(time).any() else None, ele=ele if np.isfinite(ele).any() else None,
        acc=acc if np.isfinite(acc).any() else None,
        name=name, description=_description(elem), attrs=_attrs(elem), geom_source="gps_track",
    )  # fmt: skip

"""GPX 1.0 and 1.1: tracks (trk/trkseg), routes (rte) and waypoints (wpt), with times and elevation.

A track's segments follow each other: the cleaner decides whether the break between two
segments is a real gap (lost fix while walking) or a pause. Accuracy comes from an
``<extensions>`` accuracy element (GPSLogger, OsmAnd) or, failing that, from ``<hdop>``
times ``hdop_uere_m`` (a phone's typical range error).
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .geo import parse_degree
from .model import Parsed, RawPoint, RawTrack, clean_text
from .safexml import child_text, children, local
from .times import parse_times

_ACCURACY_TAGS = ("accuracy", "acc", "hacc", "horizontal_accuracy", "horizontalaccuracy")


def read_gpx(elements: Iterable[tuple[ET.Element, ET.Element]], label: str, hdop_uere_m: float = 5.0) -> Parsed:
    """Everything in a GPX document, given as (root, wpt/trk/rte element) pairs (see ``stream_xml``)."""
    parsed = Parsed("GPX")
    counts = {"wpt": 0, "trk": 0, "rte": 0}
    for root, elem in elements:
        if parsed.format == "GPX":
            version = root.get("version") or ("1.1" if "GPX/1/1" in root.tag else "1.0" if "GPX/1/0" in root.tag else "?")
            parsed.format = f"GPX {version}"
        kind = local(elem.tag)
        counts[kind] += 1
        if kind == "wpt":
            fix = _fixes([elem], hdop_uere_m)
            name = clean_text(child_text(elem, "name"))
            parsed.points.append(RawPoint(
                ref=_ref("wpt", counts[kind], name), lon=float(fix["lon"][0]), lat=float(fix["lat"][0]),
                time=_finite(fix["time"][0]), ele=_finite(fix["ele"][0]), name=name,
                description=_description(elem), attrs=_attrs(elem),
            ))  # fmt: skip
        elif kind == "trk":
            fixes = [_fixes(children(seg, "trkpt"), hdop_uere_m) for seg in children(elem, "trkseg")]
            parsed.tracks.append(_track(elem, "trk", counts[kind], fixes))
        else:
            parsed.tracks.append(_track(elem, "rte", counts[kind], [_fixes(children(elem, "rtept"), hdop_uere_m)]))
    # waypoints first, then tracks, then routes: the order of the GPX schema, whatever the file's order
    order = {"trk": 0, "rte": 1}
    parsed.tracks.sort(key=lambda t: order[t.ref.split(" ", 1)[0]])
    return parsed


#: The children of <gpx> that hold features.
GPX_FEATURES = ("wpt", "trk", "rte")


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


def _fixes(elems: list[ET.Element], hdop_uere_m: float) -> dict[str, np.ndarray]:
    """Coordinates, elevation, time and accuracy of trkpt/rtept/wpt elements (C-level lookups, no per-child loop)."""
    ns = elems[0].tag[: elems[0].tag.index("}") + 1] if elems and elems[0].tag.startswith("{") else ""
    acc = np.array([_extension_accuracy(x) if (x := e.find(ns + "extensions")) is not None else np.nan
                    for e in elems], dtype=float)
    hdop = _numbers([e.findtext(ns + "hdop") for e in elems])
    return {
        "lon": _degrees([e.get("lon") for e in elems]), "lat": _degrees([e.get("lat") for e in elems]),
        "ele": _numbers([e.findtext(ns + "ele") for e in elems]),
        "time": parse_times([e.findtext(ns + "time") for e in elems], naive_offset_h=0.0),
        "acc": np.where(np.isfinite(acc), acc, hdop * hdop_uere_m),
    }  # fmt: skip


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
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    time, ele, acc = cat("time"), cat("ele"), cat("acc")
    return RawTrack(
        ref=_ref(kind, k, name), lon=cat("lon"), lat=cat("lat"),
        time=time if np.isfinite(time).any() else None, ele=ele if np.isfinite(ele).any() else None,
        acc=acc if np.isfinite(acc).any() else None,
        name=name, description=_description(elem), attrs=_attrs(elem), geom_source="gps_track",
    )  # fmt: skip

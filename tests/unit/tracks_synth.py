"""Synthetic contractor files for the tracks tests: walks with known truth and known faults.

Walks are simulated in UTM 46N metres near Nalbari, Assam, then written as GPX, KML, KMZ,
CSV or GeoJSON in lon/lat, so a test knows exactly which fixes are spikes, which are a
standstill, and where the true pipe runs.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pyproj
import shapely

EPSG = 32646
TO_LL = pyproj.Transformer.from_crs(EPSG, 4326, always_xy=True)
ORIGIN = pyproj.Transformer.from_crs(4326, EPSG, always_xy=True).transform(91.43, 26.44)
T0 = datetime(2024, 3, 12, 4, 30, tzinfo=timezone.utc).timestamp()
IST = timezone(timedelta(hours=5, minutes=30))
KML_NS = 'xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2"'


def truth_line(dx: float = 0.0, dy: float = 0.0) -> shapely.LineString:
    """A branch along village roads: 900 m with three bends."""
    pts = [(0, 0), (300, 20), (420, 200), (380, 420), (600, 500)]
    return shapely.LineString([(ORIGIN[0] + x + dx, ORIGIN[1] + y + dy) for x, y in pts])


@dataclass
class Walk:
    x: np.ndarray
    y: np.ndarray
    t: np.ndarray  # epoch seconds
    ele: np.ndarray
    acc: np.ndarray
    spikes: np.ndarray  # indices of injected spikes
    standstill: np.ndarray  # indices of the standstill fixes
    truth: shapely.LineString

    @property
    def lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        return TO_LL.transform(self.x, self.y)

    def times(self) -> list[str]:
        return [datetime.fromtimestamp(v, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for v in self.t]


def walk(seed: int = 0, sigma: float = 4.0, dt: float = 1.0, speed: float = 1.2, spikes: int = 0,
         standstill_s: float = 0.0, gap: tuple[float, float, float] | None = None, line: shapely.LineString | None = None,
         start: float = T0) -> Walk:
    """A phone walk along *line*: white noise *sigma*, *spikes* fixes 60-250 m off, one standstill, one gap."""
    rng = np.random.default_rng(seed)
    truth = line or truth_line()
    s = np.append(np.arange(0, truth.length, speed * dt), truth.length)
    still = np.zeros(0, dtype=int)
    if standstill_s:
        k, n = int(0.4 * len(s)), int(standstill_s / dt)
        s = np.concatenate([s[:k], np.full(n, s[k]), s[k:]])
        still = np.arange(k, k + n + 1)
    t = start + np.arange(len(s)) * dt
    if gap:
        keep = (s < gap[0] * truth.length) | (s > gap[1] * truth.length)
        t = np.where(s > gap[1] * truth.length, t + gap[2], t)
        s, t = s[keep], t[keep]
    p = shapely.line_interpolate_point(truth, s)
    x = shapely.get_x(p) + rng.normal(0, sigma, len(s))
    y = shapely.get_y(p) + rng.normal(0, sigma, len(s))
    acc = np.round(2 + 0.3 * sigma + np.abs(rng.normal(0, 1.5, len(s))), 1)
    moving = np.setdiff1d(np.arange(10, len(s) - 10), np.arange(still.min() - 5, still.max() + 6) if len(still) else [])
    spike_idx = np.sort(rng.choice(moving[::5], spikes, replace=False)) if spikes else np.zeros(0, dtype=int)
    for k in spike_idx:
        r, a = rng.uniform(60, 250), rng.uniform(0, 2 * np.pi)
        x[k] += r * np.cos(a)
        y[k] += r * np.sin(a)
    ele = np.round(48 + rng.normal(0, 1.5, len(s)), 1)
    return Walk(x, y, t, ele, acc, spike_idx, still, truth)


# --- writers ---------------------------------------------------------------------------
def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def gpx11(path: Path, tracks: list[tuple[str, str, list[Walk]]],
          waypoints: list[tuple[str, str, float, float]] = ()) -> Path:
    """GPX 1.1: each track (name, desc, one Walk per trkseg), waypoints (name, desc, lon, lat)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">']
    for name, desc, lon, lat in waypoints:
        out.append(f'<wpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>50.0</ele><time>2024-03-12T04:31:00Z</time>'
                   f"<name>{escape(name)}</name><desc>{escape(desc)}</desc><sym>Flag, Blue</sym></wpt>")
    for name, desc, segments in tracks:
        out += ["<trk>", f"<name>{escape(name)}</name>", f"<desc>{escape(desc)}</desc>"]
        for w in segments:
            lon, lat = w.lonlat
            out.append("<trkseg>")
            out += [f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><ele>{e:.1f}</ele><time>{tm}</time></trkpt>'
                    for lo, la, e, tm in zip(lon, lat, w.ele, w.times())]
            out.append("</trkseg>")
        out.append("</trk>")
    out.append("</gpx>")
    return write(path, "\n".join(out))


def gpx10_route(path: Path, name: str, desc: str, w: Walk, waypoints: list[tuple[str, str, float, float]] = ()) -> Path:
    lon, lat = w.lonlat
    out = ['<?xml version="1.0"?>', '<gpx version="1.0" creator="eTrex" xmlns="http://www.topografix.com/GPX/1/0">']
    out += [f'<wpt lat="{la:.7f}" lon="{lo:.7f}"><name>{escape(n)}</name><desc>{escape(d)}</desc></wpt>'
            for n, d, lo, la in waypoints]
    out += ["<rte>", f"<name>{escape(name)}</name>", f"<desc>{escape(desc)}</desc>"]
    out += [f'<rtept lat="{la:.7f}" lon="{lo:.7f}"><ele>{e:.1f}</ele></rtept>' for lo, la, e in zip(lon, lat, w.ele)]
    out += ["</rte>", "</gpx>"]
    return write(path, "\n".join(out))


def coords(w: Walk, three_d: bool = False) -> str:
    lon, lat = w.lonlat
    if three_d:
        return " ".join(f"{lo:.7f},{la:.7f},{e:.1f}" for lo, la, e in zip(lon, lat, w.ele))
    return " ".join(f"{lo:.7f},{la:.7f}" for lo, la in zip(lon, lat))


def data(fields: dict[str, str]) -> str:
    return "<ExtendedData>" + "".join(
        f'<Data name="{escape(k)}"><value>{escape(v)}</value></Data>' for k, v in fields.items()) + "</ExtendedData>"


def simple_data(fields: dict[str, str]) -> str:
    return '<ExtendedData><SchemaData schemaUrl="#s">' + "".join(
        f'<SimpleData name="{escape(k)}">{escape(v)}</SimpleData>' for k, v in fields.items()
    ) + "</SchemaData></ExtendedData>"


def placemark(name: str, geometry: str, extended: str = "", description: str = "") -> str:
    desc = f"<description>{escape(description)}</description>" if description else ""
    return f"<Placemark><name>{escape(name)}</name>{desc}{extended}{geometry}</Placemark>"


def line_string(w: Walk, three_d: bool = False) -> str:
    return f"<LineString><coordinates>{coords(w, three_d)}</coordinates></LineString>"


def gx_track(w: Walk) -> str:
    """A gx:Track whose <when> times are India time (+05:30), as field apps write them."""
    lon, lat = w.lonlat
    when = [datetime.fromtimestamp(v, IST).isoformat() for v in w.t]
    return ("<gx:Track>" + "".join(f"<when>{x}</when>" for x in when)
            + "".join(f"<gx:coord>{lo:.7f} {la:.7f} {e:.1f}</gx:coord>" for lo, la, e in zip(lon, lat, w.ele))
            + "</gx:Track>")


def point(lon: float, lat: float) -> str:
    return f"<Point><coordinates>{lon:.7f},{lat:.7f},0</coordinates></Point>"


def folder(name: str, *content: str) -> str:
    return f"<Folder><name>{escape(name)}</name>{''.join(content)}</Folder>"


def kml(*content: str, name: str = "export") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<kml {KML_NS}><Document><name>{escape(name)}</name>'
            f"{''.join(content)}</Document></kml>\n")


def kmz(path: Path, doc: str, member: str = "doc.kml") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, doc)
    return path


def csv_log(path: Path, walks: dict[str, Walk], header: tuple[str, ...] = ("track_id", "latitude", "longitude", "time",
                                                                           "accuracy"), sep: str = ",") -> Path:
    rows = [sep.join(header)]
    for tid, w in walks.items():
        lon, lat = w.lonlat
        for la, lo, tm, a in zip(lat, lon, w.times(), w.acc):
            rows.append(sep.join([tid, f"{la:.7f}", f"{lo:.7f}", tm, f"{a:.1f}"]))
    return write(path, "\n".join(rows) + "\n")

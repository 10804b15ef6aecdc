"""CSV point logs from GPS logger apps and spreadsheets: one row per fix, grouped by track id.

Columns are found by name (latitude/lat/y, longitude/lon/lng/x, time/timestamp,
accuracy/acc/hdop, track/track_id, elevation/alt) or named explicitly
(``--columns lat=Y_dd,lon=X_dd``). Other columns (pipe id, diameter, material...) become
the track's attributes, read through the field mapping. A bad row is dropped and named;
it never stops the rest of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools

import numpy as np
import pandas as pd

from ..errors import InputError
from .geo import parse_degree
from .mapping import FieldMapping, norm_key
from .model import Parsed, RawTrack
from .times import parse_times

#: Column roles and the header names that fill them, in order of preference.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "lat": ("latitude", "lat", "lat_dd", "latitude_deg", "gps_latitude", "y", "y_coord"),
    "lon": ("longitude", "lon", "lng", "long", "lon_dd", "longitude_deg", "gps_longitude", "x", "x_coord"),
    "time": ("time", "timestamp", "datetime", "date_time", "gps_time", "fix_time", "time_utc", "utc", "recorded_at",
             "created_at"),
    "date": ("date", "gps_date", "fix_date"),
    "accuracy": ("accuracy", "accuracy_m", "acc", "hacc", "horizontal_accuracy", "precision", "eph", "hdop"),
    "ele": ("elevation", "ele", "altitude", "alt", "height", "z"),
    "track": ("track_id", "track", "trackid", "track_name", "trk", "walk", "walk_id", "trip_id", "session", "log_id",
              "segment_id", "id"),
}


_UNITS = ("metres", "meters", "mtr", "m", "degrees", "deg", "dd", "utc", "ist", "local")


def encoding(path: str, label: str) -> tuple[str, str | None]:
    """The encoding of a CSV file and a note when it was not UTF-8 (Excel's 'CSV' is Windows-1252).

    The whole file is checked, a megabyte at a time, before any row is read.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", None
        fh.seek(0)
        for name in ("utf-8-sig", "cp1252"):
            decoder = codecs.getincrementaldecoder(name)()
            try:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                fh.seek(0)
                continue
            if name == "utf-8-sig":
                return name, None
            return name, "not UTF-8; read as Windows-1252 (save as 'CSV UTF-8' to keep Assamese, Bengali or Hindi text)"
    raise InputError(f"{label}: not a text file (neither UTF-8 nor Windows-1252)")


def read_csv(path: str, label: str, mapping: FieldMapping, hdop_uere_m: float = 5.0,
             naive_offset_h: float = 5.5) -> Parsed:
    """The tracks of a CSV log, one per track id, in time order.

    The file is read as a stream and its rows in blocks of ``_BLOCK``, turned into
    numbers block by block, so a log of a million fixes never exists as a million lists
    of strings (nor as one string).
    """
    name, note = encoding(path, label)
    with open(path, encoding=name, newline="") as fh:
        head = fh.read(1 << 16)
        if "\x00" in head[:4096]:
            raise InputError(f"{label}: binary data, not a CSV text file")
        fh.seek(0)
        return _read_rows(fh, head, label, mapping, hdop_uere_m, naive_offset_h, note)


def _read_rows(fh: io.TextIOBase, head: str, label: str, mapping: FieldMapping, hdop_uere_m: float,
               naive_offset_h: float, note: str | None) -> Parsed:
    rows = (r for r in csv.reader(fh, dialect=_dialect(head)) if any(c.strip() for c in r))
    header_row = next(rows, None)
    if header_row is None:
        raise InputError(f"{label}: the file is empty; export the GPS log again")
    header = [h.strip() for h in header_row]
    first = list(itertools.islice(rows, _BLOCK))
    if not first:
        raise InputError(f"{label}: has a header but no rows")
    cols = _columns(header, first, mapping, label)
    used = set(cols.values())
    extra = [i for i in range(len(header)) if i not in used and header[i]]
    blocks = _Blocks()
    block, line = first, 2
    while block:
        blocks.add(block, header, cols, extra, line, hdop_uere_m, naive_offset_h)
        line += len(block)
        block = list(itertools.islice(rows, _BLOCK))
    arrays = blocks.arrays()
    time = arrays["time"] if "time" in cols or "date" in cols else None
    if time is not None and not np.isfinite(time).any():
        time = None
    parsed = Parsed("CSV", notes=[note] if note else [])
    codes, ids = arrays["track"], list(blocks.ids)
    for code, tid in enumerate(ids):
        idx = _order(codes, code, len(ids) == 1, time)
        rows_of = arrays["row"][idx]
        ref = f"track {tid or '(no track id)'} (rows {rows_of.min()}-{rows_of.max()})"
        parsed.tracks.append(RawTrack(
            ref=ref, lon=arrays["lon"][idx], lat=arrays["lat"][idx], time=None if time is None else time[idx],
            ele=arrays["ele"][idx] if "ele" in cols else None, acc=arrays["acc"][idx] if "accuracy" in cols else None,
            rows=rows_of, name=tid or None, attrs=blocks.attrs[tid], geom_source="gps_track",
        ))  # fmt: skip
    return parsed


_BLOCK = 16384


def _order(codes: np.ndarray, code: int, only: bool, time: np.ndarray | None) -> np.ndarray | slice:
    """The rows of one track, in time order when every row has a time; a plain slice when nothing moves."""
    idx: np.ndarray | slice = slice(None) if only else np.flatnonzero(codes == code)
    if time is not None:
        t = time[idx]
        if np.isfinite(t).all() and not (np.diff(t) >= 0).all():
            order = np.argsort(t, kind="stable")
            idx = order if only else idx[order]
    return idx


class _Blocks:
    """Numbers of the rows read so far, block by block, and each track's first value of every other column."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in ("lat", "lon", "time", "acc", "ele", "row", "track")}
        self.ids: dict[str, int] = {}
        self.attrs: dict[str, dict[str, str]] = {}

    def add(self, block: list[list[str]], header: list[str], cols: dict[str, int], extra: list[int], line: int,
            hdop_uere_m: float, naive_offset_h: float) -> None:
        width = len(header)
        table = pd.DataFrame([(r + [""] * width)[:width] for r in block], columns=range(width))
        p = self.parts
        p["lat"].append(_degrees(table[cols["lat"]]))
        p["lon"].append(_degrees(table[cols["lon"]]))
        p["row"].append(np.arange(line, line + len(block)))
        times = _times(table, cols, naive_offset_h)
        p["time"].append(times if times is not None else np.full(len(block), np.nan))
        for role, key in (("accuracy", "acc"), ("ele", "ele")):
            values = pd.to_numeric(table[cols[role]], errors="coerce").to_numpy(dtype=float) if role in cols else \
                np.zeros(0)
            if role == "accuracy" and role in cols and norm_key(header[cols[role]]) == "hdop":
                values = values * hdop_uere_m
            p[key].append(values)
        track = table[cols["track"]].str.strip() if "track" in cols else pd.Series([""] * len(table))
        p["track"].append(np.array([self.ids.setdefault(t, len(self.ids)) for t in track], dtype=np.int64))
        for tid, group in table.groupby(track.to_numpy(), sort=False):
            mine = self.attrs.setdefault(tid, {})
            for i in extra:
                if header[i] in mine:
                    continue
                values = group[i].str.strip()
                values = values[values != ""]
                if len(values):
                    mine[header[i]] = values.iloc[0]

    def arrays(self) -> dict[str, np.ndarray]:
        """Each column joined, its blocks freed as soon as it is."""
        out = {}
        for key, parts in self.parts.items():
            out[key] = np.concatenate(parts)
            parts.clear()
        return out



def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _columns(header: list[str], rows: list[list[str]], mapping: FieldMapping, label: str) -> dict[str, int]:
    by_norm: dict[str, int] = {}
    for i, h in enumerate(header):
        by_norm.setdefault(norm_key(h), i)
    for i, h in enumerate(header):  # 'Acc (m)', 'Lat_deg', 'Time UTC': the name without its unit
        key = norm_key(h)
        for unit in _UNITS:
            if key.endswith(unit) and len(key) > len(unit):
                by_norm.setdefault(key[: -len(unit)], i)
    cols: dict[str, int] = {}
    for role, name in mapping.columns.items():
        if norm_key(name) not in by_norm:
            raise InputError(f"{label}: no column '{name}' for {role} (columns: {', '.join(header)})")
        cols[role] = by_norm[norm_key(name)]
    for role, aliases in COLUMN_ALIASES.items():
        if role in cols:
            continue
        for alias in aliases:
            i = by_norm.get(norm_key(alias))
            if i is not None and i not in cols.values():
                if role == "track" and norm_key(alias) == "id" and not _repeats([r[i] if i < len(r) else "" for r in rows]):
                    continue  # a per-row id, not a track id
                cols[role] = i
                break
    missing = [r for r in ("lat", "lon") if r not in cols]
    if missing:
        raise InputError(
            f"{label}: no {' and no '.join('latitude' if m == 'lat' else 'longitude' for m in missing)} column "
            f"(columns: {', '.join(header)}); name them with --columns lat=NAME,lon=NAME"
        )
    return cols


def _repeats(values: list[str]) -> bool:
    return len(set(values)) * 2 <= len(values)


def _degrees(column: pd.Series) -> np.ndarray:
    values = pd.to_numeric(column.str.strip().replace("", None), errors="coerce").to_numpy(dtype=float, copy=True)
    bad = np.flatnonzero(np.isnan(values) & (column.str.strip() != "").to_numpy())
    for i in bad:
        values[i] = parse_degree(column.iloc[i])
    return values


def _times(table: pd.DataFrame, cols: dict[str, int], naive_offset_h: float) -> np.ndarray | None:
    if "time" not in cols and "date" not in cols:
        return None
    texts = table[cols["time"]] if "time" in cols else table[cols["date"]]
    if "time" in cols and "date" in cols and not texts.str.contains(r"\d[-/.]\d", regex=True).any():
        texts = table[cols["date"]].str.strip() + " " + texts.str.strip()
    out = parse_times(texts.tolist(), naive_offset_h=naive_offset_h)
    return out if np.isfinite(out).any() else None

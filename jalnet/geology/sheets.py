"""Reading litholog field sheets (CSV or Excel) into typed rows with their row numbers.

A sheet is matched to the fields of one table (boreholes, intervals, construction) by its
header: names are compared normalised ("Collar elev (m)" is ``collar_elev_m``), a few
common alternatives are recognised (``lat``, ``depth_from``), and anything else can be
mapped explicitly (``{"collar_elev_m": "RL"}``). Columns that match nothing are named
back to the user, never guessed. Every value is parsed by :mod:`jalnet.geology.parsing`;
a value that cannot be read becomes a :class:`CellError` with the row number a person
sees in a spreadsheet (the header is row 1), and the rest of the sheet is still read.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..registry.schema import DOMAINS
from . import parsing
from .vocabulary import drilling_method, normalise_word


@dataclass(frozen=True)
class Column:
    """One field of a sheet: how to parse it and what else it may be called."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = False
    unit: str = ""  # the unit the field is stored in, to catch headers such as "Depth (ft)"
    aliases: tuple[str, ...] = ()
    number: str | None = None  # unit kind of a numeric field (see parsing.UNITS): parsed column-wise


def _num(name: str, kind: str, required: bool = False, unit: str = "", aliases: tuple[str, ...] = ()) -> Column:
    return Column(name, _number(kind), required, unit, aliases, number=kind)


def _number(kind: str) -> Callable[[Any], Any]:
    return lambda value: parsing.parse_number(value, kind)


def _domain(domain: str, words: Callable[[str], str | None] | None = None) -> Callable[[Any], Any]:
    """A parser to the domain's codes; *words* reads what logs write instead of a code."""
    codes = {c.lower(): c for c in DOMAINS[domain]}

    def parse(value: Any) -> str | None:
        text = parsing.parse_text(value)
        if text is None:
            return None
        code = codes.get(normalise_word(text)) or codes.get(text.lower()) or (words(text) if words else None)
        if code is None:
            raise ValueError(f"'{text}' is not one of {', '.join(DOMAINS[domain])}")
        return code

    return parse


_FROM = ("from", "depth_from", "depth_from_m", "top", "top_m", "from_depth", "from_depth_m")
_TO = ("to", "depth_to", "depth_to_m", "bottom", "bottom_m", "base", "base_m", "to_depth", "to_depth_m")
_BH = ("bh_id", "bh", "bh_no", "borehole", "borehole_no", "well_id", "well_no", "bore_id", "id")

SPECS: dict[str, tuple[Column, ...]] = {
    "boreholes": (
        Column("borehole_id", parsing.parse_text, True, aliases=_BH),
        _num("longitude", "deg", True, aliases=("lon", "long", "lng", "x", "easting")),
        _num("latitude", "deg", True, aliases=("lat", "y", "northing")),
        _num("collar_elev_m", "m_elev", unit="m", aliases=(
            "collar_elev", "collar_elevation", "collar_elevation_m", "collar_rl", "collar_rl_m", "rl", "rl_m",
            "ground_level_m", "elevation_m", "elevation", "rl_m_amsl", "rl_mamsl", "rl_amsl", "elevation_m_amsl",
            "ground_level_m_amsl", "gl_m_amsl")),
        _num("drilled_depth_m", "m", unit="m", aliases=(
            "drilled_depth", "depth", "depth_m", "total_depth", "total_depth_m", "td_m", "depth_drilled",
            "depth_drilled_m", "depth_drilled_mbgl", "drilled_depth_mbgl")),
        _num("swl_m", "m", unit="m", aliases=(
            "swl", "swl_mbgl", "static_water_level", "static_water_level_m", "water_level_m")),
        _num("yield_lpm", "lpm", unit="lpm", aliases=("yield", "yield_l_min", "discharge_lpm", "discharge")),
        _num("drawdown_m", "m", unit="m", aliases=("drawdown", "dd_m")),
        Column("source_id", parsing.parse_text),
        Column("scheme_id", parsing.parse_text),
        Column("name", parsing.parse_text, aliases=("location", "site")),
        Column("drilled_date", parsing.parse_date, aliases=("date", "drilling_date", "date_of_drilling", "completed")),
        Column("drilling_method", _domain("drilling_method", drilling_method),
               aliases=("method", "method_of_drilling", "drilling_technique", "rig_type")),
        Column("driller", parsing.parse_text, aliases=("contractor", "drilling_agency", "agency")),
        Column("arsenic_flag", parsing.parse_quality_flag, aliases=("arsenic", "as_flag")),
        Column("fluoride_flag", parsing.parse_quality_flag, aliases=("fluoride", "f_flag")),
        Column("iron_flag", parsing.parse_quality_flag, aliases=("iron", "fe_flag")),
    ),
    "intervals": (
        Column("borehole_id", parsing.parse_text, True, aliases=_BH),
        _num("from_m", "m", True, unit="m", aliases=_FROM),
        _num("to_m", "m", True, unit="m", aliases=_TO),
        Column("lithology", parsing.parse_text, aliases=("lith", "litho", "strata", "formation", "soil_type")),
        Column("code", _domain("lithology"), aliases=("lithology_code", "is1498", "is_1498", "uscs")),
        Column("description", parsing.parse_text, aliases=("desc", "remarks", "log_description")),
        Column("aquifer", parsing.parse_bool, aliases=("is_aquifer", "aquifer_yn", "water_bearing")),
    ),
    "construction": (
        Column("borehole_id", parsing.parse_text, True, aliases=_BH),
        _num("from_m", "m", True, unit="m", aliases=_FROM),
        _num("to_m", "m", True, unit="m", aliases=_TO),
        Column("kind", _domain("construction_kind"), True, aliases=("type", "item", "component")),
        _num("slot_mm", "mm", unit="mm", aliases=("slot", "slot_size", "slot_size_mm")),
        _num("diameter_mm", "mm", unit="mm", aliases=("diameter", "dia", "dia_mm")),
        Column("material", parsing.parse_text),
    ),
}
#: Sheet names tried, normalised, when a workbook holds several tables.
SHEET_NAMES = {
    "boreholes": ("boreholes", "borehole", "wells", "collars", "bore_wells"),
    "intervals": ("intervals", "lithology", "litholog", "lithologs", "strata", "lithology_intervals"),
    "construction": ("construction", "well_construction", "construction_intervals", "casing"),
}
#: Unit words in a header that contradict the field's unit ("Depth (ft)" mapped to drilled_depth_m).
_HEADER_UNITS = {"ft": "feet", "feet": "feet", "inch": "inches", "inches": "inches", "cm": "centimetres",
                 "lps": "litres per second", "lph": "litres per hour", "gpm": "gallons per minute",
                 "km": "kilometres"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class CellError:
    row: int
    column: str
    message: str


@dataclass
class Sheet:
    """A sheet read and parsed: typed values per field, one row per data row."""

    kind: str
    label: str  # file name, plus the sheet name for workbooks
    rows: pd.DataFrame  # one column per field found, plus "_row" (spreadsheet row number)
    headers: dict[str, str]  # field -> header in the file
    unknown: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    def errors_by_row(self) -> dict[int, list[CellError]]:
        out: dict[int, list[CellError]] = {}
        for err in self.errors:
            out.setdefault(err.row, []).append(err)
        return out


def read_sheet(path: str | os.PathLike, kind: str, mapping: Mapping[str, str] | None = None,
               sheet: str | None = None) -> Sheet:
    """Read and parse a CSV or Excel sheet of *kind*; refuses (InputError) only what stops the whole sheet."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    specs = {c.name: c for c in SPECS[kind]}
    mapping = dict(mapping or {})
    for name in mapping:
        if name not in specs:
            raise InputError(f"column mapping for {kind}: '{name}' is not a field (fields: {', '.join(specs)})")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        label, raw = _excel_rows(path, kind, sheet)
    elif path.suffix.lower() == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    else:
        label, raw = path.name, _csv_rows(path)
    header_at, header = _find_header(raw, specs, mapping, label)
    headers, unknown = _match_columns(header, specs, mapping, label, kind)
    data: dict[str, list[Any]] = {name: [] for name in headers}
    rows: list[int] = []
    errors: list[CellError] = []
    index = {name: header.index(h) for name, h in headers.items()}
    cells_by_field: dict[str, list[Any]] = {name: [] for name in headers}
    for number, cells in raw[header_at + 1:]:
        if all(parsing.is_empty(c) for c in cells):
            continue
        rows.append(number)
        for name, pos in index.items():
            cells_by_field[name].append(cells[pos] if pos < len(cells) else None)
    for name, values in cells_by_field.items():
        data[name] = _parse_column(specs[name], values, rows, headers[name], errors)
    # object columns: pandas would turn [text, None] into its string dtype with NaN for the gaps
    frame = pd.DataFrame({**{k: pd.Series(v, dtype=object) for k, v in data.items()}, "_row": rows}) if rows \
        else pd.DataFrame(columns=[*headers, "_row"])
    return Sheet(kind, label, frame, headers, unknown, errors)


def _parse_column(spec: Column, values: list[Any], rows: list[int], header: str, errors: list[CellError]) -> list[Any]:
    """Parsed values of one column; unreadable cells become None plus a CellError.

    Numeric columns are converted in one go and only the cells that are not plain numbers
    (units, commas, blanks, text) go through the careful parser.
    """
    out: list[Any] = [None] * len(values)
    slow = range(len(values))
    if spec.number is not None and values:
        fast = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        plain = np.isfinite(fast) & np.array([not isinstance(v, bool) for v in values])
        out = [float(v) if ok else None for v, ok in zip(fast, plain)]
        slow = np.flatnonzero(~plain)
    for k in slow:
        try:
            out[k] = spec.parse(values[k])
        except ValueError as err:
            out[k] = None
            errors.append(CellError(rows[k], header, str(err)))
    return out


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252", errors="replace")
    if not text.strip():
        raise InputError(f"{path} is empty")
    first = text.splitlines()[0]
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    out = []
    for cells in reader:
        out.append((reader.line_num, cells))
    return out


def _excel_rows(path: Path, kind: str, sheet: str | None) -> tuple[str, list[tuple[int, list[Any]]]]:
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            f"{path}: reading Excel needs the Python package openpyxl (pip install openpyxl), or save the sheet as CSV"
        ) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise InputError(f"cannot read {path} as an Excel workbook: {err}") from None
    try:
        names = book.sheetnames
        chosen = _choose_sheet(path, names, kind, sheet)
        ws = book[chosen]
        rows = [(k + 1, list(cells)) for k, cells in enumerate(ws.iter_rows(values_only=True))]
    finally:
        book.close()
    return f"{path.name} [{chosen}]", rows


def _choose_sheet(path: Path, names: list[str], kind: str, sheet: str | None) -> str:
    if sheet:
        if sheet not in names:
            raise InputError(f"{path} has no sheet '{sheet}' (sheets: {', '.join(names)})")
        return sheet
    by_norm = {normalise_word(n): n for n in names}
    for candidate in SHEET_NAMES[kind]:
        if candidate in by_norm:
            return by_norm[candidate]
    if len(names) == 1:
        return names[0]
    raise InputError(
        f"{path}: no sheet named like {kind} (sheets: {', '.join(names)}); name the sheet "
        f"'{SHEET_NAMES[kind][0]}' or give it"
    )


def _find_header(raw: list[tuple[int, list[Any]]], specs: dict[str, Column], mapping: dict[str, str],
                 label: str) -> tuple[int, list[str]]:
    """The header is the first of the top 20 rows that names the borehole ID column (titles may sit above)."""
    wanted = {normalise_word(mapping.get("borehole_id", "borehole_id"))}
    if "borehole_id" not in mapping:
        wanted.update(specs["borehole_id"].aliases)
    for k, (_, cells) in enumerate(raw[:20]):
        names = [normalise_word(c) if c is not None else "" for c in cells]
        if wanted & set(names):
            return k, [str(c).strip() if c is not None else "" for c in cells]
    first = [str(c) for c in raw[0][1]] if raw else []
    raise InputError(
        f"{label}: no header row with a borehole ID column in the first 20 rows (first row: {', '.join(first)}); "
        "name the column borehole_id or map it (e.g. --map boreholes:borehole_id=\"Well No\")"
    )


def _match_columns(header: list[str], specs: dict[str, Column], mapping: dict[str, str], label: str,
                   kind: str) -> tuple[dict[str, str], list[str]]:
    norm = [normalise_word(h) for h in header]
    found: dict[str, str] = {}
    for name, source in mapping.items():
        key = normalise_word(source)
        if key not in norm:
            raise InputError(
                f"{label}: no column '{source}' to map to {name} (columns: {', '.join(h for h in header if h)})"
            )
        found[name] = header[norm.index(key)]
    taken = {normalise_word(h) for h in found.values()}
    for name, spec in specs.items():
        if name in found:
            continue
        for candidate in (name, *spec.aliases):
            if candidate in norm and candidate not in taken:
                found[name] = header[norm.index(candidate)]
                taken.add(candidate)
                break
    for name, spec in specs.items():
        if spec.required and name not in found:
            raise InputError(
                f"{label}: no {name} column (columns: {', '.join(h for h in header if h)}); "
                f"add it or map one with --map {kind}:{name}=COLUMN"
            )
        if name in found and spec.unit:
            for token in normalise_word(found[name]).split("_"):
                if token in _HEADER_UNITS and token != spec.unit:
                    raise InputError(
                        f"{label}: column '{found[name]}' is in {_HEADER_UNITS[token]} but {name} is stored in "
                        f"{spec.unit}; convert the column, or write the unit in each cell (e.g. '40 ft') so it is "
                        "converted"
                    )
    unknown = [h for h, n in zip(header, norm) if h and n not in taken and h not in found.values()]
    return found, unknown

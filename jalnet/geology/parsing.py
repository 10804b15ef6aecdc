"""Reading field-sheet values: numbers with units or commas, yes/no flags, dates.

Field sheets say "12.5 m", "40 ft", "12,5" or "1,250". The rules, so nothing is misread:

* a number may carry a unit of the field's kind; the unit is converted exactly
  (feet to metres, l/s to l/min); any other unit is refused, naming it;
* a comma is a decimal comma only when it is the one separator in the number and is
  not followed by exactly three digits: "12,5" and "12,50" are 12.5; "1,250" (a thousands
  separator or a decimal comma?), "1,25,000" and "1.250,5" are refused as ambiguous;
* empty cells, "-", "NA", "n/a" are empty; anything else that is not a number is refused.

A refused value raises :class:`ValueError` with a message the importer puts after the
file, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd

EMPTY = {"", "-", "--", "na", "n/a", "n.a.", "nan", "none", "null"}

#: Units accepted per kind of field, with the factor to the stored unit.
UNITS: dict[str, dict[str, float]] = {
    "m": {"": 1.0, "m": 1.0, "mtr": 1.0, "mtrs": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0,
          "mbgl": 1.0, "mbg": 1.0, "ft": 0.3048, "feet": 0.3048, "foot": 0.3048, "'": 0.3048},
    "m_elev": {"": 1.0, "m": 1.0, "mamsl": 1.0, "masl": 1.0, "mmsl": 1.0, "amsl": 1.0, "ft": 0.3048,
               "feet": 0.3048},
    "lpm": {"": 1.0, "lpm": 1.0, "l/min": 1.0, "l/m": 1.0, "lps": 60.0, "l/s": 60.0, "lph": 1 / 60, "l/h": 1 / 60,
            "m3/h": 1000 / 60, "m³/h": 1000 / 60, "m3/hr": 1000 / 60, "cum/h": 1000 / 60},
    "mm": {"": 1.0, "mm": 1.0},
    "deg": {"": 1.0, "°": 1.0, "deg": 1.0},
    "none": {"": 1.0},
}
_UNIT_WORDS = {"m": "metres", "m_elev": "metres above MSL", "lpm": "litres per minute", "mm": "millimetres",
               "deg": "decimal degrees", "none": "a plain number"}
_NUMBER = re.compile(r"^([+-]?[0-9][0-9.,]*|[+-]?[.,][0-9]+)\s*(.*)$")
_PLAIN = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$")


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return len(value) < 6 and value.strip().lower() in EMPTY
    return isinstance(value, float) and math.isnan(value)


def _number_part(text: str) -> float:
    if _PLAIN.match(text):
        return float(text)
    commas, dots = text.count(","), text.count(".")
    if commas == 1 and dots == 0:
        whole, frac = text.split(",")
        if len(frac) == 3:
            raise ValueError(f"'{text}' is ambiguous (a thousands separator or a decimal comma?); "
                             f"write {whole}{frac} or {whole}.{frac}")
        if whole.lstrip("+-") and frac:
            return float(f"{whole}.{frac}")
    if commas:
        raise ValueError(f"'{text}' is ambiguous (several separators); write a plain number such as 1250.5")
    raise ValueError(f"'{text}' is not a number")


def parse_number(value: Any, kind: str = "none") -> float | None:
    """A float in the field's unit, None for an empty cell; ValueError (with the reason) otherwise."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if _PLAIN.match(text):  # the common case, without the unit and comma rules
        return float(text)
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a number")
    number = _number_part(match.group(1))
    unit = re.sub(r"[\s.]+", "", match.group(2).lower())
    factors = UNITS[kind]
    if unit not in factors:
        accepted = ", ".join(u for u in factors if u) or "none"
        raise ValueError(f"'{text}': unit '{match.group(2).strip()}' not accepted here "
                         f"(write {_UNIT_WORDS[kind]}; units accepted: {accepted})")
    return number * factors[unit]


_TRUE = {"yes", "y", "true", "t", "1", "aquifer", "water_bearing", "water bearing", "wb"}
_FALSE = {"no", "n", "false", "f", "0", "aquitard", "aquiclude", "confining", "dry"}


def parse_bool(value: Any) -> bool | None:
    """yes/no, true/false, 1/0, aquifer/aquitard; None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{value}' is not yes/no (write yes or no)")


_FLAG = {"ok": "ok", "no": "ok", "n": "ok", "safe": "ok", "within": "ok", "within_limit": "ok", "bdl": "ok",
         "exceeds": "exceeds", "yes": "exceeds", "y": "exceeds", "high": "exceeds", "above_limit": "exceeds",
         "not_tested": "not_tested", "nt": "not_tested", "not tested": "not_tested", "untested": "not_tested"}


def parse_quality_flag(value: Any) -> str | None:
    """Water-quality flag: ok / exceeds / not_tested (yes = exceeds, no = ok, as field sheets write it)."""
    if is_empty(value):
        return None
    text = str(value).strip().lower()
    key = text.replace(" ", "_")
    if key in _FLAG:
        return _FLAG[key]
    if text in _FLAG:
        return _FLAG[text]
    raise ValueError(f"'{value}' is not a water-quality flag (write ok, exceeds or not_tested; yes means exceeds)")


def parse_date(value: Any) -> str | None:
    """ISO date text; day-first for slashed dates (Indian usage: 18/01/2021); refuses what is not a date."""
    if is_empty(value):
        return None
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    text = str(value).strip()
    iso = re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", text)
    dmy = re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$", text)
    if not (iso or dmy):
        raise ValueError(f"'{text}' is not a date (write YYYY-MM-DD or DD/MM/YYYY)")
    try:
        parsed = dt.datetime.strptime(re.sub(r"[/.]", "-", text), "%Y-%m-%d" if iso else "%d-%m-%Y")
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date (write YYYY-MM-DD or DD/MM/YYYY)") from None
    return parsed.strftime("%Y-%m-%d")


def parse_text(value: Any) -> str | None:
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()

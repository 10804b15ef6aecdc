"""Which source attribute fills which staged field, and reading the values contractors write.

Contractors name the same thing many ways ("Pipe ID", "PIPE_NO", "pipe id") and write
values as they speak ("110 mm", '4"', "HDPE pipe", "D.I.", "6 kg/cm2"). A mapping lists,
for each staged field, the source names to look for (matched without case, spaces or
punctuation); the parsers below turn the text into the registry's units and codes when
that is unambiguous, and keep the contractor's text otherwise so validation can report it.

A mapping file is JSON::

    {"fields":    {"pipe_id": ["PIPE_NO", "Line No"], "diameter_mm": "Dia"},
     "materials": {"Poly pipe": "HDPE"},
     "kinds":     {"HSC": "fhtc"},
     "columns":   {"lat": "Y_dd", "lon": "X_dd", "time": "fix_time", "track": "walk"}}

``fields`` replaces the default source names of the fields it names; ``columns`` picks the
CSV columns (see :mod:`jalnet.tracks.csvlog`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import InputError
from ..registry.schema import DOMAINS

#: Staged fields a mapping can fill, with the source names looked for by default.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "pipe_id": ("pipe_id", "pipe no", "pipe number", "pipeid", "line_id", "line no", "segment_id", "pipe_code"),
    "scheme_id": ("scheme_id", "scheme code", "scheme", "imis_id", "imis scheme id", "scheme_no"),
    "material": ("material", "pipe_material", "pipe material", "mat", "moc", "material of construction",
                 "pipe_type", "pipe type"),
    "diameter_mm": ("diameter_mm", "diameter", "dia", "dia_mm", "pipe_dia", "pipe diameter", "nominal diameter",
                    "dn", "size", "pipe_size", "dia_inch", "diameter_inch"),
    "pressure_class": ("pressure_class", "pressure class", "class", "pn", "pressure rating", "rating"),
    "laid_date": ("laid_date", "date_laid", "laid on", "laying date", "date of laying", "installation_date",
                  "installed", "date"),
    "contractor": ("contractor", "contractor name", "agency", "firm", "vendor"),
    "length_m": ("length_m", "length", "len", "pipe length", "length_mtr", "rl"),
    "asset_id": ("asset_id", "fhtc_id", "fhtc id", "valve_id", "connection_id", "tap_id", "hh_id", "point_id", "id"),
    "kind": ("kind", "asset_type", "point_type", "feature_type", "category", "type", "sym"),
    "name": ("name", "title", "label"),
    "description": ("description", "desc", "remarks", "remark", "comment", "notes", "cmt"),
}

#: Fields that come from attributes of lines and of points.
PIPE_FIELDS = ("pipe_id", "scheme_id", "material", "diameter_mm", "pressure_class", "laid_date", "contractor", "length_m")
POINT_FIELDS = ("asset_id", "scheme_id", "kind")

#: Words for each material code, after removing case, dots and hyphens ("D.I." -> "di", "u-PVC" -> "upvc").
MATERIAL_ALIASES: dict[str, str] = {
    **dict.fromkeys(("di", "ductileiron", "ductile", "dci"), "DI"),
    **dict.fromkeys(("ci", "castiron"), "CI"),
    **dict.fromkeys(("gi", "galvanisediron", "galvanizediron", "galvanised", "galvanized"), "GI"),
    **dict.fromkeys(("ms", "mildsteel"), "MS"),
    **dict.fromkeys(("pvc", "polyvinylchloride"), "PVC"),
    **dict.fromkeys(("upvc", "rpvc", "unplasticisedpvc", "unplasticizedpvc"), "UPVC"),
    **dict.fromkeys(("hdpe", "pe100", "pe80", "highdensitypolyethylene", "hdpe100", "hdpe80"), "HDPE"),
    **dict.fromkeys(("mdpe", "mediumdensitypolyethylene"), "MDPE"),
    **dict.fromkeys(("ac", "asbestoscement", "asbestos"), "AC"),
    **dict.fromkeys(("psc", "prestressedconcrete"), "PSC"),
}

#: Nominal sizes in inches as the trade says them, to DN in mm (a 4" DI pipe is DN 100, not 101.6).
INCH_TO_DN: dict[float, float] = {
    0.5: 15, 0.75: 20, 1: 25, 1.25: 32, 1.5: 40, 2: 50, 2.5: 65, 3: 80, 4: 100, 5: 125, 6: 150, 8: 200,
    10: 250, 12: 300, 14: 350, 16: 400, 18: 450, 20: 500, 24: 600, 28: 700, 30: 750, 32: 800, 36: 900, 40: 1000,
}

#: Words that make a point a valve or a tap connection (searched in kind, name, description).
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "valve": ("valve", "sv", "sluice", "gate valve", "arv", "air release", "air valve", "scour", "prv", "nrv",
              "butterfly", "non return", "washout", "bfv"),
    "fhtc": ("fhtc", "tap", "house connection", "household", "hh", "hsc", "connection", "service connection",
             "nal"),
}


def norm_key(name: object) -> str:
    """'Diameter (mm)' -> 'diametermm': how source names are compared."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _tokens(text: str) -> list[str]:
    flat = re.sub(r"(?<=\w)[.\-](?=\w)|\.", "", text.lower())
    return [t for t in re.split(r"[^\w]+", flat) if t]


@dataclass
class FieldMapping:
    """Source names per staged field, extra material and kind words, CSV column choices."""

    fields: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    materials: dict[str, str] = field(default_factory=lambda: dict(MATERIAL_ALIASES))
    kinds: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(KIND_WORDS))
    columns: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_any(cls, mapping: FieldMapping | Mapping[str, Any] | str | os.PathLike | None) -> FieldMapping:
        """The default mapping, updated by a dict or a JSON mapping file."""
        if mapping is None:
            return cls()
        if isinstance(mapping, FieldMapping):
            return mapping
        if isinstance(mapping, (str, os.PathLike)):
            return cls().updated(_load_json(str(mapping)), str(mapping))
        return cls().updated(mapping, "mapping")

    def updated(self, data: Mapping[str, Any], label: str = "mapping") -> FieldMapping:
        unknown = sorted(set(data) - {"fields", "materials", "kinds", "columns"})
        if unknown:
            raise InputError(f"{label}: unknown section(s) {', '.join(unknown)}; use fields, materials, kinds, columns")
        out = FieldMapping(dict(self.fields), dict(self.materials), dict(self.kinds), dict(self.columns))
        for target, sources in dict(data.get("fields") or {}).items():
            out.map_field(target, sources, label)
        for alias, code in dict(data.get("materials") or {}).items():
            if code not in DOMAINS["pipe_material"]:
                raise InputError(f"{label}: material '{alias}' maps to '{code}', not a material code "
                                 f"({', '.join(DOMAINS['pipe_material'])})")
            out.materials["".join(_tokens(str(alias)))] = code
        for word, kind in dict(data.get("kinds") or {}).items():
            if kind not in DOMAINS["staged_point_kind"]:
                raise InputError(f"{label}: kind word '{word}' maps to '{kind}'; use fhtc, valve or other")
            out.kinds[kind] = (*out.kinds.get(kind, ()), str(word).lower())
        for key, column in dict(data.get("columns") or {}).items():
            out.set_column(key, column, label)
        return out

    def map_field(self, target: str, sources: str | Iterable[str], label: str = "--map") -> None:
        if target not in DEFAULT_FIELDS:
            raise InputError(f"{label}: '{target}' is not a field that can be mapped (use one of "
                             f"{', '.join(DEFAULT_FIELDS)})")
        names = (sources,) if isinstance(sources, str) else tuple(str(s) for s in sources)
        if not names or not all(n.strip() for n in names):
            raise InputError(f"{label}: give a source attribute name for '{target}'")
        self.fields[target] = names

    def set_column(self, key: str, column: str, label: str = "--columns") -> None:
        from .csvlog import COLUMN_ALIASES  # the CSV reader owns the column roles

        if key not in COLUMN_ALIASES:
            raise InputError(f"{label}: '{key}' is not a CSV column role (use {', '.join(COLUMN_ALIASES)})")
        if not str(column).strip():
            raise InputError(f"{label}: give a column name for '{key}'")
        self.columns[key] = str(column).strip()

    def with_pairs(self, fields: str | Iterable[str] = (), columns: str | Iterable[str] = ()) -> FieldMapping:
        """This mapping plus 'pipe_id=PIPE_NO,diameter_mm=Dia' field pairs and 'lat=Y,lon=X' column pairs."""
        for target, source in parse_pairs(fields, "field mapping"):
            self.map_field(target, source, "field mapping")
        for role, column in parse_pairs(columns, "CSV columns"):
            self.set_column(role, column, "CSV columns")
        return self

    # -- finding and reading values ---------------------------------------------------
    def find(self, attrs: Mapping[str, str], target: str) -> tuple[str, str] | None:
        """(source name, text) of the first source name of *target* present with a value."""
        by_norm: dict[str, tuple[str, str]] = {}
        for key, value in attrs.items():
            if value is not None and str(value).strip():
                by_norm.setdefault(norm_key(key), (key, str(value).strip()))
        for source in self.fields.get(target, ()):
            hit = by_norm.get(norm_key(source))
            if hit is not None:
                return hit
        return None

    def material(self, text: str) -> str | None:
        """The material code named in *text*, when exactly one is."""
        tokens = _tokens(text)
        found = set()
        for n in (3, 2, 1):
            for i in range(len(tokens) - n + 1):
                code = self.materials.get("".join(tokens[i : i + n]))
                if code:
                    found.add(code)
        return found.pop() if len(found) == 1 else None

    def kind(self, *texts: str | None) -> str | None:
        words = " ".join(_tokens(" ".join(t for t in texts if t)))
        hits = {kind for kind, terms in self.kinds.items() if any(re.search(rf"\b{re.escape(w)}\b", words) for w in terms)}
        return hits.pop() if len(hits) == 1 else None


def parse_pairs(items: str | Iterable[str], label: str) -> list[tuple[str, str]]:
    """[('pipe_id', 'PIPE_NO'), ...] from 'pipe_id=PIPE_NO,dia=Dia' (a string or several)."""
    out = []
    for item in [items] if isinstance(items, str) else items:
        for part in item.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise InputError(f"{label} '{part.strip()}': write NAME=VALUE, several separated by commas")
            out.append((key.strip(), value.strip()))
    return out


def _load_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"mapping file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"mapping file {path} is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise InputError(f"mapping file {path}: expected a JSON object with fields/materials/kinds/columns")
    return data


# ---------------------------------------------------------------------------------------
# Values as contractors write them
# ---------------------------------------------------------------------------------------
_NUM = r"(\d+(?:[.,]\d+)?)"
_DIA_UNIT = re.compile(
    _NUM + r"\s*(mm|millimet(?:er|re)s?|cm|inch(?:es)?|in\b|\"|''|″|nb\b)|(?:dn|ø|⌀|od|dia\.?)\s*" + _NUM,
    re.IGNORECASE,
)


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def inch_to_mm(inches: float) -> float:
    return float(INCH_TO_DN.get(inches, round(inches * 25.4, 1)))


def parse_diameter(text: str, source: str = "", plain_number_ok: bool = True) -> tuple[float | None, str | None]:
    """(mm, note) from '110 mm', '4 inch', '4"', 'DN100', 'Ø 63', '90'; None when unreadable or ambiguous."""
    found = set()
    for match in _DIA_UNIT.finditer(text):
        value, unit, prefixed = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if prefixed is not None:
            found.add(_num(prefixed))
        elif unit.startswith("mm") or unit.startswith("millim") or unit == "nb":
            found.add(_num(value))
        elif unit == "cm":
            found.add(_num(value) * 10)
        else:
            found.add(inch_to_mm(_num(value)))
    if len(found) == 1:
        mm = found.pop()
        note = None if re.search(r"mm|dn|ø|⌀|nb", text, re.IGNORECASE) else f"diameter '{text}' read as {mm:g} mm"
        return mm, note
    if len(found) > 1:
        return None, f"diameter '{text}' names several sizes; not used"
    if plain_number_ok:
        try:
            value = _num(text.strip())
        except ValueError:
            return None, f"diameter '{text}' is not a size; not used"
        if "inch" in norm_key(source) or norm_key(source).endswith("in"):
            mm = inch_to_mm(value)
            return mm, f"diameter {text} (inch, from '{source}') read as {mm:g} mm"
        return value, None
    return None, None


def parse_length(text: str) -> float | None:
    match = re.fullmatch(r"\s*" + _NUM + r"\s*(m|mtrs?|metres?|meters?|rm|rmt|km|ft|feet)?\.?\s*", text, re.IGNORECASE)
    if not match:
        return None
    value, unit = _num(match.group(1)), (match.group(2) or "m").lower()
    return value * 1000 if unit == "km" else value * 0.3048 if unit in ("ft", "feet") else value


def parse_pressure_class(text: str) -> str:
    """A pressure_class code ('6 kg/cm2' -> 'PN6', 'K-7' -> 'K7'), else the text as given."""
    flat = norm_key(text.replace(".", "p"))
    match = re.fullmatch(r"(?:pn|class)?(\d+(?:p5)?)(?:kgcm2|kgfcm2|kg|bar|kgsqcm)?", flat)
    if match:
        code = "PN" + match.group(1).replace("p", ".")
        if code in DOMAINS["pressure_class"]:
            return code
    match = re.fullmatch(r"(?:class)?k(7|9)", flat)
    if match:
        return "K" + match.group(1)
    for word in ("light", "medium", "heavy"):
        if flat in (word, f"{word}class", f"class{word}"):
            return word.upper()
    return text.strip()


def parse_date(text: str) -> str | None:
    """ISO date from '2024-03-20', '20/03/2024', '20.03.2024', '20 Mar 2024' (day first, as written in India)."""
    text = text.strip()
    if not re.search(r"\d", text):
        return None
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            stamp = pd.Timestamp(text[:10])
        else:
            stamp = pd.to_datetime(text, dayfirst=True, format="mixed")
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(stamp) or not 1950 <= stamp.year <= 2100:
        return None
    return stamp.strftime("%Y-%m-%d")


def pipe_values(attrs: Mapping[str, str], name: str | None, description: str | None,
                mapping: FieldMapping) -> tuple[dict[str, Any], list[str]]:
    """Staged pipe attributes from a feature's attributes, then from its name and description."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    for target in PIPE_FIELDS:
        hit = mapping.find(attrs, target)
        if hit is None:
            continue
        source, text = hit
        if target == "diameter_mm":
            mm, note = parse_diameter(text, source)
            values[target] = mm
            notes += [note] if note else []
        elif target == "material":
            code = mapping.material(text)
            values[target] = code or text
            if code is None:
                notes.append(f"material '{text}' is not a known material; kept as given")
        elif target == "pressure_class":
            values[target] = parse_pressure_class(text)
        elif target == "laid_date":
            values[target] = parse_date(text)
            if values[target] is None:
                notes.append(f"laid date '{text}' is not a date; not used")
        elif target == "length_m":
            values[target] = parse_length(text)
            if values[target] is None:
                notes.append(f"length '{text}' is not a length; not used")
        else:
            values[target] = text
    spoken = " ".join(t for t in (name, description) if t)
    if spoken and values.get("material") is None:
        code = mapping.material(spoken)
        if code:
            values["material"] = code
            notes.append(f"material {code} taken from the name/description")
    if spoken and values.get("diameter_mm") is None:
        mm, _ = parse_diameter(spoken, plain_number_ok=False)
        if mm is not None:
            values["diameter_mm"] = mm
            notes.append(f"diameter {mm:g} mm taken from the name/description")
    if values.get("diameter_mm") is not None and not (math.isfinite(values["diameter_mm"]) and values["diameter_mm"] > 0):
        values["diameter_mm"] = None
    return values, notes


def point_values(attrs: Mapping[str, str], name: str | None, description: str | None,
                 mapping: FieldMapping) -> tuple[dict[str, Any], list[str]]:
    """kind, asset_id, scheme_id of a point; the kind from a kind field, flags, or words in the name."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    for target in ("asset_id", "scheme_id"):
        hit = mapping.find(attrs, target)
        values[target] = hit[1] if hit else None
    hit = mapping.find(attrs, "kind")
    kind = None
    if hit is not None:
        kind = hit[1].lower() if hit[1].lower() in DOMAINS["staged_point_kind"] else mapping.kind(hit[1])
    if kind is None:
        flags = [k for k, v in attrs.items() if str(v).strip().lower() in ("yes", "y", "true", "1")]
        kind = mapping.kind(*flags) or mapping.kind(name, description)
        if kind is not None:
            notes.append(f"kind '{kind}' recognised from the name, description or flags")
    values["kind"] = kind or "other"
    return values, notes

"""Registry values turned into a target field's values: code lists, types, lengths, mandatory.

Nothing is changed silently: a code outside the profile's list, a text longer than the
field, a number with more digits than allowed or an empty mandatory value is a fault for
the pre-flight report. The only changes made are the ones a profile asks for: codes
mapped, reals rounded to ``precision``, integers rounded to whole numbers, free text cut
where ``truncate`` is true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .profile import FieldSpec

# Fault kinds, in the order the report lists them.
MANDATORY = "mandatory_empty"
CODE = "code_not_in_list"
GEOMETRY = "geometry"
DUPLICATE = "duplicate_id"
TOO_LONG = "too_long"
BAD_VALUE = "bad_value"
SCHEME = "unknown_scheme"
TWICE = "duplicate_feature"

KIND_TITLES: dict[str, str] = {
    MANDATORY: "Mandatory value empty",
    CODE: "Code outside the profile's list",
    GEOMETRY: "Geometry that cannot be repaired",
    DUPLICATE: "ID not unique",
    TOO_LONG: "Value longer than the field",
    BAD_VALUE: "Value of the wrong type",
    SCHEME: "Scheme ID not in the registry's schemes",
    TWICE: "Pipe entered twice (same ends and course)",
}


@dataclass
class Converted:
    """A target column (Python values, None for empty) and the rows that cannot be exported."""

    values: pd.Series
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, kind, message)


def convert(spec: FieldSpec, raw: pd.Series, shapefile: bool) -> Converted:
    """Values of one target field from the registry (or derived/constant) values."""
    raw = raw.reset_index(drop=True)
    if spec.type == "string":
        out = _strings(spec, raw, shapefile)
    elif spec.type == "date":
        out = _dates(spec, raw)
    else:
        out = _numbers(spec, raw)
    if spec.mandatory:
        faulted = {pos for pos, _, _ in out.problems}
        for pos in np.flatnonzero(out.values.isna().to_numpy()):
            if int(pos) not in faulted:
                out.problems.append((int(pos), MANDATORY, f"{spec.name} is mandatory but empty ({spec.origin})"))
    return out


def _texts(raw: pd.Series) -> list[str | None]:
    """Values as stripped text, None for empty; each distinct value is converted once (state-scale layers
    repeat a few materials, classes and scheme IDs over a million rows)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if 2 * len(uniques) > len(raw):
        return _texts_of(raw.tolist())
    table = np.array([*_texts_of(list(uniques)), None], dtype=object)  # code -1 (empty) takes the last
    return table[codes].tolist()


def _texts_of(values: list) -> list[str | None]:
    out: list[str | None] = []
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif type(v) is str:
            out.append(v.strip() or None)
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v).strip() or None)
    return out


def _strings(spec: FieldSpec, raw: pd.Series, shapefile: bool) -> Converted:
    texts = _texts(raw)
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
    if 2 * len(uniques) > len(texts):
        values, problems = _string_values(spec, texts, shapefile)
        return Converted(pd.Series(values, dtype=object), problems)
    # a repeated value (material, class, scheme) is checked once and its verdict given to each of its rows
    values, found = _string_values(spec, list(uniques), shapefile)
    rows = pd.Series(np.arange(len(codes))).groupby(codes).apply(list).to_dict() if found else {}
    problems = sorted((pos, kind, message) for k, kind, message in found for pos in rows[k])
    return Converted(pd.Series(np.array([*values, None], dtype=object)[codes], dtype=object), problems)


def _string_values(spec: FieldSpec, texts: list[str | None], shapefile: bool
                   ) -> tuple[list[str | None], list[tuple[int, str, str]]]:
    """Each text mapped through the code list and cut or checked against the field length; (values, problems)."""
    texts = list(texts)
    problems: list[tuple[int, str, str]] = []
    limit = spec.length or 0
    codes = spec.codes
    for pos, text in enumerate(texts):
        if text is None:
            continue
        if codes is not None:
            mapped = codes.get(text)
            if mapped is None:
                problems.append((pos, CODE, f"{spec.name}: '{text}' is not in the profile's code list "
                                            f"({', '.join(codes)})"))
                texts[pos] = None
                continue
            text = texts[pos] = mapped
        if spec.truncate:
            texts[pos] = _cut(text, limit, shapefile)
        elif len(text) > limit:
            problems.append((pos, TOO_LONG, f"{spec.name}: '{_short(text)}' has {len(text)} characters, the field "
                                            f"holds {limit}"))
        elif shapefile and not text.isascii() and len(text.encode("utf-8")) > limit:
            problems.append((pos, TOO_LONG, f"{spec.name}: '{_short(text)}' takes {len(text.encode('utf-8'))} bytes "
                                            f"in UTF-8, a shapefile field of length {limit} holds {limit}; raise "
                                            "the length or leave Shapefile out"))
    return texts, problems


def _cut(text: str, limit: int, shapefile: bool) -> str:
    text = text[:limit]
    if shapefile:
        while len(text.encode("utf-8")) > limit:
            text = text[:-1]
    return text


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _numbers(spec: FieldSpec, raw: pd.Series) -> Converted:
    problems: list[tuple[int, str, str]] = []
    texts = _texts(raw)
    present = np.array([t is not None for t in texts], dtype=bool)
    numeric = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    for pos in np.flatnonzero(present & ~np.isfinite(numeric)):
        problems.append((int(pos), BAD_VALUE, f"{spec.name}: '{texts[pos]}' is not a number"))
    ok = present & np.isfinite(numeric)
    if spec.type == "integer":
        numeric = np.where(numeric < 0, np.ceil(numeric - 0.5), np.floor(numeric + 0.5))
    elif spec.precision is not None:
        numeric = np.round(numeric, spec.precision)
    if spec.length is not None:
        digits = np.where(ok, np.floor(np.log10(np.maximum(np.abs(np.trunc(np.nan_to_num(numeric))), 1))) + 1, 0)
        for pos in np.flatnonzero(ok & (digits > spec.length)):
            problems.append((int(pos), TOO_LONG, f"{spec.name}: {texts[pos]} has more than {spec.length} "
                                                 "digit(s) before the decimal point"))
    cast = int if spec.type == "integer" else float
    values = [cast(v) if good else None for v, good in zip(numeric.tolist(), ok.tolist())]
    return Converted(pd.Series(values, dtype=object), problems)


def _dates(spec: FieldSpec, raw: pd.Series) -> Converted:
    texts = _texts(raw)
    problems: list[tuple[int, str, str]] = []
    # ISO dates (all the registry holds) in one vectorised pass; a date-time keeps its date part
    head = [t[:10] if t is not None and (len(t) == 10 or t[10:11] in ("T", " ")) else t for t in texts]
    iso = pd.to_datetime(pd.Series(head, dtype=object), format="%Y-%m-%d", errors="coerce")
    values = iso.dt.strftime("%Y-%m-%d").astype(object).where(iso.notna(), None).tolist()
    for pos in np.flatnonzero(iso.isna().to_numpy() & np.array([t is not None for t in texts], dtype=bool)):
        try:  # other spellings pandas understands
            values[pos] = pd.Timestamp(texts[pos]).strftime("%Y-%m-%d")
        except (ValueError, TypeError):
            problems.append((int(pos), BAD_VALUE, f"{spec.name}: '{texts[pos]}' is not a date (YYYY-MM-DD)"))
    return Converted(pd.Series(values, dtype=object), problems)


def duplicates(values: pd.Series) -> dict[int, list[int]]:
    """Row -> the other rows sharing its (non-empty) value."""
    values = values.reset_index(drop=True)
    shared = values[values.notna() & values.duplicated(keep=False)]
    out: dict[int, list[int]] = {}
    for rows in shared.groupby(shared, sort=False).groups.values():
        rows = [int(r) for r in rows]
        for r in rows:
            out[r] = [o for o in rows if o != r]
    return out

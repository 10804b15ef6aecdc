"""Pipe roughness from material and age, through a table an engineer can edit.

Pipes rarely have a measured Hazen-Williams C. The table gives, per material, C for a
new pipe and C for an old one (the value design manuals tell engineers to use), and the
age at which a pipe counts as old; in between C falls linearly with age from the laid
date. Darcy-Weisbach (mm) and Chezy-Manning (n) values are used when a model uses those
formulas. Export the table with ``jalnet hydraulics roughness-table --out table.csv``,
edit it, and pass it back with ``--param roughness_table=table.csv``.

The defaults are typical values for Indian practice; check them against the CPHEEO
manual and local tests before design use.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError

COLUMNS = ("material", "c_new", "c_old", "old_age_years", "dw_mm", "cm_n")


@dataclass(frozen=True)
class Roughness:
    material: str
    c_new: float
    c_old: float
    old_age_years: float
    dw_mm: float
    cm_n: float


#: material code (registry domain pipe_material) -> defaults
DEFAULT_TABLE: dict[str, Roughness] = {r.material: r for r in (
    Roughness("DI", 140, 130, 30, 0.10, 0.011),
    Roughness("CI", 130, 100, 30, 0.26, 0.013),
    Roughness("GI", 120, 100, 20, 0.15, 0.012),
    Roughness("MS", 140, 110, 30, 0.10, 0.011),
    Roughness("PVC", 150, 145, 30, 0.0015, 0.009),
    Roughness("UPVC", 150, 145, 30, 0.0015, 0.009),
    Roughness("HDPE", 150, 140, 30, 0.0015, 0.009),
    Roughness("MDPE", 150, 140, 30, 0.0015, 0.009),
    Roughness("AC", 150, 120, 30, 0.03, 0.011),
    Roughness("PSC", 140, 130, 30, 0.30, 0.012),
)}
#: For pipes whose material is not recorded.
UNKNOWN = Roughness("unknown", 130, 100, 30, 0.26, 0.013)


def load_table(path: str | os.PathLike | None) -> dict[str, Roughness]:
    """The default table, or one read from a CSV with :data:`COLUMNS`."""
    if path is None:
        return dict(DEFAULT_TABLE)
    path = str(path)
    if not os.path.exists(path):
        raise InputError(f"roughness table {path} does not exist; write one with 'jalnet hydraulics roughness-table'")
    table: dict[str, Roughness] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(row for row in f if not row.startswith("#"))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"roughness table {path} lacks column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
        for n, row in enumerate(reader, 2):
            try:
                values = [float(row[c]) for c in COLUMNS[1:]]
            except (TypeError, ValueError):
                raise InputError(f"roughness table {path} line {n}: {row} has a value that is not a number") from None
            if values[0] <= 0 or values[1] <= 0 or values[2] <= 0:
                raise InputError(f"roughness table {path} line {n}: C values and the old age must be positive")
            table[row["material"].strip()] = Roughness(row["material"].strip(), *values)
    return table


def write_table(path: str | os.PathLike) -> str:
    path = str(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write("# Pipe roughness by material: Hazen-Williams C new/old, age (years) at which C reaches the old value,\n")
        f.write("# Darcy-Weisbach roughness (mm), Manning n. Typical values; check against the CPHEEO manual.\n")
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for r in DEFAULT_TABLE.values():
            writer.writerow([r.material, r.c_new, r.c_old, r.old_age_years, r.dw_mm, r.cm_n])
    return path


def roughness_for(material: str | None, laid_date: str | None, headloss: str, table: dict[str, Roughness],
                  today: dt.date) -> float:
    """Roughness in the units of *headloss* (C, mm or n) for one pipe."""
    r = table.get(material or "", UNKNOWN) if isinstance(material, str) else UNKNOWN
    if headloss == "D-W":
        return r.dw_mm
    if headloss == "C-M":
        return r.cm_n
    age = 0.0
    if isinstance(laid_date, str) and laid_date:
        try:
            age = max(0.0, (today - dt.date.fromisoformat(laid_date[:10])).days / 365.25)
        except ValueError:
            age = 0.0
    fraction = min(1.0, age / r.old_age_years) if r.old_age_years > 0 else 1.0
    return r.c_new - (r.c_new - r.c_old) * fraction


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))

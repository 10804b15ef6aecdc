"""The pipe catalogue a design chooses from: an editable CSV, one row per material, class and diameter.

The shipped ``pipes.csv`` covers HDPE PE100 (IS 4984), PVC (IS 4985) and DI K7 (IS 8329)
with indicative costs; a state passes its own file (same columns, its Schedule of Rates)
with ``--catalogue``. A bad row is refused by its line number, before anything runs.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

COLUMNS = ("material", "pressure_class", "nominal_dia_mm", "inner_dia_mm", "hw_c", "cost_inr_per_m", "max_pressure_m")
DEFAULT_PATH = Path(__file__).resolve().parent / "pipes.csv"
_NUMBERS = COLUMNS[2:]


@dataclass(frozen=True)
class Catalogue:
    """Catalogue rows as arrays (one entry per row, in file order)."""

    path: str
    material: np.ndarray
    pressure_class: np.ndarray
    nominal_dia_mm: np.ndarray
    inner_dia_mm: np.ndarray
    hw_c: np.ndarray
    cost_inr_per_m: np.ndarray
    max_pressure_m: np.ndarray

    def __len__(self) -> int:
        return len(self.material)

    def label(self, k: int) -> str:
        return f"{self.material[k]} {self.pressure_class[k]} {self.nominal_dia_mm[k]:g} mm"


def load_catalogue(path: str | os.PathLike | None = None) -> Catalogue:
    """The shipped catalogue, or *path* with the same columns; the first bad row is refused by line number."""
    path = str(path or DEFAULT_PATH)
    if not os.path.exists(path):
        raise InputError(f"pipe catalogue {path} does not exist; copy {DEFAULT_PATH} and edit it")
    values: dict[str, list] = {c: [] for c in COLUMNS}
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [(n, line) for n, line in enumerate(f, 1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"pipe catalogue {path} is empty; it needs the columns {','.join(COLUMNS)}")
    header_line, header = lines[0]
    names = [c.strip() for c in next(csv.reader([header]))]
    if tuple(names) != COLUMNS:
        raise InputError(f"pipe catalogue {path} line {header_line}: the columns must be exactly {','.join(COLUMNS)} "
                         f"(found {','.join(names)})")
    seen: dict[tuple[str, str, float], int] = {}
    for n, line in lines[1:]:
        cells = [c.strip() for c in next(csv.reader([line]))]
        where = f"pipe catalogue {path} line {n}"
        if len(cells) != len(COLUMNS):
            raise InputError(f"{where}: {len(cells)} values, need {len(COLUMNS)} ({','.join(COLUMNS)})")
        row = dict(zip(COLUMNS, cells))
        if not row["material"] or not row["pressure_class"]:
            raise InputError(f"{where}: material and pressure_class must not be empty")
        try:
            numbers = {c: float(row[c]) for c in _NUMBERS}
        except ValueError:
            bad = next(c for c in _NUMBERS if not _is_number(row[c]))
            raise InputError(f"{where}: {bad} '{row[bad]}' is not a number") from None
        for c, v in numbers.items():
            if not np.isfinite(v) or v <= 0:
                raise InputError(f"{where}: {c} must be a positive number (found {row[c]})")
        if numbers["inner_dia_mm"] > numbers["nominal_dia_mm"] * 1.2:
            raise InputError(f"{where}: inner_dia_mm {row['inner_dia_mm']} is larger than the nominal diameter "
                             f"{row['nominal_dia_mm']}; check the row")
        key = (row["material"], row["pressure_class"], numbers["nominal_dia_mm"])
        if key in seen:
            raise InputError(f"{where}: {key[0]} {key[1]} {key[2]:g} mm is already on line {seen[key]}")
        seen[key] = n
        values["material"].append(row["material"])
        values["pressure_class"].append(row["pressure_class"])
        for c in _NUMBERS:
            values[c].append(numbers[c])
    if not values["material"]:
        raise InputError(f"pipe catalogue {path} has no pipe rows under its header")
    return Catalogue(path, *(np.asarray(values[c], dtype=object if c in COLUMNS[:2] else float) for c in COLUMNS))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

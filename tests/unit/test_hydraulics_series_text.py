"""Per-step series as text: the numpy formatter writes exactly what formatting each value would."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from jalnet.hydraulics.series_text import series_array, series_arrays, series_text


def _reference(matrix: np.ndarray, decimals: int) -> list[str]:
    """One value at a time: rounded half to even like numpy, trailing zeros dropped, blank if missing."""
    out = []
    for column in np.asarray(matrix, dtype=float).T.tolist():
        parts = []
        for v in column:
            if not np.isfinite(v):
                parts.append("")
                continue
            text = f"{np.rint(v * 10**decimals) / 10**decimals:.{decimals}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            parts.append("0" if text == "-0" else text)
        out.append(",".join(parts))
    return out


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_matches_value_by_value_formatting(decimals: int) -> None:
    rng = np.random.default_rng(7)
    m = rng.normal(0, 80, (49, 300))
    m[rng.random(m.shape) < 0.05] = np.nan
    m[2] = 0.0
    m[3] = -0.0004  # rounds to zero: "0", never "-0"
    m[4, :6] = [123456.78901, -2.5, 0.05, 10.0, 99.9996, np.inf]
    m[:, 3] = np.nan  # a feature with no value at all
    got = series_text(m, decimals)
    assert len(got) == 300
    assert got == _reference(m, decimals)
    assert got[3] == "," * 48
    assert "-0," not in "," + ",".join(got) + ","


def test_exact_examples() -> None:
    m = np.array([[12.5, -3.0], [0.123456, np.nan], [-0.0001, 1000.0]])
    assert series_text(m, 2) == ["12.5,0.12,0", "-3,,1000"]
    assert series_text(m, 0) == ["12,0,0", "-3,,1000"]


def test_huge_values_fall_back_and_agree() -> None:
    m = np.array([[1e14, 2.5], [-3e13, np.nan]])
    assert series_text(m, 3) == _reference(m, 3)


def test_empty_shapes() -> None:
    assert series_text(np.zeros((0, 3)), 2) == ["", "", ""]
    assert series_text(np.zeros((4, 0)), 2) == []


def test_several_series_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(3)
    columns = {f"s{k}": (rng.normal(0, 10, (25, 40)), k % 4) for k in range(5)}
    columns["huge"] = (np.array([[1e14, np.nan], [2.5, -3.0]]), 3)  # the Python fallback
    got = series_arrays(columns)
    assert list(got) == list(columns)
    for name, (m, d) in columns.items():
        assert list(got[name]) == series_text(m, d)


def test_arrow_column_is_built_from_the_bytes() -> None:
    pa = pytest.importorskip("pyarrow")
    m = np.array([[1.5, np.nan, -2.25], [3.0, 4.0, 0.001]])
    got = series_array(m, 2)
    assert isinstance(got, pd.arrays.ArrowStringArray)
    assert pa.array(got).to_pylist() == ["1.5,3", ",4", "-2.25,0"]
    assert list(series_array(np.zeros((0, 2)), 2)) == ["", ""]


def test_without_pyarrow_the_column_is_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    m = np.array([[1.5, np.nan], [3.0, 4.0]])
    assert series_array(m, 1) == ["1.5,3", ",4"]

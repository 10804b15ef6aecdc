"""Target field values: codes, lengths (characters and shapefile bytes), numbers, dates, mandatory, duplicates."""

from __future__ import annotations

import pandas as pd

from jalnet.gatishakti.profile import FieldSpec
from jalnet.gatishakti.values import convert, duplicates


def _spec(**kw) -> FieldSpec:
    return FieldSpec(**{"name": "f", "type": "string", "path": "layers[0].fields[0]", "length": 10, **kw})


def test_codes_are_mapped_and_unlisted_codes_are_faults() -> None:
    spec = _spec(source="material", codes={"DI": "DUCTILE", "HDPE": "HDPE"}, mandatory=True)
    out = convert(spec, pd.Series(["DI", "MDPE", None, " HDPE "]), shapefile=False)
    assert out.values.tolist() == ["DUCTILE", None, None, "HDPE"]
    assert [(pos, kind) for pos, kind, _ in out.problems] == [(1, "code_not_in_list"), (2, "mandatory_empty")]


def test_lengths_count_characters_and_shapefile_bytes() -> None:
    assamese = "ভবানীপুৰ"  # 8 characters, 24 bytes in UTF-8
    spec = _spec(source="name", length=10)
    assert convert(spec, pd.Series([assamese, "x" * 11]), shapefile=False).problems[0][0] == 1
    problems = convert(spec, pd.Series([assamese, "x" * 11]), shapefile=True).problems
    assert [(pos, kind) for pos, kind, _ in problems] == [(0, "too_long"), (1, "too_long")]
    assert "24 bytes" in problems[0][2]
    cut = convert(_spec(source="name", length=10, truncate=True), pd.Series([assamese + "x", "y" * 12]),
                  shapefile=True)
    assert not cut.problems and cut.values.tolist() == [assamese[:3], "y" * 10]
    assert len(cut.values[0].encode("utf-8")) <= 10


def test_numbers_round_and_check_digits() -> None:
    integer = _spec(type="integer", source="diameter_mm", length=3)
    out = convert(integer, pd.Series([150.0, 62.5, None, "abc", 1200.0, -2.5]), shapefile=False)
    assert out.values.tolist() == [150, 63, None, None, 1200, -3]
    assert [(pos, kind) for pos, kind, _ in out.problems] == [(3, "bad_value"), (4, "too_long")]
    real = _spec(type="real", source="length_m", length=None, precision=1)
    assert convert(real, pd.Series([1027.44, 13.55, float("nan")]), shapefile=False).values.tolist() == \
        [1027.4, 13.6, None]


def test_dates_and_duplicates() -> None:
    date = _spec(type="date", source="laid_date", length=None, mandatory=True)
    out = convert(date, pd.Series(["2022-05-20", "2024-03-01T10:00:00.000Z", "garbage", "", "1 Mar 2024"]), False)
    assert out.values.tolist() == ["2022-05-20", "2024-03-01", None, None, "2024-03-01"]
    assert [(pos, kind) for pos, kind, _ in out.problems] == [(2, "bad_value"), (3, "mandatory_empty")]
    assert duplicates(pd.Series(["a", "b", "a", None, None, "c", "a"], index=[5, 6, 7, 8, 9, 10, 11])) == \
        {0: [2, 6], 2: [0, 6], 6: [0, 2]}

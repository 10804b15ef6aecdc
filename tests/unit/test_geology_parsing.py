"""Field-sheet values: numbers with units or commas are parsed exactly or refused, never misread."""

from __future__ import annotations

import pytest

from jalnet.errors import InputError
from jalnet.geology import vocabulary
from jalnet.geology.parsing import parse_bool, parse_date, parse_number, parse_quality_flag
from jalnet.registry.schema import DOMAINS


@pytest.mark.parametrize("text, kind, expected", [
    ("12.5", "m", 12.5),
    ("12.5 m", "m", 12.5),
    ("12.5m", "m", 12.5),
    ("12,5", "m", 12.5),          # one comma, no dot, not three digits after it: decimal comma
    ("12,50 m", "m", 12.5),
    (" 7 mbgl ", "m", 7.0),
    ("40 ft", "m", 40 * 0.3048),
    ("-3.2", "m", -3.2),
    ("10 lps", "lpm", 600.0),
    ("600 lpm", "lpm", 600.0),
    ("3 m3/h", "lpm", 50.0),
    ("46.87 m amsl", "m_elev", 46.87),
    ("1.5 mm", "mm", 1.5),
    (12, "m", 12.0),
    (12.25, "m", 12.25),
    ("", "m", None),
    ("-", "m", None),
    ("NA", "m", None),
])
def test_parsed(text, kind: str, expected) -> None:
    got = parse_number(text, kind)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize("text, kind, reason", [
    ("1,250", "m", "ambiguous"),          # thousands separator or decimal comma?
    ("1,250 m", "m", "ambiguous"),
    ("1,25,000", "lpm", "ambiguous"),     # Indian grouping
    ("1.250,5", "m", "ambiguous"),
    ("12 kg", "m", "unit 'kg' not accepted"),
    ("6 inch", "mm", "unit 'inch' not accepted"),
    ("12.5.3", "m", "not a number"),
    ("about 12", "m", "not a number"),
    ("dry", "lpm", "not a number"),
])
def test_refused_with_a_reason(text: str, kind: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_number(text, kind)


def test_ambiguous_comma_message_offers_both_readings() -> None:
    with pytest.raises(ValueError) as err:
        parse_number("1,250", "m")
    assert "1250" in str(err.value) and "1.250" in str(err.value)


def test_flags_booleans_dates() -> None:
    assert [parse_quality_flag(v) for v in ("yes", "no", "exceeds", "OK", "not tested", "")] == [
        "exceeds", "ok", "exceeds", "ok", "not_tested", None]
    with pytest.raises(ValueError):
        parse_quality_flag("maybe")
    assert [parse_bool(v) for v in ("yes", "No", "1", 0, "aquifer", "aquitard", "")] == [
        True, False, True, False, True, False, None]
    with pytest.raises(ValueError):
        parse_bool("sometimes")
    assert parse_date("2021-01-18") == "2021-01-18"
    assert parse_date("18/01/2021") == "2021-01-18"  # day first, as Indian sheets write it
    with pytest.raises(ValueError):
        parse_date("31/02/2021")
    with pytest.raises(ValueError):
        parse_date("Jan 2021")


def test_vocabulary_maps_field_words_and_codes() -> None:
    assert vocabulary.lithology_code("fine_sand") == "SM"
    assert vocabulary.lithology_code("Fine Sand") == "SM"
    assert vocabulary.lithology_code("cl") == "CL"
    assert vocabulary.lithology_code("pt") == "Pt"
    assert vocabulary.lithology_code("Murrum") == "weathered_rock"
    assert vocabulary.lithology_code("blackish mud") is None
    assert vocabulary.lithology_code("clay", vocabulary.parse_terms({"clay": "CI"})) == "CI"
    with pytest.raises(InputError, match="not a lithology code"):
        vocabulary.parse_terms({"clay": "XX"})


def test_every_code_has_a_style_and_every_term_a_code() -> None:
    codes = set(DOMAINS["lithology"])
    assert set(vocabulary.STYLES) == codes
    assert set(vocabulary.FIELD_TERMS.values()) <= codes
    assert {"GW", "GP", "GM", "GC", "SW", "SP", "SM", "SC", "ML", "CL", "OL", "MH", "CH", "OH", "Pt"} <= codes
    for word in ("clay", "silty_clay", "fine_sand", "medium_sand", "coarse_sand", "gravel", "sandy_clay", "top_soil"):
        assert vocabulary.lithology_code(word) in codes, word

"""Field mapping and the values contractors write: sizes, materials, classes, dates, lengths, kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jalnet.errors import InputError
from jalnet.tracks.geo import parse_degree
from jalnet.tracks.mapping import (
    FieldMapping,
    parse_date,
    parse_diameter,
    parse_length,
    parse_pairs,
    parse_pressure_class,
    pipe_values,
    point_values,
)
from jalnet.tracks.times import iso_utc, parse_times


@pytest.mark.parametrize(("text", "mm"), [
    ("110 mm", 110), ("110mm", 110), ("63", 63), ("DN100", 100), ("Ø 90", 90), ("4 inch", 100), ('4"', 100),
    ("1.5 in", 40), ("3 inches", 80), ("8 cm", 80), ("150 NB", 150), ("7 inch", 177.8),
])  # fmt: skip
def test_diameters(text: str, mm: float) -> None:
    assert parse_diameter(text, "diameter")[0] == pytest.approx(mm)


def test_diameter_unit_from_the_column_name_and_ambiguity() -> None:
    assert parse_diameter("4", "Dia (inch)")[0] == 100
    value, note = parse_diameter("110mm / 90mm", "dia")
    assert value is None and "several sizes" in note
    assert parse_diameter("big", "dia") == (None, "diameter 'big' is not a size; not used")


@pytest.mark.parametrize(("text", "code"), [
    ("HDPE pipe", "HDPE"), ("hdpe", "HDPE"), ("PE100", "HDPE"), ("uPVC", "UPVC"), ("u-PVC", "UPVC"), ("PVC", "PVC"),
    ("D.I.", "DI"), ("DI K7", "DI"), ("Ductile Iron", "DI"), ("C.I. pipe", "CI"), ("G.I.", "GI"),
    ("galvanized iron", "GI"), ("M.S.", "MS"), ("A.C.", "AC"), ("HDPE 63 mm PN6", "HDPE"),
])  # fmt: skip
def test_materials_to_codes(text: str, code: str) -> None:
    assert FieldMapping().material(text) == code


def test_ambiguous_or_unknown_material_keeps_the_text() -> None:
    mapping = FieldMapping()
    assert mapping.material("GI or DI") is None
    values, notes = pipe_values({"Material": "Poly pipe"}, None, None, mapping)
    assert values["material"] == "Poly pipe" and "not a known material" in notes[0]
    extended = FieldMapping.from_any({"materials": {"Poly pipe": "HDPE"}})
    assert pipe_values({"Material": "Poly pipe"}, None, None, extended)[0]["material"] == "HDPE"


@pytest.mark.parametrize(("text", "code"), [
    ("PN6", "PN6"), ("PN 12.5", "PN12.5"), ("6 kg/cm2", "PN6"), ("10 bar", "PN10"), ("K-9", "K9"), ("class K7", "K7"),
    ("Medium", "MEDIUM"), ("special", "special"),
])  # fmt: skip
def test_pressure_classes(text: str, code: str) -> None:
    assert parse_pressure_class(text) == code


@pytest.mark.parametrize(("text", "iso"), [
    ("2024-03-20", "2024-03-20"), ("20/03/2024", "2024-03-20"), ("20.03.2024", "2024-03-20"),
    ("20-03-2024", "2024-03-20"), ("20 Mar 2024", "2024-03-20"), ("05/04/2024", "2024-04-05"), ("March", None),
    ("31/02/2024", None), ("1900-01-01", None),
])  # fmt: skip
def test_dates_are_day_first(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_lengths() -> None:
    assert [parse_length(t) for t in ("245 m", "245", "0.25 km", "100 ft", "12 RMT", "long")] == \
        [245, 245, 250, pytest.approx(30.48), 12, None]


def test_default_names_and_overrides() -> None:
    attrs = {"Pipe ID": "P-1", "PIPE_NO": "X-9", "Dia (mm)": "90", "Scheme Code": "4010457", "Contractor": "M/s A"}
    values, _ = pipe_values(attrs, None, None, FieldMapping())
    assert values == {"pipe_id": "P-1", "scheme_id": "4010457", "diameter_mm": 90.0, "contractor": "M/s A"}
    mapping = FieldMapping().with_pairs(["pipe_id=PIPE_NO"], "lat=Y,lon=X")
    assert pipe_values(attrs, None, None, mapping)[0]["pipe_id"] == "X-9"
    assert mapping.columns == {"lat": "Y", "lon": "X"}


def test_values_from_name_and_description_when_no_attribute() -> None:
    values, notes = pipe_values({}, "BR-01", "UPVC 63 mm as laid", FieldMapping())
    assert values == {"material": "UPVC", "diameter_mm": 63.0}
    assert len(notes) == 2
    values, _ = pipe_values({}, "BR-04", "branch 4 of ward 2", FieldMapping())  # plain numbers are not sizes
    assert values == {}


def test_point_kinds() -> None:
    m = FieldMapping()
    assert point_values({}, "SV BR-01", "Sluice valve 63 mm", m)[0]["kind"] == "valve"
    assert point_values({"fhtc": "yes"}, "H-12", None, m)[0]["kind"] == "fhtc"
    assert point_values({"type": "Air release valve"}, "P", None, m)[0]["kind"] == "valve"
    assert point_values({"kind": "fhtc", "fhtc_id": "F-9"}, "x", None, m)[0] == \
        {"asset_id": "F-9", "scheme_id": None, "kind": "fhtc"}
    assert point_values({}, "Photo 12", "school gate", m)[0]["kind"] == "other"
    custom = FieldMapping.from_any({"kinds": {"HSC": "fhtc"}})
    assert point_values({}, "HSC 4", None, custom)[0]["kind"] == "fhtc"


def test_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"fields": {"pipe_id": ["Line No", "LINE"]}, "columns": {"lat": "Y_dd"}}))
    mapping = FieldMapping.from_any(path)
    assert mapping.fields["pipe_id"] == ("Line No", "LINE") and mapping.columns == {"lat": "Y_dd"}
    assert pipe_values({"LINE": "L-4"}, None, None, mapping)[0]["pipe_id"] == "L-4"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object"), ('{"field": {}}', "unknown section"),
    ('{"materials": {"poly": "PLASTIC"}}', "not a material code"), ('{"columns": {"latitude": "Y"}}', "not a CSV column"),
    ('{"kinds": {"HSC": "tap"}}', "use fhtc, valve or other"),
])  # fmt: skip
def test_bad_mapping_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        FieldMapping.from_any(path)


def test_pairs() -> None:
    assert parse_pairs(["a=b,c = d", "e=f"], "x") == [("a", "b"), ("c", "d"), ("e", "f")]
    with pytest.raises(InputError, match="write NAME=VALUE"):
        parse_pairs("pipe_id", "--map")


def test_degrees_and_times() -> None:
    assert parse_degree("26°26'28.3\"N") == pytest.approx(26.441194, abs=1e-6)
    assert parse_degree("91 25 48.1 E") == pytest.approx(91.430028, abs=1e-6)
    assert parse_degree("S 12 30") == -12.5 and parse_degree("26,44") == 26.44
    stamps = parse_times(["2024-03-19T16:30:45+05:30", "2024-03-19T11:00:45Z", "19/03/2024 16:30:45", "1710846045",
                          "", "garbage"])
    assert [iso_utc(s) for s in stamps] == ["2024-03-19T11:00:45.000Z"] * 4 + [None, None]

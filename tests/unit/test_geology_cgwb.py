"""Lithologs written the way CGWB field sheets write them: free-text strata, drilling methods, no aquifer column."""

from __future__ import annotations

from pathlib import Path

import pytest
from geology_synth import lonlat, make_registry, write_csv

from jalnet.geology import import_lithologs
from jalnet.geology.vocabulary import PERMEABLE, drilling_method, lithology_code, read_description

#: Four wells as a CGWB exploration report tabulates them (title line above the header).
WELLS = [
    ["Exploratory wells, Nalbari district (CGWB NER)"],
    ["Well No", "Longitude", "Latitude", "RL (m amsl)", "Depth drilled (m)", "SWL (mbgl)", "Discharge (lpm)",
     "Method of drilling"],
    ["EW-1", "", "", "50.2", "80", "3.9", "900", "Rotary"],
    ["EW-2", "", "", "51.0", "75", "4.4", "650", "Rotary"],
    ["EW-3", "", "", "49.8", "60", "4.1", "500", "DTH"],
    ["EW-4", "", "", "52.3", "40", "5.2", "120", "Manual"],
]
STRATA = [
    ["Well No", "Depth From (m)", "Depth To (m)", "Lithology"],
    ["EW-1", "0", "3", "Top soil"], ["EW-1", "3", "18", "Clay with kankar"],
    ["EW-1", "18", "52", "Fine to medium sand"], ["EW-1", "52", "80", "Coarse sand with gravel"],
    ["EW-2", "0", "12", "Sandy clay"], ["EW-2", "12", "75", "Medium to coarse sand"],
    ["EW-3", "0", "6", "Moorum"], ["EW-3", "6", "35", "Hard rock - granite, weathered"],
    ["EW-3", "35", "60", "Hard rock - granite"],
    ["EW-4", "0", "8", "Clayey silt"], ["EW-4", "8", "40", "Coarse sand"],
]
ASSEMBLY = [
    ["Well No", "From", "To", "Type", "Slot (mm)", "Dia (mm)"],
    ["EW-1", "0", "55", "casing", "", "200"], ["EW-1", "55", "73", "screen", "1.0", "200"],
    ["EW-2", "0", "40", "casing", "", "150"], ["EW-2", "40", "58", "screen", "1.0", "150"],
    ["EW-3", "0", "8", "casing", "", "150"], ["EW-3", "12", "30", "screen", "1.5", "150"],
    ["EW-4", "0", "20", "casing", "", "100"], ["EW-4", "20", "32", "screen", "0.75", "100"],
]


@pytest.mark.parametrize(("text", "code"), [
    ("Clay with kankar", "CH"), ("Fine to medium sand", "SP"), ("Hard rock - granite, weathered", "weathered_rock"),
    ("Hard rock - granite", "granite"), ("Medium to coarse sand", "SW"), ("fine sand", "SM"), ("Sandy clay", "SC"),
    ("Moorum", "weathered_rock"), ("Jointed gneiss", "fractured_rock"), ("Kanker", "kankar"), ("blackish mud", None),
])
def test_lexicon_reads_descriptions(text: str, code: str | None) -> None:
    assert lithology_code(text) == code


def test_lexicon_keeps_accessories() -> None:
    got = read_description("Clay with kankar")
    assert (got.main, got.accessories) == ("clay", ("kankar",))


@pytest.mark.parametrize(("text", "code"), [("Rotary", "direct_rotary"), ("DTH", "dth"), ("Percussion", "percussion"),
                                            ("Manual", "manual"), ("Rotary-cum-DTH", "rotary_dth"),
                                            ("reverse circulation", "reverse_rotary"), ("spudding", None)])
def test_drilling_methods_as_logs_write_them(text: str, code: str | None) -> None:
    assert drilling_method(text) == code


def test_cgwb_sheet_imports_without_false_errors(tmp_path: Path) -> None:
    wells = [list(r) for r in WELLS]
    for k, row in enumerate(wells[2:]):
        row[1], row[2] = (str(v) for v in lonlat((700000.0 + 300 * k, 2925000.0)))
    folder = tmp_path / "in"
    folder.mkdir()
    paths = (write_csv(folder / "wells.csv", wells), write_csv(folder / "strata.csv", STRATA),
             write_csv(folder / "assembly.csv", ASSEMBLY))
    with make_registry(tmp_path / "r.gpkg") as reg:
        result = import_lithologs(reg, *paths)
        assert result.imported == ["EW-1", "EW-2", "EW-3", "EW-4"] and result.refused == []
        assert [f for f in result.findings if f.severity != "info"] == []
        inferred = [f for f in result.findings if f.rule == "aquifer_inferred"]
        assert [f.borehole_id for f in inferred] == ["EW-1", "EW-2", "EW-3", "EW-4"]
        assert "no aquifer column" in inferred[0].message and "18–52 m (SP)" in inferred[0].message
        holes = reg.read("boreholes").set_index("borehole_id")
        assert holes["drilling_method"].tolist() == ["direct_rotary", "direct_rotary", "dth", "manual"]
        iv = reg.read("lithology_intervals").set_index("interval_id")
        assert iv.loc["EW-1:2", "logged_as"] == "Clay with kankar" and iv.loc["EW-1:2", "lithology"] == "CH"
        assert not iv.loc["EW-1:2", "aquifer"] and iv.loc["EW-1:3", "aquifer"]
        assert iv.loc["EW-3:2", "lithology"] == "weathered_rock" and iv.loc["EW-3:3", "lithology"] == "granite"
        assert set(iv.loc[iv["aquifer"].astype(bool), "lithology"]) <= PERMEABLE
        assert holes.loc["EW-1", "first_aquifer_m"] == 18.0


def test_screen_in_clay_is_still_an_error_when_aquifers_are_inferred(tmp_path: Path) -> None:
    wells = [list(r) for r in WELLS[:3]]
    wells[2][1], wells[2][2] = (str(v) for v in lonlat((700000.0, 2925000.0)))
    folder = tmp_path / "in"
    folder.mkdir()
    assembly = [ASSEMBLY[0], ["EW-1", "10", "30", "screen", "1.0", "200"]]  # 8 m of it in the clay with kankar
    paths = (write_csv(folder / "wells.csv", wells), write_csv(folder / "strata.csv", STRATA[:5]),
             write_csv(folder / "assembly.csv", assembly))
    with make_registry(tmp_path / "r.gpkg") as reg:
        result = import_lithologs(reg, *paths)
    errors = [(f.borehole_id, f.rule) for f in result.findings if f.severity == "error"]
    assert errors == [("EW-1", "screen_not_in_aquifer")]

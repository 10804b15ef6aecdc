"""Importing lithologs: whole boreholes or none, every refusal reported with file and row."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyproj
import pytest
from geology_synth import INTERVALS, borehole_rows, make_registry, write_csv, write_las, write_sheets

from jalnet.errors import InputError
from jalnet.geology import export_lithologs, import_lithologs
from jalnet.registry import content_digest, create_registry, load_layers, open_registry
from jalnet.registry.store import Batch
from jalnet.samples import sample_path

SAMPLE = sample_path("lithology")


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def rules(result) -> list[tuple[str, str]]:
    return [(f.borehole_id, f.rule) for f in result.findings]


@pytest.fixture
def reg(tmp_path: Path):
    with make_registry(tmp_path / "r.gpkg") as r:
        yield r


# -- the sample data -------------------------------------------------------------------------
def test_sample_lithologs_import_whole_and_clean(tmp_path: Path) -> None:
    holes, ivs, cons = (read_rows(SAMPLE / f) for f in ("boreholes.csv", "intervals.csv", "construction.csv"))
    with create_registry(tmp_path / "s.gpkg", crs="EPSG:32646") as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"), ["sources"])
        result = import_lithologs(reg, SAMPLE / "boreholes.csv", SAMPLE / "intervals.csv", SAMPLE / "construction.csv")
        assert result.refused == [] and result.findings == []
        assert result.counts == {"boreholes": len(holes), "lithology_intervals": len(ivs),
                                 "construction_intervals": len(cons), "geophysical_logs": 0}
        bh = reg.read("boreholes").set_index("borehole_id")
        iv = reg.read("lithology_intervals")
    # coordinates: lon/lat of the sheet, transformed independently
    to_utm = pyproj.Transformer.from_crs(4326, 32646, always_xy=True)
    for row in holes:
        x, y = to_utm.transform(float(row["longitude"]), float(row["latitude"]))
        geom = bh.geometry[row["borehole_id"]]
        assert (geom.x, geom.y) == pytest.approx((x, y), abs=0.01)
        assert bh.loc[row["borehole_id"], "drilled_depth_m"] == float(row["drilled_depth_m"])
    assert bh.loc["BH-01", "source_id"] == "SRC-01"
    assert bh.loc["BH-01", "iron_flag"] == "exceeds" and bh.loc["BH-01", "arsenic_flag"] == "ok"
    first = next(r for r in ivs if r["borehole_id"] == "BH-01" and r["aquifer"] == "yes")
    assert bh.loc["BH-01", "first_aquifer_m"] == float(first["from_m"])
    thickness = sum(float(r["to_m"]) - float(r["from_m"]) for r in ivs if r["borehole_id"] == "BH-01"
                    and r["aquifer"] == "yes")
    assert bh.loc["BH-01", "aquifer_thickness_m"] == pytest.approx(thickness)
    fine = iv[(iv["borehole_id"] == "BH-01") & (iv["logged_as"] == "fine_sand")].iloc[0]
    assert fine["lithology"] == "SM" and bool(fine["aquifer"]) and fine["interval_id"] == "BH-01:3"


# -- bad rows --------------------------------------------------------------------------------
def test_malformed_interval_row_refuses_its_borehole_and_the_rest_imports(reg, tmp_path: Path) -> None:
    intervals = [list(r) for r in INTERVALS]
    intervals[2][2] = "40.0.1"  # BH-A's second interval, spreadsheet row 3
    files = write_sheets(tmp_path / "in", intervals=intervals)
    before = reg.count("lithology_intervals")
    result = import_lithologs(reg, *files, findings_path=tmp_path / "f.csv")
    assert result.refused == ["BH-A"] and result.imported == ["BH-B"]
    [bad] = [f for f in result.findings if f.rule == "malformed_value"]
    assert bad.borehole_id == "BH-A" and "intervals.csv row 3, column to_m" in bad.message
    ids = set(reg.read("lithology_intervals")["borehole_id"])
    assert ids == {"BH-B"} and reg.count("lithology_intervals") - before == 3
    assert reg.count("construction_intervals") == 0  # BH-A's construction went with it
    rows = read_rows(tmp_path / "f.csv")
    assert list(rows[0]) == ["borehole_id", "rule", "severity", "message", "imported"]
    assert rows[0]["borehole_id"] == "BH-A" and rows[0]["imported"] == "no" and rows[0]["severity"] == "error"


def test_decimal_comma_parsed_and_ambiguous_comma_refused(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    holes[1][5] = "4,5 m"     # BH-A swl: decimal comma
    holes[2][6] = "1,250"     # BH-B yield: thousands or decimal?
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", boreholes=holes))
    assert result.imported == ["BH-A"] and result.refused == ["BH-B"]
    assert reg.read("boreholes", {"borehole_id": "BH-A"})["swl_m"].iloc[0] == 4.5
    [bad] = [f for f in result.findings if f.borehole_id == "BH-B"]
    assert "boreholes.csv row 3, column yield_lpm" in bad.message and "ambiguous" in bad.message
    assert reg.count("boreholes") == 1


def test_semicolon_sheet_with_decimal_commas(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    for row in holes[1:]:
        row[1], row[2] = row[1].replace(".", ","), row[2].replace(".", ",")  # 91,43...: more than 3 decimals
    path = write_csv(tmp_path / "b.csv", holes, delimiter=";")
    _, ivs, cons = write_sheets(tmp_path / "in")
    result = import_lithologs(reg, path, ivs, cons)
    assert result.imported == ["BH-A", "BH-B"]


def test_unknown_columns_are_named_and_ignored(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    holes[0].append("Contractor remarks")
    for row in holes[1:]:
        row.append("ok")
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", boreholes=holes))
    assert result.imported == ["BH-A", "BH-B"]
    [note] = [f for f in result.findings if f.rule == "unknown_column"]
    assert "'Contractor remarks'" in note.message and "boreholes.csv" in note.message


def test_orphan_rows_and_missing_values_are_reported(reg, tmp_path: Path) -> None:
    intervals = [list(r) for r in INTERVALS] + [["BH-Z", "0", "5", "clay", "", "no"], ["BH-B", "", "5", "clay", "", "no"]]
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", intervals=intervals))
    assert result.refused == ["BH-B"] and result.imported == ["BH-A"]
    msgs = {f.rule: f.message for f in result.findings}
    assert "intervals.csv row 8: borehole BH-Z is not in the borehole sheet" in msgs["orphan_row"]
    assert "intervals.csv row 9: from_m is empty" in msgs["missing_value"]


def test_swapped_and_missing_coordinates_refused(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    holes[1][1], holes[1][2] = holes[1][2], holes[1][1]
    holes[2][1] = ""
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", boreholes=holes))
    assert result.imported == [] and result.refused == ["BH-A", "BH-B"]
    assert ("BH-A", "bad_coordinates") in rules(result) and ("BH-B", "missing_value") in rules(result)


def test_unknown_lithology_is_stored_without_code_and_flagged(reg, tmp_path: Path) -> None:
    intervals = [list(r) for r in INTERVALS]
    intervals[1][3] = "blackish mud"
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", intervals=intervals))
    assert result.imported == ["BH-A", "BH-B"]
    row = reg.read("lithology_intervals", {"interval_id": "BH-A:1"}).iloc[0]
    assert row["lithology"] is None and row["logged_as"] == "blackish mud"
    findings = reg.read("boreholes", {"borehole_id": "BH-A"})["findings"].iloc[0]
    assert findings.startswith("unknown_lithology: interval 0–10 m: logged as 'blackish mud'")
    # a project term maps the word instead
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", intervals=intervals), replace=True,
                              terms={"blackish mud": "OH"})
    assert reg.read("lithology_intervals", {"interval_id": "BH-A:1"})["lithology"].iloc[0] == "OH"
    assert reg.read("boreholes", {"borehole_id": "BH-A"})["findings"].iloc[0] is None


def test_borehole_with_faults_is_stored_with_findings(reg, tmp_path: Path) -> None:
    cons = [["borehole_id", "from_m", "to_m", "kind", "slot_mm", "diameter_mm"],
            ["BH-A", "35", "45", "screen", "1", "150"]]  # 5 m of it in the clay
    result = import_lithologs(reg, *write_sheets(tmp_path / "in", construction=cons))
    assert result.imported == ["BH-A", "BH-B"] and result.refused == []
    assert ("BH-A", "screen_not_in_aquifer") in rules(result)
    stored = reg.read("boreholes", {"borehole_id": "BH-A"})["findings"].iloc[0]
    assert stored.startswith("screen_not_in_aquifer: screen 35–45 m: 5 m of it is outside aquifer")


# -- column mapping, Excel, LAS ------------------------------------------------------------------
def test_column_mapping_and_aliases(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    holes[0] = ["Well No", "Long", "Lat", "RL", "Depth (m)", "SWL (m bgl)", "Discharge", "Source"]
    intervals = [list(r) for r in INTERVALS]
    intervals[0] = ["Well No", "Top", "Bottom", "Strata", "Remarks", "Water bearing"]
    b = write_csv(tmp_path / "b.csv", holes)
    i = write_csv(tmp_path / "i.csv", intervals)
    columns = {"boreholes": {"borehole_id": "Well No", "collar_elev_m": "RL", "swl_m": "SWL (m bgl)",
                             "source_id": "Source"},
               "intervals": {"borehole_id": "Well No"}}
    result = import_lithologs(reg, b, i, columns=columns)
    assert result.imported == ["BH-A", "BH-B"]
    assert [f.rule for f in result.findings] == []
    bh = reg.read("boreholes").set_index("borehole_id")
    assert bh.loc["BH-A", "collar_elev_m"] == 50.0 and bh.loc["BH-A", "yield_lpm"] == 600.0
    assert bh.loc["BH-A", "drilled_depth_m"] == 60.0 and bh.loc["BH-A", "swl_m"] == 4.5
    assert reg.count("lithology_intervals") == 6


def test_mapped_column_in_other_units_is_refused(reg, tmp_path: Path) -> None:
    holes = borehole_rows()
    holes[0][4] = "Depth (ft)"
    b, i, c = write_sheets(tmp_path / "in", boreholes=holes)
    before = content_digest(reg)
    with pytest.raises(InputError, match=r"column 'Depth \(ft\)' is in feet"):
        import_lithologs(reg, b, i, c, columns={"boreholes": {"drilled_depth_m": "Depth (ft)"}})
    with pytest.raises(InputError, match="no column 'Depth' to map"):
        import_lithologs(reg, b, i, c, columns={"boreholes": {"drilled_depth_m": "Depth"}})
    assert content_digest(reg) == before


def test_excel_workbook_with_title_rows(reg, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Boreholes"
    ws.append(["Bhabanipur PWSS: exploratory drilling"])
    ws.append([])
    holes = borehole_rows()
    ws.append(holes[0])
    for row in holes[1:]:
        ws.append([row[0], float(row[1]), float(row[2]), 50.0 if row[0] == "BH-A" else "52 m", row[4], row[5],
                   float(row[6]), row[7] or None])
    lith = book.create_sheet("Lithology")
    for row in INTERVALS:
        lith.append(row)
    path = tmp_path / "field.xlsx"
    book.save(path)
    result = import_lithologs(reg, path)
    assert result.imported == ["BH-A", "BH-B"] and result.refused == []
    bh = reg.read("boreholes").set_index("borehole_id")
    assert bh.loc["BH-B", "collar_elev_m"] == 52.0 and bh.loc["BH-A", "source_file"] == "field.xlsx [Boreholes]"
    assert reg.count("lithology_intervals") == 6 and reg.count("construction_intervals") == 0


def test_las_curves_are_attached(reg, tmp_path: Path) -> None:
    files = write_sheets(tmp_path / "in")
    las = [write_las(tmp_path / "a.las", "BH-A"), write_las(tmp_path / "b.las", "BH-B", "FT")]
    result = import_lithologs(reg, *files, las_files=las)
    assert result.counts["geophysical_logs"] == 4
    logs = reg.read("geophysical_logs").set_index("log_id")
    assert logs.loc["BH-A:GR", "kind"] == "gamma" and logs.loc["BH-A:RES", "kind"] == "resistivity"
    assert logs.loc["BH-A:RES", "top_m"] == 0.0 and logs.loc["BH-A:GR", "base_m"] == 59.5
    assert logs.loc["BH-B:GR", "base_m"] == pytest.approx(59.5 * 0.3048)  # feet converted
    import json

    samples = json.loads(logs.loc["BH-A:RES", "samples"])
    assert len(samples["depth"]) == 119  # the null sample is dropped
    # a LAS file for a borehole that is nowhere is reported, not attached
    result = import_lithologs(reg, *write_sheets(tmp_path / "in2", boreholes=[borehole_rows()[0]]),
                              las_files=[write_las(tmp_path / "z.las", "BH-Z")])
    assert ("BH-Z", "las_file") in rules(result) and reg.count("geophysical_logs") == 4


# -- all or nothing ----------------------------------------------------------------------------
def test_existing_boreholes_refused_registry_untouched_then_replaced(reg, tmp_path: Path) -> None:
    files = write_sheets(tmp_path / "in")
    first = import_lithologs(reg, *files)
    before = content_digest(reg)
    again = import_lithologs(reg, *files)
    assert again.imported == [] and again.refused == ["BH-A", "BH-B"] and again.batch_id is None
    assert {r for _, r in rules(again)} == {"already_in_registry"}
    assert content_digest(reg) == before
    holes = borehole_rows()
    holes[1][6] = "650"
    replaced = import_lithologs(reg, *write_sheets(tmp_path / "in", boreholes=holes), replace=True)
    assert replaced.imported == ["BH-A", "BH-B"]
    assert reg.count("boreholes") == 2 and reg.count("lithology_intervals") == 6
    assert reg.read("boreholes", {"borehole_id": "BH-A"})["yield_lpm"].iloc[0] == 650.0
    assert first.batch_id != replaced.batch_id


def test_import_and_replace_can_be_undone(reg, tmp_path: Path) -> None:
    files = write_sheets(tmp_path / "in")
    empty = content_digest(reg, include_log=False)
    first = import_lithologs(reg, *files)
    after_first = content_digest(reg, include_log=False)
    holes = borehole_rows()
    holes[1][6] = "650"
    replaced = import_lithologs(reg, *write_sheets(tmp_path / "in", boreholes=holes), replace=True)
    reg.undo(replaced.batch_id)
    assert content_digest(reg, include_log=False) == after_first
    reg.undo(first.batch_id)
    assert content_digest(reg, include_log=False) == empty


def test_failure_while_writing_leaves_registry_untouched(reg, tmp_path: Path, monkeypatch) -> None:
    files = write_sheets(tmp_path / "in")
    before = content_digest(reg)
    original = Batch.insert

    def failing(self, layer, data, keep_fid=False):
        if layer == "construction_intervals":
            raise InputError("disk full (simulated)")
        return original(self, layer, data, keep_fid)

    monkeypatch.setattr(Batch, "insert", failing)
    with pytest.raises(InputError, match="simulated"):
        import_lithologs(reg, *files)
    assert content_digest(reg) == before  # boreholes and intervals inserted before the failure are gone


def test_whole_sheet_problems_refuse_before_writing(reg, tmp_path: Path) -> None:
    b, i, c = write_sheets(tmp_path / "in")
    with pytest.raises(InputError, match="does not exist"):
        import_lithologs(reg, tmp_path / "nope.csv", i)
    no_id = write_csv(tmp_path / "x.csv", [["well", "lon", "lat"], ["A", "91.4", "26.4"]])
    with pytest.raises(InputError, match="no header row with a borehole ID column"):
        import_lithologs(reg, no_id)
    no_lat = write_csv(tmp_path / "y.csv", [["borehole_id", "longitude"], ["A", "91.4"]])
    with pytest.raises(InputError, match="no latitude column"):
        import_lithologs(reg, no_lat)
    assert reg.count("boreholes") == 0


# -- export --------------------------------------------------------------------------------------
def test_export_round_trip(tmp_path: Path) -> None:
    def tables(r) -> dict[str, pd.DataFrame]:
        out = {}
        for name in ("boreholes", "lithology_intervals", "construction_intervals", "geophysical_logs"):
            frame = r.read(name).reset_index(drop=True)
            if name == "boreholes":
                frame["x"], frame["y"] = frame.geometry.x.round(2), frame.geometry.y.round(2)
                frame = pd.DataFrame(frame.drop(columns=["geometry"]))
            out[name] = frame.drop(columns=["source_file"], errors="ignore")
        return out

    intervals = [list(r) for r in INTERVALS]
    intervals[1][3] = "blackish mud"  # unknown words survive the round trip as unknown
    files = write_sheets(tmp_path / "in", intervals=intervals)
    with make_registry(tmp_path / "a.gpkg") as a:
        import_lithologs(a, *files, las_files=[write_las(tmp_path / "a.las", "BH-A")], terms={"clay": "CI"})
        paths = export_lithologs(a, tmp_path / "export")
        first = tables(a)
    assert {p.name for p in paths.values()} == {"boreholes.csv", "intervals.csv", "construction.csv", "BH-A.las"}
    exported = read_rows(paths["intervals"])
    assert exported[2]["lithology"] == "clay" and exported[2]["code"] == "CI"  # word and project code both kept
    with make_registry(tmp_path / "b.gpkg") as b:
        result = import_lithologs(b, paths["boreholes"], paths["intervals"], paths["construction"],
                                  las_files=[paths["las:BH-A"]])
        assert result.refused == [] and [f.rule for f in result.findings] == ["unknown_lithology"]
        second = tables(b)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, second[name], check_dtype=False, check_exact=False, atol=1e-6)


def test_reopened_registry_reads_the_same(tmp_path: Path) -> None:
    files = write_sheets(tmp_path / "in")
    with make_registry(tmp_path / "r.gpkg") as reg:
        import_lithologs(reg, *files)
    with open_registry(tmp_path / "r.gpkg", readonly=True) as reg:
        assert reg.count("boreholes") == 2 and reg.count("construction_intervals") == 4


def test_import_and_validate_on_both_stores(registry_target: str, tmp_path: Path) -> None:
    from geology_synth import CRS

    from jalnet.geology import validate_registry

    files = write_sheets(tmp_path / "in")
    with create_registry(registry_target, crs=CRS) as reg:
        result = import_lithologs(reg, *files)
        assert result.imported == ["BH-A", "BH-B"]
        assert [f.rule for f in result.findings] == ["unknown_source"]  # this registry has no sources
        found = validate_registry(reg, tmp_path / "v.csv", store=True)
        assert [(f.borehole_id, f.rule) for f in found] == [("BH-A", "unknown_source")]
        bh = reg.read("boreholes").set_index("borehole_id")
        assert bh.loc["BH-A", "findings"] == "unknown_source: source 'SRC-1' is not in the registry"
        assert bh.loc["BH-B", "first_aquifer_m"] == 12.0 and bh.loc["BH-B", "aquifer_thickness_m"] == 26.0
        iv = reg.read("lithology_intervals").set_index("interval_id")
        assert iv.loc["BH-B:2", "lithology"] == "SM" and bool(iv.loc["BH-B:2", "aquifer"])

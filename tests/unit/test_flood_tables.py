"""Critical heights and severity classes: defaults, overrides from CSV/JSON, refusals, classification."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jalnet.errors import InputError
from jalnet.flood.tables import (
    DEFAULT_CLASSES,
    classify,
    critical_heights_for,
    load_classes,
    load_critical_heights,
)


def expected_severity(depth: float, critical: float, table: list[tuple[str, float | None, float | None]]) -> str:
    """The rule written out by hand: last class whose depth or ratio bound is reached."""
    if np.isnan(depth):
        return "no_data"
    if depth <= 0:
        return "dry"
    found = "dry"
    for code, min_depth, min_ratio in table:
        if (min_depth is not None and depth >= min_depth) or (min_ratio is not None and depth >= min_ratio * critical):
            found = code
    return found


def test_default_classes_follow_the_documented_bounds() -> None:
    table = [(c.severity, c.min_depth_m, c.min_ratio) for c in DEFAULT_CLASSES]
    assert [c.severity for c in DEFAULT_CLASSES] == ["low", "moderate", "high", "extreme"]
    # PetaBencana report classes: 10-70 cm, 71-150 cm, over 150 cm
    assert [c.min_depth_m for c in DEFAULT_CLASSES] == [0.0, 0.10, 0.71, 1.51]
    depths = np.array([np.nan, 0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.71, 1.0, 1.5, 1.51, 3.0])
    for critical in (0.2, 0.3, 0.45, 1.0):
        got = classify(depths, np.full(len(depths), critical), DEFAULT_CLASSES)
        want = [expected_severity(d, critical, table) for d in depths]
        assert list(got) == want, critical
    # spot checks against the table by hand: a tap (0.3 m) in 0.35 m of water is at its critical height
    assert classify(np.array([0.35]), np.array([0.3]), DEFAULT_CLASSES)[0] == "high"
    assert classify(np.array([0.35]), np.array([1.0]), DEFAULT_CLASSES)[0] == "moderate"
    assert classify(np.array([0.65]), np.array([0.3]), DEFAULT_CLASSES)[0] == "extreme"


def test_wet_threshold_and_extent_flags() -> None:
    depth = np.array([0.04, 0.06, np.nan, np.nan])
    got = classify(depth, np.full(4, 0.3), DEFAULT_CLASSES, wet_threshold=0.05,
                   inundated=np.array([False, False, True, False]))
    assert list(got) == ["dry", "low", "unknown_depth", "no_data"]


def test_critical_heights_by_subtype_then_type() -> None:
    table = load_critical_heights()
    heights, components = critical_heights_for("pumps", pd.Series(["submersible", "centrifugal", None]), table)
    assert list(heights) == [1.0, 0.5, 0.5]
    assert components[0] == "electrical panel / starter" and components[1] == "pump motor"
    heights, _ = critical_heights_for("fhtc", pd.Series([None, None]), table)
    assert list(heights) == [0.3, 0.3]


def test_thresholds_file_overrides_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "plinths.csv"
    path.write_text("asset_type,subtype,critical_height_m,component\n"
                    "treatment_units,,1.2,raised plinth (2019 flood works)\n"
                    "tanks,OHT,2.0,\n")
    table = load_critical_heights(path)
    assert table[("treatment_units", "")].critical_height_m == 1.2
    assert table[("treatment_units", "")].component == "raised plinth (2019 flood works)"
    assert table[("tanks", "OHT")].critical_height_m == 2.0
    assert table[("tanks", "")].critical_height_m == 1.0  # default kept
    heights, _ = critical_heights_for("tanks", pd.Series(["OHT", "GSR", "MBR"]), table)
    assert list(heights) == [2.0, 0.45, 1.0]

    as_json = tmp_path / "plinths.json"
    as_json.write_text(json.dumps([{"asset_type": "fhtc", "critical_height_m": 0.5}]))
    assert load_critical_heights(as_json)[("fhtc", "")].critical_height_m == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("asset_type,critical_height_m\nwindmill,1\n", "row 1: unknown asset type 'windmill'"),
        ("asset_type,subtype,critical_height_m\npumps,diesel,1\n", "unknown pumps subtype 'diesel'"),
        ("asset_type,subtype,critical_height_m\nfhtc,x,1\n", "unknown fhtc subtype 'x'; known: none"),
        ("asset_type,critical_height_m\nvalves,-1\n", "must be a number of zero or more"),
        ("asset_type,critical_height_m\nvalves,high\n", "'high' is not a number"),
        ("asset_type,height\nvalves,1\n", "unknown column(s) height"),
    ],
)
def test_bad_thresholds_are_refused_with_the_row(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_critical_heights(path)


def test_classes_file_replaces_the_table(tmp_path: Path) -> None:
    path = tmp_path / "classes.csv"
    path.write_text("severity,label,min_depth_m,min_ratio,colour\n"
                    "wet,Wet,0,,#ffff00\n"
                    "submerged,At the critical height,,1.0,#ff0000\n")
    classes = load_classes(path)
    assert [c.severity for c in classes] == ["wet", "submerged"]
    got = classify(np.array([0.2, 0.3, 0.0]), np.array([0.3, 0.3, 0.3]), classes)
    assert list(got) == ["wet", "submerged", "dry"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("severity,min_depth_m\ndry,0.1\n", "'dry' is a fixed class"),
        ("severity,min_depth_m\nbad code,0.1\n", "must be a short code"),
        ("severity,label\nlow,Low\n", "give min_depth_m, min_ratio or both"),
        ("severity,min_depth_m\nlow,0\nlow,1\n", "appears twice"),
    ],
)
def test_bad_classes_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_classes(path)

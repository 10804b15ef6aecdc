"""The bundled contractor files of the sample scheme, checked against their truth (contractor/truth.gpkg).

Expected figures come from jalnet/data/README.md (the faults the generator put in) and from
the true alignments; the cleaned candidates must lose exactly the spikes, the standstill
clouds, and follow the true pipes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from jalnet.registry import create_registry
from jalnet.samples import sample_path
from jalnet.tracks import ImportOptions, expand_paths, import_tracks
from jalnet.tracks.demo import NOT_INPUT

#: branch -> (spikes in the file, standstill fixes, end overshoot in m) from jalnet/data/README.md
FAULTS = {"BR-01": (3, 90, 12), "BR-02": (2, 30, 15), "BR-03": (1, 0, 8), "BR-04": (2, 25, 10), "BR-05": (1, 60, 18),
          "BR-06": (2, 0, 7)}
#: Branches exported as plain KML lines, without fix times: a pause there is kept (not told from slow walking).
UNTIMED = {"BR-04"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("sample") / "reg.gpkg"
    with create_registry(path, crs="EPSG:32646") as reg:
        files = expand_paths([sample_path("contractor")], skip=NOT_INPUT)
        report = import_tracks(reg, files, options=ImportOptions(keep_fixes=True))
        yield report, reg.read("staged_pipes"), reg.read("staged_points")


@pytest.fixture(scope="module")
def truth():
    frame = pyogrio.read_dataframe(sample_path("contractor", "truth.gpkg"), layer="true_branches")
    return {r.branch_id: r.geometry for r in frame.itertuples()}


def _branch(pipes, branch: str):
    return pipes[pipes["source_ref"].str.contains(branch) | pipes["pipe_id"].fillna("").str.contains(branch)]


def test_every_sample_file_imports(imported) -> None:
    report, pipes, points = imported
    names = sorted(Path(p).name for p in expand_paths([sample_path("contractor")], skip=NOT_INPUT))
    assert sorted(f.name for f in report.files) == names
    assert report.exit_code == 0 and not report.refused
    for f in report.files:
        assert f.points_read == f.points_kept + sum(f.points_dropped.values()), f.name
        assert f.features_kept == f.features_read, f.name
    # 6 branches (BR-02 split at its 26-minute gap) + the duplicate re-walk in the CSV log
    assert len(pipes) == 8
    # 2 sluice valves (GPX waypoints) + 7 + 9 tap connections (KML points)
    assert points["kind"].value_counts().to_dict() == {"fhtc": 16, "valve": 2}


@pytest.mark.parametrize("branch", sorted(FAULTS))
def test_sample_branch_is_cleaned_onto_its_truth(imported, truth, branch: str) -> None:
    _, pipes, _ = imported
    spikes, standstill, overshoot = FAULTS[branch]
    cands = _branch(pipes, branch)
    assert len(cands) == (2 if branch == "BR-02" else 1)
    dropped: dict[str, int] = {}
    for text in cands["dropped"]:
        for k, v in json.loads(text).items():
            dropped[k] = dropped.get(k, 0) + v
    assert dropped.get("spike", 0) == spikes
    if branch in UNTIMED:
        assert "standstill" not in dropped
    else:
        assert standstill - 1 <= dropped.get("standstill", 0) <= standstill + 20
    true_line = truth[branch]
    cleaned = shapely.union_all(cands.geometry.values)
    vertices = shapely.points(shapely.get_coordinates(cleaned))
    dist = shapely.distance(vertices, true_line)
    # along the whole line (a point every metre), not at its vertices: a walk fitted as straight
    # runs between its bends has few vertices, half of them at its (overshot) ends
    along_line = shapely.distance(shapely.points(shapely.get_coordinates(shapely.segmentize(cleaned, 1.0))), true_line)
    assert np.median(along_line) < 4.5  # correlated 3-5 m GPS noise
    assert dist.max() < overshoot + 10  # every spike (>= 55 m off) is gone; only the walked overshoot remains
    assert cleaned.length == pytest.approx(true_line.length, rel=0.10)
    # the true pipe is covered: within 12 m of the candidates except the unlogged 37 m of BR-02
    along = shapely.line_interpolate_point(true_line, np.linspace(0, true_line.length, 200))
    covered = shapely.distance(along, cleaned) < 12.0
    assert covered.mean() > (0.88 if branch == "BR-02" else 0.97)


def test_sample_attributes_come_through_the_mapping(imported) -> None:
    _, pipes, _ = imported
    br04 = _branch(pipes, "BR-04").iloc[0]
    assert (br04["pipe_id"], br04["material"], br04["diameter_mm"], br04["laid_date"], br04["scheme_id"]) == \
        ("WO117/BR-04", "HDPE", 63.0, "2024-03-20", "4010457")
    assert "ভবানীপুৰ" in br04["source_ref"]
    br05 = _branch(pipes, "BR-05").iloc[0]  # SchemaData/SimpleData on a gx:Track
    assert br05["pipe_id"] == "WO121/BR-05" and br05["diameter_mm"] == 63.0
    br01 = _branch(pipes, "BR-01").iloc[0]  # GPX: from the track description "UPVC 63 mm as laid"
    assert (br01["material"], br01["diameter_mm"], br01["geom_source"]) == ("UPVC", 63.0, "gps_track")


def test_csv_duplicate_walk_spikes_by_speed_and_accuracy(imported) -> None:
    """gps_log.csv: two spikes, one reporting 36.7 m accuracy (dropped for it), one 15.6 m (a speed spike)."""
    report, pipes, _ = imported
    csv = next(f for f in report.files if f.name == "gps_log.csv")
    assert csv.points_dropped["low_accuracy"] == 1 and csv.points_dropped["spike"] == 1
    fixes = csv.fixes[0]
    assert fixes.accuracy[fixes.reason == "low_accuracy"].tolist() == [36.7]
    assert fixes.accuracy[fixes.reason == "spike"].tolist() == [15.6]
    row = pipes[pipes["source_file"] == "gps_log.csv"].iloc[0]
    assert row["accuracy_m"] == pytest.approx(float(np.median(fixes.accuracy)))

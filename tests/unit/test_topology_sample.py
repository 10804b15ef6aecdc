"""The sample scheme's contractor files: import, clean, snap, validate into one clean connected network."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from jalnet.demo import DemoContext, sample_crs
from jalnet.registry import create_registry, load_layers, open_registry
from jalnet.samples import DATA_DIR, sample_path
from jalnet.topology import run_demo_loop
from jalnet.topology.findings import LINE_LAYER, POINT_LAYER

pytestmark = pytest.mark.skipif(not (DATA_DIR / "contractor" / "truth.gpkg").exists(),
                                reason="sample data not generated (python scripts/make_sample_data.py)")


@pytest.fixture(scope="module")
def looped(tmp_path_factory: pytest.TempPathFactory):
    from jalnet.tracks import expand_paths, import_tracks

    out = tmp_path_factory.mktemp("loop")
    path = str(out / "registry.gpkg")
    with create_registry(path, crs=sample_crs()) as reg:
        load_layers(reg, sample_path("sample_scheme.gpkg"))
        before = reg.read("pipes")
    report = import_tracks(path, expand_paths([sample_path("contractor")], skip=("truth.gpkg",)))
    ctx = DemoContext(out, path, None)
    snapped, result = run_demo_loop(ctx, report.batch_id)
    return ctx, snapped, result, before


def test_no_errors_left(looped) -> None:
    _, snapped, result, _ = looped
    assert result.counts["error"] == 0, result.findings[["rule", "message"]].to_string()
    assert snapped.counts["rejected"] == 0


def test_one_connected_part_per_scheme(looped) -> None:
    ctx, _, _, _ = looped
    with open_registry(ctx.registry, readonly=True) as reg:
        pipes = reg.read("pipes")
    for scheme, group in pipes.groupby("scheme_id"):
        g = nx.Graph()
        for line in group.geometry:
            a, b = np.round(line.coords[0], 3), np.round(line.coords[-1], 3)
            g.add_edge(tuple(a), tuple(b))
        assert nx.number_connected_components(g) == 1, scheme
    assert pipes["scheme_id"].notna().all()


def test_every_branch_joins_where_it_was_laid(looped) -> None:
    ctx, snapped, _, before = looped
    truth = pyogrio.read_dataframe(sample_path("contractor", "truth.gpkg"))
    with open_registry(ctx.registry, readonly=True) as reg:
        pipes = reg.read("pipes").set_index("pipe_id")
        staged = reg.read("staged_pipes")
        junctions = reg.read("junctions").set_index("node_id")
    old = before.set_index("pipe_id")
    for branch in truth.itertuples():
        rows = staged[staged["name"].fillna("").str.contains(branch.branch_id)]
        assert len(rows), branch.branch_id
        first = rows.sort_values("source_ref").iloc[0]
        new = pipes.loc[first["result_pipe_id"]]
        start = junctions.loc[new.from_node].geometry
        if branch.attach_kind in ("end", "node"):
            assert new.from_node == branch.attach_to, branch.branch_id
        else:  # a tee: the start junction lies on the pipe it was laid from, as that pipe was drawn before
            assert old.loc[branch.attach_to].geometry.distance(start) < 0.01, branch.branch_id
        # and snapping kept the line as close to the true one as the cleaned track was
        tracks = shapely.get_parts(shapely.union_all(rows.geometry.values))
        assert offset(new.geometry, branch.geometry) < min(offset(g, branch.geometry) for g in tracks) + 1.0
        assert offset(new.geometry, branch.geometry) < 10.0, branch.branch_id


def offset(line: shapely.Geometry, truth: shapely.Geometry) -> float:
    """Mean distance of a line from the true line, sampled every 2 m along it (not at its vertices: a
    simplified line keeps few vertices, and they sit where it bends most)."""
    return float(np.mean(shapely.distance(shapely.points(shapely.get_coordinates(shapely.segmentize(line, 2.0))),
                                          truth)))


def test_the_rewalked_pipe_is_conflated_not_added(looped) -> None:
    ctx, snapped, _, before = looped
    log = pd.read_csv(sample_path("contractor", "gps_log.csv"))
    points = gpd.GeoSeries(gpd.points_from_xy(log["longitude"], log["latitude"]), crs=4326).to_crs(sample_crs())
    walk = shapely.linestrings(shapely.get_coordinates(points.values))
    nearest = before.iloc[int(np.argmin(shapely.hausdorff_distance(before.geometry.values, walk)))]["pipe_id"]
    rows = snapped.candidates[snapped.candidates["state"] == "conflated"]
    assert list(rows["result_pipe_id"]) == [nearest]


def test_pieces_of_the_walk_with_a_lost_fix_make_one_pipe(looped) -> None:
    _, snapped, _, _ = looped
    pieces = snapped.candidates[snapped.candidates["message"].str.contains("piece", na=False)]
    assert len(pieces) == 2 and pieces["result_pipe_id"].nunique() == 1


def test_outputs_written_and_handed_to_the_demo(looped) -> None:
    ctx, _, result, _ = looped
    layers = {name for name, _ in pyogrio.list_layers(ctx.out_dir / "errors.gpkg")}
    assert {POINT_LAYER, LINE_LAYER, "rules", "validation_run", "layer_styles"} <= layers
    html = (ctx.out_dir / "data_health.html").read_text(encoding="utf-8")
    assert "Data health" in html and "4010457" in html
    csv = (ctx.out_dir / "data_health.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("scheme_id")
    assert any(re.search(r"errors\.gpkg\|layername=findings_points", p[0]) for p in ctx.project_layers)
    assert [s.title for s in ctx.sections] == ["Contractor pipes snapped into the network", "Network validation"]
    assert any(line.startswith("validation: 0 errors") for line in ctx.outputs)
    assert Path(ctx.registry).exists()


def test_contractor_taps_and_valves_become_assets(looped) -> None:
    ctx, snapped, _, before = looped
    with open_registry(ctx.registry, readonly=True) as reg:
        points = reg.read("staged_points")
        fhtc = reg.read("fhtc").set_index("fhtc_id")
        valves = reg.read("valves").set_index("valve_id")
        pipes = reg.read("pipes").set_index("pipe_id")
        junctions = reg.read("junctions").set_index("node_id")
    assert len(points) == 18 and set(points["state"]) == {"added"}
    assert snapped.point_counts == {"points_added": 18, "points_conflated": 0, "points_rejected": 0}
    for row in points.itertuples():
        found = re.search(r"added as (tap connection|valve) (\S+)", row.message)
        frame = fhtc if row.kind == "fhtc" else valves
        assert found and found.group(2) in frame.index, row.message
        asset = frame.loc[found.group(2)]
        pipe = pipes.loc[asset["pipe_id"]]
        assert pipe.geometry.distance(asset.geometry) < (40.0 if row.kind == "fhtc" else 0.01)
        if row.kind == "valve" and "split there" in row.message:  # split at a new junction under the valve
            node = pipes.loc[asset["pipe_id"], "to_node"]
            assert junctions.loc[node].geometry.distance(asset.geometry) < 0.01
            assert (pipes["to_node"] == node).sum() == 1 and (pipes["from_node"] == node).sum() == 1
    assert len(fhtc) == 430 + 16 and len(valves) == 17 + 2

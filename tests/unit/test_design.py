"""Least-cost pipe design: optimality against exhaustive enumeration, EPANET, apply/undo, bad input."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

pytest.importorskip("wntr")

from jalnet.cli import main  # noqa: E402
from jalnet.design import design_scheme, load_catalogue  # noqa: E402
from jalnet.design.lp import Tree, hw_gradient  # noqa: E402
from jalnet.errors import InputError  # noqa: E402
from jalnet.registry import create_registry, open_registry  # noqa: E402
from jalnet.registry.store import content_digest  # noqa: E402

X0, Y0 = 500_000.0, 2_930_000.0
CATALOGUE = """material,pressure_class,nominal_dia_mm,inner_dia_mm,hw_c,cost_inr_per_m,max_pressure_m
HDPE,PN6,63,58.0,140,140,60
HDPE,PN6,90,83.0,140,230,60
HDPE,PN6,110,101.4,140,310,60
HDPE,PN6,160,147.6,140,570,60
"""

#: (name, nodes {id: (x, y, elevation, taps)}, pipes [(id, from, to)], source head)
TREES = [
    ("Y", {"A": (400, 0, 50.0, 40), "B": (800, 300, 52.0, 60), "C": (800, -300, 49.0, 80),
           "D": (1200, 300, 53.0, 30)},
     [("P1", "SRC", "A"), ("P2", "A", "B"), ("P3", "A", "C"), ("P4", "B", "D")], 70.0),
    ("CHAIN", {"A": (300, 0, 48.0, 30), "B": (700, 0, 50.0, 50), "C": (1100, 0, 51.0, 40),
               "D": (1100, 400, 54.0, 60), "E": (1500, 0, 50.0, 70)},
     [("P1", "SRC", "A"), ("P2", "A", "B"), ("P3", "B", "C"), ("P4", "C", "D"), ("P5", "C", "E")], 72.0),
]


def tree_registry(path: Path, nodes: dict, pipes: list, head: float, scheme: str = "T1") -> str:
    crs = 32646

    def pt(name: str, dx: float = 0.0, dy: float = 0.0) -> Point:
        x, y = (0.0, 0.0) if name == "SRC" else nodes[name][:2]
        return Point(X0 + x + dx, Y0 + y + dy)

    with create_registry(path, crs=f"EPSG:{crs}", overwrite=True) as reg, reg.batch("test", "tree") as b:
        b.insert("schemes", pd.DataFrame([{"scheme_id": scheme, "name": "tree", "lpcd": 55.0, "supply_hours": 24.0}]))
        b.insert("sources", gpd.GeoDataFrame({"source_id": [f"{scheme}-SRC"], "scheme_id": scheme,
                                              "source_type": "spring", "head_m": [head], "status": "in_service"},
                                             geometry=[pt("SRC")], crs=crs))
        b.insert("junctions", gpd.GeoDataFrame(
            {"node_id": [f"{scheme}-{n}" for n in nodes], "scheme_id": scheme, "node_type": "junction",
             "elevation_m": [v[2] for v in nodes.values()]}, geometry=[pt(n) for n in nodes], crs=crs))
        b.insert("pipes", gpd.GeoDataFrame(
            [{"pipe_id": f"{scheme}-{p}", "scheme_id": scheme, "material": "HDPE", "diameter_mm": 110.0,
              "from_node": f"{scheme}-{a}", "to_node": f"{scheme}-{z}", "status": "in_service",
              "geom_source": "design", "pipe_function": "distribution"} for p, a, z in pipes],
            geometry=[LineString([pt(a), pt(z)]) for _, a, z in pipes], crs=crs))
        taps = [{"fhtc_id": f"{scheme}-F{n}{k}", "scheme_id": scheme, "persons": 5, "status": "functional",
                 "geometry": pt(n, 5.0, 5.0 + k * 0.1)} for n, v in nodes.items() for k in range(v[3])]
        b.insert("fhtc", gpd.GeoDataFrame(taps, geometry="geometry", crs=crs))
    return str(path)


def enumerate_single_diameters(result, min_head: float) -> float:
    """The cheapest design with one catalogue diameter per pipe meeting the minimum head, by trying them all."""
    net, cat, flows = result.net, result.catalogue, result.flows_lps
    n = len(net.pipe_names)
    tree = Tree(net)
    best = np.inf
    for combo in itertools.product(range(len(cat)), repeat=n):
        rows = np.array(combo)
        vel = np.abs(flows) / 1000.0 / (np.pi / 4 * (cat.inner_dia_mm[rows] / 1000.0) ** 2)
        if np.any(vel > result.max_velocity_ms):
            continue
        losses = hw_gradient(flows, cat.inner_dia_mm[rows], cat.hw_c[rows]) * net.length_m * np.sign(flows)
        if np.all(tree.heads(losses) - net.elevation >= min_head - 1e-9):
            best = min(best, float(np.sum(cat.cost_inr_per_m[rows] * net.length_m)))
    return best


@pytest.mark.parametrize("name,nodes,pipes,head", TREES, ids=[t[0] for t in TREES])
def test_lp_optimum_never_worse_than_every_single_diameter_design_and_epanet_agrees(tmp_path, name, nodes, pipes,
                                                                                      head) -> None:
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    cat_path = tmp_path / "cat.csv"
    cat_path.write_text(CATALOGUE)
    result = design_scheme(reg, "T1", catalogue=cat_path, min_head=7.0)
    assert not result.heuristic
    best = enumerate_single_diameters(result, 7.0)
    assert np.isfinite(best)
    assert result.cost_inr <= best + 1e-6
    # every node meets the minimum head in EPANET, which agrees with the design
    assert (result.nodes["epanet_pressure_m"] >= 7.0 - 1e-3).all()
    assert result.check_max_diff_m <= 0.05
    # branched flows are the demands beyond each pipe: the first pipe carries everything
    assert result.flows_lps[0] == pytest.approx(result.net.demand_lps.sum())
    assert result.hand.cost_inr >= result.cost_inr - 1e-6
    # segment lengths add up to each pipe
    per_pipe = result.pipes.groupby("pipe_id")["length_m"].sum()
    for pid, length in zip(result.net.pipe_ids, result.net.length_m):
        assert per_pipe[pid] == pytest.approx(length, abs=0.02)


def test_split_pipes_beat_the_best_single_diameter_design(tmp_path) -> None:
    _, nodes, pipes, head = TREES[1]
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    cat_path = tmp_path / "cat.csv"
    cat_path.write_text(CATALOGUE)
    result = design_scheme(reg, "T1", catalogue=cat_path, min_head=7.0)
    best = enumerate_single_diameters(result, 7.0)
    assert result.cost_inr < best - 1.0
    assert result.pipes["segment"].max() >= 2  # some pipe is made of two diameters


def test_design_writes_layers_boq_and_report_and_cli_prints_the_saving(tmp_path, capsys) -> None:
    _, nodes, pipes, head = TREES[0]
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    out = tmp_path / "d.gpkg"
    assert main(["-q", "hydraulics", "design", "--registry", reg, "--scheme", "T1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "saving Rs" in text and "conventional hand method" in text
    design_pipes = gpd.read_file(out, layer="design_pipes")
    assert {"pipe_id", "segment", "length_m", "material", "pressure_class", "nominal_dia_mm", "inner_dia_mm",
            "cost_inr", "flow_lps", "velocity_ms", "headloss_m"} <= set(design_pipes.columns)
    nodes_layer = gpd.read_file(out, layer="design_nodes")
    assert {"node_id", "demand_lps", "head_m", "min_head_m", "pressure_m"} <= set(nodes_layer.columns)
    boq = pd.read_csv(tmp_path / "d_boq.csv")
    assert boq.iloc[-1]["material"] == "TOTAL"
    assert boq.iloc[-1]["cost_inr"] == pytest.approx(design_pipes["cost_inr"].sum(), rel=1e-3)
    html = (tmp_path / "d_report.html").read_text()
    assert "Longitudinal profile of the critical path" in html and html.count("data:image/png") == 2


def test_shipped_catalogue_covers_the_standards() -> None:
    cat = load_catalogue()
    found = {(m, c) for m, c in zip(cat.material, cat.pressure_class)}
    assert {("HDPE", "PN6"), ("HDPE", "PN8"), ("HDPE", "PN10"), ("DI", "K7")} <= found
    assert any(m == "PVC" for m, _ in found)
    assert (cat.inner_dia_mm < cat.nominal_dia_mm + 10).all()
    # HDPE PE100 PN 6 is SDR 26: 110 mm has a 4.3 mm minimum wall
    k = next(i for i in range(len(cat)) if cat.material[i] == "HDPE" and cat.pressure_class[i] == "PN6"
             and cat.nominal_dia_mm[i] == 110)
    assert cat.inner_dia_mm[k] == pytest.approx(110 - 2 * 4.3)


@pytest.mark.parametrize("row,message", [
    ("HDPE,PN6,63,58.0,140,abc,60", "line 3: cost_inr_per_m 'abc' is not a number"),
    ("HDPE,PN6,63,58.0,140,140", "line 3: 6 values"),
    ("HDPE,PN6,63,58.0,140,-5,60", "line 3: cost_inr_per_m must be a positive number"),
    ("HDPE,PN6,63,58.0,140,150,60", "line 3: HDPE PN6 63 mm is already on line 2"),
])
def test_a_bad_catalogue_row_is_refused_by_line_number(tmp_path, row, message) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(CATALOGUE.splitlines()[0] + "\n" + CATALOGUE.splitlines()[1] + "\n" + row + "\n")
    with pytest.raises(InputError, match=message):
        load_catalogue(path)


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys) -> None:
    _, nodes, pipes, head = TREES[0]
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    small = tmp_path / "small.csv"
    small.write_text(CATALOGUE.splitlines()[0] + "\nHDPE,PN6,20,16.0,140,50,60\n")
    cases = [
        (["--min-head", "40"], "stays"),  # a node below the minimum head even with the largest diameter
        (["--catalogue", str(small)], "no diameter of catalogue"),
    ]
    for extra, words in cases:
        out = tmp_path / "x.gpkg"
        code = main(["-q", "hydraulics", "design", "--registry", reg, "--scheme", "T1", "--out", str(out), *extra])
        err = capsys.readouterr().err
        assert code == 2
        assert words in err and len(err.strip().splitlines()) == 1
        assert not list(tmp_path.glob("x*"))
    err_node = None
    try:
        design_scheme(reg, "T1", min_head=40.0)
    except InputError as e:
        err_node = str(e)
    assert err_node is not None and "node T1-D stays" in err_node and "m below the minimum head" in err_node


def test_no_source_and_a_disconnected_node_are_refused(tmp_path) -> None:
    _, nodes, pipes, head = TREES[0]
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    with open_registry(reg) as r, r.batch("test", "no head") as b:
        b.update("sources", int(r.read("sources").index[0]), {"head_m": None})
    with pytest.raises(InputError, match="head_m"):
        design_scheme(reg, "T1")
    reg2 = tree_registry(tmp_path / "reg2.gpkg", nodes, [p for p in pipes if p[0] != "P4"], head)
    with pytest.raises(InputError, match="T1-D"):
        design_scheme(reg2, "T1")


def test_sample_scheme_apply_and_undo_restore_the_registry_exactly(tmp_path) -> None:
    from jalnet.demo import sample_crs
    from jalnet.registry import load_layers
    from jalnet.samples import sample_path

    reg = str(tmp_path / "reg.gpkg")
    with create_registry(reg, crs=sample_crs(), overwrite=True) as r:
        load_layers(r, sample_path("sample_scheme.gpkg"), tool="test")
        before = content_digest(r, include_log=False)
    dem = str(sample_path("dem.tif"))
    result = design_scheme(reg, "4010457", dem=dem, apply=True)
    assert result.heuristic and "heuristic" in result.notes[0]  # the sample has loops
    assert (result.nodes["epanet_pressure_m"] >= result.min_head_m - 1e-3).all()
    assert result.cost_inr < result.hand.cost_inr
    split = result.pipes.groupby("pipe_id")["segment"].max()
    split = split[split > 1]
    assert len(split)
    with open_registry(reg) as r:
        pipes = r.read("pipes")
        junctions = r.read("junctions")
        pid = split.index[0]
        assert f"{pid}-2" in set(pipes["pipe_id"])
        assert (junctions.loc[junctions["node_id"] == f"{pid}-R1", "node_type"] == "reducer").all()
        first = pipes[pipes["pipe_id"] == pid].iloc[0]
        assert first["to_node"] == f"{pid}-R1"
        # the applied network is designed again to the same cost (no further splits needed)
    again = design_scheme(reg, "4010457", dem=dem)
    assert again.cost_inr == pytest.approx(result.cost_inr, rel=0.01)
    with open_registry(reg) as r:
        assert content_digest(r, include_log=False) != before
        r.undo(result.batch_id)
        assert content_digest(r, include_log=False) == before


def test_the_shipped_catalogue_file_is_what_the_docs_say(tmp_path) -> None:
    src = Path(load_catalogue().path)
    copy = tmp_path / "pipes.csv"
    shutil.copy(src, copy)
    header = [line for line in copy.read_text().splitlines() if not line.startswith("#")][0]
    assert header == "material,pressure_class,nominal_dia_mm,inner_dia_mm,hw_c,cost_inr_per_m,max_pressure_m"
    assert "Schedule of Rates" in copy.read_text()


def test_epanet_disagreement_fails_loudly_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:
    _, nodes, pipes, head = TREES[0]
    reg = tree_registry(tmp_path / "reg.gpkg", nodes, pipes, head)
    monkeypatch.setattr("jalnet.design.check.TOLERANCE_M", -1.0)  # any difference at all now counts
    out = tmp_path / "x.gpkg"
    assert main(["-q", "hydraulics", "design", "--registry", reg, "--scheme", "T1", "--out", str(out)]) == 3
    assert "EPANET disagrees with the design" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*"))


def test_a_real_looped_network_is_designed_within_the_norms_and_below_the_hand_method(tmp_path) -> None:
    """EPANET's Net1 (3 loops, a pumped tank; tests/data/Net1.inp) as imported into a registry."""
    from jalnet.hydraulics import import_inp

    reg = str(tmp_path / "net1.gpkg")
    create_registry(reg, crs="EPSG:32646", overwrite=True).close()
    import_inp(str(Path(__file__).resolve().parents[1] / "data" / "Net1.inp"), reg, crs="EPSG:32646", scheme="NET1")
    result = design_scheme(reg, "NET1", min_head=7.0)
    assert result.heuristic and len(result.net.loops) == 3
    assert (result.nodes["epanet_pressure_m"] >= 7.0 - 1e-3).all() and result.check_max_diff_m <= 0.05
    assert result.hand.feasible and result.cost_inr <= result.hand.cost_inr


def test_a_real_network_made_branched_is_solved_exactly(tmp_path) -> None:
    """Net1 with the three loop-closing pipes taken out: the tank feeds a real branched layout (9 pipes, its
    real lengths, elevations and demands); 3^9 single-diameter designs are tried against the LP."""
    from jalnet.hydraulics import import_inp

    reg = str(tmp_path / "net1.gpkg")
    create_registry(reg, crs="EPSG:32646", overwrite=True).close()
    import_inp(str(Path(__file__).resolve().parents[1] / "data" / "Net1.inp"), reg, crs="EPSG:32646", scheme="NET1")
    with open_registry(reg) as r, r.batch("test", "branched") as b:
        pipes = r.read("pipes")
        b.delete("pipes", pipes.index[pipes["pipe_id"].isin(["112", "113", "122"])].tolist())
    cat = tmp_path / "di.csv"
    cat.write_text("material,pressure_class,nominal_dia_mm,inner_dia_mm,hw_c,cost_inr_per_m,max_pressure_m\n"
                   "DI,K7,150,155.0,130,2600,250\nDI,K7,250,257.6,130,4700,250\nDI,K7,350,360.0,130,7200,250\n")
    result = design_scheme(reg, "NET1", catalogue=cat, min_head=7.0)
    assert not result.heuristic and len(result.net.pipe_names) == 9
    best = enumerate_single_diameters(result, 7.0)
    assert np.isfinite(best) and result.cost_inr <= best + 1e-6
    assert (result.nodes["epanet_pressure_m"] >= 7.0 - 1e-3).all() and result.check_max_diff_m <= 0.05

"""Real EPANET networks into the registry and back: simulating the same as the original .inp.

The reference is the original file run by the EPANET toolkit itself (not through WNTR's
reader and writer), over every reported time step.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pyproj
import pytest

wntr = pytest.importorskip("wntr")

from jalnet.errors import InputError  # noqa: E402
from jalnet.hydraulics.build import build_model  # noqa: E402
from jalnet.hydraulics.epanet_io import export_inp, import_inp  # noqa: E402
from jalnet.hydraulics.simulate import simulate  # noqa: E402
from jalnet.registry import create_registry, open_registry  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
NETWORKS = {"Net1": "N1-", "Net3": "N3-", "ky10": "KY-"}
CRS = "EPSG:32646"
TOL_PRESSURE_M = 0.01
TOL_FLOW_LPS = 0.01


def run_inp(path: Path, folder: Path):
    """The .inp as EPANET runs it: toolkit open, solve hydraulics and quality, read the binary output."""
    from wntr.epanet.io import BinFile
    from wntr.epanet.toolkit import ENepanet

    folder.mkdir(parents=True, exist_ok=True)
    en = ENepanet()
    en.ENopen(str(path), str(folder / "run.rpt"), str(folder / "run.bin"))
    en.ENsolveH()
    en.ENsolveQ()
    en.ENreport()
    en.ENclose()
    return BinFile().read(str(folder / "run.bin"))


def assert_same(reference, got, name_map: dict[str, str] | None = None) -> None:
    ref_p, ref_q = reference.node["pressure"], reference.link["flowrate"]
    p, q = got.node["pressure"], got.link["flowrate"]
    assert list(ref_p.index) == list(p.index), "reported times differ"
    assert set(ref_p.columns) == set(p.columns) and set(ref_q.columns) == set(q.columns)
    dp = np.abs(ref_p.to_numpy() - p[ref_p.columns].to_numpy()).max()
    dq = np.abs(ref_q.to_numpy() - q[ref_q.columns].to_numpy()).max() * 1000.0
    assert dp <= TOL_PRESSURE_M, f"pressure differs by {dp:.4f} m"
    assert dq <= TOL_FLOW_LPS, f"flow differs by {dq:.4f} l/s"


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("epanet")
    path = str(folder / "nets.gpkg")
    with create_registry(path, CRS) as reg:
        for name, prefix in NETWORKS.items():
            import_inp(DATA / f"{name}.inp", reg, CRS, scheme=name.upper(), id_prefix=prefix)
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("ref")
    return {name: run_inp(DATA / f"{name}.inp", folder / name) for name in NETWORKS}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_import_export_simulates_like_the_original(name, registry, references, tmp_path) -> None:
    out = tmp_path / f"{name}_out.inp"
    export_inp(registry, name.upper(), out)
    assert_same(references[name], run_inp(out, tmp_path / "run"))


@pytest.mark.parametrize("name", list(NETWORKS))
def test_model_built_from_layers_simulates_like_the_original(name, registry, references) -> None:
    wn, report = build_model(registry, name.upper())
    assert report.demand_source == "stored" and report.roughness_from_table == 0
    run = simulate(wn, name)
    assert_same(references[name], run.results)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_everything_epanet_holds_comes_back(name, registry) -> None:
    original = wntr.network.WaterNetworkModel(str(DATA / f"{name}.inp"))
    wn, report = build_model(registry, name.upper())
    assert wn.describe(level=1) == original.describe(level=1)
    assert sorted(wn.control_name_list) == sorted(original.control_name_list)
    for pname, pattern in original.patterns():
        assert list(wn.get_pattern(pname).multipliers) == pytest.approx(list(pattern.multipliers))
    for cname, curve in original.curves():
        assert np.allclose(wn.get_curve(cname).points, curve.points, rtol=1e-12)
    for jname, junction in original.junctions():
        got = wn.get_node(jname).demand_timeseries_list
        want = junction.demand_timeseries_list
        assert [d.base_value for d in got] == pytest.approx([d.base_value for d in want])
        assert [d.pattern_name for d in got] == [d.pattern_name for d in want]
    for lname, link in original.links():
        assert np.allclose(np.reshape(wn.get_link(lname).vertices, (-1, 2)), np.reshape(link.vertices, (-1, 2)))
    for section in ("time", "hydraulic", "quality", "reaction", "energy"):
        assert wn.options.to_dict()[section] == original.options.to_dict()[section], section
    # assets carry the IDs with the prefix; the model the EPANET IDs
    with open_registry(registry, readonly=True) as reg:
        pipes = reg.read("pipes", where={"scheme_id": name.upper()})
    assert pipes["pipe_id"].str.startswith(NETWORKS[name]).all()
    assert set(report.link_assets) >= set(original.pipe_name_list)


def test_vertices_become_the_pipe_geometry(registry) -> None:
    original = wntr.network.WaterNetworkModel(str(DATA / "ky10.inp"))
    bent = [(n, link) for n, link in original.pipes() if link.vertices][:20]
    assert bent
    with open_registry(registry, readonly=True) as reg:
        pipes = reg.read("pipes", where={"scheme_id": "KY10"}).set_index("pipe_id")
    for name, link in bent:
        coords = list(pipes.loc[f"KY-{name}", "geometry"].coords)
        assert np.allclose(coords[1:-1], link.vertices)
        assert np.allclose(coords[0], original.get_node(link.start_node_name).coordinates)


def test_export_in_other_units_simulates_the_same(registry, references, tmp_path) -> None:
    out = tmp_path / "net3_lps.inp"
    export_inp(registry, "NET3", out, units="LPS")
    assert "LPS" in out.read_text()
    assert_same(references["Net3"], run_inp(out, tmp_path / "run"))


def test_an_inp_with_errors_is_refused_naming_the_file_and_nothing_is_written(tmp_path) -> None:
    bad = tmp_path / "bad.inp"
    text = (DATA / "Net1.inp").read_text().replace("[PIPES]", "[PIPES]\n 999  10  NOWHERE  100  12  100  0  Open")
    bad.write_text(text)
    reg_path = str(tmp_path / "r.gpkg")
    with create_registry(reg_path, CRS) as reg:
        with pytest.raises(InputError, match=r"bad\.inp is not a valid EPANET input file.*NOWHERE"):
            import_inp(bad, reg, CRS)
        assert reg.batches().empty and reg.count("pipes") == 0


def test_an_inp_without_coordinates_is_refused(tmp_path) -> None:
    text = (DATA / "Net1.inp").read_text()
    start = text.index("[COORDINATES]")
    end = text.index("[VERTICES]")
    kept = "\n".join(line for line in text[start:end].splitlines() if not line.strip().startswith("22 "))
    path = tmp_path / "nocoords.inp"
    path.write_text(text[:start] + kept + "\n" + text[end:])
    with create_registry(str(tmp_path / "r.gpkg"), CRS) as reg:
        with pytest.raises(InputError, match=r"1 node\(s\) have no coordinates.*22"):
            import_inp(path, reg, CRS)


def test_an_incomplete_network_imports_but_is_not_simulated(tmp_path) -> None:
    # pipes 21, 111 and 121 still to come from the contractor: junction 21 hangs on nothing
    text = (DATA / "Net1.inp").read_text()
    head, rest = text.split("[PIPES]")
    pipes, tail = rest.split("[PUMPS]")
    kept = [line for line in pipes.splitlines() if line.split()[:1] not in (["21"], ["111"], ["121"])]
    path = tmp_path / "incomplete.inp"
    path.write_text(head + "[PIPES]" + "\n".join(kept) + "\n[PUMPS]" + tail)
    reg_path = str(tmp_path / "r.gpkg")
    with create_registry(reg_path, CRS) as reg:
        report = import_inp(path, reg, CRS, scheme="PART")
        assert report.counts["pipes"] == 9 and report.counts["junctions"] == 9
    with pytest.raises(InputError, match=r"1 node\(s\) are not connected to any source or tank: junctions 21"):
        build_model(reg_path, "PART")
    wn, built = build_model(reg_path, "PART", params={"drop_disconnected": True})
    assert "21" not in wn.node_name_list and any("left out 1 node" in w for w in built.warnings)
    assert simulate(wn, "PART").results.node["pressure"].notna().all().all()


def test_ids_used_by_another_scheme_need_a_prefix(tmp_path) -> None:
    reg_path = str(tmp_path / "r.gpkg")
    with create_registry(reg_path, CRS) as reg:
        import_inp(DATA / "Net1.inp", reg, CRS, scheme="A")
        with pytest.raises(InputError, match=r"already exists in the registry.*--id-prefix"):
            import_inp(DATA / "Net1.inp", reg, CRS, scheme="B")
        assert reg.count("pipes") == 12 and len(reg.batches()) == 1
        with pytest.raises(InputError, match=r"scheme A already has"):
            import_inp(DATA / "Net1.inp", reg, CRS, scheme="A")
        report = import_inp(DATA / "Net1.inp", reg, CRS, scheme="A", replace=True)
        assert report.counts["pipes"] == 12 and reg.count("pipes") == 12


def test_coordinates_in_another_crs_are_reprojected_and_lengths_kept(tmp_path, references) -> None:
    # Net1's coordinates read as UTM 45N metres land in the registry's UTM 46N; lengths stay the model's
    reg_path = str(tmp_path / "r.gpkg")
    with create_registry(reg_path, CRS) as reg:
        import_inp(DATA / "Net1.inp", reg, "EPSG:32645", scheme="NET1")
        pipes = reg.read("pipes").set_index("pipe_id")
    start = pipes.loc["10", "geometry"].coords[0]
    expected = pyproj.Transformer.from_crs(32645, 32646, always_xy=True).transform(20.0, 70.0)
    assert np.allclose(start, expected) and not np.allclose(start, (20.0, 70.0))
    wn, _ = build_model(reg_path, "NET1")
    assert_same(references["Net1"], simulate(wn, "Net1").results)


def test_source_files_are_not_touched(tmp_path) -> None:
    copy = tmp_path / "Net1.inp"
    shutil.copy(DATA / "Net1.inp", copy)
    before = os.path.getmtime(copy), copy.read_bytes()
    with create_registry(str(tmp_path / "r.gpkg"), CRS) as reg:
        import_inp(copy, reg, CRS)
    assert (os.path.getmtime(copy), copy.read_bytes()) == before

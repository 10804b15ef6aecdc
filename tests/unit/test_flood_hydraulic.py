"""Flood's hydraulic method: households losing service pressure, on a village whose answer is known.

The village of :mod:`hydraulics_nets` (junctions A..E at 49.5-50.5 m, 1..5 households each)
gets a second, weaker source: a spring at head 57.25 m, 60 m north of A, joined to A by a
40 mm pipe P7. With the main source (head 70 m) in service every junction has about 20 m.
With the main source flooded, only the spring feeds the village; the peak flow (about
0.15 l/s) loses a few centimetres, so each junction has about 57.2 m minus its elevation:
A, B, E about 7.2 m, C 7.7 m, and D (50.5 m) 6.7 m, below the 7 m service norm. So the four
households at D lose supply by pressure, while connectivity sees every household still
connected to a source. Flooding pipe P2 cuts B..E off: 14 households by either method.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from flood_synth import write_raster
from hydraulics_nets import SCHEME, TAPS, X0, Y0, pumped_village_registry, village_layers, write_layers, xy
from shapely.geometry import LineString

pytest.importorskip("wntr")

from jalnet.cli import main  # noqa: E402
from jalnet.flood import households_losing_supply  # noqa: E402
from jalnet.hydraulics import households_below_pressure  # noqa: E402
from jalnet.registry import create_registry, open_registry  # noqa: E402

SPRING_HEAD = 57.25


def two_source_village(path: str) -> str:
    layers = village_layers()
    spring = gpd.GeoDataFrame({"source_id": [f"{SCHEME}-SPR"], "scheme_id": SCHEME, "source_type": "spring",
                               "head_m": [SPRING_HEAD], "status": "in_service"}, geometry=[xy("A", 0, 60)],
                              crs=32646)
    layers["sources"] = gpd.GeoDataFrame(pd.concat([layers["sources"], spring], ignore_index=True), crs=32646)
    p7 = gpd.GeoDataFrame([{"pipe_id": f"{SCHEME}-P7", "scheme_id": SCHEME, "material": "HDPE", "diameter_mm": 40.0,
                            "from_node": f"{SCHEME}-SPR", "to_node": f"{SCHEME}-A", "laid_date": "2022-01-01",
                            "status": "in_service", "geom_source": "survey", "pipe_function": "gravity_main"}],
                          geometry=[LineString([xy("A", 0, 60), xy("A")])], crs=32646)
    layers["pipes"] = gpd.GeoDataFrame(pd.concat([layers["pipes"], p7], ignore_index=True), crs=32646)
    with create_registry(path, "EPSG:32646") as reg:
        write_layers(reg, layers)
    return path


@pytest.fixture(scope="module")
def village(tmp_path_factory) -> str:
    return two_source_village(str(tmp_path_factory.mktemp("flood_hyd") / "village.gpkg"))


def taps_at(node: str, n: int) -> set[str]:
    return {f"{SCHEME}-F{node}{k}" for k in range(n)}


def test_a_weaker_source_leaves_the_high_junction_below_the_norm(village) -> None:
    lost = households_below_pressure(village, SCHEME, {"sources": [f"{SCHEME}-SRC"]})
    assert set(lost["fhtc_id"]) == taps_at("D", 4)
    assert (lost["pressure_before_m"] > 19.0).all()
    assert lost["pressure_after_m"].between(SPRING_HEAD - 50.5 - 0.1, 7.0).all()
    assert not lost["cut_off"].any()


def test_the_flood_method_counts_pressure_and_connectivity_does_not(village) -> None:
    out = {"sources": [f"{SCHEME}-SRC"]}
    with open_registry(village, readonly=True) as reg:
        hydraulic = households_losing_supply(reg, out, method="hydraulic")
        connectivity = households_losing_supply(reg, out, method="connectivity")
    assert set(hydraulic.index[hydraulic["loses_supply"]]) == taps_at("D", 4)
    assert set(hydraulic.loc[hydraulic["loses_supply"], "supply_status"]) == {"below_pressure"}
    assert not connectivity["loses_supply"].any()


def test_a_flooded_pipe_cuts_off_everything_behind_it(village) -> None:
    out = {"pipes": [f"{SCHEME}-P2"]}
    lost = households_below_pressure(village, SCHEME, out)
    expected = taps_at("B", 2) | taps_at("C", 3) | taps_at("D", 4) | taps_at("E", 5)
    assert set(lost["fhtc_id"]) == expected and lost["cut_off"].all()
    with open_registry(village, readonly=True) as reg:
        connectivity = households_losing_supply(reg, out, method="connectivity")
    assert set(connectivity.index[connectivity["loses_supply"]]) == expected


def test_nothing_out_of_service_loses_nobody(village) -> None:
    assert households_below_pressure(village, SCHEME, {"pipes": []}).empty
    assert households_below_pressure(village, SCHEME, {"pipes": ["NOT-A-PIPE"]}).empty


def test_a_tank_no_source_refills_runs_dry(tmp_path) -> None:
    """A borewell pump fills an OHT on A: with the borewell flooded the tank still holds water at the
    peak instant, but nothing refills it while the flood lasts, so every household loses supply."""
    path = pumped_village_registry(str(tmp_path / "r.gpkg"), head=45.0, capacity_kl=50.0, init_level=2.0,
                                   flow_lps=2.0)
    lost = households_below_pressure(path, SCHEME, {"sources": [f"{SCHEME}-SRC"]})
    everyone = set().union(*(taps_at(n, k) for n, k in TAPS.items()))
    assert set(lost["fhtc_id"]) == everyone and lost["cut_off"].all()
    assert (lost["pressure_before_m"] >= 7.0).all()


def test_the_cli_counts_households_losing_pressure(village, tmp_path, capsys) -> None:
    """``jalnet flood assess --method hydraulic``: 0.8 m of water over the main source only."""
    depth = np.zeros((40, 60), dtype="float32")
    transform = Affine(10.0, 0.0, X0 - 100.0, 0.0, -10.0, Y0 + 200.0)
    depth[19:22, 9:12] = 0.8  # cells around the main source (X0, Y0), short of the 1 m a main needs
    raster = tmp_path / "depth.tif"
    write_raster(raster, depth, transform, "EPSG:32646")
    out = tmp_path / "impact.gpkg"
    code = main(["flood", "assess", "--registry", village, "--depth", str(raster), "--out", str(out),
                 "--method", "hydraulic", "--json"])
    assert code == 0
    totals = json.loads(capsys.readouterr().out)["events"]
    (event,) = totals.values()
    assert event["households_losing_supply"] == 4
    assert event["assets_out_of_service"] == 1

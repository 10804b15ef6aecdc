"""Validation of a large registry in parts (groups of schemes) gives the findings of one whole run."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point
from topology_nets import base, make_registry

from jalnet.registry import copy_registry
from jalnet.topology import validate, validate_groups


def _scheme(k: int, dx: float, dy: float = 0.0) -> dict[str, list[dict]]:
    """The base scheme moved by (dx, dy) with its ids and scheme_id made its own."""
    layers = copy.deepcopy(base())
    sid = f"S{k}"
    for rows in layers.values():
        for row in rows:
            if "scheme_id" in row:
                row["scheme_id"] = sid
            for col in ("pipe_id", "node_id", "tank_id", "fhtc_id", "village_id", "from_node", "to_node"):
                if isinstance(row.get(col), str):
                    row[col] = f"{sid}-{row[col]}"
            if "geometry" in row:
                row["geometry"] = shapely.affinity.translate(row["geometry"], dx, dy)
    layers["schemes"][0]["name"] = f"Scheme {k}"
    layers["schemes"][0]["division"] = f"Div {k % 2}"
    return layers


def _state() -> dict[str, list[dict]]:
    parts = [_scheme(k, 2000.0 * k) for k in range(1, 7)]
    parts.append(_scheme(7, 2000.0 * 4 + 150.0, 300.0))  # S7 next to S4, one of its pipes crosses S4's
    layers: dict[str, list[dict]] = {name: [r for p in parts for r in p[name]] for name in parts[0]}
    pipes = layers["pipes"]
    s5 = next(p for p in pipes if p["pipe_id"] == "S5-P3")
    s5["to_node"] = "S1-J4"  # names a node 8 km away, in scheme S1
    pipes.append({"pipe_id": "S7-X", "scheme_id": "S7", "material": "HDPE", "diameter_mm": 90.0,
                  "status": "in_service", "geometry": LineString([(8150, -20), (8150, 20)])})  # crosses S4-P2
    s2 = next(p for p in pipes if p["pipe_id"] == "S2-P2")
    s2["geometry"] = LineString([(4100, 0), (4200, 0), (4203, 0.5)])  # runs long
    pipes.append({"pipe_id": "X-1", "scheme_id": None, "material": "HDPE", "diameter_mm": 90.0, "status": "in_service",
                  "geometry": LineString([(12203, 2), (12260, 2)])})  # no scheme, a near miss to S6's end
    pipes.append({"pipe_id": "U-1", "scheme_id": "S99", "material": "HDPE", "diameter_mm": 90.0,
                  "status": "in_service", "geometry": LineString([(30000, 0), (30050, 0)])})  # an unknown scheme
    pipes.append({"pipe_id": "S6-T", "scheme_id": "S6", "material": "HDPE", "diameter_mm": 90.0,
                  "status": "in_service", "geometry": LineString([(12100, -40), (12100, -0.3)])})  # 0.3 m from 3 pipes
    layers["fhtc"].append({"fhtc_id": "F-far", "scheme_id": "S3", "pipe_id": "S3-P2",
                           "geometry": Point(10150, 25)})  # a tap of S3 standing by S5's pipes
    layers["junctions"].append({"node_id": "J-lost", "scheme_id": "S6", "node_type": "junction",
                                "geometry": Point(12100, 40)})
    return layers


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return make_registry(str(tmp_path_factory.mktemp("parts") / "state.gpkg"), _state())


def _canon(result) -> pd.DataFrame:
    frame = pd.DataFrame(result.findings.drop(columns="geometry"))
    frame["wkt"] = shapely.to_wkt(result.findings.geometry.values, rounding_precision=6)
    return frame.sort_values(["rule", "fingerprint", "message"]).reset_index(drop=True)


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_validation_in_parts_equals_the_whole_run(state, backend, request, monkeypatch):
    target = state
    if backend == "postgis":
        target = request.getfixturevalue("pg_target")
        copy_registry(state, target)
    whole = validate(target)
    assert {"NET-012", "NET-021", "NET-022", "NET-024", "NET-053"} <= set(whole.findings["rule"])
    monkeypatch.setattr(validate_groups, "PART_PIPES", 1)
    from jalnet.registry import open_registry

    with open_registry(target, readonly=True) as reg:
        parts = validate_groups.scheme_parts(reg, 31.0)
    assert len(parts) >= 4
    together = [set(p) for p in parts]
    assert any({"S4", "S7"} <= p for p in together)  # crossing pipes
    assert any({"S1", "S5"} <= p for p in together)  # a node named across schemes
    assert any({"S3", "S5"} <= p for p in together)  # a tap near another scheme's pipes
    assert any({None, "S6"} <= p for p in together)  # a pipe without a scheme near S6
    split = validate(target)
    pd.testing.assert_frame_equal(_canon(split), _canon(whole))
    a = whole.counts_by_scheme.sort_values("scheme_id").reset_index(drop=True)
    b = split.counts_by_scheme.sort_values("scheme_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False)
    assert split.counts == whole.counts

"""Field packages: package the sample scheme, edit it as the field would, sync, undo, sync again."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from field_support import PHOTO_BYTES, SCHEME, field_day, sample_registry, walk_from_end

from jalnet.cli import main
from jalnet.errors import InputError
from jalnet.field import package_scheme, sync_package
from jalnet.field.layout import CAPTURE_LAYERS, REFERENCE_LAYERS
from jalnet.registry import content_digest, create_registry, open_registry
from jalnet.registry.gpkgblob import encode, register_functions
from jalnet.registry.schema import LAYERS


def _package(reg, tmp_path):
    out = tmp_path / "pkg"
    return package_scheme(reg, SCHEME, out, project=False), out


def test_package_holds_the_scheme_without_personal_data_or_credentials(registry_target, tmp_path):
    with sample_registry(registry_target) as reg:
        result, out = _package(reg, tmp_path)
        n_taps, n_valves = reg.count("fhtc"), reg.count("valves")
    layers = {name for name, _ in pyogrio.list_layers(out / "field_data.gpkg")}
    assert layers == set(REFERENCE_LAYERS) | {cl.name for cl in CAPTURE_LAYERS}
    assert result.counts["capture_taps"] == n_taps and result.counts["capture_valves"] == n_valves
    taps = pyogrio.read_dataframe(out / "field_data.gpkg", layer="capture_taps")
    sensitive = [f.name for f in LAYERS["fhtc"].fields if f.sensitive]
    assert sensitive and not set(sensitive) & set(taps.columns)
    assert taps["capture_uuid"].is_unique and taps["registry_fid"].notna().all()
    manifest_text = (out / "jalnet_field.json").read_text()
    manifest = json.loads(manifest_text)
    assert manifest["scheme_id"] == SCHEME and len(manifest["baseline"]["capture_valves"]) == n_valves
    for secret in ("postgresql", "password", str(tmp_path)):
        assert secret not in manifest_text
    with pytest.raises(InputError, match="not empty"):
        package_scheme(registry_target, SCHEME, out, project=False)
    with pytest.raises(InputError, match="not in registry"):
        package_scheme(registry_target, "NO-SUCH", tmp_path / "other", project=False)


def test_sync_brings_the_field_day_in_as_one_undoable_batch(registry_target, tmp_path):
    with sample_registry(registry_target) as reg:
        _, out = _package(reg, tmp_path)
        day = field_day(out, reg, reg.epsg)
        # the office changes the second valve after packaging: the field's edit of it is a conflict
        fid_b = int(reg.read("valves", where={"valve_id": day.conflict_valve}).index[0])
        with reg.batch("office", "diameter corrected") as b:
            b.update("valves", fid_b, {"diameter_mm": 200.0})
        before = content_digest(reg, include_log=False)
        counts_before = {n: reg.count(n) for n in ("pipes", "fhtc", "valves", "attachments", "staged_pipes")}
        valve_a_before = reg.read("valves", where={"valve_id": day.moved_valve}).geometry.iloc[0]

        dry = sync_package(reg, out, dry_run=True)
        assert dry.batch_id is None and content_digest(reg, include_log=False) == before
        assert dry.counts["fhtc_added"] == 3 and [c.asset_id for c in dry.conflicts] == [day.conflict_valve]

        report = sync_package(reg, out)
        assert report.batch_id is not None
        assert [(c.layer, c.asset_id) for c in report.conflicts] == [("valves", day.conflict_valve)]
        assert "changed in the registry" in report.conflicts[0].reason
        assert report.exit_code == 1
        batches = reg.batches()
        assert batches["tool"].iloc[-1] == "field sync" and (batches["tool"] == "field sync").sum() == 1

        # taps: three new assets, each with its photo as an attachment, and a staged point saying where from
        taps = reg.read("fhtc", where={"fhtc_id": day.taps})
        assert len(taps) == 3 and set(taps["scheme_id"]) == {SCHEME}
        att = reg.read("attachments")
        assert sorted(att["asset_id"]) == sorted(day.taps) and set(att["layer"]) == {"fhtc"}
        for k, row in enumerate(att.sort_values("asset_id").itertuples()):
            content = base64.b64decode(row.content)
            assert content == PHOTO_BYTES + bytes([k])
            assert row.sha256 == hashlib.sha256(content).hexdigest() and row.mime_type == "image/jpeg"
        points = reg.read("staged_points", where={"import_batch": report.batch_id})
        assert sorted(points["asset_id"]) == sorted(day.taps) and set(points["state"]) == {"added"}

        # the moved valve moved; the conflicting one kept the office's value and not the field's
        moved = reg.read("valves", where={"valve_id": day.moved_valve}).geometry.iloc[0]
        assert moved.distance(shapely.Point(day.moved_to)) < 0.01 and moved.distance(valve_a_before) > 3
        valve_b = reg.read("valves", where={"valve_id": day.conflict_valve}).iloc[0]
        assert valve_b["diameter_mm"] == 200.0 and valve_b["normal_status"] == "open"

        # the walk: cleaned, staged and snapped into the network in the same batch
        staged = reg.read("staged_pipes", where={"import_batch": report.batch_id})
        assert len(staged) == 1 and staged["state"].iloc[0] == "added"
        new_pipe = reg.read("pipes", where={"pipe_id": staged["result_pipe_id"].iloc[0]})
        assert len(new_pipe) == 1 and new_pipe["material"].iloc[0] == "HDPE"
        assert abs(new_pipe.geometry.iloc[0].length - day.walk.length) < 0.1 * day.walk.length
        assert reg.count("pipes") == counts_before["pipes"] + 1
        assert reg.count("fhtc") == counts_before["fhtc"] + 3

        # a second sync of the same package changes nothing
        after = content_digest(reg)
        again = sync_package(reg, out)
        assert again.batch_id is None and content_digest(reg) == after
        assert again.counts.get("already_synced", 0) >= 5
        assert [c.asset_id for c in again.conflicts] == [day.conflict_valve]

        # one undo takes the whole sync back
        reg.undo(report.batch_id)
        assert content_digest(reg, include_log=False) == before
        assert {n: reg.count(n) for n in counts_before} == counts_before


def test_sync_refuses_a_package_of_another_registry(tmp_path):
    with sample_registry(str(tmp_path / "a.gpkg")) as reg:
        _, out = _package(reg, tmp_path)
    with sample_registry(str(tmp_path / "b.gpkg")):
        pass
    with pytest.raises(InputError, match="another registry"):
        sync_package(str(tmp_path / "b.gpkg"), out)
    with pytest.raises(InputError, match="jalnet_field.json"):
        sync_package(str(tmp_path / "a.gpkg"), tmp_path)


def test_cli_package_and_sync(tmp_path, capsys):
    target = str(tmp_path / "reg.gpkg")
    sample_registry(target).close()
    out = tmp_path / "pkg"
    assert main(["-q", "field", "package", "--registry", target, "--scheme", SCHEME, "--out", str(out),
                 "--no-project"]) == 0
    with open_registry(target) as reg:
        field_day(out, reg, reg.epsg)
    assert main(["-q", "field", "sync", "--registry", target, "--package", str(out), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "would bring in" in printed and "3 fhtc added" in printed
    assert main(["-q", "field", "sync", "--registry", target, "--package", str(out)]) == 0
    assert "undo with: jalnet registry undo" in capsys.readouterr().out
    assert main(["-q", "field", "sync", "--registry", target, "--package", str(out)]) == 0
    assert "nothing new to bring in" in capsys.readouterr().out
    assert main(["-q", "field", "sync", "--registry", target, "--package", str(tmp_path / "nothing")]) == 2


@pytest.mark.parametrize("network", ["Net3", "ky10"])
def test_sync_on_real_networks(network, tmp_path):
    """EPANET models from the WNTR wheel as registries: a walk from a dead end joins the network there."""
    pytest.importorskip("wntr")
    from jalnet.hydraulics.epanet_io import import_inp

    inp = Path(__file__).resolve().parents[1] / "data" / f"{network}.inp"
    with create_registry(str(tmp_path / "reg.gpkg"), "EPSG:32646") as reg:
        import_inp(inp, reg, "EPSG:32646", scheme=network.upper())
        out = tmp_path / "pkg"
        package_scheme(reg, network.upper(), out, project=False)
        walk = walk_from_end(reg)
        start = shapely.Point(walk.coords[0])
        with sqlite3.connect(out / "field_data.gpkg") as conn:
            register_functions(conn)
            conn.execute("INSERT INTO capture_pipes (geom, capture_uuid, scheme_id, material, diameter_mm, accuracy_m) "
                         "VALUES (?, 'walk-1', ?, 'DI', 150, 3.0)", (encode([walk], reg.epsg)[0], network.upper()))
            end = np.asarray(walk.coords[-1])
            for k in range(3):
                conn.execute("INSERT INTO capture_taps (geom, capture_uuid, fhtc_id, scheme_id) VALUES (?, ?, ?, ?)",
                             (encode([shapely.Point(end + [3.0, 5.0 * k])], reg.epsg)[0], f"tap-{k}", f"T-{k}",
                              network.upper()))
        before = content_digest(reg, include_log=False)
        n_pipes = reg.count("pipes")
        report = sync_package(reg, out)
        assert report.counts["fhtc_added"] == 3 and not report.conflicts, report.counts
        assert report.counts.get("pipes_added") == 1 and reg.count("pipes") == n_pipes + 1
        staged = reg.read("staged_pipes", where={"import_batch": report.batch_id})
        new = reg.read("pipes", where={"pipe_id": staged["result_pipe_id"].iloc[0]})
        ends = [shapely.Point(new.geometry.iloc[0].coords[0]), shapely.Point(new.geometry.iloc[0].coords[-1])]
        assert min(e.distance(start) for e in ends) < 2.0  # joined at the dead end it started from
        after = content_digest(reg)
        assert sync_package(reg, out).batch_id is None and content_digest(reg) == after
        reg.undo(report.batch_id)
        assert content_digest(reg, include_log=False) == before


def test_new_field_valve_and_tap_are_promoted_like_staged_points(registry_target, tmp_path):
    """A valve put mid-pipe splits the pipe at a new junction; a tap is taken from the nearest distribution pipe."""
    with sample_registry(registry_target) as reg:
        _, out = _package(reg, tmp_path)
        pipes = reg.read("pipes")
        dist = pipes[pipes["pipe_function"].isna() | (pipes["pipe_function"] == "distribution")]
        pipe = dist.loc[dist.geometry.length.idxmax()]
        line = pipe.geometry
        on = line.interpolate(0.5, normalized=True)
        tangent = np.asarray(line.interpolate(0.5 * line.length + 1).coords[0]) - np.asarray(on.coords[0])
        normal = np.array([-tangent[1], tangent[0]]) / np.hypot(*tangent)
        valve_at = shapely.Point(np.asarray(on.coords[0]) + 1.5 * normal)
        others = pipes[pipes["pipe_id"] != pipe["pipe_id"]].geometry
        tap_at = next(p for p in (shapely.Point(np.asarray(line.interpolate(f, normalized=True).coords[0])
                                                + 12.0 * normal) for f in (0.3, 0.7, 0.2, 0.8, 0.25))
                      if others.distance(p).min() > 20 and reg.read("fhtc").distance(p).min() > 10)
        (out / "DCIM" / "valve.jpg").write_bytes(PHOTO_BYTES)
        with sqlite3.connect(out / "field_data.gpkg") as conn:
            register_functions(conn)
            conn.execute("INSERT INTO capture_valves (geom, capture_uuid, valve_id, scheme_id, valve_type, "
                         "normal_status, photo) VALUES (?, 'valve-1', 'FLD-V-1', ?, 'scour', 'closed', "
                         "'DCIM/valve.jpg')", (encode([valve_at], reg.epsg)[0], SCHEME))
            conn.execute("INSERT INTO capture_taps (geom, capture_uuid, fhtc_id, scheme_id, persons) "
                         "VALUES (?, 'tap-1', 'FLD-T-1', ?, 6)", (encode([tap_at], reg.epsg)[0], SCHEME))
        before = content_digest(reg, include_log=False)
        n_pipes, n_junctions = reg.count("pipes"), reg.count("junctions")
        report = sync_package(reg, out)
        assert report.counts.get("valves_added") == 1 and report.counts.get("fhtc_added") == 1, report.counts

        valve = reg.read("valves", where={"valve_id": "FLD-V-1"}).iloc[0]
        assert valve["pipe_id"] == pipe["pipe_id"] and valve["valve_type"] == "scour"
        assert valve["normal_status"] == "closed" and valve.geometry.distance(on) < 0.01
        assert reg.count("pipes") == n_pipes + 1 and reg.count("junctions") == n_junctions + 1
        first = reg.read("pipes", where={"pipe_id": pipe["pipe_id"]}).iloc[0]
        node = reg.read("junctions", where={"node_id": first["to_node"]})
        assert len(node) == 1 and node.geometry.iloc[0].distance(valve.geometry) < 0.01
        rest = reg.read("pipes", where={"from_node": first["to_node"]})
        assert len(rest) == 1 and rest["to_node"].iloc[0] == pipe["to_node"]
        assert abs(first.geometry.length + rest.geometry.iloc[0].length - line.length) < 0.01

        tap = reg.read("fhtc", where={"fhtc_id": "FLD-T-1"}).iloc[0]
        nearest = dist.loc[dist.distance(tap_at).idxmin(), "pipe_id"]
        assert tap["pipe_id"] in (nearest, rest["pipe_id"].iloc[0]) and tap["persons"] == 6
        points = reg.read("staged_points", where={"import_batch": report.batch_id}).set_index("asset_id")
        assert set(points["state"]) == {"added"} and set(points["kind"]) == {"valve", "fhtc"}
        assert points.loc["FLD-T-1", "message"].startswith(f"added as tap connection FLD-T-1 taken from {tap['pipe_id']}")
        assert "split there" in points.loc["FLD-V-1", "message"]
        assert all("\n" not in m for m in points["message"])
        att = reg.read("attachments")
        assert list(zip(att["layer"], att["asset_id"])) == [("valves", "FLD-V-1")]

        after = content_digest(reg)
        assert sync_package(reg, out).batch_id is None and content_digest(reg) == after
        reg.undo(report.batch_id)
        assert content_digest(reg, include_log=False) == before

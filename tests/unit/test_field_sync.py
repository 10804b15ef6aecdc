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

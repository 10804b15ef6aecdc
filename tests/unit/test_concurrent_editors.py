"""Many editors on one registry at once: imports, snaps, attribute edits and undos as separate processes.

PostGIS with 8 editors, GeoPackage with 3. Every command succeeds or says in one line that
another editor got there first (exit 2); no id is given twice; two editors changing one pipe
from the same read are caught (the second writes nothing); and the registry equals the base
with every logged batch replayed one after the other, so no write was lost or doubled.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from editors_synth import Command, Editor, edit_cmd, make_base, replay, walk_file

from jalnet.registry import content_digest, copy_registry, open_registry


def _run_all(target: str, tmp_path: Path, editors: int, undoers: tuple[int, ...]) -> tuple[list[Command], float]:
    files = [walk_file(k, tmp_path) for k in range(editors)]
    sessions = [Editor(k, target, files[k], undo=k in undoers) for k in range(editors)]
    barrier = tmp_path / "barrier"
    pair = [edit_cmd(100, target, "P-0003", {"material": "DI"}, barrier, 2),
            edit_cmd(101, target, "P-0003", {"material": "GI"}, barrier, 2)]
    threads = [threading.Thread(target=s.run) for s in sessions] + [threading.Thread(target=c.run) for c in pair]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    elapsed = time.perf_counter() - start
    assert not any(t.is_alive() for t in threads), "an editor hung"
    return [c for s in sessions for c in s.commands] + pair, elapsed


def _check(target: str, base: Path, tmp_path: Path, commands: list[Command], editors: int) -> None:
    for c in commands:
        assert "Traceback" not in c.err, (c.what, c.err)
        assert c.code == 0 or c.conflict, (c.editor, c.what, c.code, c.err)
    by_what = {w: [c for c in commands if c.what == w] for w in ("import", "snap", "edit", "undo")}
    assert len(by_what["import"]) == editors and all(c.code == 0 for c in by_what["import"])
    assert len(by_what["snap"]) == editors and all(c.code == 0 for c in by_what["snap"]), \
        [c.err for c in by_what["snap"]]  # a snap that meets a changed row plans again by itself
    assert all(c.code == 0 for c in by_what["undo"]) and by_what["undo"]

    # the deliberate pair: both read P-0003, then both write; exactly one wins, the other is told
    pair = [c for c in commands if c.editor >= 100]
    winners, losers = [c for c in pair if c.code == 0], [c for c in pair if c.code != 0]
    assert len(winners) == 1 and len(losers) == 1, [(c.code, c.err) for c in pair]
    line = losers[0].err.strip()
    assert "pipes P-0003" in line and "changed after this command read it" in line and "attribute edit" in line
    assert "nothing was written" in line and "re-run" in line
    won = "DI" if winners[0].editor == 100 else "GI"

    with open_registry(target, readonly=True) as reg:
        pipes, junctions = reg.read("pipes"), reg.read("junctions")
        staged = reg.read("staged_pipes")
        changes, batches = reg.read("jalnet_changes"), reg.read("jalnet_batches")
        digest = content_digest(reg, include_log=False)
    assert pipes.loc[pipes["pipe_id"] == "P-0003", "material"].tolist() == [won]  # not overwritten by the loser
    for frame, key in ((pipes, "pipe_id"), (junctions, "node_id"), (staged, "candidate_id"),
                       (batches, "batch_id"), (changes, "change_id")):
        assert frame.index.is_unique and frame[key].is_unique, key
    assert len(staged) == 2 * editors and (staged["state"] != "staged").all()
    assert (pipes["pipe_id"].str.fullmatch(r"P-\d{4}")).all()  # new keys continue the one series
    # every edit that succeeded is in the log, once; the registry is the serial replay of the log
    written = [c for c in commands if c.code == 0]
    assert len(batches) == 1 + len(written)
    assert digest == content_digest(open_registry(replay(base, target, tmp_path / "replay.gpkg"), readonly=True),
                                    include_log=False)


def test_eight_editors_on_postgis(pg_target, tmp_path):
    base = tmp_path / "base.gpkg"
    make_base(str(base), 8)
    copy_registry(base, pg_target)
    commands, _ = _run_all(pg_target, tmp_path, 8, undoers=(0, 1))
    _check(pg_target, base, tmp_path, commands, 8)


def test_three_editors_on_geopackage(tmp_path):
    base = tmp_path / "base.gpkg"
    make_base(str(base), 3)
    target = tmp_path / "shared.gpkg"
    target.write_bytes(base.read_bytes())
    commands, _ = _run_all(str(target), tmp_path, 3, undoers=(0,))
    _check(str(target), base, tmp_path, commands, 3)

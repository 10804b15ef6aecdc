"""Hostile and odd contractor files: refused in one line wherever the attack sits, or read in bounded memory.

Every hostile file is generated here. The million-fix and 1 GB files are in
benchmarks/bench_inputs.py, not in the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import tracks_synth as ts

from jalnet.registry import content_digest, create_registry, open_registry
from jalnet.tracks import import_tracks

ROOT = Path(__file__).resolve().parents[2]
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "lol"}">' for i in range(10))


@pytest.fixture
def reg(tmp_path: Path):
    registry = create_registry(tmp_path / "reg.gpkg", "EPSG:32646")
    yield registry
    registry.close()


def refused(reg, path: Path, **options) -> str:
    """Import *path* alone: it must be refused, leave the registry as it was, and say why in one line."""
    before = content_digest(reg)
    report = import_tracks(reg, [path], options=options or None)
    f = report.files[0]
    assert f.status == "refused" and report.exit_code == 2 and report.batch_id is None, f.reason
    assert content_digest(reg) == before
    assert "\n" not in f.reason and f.reason.startswith(str(path))
    return f.reason


def good_gpx_text(seed: int = 1, dx: float = 0.0) -> str:
    w = ts.walk(seed, line=ts.truth_line(dx=dx))
    lon, lat = w.lonlat
    points = "".join(f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><time>{t}</time></trkpt>'
                     for lo, la, t in zip(lon, lat, w.times()))
    return f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>BR-1</name><trkseg>{points}' \
           "</trkseg></trk></gpx>"


def walk_gpx(path: Path, seed: int, dx: float = 0.0) -> Path:
    """A GPX file of one walk along the test line moved *dx* metres east."""
    return ts.write(path, good_gpx_text(seed, dx))


def good_kml_text() -> str:
    return ts.kml(ts.folder("WO-1", ts.placemark("BR-1", ts.line_string(ts.walk(2)))))


# --- DTDs and entities, wherever they are ------------------------------------------------
@pytest.mark.parametrize("kind", ["gpx", "kml"])
def test_billion_laughs_beyond_64_kib_is_refused(reg, tmp_path: Path, kind: str) -> None:
    root = "gpx" if kind == "gpx" else "kml"
    doc = f'<?xml version="1.0"?>{chr(10) * 70000}<!DOCTYPE {root} [{LAUGHS}]><{root}>&lol9;</{root}>'
    path = ts.write(tmp_path / f"laughs.{kind}", doc)
    reason = refused(reg, path)
    assert "refused: the XML contains a DOCTYPE declaration at line 70001" in reason


def test_doctype_after_comments_and_instructions_is_refused(reg, tmp_path: Path) -> None:
    padding = "<!-- " + "x" * 100_000 + " -->" + "<?app data?>\n" * 5000
    doc = f'<?xml version="1.0"?>{padding}<!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd"><gpx/>'
    assert "DOCTYPE declaration" in refused(reg, ts.write(tmp_path / "late.gpx", doc))


def test_external_entity_anywhere_is_refused_unread(reg, tmp_path: Path) -> None:
    secret = ts.write(tmp_path / "secret.txt", "TOP-SECRET")
    doc = (f'<?xml version="1.0"?>{" " * 80000}<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           "<kml><Document><name>&xxe;</name></Document></kml>")
    reason = refused(reg, ts.write(tmp_path / "xxe.kml", doc))
    assert "DOCTYPE" in reason and "TOP-SECRET" not in reason


def test_billion_laughs_inside_a_kmz_is_refused(reg, tmp_path: Path) -> None:
    doc = f'<?xml version="1.0"?>{chr(10) * 70000}<!DOCTYPE kml [{LAUGHS}]><kml>&lol9;</kml>'
    path = ts.kmz(tmp_path / "laughs.kmz", doc)
    reason = refused(reg, path)
    assert "(doc.kml): refused: the XML contains a DOCTYPE declaration" in reason


def test_undeclared_entity_is_a_syntax_error(reg, tmp_path: Path) -> None:
    reason = refused(reg, ts.write(tmp_path / "ent.gpx", "<gpx><trk><name>&nope;</name></trk></gpx>"))
    assert "undefined entity" in reason


# --- encodings ------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding,bom", [("utf-16-le", True), ("utf-16-be", True), ("utf-16-le", False)])
@pytest.mark.parametrize("kind", ["gpx", "kml"])
def test_utf16_xml_imports(reg, tmp_path: Path, kind: str, encoding: str, bom: bool) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>\n' + (good_gpx_text() if kind == "gpx" else
                                                           good_kml_text().split("?>", 1)[1])
    data = text.encode(encoding)
    if bom:
        data = ("\ufeff".encode(encoding)) + data
    path = tmp_path / f"utf16.{kind}"
    path.write_bytes(data)
    report = import_tracks(reg, [path])
    f = report.files[0]
    assert f.status == "imported", f.reason
    assert f.pipes == 1 and report.exit_code == 0


def test_utf16_with_a_doctype_is_refused(reg, tmp_path: Path) -> None:
    doc = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE gpx [{LAUGHS}]><gpx>&lol9;</gpx>'
    path = tmp_path / "laughs16.gpx"
    path.write_bytes(doc.encode("utf-16"))
    assert "DOCTYPE" in refused(reg, path)


# --- KMZ members ------------------------------------------------------------------------------
def test_kmz_symlink_member_is_refused(reg, tmp_path: Path) -> None:
    path = tmp_path / "link.kmz"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("doc.kml")
        info.external_attr = (0o120777 << 16)  # a symbolic link to /etc/passwd
        info.create_system = 3
        zf.writestr(info, "/etc/passwd")
    assert "member 'doc.kml' is a symbolic link" in refused(reg, path)


def test_nested_kmz_is_not_opened(reg, tmp_path: Path) -> None:
    inner = ts.kmz(tmp_path / "inner.kmz", good_kml_text())
    outer = tmp_path / "outer.kmz"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "files/inner.kmz")
    reason = refused(reg, outer)
    assert "holds no .kml document (has: files/inner.kmz); a KMZ inside a KMZ is not opened" in reason
    # next to a doc.kml, the nested KMZ is ignored and only doc.kml is read
    both = tmp_path / "both.kmz"
    with zipfile.ZipFile(both, "w") as zf:
        zf.writestr("doc.kml", good_kml_text())
        zf.write(inner, "inner.kmz")
    report = import_tracks(reg, [both])
    assert report.files[0].status == "imported" and report.pipes == 1


# --- files that cannot be read, or from which nothing usable was read -------------------------------
def test_unreadable_paths_are_refused_in_one_line(reg, tmp_path: Path) -> None:
    link = tmp_path / "gone.gpx"
    link.symlink_to(tmp_path / "nowhere.gpx")
    assert "no such file" in refused(reg, link)
    folder = tmp_path / "folder.gpx"
    folder.mkdir()
    assert "is a folder" in refused(reg, folder)
    if os.geteuid() != 0:  # root reads anything; the permission check only means something for a user
        locked = ts.write(tmp_path / "locked.gpx", good_gpx_text())
        locked.chmod(0)
        assert "PermissionError" in refused(reg, locked) or "Permission denied" in refused(reg, locked)


def test_a_file_with_nothing_usable_is_refused_with_the_reason(reg, tmp_path: Path) -> None:
    doc = ('<gpx version="1.1"><trk><name>BAD</name><trkseg><trkpt lat="NaN" lon="91.4"/><trkpt lat="95" lon="400"/>'
           '</trkseg></trk><wpt lat="0" lon="0"><name>NOFIX</name></wpt></gpx>')
    reason = refused(reg, ts.write(tmp_path / "allbad.gpx", doc))
    assert "nothing usable: 2 coordinates out of range" in reason and "no usable coordinate (lat nan" in reason
    w = ts.walk(3)
    lon, lat = w.lonlat
    rows = ["track_id,latitude,longitude,time"] + [f"A,{lo:.7f},{la:.7f},{t}" for lo, la, t in zip(lon, lat, w.times())]
    reason = refused(reg, ts.write(tmp_path / "swapped.csv", "\n".join(rows) + "\n"))
    assert "nothing usable: 1 latitude and longitude swapped" in reason and "--columns lat=" in reason


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jalnet", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)


def test_cli_exit_codes_for_nothing_usable_and_partly_usable(tmp_path: Path) -> None:
    create_registry(tmp_path / "r.gpkg", "EPSG:32646").close()
    bad = ts.write(tmp_path / "allbad.gpx", '<gpx><trk><trkseg><trkpt lat="95" lon="400"/></trkseg></trk></gpx>')
    good = ts.write(tmp_path / "good.gpx", good_gpx_text())
    out = run_cli("-q", "tracks", "import", str(bad), "--registry", str(tmp_path / "r.gpkg"))
    assert out.returncode == 2, out.stderr
    assert f"jalnet: error: refused: {bad}: nothing usable" in out.stderr and "nothing was written" in out.stderr
    assert "refused" in out.stdout and "Traceback" not in out.stderr
    out = run_cli("-q", "tracks", "import", str(bad), str(good), "--registry", str(tmp_path / "r.gpkg"))
    assert out.returncode == 0, out.stderr
    assert f"jalnet: warning: refused: {bad}: nothing usable" in out.stderr
    with open_registry(tmp_path / "r.gpkg", readonly=True) as r:
        assert set(r.read("staged_pipes")["source_file"]) == {"good.gpx"}


# --- the registry under kill -9 and two writers ---------------------------------------------------
KILL_DURING_WRITE = textwrap.dedent("""
    import os, signal, sys
    from jalnet.registry import store
    from jalnet.tracks import import_tracks

    real = store.Batch.insert
    def insert(self, layer, data, keep_fid=False):
        fids = real(self, layer, data, keep_fid)
        os.kill(os.getpid(), signal.SIGKILL)  # after the first layer, before the commit
        return fids
    store.Batch.insert = insert
    import_tracks(sys.argv[1], sys.argv[2:])
""")


def test_kill_9_mid_write_leaves_the_registry_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "r.gpkg"
    create_registry(target, "EPSG:32646").close()
    first = ts.write(tmp_path / "first.gpx", good_gpx_text())
    import_tracks(str(target), [first])
    with open_registry(target, readonly=True) as r:
        before = content_digest(r)
    second = ts.write(tmp_path / "second.kml", good_kml_text())
    proc = subprocess.run([sys.executable, "-c", KILL_DURING_WRITE, str(target), str(second)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == -9, proc.stderr
    import sqlite3

    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_registry(target, readonly=True) as r:
        assert content_digest(r) == before
        assert len(r.batches()) == 1
    with open_registry(target) as r:  # and it takes the next write
        assert import_tracks(r, [second]).exit_code == 0


def test_two_writers_at_once_both_batches_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "r.gpkg"
    create_registry(target, "EPSG:32646").close()
    files = [walk_gpx(tmp_path / f"w{k}.gpx", 10 + k, 600 * k) for k in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "jalnet", "-q", "tracks", "import", str(f), "--registry",
                               str(target)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0], results
    with open_registry(target, readonly=True) as r:
        assert len(r.batches()) == 2
        assert sorted(r.read("staged_pipes")["source_file"]) == ["w0.gpx", "w1.gpx"]


# --- undo gives back the very rows ---------------------------------------------------------------------
def test_undo_restores_row_ids_exactly(reg, tmp_path: Path) -> None:
    import shapely

    paths = [walk_gpx(tmp_path / f"u{k}.gpx", 20 + k, 500 * k) for k in range(3)]
    import_tracks(reg, paths)
    before = reg.read("staged_pipes")
    fids = before.index.tolist()
    assert len(fids) == 3
    with reg.batch("test", "edit and delete") as b:
        b.update("staged_pipes", fids[0], {"name": "edited"}, geometry=shapely.LineString([(1, 1), (2, 2)]))
        b.delete("staged_pipes", [fids[1]])
    reg.undo(b.id)
    after = reg.read("staged_pipes")
    assert after.index.tolist() == fids
    assert after.drop(columns="geometry").equals(before.drop(columns="geometry"))
    assert after.geometry.geom_equals_exact(before.geometry, 0).all()
    with reg.batch("test", "one more") as b2:  # a deleted-and-restored fid is never handed out again
        new = b2.insert("staged_pipes", before.iloc[[0]].assign(candidate_id="X-1"))
    assert new[0] > max(fids)


# --- memory ---------------------------------------------------------------------------------------------
# VmHWM, not ru_maxrss: a child's ru_maxrss starts at the size of the (large) test process that forked it
MEASURE = textwrap.dedent("""
    import json, re, sys
    from jalnet.tracks import import_tracks
    def hwm():
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    before = hwm()
    report = import_tracks(sys.argv[1], [sys.argv[2]], options={"dry_run": True})
    f = report.files[0]
    print(json.dumps({"status": f.status, "read": f.points_read, "pipes": f.pipes, "base_kb": before,
                      "peak_kb": hwm()}))
""")


def test_a_large_single_walk_imports_in_bounded_memory(tmp_path: Path) -> None:
    """150,000 fixes in one <trk> (13 MB): the parser must not hold the walk as elements (it used to take
    about 11 times the file size); the whole import stays far below the 400 MB ceiling."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_inputs import _stamps, walk

    lon, lat, t = walk(150_000)
    path = tmp_path / "long.gpx"
    with path.open("w", encoding="utf-8") as f:
        f.write('<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>LONG</name><trkseg>\n')
        f.writelines(f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><ele>48.0</ele><time>{s}</time></trkpt>\n'
                     for lo, la, s in zip(lon, lat, _stamps(t)))
        f.write("</trkseg></trk></gpx>\n")
    create_registry(tmp_path / "r.gpkg", "EPSG:32646").close()
    out = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "r.gpkg"), str(path)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["status"] == "imported" and r["read"] == 150_000 and r["pipes"] >= 1
    size_mb = path.stat().st_size / 2**20
    grew_mb = (r["peak_kb"] - r["base_kb"]) / 1024
    assert r["peak_kb"] / 1024 < 400
    assert grew_mb < 100, (grew_mb, size_mb)  # about 700 bytes a fix; holding the walk as elements took 1,000+
    print(f"grew {grew_mb:.0f} MB for a {size_mb:.0f} MB file; peak {r['peak_kb'] / 1024:.0f} MB")

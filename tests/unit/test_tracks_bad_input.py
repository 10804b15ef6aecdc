"""Bad input: refused files name themselves and leave nothing; bad features are dropped and named."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tracks_synth as ts

from jalnet.registry import content_digest, create_registry
from jalnet.tracks import import_tracks


@pytest.fixture
def reg(tmp_path: Path):
    with create_registry(tmp_path / "reg.gpkg", crs="EPSG:32646") as r:
        yield r


@pytest.fixture
def good_gpx(tmp_path: Path) -> Path:
    return ts.gpx11(tmp_path / "good.gpx", [("GOOD", "HDPE 63 mm", [ts.walk(1, dt=3.0)])])


def refused(reg, path: Path, **options) -> str:
    """Import *path* alone; it must be refused, leave the registry as it was, and say why."""
    before = content_digest(reg)
    report = import_tracks(reg, [path], options=options or None)
    f = report.files[0]
    assert f.status == "refused" and report.exit_code == 2
    assert report.batch_id is None and content_digest(reg) == before
    assert f.reason.startswith(str(path)), f.reason  # the message names the file
    assert "\n" not in f.reason
    return f.reason


GPX_HEAD = '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'


def test_malformed_xml(reg, tmp_path: Path) -> None:
    path = ts.write(tmp_path / "bad.gpx", GPX_HEAD + "<trk><name>x</nam></trk></gpx>")
    reason = refused(reg, path)
    assert "not well-formed XML (mismatched tag at line 1" in reason


def test_truncated_file(reg, tmp_path: Path, good_gpx: Path) -> None:
    text = good_gpx.read_text()
    path = ts.write(tmp_path / "cut.gpx", text[: len(text) // 2])
    assert "truncated" in refused(reg, path)
    kmz = ts.kmz(tmp_path / "full.kmz", ts.kml(ts.placemark("A", ts.line_string(ts.walk(2, dt=3.0)))))
    cut = tmp_path / "cut.kmz"
    cut.write_bytes(kmz.read_bytes()[:300])
    assert "not a valid KMZ" in refused(reg, cut) or "truncated" in refused(reg, cut)


@pytest.mark.parametrize("content", [b"", b"   \n\n  "])
def test_empty_file(reg, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.kml"
    path.write_bytes(content)
    assert "empty" in refused(reg, path)


def test_non_xml_files(reg, tmp_path: Path) -> None:
    text = ts.write(tmp_path / "notes.kml", "Pipe laid along the road, see photo")
    assert "not XML (it starts with 'Pipe laid along the road')" in refused(reg, text)
    binary = tmp_path / "photo.gpx"
    binary.write_bytes(bytes(range(256)) * 4)
    assert "not XML" in refused(reg, binary)
    other = ts.write(tmp_path / "feed.xml", '<?xml version="1.0"?><rss><channel/></rss>')
    assert "neither GPX nor KML (root element <rss>)" in refused(reg, other)
    empty_gpx = ts.write(tmp_path / "nothing.gpx", GPX_HEAD + "</gpx>")
    assert "holds no tracks" in refused(reg, empty_gpx)


def test_billion_laughs_is_refused_unexpanded(reg, tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    doc = f'<?xml version="1.0"?><!DOCTYPE kml [{entities}]><kml><Document><name>&lol9;</name></Document></kml>'
    reason = refused(reg, ts.write(tmp_path / "laughs.kml", doc))
    assert "DOCTYPE" in reason and "refused" in reason


def test_external_entity_is_never_resolved(reg, tmp_path: Path) -> None:
    secret = ts.write(tmp_path / "secret.txt", "TOP-SECRET-PASSWORD")
    doc = (f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           f'{GPX_HEAD[21:]}<wpt lat="26.44" lon="91.43"><name>&xxe;</name></wpt></gpx>')
    reason = refused(reg, ts.write(tmp_path / "xxe.gpx", doc))
    assert "DOCTYPE" in reason and "TOP-SECRET" not in reason
    assert reg.count("staged_points") == 0


@pytest.mark.parametrize("member", ["../../evil.kml", "/etc/cron.d/doc.kml", "sub/../../doc.kml", "..\\..\\doc.kml"])
def test_kmz_zip_slip(reg, tmp_path: Path, member: str) -> None:
    path = tmp_path / "slip.kmz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("doc.kml", ts.kml(ts.placemark("A", ts.line_string(ts.walk(3, dt=3.0)))))
        zf.writestr(member, "x")
    reason = refused(reg, path)
    assert f"member '{member}' tries to leave the KMZ folder" in reason
    assert not (tmp_path.parent / "evil.kml").exists()


def test_kmz_bomb_by_ratio_and_by_size(reg, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.kmz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", ts.kml(ts.placemark("A", ts.point(91.43, 26.44))) + " " * (60 * 2**20))
    assert bomb.stat().st_size < 200_000
    reason = refused(reg, bomb)
    assert "refused" in reason and ("zip bomb" in reason or "limit" in reason)
    # a genuinely big (incompressible) KMZ over a lowered limit
    rng = np.random.default_rng(0)
    noise = "".join(f"<!-- {rng.integers(0, 1 << 62)} -->" for _ in range(60_000))
    big = ts.kmz(tmp_path / "big.kmz", ts.kml(ts.placemark("A", ts.point(91.43, 26.44)), noise))
    reason = refused(reg, big, max_kmz_mb=1)
    assert "over the 1 MB limit" in reason


def test_kmz_lying_about_its_size_is_caught_while_reading(reg, tmp_path: Path) -> None:
    payload = ts.kml(ts.placemark("A", ts.point(91.43, 26.44))) + " " * (3 * 2**20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", payload)
    data = bytearray(buf.getvalue())
    # patch the declared uncompressed size (local header offset 22, central directory +24) to 1000 bytes
    data[22:26] = (1000).to_bytes(4, "little")
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (1000).to_bytes(4, "little")
    path = tmp_path / "liar.kmz"
    path.write_bytes(bytes(data))
    reason = refused(reg, path, max_kmz_mb=1)
    assert "1 MB limit" in reason or "cannot read" in reason


def test_kmz_without_kml(reg, tmp_path: Path) -> None:
    path = tmp_path / "photos.kmz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("files/photo.jpg", b"\xff\xd8\xff")
    assert "holds no .kml document" in refused(reg, path)


def test_csv_without_coordinate_columns(reg, tmp_path: Path) -> None:
    path = ts.write(tmp_path / "log.csv", "id,when,note\n1,2024-03-01,x\n")
    reason = refused(reg, path)
    assert "no latitude and no longitude column (columns: id, when, note)" in reason and "--columns" in reason


def test_bad_features_are_dropped_by_name_and_the_rest_imports(reg, tmp_path: Path) -> None:
    good = ts.walk(4, dt=3.0)
    london = "<LineString><coordinates>-0.12,51.50 -0.13,51.51</coordinates></LineString>"
    swapped = "<LineString><coordinates>26.4400,91.4300 26.4410,91.4310 26.4420,91.4320</coordinates></LineString>"
    nonsense = "<LineString><coordinates>400,95 401,96</coordinates></LineString>"
    one = "<LineString><coordinates>91.43,26.44</coordinates></LineString>"
    polygon = "<Polygon><outerBoundaryIs><LinearRing><coordinates>91.43,26.44 91.44,26.44 91.44,26.45 91.43,26.44" \
              "</coordinates></LinearRing></outerBoundaryIs></Polygon>"
    doc = ts.kml(ts.folder("WO-9", ts.placemark("GOOD", ts.line_string(good)), ts.placemark("LONDON", london),
                           ts.placemark("SWAPPED", swapped), ts.placemark("NONSENSE", nonsense),
                           ts.placemark("ONE", one), ts.placemark("AREA", polygon),
                           ts.placemark("TAP-SWAPPED", ts.point(26.44, 91.43))))
    path = ts.write(tmp_path / "mixed.kml", doc)
    report = import_tracks(reg, [path])
    f = report.files[0]
    assert f.status == "imported" and report.exit_code == 0
    assert f.features_read == 7 and f.features_kept == 1 and report.pipes == 1
    assert dict(f.features_dropped) == {"outside_india": 1, "swapped_latlon": 2, "out_of_range": 1, "one_point": 1,
                                        "not_line_or_point": 1}
    text = "\n".join(f.messages)
    for name, words in [("LONDON", "outside India"), ("SWAPPED", "latitude and longitude look swapped"),
                        ("NONSENSE", "no usable coordinate"), ("ONE", "only one usable point"),
                        ("AREA", "Polygon is not a pipe line or a point"), ("TAP-SWAPPED", "swapped")]:
        line = next(m for m in f.messages if m.startswith(f"{path}: WO-9 > {name}:"))
        assert words in line, line
    assert "GOOD" not in text
    assert reg.read("staged_pipes")["source_ref"].tolist() == ["WO-9 > GOOD"]


def test_csv_rows_out_of_range_and_swapped_tracks_are_named(reg, tmp_path: Path) -> None:
    a, b = ts.walk(5), ts.walk(6, line=ts.truth_line(dx=1500))
    lon, lat = a.lonlat
    blon, blat = b.lonlat
    rows = ["track_id,latitude,longitude,time"]
    rows += [f"A,{la:.7f},{lo:.7f},{tm}" for la, lo, tm in zip(lat, lon, a.times())]
    rows[10] = "A,,91.43,2024-03-12T04:30:09Z"  # empty latitude (row 10 of the file)
    rows[20] = "A,0,0,2024-03-12T04:30:19Z"  # the phone's "no fix" (row 20)
    rows[30] = "A,26.44.1,91.43,2024-03-12T04:30:29Z"  # typo (row 30)
    rows += [f"B,{lo:.7f},{la:.7f},{tm}" for la, lo, tm in zip(blat, blon, b.times())]  # columns swapped
    path = ts.write(tmp_path / "log.csv", "\n".join(rows) + "\n")
    report = import_tracks(reg, [path])
    f = report.files[0]
    assert f.status == "imported" and f.pipes == 1 and f.features_dropped == {"swapped_latlon": 1}
    assert f.points_dropped["out_of_range"] == 3 + len(b.x)
    rows_msg = next(m for m in f.messages if "track A" in m)
    assert "3 fix(es) out of range or outside India dropped (rows 11, 21, 31)" in rows_msg
    swapped_msg = next(m for m in f.messages if "track B" in m)
    assert swapped_msg.startswith(f"{path}: track B (rows ") and "--columns lat=" in swapped_msg
    assert f.points_read == f.points_kept + sum(f.points_dropped.values())


def test_a_refused_file_contributes_nothing_and_the_batch_goes_on(reg, tmp_path: Path, good_gpx: Path) -> None:
    bad = ts.write(tmp_path / "bad.kml", "<kml><Document><Placemark>")
    missing = tmp_path / "missing.gpx"
    report = import_tracks(reg, [bad, good_gpx, missing])
    assert [f.status for f in report.files] == ["refused", "imported", "refused"]
    assert report.exit_code == 0 and report.batch_id  # something was imported: refusals are warnings
    assert "no such file" in report.files[2].reason
    assert set(reg.read("staged_pipes")["source_file"]) == {"good.gpx"}
    # nothing but the good file's candidates: the same as importing it alone
    with create_registry(tmp_path / "alone.gpkg", crs="EPSG:32646") as alone:
        import_tracks(alone, [good_gpx])
        cols = ["source_ref", "points_in", "points_kept", "dropped"]
        assert reg.read("staged_pipes")[cols].equals(alone.read("staged_pipes")[cols])


def test_oversized_file_is_refused_unread(reg, tmp_path: Path) -> None:
    path = tmp_path / "huge.gpx"
    with open(path, "wb") as f:
        f.seek(3 * 2**20)
        f.write(b"x")
    assert "over the 2 MB limit" in refused(reg, path, max_file_mb=2)
    os.remove(path)


def test_unknown_options_and_mapping_fields_are_refused(reg, good_gpx: Path) -> None:
    from jalnet.errors import InputError

    with pytest.raises(InputError, match="unknown import option"):
        import_tracks(reg, [good_gpx], options={"max_acuracy_m": 10})
    with pytest.raises(InputError, match="'pipeid' is not a field that can be mapped"):
        import_tracks(reg, [good_gpx], mapping={"fields": {"pipeid": "X"}})
    with pytest.raises(InputError, match="no files given"):
        import_tracks(reg, [])


def test_truncation_is_found_in_a_large_streamed_gpx(reg, tmp_path: Path) -> None:
    """A GPX larger than the stream chunk, cut anywhere, is refused whole: nothing of its first tracks is staged."""
    walks = [(f"T{k}", "", [ts.walk(k, line=ts.truth_line(dx=800 * k))]) for k in range(14)]
    text = ts.gpx11(tmp_path / "big.gpx", walks).read_text()
    assert len(text.encode()) > 2**20
    for cut in (len(text) - 10, len(text) // 2 + 7):
        path = ts.write(tmp_path / "cut.gpx", text[:cut])
        assert "not well-formed XML" in refused(reg, path)
